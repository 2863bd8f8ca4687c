//! Walking a reply body along its schema.

use super::{is_datetime, is_number_text, Observed, Walk};
use crate::downconvert::escape;
use serde_json::{json, Map, Value};

const MAX_DEPTH: usize = 64;

impl Walk<'_> {
    fn note(&mut self, observed: Observed, at: &str) {
        self.found.push((observed, at.to_string()));
    }

    /// The schema at `ptr`, following `$ref`s: its pointer and value.
    fn resolve(&self, ptr: &str) -> Option<(String, &Value)> {
        let mut ptr = ptr.to_string();
        for _ in 0..MAX_DEPTH {
            let schema = self.doc.pointer(&ptr)?;
            match schema.get("$ref").and_then(Value::as_str) {
                Some(r) => ptr = r.strip_prefix('#')?.to_string(),
                None => return Some((ptr, schema)),
            }
        }
        None
    }

    fn accepts_null(&self, ptr: &str, depth: usize) -> bool {
        let Some(schema) = self.doc.pointer(ptr) else {
            return true;
        };
        if depth > MAX_DEPTH || schema.get("nullable") == Some(&Value::Bool(true)) {
            return true;
        }
        if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
            return r
                .strip_prefix('#')
                .is_some_and(|p| self.accepts_null(p, depth + 1));
        }
        for key in ["oneOf", "anyOf"] {
            if let Some(branches) = schema.get(key).and_then(Value::as_array) {
                return (0..branches.len())
                    .any(|i| self.accepts_null(&format!("{ptr}/{key}/{i}"), depth + 1));
            }
        }
        // A schema that says nothing about the value accepts null too.
        let constrains = [
            "type",
            "allOf",
            "enum",
            "properties",
            "items",
            "format",
            "required",
        ];
        !constrains.iter().any(|k| schema.get(*k).is_some())
    }

    pub(super) fn value(&mut self, ptr: &str, value: &Value, at: &str, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        if value.is_null() {
            if !self.accepts_null(ptr, 0) {
                self.note(
                    Observed::Null {
                        schema: ptr.to_string(),
                    },
                    at,
                );
            }
            return;
        }
        let Some((ptr, schema)) = self.resolve(ptr) else {
            return;
        };
        for key in ["oneOf", "anyOf"] {
            if let Some(branches) = schema.get(key).and_then(Value::as_array) {
                let count = branches.len();
                return match self.branch(&ptr, key, count, value) {
                    Some(b) => self.value(&b, value, at, depth + 1),
                    None => self.note(
                        Observed::Contradiction {
                            schema: ptr.clone(),
                            documented: format!("one of {count} shapes"),
                            seen: format!("{} matching none of them", kind(value)),
                        },
                        at,
                    ),
                };
            }
        }
        match value {
            Value::Object(o) => self.object(&ptr, o, at, depth),
            Value::Array(a) => self.array(&ptr, a, at, depth),
            Value::String(s) => self.string(&ptr, s, at),
            Value::Number(n) => self.number(&ptr, n, at),
            Value::Bool(_) => self.expect_type(&ptr, &["boolean"], value, at),
            Value::Null => {}
        }
    }

    /// The branch of a `oneOf`/`anyOf` a value belongs to: the one whose kind matches and
    /// that knows most of the value's properties and misses fewest of its required ones.
    fn branch(&self, ptr: &str, key: &str, count: usize, value: &Value) -> Option<String> {
        (0..count)
            .filter_map(|i| {
                let b = format!("{ptr}/{key}/{i}");
                let (_, schema) = self.resolve(&b)?;
                let t = schema.get("type").and_then(Value::as_str);
                let fits = matches!(
                    (t, value),
                    (None, _)
                        | (Some("object"), Value::Object(_))
                        | (Some("array"), Value::Array(_))
                        | (Some("string"), Value::String(_))
                        | (Some("boolean"), Value::Bool(_))
                        | (Some("number" | "integer"), Value::Number(_))
                );
                if !fits {
                    return None;
                }
                let score = match value {
                    Value::Object(o) => {
                        let view = self.object_view(&b);
                        let known = o.keys().filter(|k| view.property(k).is_some()).count();
                        let missing = view.required.iter().filter(|r| !o.contains_key(*r)).count();
                        known as i64 - 2 * missing as i64
                    }
                    _ => 0,
                };
                Some((score, std::cmp::Reverse(i), b))
            })
            .max()
            .map(|(_, _, b)| b)
    }

    fn expect_type(&mut self, ptr: &str, accepted: &[&str], value: &Value, at: &str) {
        let Some(schema) = self.doc.pointer(ptr) else {
            return;
        };
        match schema.get("type").and_then(Value::as_str) {
            Some(t) if !accepted.contains(&t) => self.note(
                Observed::Contradiction {
                    schema: ptr.to_string(),
                    documented: t.to_string(),
                    seen: kind(value).to_string(),
                },
                at,
            ),
            _ => {}
        }
    }

    fn object_view(&self, ptr: &str) -> ObjectView {
        let mut view = ObjectView {
            home: ptr.to_string(),
            ..ObjectView::default()
        };
        self.collect_view(ptr, &mut view, 0);
        view
    }

    fn collect_view(&self, ptr: &str, view: &mut ObjectView, depth: usize) {
        let Some((ptr, schema)) = self.resolve(ptr) else {
            return;
        };
        if depth > MAX_DEPTH {
            return;
        }
        if let Some(props) = schema.get("properties").and_then(Value::as_object) {
            for name in props.keys() {
                view.properties
                    .push((name.clone(), format!("{ptr}/properties/{}", escape(name))));
            }
        }
        if let Some(required) = schema.get("required").and_then(Value::as_array) {
            view.required.extend(
                required
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string),
            );
        }
        match schema.get("additionalProperties") {
            Some(Value::Bool(true)) => view.free = true,
            Some(Value::Object(_)) => {
                view.additional = Some(format!("{ptr}/additionalProperties"));
            }
            _ => {}
        }
        if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
            for i in 0..all.len() {
                self.collect_view(&format!("{ptr}/allOf/{i}"), view, depth + 1);
            }
        }
    }

    fn object(&mut self, ptr: &str, o: &Map<String, Value>, at: &str, depth: usize) {
        let schema = &self.doc.pointer(ptr).cloned().unwrap_or(Value::Null);
        match schema.get("type").and_then(Value::as_str) {
            None | Some("object") => {}
            Some(_) => {
                return self.expect_type(ptr, &["object"], &Value::Object(o.clone()), at);
            }
        }
        let view = self.object_view(ptr);
        let modelled = !view.properties.is_empty() || view.additional.is_some();
        for (k, v) in o {
            let here = format!("{at}/{}", escape(k));
            if let Some(p) = view.property(k) {
                let p = p.to_string();
                self.value(&p, v, &here, depth + 1);
            } else if let Some(additional) = &view.additional {
                let additional = additional.clone();
                self.value(&additional, v, &here, depth + 1);
            } else if modelled && !view.free {
                self.note(
                    Observed::Undocumented {
                        object: view.home.clone(),
                        property: k.clone(),
                    },
                    &here,
                );
                self.shapes
                    .push(((view.home.clone(), k.clone()), v.clone()));
            }
        }
        for r in &view.required {
            if !o.contains_key(r) {
                self.note(
                    Observed::MissingRequired {
                        object: view.home.clone(),
                        property: r.clone(),
                    },
                    at,
                );
            }
        }
    }

    fn array(&mut self, ptr: &str, a: &[Value], at: &str, depth: usize) {
        let items = self.doc.pointer(ptr).and_then(|s| s.get("items")).is_some();
        if !items {
            return self.expect_type(ptr, &["array"], &Value::Array(a.to_vec()), at);
        }
        for (i, v) in a.iter().enumerate() {
            self.value(&format!("{ptr}/items"), v, &format!("{at}/{i}"), depth + 1);
        }
    }

    fn string(&mut self, ptr: &str, s: &str, at: &str) {
        let Some(schema) = self.doc.pointer(ptr) else {
            return;
        };
        let format = schema.get("format").and_then(Value::as_str);
        match schema.get("type").and_then(Value::as_str) {
            Some("number") if is_number_text(s) => {
                self.note(
                    Observed::AmountAsText {
                        schema: ptr.to_string(),
                    },
                    at,
                );
                return;
            }
            Some("string") | None => {}
            Some(_) => return self.expect_type(ptr, &["string"], &json!(s), at),
        }
        if format == Some("decimal") {
            self.texts_at.push(ptr.to_string());
        }
        if format == Some("date-time") && !is_datetime(s) {
            self.note(
                Observed::Contradiction {
                    schema: ptr.to_string(),
                    documented: "a date-time".into(),
                    seen: format!("the string {s:?}"),
                },
                at,
            );
        }
        if let Some(values) = schema.get("enum").and_then(Value::as_array) {
            if !values.iter().any(|v| v.as_str() == Some(s)) {
                self.note(
                    Observed::EnumValue {
                        schema: ptr.to_string(),
                        value: s.to_string(),
                    },
                    at,
                );
            }
        }
    }

    fn number(&mut self, ptr: &str, n: &serde_json::Number, at: &str) {
        let Some(schema) = self.doc.pointer(ptr) else {
            return;
        };
        let format = schema.get("format").and_then(Value::as_str);
        match schema.get("type").and_then(Value::as_str) {
            Some("number") => self.numbers_at.push(ptr.to_string()),
            // An integer beyond 64 bits arrives as an `f64` without a fraction: still an
            // integer (the type's range is another matter, the decoder's).
            Some("integer") if n.as_f64().is_some_and(|f| f.fract() != 0.0) => self.note(
                Observed::Fraction {
                    schema: ptr.to_string(),
                },
                at,
            ),
            Some("integer") | None => {}
            Some("string") if format == Some("decimal") => self.note(
                Observed::AmountAsNumber {
                    schema: ptr.to_string(),
                },
                at,
            ),
            Some(_) => self.expect_type(ptr, &["number", "integer"], &Value::Number(n.clone()), at),
        }
    }
}

/// An object schema as a value sees it: its properties (through `allOf`), its required
/// ones, and where a property it lacks would be added.
#[derive(Debug, Default)]
struct ObjectView {
    properties: Vec<(String, String)>,
    required: Vec<String>,
    /// Where an unmodelled property goes: the schema itself (beside its `allOf`, if any,
    /// rather than into a branch another schema may share).
    home: String,
    /// `additionalProperties: true`: anything goes.
    free: bool,
    additional: Option<String>,
}

impl ObjectView {
    fn property(&self, name: &str) -> Option<&str> {
        self.properties
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, p)| p.as_str())
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
