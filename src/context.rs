//! The client context: what every request of one client shares — which provider, its
//! credentials and how they go on the wire, the retry policy, the bounds of a listing, the
//! recorder and the redactor that keeps credentials out of everything shown.
//!
//! Generated clients carry a [`Context`] (progenitor's `inner`); the transport, the pager and
//! the error mapping read it. It depends on none of them.

use crate::redact::Redactor;
use crate::secret::Secret;
use crate::Provider;
use reqwest::header::{HeaderValue, AUTHORIZATION};
use std::time::Duration;

/// How (and whether) transient failures are retried.
///
/// Transient: connection errors, timeouts, a body cut off mid-way, HTTP 429, 500, 502, 503,
/// 504, and a provider's own throttle reply (every operation the crate calls is a read, a
/// read sent as `POST` included, so a retry cannot do anything twice). A timeout is retried
/// once: a server that stalls twice in a row is not waited on a third time. The wait before a retry is the server's `Retry-After` (seconds or HTTP date) or
/// the delay the provider's throttle reply states, else exponential backoff with jitter. Retrying stops
/// after `max_attempts` attempts, or when the next wait would end past `max_elapsed` from
/// the first attempt; the last answer is then returned as an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryConfig {
    pub(crate) max_attempts: u32,
    pub(crate) max_elapsed: Duration,
    pub(crate) initial_backoff: Duration,
    pub(crate) max_backoff: Duration,
}

impl Default for RetryConfig {
    fn default() -> Self {
        Self::standard()
    }
}

impl RetryConfig {
    /// Four attempts within a minute, backoff from 200 ms up to 10 s.
    pub fn standard() -> Self {
        RetryConfig {
            max_attempts: 4,
            max_elapsed: Duration::from_secs(60),
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(10),
        }
    }

    /// One attempt, no retry.
    pub fn disabled() -> Self {
        RetryConfig {
            max_attempts: 1,
            ..Self::standard()
        }
    }

    /// At most `n` attempts in all (1 disables retries).
    pub fn with_max_attempts(mut self, n: u32) -> Self {
        self.max_attempts = n.max(1);
        self
    }

    /// At most this long from the first attempt to the start of the last.
    pub fn with_max_elapsed(mut self, d: Duration) -> Self {
        self.max_elapsed = d;
        self
    }

    /// The first backoff wait (doubled on each retry, with jitter).
    pub fn with_initial_backoff(mut self, d: Duration) -> Self {
        self.initial_backoff = d;
        self
    }

    /// The longest backoff wait.
    pub fn with_max_backoff(mut self, d: Duration) -> Self {
        self.max_backoff = d;
        self
    }

    /// The configured maximum number of attempts.
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }
}

/// How a provider's credentials go on the wire.
#[derive(Clone, Debug)]
#[allow(dead_code)] // each scheme is used by the providers compiled in
pub enum Auth {
    /// `Authorization: Basic base64(key + ":")`: the key as the user, no password.
    BasicKey(Secret),
    /// `Authorization: Bearer <token>`.
    Bearer(Secret),
    /// `x-api-key: <key>` and `Authorization: Bearer <token>`.
    KeyAndBearer {
        /// The API key.
        key: Secret,
        /// The bearer token.
        token: Secret,
    },
}

impl Auth {
    /// Adds the credential headers, each marked sensitive (so that a redirect off the
    /// origin drops them, and `Debug` of the request hides them).
    pub(crate) fn apply(&self, request: &mut reqwest::Request) {
        let headers = request.headers_mut();
        let sensitive = |v: String| {
            let mut value =
                HeaderValue::from_str(&v).unwrap_or_else(|_| HeaderValue::from_static(""));
            value.set_sensitive(true);
            value
        };
        match self {
            Auth::BasicKey(key) => {
                use base64::Engine;
                let encoded =
                    base64::engine::general_purpose::STANDARD.encode(format!("{}:", key.expose()));
                headers.insert(AUTHORIZATION, sensitive(format!("Basic {encoded}")));
            }
            Auth::Bearer(token) => {
                headers.insert(
                    AUTHORIZATION,
                    sensitive(format!("Bearer {}", token.expose())),
                );
            }
            Auth::KeyAndBearer { key, token } => {
                headers.insert("x-api-key", sensitive(key.expose().to_string()));
                headers.insert(
                    AUTHORIZATION,
                    sensitive(format!("Bearer {}", token.expose())),
                );
            }
        }
    }

    /// The secrets, to redact them from anything shown to a user.
    pub(crate) fn secrets(&self) -> Vec<&str> {
        match self {
            Auth::BasicKey(s) | Auth::Bearer(s) => vec![s.expose()],
            Auth::KeyAndBearer { key, token } => vec![key.expose(), token.expose()],
        }
    }
}

/// When a listing gives up on a server that never says it is done.
///
/// A server that answers every page with a fresh cursor, or with empty pages that still
/// say "more", would otherwise keep a listing going forever. Each bound ends the listing
/// with [`Error::ListingLimit`] naming the provider and the bound; none of them ever ends a
/// listing quietly, as if it were complete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListingLimits {
    pub(crate) max_pages: u64,
    pub(crate) max_time: Duration,
    pub(crate) max_empty_pages: u32,
}

impl Default for ListingLimits {
    /// 10,000 pages (10 million purchases at 1000 a page, half a million at 50), one hour,
    /// and three empty pages in a row that still say "more".
    fn default() -> Self {
        ListingLimits {
            max_pages: 10_000,
            max_time: Duration::from_secs(3600),
            max_empty_pages: 3,
        }
    }
}

impl ListingLimits {
    /// At most `n` pages (requests for pages) per listing; a server that still says
    /// "more" after them is an error.
    pub fn with_max_pages(mut self, n: u64) -> Self {
        self.max_pages = n.max(1);
        self
    }

    /// At most this long from the first request of a listing to its end, including the
    /// time the consumer takes; a request still running then is cancelled.
    pub fn with_max_time(mut self, d: Duration) -> Self {
        self.max_time = d;
        self
    }

    /// At most `n` empty pages in a row that still carry a cursor to a next page.
    pub fn with_max_empty_pages(mut self, n: u32) -> Self {
        self.max_empty_pages = n;
        self
    }

    /// The most pages per listing.
    pub fn max_pages(&self) -> u64 {
        self.max_pages
    }

    /// The longest a listing may take.
    pub fn max_time(&self) -> Duration {
        self.max_time
    }

    /// The most empty pages in a row that still say "more".
    pub fn max_empty_pages(&self) -> u32 {
        self.max_empty_pages
    }
}

/// How long server texts shown in errors may be, in characters.
pub(crate) const EXCERPT_CHARS: usize = 200;

/// The state every generated client carries: which provider, its credentials, the retry
/// policy and the bounds of a listing.
#[derive(Clone, Debug)]
pub struct Context {
    pub(crate) provider: Provider,
    pub(crate) auth: Auth,
    pub(crate) retry: RetryConfig,
    /// Pages a listing fetches ahead of its consumer.
    pub(crate) prefetch: usize,
    /// When a listing gives up.
    pub(crate) limits: ListingLimits,
    /// The largest response body read.
    pub(crate) max_body_bytes: usize,
    /// The origin credentials may be sent to (the base URL's).
    pub(crate) origin: Option<url::Origin>,
    /// The provider's throttle replies, told apart by status and body.
    pub(crate) throttled: fn(u16, &[u8]) -> Option<Option<Duration>>,
    /// Where replies are recorded, if anywhere.
    pub(crate) recorders: Vec<crate::recording::Recorder>,
    pub(crate) redactor: Redactor,
    /// When the server last asked to slow down, shared by every clone of the client: a
    /// 429 or a throttle reply to one request holds back all of them.
    pub(crate) throttle: std::sync::Arc<Throttle>,
}

/// No request of a client leaves before the time its server last asked it to wait until.
#[derive(Debug, Default)]
pub(crate) struct Throttle(std::sync::Mutex<Option<tokio::time::Instant>>);

impl Throttle {
    /// Holds every request back until `until` (a later hold wins).
    pub(crate) fn hold_until(&self, until: tokio::time::Instant) {
        let mut held = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if held.is_none_or(|t| t < until) {
            *held = Some(until);
        }
    }

    /// Waits out the current hold, if any.
    pub(crate) async fn wait(&self) {
        let held = *self.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(until) = held {
            tokio::time::sleep_until(until).await;
        }
    }
}

impl Context {
    pub(crate) fn new(provider: Provider, auth: Auth, retry: RetryConfig) -> Self {
        let redactor = Redactor::new(auth.secrets());
        Context {
            provider,
            auth,
            retry,
            prefetch: crate::paginate::DEFAULT_PREFETCH,
            limits: ListingLimits::default(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            origin: None,
            throttled: |_, _| None,
            recorders: Vec::new(),
            redactor,
            throttle: Default::default(),
        }
    }

    /// `text` from a server made safe to show: every form of every credential redacted,
    /// control characters escaped, then cut to [`EXCERPT_CHARS`].
    pub(crate) fn clean(&self, text: &str) -> String {
        self.redactor.clean(text, EXCERPT_CHARS)
    }

    /// Finds every form of this client's credentials in text (see [`Redactor`]).
    pub fn redactor(&self) -> &Redactor {
        &self.redactor
    }

    /// [`Context::clean`] for a body that may not be UTF-8.
    pub(crate) fn clean_bytes(&self, body: &[u8]) -> String {
        self.clean(&String::from_utf8_lossy(body))
    }

    /// A typed error body with every string in it cleaned like [`Context::clean`] (longer
    /// strings allowed), or, if it no longer fits its type, its cleaned JSON text.
    pub(crate) fn clean_typed<T>(&self, body: T) -> Result<T, String>
    where
        T: serde::Serialize + serde::de::DeserializeOwned,
    {
        const FIELD_CHARS: usize = 1000;
        fn walk(v: &mut serde_json::Value, f: &mut dyn FnMut(&mut String)) {
            match v {
                serde_json::Value::String(s) => f(s),
                serde_json::Value::Array(a) => a.iter_mut().for_each(|c| walk(c, f)),
                serde_json::Value::Object(o) => o.values_mut().for_each(|c| walk(c, f)),
                _ => {}
            }
        }
        let Ok(mut value) = serde_json::to_value(&body) else {
            return Err(String::new());
        };
        let mut changed = false;
        walk(&mut value, &mut |s| {
            let cleaned = self.redactor.clean(s, FIELD_CHARS);
            if cleaned != *s {
                *s = cleaned;
                changed = true;
            }
        });
        if !changed {
            return Ok(body);
        }
        serde_json::from_value(value.clone()).map_err(|_| self.clean(&value.to_string()))
    }
}

/// The largest response body a client reads unless told otherwise: 64 MiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 64 << 20;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_scrubbed_from_text() {
        let Some(provider) = Provider::ALL.first().copied() else {
            return;
        };
        let inner = Context::new(
            provider,
            Auth::KeyAndBearer {
                key: Secret::new("key-12345"),
                token: Secret::new("tok-67890"),
            },
            RetryConfig::standard(),
        );
        assert_eq!(
            inner.clean("bad key-12345 and tok-67890"),
            "bad *** and ***"
        );
    }
}
