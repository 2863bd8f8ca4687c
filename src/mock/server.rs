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
}

impl Fault {
    /// Every fault, by name.
    pub const ALL: [Fault; 5] = [
        Fault::RateLimit,
        Fault::ServerError,
        Fault::Unavailable,
        Fault::Slow,
        Fault::Malformed,
    ];

    /// The fault's name (`--fault NAME`, `x-mock-fault: NAME`).
    pub fn name(self) -> &'static str {
        match self {
            Fault::RateLimit => "rate-limit",
            Fault::ServerError => "server-error",
            Fault::Unavailable => "unavailable",
            Fault::Slow => "slow",
            Fault::Malformed => "malformed",
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
}

/// A running mock; it stops when dropped.
pub struct MockServer {
    addr: SocketAddr,
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
            .with_state(shared);
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
            shutdown: Some(tx),
            task,
        })
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
    json_response(status, text)
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
    body: String,
) -> Response {
    let reply = Reply::new(&shared, Provider::CoCalc, &headers);
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
    let rows: Vec<&cocalc::types::Purchase> = shared
        .data
        .cocalc
        .iter()
        .skip(offset)
        .take(limit as usize)
        .collect();
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
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let reply = Reply::new(&shared, Provider::Subtotal, &headers);
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
    let start = match q.get("starting_after") {
        None => 0,
        Some(id) => match rows.iter().position(|r| &r.purchase_id == id) {
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
    let page: Vec<&subtotal::types::PurchaseSummary> =
        rows.iter().skip(start).take(limit).collect();
    let has_more = start + page.len() < rows.len();
    reply
        .json(
            StatusCode::OK,
            &json!({"has_more": has_more, "purchases": page}),
        )
        .await
}

async fn togai_get(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let reply = Reply::new(&shared, Provider::Togai, &headers);
    if !bearer_is(&headers, DEMO_CREDENTIALS.togai_api_token) {
        return reply.error(StatusCode::UNAUTHORIZED, "Unauthorized").await;
    }
    match shared.data.togai_details.iter().find(|r| r.id == id) {
        Some(record) => {
            reply
                .json(
                    StatusCode::OK,
                    &serde_json::to_value(record).unwrap_or(Value::Null),
                )
                .await
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
    Path(account): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let reply = Reply::new(&shared, Provider::Togai, &headers);
    if !bearer_is(&headers, DEMO_CREDENTIALS.togai_api_token) {
        return reply.error(StatusCode::UNAUTHORIZED, "Unauthorized").await;
    }
    let size = match page_size(&q, "pageSize", 10, 100) {
        Ok(s) => s,
        Err(msg) => return reply.error(StatusCode::BAD_REQUEST, &msg).await,
    };
    let rows: &[togai::types::PurchaseListItem] = if account == DataSet::TOGAI_ACCOUNT {
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
    let page: Vec<&togai::types::PurchaseListItem> = rows.iter().skip(start).take(size).collect();
    let end = start + page.len();
    let mut body = json!({"data": page, "context": {"pageSize": size, "sortOrder": "DESC"}});
    if end < rows.len() {
        body["nextToken"] = json!(format!("next.{end}"));
    }
    reply.json(StatusCode::OK, &body).await
}

async fn kit_list(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    use base64::Engine;
    let reply = Reply::new(&shared, Provider::Kit, &headers);
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
    let rows = &shared.data.kit;
    let page: Vec<&kit::types::Purchase> = rows.iter().skip(start).take(per_page).collect();
    let end = start + page.len();
    let mut body = json!({
        "purchases": page,
        "pagination": {
            "has_previous_page": start > 0,
            "has_next_page": end < rows.len(),
            "start_cursor": cursor(start),
            "end_cursor": cursor(end.saturating_sub(1)),
            "per_page": per_page,
        }
    });
    if q.get("include_total_count").map(String::as_str) == Some("true") {
        body["pagination"]["total_count"] = json!(rows.len());
    }
    reply.json(StatusCode::OK, &body).await
}
