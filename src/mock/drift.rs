//! The mock's drift mode: what a later version of each API might send.
//!
//! With [`super::MockConfig::drift`] every successful JSON reply is rewritten along its
//! schema in the normalized spec (nothing here knows a provider):
//!
//! * the body's objects and the records of its lists (the objects inside its first-level
//!   arrays, not the objects nested deeper) get fields the spec does not have, of several
//!   kinds:
//!   `drift_note` (a string), `drift_count` (an integer), `drift_rate` (a decimal with 21
//!   significant digits), `drift_flag` (a boolean), `drift_seen_at` (a date-time),
//!   `drift_tags` (strings) and `drift_meta` (an object);
//! * in every record, the first string enum gets a value the
//!   spec does not list (`DRIFT_NEW_VALUE`), the first optional non-nullable field is sent
//!   as `null`, the first number is sent as a string with the same digits, and the next
//!   optional field is left out.
//!
//! Pagination fields and required fields are never touched, so a client that survives
//! upstream change lists the same purchases.

use crate::lossless::Json;
use crate::Provider;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use purchase_spec::downconvert::escape;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;

/// The enum value no spec lists.
pub const NEW_ENUM_VALUE: &str = "DRIFT_NEW_VALUE";

/// The normalized spec of every provider, for finding each reply's schema.
pub(crate) struct Drift {
    specs: HashMap<Provider, Value>,
}

impl Drift {
    pub(crate) fn new() -> Self {
        Drift {
            specs: Provider::ALL
                .iter()
                .filter_map(|p| Some((*p, crate::specs::normalized(*p).ok()?)))
                .collect(),
        }
    }
}

/// The middleware: rewrites a successful JSON reply when drift is on.
pub(crate) async fn layer(
    State(shared): State<Arc<super::Shared>>,
    request: Request,
    next: Next,
) -> Response {
    let Some(drift) = shared.drift.as_ref() else {
        return next.run(request).await;
    };
    let method = request.method().as_str().to_ascii_lowercase();
    let path = request.uri().path().to_string();
    let response = next.run(request).await;
    if !response.status().is_success() {
        return response;
    }
    let Some((doc, schema)) = drift.schema_for(&method, &path, response.status().as_u16()) else {
        return response;
    };
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return Response::from_parts(parts, axum::body::Body::empty());
    };
    let text = match std::str::from_utf8(&bytes).map(Json::parse) {
        Ok(Ok(mut json)) => {
            let root = Place {
                arrays: 0,
                record: false,
            };
            rewrite(doc, &schema, &mut json, root, 0);
            json.to_text()
        }
        _ => return Response::from_parts(parts, axum::body::Body::from(bytes)),
    };
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    Response::from_parts(parts, axum::body::Body::from(text))
}

impl Drift {
    /// The spec and the schema of the reply to `method path` with `status`: the provider
    /// is the path's first segment, the operation the template the rest matches.
    fn schema_for(&self, method: &str, path: &str, status: u16) -> Option<(&Value, String)> {
        let mut segments = path.trim_start_matches('/').splitn(2, '/');
        let provider: Provider = segments.next()?.parse().ok()?;
        let rest = format!("/{}", segments.next().unwrap_or(""));
        let doc = self.specs.get(&provider)?;
        let (template, _) = doc
            .get("paths")?
            .as_object()?
            .iter()
            .find(|(template, item)| item.get(method).is_some() && matches(template, &rest))?;
        let schema = format!(
            "/paths/{}/{method}/responses/{status}/content/application~1json/schema",
            escape(template)
        );
        doc.pointer(&schema).is_some().then_some((doc, schema))
    }
}

/// Whether `path` is an instance of `template` (`{name}` matches one segment), possibly
/// under a base path.
fn matches(template: &str, path: &str) -> bool {
    let t: Vec<&str> = template.trim_matches('/').split('/').collect();
    let p: Vec<&str> = path.trim_matches('/').split('/').collect();
    p.len() >= t.len()
        && t.iter()
            .zip(&p[p.len() - t.len()..])
            .all(|(t, p)| (t.starts_with('{') && t.ends_with('}')) || t == p)
}

const MAX_DEPTH: usize = 64;

fn resolve<'a>(doc: &'a Value, ptr: &str) -> Option<(String, &'a Value)> {
    let mut ptr = ptr.to_string();
    for _ in 0..MAX_DEPTH {
        let schema = doc.pointer(&ptr)?;
        match schema.get("$ref").and_then(Value::as_str) {
            Some(r) => ptr = r.strip_prefix('#')?.to_string(),
            None => return Some((ptr, schema)),
        }
    }
    None
}

/// The branch of a `oneOf`/`anyOf` that fits `value` best: its kind, then most of its
/// properties present.
fn branch(doc: &Value, ptr: &str, key: &str, count: usize, value: &Json) -> Option<String> {
    (0..count)
        .filter_map(|i| {
            let b = format!("{ptr}/{key}/{i}");
            let (_, s) = resolve(doc, &b)?;
            let t = s.get("type").and_then(Value::as_str);
            let score = match (t, value) {
                (Some("object") | None, Json::Object(o)) => {
                    let props = s.get("properties").and_then(Value::as_object)?;
                    o.iter().filter(|(k, _)| props.contains_key(k)).count() + 1
                }
                (Some("array"), Json::Array(_)) => 1,
                _ => return None,
            };
            Some((score, std::cmp::Reverse(i), b))
        })
        .max()
        .map(|(_, _, b)| b)
}

/// Where a value sits: how many arrays enclose it, and whether it is an array's element.
#[derive(Clone, Copy)]
struct Place {
    arrays: usize,
    record: bool,
}

/// Rewrites `value` (which the schema at `ptr` describes) as a later API version might
/// send it. Only the body's own objects (no array above them) and the records of its
/// first-level lists change: a purchase and its page, not every object nested in it.
fn rewrite(doc: &Value, ptr: &str, value: &mut Json, place: Place, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    let Some((ptr, schema)) = resolve(doc, ptr) else {
        return;
    };
    for key in ["oneOf", "anyOf"] {
        if let Some(n) = schema.get(key).and_then(Value::as_array).map(Vec::len) {
            if let Some(b) = branch(doc, &ptr, key, n, value) {
                rewrite(doc, &b, value, place, depth + 1);
            }
            return;
        }
    }
    match value {
        Json::Array(items) if schema.get("items").is_some() && place.arrays == 0 => {
            let inside = Place {
                arrays: 1,
                record: true,
            };
            for item in items {
                rewrite(doc, &format!("{ptr}/items"), item, inside, depth + 1);
            }
        }
        Json::Object(entries) => {
            let Some(props) = schema.get("properties").and_then(Value::as_object) else {
                return;
            };
            if place.arrays > 0 && !place.record {
                return;
            }
            let nested = Place {
                arrays: place.arrays,
                record: false,
            };
            for (k, v) in entries.iter_mut() {
                if props.contains_key(k) {
                    let p = format!("{ptr}/properties/{}", escape(k));
                    rewrite(doc, &p, v, nested, depth + 1);
                }
            }
            if place.record {
                drift_record(doc, &ptr, schema, entries);
            }
            entries.extend(extra_fields());
        }
        _ => {}
    }
}

/// The fields a later version adds, of several kinds.
fn extra_fields() -> Vec<(String, Json)> {
    let s = |v: &str| Json::String(v.into());
    let n = |v: &str| Json::Number(v.into());
    vec![
        ("drift_note".into(), s("added by a later version")),
        ("drift_count".into(), n("7")),
        ("drift_rate".into(), n("12.3456789012345678901")),
        ("drift_flag".into(), Json::Bool(true)),
        ("drift_seen_at".into(), s("2026-11-23T10:00:00Z")),
        ("drift_tags".into(), Json::Array(vec![s("a"), s("b")])),
        (
            "drift_meta".into(),
            Json::Object(vec![
                ("source".into(), s("drift")),
                ("level".into(), n("2")),
            ]),
        ),
    ]
}

/// In one record: a new enum value, a null, an amount as text, an optional field left out.
fn drift_record(doc: &Value, ptr: &str, schema: &Value, entries: &mut Vec<(String, Json)>) {
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let property = |name: &str| {
        resolve(doc, &format!("{ptr}/properties/{}", escape(name))).map(|(_, s)| s.clone())
    };
    let ty = |s: &Value| s.get("type").and_then(Value::as_str).map(str::to_string);
    let mut touched: Vec<String> = Vec::new();
    // A value the enum does not list.
    if let Some((k, v)) = entries.iter_mut().find(|(k, v)| {
        matches!(v, Json::String(_)) && property(k).is_some_and(|s| s.get("enum").is_some())
    }) {
        *v = Json::String(NEW_ENUM_VALUE.into());
        touched.push(k.clone());
    }
    // An amount as a string with the same digits.
    if let Some((k, v)) = entries.iter_mut().find(|(k, v)| {
        matches!(v, Json::Number(_))
            && property(k).and_then(|s| ty(&s)).as_deref() == Some("number")
    }) {
        if let Json::Number(text) = v {
            *v = Json::String(text.clone());
        }
        touched.push(k.clone());
    }
    let optional = |k: &str, v: &Json, touched: &[String]| {
        !required.contains(&k)
            && !touched.iter().any(|t| t == k)
            && !matches!(v, Json::Null)
            && property(k).is_some_and(|s| s.get("nullable") != Some(&Value::Bool(true)))
    };
    // A null in an optional field that is not nullable (a scalar one).
    if let Some((k, v)) = entries
        .iter_mut()
        .find(|(k, v)| optional(k, v, &touched) && !matches!(v, Json::Object(_) | Json::Array(_)))
    {
        *v = Json::Null;
        touched.push(k.clone());
    }
    // An optional field left out.
    if let Some(i) = entries.iter().position(|(k, v)| optional(k, v, &touched)) {
        entries.remove(i);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn templates_match_their_instances() {
        assert!(matches(
            "/accounts/{id}/purchases",
            "/accounts/A1/purchases"
        ));
        assert!(matches("/v4/purchases", "/v4/purchases"));
        assert!(matches("/purchases", "/api/purchases"));
        assert!(!matches("/accounts/{id}/purchases", "/accounts/A1"));
        assert!(!matches("/v4/purchases", "/v4/products"));
    }

    #[test]
    fn a_record_drifts_and_its_page_keeps_its_paging() {
        let doc = json!({"components": {"schemas": {
            "Page": {"type": "object", "required": ["items"], "properties": {
                "items": {"type": "array", "items": {"$ref": "#/components/schemas/Item"}},
                "next": {"type": "string"}
            }},
            "Item": {"type": "object", "required": ["id"], "properties": {
                "id": {"type": "string"},
                "status": {"type": "string", "enum": ["paid"]},
                "total": {"type": "number"},
                "note": {"type": "string"},
                "memo": {"type": "string"},
                "gone": {"type": "string"}
            }}
        }}});
        let mut page = Json::parse(
            r#"{"items":[{"id":"a","status":"paid","total":1.50,"note":"n","memo":"m","gone":"g"}],"next":"c2"}"#,
        )
        .unwrap();
        let root = Place {
            arrays: 0,
            record: false,
        };
        rewrite(&doc, "/components/schemas/Page", &mut page, root, 0);
        let text = page.to_text();
        assert!(
            text.starts_with(r#"{"items":[{"id":"a","status":"DRIFT_NEW_VALUE","total":"1.50","note":null,"gone":"g","drift_note""#),
            "{text}"
        );
        assert!(
            text.contains(r#""drift_rate":12.3456789012345678901"#),
            "{text}"
        );
        assert!(text.contains(r#""next":"c2","drift_note""#), "{text}");
    }
}
