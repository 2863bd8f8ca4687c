//! Two ways of writing the same API are no change: each of the project's specs against
//! itself rewritten (allOf split and flattened, `$ref`s inlined and extracted, keys
//! reordered, 3.0 `nullable` written as 3.1 type arrays, alternatives reordered) gives no
//! finding above `info`.

use purchase_spec::drift::{compare_texts, Level};
use serde_json::{json, Map, Value};

const SPECS: &[&str] = &["cocalc", "subtotal", "togai", "kit"];

fn spec(name: &str) -> Value {
    let path = format!("{}/specs/{name}.yaml", env!("PURCHASE_CLIENTS_CHECKOUT"));
    let text = std::fs::read_to_string(path).unwrap();
    purchase_spec::load_document(name, &text).unwrap()
}

/// Keys whose values are data, not schemas.
const DATA: &[&str] = &[
    "example",
    "examples",
    "enum",
    "default",
    "const",
    "x-extensible-enum",
];

/// Calls `f` on every object in `v` that is not inside data, children first.
fn each_object(v: &mut Value, f: &mut dyn FnMut(&mut Map<String, Value>)) {
    match v {
        Value::Object(o) => {
            for (k, child) in o.iter_mut() {
                if !DATA.contains(&k.as_str()) {
                    each_object(child, f);
                }
            }
            f(o);
        }
        Value::Array(a) => a.iter_mut().for_each(|c| each_object(c, f)),
        _ => {}
    }
}

fn is_object_schema(o: &Map<String, Value>) -> bool {
    o.get("type") == Some(&json!("object")) && o.get("properties").is_some_and(Value::is_object)
}

/// Every object schema with two or more properties becomes an `allOf` of two halves, each
/// with its share of `required`.
fn split_all_of(doc: &mut Value) {
    each_object(doc, &mut |o| {
        let Some(props) = o.get("properties").and_then(Value::as_object).cloned() else {
            return;
        };
        if !is_object_schema(o) || props.len() < 2 {
            return;
        }
        let required: Vec<Value> = o
            .remove("required")
            .and_then(|r| r.as_array().cloned())
            .unwrap_or_default();
        o.remove("properties");
        o.remove("type");
        let half = props.len() / 2;
        let part = |entries: Vec<(String, Value)>| {
            let names: Vec<&String> = entries.iter().map(|(k, _)| k).collect();
            let req: Vec<Value> = required
                .iter()
                .filter(|r| names.iter().any(|n| r.as_str() == Some(n.as_str())))
                .cloned()
                .collect();
            let mut p = json!({"type": "object", "properties": Map::from_iter(entries)});
            if !req.is_empty() {
                p["required"] = Value::Array(req);
            }
            p
        };
        let entries: Vec<(String, Value)> = props.into_iter().collect();
        let (a, b) = entries.split_at(half);
        o.insert("allOf".into(), json!([part(a.to_vec()), part(b.to_vec())]));
    });
}

/// Every `allOf` of inline object parts becomes one object.
fn flatten_all_of(doc: &mut Value) {
    each_object(doc, &mut |o| {
        let Some(parts) = o.get("allOf").and_then(Value::as_array).cloned() else {
            return;
        };
        if !parts
            .iter()
            .all(|p| p.get("$ref").is_none() && p.is_object())
        {
            return;
        }
        o.remove("allOf");
        let mut props = Map::new();
        let mut required = Vec::new();
        for p in parts {
            for (k, v) in p.as_object().into_iter().flatten() {
                match k.as_str() {
                    "properties" => props.extend(v.as_object().cloned().unwrap_or_default()),
                    "required" => required.extend(v.as_array().cloned().unwrap_or_default()),
                    _ => {
                        o.entry(k.clone()).or_insert_with(|| v.clone());
                    }
                }
            }
        }
        o.insert("properties".into(), Value::Object(props));
        if !required.is_empty() {
            o.insert("required".into(), Value::Array(required));
        }
    });
}

/// Every local `$ref` replaced by a copy of what it points to (cycles left as they are).
fn inline_refs(doc: &mut Value) {
    fn go(v: &Value, doc: &Value, stack: &mut Vec<String>) -> Value {
        match v {
            Value::Object(o) => {
                if let Some(r) = o.get("$ref").and_then(Value::as_str) {
                    if !stack.iter().any(|s| s == r) {
                        if let Some(target) = r.strip_prefix('#').and_then(|p| doc.pointer(p)) {
                            stack.push(r.to_string());
                            let out = go(target, doc, stack);
                            stack.pop();
                            return out;
                        }
                    }
                    return v.clone();
                }
                Value::Object(
                    o.iter()
                        .map(|(k, c)| {
                            let c = if DATA.contains(&k.as_str()) {
                                c.clone()
                            } else {
                                go(c, doc, stack)
                            };
                            (k.clone(), c)
                        })
                        .collect(),
                )
            }
            Value::Array(a) => Value::Array(a.iter().map(|c| go(c, doc, stack)).collect()),
            other => other.clone(),
        }
    }
    let original = doc.clone();
    doc["paths"] = go(&original["paths"], &original, &mut Vec::new());
}

/// Every inline object schema written twice or more moves to `components/schemas`.
fn extract_repeated(doc: &mut Value) {
    let mut seen: Vec<(Value, usize)> = Vec::new();
    let mut paths = doc["paths"].clone();
    each_object(&mut paths, &mut |o| {
        if is_object_schema(o) {
            let v = Value::Object(o.clone());
            match seen.iter_mut().find(|(s, _)| *s == v) {
                Some((_, n)) => *n += 1,
                None => seen.push((v, 1)),
            }
        }
    });
    let repeated: Vec<Value> = seen
        .into_iter()
        .filter(|(_, n)| *n > 1)
        .map(|(v, _)| v)
        .collect();
    for (i, schema) in repeated.iter().enumerate() {
        let name = format!("Extracted{i}");
        each_object(&mut paths, &mut |o| {
            if Value::Object(o.clone()) == *schema {
                o.clear();
                o.insert("$ref".into(), json!(format!("#/components/schemas/{name}")));
            }
        });
        doc["components"]["schemas"][&name] = schema.clone();
    }
    doc["paths"] = paths;
}

/// Every object's keys in reverse order.
fn reorder_keys(v: &mut Value) {
    match v {
        Value::Object(o) => {
            let mut entries: Vec<(String, Value)> = std::mem::take(o).into_iter().collect();
            entries.reverse();
            for (k, mut c) in entries {
                reorder_keys(&mut c);
                o.insert(k, c);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(reorder_keys),
        _ => {}
    }
}

/// 3.0's `nullable: true` written as a 3.1 type array.
fn nullable_as_type_arrays(doc: &mut Value) {
    doc["openapi"] = json!("3.1.0");
    each_object(doc, &mut |o| {
        if o.get("nullable") == Some(&json!(true)) {
            if let Some(Value::String(t)) = o.get("type").cloned() {
                o.remove("nullable");
                o.insert("type".into(), json!([t, "null"]));
            }
        }
    });
}

/// Every `oneOf` and `anyOf` in reverse order.
fn reorder_alternatives(doc: &mut Value) {
    each_object(doc, &mut |o| {
        for key in ["oneOf", "anyOf"] {
            if let Some(Value::Array(a)) = o.get_mut(key) {
                a.reverse();
            }
        }
    });
}

fn assert_equivalent(name: &str, rewrite: &str, old: &Value, new: &Value) {
    let (old, new) = (
        serde_json::to_string(old).unwrap(),
        serde_json::to_string(new).unwrap(),
    );
    assert!(old != new, "{name}: the rewrite {rewrite} changed nothing");
    let report = compare_texts(name, &old, &format!("{name} ({rewrite})"), &new).unwrap();
    let above_info: Vec<String> = report
        .changes
        .iter()
        .filter(|c| c.level > Level::Info)
        .map(|c| format!("{} {} {}", c.rule, c.pointer, c.message))
        .collect();
    assert!(above_info.is_empty(), "{name} {rewrite}: {above_info:#?}");
}

type Rewrite = fn(&mut Value);

const REWRITES: &[(&str, Rewrite)] = &[
    ("allOf split in halves", split_all_of),
    ("$refs inlined", inline_refs),
    ("keys reordered", reorder_keys),
];

fn text(v: &Value) -> String {
    serde_json::to_string(v).unwrap()
}

#[test]
fn every_spec_is_equivalent_to_its_rewrites() {
    for (rewrite, f) in REWRITES {
        let mut applied = 0;
        for name in SPECS {
            let doc = spec(name);
            let mut new = doc.clone();
            f(&mut new);
            // Kit's spec has no `$ref` to inline, for one.
            if text(&new) != text(&doc) {
                assert_equivalent(name, rewrite, &doc, &new);
                applied += 1;
            }
        }
        assert!(applied >= 2, "{rewrite} applies to {applied} specs");
    }
}

#[test]
fn split_then_flattened_and_inlined_then_extracted_are_equivalent() {
    for name in SPECS {
        let doc = spec(name);
        let mut split = doc.clone();
        split_all_of(&mut split);
        let mut flat = split.clone();
        flatten_all_of(&mut flat);
        assert_equivalent(name, "allOf split then flattened", &split, &flat);

        let mut inlined = doc.clone();
        inline_refs(&mut inlined);
        let mut extracted = inlined.clone();
        extract_repeated(&mut extracted);
        if text(&extracted) != text(&inlined) {
            assert_equivalent(
                name,
                "inlined then repeated schemas extracted",
                &inlined,
                &extracted,
            );
        }
    }
}

#[test]
fn nullable_and_type_arrays_are_the_same_thing() {
    let mut checked = 0;
    for name in SPECS {
        let doc = spec(name);
        if doc["openapi"] != "3.0.3" {
            continue;
        }
        let mut new = doc.clone();
        nullable_as_type_arrays(&mut new);
        assert_equivalent(name, "nullable as 3.1 type arrays", &doc, &new);
        checked += 1;
    }
    assert_eq!(checked, 3);
}

#[test]
fn alternatives_are_matched_by_what_they_are_not_where() {
    // CoCalc's reply is a oneOf of three shapes; Subtotal's location items an anyOf.
    for name in ["cocalc", "subtotal"] {
        let doc = spec(name);
        let mut new = doc.clone();
        reorder_alternatives(&mut new);
        assert_equivalent(name, "alternatives reordered", &doc, &new);
    }
}

/// Togai's published document: 2 MB, 150+ operations, allOf as code generators write it.
fn togai_published() -> String {
    let path = format!(
        "{}/specs/published/togai-java-client.openapi.yaml",
        env!("PURCHASE_CLIENTS_CHECKOUT")
    );
    std::fs::read_to_string(path).unwrap()
}

#[test]
fn a_large_published_document_against_itself_and_its_rewrites_has_no_finding() {
    let text = togai_published();
    let same = compare_texts("a", &text, "b", &text).unwrap();
    assert!(same.changes.is_empty(), "{}", same.to_text());
    let doc = purchase_spec::load_document("togai", &text).unwrap();
    let mut reordered = doc.clone();
    reorder_keys(&mut reordered);
    assert_equivalent("togai-java-client", "keys reordered", &doc, &reordered);
}
