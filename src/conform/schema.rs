//! OpenAPI 3.0 schemas as JSON Schema (draft 2020-12), for a real validator.
//!
//! OpenAPI 3.0's schema dialect differs from JSON Schema in a few places: `nullable`,
//! boolean `exclusiveMinimum`/`exclusiveMaximum`, `$ref`s into `#/components/schemas`, and
//! annotations JSON Schema does not know. [`to_json_schema`] rewrites a schema and every
//! component it may reference into one self-contained JSON Schema document.

use serde_json::{json, Map, Value};

const REF_PREFIX: &str = "#/components/schemas/";

/// `schema` (from an OpenAPI 3.0 document `doc`) as a self-contained JSON Schema, with the
/// document's component schemas under `$defs`.
pub fn to_json_schema(doc: &Value, schema: &Value) -> Value {
    let mut root = translate(schema);
    if let Some(components) = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
    {
        let defs: Map<String, Value> = components
            .iter()
            .map(|(name, s)| (name.clone(), translate(s)))
            .collect();
        if let Value::Object(obj) = &mut root {
            obj.insert("$defs".into(), Value::Object(defs));
        } else {
            root = json!({"allOf": [root], "$defs": defs});
        }
    }
    if let Value::Object(obj) = &mut root {
        obj.insert(
            "$schema".into(),
            json!("https://json-schema.org/draft/2020-12/schema"),
        );
    }
    root
}

/// Translates one schema and its subschemas.
pub fn translate(schema: &Value) -> Value {
    let Some(obj) = schema.as_object() else {
        return schema.clone();
    };
    if let Some(Value::String(r)) = obj.get("$ref") {
        let target = match r.strip_prefix(REF_PREFIX) {
            Some(name) => format!("#/$defs/{name}"),
            None => r.clone(),
        };
        return json!({ "$ref": target });
    }
    let mut out = Map::new();
    for (key, value) in obj {
        match key.as_str() {
            // Annotations that are OpenAPI's, not JSON Schema's.
            "nullable" | "example" | "discriminator" | "xml" | "externalDocs" | "deprecated" => {}
            "properties" => {
                let props = value
                    .as_object()
                    .map(|p| p.iter().map(|(k, v)| (k.clone(), translate(v))).collect())
                    .unwrap_or_default();
                out.insert(key.clone(), Value::Object(props));
            }
            "items" | "not" => {
                out.insert(key.clone(), translate(value));
            }
            "additionalProperties" if value.is_object() => {
                out.insert(key.clone(), translate(value));
            }
            "allOf" | "anyOf" | "oneOf" => {
                let list = value
                    .as_array()
                    .map(|a| a.iter().map(translate).collect())
                    .unwrap_or_default();
                out.insert(key.clone(), Value::Array(list));
            }
            "exclusiveMinimum" | "exclusiveMaximum" => {
                let bound = if key == "exclusiveMinimum" {
                    "minimum"
                } else {
                    "maximum"
                };
                if value == &json!(true) {
                    if let Some(b) = obj.get(bound) {
                        out.insert(key.clone(), b.clone());
                    }
                } else if value.is_number() {
                    out.insert(key.clone(), value.clone());
                }
            }
            "minimum" | "maximum" => {
                let exclusive = if key == "minimum" {
                    "exclusiveMinimum"
                } else {
                    "exclusiveMaximum"
                };
                if obj.get(exclusive) != Some(&json!(true)) {
                    out.insert(key.clone(), value.clone());
                }
            }
            _ => {
                out.insert(key.clone(), value.clone());
            }
        }
    }
    if obj.get("nullable") == Some(&json!(true)) {
        match out.get_mut("type") {
            Some(Value::String(t)) => {
                let t = t.clone();
                out.insert("type".into(), json!([t, "null"]));
            }
            Some(_) => {}
            None => {
                // A nullable schema with no type constrains nothing about null, except
                // through combinators: allow null alongside them.
                if out
                    .keys()
                    .any(|k| matches!(k.as_str(), "allOf" | "anyOf" | "oneOf" | "$ref"))
                {
                    let inner = Value::Object(std::mem::take(&mut out));
                    out.insert("anyOf".into(), json!([{"type": "null"}, inner]));
                }
            }
        }
        if let Some(Value::Array(values)) = out.get_mut("enum") {
            if !values.contains(&Value::Null) {
                values.push(Value::Null);
            }
        }
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nullable_types_accept_null() {
        assert_eq!(
            translate(&json!({"type": "number", "nullable": true, "example": 1})),
            json!({"type": ["number", "null"]})
        );
        assert_eq!(
            translate(&json!({"type": "string", "enum": ["a"], "nullable": true})),
            json!({"type": ["string", "null"], "enum": ["a", null]})
        );
    }

    #[test]
    fn references_point_into_defs() {
        let doc = json!({"components": {"schemas": {"T": {"type": "integer"}}}});
        let s = to_json_schema(&doc, &json!({"$ref": "#/components/schemas/T"}));
        assert_eq!(s["$ref"], "#/$defs/T");
        assert_eq!(s["$defs"]["T"], json!({"type": "integer"}));
    }

    #[test]
    fn boolean_exclusive_bounds_become_numeric() {
        assert_eq!(
            translate(
                &json!({"type": "number", "minimum": 0, "exclusiveMinimum": true, "maximum": 5})
            ),
            json!({"type": "number", "exclusiveMinimum": 0, "maximum": 5})
        );
    }
}
