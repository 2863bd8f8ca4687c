//! What every request goes through: authentication, redirects, bounded bodies and retries.
//!
//! The generated clients carry an [`Inner`] value and call the crate's
//! `progenitor_client::ClientHooks` implementation for each request: `pre` adds the
//! provider's credentials (only for the configured origin), `exec` sends the request,
//! follows redirects (without credentials once one leaves the origin), reads the body
//! within a size limit and retries transient failures with exponential backoff and jitter
//! (backon), honouring `Retry-After` and the wait a provider's own throttle reply names.
//! Nothing here is per-operation, so no generated method is wrapped, and nothing here is
//! per-provider: what differs comes from the provider's [`crate::providers::ProviderApi`].

use crate::redact::Redactor;
use crate::secret::Secret;
use crate::Provider;
use backon::{ExponentialBuilder, Retryable};
use reqwest::header::{HeaderValue, AUTHORIZATION, RETRY_AFTER};
use std::time::{Duration, Instant, SystemTime};
use tracing::Instrument;

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

    /// The secrets, to redact them from anything shown to a user.
    pub(crate) fn secrets(&self) -> Vec<&str> {
        match self {
            Auth::BasicKey(s) | Auth::Bearer(s) => vec![s.expose()],
            Auth::KeyAndBearer { key, token } => vec![key.expose(), token.expose()],
        }
    }
}

/// How long server texts shown in errors may be, in characters.
pub(crate) const EXCERPT_CHARS: usize = 200;

/// The state every generated client carries: which provider, its credentials, the retry
/// policy and the bounds of a listing.
#[derive(Clone, Debug)]
pub struct Inner {
    pub(crate) provider: Provider,
    pub(crate) auth: Auth,
    pub(crate) retry: RetryConfig,
    /// Pages a listing fetches ahead of its consumer.
    pub(crate) prefetch: usize,
    /// When a listing gives up.
    pub(crate) limits: crate::paginate::ListingLimits,
    /// The largest response body read.
    pub(crate) max_body_bytes: usize,
    /// The origin credentials may be sent to (the base URL's).
    pub(crate) origin: Option<url::Origin>,
    /// The provider's throttle replies, told apart by status and body.
    pub(crate) throttled: fn(u16, &[u8]) -> Option<Option<Duration>>,
    /// Where replies are recorded, if anywhere.
    pub(crate) recorder: Option<crate::record::Recorder>,
    redactor: Redactor,
}

impl Inner {
    pub(crate) fn new(provider: Provider, auth: Auth, retry: RetryConfig) -> Self {
        let redactor = Redactor::new(auth.secrets());
        Inner {
            provider,
            auth,
            retry,
            prefetch: crate::paginate::DEFAULT_PREFETCH,
            limits: crate::paginate::ListingLimits::default(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            origin: None,
            throttled: |_, _| None,
            recorder: None,
            redactor,
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

    /// [`Inner::clean`] for a body that may not be UTF-8.
    pub(crate) fn clean_bytes(&self, body: &[u8]) -> String {
        self.clean(&String::from_utf8_lossy(body))
    }

    /// A typed error body with every string in it cleaned like [`Inner::clean`] (longer
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

/// What happened to one call of an operation, for the error that reports it: the status
/// received (when one was) and failures found here rather than by reqwest.
#[derive(Debug, Default)]
pub(crate) struct CallState {
    /// The operation, as progenitor names it (`OperationInfo::operation_id`).
    pub operation: Option<&'static str>,
    pub status: Option<u16>,
    pub failure: Option<LocalFailure>,
    /// How many attempts were made.
    pub attempts: u32,
    /// Why the last failure was not retried, when it was not for want of attempts.
    pub not_retried: Option<&'static str>,
}

impl CallState {
    /// What a transport error's message adds about the retries: how many attempts were
    /// made, or why none more was.
    pub(crate) fn retry_note(&self) -> String {
        match (self.not_retried, self.attempts) {
            (Some(why), _) => format!(" (not retried: {why})"),
            (None, n) if n > 1 => format!(" (after {n} attempts, the retry policy's limit)"),
            _ => String::new(),
        }
    }
}

/// A failure the transport found itself.
#[derive(Debug, Clone, Copy)]
pub(crate) enum LocalFailure {
    /// The body was larger than the limit.
    BodyTooLarge { limit: usize },
}

tokio::task_local! {
    /// The call being made on this task, if it was made through [`call`].
    static CALL: std::cell::RefCell<CallState>;
}

fn record(f: impl FnOnce(&mut CallState)) {
    let _ = CALL.try_with(|s| f(&mut s.borrow_mut()));
}

/// Runs one generated operation call, mapping its failure to the crate's [`crate::Error`]
/// with the operation and the status actually received; `typed` wraps the operation's
/// documented error body.
pub(crate) async fn call<T, E, Fut>(
    inner: &Inner,
    typed: impl FnOnce(E) -> crate::ApiErrorBody,
    fut: Fut,
) -> Result<T, crate::Error>
where
    Fut: std::future::Future<
        Output = Result<progenitor_client::ResponseValue<T>, progenitor_client::Error<E>>,
    >,
    E: serde::Serialize + serde::de::DeserializeOwned,
{
    let (result, state) = CALL
        .scope(std::cell::RefCell::new(CallState::default()), async move {
            let result = fut.await;
            (result, CALL.with(|s| s.take()))
        })
        .await;
    match result {
        Ok(value) => Ok(value.into_inner()),
        Err(e) => Err(crate::error::from_progenitor(inner, e, typed, state).await),
    }
}

/// Notes which operation the call on this task is (the `pre` hook).
pub(crate) fn record_operation(operation: &'static str) {
    record(|s| s.operation = Some(operation));
}

/// Adds the credentials to a request (the `pre` hook), only if it goes to the origin of
/// the configured base URL.
pub(crate) fn authenticate(inner: &Inner, request: &mut reqwest::Request) {
    if inner
        .origin
        .as_ref()
        .is_none_or(|o| *o == request.url().origin())
    {
        inner.auth.apply(request);
    }
}

/// How one attempt ended.
enum Attempt {
    /// Final: a response (its body read) or an error not worth retrying.
    Done(reqwest::Result<reqwest::Response>),
    /// Worth retrying after `wait` (or the backoff's own wait).
    Transient {
        outcome: reqwest::Result<reqwest::Response>,
        wait: Option<Duration>,
        timed_out: bool,
    },
}

/// The most redirects followed for one request.
const MAX_REDIRECTS: usize = 5;

/// Which operation a request belongs to, for its tracing span: never its query values or
/// headers, which may carry a credential.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Operation<'a> {
    /// The operation id.
    pub id: &'a str,
    /// The path template (`/accounts/{account_id}/purchases`).
    pub template: &'a str,
}

impl<'a> Operation<'a> {
    /// `id` with its path template from a generated `OPERATIONS` table.
    pub(crate) fn of(operations: &[(&str, &str, &'a str)], id: &'a str) -> Self {
        let template = operations
            .iter()
            .find(|(op, _, _)| *op == id)
            .map_or("", |(_, _, t)| t);
        Operation { id, template }
    }
}

/// Sends `request` (the `exec` hook): follows redirects (dropping every credential when
/// one leaves the origin), reads the whole body within `inner.max_body_bytes`, and retries
/// transient failures per `inner.retry`. The response returned holds its body in memory.
///
/// Each attempt runs in a `request` tracing span (provider, operation, attempt, method,
/// path template) holding its outcome as events; a retry is an event between two attempts'
/// spans, carrying the provider and operation itself (reason, wait).
pub(crate) async fn execute(
    client: &reqwest::Client,
    inner: &Inner,
    request: reqwest::Request,
    operation: Operation<'_>,
) -> reqwest::Result<reqwest::Response> {
    let attempts = std::sync::atomic::AtomicU32::new(0);
    let traced = |request| {
        let n = attempts.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        let span = tracing::info_span!(
            "request",
            provider = %inner.provider,
            operation = operation.id,
            attempt = n,
            method = %reqwest::Request::method(&request),
            path = operation.template,
            status = tracing::field::Empty,
        );
        attempt(client, inner, request, operation).instrument(span)
    };
    let not_retried = std::sync::Mutex::new(None::<&'static str>);
    let set_not_retried = |why| *not_retried.lock().unwrap_or_else(|e| e.into_inner()) = Some(why);
    let finish = |outcome: reqwest::Result<reqwest::Response>| {
        let why = *not_retried.lock().unwrap_or_else(|e| e.into_inner());
        let n = attempts.load(std::sync::atomic::Ordering::Relaxed);
        record(|s| {
            s.attempts = n;
            s.not_retried = why;
        });
        outcome
    };
    // A request whose body cannot be replayed gets one attempt.
    let single = if request.try_clone().is_none() {
        Some("the request body cannot be sent twice")
    } else if inner.retry.max_attempts <= 1 {
        Some("retries are disabled")
    } else {
        None
    };
    if let Some(why) = single {
        return finish(match traced(request).await {
            Attempt::Done(outcome) => outcome,
            Attempt::Transient { outcome, .. } => {
                set_not_retried(why);
                outcome
            }
        });
    }
    let retry = &inner.retry;
    let start = Instant::now();
    let backoff = ExponentialBuilder::default()
        .with_jitter()
        .with_min_delay(retry.initial_backoff)
        .with_max_delay(retry.max_backoff)
        .with_max_times(retry.max_attempts as usize - 1);
    let timeouts = std::sync::atomic::AtomicU32::new(0);
    let one = || async {
        let request = request.try_clone().expect("checked above");
        match traced(request).await {
            Attempt::Done(Err(e)) => {
                set_not_retried("a failure that sending again cannot fix");
                Ok(Err(e))
            }
            Attempt::Done(outcome) => Ok(outcome),
            // A server that stalls twice will likely stall again: one timeout is retried.
            Attempt::Transient {
                outcome,
                timed_out: true,
                ..
            } if timeouts.fetch_add(1, std::sync::atomic::Ordering::Relaxed) >= 1 => {
                set_not_retried("a second timeout: the server stalls");
                Ok(outcome)
            }
            Attempt::Transient { outcome, wait, .. } => Err((outcome, wait)),
        }
    };
    let result = one
        .retry(backoff)
        .sleep(tokio::time::sleep)
        .adjust(|(_, server_wait): &(_, Option<Duration>), backoff_wait| {
            // No wait from the backoff means the attempts are used up.
            let wait = backoff_wait.map(|b| server_wait.unwrap_or(b))?;
            let within = start.elapsed() + wait <= retry.max_elapsed;
            if !within {
                set_not_retried("the next wait would pass the retry policy's time budget");
            }
            within.then_some(wait)
        })
        .notify(
            |(outcome, _): &(reqwest::Result<reqwest::Response>, _), wait| {
                tracing::info!(
                    provider = %inner.provider,
                    operation = operation.id,
                    reason = %transient_reason(outcome),
                    wait_ms = wait.as_millis() as u64,
                    "retrying"
                );
            },
        )
        .await;
    finish(match result {
        Ok(outcome) => outcome,
        Err((outcome, _)) => outcome,
    })
}

/// Why an attempt is retried, in words (no URL: it may carry a credential).
fn transient_reason(outcome: &reqwest::Result<reqwest::Response>) -> String {
    match outcome {
        Ok(r) if r.status() == reqwest::StatusCode::OK => "throttled (HTTP 200 error reply)".into(),
        Ok(r) => format!("HTTP {}", r.status().as_u16()),
        Err(e) => error_kind(e).into(),
    }
}

/// What kind of failure a reqwest error is, without its URL or message.
fn error_kind(e: &reqwest::Error) -> &'static str {
    connection_failure(e).unwrap_or(if e.is_redirect() {
        "redirect"
    } else {
        "transport error"
    })
}

/// Why a request that failed before its response was whole is worth another attempt: the
/// connection failed, closed or was reset under it (a keep-alive connection the server or
/// a proxy closed just as the request left, a refused connection, a TLS handshake or a body
/// cut off), or it timed out. `None` for a failure that sending again cannot fix (a request
/// that cannot be built, a redirect loop).
pub(crate) fn connection_failure(e: &reqwest::Error) -> Option<&'static str> {
    if e.is_timeout() {
        return Some("timed out");
    }
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if let Some(h) = s.downcast_ref::<hyper::Error>() {
            if h.is_incomplete_message() {
                return Some("the connection closed before the response");
            }
            if h.is_canceled() || h.is_closed() {
                return Some("the connection closed before the request was sent");
            }
            if h.is_body_write_aborted() {
                return Some("the connection closed while the request was sent");
            }
            if h.is_timeout() {
                return Some("timed out");
            }
        }
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind as K;
            let reason = match io.kind() {
                K::ConnectionRefused => Some("the connection was refused"),
                K::ConnectionReset => Some("the connection was reset"),
                K::ConnectionAborted => Some("the connection was aborted"),
                K::BrokenPipe | K::NotConnected => Some("the connection broke"),
                K::UnexpectedEof => Some("the connection closed mid-way"),
                K::TimedOut => Some("timed out"),
                _ => None,
            };
            if reason.is_some() {
                return reason;
            }
        }
        source = s.source();
    }
    if e.is_connect() {
        Some("the connection failed")
    } else if e.is_body() || e.is_decode() {
        Some("the body was cut off")
    } else {
        None
    }
}

/// One attempt: send (following redirects), read the body, classify.
async fn attempt(
    client: &reqwest::Client,
    inner: &Inner,
    request: reqwest::Request,
    operation: Operation<'_>,
) -> Attempt {
    let started = Instant::now();
    let outcome = attempt_untraced(client, inner, request, operation).await;
    let elapsed_ms = started.elapsed().as_millis() as u64;
    match &outcome {
        Attempt::Done(Ok(r)) | Attempt::Transient { outcome: Ok(r), .. } => {
            tracing::Span::current().record("status", r.status().as_u16());
            tracing::debug!(status = r.status().as_u16(), elapsed_ms, "response");
        }
        Attempt::Done(Err(e))
        | Attempt::Transient {
            outcome: Err(e), ..
        } => {
            tracing::debug!(error = error_kind(e), elapsed_ms, "failed");
        }
    }
    outcome
}

async fn attempt_untraced(
    client: &reqwest::Client,
    inner: &Inner,
    request: reqwest::Request,
    operation: Operation<'_>,
) -> Attempt {
    let transient = |outcome, wait, timed_out| Attempt::Transient {
        outcome,
        wait,
        timed_out,
    };
    let sent = inner
        .recorder
        .as_ref()
        .map(|_| (request.method().clone(), request.url().clone()));
    let response = match send(client, request).await {
        Ok(r) => r,
        // The connection failed or closed under the request: every operation here reads,
        // so sending it again cannot do anything twice.
        Err(e) if connection_failure(&e).is_some() => {
            let timed_out = e.is_timeout();
            return transient(Err(e), None, timed_out);
        }
        Err(e) => return Attempt::Done(Err(e)),
    };
    let status = response.status().as_u16();
    record(|s| s.status = Some(status));
    let response = match read_body(response, inner.max_body_bytes).await {
        Ok(r) => r,
        // A body cut off or stalled mid-way is worth another try.
        Err(e) => {
            let timed_out = e.is_timeout();
            return transient(Err(e), None, timed_out);
        }
    };
    // A body over the limit was not read: there is no reply to keep.
    let too_large = CALL
        .try_with(|s| s.borrow().failure.is_some())
        .unwrap_or(false);
    if let (Some(recorder), Some((method, url)), Some(body), false) =
        (&inner.recorder, &sent, response_body(&response), too_large)
    {
        let exchange = crate::record::Exchange {
            provider: inner.provider,
            operation: operation.id,
            method: method.as_str(),
            template: operation.template,
            url,
            status,
            headers: response.headers(),
            body,
        };
        recorder.save(exchange, &inner.redactor);
    }
    match status {
        429 | 500 | 502 | 503 | 504 => {
            let wait = retry_after(response.headers());
            transient(Ok(response), wait, false)
        }
        _ => match response_body(&response).and_then(|b| (inner.throttled)(status, b)) {
            Some(wait) => transient(Ok(response), wait, false),
            None => Attempt::Done(Ok(response)),
        },
    }
}

/// Sends `request`, following up to [`MAX_REDIRECTS`] redirects. A redirect to another
/// origin is followed without any credential header: reqwest itself would keep custom ones
/// such as `x-api-key`.
async fn send(
    client: &reqwest::Client,
    request: reqwest::Request,
) -> reqwest::Result<reqwest::Response> {
    let origin = request.url().origin();
    let mut request = request;
    for _ in 0..MAX_REDIRECTS {
        let retry = request.try_clone();
        let response = client.execute(request).await?;
        let location = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|l| l.to_str().ok())
            .and_then(|l| response.url().join(l).ok());
        let (Some(mut next), Some(location), true) =
            (retry, location, response.status().is_redirection())
        else {
            return Ok(response);
        };
        let status = response.status().as_u16();
        if status == 303 || (matches!(status, 301 | 302) && next.method() == reqwest::Method::POST)
        {
            *next.method_mut() = reqwest::Method::GET;
            *next.body_mut() = None;
            next.headers_mut().remove(reqwest::header::CONTENT_TYPE);
            next.headers_mut().remove(reqwest::header::CONTENT_LENGTH);
        }
        if location.origin() != origin {
            strip_credentials(next.headers_mut());
        }
        *next.url_mut() = location;
        request = next;
    }
    client.execute(request).await
}

/// Removes every header that carries a credential: those marked sensitive (all of this
/// crate's), and the standard ones in case a caller added their own.
fn strip_credentials(headers: &mut reqwest::header::HeaderMap) {
    let sensitive: Vec<reqwest::header::HeaderName> = headers
        .iter()
        .filter(|(_, v)| v.is_sensitive())
        .map(|(k, _)| k.clone())
        .collect();
    for name in sensitive {
        headers.remove(name);
    }
    for name in [
        AUTHORIZATION,
        reqwest::header::COOKIE,
        reqwest::header::PROXY_AUTHORIZATION,
    ] {
        headers.remove(name);
    }
    headers.remove("x-api-key");
}

/// The body of a response rebuilt by [`read_body`].
fn response_body(response: &reqwest::Response) -> Option<&[u8]> {
    response.extensions().get::<Body>().map(|b| b.0.as_ref())
}

/// A copy of the body kept beside it, so a classifier can look without consuming it.
#[derive(Clone)]
struct Body(bytes::Bytes);

/// Reads the whole body, at most `limit` bytes, and rebuilds the response around it.
async fn read_body(
    mut response: reqwest::Response,
    limit: usize,
) -> reqwest::Result<reqwest::Response> {
    let announced = response.content_length().unwrap_or(0) as usize;
    let status = response.status();
    let version = response.version();
    let headers = std::mem::take(response.headers_mut());
    let mut body = Vec::with_capacity(announced.min(limit));
    let mut too_large = announced > limit;
    while !too_large {
        match response.chunk().await? {
            Some(chunk) if body.len() + chunk.len() > limit => too_large = true,
            Some(chunk) => body.extend_from_slice(&chunk),
            None => break,
        }
    }
    let body = if too_large {
        record(|s| s.failure = Some(LocalFailure::BodyTooLarge { limit }));
        bytes::Bytes::new()
    } else {
        bytes::Bytes::from(body)
    };
    let mut rebuilt = http::Response::builder().status(status).version(version);
    if let Some(h) = rebuilt.headers_mut() {
        *h = headers;
    }
    let mut rebuilt = rebuilt
        .body(body.clone())
        .expect("status, version and headers came from a valid response");
    rebuilt.extensions_mut().insert(Body(body));
    if too_large {
        rebuilt
            .extensions_mut()
            .insert(LocalFailure::BodyTooLarge { limit });
    }
    Ok(rebuilt.into())
}

/// The `post` hook: a failure found while reading the body fails the call. (The error type
/// is the one the hook must return.)
#[allow(clippy::result_large_err)]
pub(crate) fn check_response<E>(
    result: &reqwest::Result<reqwest::Response>,
) -> Result<(), progenitor_client::Error<E>> {
    match result
        .as_ref()
        .ok()
        .and_then(|r| r.extensions().get::<LocalFailure>())
    {
        Some(LocalFailure::BodyTooLarge { limit }) => Err(progenitor_client::Error::Custom(
            format!("the response body is larger than {limit} bytes"),
        )),
        None => Ok(()),
    }
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
/// redirects, bounded bodies and retries in `exec`, failures found there in `post`.
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
                crate::transport::record_operation(info.operation_id);
                crate::transport::authenticate(&self.inner, request);
                Ok(())
            }

            async fn post<E>(
                &self,
                result: &reqwest::Result<reqwest::Response>,
                _info: &progenitor_client::OperationInfo,
            ) -> ::std::result::Result<(), progenitor_client::Error<E>> {
                crate::transport::check_response(result)
            }

            async fn exec(
                &self,
                request: reqwest::Request,
                info: &progenitor_client::OperationInfo,
            ) -> reqwest::Result<reqwest::Response> {
                let operation = crate::transport::Operation::of(OPERATIONS, info.operation_id);
                crate::transport::execute(&self.client, &self.inner, request, operation).await
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
        let Some(provider) = Provider::ALL.first().copied() else {
            return;
        };
        let inner = Inner::new(
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
