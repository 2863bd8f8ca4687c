//! Chaos: a seeded share of requests fails at random in every way a real network and a
//! real server fail — 503, 500, 429 with and without `Retry-After` (each API's own throttle
//! reply), a body cut off mid-way, a connection dropped before any answer — or is answered
//! 0.4 s late. Decided per request from the seed and the request's number, so a run can be
//! repeated; every decision is logged ([`super::MockServer::chaos_log`]).

use super::server::Shared;
use crate::Provider;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

/// What chaos did to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Chaos {
    /// HTTP 503.
    Unavailable,
    /// HTTP 500.
    Internal,
    /// The API's throttle reply (429, or CoCalc's HTTP-200 one) with a wait of 1 s.
    ThrottledWithWait,
    /// The API's throttle reply naming no wait.
    Throttled,
    /// The headers and half the body, then the connection closed.
    BodyCut,
    /// The connection closed with the request read and no answer at all.
    Dropped,
    /// Answered, 0.4 s late (not a failure).
    Late,
}

impl Chaos {
    const ALL: [Chaos; 7] = [
        Chaos::Unavailable,
        Chaos::Internal,
        Chaos::ThrottledWithWait,
        Chaos::Throttled,
        Chaos::BodyCut,
        Chaos::Dropped,
        Chaos::Late,
    ];

    /// Whether the request failed (a late answer did not).
    pub fn failed(self) -> bool {
        self != Chaos::Late
    }
}

/// Asks the connection a request arrived on to close at once, unanswered.
#[derive(Clone)]
pub(crate) struct Kill(pub(crate) Arc<tokio::sync::Notify>);

/// SplitMix64: a good 64-bit mix of the seed and the request's number.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// What chaos does to request number `n` (`percent` of requests, seeded).
pub(crate) fn decide(seed: u64, n: u64, percent: u8) -> Option<Chaos> {
    let r = mix(seed ^ mix(n));
    let hit = r % 10_000 < u64::from(percent.min(100)) * 100;
    hit.then(|| Chaos::ALL[((r >> 32) % Chaos::ALL.len() as u64) as usize])
}

/// The layer that applies chaos to every request, when the mock is configured with it.
pub(crate) async fn layer(
    State(shared): State<Arc<Shared>>,
    request: Request,
    next: Next,
) -> Response {
    let Some(percent) = shared.config().chaos else {
        return next.run(request).await;
    };
    let provider = request
        .uri()
        .path()
        .trim_start_matches('/')
        .split('/')
        .next()
        .and_then(|p| p.parse::<Provider>().ok());
    let Some(provider) = provider else {
        return next.run(request).await;
    };
    let n = shared.chaos_requests.fetch_add(1, Ordering::SeqCst) as u64;
    let chaos = decide(shared.config().seed, n, percent);
    shared
        .chaos_log
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push((provider, chaos));
    match chaos {
        None => next.run(request).await,
        Some(Chaos::Late) => {
            tokio::time::sleep(Duration::from_millis(400)).await;
            next.run(request).await
        }
        Some(Chaos::Unavailable) => {
            (StatusCode::SERVICE_UNAVAILABLE, "service unavailable").into_response()
        }
        Some(Chaos::Internal) => {
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
        Some(kind @ (Chaos::ThrottledWithWait | Chaos::Throttled)) => {
            throttled(provider, kind == Chaos::ThrottledWithWait)
        }
        Some(Chaos::BodyCut) => {
            let response = next.run(request).await;
            cut(response).await
        }
        Some(Chaos::Dropped) => {
            if let Some(kill) = request.extensions().get::<Kill>() {
                kill.0.notify_one();
            }
            std::future::pending().await
        }
    }
}

/// The API's throttle reply, with a 1 s wait (a `Retry-After`, or CoCalc's words) or none.
fn throttled(provider: Provider, wait: bool) -> Response {
    let spec = super::spec(provider);
    let (status, body, _) = (spec.throttled)();
    let body = match (status, wait) {
        (200, false) => (spec.error)("too many requests to purchases/get-purchases"),
        _ => body,
    };
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::TOO_MANY_REQUESTS);
    let mut r = (status, body.to_string()).into_response();
    r.headers_mut()
        .insert("content-type", HeaderValue::from_static("application/json"));
    if wait && status == StatusCode::TOO_MANY_REQUESTS {
        r.headers_mut()
            .insert("retry-after", HeaderValue::from_static("1"));
    }
    r
}

/// `response` with its full length announced, half its body sent, then the connection
/// closed.
async fn cut(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return Response::from_parts(parts, axum::body::Body::empty());
    };
    let half = bytes.slice(..bytes.len() / 2);
    if let Ok(len) = HeaderValue::from_str(&bytes.len().to_string()) {
        parts
            .headers
            .insert(axum::http::header::CONTENT_LENGTH, len);
    }
    let chunks = futures::stream::iter([
        Ok(half),
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionAborted,
            "chaos: body cut off",
        )),
    ]);
    Response::from_parts(parts, axum::body::Body::from_stream(chunks))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chaos_hits_its_share_of_requests_in_every_way_and_repeats_with_its_seed() {
        let hits: Vec<Option<Chaos>> = (0..20_000).map(|n| decide(7, n, 15)).collect();
        let share = hits.iter().filter(|h| h.is_some()).count() as f64 / hits.len() as f64;
        assert!((0.13..0.17).contains(&share), "{share}");
        for kind in Chaos::ALL {
            assert!(hits.contains(&Some(kind)), "{kind:?}");
        }
        let again: Vec<Option<Chaos>> = (0..20_000).map(|n| decide(7, n, 15)).collect();
        assert_eq!(hits, again);
        let other: Vec<Option<Chaos>> = (0..20_000).map(|n| decide(8, n, 15)).collect();
        assert_ne!(hits, other);
        assert!((0..1000).all(|n| decide(7, n, 0).is_none()));
    }
}
