//! Fuzzing the response decoders, the client's listing path and the CLI's, with mutations
//! of the documented samples and of the mock's pages: wrong types, huge and odd numbers,
//! odd dates, deep nesting, invalid UTF-8, truncation, duplicate keys and echoed
//! credentials.
//!
//! `cargo test` runs a bounded number of cases per property (64, or 16 for the CLI, which
//! starts a process per case). A long campaign (the CLI gets a tenth of the cases unless
//! `FUZZ_CLI_CASES` says otherwise):
//!
//! ```sh
//! FUZZ_CASES=20000 cargo test --release --all-features --test fuzz
//! ```
//!
//! The properties: nothing panics; a listing ends; whatever decodes writes back and decodes
//! to the same value; a record's time is RFC 3339 within the years 0000–9999; no text the
//! client or the CLI shows holds a credential in any of its wire forms, or a raw control
//! character on a terminal.
#![cfg(all(feature = "conform", feature = "mock", feature = "cli"))]

use base64::Engine;
use futures::StreamExt;
use proptest::prelude::*;
use purchase_clients::conform::live::live_replies;
use purchase_clients::mock::{demo_credentials, demo_scope, wire_json, MockConfig, MockServer};
use purchase_clients::{
    AnyClient, ClientOptions, ListingLimits, Provider, Purchase, RetryConfig, Secret,
};
use serde_json::Value;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

/// Cases per property: `FUZZ_CASES`, or `default`.
fn cases(default: u32) -> u32 {
    std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(default)
}

/// Cases for the CLI, which starts a process per case: `FUZZ_CLI_CASES`, or a tenth of
/// `FUZZ_CASES`, or `default`.
fn cli_cases(default: u32) -> u32 {
    std::env::var("FUZZ_CLI_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| cases(default * 10) / 10)
}

/// The credentials a client of `provider` sends (and so the ones a server can echo): one
/// per variable the provider reads, with characters that URL, JSON and base64 encodings all
/// change.
fn secrets(provider: Provider) -> Vec<String> {
    provider
        .credential_variables()
        .iter()
        .enumerate()
        .map(|(i, _)| format!("fz/{}+key={i}\"Q", provider.name()))
        .collect()
}

/// Every form `provider`'s credentials take on the wire, written out independently of the
/// crate.
fn wire_forms(provider: Provider) -> &'static [String] {
    static FORMS: OnceLock<Vec<(Provider, Vec<String>)>> = OnceLock::new();
    let all = FORMS.get_or_init(|| {
        Provider::ALL
            .iter()
            .map(|p| {
                let s = secrets(*p);
                (
                    *p,
                    forms_of(&s.iter().map(String::as_str).collect::<Vec<_>>()),
                )
            })
            .collect()
    });
    &all.iter()
        .find(|(p, _)| *p == provider)
        .expect("every provider")
        .1
}

fn forms_of(secrets: &[&str]) -> Vec<String> {
    {
        let b64 = base64::engine::general_purpose::STANDARD;
        secrets
            .iter()
            .flat_map(|s| {
                let pct: String = s
                    .bytes()
                    .map(|b| match b {
                        b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' => (b as char).to_string(),
                        _ => format!("%{b:02X}"),
                    })
                    .collect();
                [
                    s.to_string(),
                    b64.encode(format!("{s}:")),
                    b64.encode(s),
                    pct,
                    serde_json::to_string(s)
                        .unwrap()
                        .trim_matches('"')
                        .to_string(),
                ]
            })
            .collect()
    }
}

fn assert_clean(provider: Provider, what: &str, text: &str) {
    for form in wire_forms(provider) {
        assert!(
            !text.contains(form.as_str()),
            "{what}: {form:?} in {text:?}"
        );
    }
}

/// Raw number and value texts no well-behaved server sends.
const WEIRD: &[&str] = &[
    "1e400",
    "-1e400",
    "1e-400",
    "-0",
    "18446744073709551616",
    "-9223372036854775809",
    "123456789012345678901234567890.123456789",
    "0.0000000000000000000000000000001",
    "79228162514264337593543950336",
    "\"\"",
    "\"2024-02-30T00:00:00Z\"",
    "\"9999-12-31T23:59:59-23:59\"",
    "\"0000-01-01T00:00:00+00:01\"",
    "\"2024-01-01T00:00:00\"",
    "\"2016-12-31T23:59:60Z\"",
    "\"+002024-01-01T00:00:00Z\"",
    "\"1e5\"",
    "\"NaN\"",
    "\"-\"",
    "\"\\u001b[2J\\u0007\\u001b]0;x\\u0007\"",
    "\"\\u202e\\u0000\"",
    "\"\\ud800\"",
    "null",
    "true",
    "[]",
    "{}",
    "[[[[[[[[[[[[]]]]]]]]]]]]",
];

/// One change to a seed body.
#[derive(Debug, Clone)]
enum Mutation {
    /// The value at the `at`-th place (mod the number of places) becomes `WEIRD[w]`.
    Replace { at: usize, w: usize },
    /// The `at`-th object member is removed.
    Remove { at: usize },
    /// The `at`-th value becomes a string holding credential form `form`.
    Echo { at: usize, form: usize },
    /// The `at`-th value becomes arrays nested `depth` deep.
    Nest { at: usize, depth: usize },
    /// The text is cut at `at` (mod its length).
    Truncate { at: usize },
    /// `bytes` (not necessarily UTF-8) are put into the text at `at`.
    Insert { at: usize, bytes: Vec<u8> },
    /// The `at`-th object member is written twice.
    Duplicate { at: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (any::<usize>(), 0..WEIRD.len()).prop_map(|(at, w)| Mutation::Replace { at, w }),
        2 => any::<usize>().prop_map(|at| Mutation::Remove { at }),
        3 => (any::<usize>(), any::<usize>()).prop_map(|(at, form)| Mutation::Echo { at, form }),
        1 => (any::<usize>(), 1..400usize).prop_map(|(at, depth)| Mutation::Nest { at, depth }),
        1 => any::<usize>().prop_map(|at| Mutation::Truncate { at }),
        1 => (any::<usize>(), proptest::collection::vec(any::<u8>(), 1..6))
            .prop_map(|(at, bytes)| Mutation::Insert { at, bytes }),
        1 => any::<usize>().prop_map(|at| Mutation::Duplicate { at }),
    ]
}

/// Every place in `v`: JSON pointers of every value, and of every object member.
fn places(v: &Value, at: String, out: &mut Vec<String>) {
    out.push(at.clone());
    match v {
        Value::Object(o) => {
            for (k, child) in o {
                places(
                    child,
                    format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                    out,
                );
            }
        }
        Value::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                places(child, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// Writes `seed` with `mutations` applied; raw texts go in through placeholders.
fn mutate(provider: Provider, seed: &Value, mutations: &[Mutation]) -> Vec<u8> {
    let mut v = seed.clone();
    let mut raw: Vec<String> = Vec::new();
    let mut text_level = Vec::new();
    for m in mutations {
        let mut all = Vec::new();
        places(&v, String::new(), &mut all);
        let pick = |at: &usize| all[at % all.len()].clone();
        let mut put = |v: &mut Value, at: &str, text: String| {
            let marker = format!("\u{1}RAW{}\u{1}", raw.len());
            raw.push(text);
            if at.is_empty() {
                *v = Value::String(marker);
            } else if let Some(slot) = v.pointer_mut(at) {
                *slot = Value::String(marker);
            }
        };
        match m {
            Mutation::Replace { at, w } => put(&mut v, &pick(at), WEIRD[*w].to_string()),
            Mutation::Echo { at, form } => {
                let forms = wire_forms(provider);
                let text = format!(
                    "echo Basic {} Bearer {}",
                    forms[form % forms.len()],
                    forms[(form + 1) % forms.len()]
                );
                put(&mut v, &pick(at), serde_json::to_string(&text).unwrap())
            }
            Mutation::Nest { at, depth } => put(
                &mut v,
                &pick(at),
                format!("{}{}", "[".repeat(*depth), "]".repeat(*depth)),
            ),
            Mutation::Remove { at } => {
                let p = pick(at);
                if let Some((parent, key)) = p.rsplit_once('/') {
                    let key = key.replace("~1", "/").replace("~0", "~");
                    if let Some(Value::Object(o)) = v.pointer_mut(parent) {
                        o.remove(&key);
                    }
                }
            }
            other => text_level.push(other.clone()),
        }
    }
    let mut text = wire_json(provider, &v);
    for (i, r) in raw.iter().enumerate() {
        text = text.replace(&format!("\"\\u0001RAW{i}\\u0001\""), r);
    }
    let mut bytes = text.into_bytes();
    for m in text_level {
        match m {
            Mutation::Truncate { at } => bytes.truncate(at % (bytes.len() + 1)),
            Mutation::Insert { at, bytes: b } => {
                let at = at % (bytes.len() + 1);
                bytes.splice(at..at, b);
            }
            Mutation::Duplicate { at } => {
                // Doubles the `at`-th `"key":value,` that is followed by a comma.
                let s = String::from_utf8_lossy(&bytes).to_string();
                let starts: Vec<usize> = s.match_indices(",\"").map(|(i, _)| i + 1).collect();
                if !starts.is_empty() {
                    let start = starts[at % starts.len()];
                    if let Some(len) = s[start..].find(",\"") {
                        let member = s[start..start + len + 1].to_string();
                        let mut s = s;
                        s.insert_str(start, &member);
                        bytes = s.into_bytes();
                    }
                }
            }
            _ => {}
        }
    }
    bytes
}

/// The bodies mutations start from: each provider's documented response samples and the
/// pages the embedded mock serves, each with the sample name its decoder is found by.
fn seeds() -> &'static [(Provider, String, Value)] {
    static SEEDS: OnceLock<Vec<(Provider, String, Value)>> = OnceLock::new();
    SEEDS.get_or_init(|| {
        let mut out = Vec::new();
        for provider in Provider::ALL.iter().copied() {
            let documented = purchase_clients::conform::documented(provider).unwrap();
            let names = purchase_clients::conform::normalized(provider).unwrap();
            for s in purchase_clients::conform::samples(provider, &documented, &names) {
                if s.name.ends_with(" 200") {
                    out.push((provider, s.name, s.value));
                }
            }
        }
        out.extend(runtime().block_on(mock_pages()));
        out
    })
}

/// The first page of every operation the mock serves, fetched as the live checks fetch.
async fn mock_pages() -> Vec<(Provider, String, Value)> {
    let mock = MockServer::start(
        "127.0.0.1:0".parse().unwrap(),
        MockConfig {
            count: 12,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let mut out = Vec::new();
    for provider in Provider::ALL.iter().copied() {
        let credentials: Vec<Secret> = demo_credentials(provider)
            .iter()
            .map(|c| Secret::new(*c))
            .collect();
        let options = ClientOptions::default().base_url(mock.base_url(provider));
        let replies = live_replies(provider, &credentials, demo_scope(provider), &options)
            .await
            .unwrap();
        assert!(!replies.is_empty(), "{provider}");
        for (operation, status, body) in replies {
            let body: Value = serde_json::from_slice(&body).unwrap();
            out.push((provider, format!("{operation} {status}"), body));
        }
    }
    out
}

fn case() -> impl Strategy<Value = (usize, Vec<Mutation>)> {
    (
        0..seeds().len(),
        proptest::collection::vec(mutation(), 1..4),
    )
}

fn check_record(result: Result<Purchase, purchase_clients::Error>) {
    match result {
        Ok(p) => {
            if let Some(t) = p.time {
                let written = t.to_rfc3339();
                let back = chrono::DateTime::parse_from_rfc3339(&written)
                    .unwrap_or_else(|e| panic!("{written} is not RFC 3339: {e}"));
                assert_eq!(back, t);
            }
        }
        Err(e) => assert_no_escape(&e.to_string()),
    }
}

fn assert_no_escape(text: &str) {
    assert!(
        !text.chars().any(|c| c.is_control()),
        "a raw control character in {text:?}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(64), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn every_decoder_survives_any_body((seed, mutations) in case()) {
        let (provider, sample, value) = &seeds()[seed];
        let body = mutate(*provider, value, &mutations);
        let decode = purchase_clients::conform::decoder(*provider, sample)
            .unwrap_or_else(|| panic!("{provider}: no decoder for {sample}"));
        // The decoders read JSON text: what is not UTF-8 is the listing property's
        // business. Whatever decodes must write back and decode the same.
        if let Ok(text) = std::str::from_utf8(&body) {
            if let Ok(written) = decode(text) {
                let again = decode(&written.to_string())
                    .unwrap_or_else(|e| panic!("{provider} {sample}: written back, it no longer decodes: {e}"));
                assert_eq!(again, written, "{provider} {sample}: the round trip changed the value");
            }
        }
    }
}

/// A server on loopback answering every request with the body and status last set.
struct Replay {
    server: wiremock::MockServer,
    reply: Arc<Mutex<(u16, Vec<u8>)>>,
}

struct Current(Arc<Mutex<(u16, Vec<u8>)>>);

impl wiremock::Respond for Current {
    fn respond(&self, _: &wiremock::Request) -> wiremock::ResponseTemplate {
        let (status, body) = self.0.lock().unwrap().clone();
        wiremock::ResponseTemplate::new(status)
            .insert_header("content-type", "application/json")
            .set_body_raw(body, "application/json")
    }
}

impl Replay {
    async fn start() -> Replay {
        let server = wiremock::MockServer::start().await;
        let reply = Arc::new(Mutex::new((200, Vec::new())));
        wiremock::Mock::given(wiremock::matchers::any())
            .respond_with(Current(reply.clone()))
            .mount(&server)
            .await;
        Replay { server, reply }
    }

    fn set(&self, status: u16, body: Vec<u8>) {
        *self.reply.lock().unwrap() = (status, body);
    }
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
    })
}

fn client(provider: Provider, base: &str) -> AnyClient {
    let options = ClientOptions::default()
        .base_url(base)
        .retry(RetryConfig::disabled())
        .read_timeout(Duration::from_secs(2))
        .listing_limits(ListingLimits::default().with_max_pages(4));
    let credentials: Vec<Secret> = secrets(provider).into_iter().map(Secret::new).collect();
    let scope = provider.scope().map(|_| "ACC1");
    AnyClient::with_credentials(provider, &credentials, scope, options).unwrap()
}

const STATUSES: &[u16] = &[200, 200, 200, 400, 401, 404, 422, 500];

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(64), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn a_listing_ends_and_shows_no_credential_whatever_the_server_sends(
        (seed, mutations) in case(),
        status in proptest::sample::select(STATUSES),
    ) {
        static REPLAY: OnceLock<Replay> = OnceLock::new();
        let rt = runtime();
        let replay = REPLAY.get_or_init(|| rt.block_on(Replay::start()));
        let (provider, _, value) = &seeds()[seed];
        replay.set(status, mutate(*provider, value, &mutations));
        let client = client(*provider, &replay.server.uri());
        let pages = rt.block_on(async {
            tokio::time::timeout(Duration::from_secs(60), client.purchase_pages(Some(5)).collect::<Vec<_>>())
                .await
                .expect("a listing ends")
        });
        for page in pages {
            match page {
                Ok(page) => page.items.into_iter().for_each(|p| check_record(Ok(p))),
                Err(e) => {
                    let shown = format!("{e}\n{e:?}");
                    assert_clean(*provider, "client error", &shown);
                    assert_no_escape(&e.to_string());
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cli_cases(16), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn the_cli_prints_no_credential_and_no_raw_escape_whatever_the_server_sends(
        (seed, mutations) in case(),
        status in proptest::sample::select(STATUSES),
        format in proptest::sample::select(&["table", "jsonl", "csv", "json"][..]),
    ) {
        static REPLAY: OnceLock<Replay> = OnceLock::new();
        let rt = runtime();
        let replay = REPLAY.get_or_init(|| rt.block_on(Replay::start()));
        let (provider, _, value) = &seeds()[seed];
        replay.set(status, mutate(*provider, value, &mutations));
        let mut cmd = assert_cmd::Command::cargo_bin("purchases").unwrap();
        for (var, secret) in provider.credential_variables().iter().zip(secrets(*provider)) {
            cmd.env(var, secret);
        }
        cmd.args(["list", provider.name(), "--base-url", &replay.server.uri()])
            .args(["--format", format, "--max-pages", "4", "--page-size", "5"])
            .timeout(Duration::from_secs(120));
        if provider.scope().is_some() {
            cmd.args(["--account", "ACC1"]);
        }
        let o = cmd.output().unwrap();
        let (out, err) = (String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
        assert!(matches!(o.status.code(), Some(0 | 1)), "exit {:?}: {err}", o.status.code());
        assert_clean(*provider, "stdout", &out);
        assert_clean(*provider, "stderr", &err);
        assert_no_escape(err.trim_end_matches('\n'));
        if format != "jsonl" && format != "json" {
            assert!(!out.contains(['\u{1b}', '\u{7}']), "raw escape in {out:?}");
        }
    }
}
