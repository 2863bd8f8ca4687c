//! Recorded replies: every response a client receives, saved as a file a person can read.
//!
//! A [`Recorder`] given to [`crate::ClientOptions::record`] writes one file per reply
//! (retries and error replies included) under `<dir>/<provider>/`, named
//! `<sequence>-<operation>-<status>.reply`:
//!
//! ```text
//! purchases-reply 1
//! provider: kit
//! operation: list_purchases
//! method: GET
//! path: /v4/purchases
//! query: after, per_page
//! status: 200
//! header content-type: application/json
//! redacted: 0
//!
//! {"purchases":[...],"pagination":{...}}
//! ```
//!
//! The lines above the blank line describe the exchange; everything after it is the body
//! exactly as received. What identifies a caller is never written, by construction: the
//! request's headers are not recorded at all, the path is the operation's template (no
//! account id), the query gives parameter *names* only, and of the response's headers only
//! `content-type`, `retry-after` and rate-limit headers are kept. A server can still echo a
//! credential in the body or in one of those headers: every form of every credential the
//! client holds (see [`crate::redact::Redactor`]) is replaced with `***` before anything is
//! written, and `redacted` counts the replacements.
//!
//! [`Reply::parse`] and [`read_dir`] read the files back (`purchases conform --replay`).

use crate::redact::Redactor;
use crate::Provider;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// The first line of every reply file, with the format's version.
pub const MAGIC: &str = "purchases-reply 1";

/// The file name extension of a reply file.
pub const EXTENSION: &str = "reply";

/// Saves replies into a folder; cheap to clone (clones share the folder and the count).
#[derive(Clone, Debug)]
pub struct Recorder {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    dir: PathBuf,
    next: AtomicU64,
    written: AtomicU64,
    failures: Mutex<Vec<String>>,
}

impl Recorder {
    /// Records into `dir`, creating it if needed. Files already there are kept; new ones
    /// are numbered after them.
    pub fn create(dir: impl AsRef<Path>) -> std::io::Result<Self> {
        let dir = dir.as_ref().to_path_buf();
        std::fs::create_dir_all(&dir)?;
        let mut last = 0;
        for file in reply_files(&dir)? {
            let number = file
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.split('-').next())
                .and_then(|n| n.parse::<u64>().ok());
            last = last.max(number.unwrap_or(0));
        }
        Ok(Recorder {
            shared: Arc::new(Shared {
                dir,
                next: AtomicU64::new(last + 1),
                written: AtomicU64::new(0),
                failures: Mutex::new(Vec::new()),
            }),
        })
    }

    /// The folder replies go to.
    pub fn dir(&self) -> &Path {
        &self.shared.dir
    }

    /// How many replies were written.
    pub fn written(&self) -> u64 {
        self.shared.written.load(Ordering::Relaxed)
    }

    /// Why replies could not be written (a full disk, a folder removed): recording never
    /// fails a request, so a caller that needs every reply checks this.
    pub fn failures(&self) -> Vec<String> {
        self.shared
            .failures
            .lock()
            .map(|f| f.clone())
            .unwrap_or_default()
    }

    /// Writes one reply, every credential form redacted.
    pub(crate) fn save(&self, exchange: Exchange<'_>, redactor: &Redactor) {
        let number = self.shared.next.fetch_add(1, Ordering::Relaxed);
        let reply = Reply::from_exchange(exchange, redactor);
        let dir = self.shared.dir.join(reply.provider.as_str());
        let file = dir.join(format!(
            "{number:06}-{}-{}.{EXTENSION}",
            file_safe(&reply.operation),
            reply.status
        ));
        let outcome =
            std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&file, reply.to_bytes()));
        match outcome {
            Ok(()) => {
                self.shared.written.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => {
                let why = format!("cannot write {}: {e}", file.display());
                tracing::warn!(reason = %why, "reply not recorded");
                if let Ok(mut f) = self.shared.failures.lock() {
                    f.push(why);
                }
            }
        }
    }
}

fn file_safe(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// What the transport knows about one reply when it has read it.
pub(crate) struct Exchange<'a> {
    pub provider: Provider,
    pub operation: &'a str,
    pub method: &'a str,
    pub template: &'a str,
    pub url: &'a reqwest::Url,
    pub status: u16,
    pub headers: &'a reqwest::header::HeaderMap,
    pub body: &'a [u8],
}

/// Whether a response header is worth keeping: what a replay or a reader needs to
/// understand the reply (its media type, and what it says about rate limits).
pub fn kept_header(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name == "content-type"
        || name == "retry-after"
        || name.starts_with("x-ratelimit")
        || name.starts_with("x-rate-limit")
        || name.starts_with("ratelimit")
}

/// One recorded reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The provider's module name (`kit`).
    pub provider: String,
    /// The operation id (`list_purchases`).
    pub operation: String,
    /// The request method.
    pub method: String,
    /// The operation's path template (`/accounts/{account_id}/purchases`).
    pub path: String,
    /// The names of the query parameters sent, in order, without their values.
    pub query: Vec<String>,
    /// The HTTP status.
    pub status: u16,
    /// The response headers kept (see [`kept_header`]), names in lower case.
    pub headers: Vec<(String, String)>,
    /// How many credential forms were replaced with `***` in the headers and body.
    pub redacted: usize,
    /// The body as received (credential forms replaced).
    pub body: Vec<u8>,
}

impl Reply {
    fn from_exchange(e: Exchange<'_>, redactor: &Redactor) -> Self {
        let mut redacted = 0;
        let mut clean = |text: &str| {
            let (text, n) = redactor.redact_counted(text);
            redacted += n;
            // A header value is one line: nothing that would end it or confuse a terminal.
            crate::redact::escape_controls(&text)
        };
        let mut query: Vec<String> = Vec::new();
        for (name, _) in e.url.query_pairs() {
            let name = clean(&name);
            if !query.contains(&name) {
                query.push(name);
            }
        }
        let headers = e
            .headers
            .iter()
            .filter(|(name, _)| kept_header(name.as_str()))
            .map(|(name, value)| {
                (
                    name.as_str().to_string(),
                    clean(&String::from_utf8_lossy(value.as_bytes())),
                )
            })
            .collect();
        let (body, n) = redactor.redact_bytes(e.body);
        redacted += n;
        Reply {
            provider: e.provider.name().to_string(),
            operation: e.operation.to_string(),
            method: e.method.to_string(),
            path: e.template.to_string(),
            query,
            status: e.status,
            headers,
            redacted,
            body,
        }
    }

    /// The reply file's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = format!(
            "{MAGIC}\nprovider: {}\noperation: {}\nmethod: {}\npath: {}\nquery: {}\nstatus: {}\n",
            self.provider,
            self.operation,
            self.method,
            self.path,
            self.query.join(", "),
            self.status
        );
        for (name, value) in &self.headers {
            out.push_str(&format!("header {name}: {value}\n"));
        }
        out.push_str(&format!("redacted: {}\n\n", self.redacted));
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(&self.body);
        bytes
    }

    /// Reads a reply file.
    pub fn parse(bytes: &[u8]) -> Result<Self, String> {
        let split = bytes
            .windows(2)
            .position(|w| w == b"\n\n")
            .ok_or("no blank line between the description and the body")?;
        let head = std::str::from_utf8(&bytes[..split])
            .map_err(|_| "the description is not UTF-8".to_string())?;
        let body = bytes[split + 2..].to_vec();
        let mut lines = head.lines();
        if lines.next() != Some(MAGIC) {
            return Err(format!(
                "not a reply file (the first line is not {MAGIC:?})"
            ));
        }
        let mut reply = Reply {
            provider: String::new(),
            operation: String::new(),
            method: String::new(),
            path: String::new(),
            query: Vec::new(),
            status: 0,
            headers: Vec::new(),
            redacted: 0,
            body,
        };
        for line in lines {
            let (key, value) = line
                .split_once(": ")
                .or_else(|| line.strip_suffix(':').map(|k| (k, "")))
                .ok_or_else(|| format!("line {line:?} is not `key: value`"))?;
            match key {
                "provider" => reply.provider = value.to_string(),
                "operation" => reply.operation = value.to_string(),
                "method" => reply.method = value.to_string(),
                "path" => reply.path = value.to_string(),
                "query" => {
                    reply.query = value
                        .split(", ")
                        .filter(|q| !q.is_empty())
                        .map(str::to_string)
                        .collect()
                }
                "status" => {
                    reply.status = value
                        .parse()
                        .map_err(|_| format!("status {value:?} is not a number"))?
                }
                "redacted" => {
                    reply.redacted = value
                        .parse()
                        .map_err(|_| format!("redacted {value:?} is not a number"))?
                }
                _ => match key.strip_prefix("header ") {
                    Some(name) => reply.headers.push((name.to_string(), value.to_string())),
                    None => return Err(format!("unknown line {key:?}")),
                },
            }
        }
        if reply.provider.is_empty() || reply.operation.is_empty() || reply.status == 0 {
            return Err("provider, operation and status are required".into());
        }
        Ok(reply)
    }

    /// A kept response header, by name (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Every reply file under `dir` (and its sub-folders), in name order.
pub fn reply_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        for entry in std::fs::read_dir(&d)? {
            let path = entry?.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == EXTENSION) {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Reads every reply under `dir`: each with its file, or why it could not be read.
pub fn read_dir(dir: &Path) -> std::io::Result<Vec<(PathBuf, Result<Reply, String>)>> {
    Ok(reply_files(dir)?
        .into_iter()
        .map(|path| {
            let reply = std::fs::read(&path)
                .map_err(|e| e.to_string())
                .and_then(|b| Reply::parse(&b));
            (path, reply)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exchange<'a>(
        url: &'a reqwest::Url,
        headers: &'a reqwest::header::HeaderMap,
        body: &'a [u8],
    ) -> Exchange<'a> {
        Exchange {
            provider: Provider::ALL[0],
            operation: "list_things",
            method: "GET",
            template: "/accounts/{id}/things",
            url,
            status: 401,
            headers,
            body,
        }
    }

    #[test]
    fn a_reply_keeps_names_not_values_and_redacts_echoes() {
        let secret = "s3cr3t-token-value";
        let url = reqwest::Url::parse(&format!(
            "https://h/accounts/ACC1/things?after=abc&api_key={secret}&after=def"
        ))
        .unwrap();
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("content-type", "application/json".parse().unwrap());
        headers.insert("x-ratelimit-remaining", "7".parse().unwrap());
        headers.insert("set-cookie", format!("t={secret}").parse().unwrap());
        headers.insert(
            "retry-after",
            reqwest::header::HeaderValue::from_bytes(format!("{secret} \u{e9}").as_bytes())
                .unwrap(),
        );
        let body = format!(r#"{{"error":"bad token {secret}","hint":"Bearer {secret}"}}"#);
        let redactor = Redactor::new([secret]);
        let reply = Reply::from_exchange(exchange(&url, &headers, body.as_bytes()), &redactor);
        let text = String::from_utf8(reply.to_bytes()).unwrap();
        assert!(!text.contains(secret), "{text}");
        assert!(!text.contains("ACC1"), "{text}");
        assert!(!text.contains("abc"), "{text}");
        assert!(!text.contains("set-cookie"), "{text}");
        assert_eq!(reply.query, ["after", "api_key"]);
        assert_eq!(reply.redacted, 3);
        assert_eq!(reply.header("X-RateLimit-Remaining"), Some("7"));
        assert_eq!(Reply::parse(text.as_bytes()).unwrap(), reply);
    }

    #[test]
    fn a_body_is_kept_byte_for_byte() {
        let url = reqwest::Url::parse("https://h/x").unwrap();
        let headers = reqwest::header::HeaderMap::new();
        let body = b"{\"total\": 12.345678901234567891}\n\n\xff trailing";
        let reply = Reply::from_exchange(exchange(&url, &headers, body), &Redactor::new([]));
        let back = Reply::parse(&reply.to_bytes()).unwrap();
        assert_eq!(back.body, body);
        assert_eq!(back.query, Vec::<String>::new());
    }

    #[test]
    fn malformed_files_are_refused_with_a_reason() {
        for (bytes, why) in [
            (&b"hello"[..], "blank line"),
            (b"other 1\n\n{}", "not a reply file"),
            (b"purchases-reply 1\nstatus: x\n\n{}", "not a number"),
            (b"purchases-reply 1\nprovider: kit\n\n{}", "required"),
        ] {
            let err = Reply::parse(bytes).unwrap_err();
            assert!(err.contains(why), "{err}");
        }
    }

    #[test]
    fn numbering_continues_after_files_already_there() {
        let dir = std::env::temp_dir().join(format!("reply-numbering-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("kit")).unwrap();
        std::fs::write(dir.join("kit/000041-list-200.reply"), b"x").unwrap();
        let recorder = Recorder::create(&dir).unwrap();
        let url = reqwest::Url::parse("https://h/x").unwrap();
        let headers = reqwest::header::HeaderMap::new();
        recorder.save(exchange(&url, &headers, b"{}"), &Redactor::new([]));
        let names: Vec<String> = reply_files(&dir)
            .unwrap()
            .iter()
            .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert!(
            names.contains(&"000042-list_things-401.reply".to_string()),
            "{names:?}"
        );
        assert_eq!(recorder.written(), 1);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
