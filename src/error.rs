//! The crate's error type.

use crate::Provider;
use std::time::Duration;

/// The provider's own error body, typed where the spec documents one.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ApiErrorBody {
    /// CoCalc's `{"error": "..."}` (sent with HTTP 200).
    #[cfg(feature = "cocalc")]
    CoCalc(crate::cocalc::types::ErrorResponse),
    /// Subtotal's 422 validation details.
    #[cfg(feature = "subtotal")]
    Subtotal(crate::subtotal::types::HttpValidationError),
    /// Togai's `{"message": "..."}`.
    #[cfg(feature = "togai")]
    Togai(crate::togai::types::ErrorResponse),
    /// Kit's `{"errors": [...]}`.
    #[cfg(feature = "kit")]
    Kit(crate::kit::types::ErrorResponse),
    /// A body the spec does not document: a short excerpt of it.
    Other(String),
}

impl std::fmt::Display for ApiErrorBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            #[cfg(feature = "cocalc")]
            ApiErrorBody::CoCalc(e) => f.write_str(&e.error),
            #[cfg(feature = "subtotal")]
            ApiErrorBody::Subtotal(e) => {
                let details: Vec<String> = e
                    .detail
                    .iter()
                    .map(|d| format!("{} ({})", d.msg, d.type_))
                    .collect();
                f.write_str(&details.join("; "))
            }
            #[cfg(feature = "togai")]
            ApiErrorBody::Togai(e) => f.write_str(&e.message),
            #[cfg(feature = "kit")]
            ApiErrorBody::Kit(e) => f.write_str(&e.errors.join("; ")),
            ApiErrorBody::Other(s) => f.write_str(s),
        }
    }
}

/// Everything that can go wrong talking to a provider, in variants a caller can act on.
///
/// No variant's `Display` or `Debug` contains a credential.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The provider refused the credentials (401/403, or CoCalc's "must be signed in").
    #[error("{provider}: authentication refused (HTTP {status}): {message}")]
    Unauthorized {
        /// Which provider.
        provider: Provider,
        /// The HTTP status (200 for CoCalc).
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
        /// The HTTP status (200 for CoCalc's error replies).
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
}

impl Error {
    /// Whether the caller might succeed by trying again later.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Error::RateLimited { .. } | Error::Timeout { .. } | Error::Transport { .. }
        ) || matches!(self, Error::Api { status, .. } if matches!(status, 502..=504))
    }
}

const EXCERPT_CHARS: usize = 200;

/// The first characters of a body, for messages.
pub(crate) fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut out: String = text.chars().take(EXCERPT_CHARS).collect();
    if text.chars().count() > EXCERPT_CHARS {
        out.push('…');
    }
    out
}

/// Turns a generated client's error into the crate's, reading an unexpected response's
/// body when there is one. `typed` wraps the operation's documented error body.
pub(crate) async fn from_progenitor<E>(
    inner: &crate::transport::Inner,
    operation: &'static str,
    err: progenitor_client::Error<E>,
    typed: impl FnOnce(E) -> ApiErrorBody,
) -> Error {
    use progenitor_client::Error as P;
    let provider = inner.provider;
    let scrub = |s: String| inner.scrub(&s);
    match err {
        P::InvalidRequest(m) => Error::InvalidArgument(scrub(m)),
        P::CommunicationError(e) | P::ResponseBodyError(e) | P::InvalidUpgrade(e) => {
            transport_error(inner, e)
        }
        P::ErrorResponse(rv) => {
            let status = rv.status().as_u16();
            let retry_after = crate::transport::retry_after(rv.headers());
            let body = typed(rv.into_inner());
            classify_status(inner, operation, status, retry_after, body)
        }
        P::InvalidResponsePayload(bytes, e) => Error::Decode {
            provider,
            operation,
            status: 200,
            reason: scrub(e.to_string()),
            excerpt: scrub(excerpt(&bytes)),
        },
        P::UnexpectedResponse(response) => {
            let status = response.status().as_u16();
            let retry_after = crate::transport::retry_after(response.headers());
            let body = response.bytes().await.unwrap_or_default();
            let body = ApiErrorBody::Other(excerpt(&body));
            classify_status(inner, operation, status, retry_after, body)
        }
        P::Custom(m) => Error::Transport {
            provider,
            message: scrub(m),
        },
    }
}

/// A request that did not complete: a timeout, or a transport error without its URL and
/// with credentials scrubbed.
pub(crate) fn transport_error(inner: &crate::transport::Inner, e: reqwest::Error) -> Error {
    if e.is_timeout() {
        Error::Timeout {
            provider: inner.provider,
        }
    } else {
        Error::Transport {
            provider: inner.provider,
            message: inner.scrub(&error_chain(&e.without_url())),
        }
    }
}

/// The error for an HTTP error status: refused credentials, rate limiting, or an API error
/// carrying the provider's body.
pub(crate) fn classify_status(
    inner: &crate::transport::Inner,
    operation: &'static str,
    status: u16,
    retry_after: Option<Duration>,
    body: ApiErrorBody,
) -> Error {
    let provider = inner.provider;
    let scrub = |s: String| inner.scrub(&s);
    match status {
        401 | 403 => Error::Unauthorized {
            provider,
            status,
            message: scrub(body.to_string()),
        },
        429 => Error::RateLimited {
            provider,
            retry_after,
        },
        _ => Error::Api {
            provider,
            operation,
            status,
            body: match body {
                ApiErrorBody::Other(s) => ApiErrorBody::Other(scrub(s)),
                typed => typed,
            },
        },
    }
}

/// CoCalc's HTTP-200 `{"error": ...}` reply as an error: refused credentials, throttling
/// (with the delay it names), or an API error.
#[cfg(feature = "cocalc")]
pub(crate) fn cocalc_reply(
    inner: &crate::transport::Inner,
    e: crate::cocalc::types::ErrorResponse,
) -> Error {
    let lower = e.error.to_ascii_lowercase();
    if lower.contains("signed in") || lower.contains("api key") {
        Error::Unauthorized {
            provider: Provider::CoCalc,
            status: 200,
            message: inner.scrub(&e.error),
        }
    } else if lower.contains("too many requests") {
        Error::RateLimited {
            provider: Provider::CoCalc,
            retry_after: crate::transport::cocalc_delay(&e.error),
        }
    } else {
        Error::Api {
            provider: Provider::CoCalc,
            operation: "get_purchases",
            status: 200,
            body: ApiErrorBody::CoCalc(e),
        }
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
