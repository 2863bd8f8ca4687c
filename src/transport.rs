//! What every request goes through: authentication and retries.
//!
//! The generated clients carry an [`Inner`] value and call the crate's
//! `progenitor_client::ClientHooks` implementation for each request: `pre` adds the
//! provider's credentials, `exec` sends the request and retries transient failures with
//! exponential backoff and jitter (backon), honouring `Retry-After` and CoCalc's
//! "try again in N seconds". Nothing here is per-operation, so no generated method is wrapped.

use crate::secret::Secret;
use crate::Provider;
use backon::{ExponentialBuilder, Retryable};
use reqwest::header::{HeaderValue, AUTHORIZATION, RETRY_AFTER};
use std::time::{Duration, Instant, SystemTime};

/// How (and whether) transient failures are retried.
///
/// Transient: connection errors, timeouts, HTTP 429, 502, 503, 504, and CoCalc's throttle
/// reply. The wait before a retry is the server's `Retry-After` (seconds or HTTP date) or
/// CoCalc's stated delay when given, else exponential backoff with jitter. Retrying stops
/// after `max_attempts` attempts, or when the next wait would end past `max_elapsed` from
/// the first attempt; the last answer is then returned as an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryConfig {
    max_attempts: u32,
    max_elapsed: Duration,
    initial_backoff: Duration,
    max_backoff: Duration,
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

/// How a provider authenticates.
#[derive(Clone, Debug)]
pub(crate) enum Auth {
    /// `Authorization: Basic base64(key + ":")` (CoCalc).
    #[cfg_attr(not(feature = "cocalc"), allow(dead_code))]
    BasicKey(Secret),
    /// `Authorization: Bearer <token>` (Togai, Kit).
    #[cfg_attr(not(any(feature = "togai", feature = "kit")), allow(dead_code))]
    Bearer(Secret),
    /// `x-api-key: <key>` and `Authorization: Bearer <token>` (Subtotal).
    #[cfg_attr(not(feature = "subtotal"), allow(dead_code))]
    KeyAndBearer { key: Secret, token: Secret },
}

impl Auth {
    fn apply(&self, request: &mut reqwest::Request) {
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

    /// The secrets, to scrub them from anything shown to a user.
    pub(crate) fn secrets(&self) -> Vec<&str> {
        match self {
            Auth::BasicKey(s) | Auth::Bearer(s) => vec![s.expose()],
            Auth::KeyAndBearer { key, token } => vec![key.expose(), token.expose()],
        }
    }
}

/// The state every generated client carries: which provider, its credentials, and the
/// retry policy.
#[derive(Clone, Debug)]
pub struct Inner {
    pub(crate) provider: Provider,
    pub(crate) auth: Auth,
    pub(crate) retry: RetryConfig,
    /// Pages a listing fetches ahead of its consumer.
    pub(crate) prefetch: usize,
}

impl Inner {
    pub(crate) fn new(provider: Provider, auth: Auth, retry: RetryConfig) -> Self {
        Inner {
            provider,
            auth,
            retry,
            prefetch: crate::paginate::DEFAULT_PREFETCH,
        }
    }

    /// Replaces every credential in `text` with a redaction.
    pub(crate) fn scrub(&self, text: &str) -> String {
        let mut out = text.to_string();
        for secret in self.auth.secrets() {
            if secret.len() >= 4 {
                out = out.replace(secret, "***");
            }
        }
        out
    }
}

/// Adds the credentials to a request (the `pre` hook).
pub(crate) fn authenticate(inner: &Inner, request: &mut reqwest::Request) {
    inner.auth.apply(request);
}

/// A failed attempt worth retrying, and what it ended with.
struct Transient {
    outcome: reqwest::Result<reqwest::Response>,
    wait: Option<Duration>,
}

/// Sends `request`, retrying transient failures per `inner.retry` (the `exec` hook).
pub(crate) async fn execute(
    client: &reqwest::Client,
    inner: &Inner,
    request: reqwest::Request,
) -> reqwest::Result<reqwest::Response> {
    // A request whose body cannot be replayed gets one attempt.
    if request.try_clone().is_none() || inner.retry.max_attempts <= 1 {
        let outcome = client.execute(request).await;
        return match outcome {
            Ok(response) if inner.provider == Provider::CoCalc => {
                match classify_cocalc(response).await {
                    Ok(response) => Ok(response),
                    Err(t) => t.outcome,
                }
            }
            other => other,
        };
    }
    let retry = &inner.retry;
    let start = Instant::now();
    let backoff = ExponentialBuilder::default()
        .with_jitter()
        .with_min_delay(retry.initial_backoff)
        .with_max_delay(retry.max_backoff)
        .with_max_times(retry.max_attempts as usize - 1);
    let attempt = || async {
        let request = request.try_clone().expect("checked above");
        match client.execute(request).await {
            Err(e) if e.is_connect() || e.is_timeout() => Err(Transient {
                outcome: Err(e),
                wait: None,
            }),
            Err(e) => Ok(Err(e)),
            Ok(response) => match response.status().as_u16() {
                429 | 502 | 503 | 504 => {
                    let wait = retry_after(response.headers());
                    Err(Transient {
                        outcome: Ok(response),
                        wait,
                    })
                }
                _ if inner.provider == Provider::CoCalc => classify_cocalc(response).await.map(Ok),
                _ => Ok(Ok(response)),
            },
        }
    };
    let result = attempt
        .retry(backoff)
        .sleep(tokio::time::sleep)
        .adjust(|t: &Transient, backoff_wait| {
            // No wait from the backoff means the attempts are used up.
            let wait = backoff_wait.map(|b| t.wait.unwrap_or(b))?;
            (start.elapsed() + wait <= retry.max_elapsed).then_some(wait)
        })
        .await;
    match result {
        Ok(outcome) => outcome,
        Err(last) => last.outcome,
    }
}

/// CoCalc answers errors, throttling included, with HTTP 200 and `{"error": "..."}`; a
/// throttle reply is transient. The body is read and the response rebuilt around it.
async fn classify_cocalc(response: reqwest::Response) -> Result<reqwest::Response, Transient> {
    if response.status() != reqwest::StatusCode::OK {
        return Ok(response);
    }
    let status = response.status();
    let version = response.version();
    let headers = response.headers().clone();
    let body = match response.bytes().await {
        Ok(b) => b,
        Err(e) => {
            return Err(Transient {
                outcome: Err(e),
                wait: None,
            })
        }
    };
    let wait = cocalc_throttle_wait(&body);
    let mut rebuilt = http::Response::builder().status(status).version(version);
    if let Some(h) = rebuilt.headers_mut() {
        *h = headers;
    }
    let rebuilt: reqwest::Response = rebuilt
        .body(body)
        .expect("status, version and headers came from a valid response")
        .into();
    match wait {
        Some(wait) => Err(Transient {
            outcome: Ok(rebuilt),
            wait,
        }),
        None => Ok(rebuilt),
    }
}

/// For a CoCalc throttle reply, the delay it asks for (`Some(None)` when it names none).
pub(crate) fn cocalc_throttle_wait(body: &[u8]) -> Option<Option<Duration>> {
    #[derive(serde::Deserialize)]
    struct ErrorBody {
        error: String,
    }
    let message = serde_json::from_slice::<ErrorBody>(body).ok()?.error;
    if !message.to_ascii_lowercase().contains("too many requests") {
        return None;
    }
    Some(cocalc_delay(&message))
}

/// Reads "try again in N seconds" (N may be fractional) from a CoCalc error message.
pub(crate) fn cocalc_delay(message: &str) -> Option<Duration> {
    let rest = &message[message.find("try again in ")? + "try again in ".len()..];
    let number: String = rest
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    let secs: f64 = number.parse().ok()?;
    let unit = rest[number.len()..].trim_start();
    let secs = if unit.starts_with("minute") {
        secs * 60.0
    } else {
        secs
    };
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(86_400.0)))
}

/// The wait a `Retry-After` header asks for: delay-seconds or an HTTP date.
pub(crate) fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs.min(86_400)));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

/// Checks that `url` is `operation`'s path template under `base_url`, each `{parameter}`
/// filling exactly one non-empty segment. A parameter such as `..`, `.` or an empty string
/// would otherwise change which resource is asked for.
pub(crate) fn check_path(
    operations: &[(&str, &str, &str)],
    operation: &str,
    base_url: &str,
    url: &reqwest::Url,
) -> Result<(), String> {
    let Some((_, _, template)) = operations.iter().find(|(id, _, _)| *id == operation) else {
        return Ok(());
    };
    let base_path = reqwest::Url::parse(base_url)
        .map(|u| u.path().trim_end_matches('/').to_string())
        .unwrap_or_default();
    let changed = || {
        format!(
            "a path parameter of {operation} would change the request path ({template} became {})",
            url.path()
        )
    };
    let rest = url.path().strip_prefix(&base_path).ok_or_else(changed)?;
    let actual: Vec<&str> = rest.split('/').collect();
    let expected: Vec<&str> = template.split('/').collect();
    if actual.len() != expected.len() {
        return Err(changed());
    }
    for (a, e) in actual.iter().zip(&expected) {
        let is_param = e.starts_with('{') && e.ends_with('}');
        let ok = if is_param {
            !a.is_empty() && *a != "." && *a != ".."
        } else {
            a == e
        };
        if !ok {
            return Err(changed());
        }
    }
    Ok(())
}

/// Implements `ClientHooks<Inner>` for a generated `Client`: credentials in `pre`,
/// retries in `exec`.
#[allow(unused_macros)]
macro_rules! impl_client_hooks {
    () => {
        impl progenitor_client::ClientHooks<crate::transport::Inner> for Client {
            async fn pre<E>(
                &self,
                request: &mut reqwest::Request,
                info: &progenitor_client::OperationInfo,
            ) -> ::std::result::Result<(), progenitor_client::Error<E>> {
                crate::transport::check_path(
                    OPERATIONS,
                    info.operation_id,
                    &self.baseurl,
                    request.url(),
                )
                .map_err(progenitor_client::Error::InvalidRequest)?;
                crate::transport::authenticate(&self.inner, request);
                Ok(())
            }

            async fn exec(
                &self,
                request: reqwest::Request,
                _info: &progenitor_client::OperationInfo,
            ) -> reqwest::Result<reqwest::Response> {
                crate::transport::execute(&self.client, &self.inner, request).await
            }
        }
    };
}
#[allow(unused_imports)]
pub(crate) use impl_client_hooks;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let mut h = reqwest::header::HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(7)));
        let later = SystemTime::now() + Duration::from_secs(120);
        h.insert(
            RETRY_AFTER,
            HeaderValue::from_str(&httpdate::fmt_http_date(later)).unwrap(),
        );
        let wait = retry_after(&h).unwrap();
        assert!(
            wait > Duration::from_secs(110) && wait <= Duration::from_secs(120),
            "{wait:?}"
        );
        h.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&h), None);
    }

    #[test]
    fn cocalc_throttle_replies_are_recognized_with_their_delay() {
        let body = br#"{"error": "too many requests to purchases/get-purchases; try again in 3 seconds (rule: 3 per second)"}"#;
        assert_eq!(
            cocalc_throttle_wait(body),
            Some(Some(Duration::from_secs(3)))
        );
        let body = br#"{"error": "too many requests to purchases/get-purchases; try again in 1.5 minutes"}"#;
        assert_eq!(
            cocalc_throttle_wait(body),
            Some(Some(Duration::from_secs(90)))
        );
        assert_eq!(
            cocalc_throttle_wait(br#"{"error": "must be signed in"}"#),
            None
        );
        assert_eq!(cocalc_throttle_wait(br#"[{"id": 1}]"#), None);
        assert_eq!(cocalc_throttle_wait(b"not json"), None);
    }

    #[test]
    fn path_parameters_must_fill_exactly_their_segment() {
        let ops = &[("get", "GET", "/purchases/{id}")];
        let check = |base: &str, url: &str| {
            check_path(ops, "get", base, &reqwest::Url::parse(url).unwrap())
        };
        assert!(check("https://a.com", "https://a.com/purchases/p%2F1%3F%20x").is_ok());
        assert!(check("http://h:1/togai/", "http://h:1/togai/purchases/a..b").is_ok());
        assert!(
            check("https://a.com", "https://a.com/").is_err(),
            "`..` normalized away"
        );
        assert!(
            check("https://a.com", "https://a.com/purchases/").is_err(),
            "empty id"
        );
        assert!(check("https://a.com", "https://a.com/purchases/a/b").is_err());
        assert!(check("http://h:1/togai", "http://h:1/purchases/x").is_err());
        assert!(check_path(
            ops,
            "other",
            "https://a.com",
            &reqwest::Url::parse("https://a.com/x").unwrap()
        )
        .is_ok());
    }

    #[test]
    fn credentials_are_scrubbed_from_text() {
        let inner = Inner::new(
            Provider::Subtotal,
            Auth::KeyAndBearer {
                key: Secret::new("key-12345"),
                token: Secret::new("tok-67890"),
            },
            RetryConfig::standard(),
        );
        assert_eq!(
            inner.scrub("bad key-12345 and tok-67890"),
            "bad *** and ***"
        );
    }
}
