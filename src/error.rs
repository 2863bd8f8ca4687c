//! The crate's error type.

use crate::{ApiErrorBody, Provider};
use std::time::Duration;

/// Everything that can go wrong talking to a provider, in variants a caller can act on.
///
/// No variant's `Display` or `Debug` contains a credential.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The provider refused the credentials (401/403, or the provider's own way of saying
    /// so).
    #[error("{provider}: authentication refused (HTTP {status}): {message}")]
    Unauthorized {
        /// Which provider.
        provider: Provider,
        /// The HTTP status (200 where the provider answers errors as data).
        status: u16,
        /// What the provider said.
        message: String,
    },
    /// Rate limited, still after the configured retries.
    #[error("{provider}: rate limited{}", match retry_after { Some(d) => format!("; the server asks to wait {} s", d.as_secs_f64()), None => String::new() })]
    RateLimited {
        /// Which provider.
        provider: Provider,
        /// How long the server asked to wait, if it said.
        retry_after: Option<Duration>,
    },
    /// The provider answered with an error.
    #[error("{provider} {operation}: HTTP {status}: {body}")]
    Api {
        /// Which provider.
        provider: Provider,
        /// Which operation.
        operation: &'static str,
        /// The HTTP status (200 where the provider answers errors as data).
        status: u16,
        /// The provider's error body.
        body: ApiErrorBody,
    },
    /// The response could not be decoded into the documented type.
    #[error("{provider} {operation}: undecodable response (HTTP {status}): {reason}; body starts: {excerpt}")]
    Decode {
        /// Which provider.
        provider: Provider,
        /// Which operation.
        operation: &'static str,
        /// The HTTP status.
        status: u16,
        /// Why it could not be decoded.
        reason: String,
        /// The start of the body.
        excerpt: String,
    },
    /// The request did not complete (connection refused, reset, TLS failure).
    #[error("{provider}: transport error: {message}")]
    Transport {
        /// Which provider.
        provider: Provider,
        /// What failed.
        message: String,
    },
    /// The request timed out, still after the configured retries.
    #[error("{provider}: timed out")]
    Timeout {
        /// Which provider.
        provider: Provider,
    },
    /// An argument was out of the API's bounds; nothing was sent.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// A credential is missing from the environment.
    #[error("missing credential: set the environment variable {variable}")]
    MissingCredential {
        /// The variable to set.
        variable: String,
    },
    /// The client could not be configured (bad base URL, TLS set-up).
    #[error("configuration error: {0}")]
    Config(String),
    /// A paginated listing would loop: the server repeated a cursor or a page.
    #[error("{provider}: pagination loop: {detail}")]
    PaginationLoop {
        /// Which provider.
        provider: Provider,
        /// What repeated.
        detail: String,
    },
    /// A listing reached one of its bounds ([`crate::paginate::ListingLimits`]) while the
    /// server still said there was more. What was listed before it is incomplete.
    #[error("{provider}: listing stopped before its end: {limit}")]
    ListingLimit {
        /// Which provider.
        provider: Provider,
        /// Which bound.
        limit: LimitReached,
    },
    /// A page the server sent is inconsistent (a cursor to more but no items field, a
    /// missing cursor where more is announced).
    #[error("{provider} {operation}: inconsistent page: {detail}")]
    InvalidPage {
        /// Which provider.
        provider: Provider,
        /// Which operation.
        operation: &'static str,
        /// What is wrong with it.
        detail: String,
    },
    /// A record decoded but one of its fields holds a value the normalized record cannot
    /// carry (a time that is not RFC 3339, a year past 9999).
    #[error("{provider}: purchase {id}: field `{field}`: {reason}")]
    InvalidRecord {
        /// Which provider.
        provider: Provider,
        /// The purchase's id, as the server sent it (cleaned for display).
        id: String,
        /// The field, as the provider names it.
        field: &'static str,
        /// What is wrong, with the text received.
        reason: String,
    },
    /// The response body was larger than the client's limit
    /// ([`crate::ClientOptions::max_body_bytes`]); it was not read further.
    #[error("{provider} {operation}: the response body is larger than {limit} bytes")]
    ResponseTooLarge {
        /// Which provider.
        provider: Provider,
        /// Which operation.
        operation: &'static str,
        /// The limit.
        limit: usize,
    },
}

/// Which bound of a listing was reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LimitReached {
    /// The most pages per listing.
    Pages(u64),
    /// The listing's time budget.
    Time(Duration),
    /// Empty pages in a row that still said "more".
    EmptyPages(u32),
}

impl std::fmt::Display for LimitReached {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LimitReached::Pages(n) => write!(
                f,
                "the server still announced more after {n} pages (the page limit)"
            ),
            LimitReached::Time(d) => write!(
                f,
                "the listing took longer than its time budget of {} s",
                d.as_secs_f64()
            ),
            LimitReached::EmptyPages(n) => write!(
                f,
                "{n} empty pages in a row each announced more (an endless cursor)"
            ),
        }
    }
}

impl Error {
    /// The same error with every text that came from a server passed through `redactor`
    /// (credentials redacted, control characters escaped). Errors the transport builds are
    /// cleaned where they are built; this catches the ones built from decoded data (a
    /// record's bad time, a repeated cursor), which never saw the transport.
    pub(crate) fn redacted(self, redactor: &crate::redact::Redactor) -> Error {
        let clean = |s: String| crate::redact::escape_controls(&redactor.redact(&s));
        match self {
            Error::Unauthorized {
                provider,
                status,
                message,
            } => Error::Unauthorized {
                provider,
                status,
                message: clean(message),
            },
            Error::Api {
                provider,
                operation,
                status,
                body: ApiErrorBody::Other(text),
            } => Error::Api {
                provider,
                operation,
                status,
                body: ApiErrorBody::Other(clean(text)),
            },
            Error::Decode {
                provider,
                operation,
                status,
                reason,
                excerpt,
            } => Error::Decode {
                provider,
                operation,
                status,
                reason: clean(reason),
                excerpt: clean(excerpt),
            },
            Error::Transport { provider, message } => Error::Transport {
                provider,
                message: clean(message),
            },
            Error::InvalidArgument(m) => Error::InvalidArgument(clean(m)),
            Error::PaginationLoop { provider, detail } => Error::PaginationLoop {
                provider,
                detail: clean(detail),
            },
            Error::InvalidPage {
                provider,
                operation,
                detail,
            } => Error::InvalidPage {
                provider,
                operation,
                detail: clean(detail),
            },
            Error::InvalidRecord {
                provider,
                id,
                field,
                reason,
            } => Error::InvalidRecord {
                provider,
                id: clean(id),
                field,
                reason: clean(reason),
            },
            other => other,
        }
    }

    /// Whether the caller might succeed by trying again later.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Error::RateLimited { .. } | Error::Timeout { .. } | Error::Transport { .. }
        ) || matches!(self, Error::Api { status, .. } if matches!(status, 500 | 502..=504))
    }
}

/// Turns a generated client's error into the crate's. `state` is what the transport saw
/// (the status received, a failure of its own); `typed` wraps the operation's documented
/// error body. Every text from the server is cleaned ([`crate::transport::Inner::clean`]).
pub(crate) async fn from_progenitor<E>(
    inner: &crate::transport::Inner,
    err: progenitor_client::Error<E>,
    typed: impl FnOnce(E) -> ApiErrorBody,
    state: crate::transport::CallState,
) -> Error
where
    E: serde::Serialize + serde::de::DeserializeOwned,
{
    use progenitor_client::Error as P;
    let provider = inner.provider;
    let operation = state.operation.unwrap_or("request");
    if let Some(crate::transport::LocalFailure::BodyTooLarge { limit }) = state.failure {
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
            let retry_after = crate::transport::retry_after(rv.headers());
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
            let retry_after = crate::transport::retry_after(response.headers());
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
pub(crate) fn transport_error(inner: &crate::transport::Inner, e: reqwest::Error) -> Error {
    if e.is_timeout() {
        return Error::Timeout {
            provider: inner.provider,
        };
    }
    let kind = crate::transport::connection_failure(&e);
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
    inner: &crate::transport::Inner,
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
