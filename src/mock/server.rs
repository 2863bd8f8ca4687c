//! The mock's HTTP server (axum).

use super::{amount_keys, to_json_with_amounts, DataSet, DEMO_CREDENTIALS};
use crate::{cocalc, kit, subtotal, togai, Provider};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};
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
}

impl Default for MockConfig {
    fn default() -> Self {
        MockConfig {
            count: 250,
            faults: Vec::new(),
            latency: Duration::ZERO,
        }
    }
}

struct Shared {
    data: DataSet,
    config: MockConfig,
    amounts: HashMap<Provider, Vec<String>>,
    requests: HashMap<Provider, AtomicUsize>,
    addr: SocketAddr,
    /// Requests that arrived after an off-origin redirect still carrying a credential.
    leaked_after_redirect: AtomicUsize,
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
                .into_iter()
                .map(|p| (p, amount_keys(p)))
                .collect(),
            requests: Provider::ALL
                .into_iter()
                .map(|p| (p, AtomicUsize::new(0)))
                .collect(),
            config,
            addr,
            leaked_after_redirect: AtomicUsize::new(0),
        });
        let app = Router::new()
            .route(
                "/cocalc/api/v2/purchases/get-purchases",
                post(cocalc_get_purchases),
            )
            .route("/subtotal/purchases", get(subtotal_list))
            .route("/togai/purchases/{purchase_id}", get(togai_get))
            .route("/togai/accounts/{account_id}/purchases", get(togai_list))
            .route("/kit/v4/purchases", get(kit_list))
            .with_state(shared.clone());
        let (tx, rx) = tokio::sync::oneshot::channel();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        Ok(MockServer {
            addr,
            shared,
            shutdown: Some(tx),
            task,
        })
    }

    /// How many requests arrived after an off-origin redirect
    /// ([`Fault::RedirectOffOrigin`]) still carrying a credential header. A client that
    /// keeps its credentials on their origin leaves this at zero.
    pub fn credentials_after_redirect(&self) -> usize {
        self.shared.leaked_after_redirect.load(Ordering::SeqCst)
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL of one API, e.g. `http://127.0.0.1:PORT/kit`.
    pub fn base_url(&self, provider: Provider) -> String {
        format!("http://{}/{}", self.addr, provider.name())
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

/// A JSON response, amounts written as numbers, through `fault`.
async fn respond(
    shared: &Shared,
    provider: Provider,
    status: StatusCode,
    body: &Value,
    fault: Option<Fault>,
) -> Response {
    if !shared.config.latency.is_zero() {
        tokio::time::sleep(shared.config.latency).await;
    }
    match fault {
        Some(Fault::Slow) => tokio::time::sleep(Duration::from_secs(1)).await,
        Some(Fault::Unavailable | Fault::ServerError) => {
            return (StatusCode::SERVICE_UNAVAILABLE, "service unavailable").into_response()
        }
        Some(Fault::RateLimit) => {
            if provider == Provider::CoCalc {
                let body = json!({"error": "too many requests to purchases/get-purchases; try again in 1 seconds"});
                return json_response(StatusCode::OK, body.to_string());
            }
            let mut r = json_response(
                StatusCode::TOO_MANY_REQUESTS,
                error_body(provider, "rate limited").to_string(),
            );
            r.headers_mut()
                .insert("retry-after", HeaderValue::from_static("1"));
            return r;
        }
        _ => {}
    }
    let mut text = to_json_with_amounts(body, &shared.amounts[&provider]);
    if fault == Some(Fault::Malformed) && status.is_success() {
        text.truncate(text.len() / 2);
    }
    if fault == Some(Fault::Stall) && status.is_success() {
        return stalled(status, text);
    }
    json_response(status, text)
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

/// Each API's error body.
fn error_body(provider: Provider, message: &str) -> Value {
    match provider {
        Provider::CoCalc => json!({"error": message}),
        Provider::Subtotal => {
            json!({"detail": [{"loc": ["query"], "msg": message, "type": "value_error"}]})
        }
        Provider::Togai => json!({"message": message}),
        Provider::Kit => json!({"errors": [message]}),
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn bearer_is(headers: &HeaderMap, token: &str) -> bool {
    header(headers, "authorization") == Some(&format!("Bearer {token}"))
}

/// One request being answered: which API, which fault applies.
struct Reply<'a> {
    shared: &'a Shared,
    provider: Provider,
    fault: Option<Fault>,
}

impl<'a> Reply<'a> {
    fn new(shared: &'a Shared, provider: Provider, headers: &HeaderMap) -> Self {
        Reply {
            shared,
            provider,
            fault: fault(shared, provider, headers),
        }
    }

    /// Whether the fault asks for `f`.
    fn is(&self, f: Fault) -> bool {
        self.fault == Some(f)
    }

    /// The answer the fault gives before the request is looked at, if any: a redirect off
    /// the origin, or an error echoing the credentials.
    async fn intercept(&self, headers: &HeaderMap, uri: &axum::http::Uri) -> Option<Response> {
        const MARK: &str = "mock-redirected=1";
        let query = uri.query().unwrap_or("");
        if query.split('&').any(|p| p == MARK) {
            if header(headers, "authorization").is_some() || header(headers, "x-api-key").is_some()
            {
                self.shared
                    .leaked_after_redirect
                    .fetch_add(1, Ordering::SeqCst);
            }
            return None;
        }
        if self.is(Fault::RedirectOffOrigin) {
            let port = self.shared.addr.port();
            let host = match self.shared.addr.ip() {
                std::net::IpAddr::V4(ip) if ip == std::net::Ipv4Addr::LOCALHOST => {
                    format!("localhost:{port}")
                }
                _ => format!("127.0.0.1:{port}"),
            };
            let sep = if query.is_empty() { "" } else { "&" };
            let location = format!("http://{host}{}?{query}{sep}{MARK}", uri.path());
            let mut r = StatusCode::TEMPORARY_REDIRECT.into_response();
            if let Ok(v) = HeaderValue::from_str(&location) {
                r.headers_mut().insert("location", v);
            }
            return Some(r);
        }
        if self.is(Fault::EchoCredentials) {
            let echo = |name: &str| header(headers, name).unwrap_or("").to_string();
            let (auth, key) = (echo("authorization"), echo("x-api-key"));
            let encoded = |v: &str| {
                percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC)
                    .to_string()
            };
            // Padded so that the credentials straddle a 200-character cut.
            let message = format!(
                "{:<170}authorization={auth} x-api-key={key} in a URL: ?key={}&auth={} {}",
                "request refused;",
                encoded(&key),
                encoded(&auth),
                "\u{1b}[2J\u{7}\u{1b}]0;owned\u{7}",
            );
            let status = match self.provider {
                Provider::CoCalc => StatusCode::OK,
                Provider::Subtotal => StatusCode::UNPROCESSABLE_ENTITY,
                Provider::Togai => StatusCode::BAD_REQUEST,
                Provider::Kit => StatusCode::UNAUTHORIZED,
            };
            let body = error_body(self.provider, &message);
            return Some(json_response(status, body.to_string()));
        }
        None
    }

    async fn json(&self, status: StatusCode, body: &Value) -> Response {
        respond(self.shared, self.provider, status, body, self.fault).await
    }

    /// An error in the API's own shape.
    async fn error(&self, status: StatusCode, message: &str) -> Response {
        self.json(status, &error_body(self.provider, message)).await
    }
}

/// A page size from the query: `default` when absent, an error message when outside
/// `1..=max` or not a number.
fn page_size(
    q: &HashMap<String, String>,
    name: &str,
    default: usize,
    max: usize,
) -> Result<usize, String> {
    match q.get(name).map(|s| s.parse::<usize>()) {
        None => Ok(default),
        Some(Ok(n)) if (1..=max).contains(&n) => Ok(n),
        Some(_) => Err(format!("{name} must be between 1 and {max}")),
    }
}

async fn cocalc_get_purchases(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    uri: axum::http::Uri,
    body: String,
) -> Response {
    let reply = Reply::new(&shared, Provider::CoCalc, &headers);
    if let Some(r) = reply.intercept(&headers, &uri).await {
        return r;
    }
    use base64::Engine;
    let key = DEMO_CREDENTIALS.cocalc_api_key;
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{key}:"))
    );
    let authorized = header(&headers, "authorization")
        .is_some_and(|a| a == basic || a == format!("Bearer {key}"));
    // CoCalc answers every error with HTTP 200.
    if !authorized {
        return reply.error(StatusCode::OK, "must be signed in").await;
    }
    let query: Value = if body.trim().is_empty() {
        json!({})
    } else {
        match serde_json::from_str(&body) {
            Ok(v) => v,
            Err(e) => {
                return reply
                    .error(StatusCode::OK, &format!("invalid JSON body: {e}"))
                    .await
            }
        }
    };
    let limit = query.get("limit").and_then(Value::as_u64).unwrap_or(100);
    let offset = query.get("offset").and_then(Value::as_u64).unwrap_or(0) as usize;
    if limit == 0 || limit > 500 {
        return reply
            .error(StatusCode::OK, "limit must be between 1 and 500")
            .await;
    }
    let rows = &shared.data.cocalc;
    let rows: Vec<&cocalc::types::Purchase> =
        if reply.is(Fault::Empty) || reply.is(Fault::EndlessEmpty) {
            Vec::new()
        } else if reply.is(Fault::Endless) {
            // Always a full page: the listing never reaches a short one.
            (offset..offset + limit as usize)
                .map(|i| &rows[i % rows.len()])
                .collect()
        } else {
            rows.iter().skip(offset).take(limit as usize).collect()
        };
    reply
        .json(
            StatusCode::OK,
            &json!({"balance": "12.50", "purchases": rows}),
        )
        .await
}

async fn subtotal_list(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    uri: axum::http::Uri,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let reply = Reply::new(&shared, Provider::Subtotal, &headers);
    if let Some(r) = reply.intercept(&headers, &uri).await {
        return r;
    }
    // FastAPI's validation errors name the offending input.
    let invalid = |loc: [&str; 2], msg: &str, kind: &str| json!({"detail": [{"loc": loc, "msg": msg, "type": kind}]});
    let Some(key) = header(&headers, "x-api-key") else {
        let body = invalid(["header", "x-api-key"], "Field required", "missing");
        return reply.json(StatusCode::UNPROCESSABLE_ENTITY, &body).await;
    };
    if key != DEMO_CREDENTIALS.subtotal_api_key
        || !bearer_is(&headers, DEMO_CREDENTIALS.subtotal_connection_token)
    {
        return reply
            .json(
                StatusCode::UNAUTHORIZED,
                &json!({"detail": "Invalid credentials"}),
            )
            .await;
    }
    let limit = match page_size(&q, "limit", 10, 50) {
        Ok(l) => l,
        Err(msg) => {
            return reply
                .json(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    &invalid(["query", "limit"], &msg, "value_error"),
                )
                .await
        }
    };
    let rows = &shared.data.subtotal;
    // Endless listings number their ids `<id>~<position>`, so no cursor ever repeats.
    let position = |id: &str| -> Option<usize> {
        match id.rsplit_once('~') {
            Some((_, n)) if reply.is(Fault::Endless) => n.parse().ok(),
            _ => rows.iter().position(|r| r.purchase_id == id),
        }
    };
    let start = match q.get("starting_after") {
        None => 0,
        Some(id) => match position(id) {
            Some(i) => i + 1,
            None => {
                let body = invalid(
                    ["query", "starting_after"],
                    "Unknown purchase id",
                    "value_error",
                );
                return reply.json(StatusCode::UNPROCESSABLE_ENTITY, &body).await;
            }
        },
    };
    let (page, has_more): (Vec<subtotal::types::PurchaseSummary>, bool) = if reply.is(Fault::Empty)
    {
        (Vec::new(), false)
    } else if reply.is(Fault::EndlessEmpty) {
        (Vec::new(), true)
    } else if reply.is(Fault::Endless) {
        let page = (start..start + limit)
            .map(|i| {
                let mut row = rows[i % rows.len()].clone();
                row.purchase_id = format!("{}~{i}", row.purchase_id);
                row
            })
            .collect();
        (page, true)
    } else {
        let page: Vec<_> = rows.iter().skip(start).take(limit).cloned().collect();
        let more = start + page.len() < rows.len();
        (page, more)
    };
    reply
        .json(
            StatusCode::OK,
            &json!({"has_more": has_more, "purchases": page}),
        )
        .await
}

/// The status and type [`Fault::NewEnumValues`] gives every Togai purchase.
const NEW_STATUS: &str = "PARTIALLY_REFUNDED";
const NEW_TYPE: &str = "SUBSCRIPTION";

async fn togai_get(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    uri: axum::http::Uri,
    Path(id): Path<String>,
) -> Response {
    let reply = Reply::new(&shared, Provider::Togai, &headers);
    if let Some(r) = reply.intercept(&headers, &uri).await {
        return r;
    }
    if !bearer_is(&headers, DEMO_CREDENTIALS.togai_api_token) {
        return reply.error(StatusCode::UNAUTHORIZED, "Unauthorized").await;
    }
    match shared.data.togai_details.iter().find(|r| r.id == id) {
        Some(record) => {
            let mut record = serde_json::to_value(record).unwrap_or(Value::Null);
            if reply.is(Fault::NewEnumValues) {
                record["status"] = json!(NEW_STATUS);
                record["type"] = json!(NEW_TYPE);
            }
            reply.json(StatusCode::OK, &record).await
        }
        None => {
            reply
                .error(StatusCode::NOT_FOUND, "Purchase not found")
                .await
        }
    }
}

async fn togai_list(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    uri: axum::http::Uri,
    Path(account): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let reply = Reply::new(&shared, Provider::Togai, &headers);
    if let Some(r) = reply.intercept(&headers, &uri).await {
        return r;
    }
    if !bearer_is(&headers, DEMO_CREDENTIALS.togai_api_token) {
        return reply.error(StatusCode::UNAUTHORIZED, "Unauthorized").await;
    }
    let size = match page_size(&q, "pageSize", 10, 100) {
        Ok(s) => s,
        Err(msg) => return reply.error(StatusCode::BAD_REQUEST, &msg).await,
    };
    let rows: &[togai::types::PurchaseListItem] =
        if account == DataSet::TOGAI_ACCOUNT && !reply.is(Fault::Empty) {
            &shared.data.togai
        } else {
            &[]
        };
    let start = match q.get("nextToken") {
        None => 0,
        Some(t) => match t
            .strip_prefix("next.")
            .and_then(|n| n.parse::<usize>().ok())
        {
            Some(n) => n,
            None => {
                return reply
                    .error(StatusCode::BAD_REQUEST, "Invalid nextToken")
                    .await
            }
        },
    };
    let (page, next): (Vec<&togai::types::PurchaseListItem>, Option<usize>) =
        if reply.is(Fault::EndlessEmpty) {
            (Vec::new(), Some(start + 1))
        } else if reply.is(Fault::Endless) && !rows.is_empty() {
            let page = (start..start + size).map(|i| &rows[i % rows.len()]);
            (page.collect(), Some(start + size))
        } else {
            let page: Vec<_> = rows.iter().skip(start).take(size).collect();
            let end = start + page.len();
            (page, (end < rows.len()).then_some(end))
        };
    let mut body = json!({"data": page, "context": {"pageSize": size, "sortOrder": "DESC"}});
    if reply.is(Fault::NewEnumValues) {
        for item in body["data"].as_array_mut().into_iter().flatten() {
            item["status"] = json!(NEW_STATUS);
            item["type"] = json!(NEW_TYPE);
        }
    }
    if let Some(next) = next {
        body["nextToken"] = json!(format!("next.{next}"));
    }
    reply.json(StatusCode::OK, &body).await
}

async fn kit_list(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    uri: axum::http::Uri,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    use base64::Engine;
    let reply = Reply::new(&shared, Provider::Kit, &headers);
    if let Some(r) = reply.intercept(&headers, &uri).await {
        return r;
    }
    if !bearer_is(&headers, DEMO_CREDENTIALS.kit_access_token) {
        return reply
            .error(StatusCode::UNAUTHORIZED, "The access token is invalid")
            .await;
    }
    let per_page = match page_size(&q, "per_page", 500, 1000) {
        Ok(n) => n,
        Err(msg) => return reply.error(StatusCode::UNPROCESSABLE_ENTITY, &msg).await,
    };
    // Kit's cursors are base64 of `[index]`.
    let engine = base64::engine::general_purpose::STANDARD;
    let cursor = |i: usize| engine.encode(format!("[{i}]"));
    let index = |c: &str| -> Option<usize> {
        let text = String::from_utf8(engine.decode(c).ok()?).ok()?;
        text.strip_prefix('[')?.strip_suffix(']')?.parse().ok()
    };
    let start = match q.get("after") {
        None => 0,
        Some(c) => match index(c) {
            Some(i) => i + 1,
            None => {
                return reply
                    .error(StatusCode::UNPROCESSABLE_ENTITY, "Invalid cursor")
                    .await
            }
        },
    };
    let rows: &[kit::types::Purchase] = if reply.is(Fault::Empty) {
        &[]
    } else {
        &shared.data.kit
    };
    let (page, has_next): (Vec<&kit::types::Purchase>, bool) = if reply.is(Fault::EndlessEmpty) {
        (Vec::new(), true)
    } else if reply.is(Fault::Endless) && !rows.is_empty() {
        let page = (start..start + per_page).map(|i| &rows[i % rows.len()]);
        (page.collect(), true)
    } else {
        let page: Vec<_> = rows.iter().skip(start).take(per_page).collect();
        let more = start + page.len() < rows.len();
        (page, more)
    };
    // Kit sends null cursors for an empty page; an endless empty one still points ahead.
    let (start_cursor, end_cursor) = if reply.is(Fault::EndlessEmpty) {
        (json!(cursor(start)), json!(cursor(start)))
    } else if page.is_empty() {
        (Value::Null, Value::Null)
    } else {
        (json!(cursor(start)), json!(cursor(start + page.len() - 1)))
    };
    let mut body = json!({
        "purchases": page,
        "pagination": {
            "has_previous_page": start > 0,
            "has_next_page": has_next,
            "start_cursor": start_cursor,
            "end_cursor": end_cursor,
            "per_page": per_page,
        }
    });
    if q.get("include_total_count").map(String::as_str) == Some("true") {
        body["pagination"]["total_count"] = json!(rows.len());
    }
    reply.json(StatusCode::OK, &body).await
}
