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
