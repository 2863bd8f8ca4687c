//! The mock's HTTP server (axum).

use super::{amount_keys, to_json_with_amounts, DataSet};

use crate::Provider;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// A fault the mock can inject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// The first request to each API is rate limited (429 with `Retry-After: 1`; CoCalc's
    /// HTTP-200 throttle reply). Clients recover.
    RateLimit,
    /// The first request to each API gets 503. Clients recover.
    ServerError,
    /// Every request gets 503. Clients give up.
    Unavailable,
    /// Every response is 1 s late.
    Slow,
    /// Every successful body is cut in half. Clients fail to decode.
    Malformed,
    /// Every request is refused with an error, in the API's own shape, whose text echoes
    /// the credential headers received (raw and percent-encoded) and terminal escape
    /// sequences. Clients must show none of it as is.
    EchoCredentials,
    /// Every request is redirected (307) to the same path on another origin
    /// (`localhost` for `127.0.0.1` and the reverse). A credential arriving there is
    /// counted ([`MockServer::credentials_after_redirect`]) and refused.
    RedirectOffOrigin,
    /// Every listing says "more" forever, each page full and with a cursor never seen
    /// before. Clients stop at their listing bounds.
    Endless,
    /// Every listing answers empty pages that each say "more" with a fresh cursor
    /// (CoCalc, which has no cursor, answers an empty listing).
    EndlessEmpty,
    /// Every successful response sends its headers and half its body, then falls silent
    /// without closing. Clients time out.
    Stall,
    /// Every listing is empty, as each API answers for an account with no purchases (Kit:
    /// null cursors).
    Empty,
    /// Every Togai purchase has a status (`PARTIALLY_REFUNDED`) and a type (`SUBSCRIPTION`)
    /// no spec lists, as a server ahead of its documentation would send. Clients keep them.
    NewEnumValues,
}

impl Fault {
    /// Every fault, by name.
    pub const ALL: [Fault; 12] = [
        Fault::RateLimit,
        Fault::ServerError,
        Fault::Unavailable,
        Fault::Slow,
        Fault::Malformed,
        Fault::EchoCredentials,
        Fault::RedirectOffOrigin,
        Fault::Endless,
        Fault::EndlessEmpty,
        Fault::Stall,
        Fault::Empty,
        Fault::NewEnumValues,
    ];

    /// The fault's name (`--fault NAME`, `x-mock-fault: NAME`).
    pub fn name(self) -> &'static str {
        match self {
            Fault::RateLimit => "rate-limit",
            Fault::ServerError => "server-error",
            Fault::Unavailable => "unavailable",
            Fault::Slow => "slow",
            Fault::Malformed => "malformed",
            Fault::EchoCredentials => "echo-credentials",
            Fault::RedirectOffOrigin => "redirect-off-origin",
            Fault::Endless => "endless",
            Fault::EndlessEmpty => "endless-empty",
            Fault::Stall => "stall",
            Fault::Empty => "empty",
            Fault::NewEnumValues => "new-enum-values",
        }
    }
}

impl std::str::FromStr for Fault {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Fault::ALL
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or_else(|| {
                let names: Vec<_> = Fault::ALL.iter().map(|f| f.name()).collect();
                format!("unknown fault {s:?}: expected one of {}", names.join(", "))
            })
    }
}

/// How the mock behaves.
#[derive(Debug, Clone)]
pub struct MockConfig {
    /// Synthetic purchases per API, besides the documented samples.
    pub count: usize,
    /// Faults injected into every request.
    pub faults: Vec<Fault>,
    /// Added to every response.
    pub latency: Duration,
    /// Serve what a later version of each API might send (see [`super::drift`]): extra
    /// fields, a new enum value, nulls, an amount as text, an optional field left out.
    pub drift: bool,
    /// For an API listed by scope (Togai's accounts): how many scopes the purchases are
    /// spread over, round-robin, each named after the demo scope (`ACC00001`, `ACC00002`,
    /// ...; see [`MockServer::scopes`]). 1: all in the demo scope.
    pub scopes: usize,
    /// Chaos: this percentage of requests fails at random in every way a network and a
    /// server fail (see [`super::Chaos`]); `None` for none.
    pub chaos: Option<u8>,
    /// The seed chaos decides from: the same seed fails the same requests.
    pub seed: u64,
}

impl Default for MockConfig {
    fn default() -> Self {
        MockConfig {
            count: 250,
            faults: Vec::new(),
            latency: Duration::ZERO,
            drift: false,
            scopes: 1,
            chaos: None,
            seed: 0,
        }
    }
}

/// The state every handler of the mock shares: the data served, the configuration, and
/// what the mock counts.
pub struct Shared {
    data: DataSet,
    config: MockConfig,
    amounts: HashMap<Provider, Vec<String>>,
    requests: HashMap<Provider, AtomicUsize>,
    /// Requests being answered now, and the most at once, per API.
    in_flight: HashMap<Provider, (AtomicUsize, AtomicUsize)>,
    /// When each request arrived, per API.
    arrivals: std::sync::Mutex<Vec<(Provider, std::time::Instant)>>,
    /// Requests chaos has decided on, and what it did to each.
    pub(crate) chaos_requests: AtomicUsize,
    pub(crate) chaos_log: std::sync::Mutex<Vec<(Provider, Option<super::Chaos>)>>,
    addr: SocketAddr,
    /// Requests that arrived after an off-origin redirect still carrying a credential.
    leaked_after_redirect: AtomicUsize,
    /// The specs drift mode rewrites replies along, when it is on.
    pub(crate) drift: Option<super::drift::Drift>,
}

impl Shared {
    /// How the mock behaves.
    pub(crate) fn config(&self) -> &MockConfig {
        &self.config
    }

    /// What the mock serves.
    pub(crate) fn data(&self) -> &DataSet {
        &self.data
    }

    /// The scopes `provider`'s purchases are spread over: the demo scope and, with
    /// [`MockConfig::scopes`] above 1, its numbered siblings.
    pub(crate) fn scopes(&self, provider: Provider) -> Vec<String> {
        let Some(demo) = super::demo_scope(provider) else {
            return Vec::new();
        };
        let digits = demo.len() - demo.trim_end_matches(|c: char| c.is_ascii_digit()).len();
        let stem = &demo[..demo.len() - digits];
        let first: usize = demo[demo.len() - digits..].parse().unwrap_or(1);
        (0..self.config.scopes.max(1))
            .map(|i| match i {
                0 => demo.to_string(),
                _ => format!("{stem}{:0digits$}", first + i),
            })
            .collect()
    }
}

/// A running mock; it stops when dropped.
pub struct MockServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl MockServer {
    /// Binds `addr` (use port 0 for any free port) and serves until dropped.
    pub async fn start(addr: SocketAddr, config: MockConfig) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            data: DataSet::generate(config.count),
            amounts: Provider::ALL
                .iter()
                .map(|p| (*p, amount_keys(*p)))
                .collect(),
            requests: Provider::ALL
                .iter()
                .map(|p| (*p, AtomicUsize::new(0)))
                .collect(),
            in_flight: Provider::ALL
                .iter()
                .map(|p| (*p, (AtomicUsize::new(0), AtomicUsize::new(0))))
                .collect(),
            arrivals: Default::default(),
            chaos_requests: AtomicUsize::new(0),
            chaos_log: Default::default(),
            drift: config.drift.then(super::drift::Drift::new),
            config,
            addr,
            leaked_after_redirect: AtomicUsize::new(0),
        });
        let mut routes = super::Router::new();
        for p in Provider::ALL {
            routes = crate::with_api!(*p, A => super::pager::routes::<A>(routes));
        }
        let app = routes
            .layer(axum::middleware::from_fn_with_state(
                shared.clone(),
                super::drift::layer,
            ))
            .layer(axum::middleware::from_fn_with_state(
                shared.clone(),
                super::chaos::layer,
            ))
            .with_state(shared.clone());
        let (tx, rx) = tokio::sync::oneshot::channel();
        let task = tokio::spawn(serve(listener, app, rx));
        Ok(MockServer {
            addr,
            shared,
            shutdown: Some(tx),
            task,
        })
    }

    /// How many requests arrived after an off-origin redirect
    /// ([`Fault::RedirectOffOrigin`]) still carrying a credential. A client that keeps its
    /// credentials on their origin leaves this at zero.
    pub fn credentials_after_redirect(&self) -> usize {
        self.shared.leaked_after_redirect.load(Ordering::SeqCst)
    }

    /// The most requests to `provider` the mock was answering at once.
    pub fn max_in_flight(&self, provider: Provider) -> usize {
        self.shared.in_flight[&provider].1.load(Ordering::SeqCst)
    }

    /// When each request to `provider` arrived, in order.
    pub fn arrivals(&self, provider: Provider) -> Vec<std::time::Instant> {
        let log = self
            .shared
            .arrivals
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        log.iter()
            .filter(|(p, _)| *p == provider)
            .map(|(_, t)| *t)
            .collect()
    }

    /// The scopes `provider`'s purchases are spread over ([`MockConfig::scopes`]), empty
    /// for an API not listed by scope.
    pub fn scopes(&self, provider: Provider) -> Vec<String> {
        self.shared.scopes(provider)
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL of one API, e.g. `http://127.0.0.1:PORT/kit`.
    pub fn base_url(&self, provider: Provider) -> String {
        format!("http://{}/{}", self.addr, provider.name())
    }

    /// What the mock serves.
    pub fn data(&self) -> &DataSet {
        &self.shared.data
    }

    /// Waits until the server stops (it runs until dropped or the task is cancelled).
    pub async fn wait(mut self) {
        let task = std::mem::replace(&mut self.task, tokio::spawn(async {}));
        let _ = task.await;
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Serves `app` on every connection `listener` accepts, until `shutdown`. Each connection
/// can be closed from within a request ([`super::chaos::Kill`]), as a server or a proxy
/// drops a connection; dropping the serving task closes them all.
async fn serve(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    mut shutdown: tokio::sync::oneshot::Receiver<()>,
) {
    let mut connections = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let kill = Arc::new(tokio::sync::Notify::new());
                let app = app.clone().layer(axum::Extension(super::chaos::Kill(kill.clone())));
                connections.spawn(async move {
                    let service = hyper_util::service::TowerToHyperService::new(app);
                    let connection = hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), service);
                    tokio::select! {
                        _ = connection => {}
                        _ = kill.notified() => {}
                    }
                });
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

impl MockServer {
    /// What chaos did to each request to `provider`, in the order they arrived (`None`:
    /// answered as usual).
    pub fn chaos_log(&self, provider: Provider) -> Vec<Option<super::Chaos>> {
        let log = self
            .shared
            .chaos_log
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        log.iter()
            .filter(|(p, _)| *p == provider)
            .map(|(_, c)| *c)
            .collect()
    }
}

/// Which fault applies to this request, if any.
fn fault(shared: &Shared, provider: Provider, headers: &HeaderMap) -> Option<Fault> {
    let n = shared.requests[&provider].fetch_add(1, Ordering::SeqCst);
    let requested = headers
        .get("x-mock-fault")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<Fault>().ok());
    let configured = shared.config.faults.iter().copied().find(|f| match f {
        Fault::RateLimit | Fault::ServerError => n == 0,
        _ => true,
    });
    requested.or(configured)
}

/// Headers and the first half of `text`, then silence, the connection left open.
fn stalled(status: StatusCode, mut text: String) -> Response {
    text.truncate(text.len() / 2);
    let first = futures::stream::once(async move { Ok::<_, std::convert::Infallible>(text) });
    let body =
        axum::body::Body::from_stream(futures::StreamExt::chain(first, futures::stream::pending()));
    let mut r = (status, body).into_response();
    r.headers_mut()
        .insert("content-type", HeaderValue::from_static("application/json"));
    r
}

fn json_response(status: StatusCode, text: String) -> Response {
    let mut r = (status, text).into_response();
    r.headers_mut()
        .insert("content-type", HeaderValue::from_static("application/json"));
    r
}

/// One request being answered: which API, which fault applies.
pub(crate) struct Reply<'a> {
    shared: &'a Shared,
    provider: Provider,
    fault: Option<Fault>,
}

impl Drop for Reply<'_> {
    fn drop(&mut self) {
        self.shared.in_flight[&self.provider]
            .0
            .fetch_sub(1, Ordering::SeqCst);
    }
}

impl<'a> Reply<'a> {
    pub(crate) fn new(shared: &'a Shared, provider: Provider, headers: &HeaderMap) -> Self {
        let (now, most) = &shared.in_flight[&provider];
        let n = now.fetch_add(1, Ordering::SeqCst) + 1;
        most.fetch_max(n, Ordering::SeqCst);
        shared
            .arrivals
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((provider, std::time::Instant::now()));
        Reply {
            shared,
            provider,
            fault: fault(shared, provider, headers),
        }
    }

    /// Whether the fault asks for `f`.
    pub(crate) fn is(&self, f: Fault) -> bool {
        self.fault == Some(f)
    }

    /// The redactor that knows this API's demo credentials, in every wire form.
    fn credentials(&self) -> crate::redact::Redactor {
        crate::redact::Redactor::new(super::demo_credentials(self.provider).iter().copied())
    }

    /// The answer the fault gives before the request is looked at, if any: a redirect off
    /// the origin, or an error echoing the credentials.
    pub(crate) async fn intercept(
        &self,
        headers: &HeaderMap,
        uri: &axum::http::Uri,
    ) -> Option<Response> {
        const MARK: &str = "mock-redirected=1";
        let query = uri.query().unwrap_or("");
        let credentials = self.credentials();
        // Every header that carries a credential, in any form.
        let carried: Vec<(String, String)> = headers
            .iter()
            .filter_map(|(k, v)| Some((k.to_string(), v.to_str().ok()?.to_string())))
            .filter(|(_, v)| credentials.contains_secret(v))
            .collect();
        if query.split('&').any(|p| p == MARK) {
            if !carried.is_empty() {
                self.shared
                    .leaked_after_redirect
                    .fetch_add(1, Ordering::SeqCst);
            }
            return None;
        }
        if self.is(Fault::RedirectOffOrigin) {
            return Some(self.redirect_off_origin(uri, query, MARK));
        }
        if self.is(Fault::EchoCredentials) {
            let encoded = |v: &str| {
                percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC)
                    .to_string()
            };
            let echoed: Vec<String> = carried
                .iter()
                .map(|(k, v)| format!("{k}={v} in a URL: ?{k}={}", encoded(v)))
                .collect();
            // Padded so that the credentials straddle a 200-character cut.
            let message = format!(
                "{:<170}{} {}",
                "request refused;",
                echoed.join(" "),
                "\u{1b}[2J\u{7}\u{1b}]0;owned\u{7}",
            );
            let (status, body) =
                crate::with_api!(self.provider, A => (A::MOCK.echo, (A::MOCK.error)(&message)));
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
            return Some(json_response(status, body.to_string()));
        }
        None
    }

    fn redirect_off_origin(&self, uri: &axum::http::Uri, query: &str, mark: &str) -> Response {
        let port = self.shared.addr.port();
        let host = match self.shared.addr.ip() {
            std::net::IpAddr::V4(ip) if ip == std::net::Ipv4Addr::LOCALHOST => {
                format!("localhost:{port}")
            }
            _ => format!("127.0.0.1:{port}"),
        };
        let sep = if query.is_empty() { "" } else { "&" };
        let location = format!("http://{host}{}?{query}{sep}{mark}", uri.path());
        let mut r = StatusCode::TEMPORARY_REDIRECT.into_response();
        if let Ok(v) = HeaderValue::from_str(&location) {
            r.headers_mut().insert("location", v);
        }
        r
    }

    /// A JSON response, amounts written as numbers, through the fault.
    pub(crate) async fn json(&self, status: StatusCode, body: &Value) -> Response {
        let shared = self.shared;
        if !shared.config.latency.is_zero() {
            tokio::time::sleep(shared.config.latency).await;
        }
        match self.fault {
            Some(Fault::Slow) => tokio::time::sleep(Duration::from_secs(1)).await,
            Some(Fault::Unavailable | Fault::ServerError) => {
                return (StatusCode::SERVICE_UNAVAILABLE, "service unavailable").into_response()
            }
            Some(Fault::RateLimit) => {
                let (status, body, retry_after) =
                    crate::with_api!(self.provider, A => (A::MOCK.throttled)());
                let status = StatusCode::from_u16(status).unwrap_or(StatusCode::TOO_MANY_REQUESTS);
                let mut r = json_response(status, body.to_string());
                if retry_after {
                    r.headers_mut()
                        .insert("retry-after", HeaderValue::from_static("1"));
                }
                return r;
            }
            _ => {}
        }
        let mut text = to_json_with_amounts(body, &shared.amounts[&self.provider]);
        if self.fault == Some(Fault::Malformed) && status.is_success() {
            text.truncate(text.len() / 2);
        }
        if self.fault == Some(Fault::Stall) && status.is_success() {
            return stalled(status, text);
        }
        json_response(status, text)
    }

    /// An error in the API's own shape.
    pub(crate) async fn error(&self, status: StatusCode, message: &str) -> Response {
        let body = crate::with_api!(self.provider, A => (A::MOCK.error)(message));
        self.json(status, &body).await
    }
}
