//! A generic OpenAPI 3.1 → 3.0 down-conversion.
//!
//! progenitor reads OpenAPI 3.0 only. OpenAPI 3.1 schemas are JSON Schema 2020-12, which
//! says some things 3.0 cannot (type arrays, `null` as a type, numeric exclusive bounds,
//! `const`, `examples` arrays). This module rewrites each into its 3.0 equivalent, walking
//! only the places where the specification puts schemas, and refuses (with the location)
//! the few 3.1 constructs that have no 3.0 equivalent rather than dropping them silently.
//!
//! A 3.0 document passes through unchanged, so running it twice is harmless and a 3.1
//! document and its hand-made 3.0 equivalent convert to the same value.

use serde_json::{json, Map, Value};

/// The version written into a down-converted document.
pub const TARGET_VERSION: &str = "3.0.3";

/// JSON Schema keywords that OpenAPI 3.0 cannot express and that would change the meaning
/// of a schema if dropped.
pub(crate) const UNSUPPORTED_SCHEMA_KEYWORDS: &[&str] = &[
    "$defs",
    "$dynamicRef",
    "$dynamicAnchor",
    "prefixItems",
    "contains",
    "minContains",
    "maxContains",
    "if",
    "then",
    "else",
    "dependentSchemas",
    "dependentRequired",
    "unevaluatedProperties",
    "unevaluatedItems",
    "patternProperties",
    "propertyNames",
];

thread_local! {
    /// Set while [`to_openapi_30_keeping`] runs.
    static KEEPING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// The prefix under which [`to_openapi_30_keeping`] keeps a 3.1 keyword 3.0 has no
/// equivalent for (`prefixItems` becomes `x-oas31-prefixItems`).
pub const KEPT_PREFIX: &str = "x-oas31-";

/// [`to_openapi_30`] for comparing two documents rather than generating from one: a
/// construct 3.0 cannot say is kept beside the converted document instead of refused — a
/// schema keyword without a 3.0 equivalent (`contains`, `prefixItems`, `if`, ...) under
/// [`KEPT_PREFIX`] with its value, `components/pathItems` and `mutualTLS` schemes as they
/// are — so no document the specification allows is refused, and a change to what is kept
/// can still be reported.
pub fn to_openapi_30_keeping(doc: &mut Value) -> Result<(), String> {
    /// Clears the flag however the conversion ends (a panic included).
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            KEEPING.with(|k| k.set(false));
        }
    }
    KEEPING.with(|k| k.set(true));
    let _reset = Reset;
    to_openapi_30(doc)
}

fn keeping() -> bool {
    KEEPING.with(|k| k.get())
}

/// Rewrites `doc` in place from OpenAPI 3.1 to 3.0.3. A 3.0 document is left as it is.
///
/// Errors name the JSON pointer of the construct that could not be converted.
pub fn to_openapi_30(doc: &mut Value) -> Result<(), String> {
    let root = doc
        .as_object_mut()
        .ok_or_else(|| "the document is not an object".to_string())?;
    let version = root
        .get("openapi")
        .and_then(Value::as_str)
        .ok_or_else(|| "no `openapi` version string (is this a Swagger 2.0 document?)".to_string())?
        .to_string();
    if version.starts_with("3.0.") {
        return Ok(());
    }
    if !version.starts_with("3.1.") {
        return Err(format!(
            "unsupported OpenAPI version {version:?}: expected 3.0.x or 3.1.x"
        ));
    }
    root.insert("openapi".into(), json!(TARGET_VERSION));

    // Top-level members 3.0 does not have. Neither describes a call a client makes.
    root.remove("jsonSchemaDialect");
    if !keeping() {
        root.remove("webhooks");
    }
    if let Some(info) = root.get_mut("info").and_then(Value::as_object_mut) {
        info.remove("summary");
        if let Some(license) = info.get_mut("license").and_then(Value::as_object_mut) {
            license.remove("identifier");
        }
    }
    root.entry("paths").or_insert_with(|| json!({}));

    if let Some(paths) = root.get_mut("paths").and_then(Value::as_object_mut) {
        for (path, item) in paths.iter_mut() {
            path_item(item, &format!("/paths/{}", escape(path)))?;
        }
    }
    if let Some(components) = root.get_mut("components").and_then(Value::as_object_mut) {
        if components.contains_key("pathItems") && !keeping() {
            return Err("/components/pathItems has no OpenAPI 3.0 equivalent".into());
        }
        for_each_entry(components, "schemas", "/components/schemas", schema)?;
        for_each_entry(
            components,
            "parameters",
            "/components/parameters",
            parameter,
        )?;
        for_each_entry(components, "responses", "/components/responses", response)?;
        for_each_entry(
            components,
            "requestBodies",
            "/components/requestBodies",
            request_body,
        )?;
        for_each_entry(components, "headers", "/components/headers", header)?;
        if let Some(schemes) = components.get("securitySchemes").and_then(Value::as_object) {
            for (name, scheme) in schemes {
                if scheme.get("type").and_then(Value::as_str) == Some("mutualTLS") && !keeping() {
                    return Err(format!(
                        "/components/securitySchemes/{}: mutualTLS has no OpenAPI 3.0 equivalent",
                        escape(name)
                    ));
                }
            }
        }
    }
    Ok(())
}

type Visit = fn(&mut Value, &str) -> Result<(), String>;

fn for_each_entry(
    parent: &mut Map<String, Value>,
    key: &str,
    base: &str,
    visit: Visit,
) -> Result<(), String> {
    if let Some(entries) = parent.get_mut(key).and_then(Value::as_object_mut) {
        for (name, value) in entries.iter_mut() {
            visit(value, &format!("{base}/{}", escape(name)))?;
        }
    }
    Ok(())
}

fn for_each_item(
    parent: &mut Map<String, Value>,
    key: &str,
    base: &str,
    visit: Visit,
) -> Result<(), String> {
    if let Some(items) = parent.get_mut(key).and_then(Value::as_array_mut) {
        for (i, value) in items.iter_mut().enumerate() {
            visit(value, &format!("{base}/{key}/{i}"))?;
        }
    }
    Ok(())
}

const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

fn path_item(item: &mut Value, at: &str) -> Result<(), String> {
    let Some(item) = item.as_object_mut() else {
        return Ok(());
    };
    for_each_item(item, "parameters", at, parameter)?;
    for method in METHODS {
        if let Some(op) = item.get_mut(*method).and_then(Value::as_object_mut) {
            let at = format!("{at}/{method}");
            for_each_item(op, "parameters", &at, parameter)?;
            if let Some(body) = op.get_mut("requestBody") {
                request_body(body, &format!("{at}/requestBody"))?;
            }
            for_each_entry(op, "responses", &format!("{at}/responses"), response)?;
            if let Some(callbacks) = op.get_mut("callbacks").and_then(Value::as_object_mut) {
                for (name, callback) in callbacks.iter_mut() {
                    if let Some(callback) = callback.as_object_mut() {
                        for (expr, item) in callback.iter_mut() {
                            path_item(
                                item,
                                &format!("{at}/callbacks/{}/{}", escape(name), escape(expr)),
                            )?;
                        }
                    }
                }
            }
        }
    }
    Ok(())
}

fn parameter(p: &mut Value, at: &str) -> Result<(), String> {
    if let Some(p) = p.as_object_mut() {
        if let Some(s) = p.get_mut("schema") {
            schema(s, &format!("{at}/schema"))?;
        }
        content(p, at)?;
    }
    Ok(())
}

fn header(h: &mut Value, at: &str) -> Result<(), String> {
    parameter(h, at)
}

fn request_body(b: &mut Value, at: &str) -> Result<(), String> {
    if let Some(b) = b.as_object_mut() {
        content(b, at)?;
    }
    Ok(())
}

fn response(r: &mut Value, at: &str) -> Result<(), String> {
    if let Some(r) = r.as_object_mut() {
        for_each_entry(r, "headers", &format!("{at}/headers"), header)?;
        content(r, at)?;
    }
    Ok(())
}

fn content(parent: &mut Map<String, Value>, at: &str) -> Result<(), String> {
    if let Some(content) = parent.get_mut("content").and_then(Value::as_object_mut) {
        for (media, mt) in content.iter_mut() {
            if let Some(s) = mt.get_mut("schema") {
                schema(s, &format!("{at}/content/{}/schema", escape(media)))?;
            }
        }
    }
    Ok(())
}

/// Converts one schema (and every schema inside it).
pub fn schema(s: &mut Value, at: &str) -> Result<(), String> {
    // JSON Schema allows booleans as schemas; 3.0 does not.
    if let Value::Bool(b) = s {
        *s = if *b { json!({}) } else { json!({"not": {}}) };
        return Ok(());
    }
    let Some(obj) = s.as_object_mut() else {
        return Err(format!(
            "{at}: a schema must be an object, found {}",
            crate::kind(s)
        ));
    };

    if obj.contains_key("$ref") {
        // In 3.0 a reference object has no siblings (3.1 allows summary/description).
        obj.retain(|k, _| k == "$ref");
        return Ok(());
    }

    if let Some(keyword) = UNSUPPORTED_SCHEMA_KEYWORDS
        .iter()
        .find(|k| obj.contains_key(**k))
    {
        if !keeping() {
            return Err(format!("{at}: `{keyword}` has no OpenAPI 3.0 equivalent"));
        }
        for keyword in UNSUPPORTED_SCHEMA_KEYWORDS {
            if let Some(value) = obj.remove(*keyword) {
                obj.insert(format!("{KEPT_PREFIX}{keyword}"), value);
            }
        }
    }

    keywords_31_to_30(obj, at)?;
    type_list(obj, at)?;
    for combinator in ["anyOf", "oneOf"] {
        fold_null_branches(obj, combinator);
    }

    subschemas(obj, at)
}

/// Converts every schema inside `obj`.
fn subschemas(obj: &mut Map<String, Value>, at: &str) -> Result<(), String> {
    if let Some(props) = obj.get_mut("properties").and_then(Value::as_object_mut) {
        for (name, p) in props.iter_mut() {
            schema(p, &format!("{at}/properties/{}", escape(name)))?;
        }
    }
    for key in ["items", "not"] {
        if let Some(sub) = obj.get_mut(key) {
            schema(sub, &format!("{at}/{key}"))?;
        }
    }
    if let Some(sub) = obj.get_mut("additionalProperties") {
        if sub.is_object() {
            schema(sub, &format!("{at}/additionalProperties"))?;
        }
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        if let Some(list) = obj.get_mut(key).and_then(Value::as_array_mut) {
            for (i, sub) in list.iter_mut().enumerate() {
                schema(sub, &format!("{at}/{key}/{i}"))?;
            }
        }
    }
    Ok(())
}

/// The 3.1 keywords 3.0 writes otherwise: `examples`, `const`, numeric exclusive bounds,
/// `contentEncoding`/`contentMediaType`.
fn keywords_31_to_30(obj: &mut Map<String, Value>, at: &str) -> Result<(), String> {
    if let Some(examples) = obj.remove("examples") {
        if !obj.contains_key("example") {
            match examples {
                Value::Array(mut items) if !items.is_empty() => {
                    obj.insert("example".into(), items.swap_remove(0));
                }
                Value::Array(_) => {}
                other => {
                    return Err(format!(
                        "{at}/examples: expected an array, found {}",
                        crate::kind(&other)
                    ))
                }
            }
        }
    }

    // Drift compares these as themselves (oasdiff names their changes); the generator
    // gets their 3.0 spelling.
    if keeping() {
        for keyword in [
            "const",
            "contentEncoding",
            "contentMediaType",
            "contentSchema",
        ] {
            if let Some(value) = obj.remove(keyword) {
                obj.insert(format!("{KEPT_PREFIX}{keyword}"), value);
            }
        }
    }

    if let Some(c) = obj.remove("const") {
        obj.insert("enum".into(), Value::Array(vec![c]));
    }

    for (exclusive, bound) in [
        ("exclusiveMinimum", "minimum"),
        ("exclusiveMaximum", "maximum"),
    ] {
        // Drift compares 3.1's numeric bounds as themselves.
        if obj.get(exclusive).is_some_and(Value::is_number) && !keeping() {
            let n = obj.remove(exclusive).expect("checked above");
            // With both, both apply: 3.0's one bound keeps the stricter (an exclusive bound
            // at or past the inclusive one is the stricter).
            let stricter = match (n.as_f64(), obj.get(bound).and_then(Value::as_f64)) {
                (Some(e), Some(b)) if bound == "minimum" => e >= b,
                (Some(e), Some(b)) => e <= b,
                _ => true,
            };
            if stricter {
                obj.insert(bound.into(), n);
                obj.insert(exclusive.into(), json!(true));
            }
        }
    }

    if let Some(encoding) = obj.remove("contentEncoding") {
        obj.remove("contentMediaType");
        let format = if encoding == "base64" {
            "byte"
        } else {
            "binary"
        };
        obj.entry("format").or_insert_with(|| json!(format));
    } else if obj.remove("contentMediaType").is_some() {
        obj.entry("format").or_insert_with(|| json!("binary"));
    }

    Ok(())
}

/// A 3.1 type list: `null` becomes `nullable`, several types an `anyOf` of one type each.
fn type_list(obj: &mut Map<String, Value>, at: &str) -> Result<(), String> {
    match obj.remove("type") {
        Some(Value::Array(types)) => {
            let mut names = Vec::new();
            let mut nullable = false;
            for t in types {
                match t.as_str() {
                    Some("null") => nullable = true,
                    Some(name) => names.push(name.to_string()),
                    None => return Err(format!("{at}/type: type names must be strings")),
                }
            }
            match names.len() {
                0 => {}
                1 => {
                    obj.insert("type".into(), json!(names[0]));
                }
                _ => {
                    let branches = names.iter().map(|n| json!({ "type": n })).collect();
                    obj.insert("anyOf".into(), Value::Array(branches));
                }
            }
            if nullable {
                obj.insert("nullable".into(), json!(true));
            }
        }
        Some(Value::String(t)) if t == "null" => {
            obj.insert("nullable".into(), json!(true));
            obj.insert("enum".into(), json!([null]));
        }
        Some(other) => {
            obj.insert("type".into(), other);
        }
        None => {}
    }

    Ok(())
}

/// Removes `{type: 'null'}` branches from `anyOf`/`oneOf`, marking the schema nullable.
/// A single remaining branch is folded into the schema itself (a reference stays a
/// reference, wrapped in `allOf` so that `nullable` is not a sibling of `$ref`).
fn fold_null_branches(obj: &mut Map<String, Value>, combinator: &str) {
    let Some(Value::Array(branches)) = obj.get_mut(combinator) else {
        return;
    };
    let before = branches.len();
    branches.retain(|b| !is_null_schema(b));
    if branches.len() == before {
        return;
    }
    obj.insert("nullable".into(), json!(true));
    let Some(Value::Array(branches)) = obj.get(combinator) else {
        unreachable!("checked above")
    };
    if branches.len() != 1 {
        return;
    }
    let only = obj
        .remove(combinator)
        .and_then(|mut v| v.as_array_mut().map(|a| a.remove(0)));
    match only {
        Some(Value::Object(branch)) if branch.contains_key("$ref") => {
            obj.insert("allOf".into(), json!([branch]));
        }
        Some(Value::Object(branch)) => {
            for (k, v) in branch {
                // The outer schema's annotations (title, description) win.
                obj.entry(k).or_insert(v);
            }
        }
        Some(other) => {
            obj.insert(combinator.into(), json!([other]));
        }
        None => {}
    }
}

fn is_null_schema(v: &Value) -> bool {
    let Some(o) = v.as_object() else {
        return false;
    };
    let null_type = match o.get("type") {
        Some(Value::String(t)) => t == "null",
        Some(Value::Array(ts)) => ts.len() == 1 && ts[0] == "null",
        _ => false,
    };
    null_type
        && o.keys()
            .all(|k| matches!(k.as_str(), "type" | "title" | "description"))
}

/// Escapes a key for use in a JSON pointer (RFC 6901).
pub fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn convert_schema(s: Value) -> Value {
        let mut doc = json!({
            "openapi": "3.1.0",
            "info": {"title": "t", "version": "1"},
            "paths": {},
            "components": {"schemas": {"S": s}}
        });
        to_openapi_30(&mut doc).unwrap();
        doc["components"]["schemas"]["S"].take()
    }

    #[test]
    fn the_version_becomes_3_0_3() {
        let mut doc = json!({"openapi": "3.1.0", "info": {"title": "t", "version": "1"}});
        to_openapi_30(&mut doc).unwrap();
        assert_eq!(doc["openapi"], "3.0.3");
        assert_eq!(doc["paths"], json!({}));
    }

    #[test]
    fn a_3_0_document_is_left_alone() {
        let original = json!({
            "openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {},
            "components": {"schemas": {"S": {"type": "string", "examples": ["kept"]}}}
        });
        let mut doc = original.clone();
        to_openapi_30(&mut doc).unwrap();
        assert_eq!(doc, original);
    }

    #[test]
    fn swagger_2_is_refused() {
        let mut doc = json!({"swagger": "2.0"});
        assert!(to_openapi_30(&mut doc).unwrap_err().contains("openapi"));
        let mut doc = json!({"openapi": "4.0.0"});
        assert!(to_openapi_30(&mut doc).unwrap_err().contains("4.0.0"));
    }

    #[test]
    fn schema_examples_become_the_first_example() {
        assert_eq!(
            convert_schema(json!({"type": "integer", "examples": [10, 20]})),
            json!({"type": "integer", "example": 10})
        );
    }

    #[test]
    fn an_existing_example_wins_over_examples() {
        assert_eq!(
            convert_schema(json!({"type": "integer", "example": 1, "examples": [10]})),
            json!({"type": "integer", "example": 1})
        );
    }

    #[test]
    fn a_type_array_with_null_becomes_nullable() {
        assert_eq!(
            convert_schema(json!({"type": ["string", "null"]})),
            json!({"type": "string", "nullable": true})
        );
    }

    #[test]
    fn a_type_array_of_two_types_becomes_any_of() {
        assert_eq!(
            convert_schema(json!({"type": ["string", "integer", "null"]})),
            json!({"anyOf": [{"type": "string"}, {"type": "integer"}], "nullable": true})
        );
    }

    #[test]
    fn any_of_with_a_null_branch_folds_into_a_nullable_schema() {
        assert_eq!(
            convert_schema(json!({
                "anyOf": [{"type": "string", "format": "date-time"}, {"type": "null"}],
                "title": "When"
            })),
            json!({"title": "When", "nullable": true, "type": "string", "format": "date-time"})
        );
    }

    #[test]
    fn a_nullable_reference_keeps_the_reference_inside_all_of() {
        assert_eq!(
            convert_schema(
                json!({"oneOf": [{"$ref": "#/components/schemas/T"}, {"type": "null"}]})
            ),
            json!({"nullable": true, "allOf": [{"$ref": "#/components/schemas/T"}]})
        );
    }

    #[test]
    fn any_of_with_two_branches_and_null_keeps_both_branches() {
        assert_eq!(
            convert_schema(
                json!({"anyOf": [{"type": "string"}, {"type": "integer"}, {"type": "null"}]})
            ),
            json!({"anyOf": [{"type": "string"}, {"type": "integer"}], "nullable": true})
        );
    }

    #[test]
    fn any_of_without_null_is_unchanged() {
        let s = json!({"anyOf": [{"type": "string"}, {"type": "integer"}]});
        assert_eq!(convert_schema(s.clone()), s);
    }

    #[test]
    fn const_becomes_a_one_value_enum() {
        assert_eq!(
            convert_schema(json!({"const": "paid"})),
            json!({"enum": ["paid"]})
        );
    }

    #[test]
    fn numeric_exclusive_bounds_become_boolean_ones() {
        assert_eq!(
            convert_schema(
                json!({"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 10})
            ),
            json!({"type": "number", "minimum": 0, "exclusiveMinimum": true, "maximum": 10, "exclusiveMaximum": true})
        );
    }

    #[test]
    fn boolean_schemas_become_objects() {
        assert_eq!(
            convert_schema(
                json!({"type": "object", "additionalProperties": {"type": ["integer", "null"]}, "properties": {"any": true, "none": false}})
            ),
            json!({"type": "object", "additionalProperties": {"type": "integer", "nullable": true}, "properties": {"any": {}, "none": {"not": {}}}})
        );
    }

    #[test]
    fn content_encoding_becomes_a_format() {
        assert_eq!(
            convert_schema(json!({"type": "string", "contentEncoding": "base64"})),
            json!({"type": "string", "format": "byte"})
        );
        assert_eq!(
            convert_schema(json!({"type": "string", "contentMediaType": "image/png"})),
            json!({"type": "string", "format": "binary"})
        );
    }

    #[test]
    fn reference_siblings_are_dropped() {
        assert_eq!(
            convert_schema(json!({"$ref": "#/components/schemas/T", "description": "d"})),
            json!({"$ref": "#/components/schemas/T"})
        );
    }

    #[test]
    fn nested_schemas_are_converted() {
        assert_eq!(
            convert_schema(json!({
                "type": "object",
                "properties": {"a": {"type": "array", "items": {"type": ["number", "null"], "examples": [1.5]}}},
                "allOf": [{"type": "object", "properties": {"b": {"const": 1}}}]
            })),
            json!({
                "type": "object",
                "properties": {"a": {"type": "array", "items": {"type": "number", "nullable": true, "example": 1.5}}},
                "allOf": [{"type": "object", "properties": {"b": {"enum": [1]}}}]
            })
        );
    }

    #[test]
    fn unsupported_keywords_are_refused_with_their_location() {
        let mut doc = json!({
            "openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {},
            "components": {"schemas": {"S": {"type": "object", "properties": {"p": {"prefixItems": []}}}}}
        });
        let err = to_openapi_30(&mut doc).unwrap_err();
        assert_eq!(
            err,
            "/components/schemas/S/properties/p: `prefixItems` has no OpenAPI 3.0 equivalent"
        );
    }

    #[test]
    fn parameter_and_response_schemas_are_converted_but_media_examples_are_kept() {
        let mut doc = json!({
            "openapi": "3.1.0", "info": {"title": "t", "version": "1"},
            "webhooks": {"w": {}},
            "paths": {"/a/{id}": {
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string", "examples": ["x"]}}],
                "get": {
                    "parameters": [{"name": "q", "in": "query", "schema": {"type": ["integer", "null"]}}],
                    "responses": {"200": {"description": "ok", "content": {"application/json": {
                        "schema": {"type": "object", "properties": {"t": {"type": ["string", "null"]}}},
                        "examples": {"one": {"value": {"t": null}}}
                    }}}}
                }
            }}
        });
        to_openapi_30(&mut doc).unwrap();
        let item = &doc["paths"]["/a/{id}"];
        assert_eq!(
            item["parameters"][0]["schema"],
            json!({"type": "string", "example": "x"})
        );
        assert_eq!(
            item["get"]["parameters"][0]["schema"],
            json!({"type": "integer", "nullable": true})
        );
        let media = &item["get"]["responses"]["200"]["content"]["application/json"];
        assert_eq!(
            media["schema"]["properties"]["t"],
            json!({"type": "string", "nullable": true})
        );
        assert_eq!(media["examples"], json!({"one": {"value": {"t": null}}}));
        assert!(doc.get("webhooks").is_none());
    }

    #[test]
    fn conversion_is_idempotent() {
        let mut doc = json!({
            "openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {},
            "components": {"schemas": {"S": {"type": ["string", "null"], "examples": ["a"]}}}
        });
        to_openapi_30(&mut doc).unwrap();
        let once = doc.clone();
        to_openapi_30(&mut doc).unwrap();
        assert_eq!(doc, once);
    }
}
