//! What every request goes through: authentication, redirects, bounded bodies and retries.
//!
//! The generated clients carry an [`Context`] value and call the crate's
//! `progenitor_client::ClientHooks` implementation for each request: `pre` adds the
//! provider's credentials (only for the configured origin), `exec` sends the request,
//! follows redirects (without credentials once one leaves the origin), reads the body
//! within a size limit and retries transient failures with exponential backoff and jitter
//! (backon), honouring `Retry-After` and the wait a provider's own throttle reply names.
//! Nothing here is per-operation, so no generated method is wrapped, and nothing here is
//! per-provider: what differs comes from the provider's [`crate::providers::ProviderApi`].

use crate::context::Context;
pub use crate::context::{Auth, RetryConfig};
use backon::{ExponentialBuilder, Retryable};
use reqwest::header::{AUTHORIZATION, RETRY_AFTER};
use std::time::{Duration, Instant, SystemTime};
use tracing::Instrument;

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

fn note(f: impl FnOnce(&mut CallState)) {
    let _ = CALL.try_with(|s| f(&mut s.borrow_mut()));
}

/// Runs one generated operation call, mapping its failure to the crate's [`crate::Error`]
/// with the operation and the status actually received; `typed` wraps the operation's
/// documented error body.
pub(crate) async fn call<T, E, Fut>(
    inner: &Context,
    typed: impl FnOnce(E) -> crate::ApiErrorBody,
    fut: Fut,
) -> Result<T, crate::Error>
where
    Fut: std::future::Future<
        Output = Result<progenitor_client::ResponseValue<T>, progenitor_client::Error<E>>,
    >,
    E: serde::Serialize + serde::de::DeserializeOwned,
    T: serde::de::DeserializeOwned,
{
    let (result, state) = CALL
        .scope(std::cell::RefCell::new(CallState::default()), async move {
            let result = fut.await;
            (result, CALL.with(|s| s.take()))
        })
        .await;
    match result {
        Ok(value) => Ok(value.into_inner()),
        Err(e) => {
            let located = match &e {
                progenitor_client::Error::InvalidResponsePayload(bytes, _) => locate::<T>(bytes),
                _ => None,
            };
            let mut err = from_progenitor(inner, e, typed, state).await;
            if let (Some(at), Error::Decode { reason, .. }) = (located, &mut err) {
                *reason = format!("{}: {reason}", inner.clean(&at));
            }
            Err(err)
        }
    }
}

/// Where in a body that does not decode as `T` the decoder stopped, for the error: the
/// field (`purchases[3].total`) and the record it belongs to, with the record's id when it
/// has one. Decoded a second time, only on this error path.
fn locate<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Option<String> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let path = match serde_path_to_error::deserialize::<_, T>(&mut de) {
        Ok(_) => return None,
        Err(e) => e.path().clone(),
    };
    let segments: Vec<&serde_path_to_error::Segment> = path.iter().collect();
    if segments.is_empty() {
        return None;
    }
    let mut at = format!("at {path}");
    // The record: the element of the first array on the way to the field.
    if let Some(i) = segments
        .iter()
        .position(|s| matches!(s, serde_path_to_error::Segment::Seq { .. }))
    {
        let Ok(body) = serde_json::from_slice::<serde_json::Value>(bytes) else {
            return Some(at);
        };
        let mut record = &body;
        for segment in &segments[..=i] {
            let next = match segment {
                serde_path_to_error::Segment::Seq { index } => record.get(*index),
                serde_path_to_error::Segment::Map { key } => record.get(key.as_str()),
                _ => None,
            };
            match next {
                Some(next) => record = next,
                None => return Some(at),
            }
        }
        if let serde_path_to_error::Segment::Seq { index } = segments[i] {
            at.push_str(&format!(", record {} of the page", index + 1));
        }
        let id = ["id", "purchase_id", "uuid", "transaction_id"]
            .iter()
            .find_map(|k| record.get(*k))
            .map(|v| match v {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            });
        if let Some(id) = id {
            at.push_str(&format!(" (id {id})"));
        }
    }
    Some(at)
}

/// Notes which operation the call on this task is (the `pre` hook).
pub(crate) fn note_operation(operation: &'static str) {
    note(|s| s.operation = Some(operation));
}

/// Adds the credentials to a request (the `pre` hook), only if it goes to the origin of
/// the configured base URL.
pub(crate) fn authenticate(inner: &Context, request: &mut reqwest::Request) {
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
    inner: &Context,
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
        note(|s| {
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
        .adjust(
            |(outcome, server_wait): &(reqwest::Result<reqwest::Response>, Option<Duration>),
             backoff_wait| {
                // No wait from the backoff means the attempts are used up.
                let wait = backoff_wait.map(|b| server_wait.unwrap_or(b))?;
                // A server that asks to slow down (429, a throttle reply, a Retry-After) asks
                // it of every request of this client, not only of this one.
                let throttled =
                    matches!(outcome, Ok(r) if matches!(r.status().as_u16(), 200 | 429));
                if throttled || server_wait.is_some() {
                    inner
                        .throttle
                        .hold_until(tokio::time::Instant::now() + wait);
                }
                let within = start.elapsed() + wait <= retry.max_elapsed;
                if !within {
                    set_not_retried("the next wait would pass the retry policy's time budget");
                }
                within.then_some(wait)
            },
        )
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
    inner: &Context,
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
    inner: &Context,
    request: reqwest::Request,
    operation: Operation<'_>,
) -> Attempt {
    inner.throttle.wait().await;
    let transient = |outcome, wait, timed_out| Attempt::Transient {
        outcome,
        wait,
        timed_out,
    };
    let sent =
        (!inner.recorders.is_empty()).then(|| (request.method().clone(), request.url().clone()));
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
    note(|s| s.status = Some(status));
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
    if let (Some((method, url)), Some(body), false) = (&sent, response_body(&response), too_large) {
        for recorder in &inner.recorders {
            let exchange = crate::recording::Exchange {
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
        note(|s| s.failure = Some(LocalFailure::BodyTooLarge { limit }));
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

/// Implements `ClientHooks<Context>` for a generated `Client`: credentials in `pre`,
/// redirects, bounded bodies and retries in `exec`, failures found there in `post`.
#[allow(unused_macros)]
macro_rules! impl_client_hooks {
    () => {
        impl progenitor_client::ClientHooks<crate::context::Context> for Client {
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
                crate::transport::note_operation(info.operation_id);
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

// --- Mapping a generated call's failure to the crate's error ------------------------------

use crate::error::Error;
use crate::ApiErrorBody;

/// Turns a generated client's error into the crate's. `state` is what the transport saw
/// (the status received, a failure of its own); `typed` wraps the operation's documented
/// error body. Every text from the server is cleaned ([`crate::context::Context::clean`]).
pub(crate) async fn from_progenitor<E>(
    inner: &crate::context::Context,
    err: progenitor_client::Error<E>,
    typed: impl FnOnce(E) -> ApiErrorBody,
    state: CallState,
) -> crate::Error
where
    E: serde::Serialize + serde::de::DeserializeOwned,
{
    use progenitor_client::Error as P;
    let provider = inner.provider;
    let operation = state.operation.unwrap_or("request");
    if let Some(LocalFailure::BodyTooLarge { limit }) = state.failure {
        return Error::ResponseTooLarge {
            provider,
            operation,
            limit,
        };
    }
    match err {
        P::InvalidRequest(m) => Error::InvalidArgument(inner.clean(&m)),
        P::CommunicationError(e) | P::ResponseBodyError(e) | P::InvalidUpgrade(e) => {
            match transport_error(inner, e) {
                Error::Transport { provider, message } => Error::Transport {
                    provider,
                    message: message + &state.retry_note(),
                },
                other => other,
            }
        }
        P::ErrorResponse(rv) => {
            let status = rv.status().as_u16();
            let retry_after = retry_after(rv.headers());
            let body = match inner.clean_typed(rv.into_inner()) {
                Ok(body) => typed(body),
                Err(text) => ApiErrorBody::Other(text),
            };
            classify_status(inner, operation, status, retry_after, body)
        }
        // An error status whose body is not the documented error body is still that error.
        P::InvalidResponsePayload(bytes, _) if state.status.is_some_and(|s| s >= 300) => {
            let status = state.status.unwrap_or_default();
            let body = ApiErrorBody::Other(inner.clean_bytes(&bytes));
            classify_status(inner, operation, status, None, body)
        }
        P::InvalidResponsePayload(bytes, e) => Error::Decode {
            provider,
            operation,
            status: state.status.unwrap_or(200),
            reason: inner.clean(&e.to_string()),
            excerpt: inner.clean_bytes(&bytes),
        },
        P::UnexpectedResponse(response) => {
            let status = response.status().as_u16();
            let retry_after = retry_after(response.headers());
            let body = response.bytes().await.unwrap_or_default();
            let body = ApiErrorBody::Other(inner.clean_bytes(&body));
            classify_status(inner, operation, status, retry_after, body)
        }
        P::Custom(m) => Error::Transport {
            provider,
            message: inner.clean(&m),
        },
    }
}

/// A request that did not complete: a timeout, or a transport error without its URL and
/// with credentials redacted, led by what kind of failure it was.
pub(crate) fn transport_error(inner: &crate::context::Context, e: reqwest::Error) -> Error {
    if e.is_timeout() {
        return Error::Timeout {
            provider: inner.provider,
        };
    }
    let kind = connection_failure(&e);
    let chain = inner.clean(&error_chain(&e.without_url()));
    Error::Transport {
        provider: inner.provider,
        message: match kind {
            Some(kind) => format!("{kind}: {chain}"),
            None => chain,
        },
    }
}

/// The error for an HTTP error status: refused credentials, rate limiting, or an API error
/// carrying the provider's body (already cleaned).
pub(crate) fn classify_status(
    inner: &crate::context::Context,
    operation: &'static str,
    status: u16,
    retry_after: Option<Duration>,
    body: ApiErrorBody,
) -> Error {
    let provider = inner.provider;
    match status {
        401 | 403 => Error::Unauthorized {
            provider,
            status,
            message: inner.clean(&body.to_string()),
        },
        429 => Error::RateLimited {
            provider,
            retry_after,
        },
        _ => Error::Api {
            provider,
            operation,
            status,
            body,
        },
    }
}

/// An error and its sources, on one line.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

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
}
