//! The mock's one list handler and one get handler, for every provider: each reads the
//! provider's description ([`crate::providers::MockSpec`], the list operation's
//! [`Paging`]) and the request's parameters as the generated parameter type, and applies the
//! faults once for all.

use super::server::{Reply, Shared};
use super::Fault;
use crate::paginate::{CursorKind, ListOperation, Paging};
use crate::providers::ProviderApi;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use base64::Engine;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;

/// Adds `A`'s routes: its list operation, and its get-by-id call if it has one, each at the
/// path template its spec gives under `/<provider>`.
pub(crate) fn routes<A: ProviderApi>(router: super::Router) -> super::Router {
    let operations = operations(A::PROVIDER);
    let mut router = router;
    let paging = <A::List as ListOperation>::PAGING;
    if let Some((method, template)) = operations.get(paging.operation) {
        let path = format!("/{}{template}", A::PROVIDER.name());
        router = router.route(&path, on(method, list::<A>));
    }
    if let Some(fetch) = A::MOCK.fetch {
        if let Some((method, template)) = operations.get(fetch.operation) {
            let path = format!("/{}{template}", A::PROVIDER.name());
            router = router.route(&path, on(method, get::<A>));
        }
    }
    router
}

fn on<H, T>(method: &Method, handler: H) -> axum::routing::MethodRouter<Arc<Shared>>
where
    H: axum::handler::Handler<T, Arc<Shared>>,
    T: 'static,
{
    let filter = if *method == Method::POST {
        axum::routing::MethodFilter::POST
    } else {
        axum::routing::MethodFilter::GET
    };
    axum::routing::on(filter, handler)
}

/// Each operation's method and path template, from the provider's normalized spec.
fn operations(provider: crate::Provider) -> HashMap<String, (Method, String)> {
    let mut out = HashMap::new();
    let Ok(doc) = crate::specs::normalized(provider) else {
        return out;
    };
    for (template, item) in doc["paths"].as_object().into_iter().flatten() {
        for (method, op) in item.as_object().into_iter().flatten() {
            let (Some(id), Ok(m)) = (
                op.get("operationId").and_then(Value::as_str),
                method.to_uppercase().parse::<Method>(),
            ) else {
                continue;
            };
            out.insert(id.to_string(), (m, template.clone()));
        }
    }
    out
}

/// Whether the request carries `A`'s demo credentials, as the client puts them on the wire.
fn authorized<A: ProviderApi>(headers: &HeaderMap) -> bool {
    let credentials: Vec<crate::Secret> = A::MOCK
        .credentials
        .iter()
        .map(|c| crate::Secret::new(*c))
        .collect();
    let Ok(url) = reqwest::Url::parse("http://mock.invalid/") else {
        return false;
    };
    let mut expected = reqwest::Request::new(reqwest::Method::GET, url);
    A::auth(&credentials).apply(&mut expected);
    expected
        .headers()
        .iter()
        .all(|(k, v)| headers.get(k.as_str()).map(|h| h.as_bytes()) == Some(v.as_bytes()))
}

/// The request's parameters as the list operation's type: from the JSON body for an API
/// that takes them there, else from the query string and the path.
fn parameters<L: ListOperation>(
    method: &Method,
    uri: &Uri,
    path: &HashMap<String, String>,
    body: &[u8],
) -> Result<L::Params, String> {
    if *method == Method::POST {
        let body = if body.iter().all(u8::is_ascii_whitespace) {
            b"{}".as_slice()
        } else {
            body
        };
        return serde_json::from_slice(body).map_err(|e| format!("invalid JSON body: {e}"));
    }
    let mut query = uri.query().unwrap_or("").to_string();
    for (k, v) in path {
        let encoded: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair(k, v)
            .finish();
        if !query.is_empty() {
            query.push('&');
        }
        query.push_str(&encoded);
    }
    let uri: Uri = format!("/?{query}").parse().map_err(|e| format!("{e}"))?;
    axum::extract::Query::<L::Params>::try_from_uri(&uri)
        .map(|q| q.0)
        .map_err(|e| e.body_text())
}

/// The mock's cursor for the record at `index` (an opaque token, as every API's is).
fn token(index: usize) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("[{index}]"))
}

fn index_of(token: &str) -> Option<usize> {
    let text = base64::engine::general_purpose::STANDARD
        .decode(token)
        .ok()?;
    let text = String::from_utf8(text).ok()?;
    text.strip_prefix('[')?.strip_suffix(']')?.parse().ok()
}

/// The value of `name` among the parameters, as JSON.
fn wire<'a>(params: &'a Value, name: &str) -> Option<&'a Value> {
    params.get(name).filter(|v| !v.is_null())
}

/// Whether the parameters set anything beyond paging (a filter the data must be run through).
fn filtered(params: &Value, paging: &Paging) -> bool {
    params.as_object().is_some_and(|o| {
        o.iter().any(|(k, v)| {
            !v.is_null()
                && k != paging.size
                && k != paging.cursor
                && paging.scope.is_none_or(|s| k != s.param)
        })
    })
}

/// The list operation: paged as the provider describes, within its bounds, through the
/// faults.
pub(crate) async fn list<A: ProviderApi>(
    State(shared): State<Arc<Shared>>,
    method: Method,
    headers: HeaderMap,
    uri: Uri,
    Path(path): Path<HashMap<String, String>>,
    body: axum::body::Bytes,
) -> Response {
    let spec = A::MOCK;
    let paging = <A::List as ListOperation>::PAGING;
    let reply = Reply::new(&shared, A::PROVIDER, &headers);
    if let Some(r) = reply.intercept(&headers, &uri).await {
        return r;
    }
    let refuse = StatusCode::from_u16(spec.invalid).unwrap_or(StatusCode::BAD_REQUEST);
    macro_rules! invalid {
        ($message:expr) => {
            reply.error(refuse, &$message).await
        };
    }
    if !authorized::<A>(&headers) {
        let status = StatusCode::from_u16(spec.refused.0).unwrap_or(StatusCode::UNAUTHORIZED);
        return reply.error(status, spec.refused.1).await;
    }
    let params = match parameters::<A::List>(&method, &uri, &path, &body) {
        Ok(p) => p,
        Err(e) => return invalid!(format!("invalid parameters: {e}")),
    };
    let wire_params = serde_json::to_value(&params).unwrap_or(Value::Null);
    let size = wire(&wire_params, paging.size)
        .and_then(Value::as_u64)
        .unwrap_or(u64::from(paging.default_size));
    if size == 0 || size > u64::from(paging.max_size) {
        return invalid!(format!(
            "{} must be between 1 and {}",
            paging.size, paging.max_size
        ));
    }
    let size = size as usize;
    let all = shared.data().get::<A>();
    // For an API listed by scope, the records of the scope asked for (spread round-robin
    // over the mock's scopes).
    let scopes = shared.scopes(A::PROVIDER);
    let scope = paging.scope.map(|s| {
        wire(&wire_params, s.param)
            .and_then(Value::as_str)
            .unwrap_or("")
    });
    let slot = scope.map(|s| scopes.iter().position(|name| name == s));
    let mine = |i: usize| match slot {
        None => true,
        Some(None) => false,
        Some(Some(k)) => i % scopes.len() == k,
    };
    let rows: Vec<&<A::List as ListOperation>::Item> = if reply.is(Fault::Empty) {
        Vec::new()
    } else if filtered(&wire_params, &paging) || scopes.len() > 1 || slot == Some(None) {
        all.iter()
            .enumerate()
            .filter(|(i, item)| mine(*i) && <A::List as ListOperation>::matches(&params, item))
            .map(|(_, item)| item)
            .collect()
    } else {
        all.iter().collect()
    };
    let endless = reply.is(Fault::Endless) && !rows.is_empty();
    // Where the page starts.
    let cursor = wire(&wire_params, paging.cursor);
    let start = match (paging.kind, cursor) {
        (_, None) => 0,
        (CursorKind::Offset, Some(c)) => c.as_u64().unwrap_or(0) as usize,
        (CursorKind::Token, Some(c)) => match c.as_str().and_then(index_of) {
            Some(i) => i,
            None => return invalid!("Invalid cursor"),
        },
        (CursorKind::LastId(_), Some(c)) => {
            let id = c.as_str().unwrap_or("");
            let position = match id.rsplit_once('~') {
                Some((_, n)) if endless => n.parse().ok(),
                _ if rows.len() != all.len() => {
                    let field = |i: &&<A::List as ListOperation>::Item| {
                        serde_json::to_value(i).ok().and_then(|v| {
                            let CursorKind::LastId(f) = paging.kind else {
                                return None;
                            };
                            v.get(f).and_then(Value::as_str).map(String::from)
                        })
                    };
                    rows.iter().position(|r| field(r).as_deref() == Some(id))
                }
                _ => shared.data().position(A::PROVIDER, id),
            };
            match position {
                Some(i) => i + 1,
                None => return invalid!(format!("Unknown {} {id:?}", paging.cursor)),
            }
        }
    };
    // The page, and whether (and where) more follows.
    let (items, more): (Vec<_>, Option<usize>) = if reply.is(Fault::EndlessEmpty) {
        (
            Vec::new(),
            (paging.kind != CursorKind::Offset).then_some(start + 1),
        )
    } else if endless {
        let items = (start..start + size).map(|i| rows[i % rows.len()].clone());
        (items.collect(), Some(start + size))
    } else {
        let items: Vec<_> = rows
            .iter()
            .skip(start)
            .take(size)
            .map(|r| (*r).clone())
            .collect();
        let end = start + items.len();
        (items, (end < rows.len()).then_some(end))
    };
    let next = more.map(|i| match paging.kind {
        CursorKind::Offset => i.to_string(),
        CursorKind::Token => token(i),
        CursorKind::LastId(_) => String::new(),
    });
    let page = <A::List as ListOperation>::page(items, next.as_deref(), &params);
    let mut body = serde_json::to_value(&page).unwrap_or(Value::Null);
    if let (true, CursorKind::LastId(field)) = (endless, paging.kind) {
        // An endless listing numbers its ids `<id>~<position>`, so no cursor repeats.
        for (k, item) in page_items(&mut body, paging.items).enumerate() {
            if let Some(id) = item.get(field).and_then(Value::as_str) {
                item[field] = json!(format!("{id}~{}", start + k));
            }
        }
    }
    if reply.is(Fault::NewEnumValues) {
        for item in page_items(&mut body, paging.items) {
            new_enum_values(item, spec.new_enum_values);
        }
    }
    reply.json(StatusCode::OK, &body).await
}

/// The records of a page (at `pointer`), to rewrite.
fn page_items<'a>(page: &'a mut Value, pointer: &str) -> impl Iterator<Item = &'a mut Value> {
    page.pointer_mut(pointer)
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
}

/// Sets each of `values` on `record`, as a server ahead of its documentation would.
fn new_enum_values(record: &mut Value, values: &[(&str, &str)]) {
    for (field, value) in values {
        if let Some(o) = record.as_object_mut() {
            o.insert((*field).into(), json!(value));
        }
    }
}

/// The get-by-id call: the record whose id is the path parameter, or a 404.
pub(crate) async fn get<A: ProviderApi>(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    uri: Uri,
    Path(path): Path<HashMap<String, String>>,
) -> Response {
    let spec = A::MOCK;
    let reply = Reply::new(&shared, A::PROVIDER, &headers);
    if let Some(r) = reply.intercept(&headers, &uri).await {
        return r;
    }
    if !authorized::<A>(&headers) {
        let status = StatusCode::from_u16(spec.refused.0).unwrap_or(StatusCode::UNAUTHORIZED);
        return reply.error(status, spec.refused.1).await;
    }
    let id = path.values().next().map(String::as_str).unwrap_or("");
    match shared.data().fetched(A::PROVIDER, id) {
        Some(record) => {
            let mut record = record.clone();
            if reply.is(Fault::NewEnumValues) {
                new_enum_values(&mut record, spec.new_enum_values);
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
