//! The shape of the values seen for a property the spec does not model, and the narrowest
//! schema that accepts them all.

use super::{is_datetime, is_decimal_text};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// The shape of every value seen for a property the spec does not model.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Shape {
    null: bool,
    bool: bool,
    integer: bool,
    /// Numbers with a fraction or an exponent, or too large for an integer.
    fraction: bool,
    /// Strings seen, and whether every one was a date-time / a decimal.
    strings: usize,
    all_datetime: bool,
    all_decimal: bool,
    /// Arrays: the shape of every item.
    items: Option<Box<Shape>>,
    arrays: bool,
    /// Objects: each property's shape and in how many of the objects it was present.
    objects: usize,
    properties: BTreeMap<String, (Shape, usize)>,
    /// Property order as first seen.
    order: Vec<String>,
}

impl Shape {
    pub(super) fn add(&mut self, value: &Value) {
        match value {
            Value::Null => self.null = true,
            Value::Bool(_) => self.bool = true,
            Value::Number(n) if n.is_i64() || n.is_u64() => self.integer = true,
            Value::Number(_) => self.fraction = true,
            Value::String(s) => {
                let first = self.strings == 0;
                self.strings += 1;
                self.all_datetime = (first || self.all_datetime) && is_datetime(s);
                self.all_decimal = (first || self.all_decimal) && is_decimal_text(s);
            }
            Value::Array(a) => {
                self.arrays = true;
                let items = self.items.get_or_insert_with(Default::default);
                a.iter().for_each(|v| items.add(v));
            }
            Value::Object(o) => {
                self.objects += 1;
                for (k, v) in o {
                    if !self.properties.contains_key(k) {
                        self.order.push(k.clone());
                    }
                    let (shape, present) = self.properties.entry(k.clone()).or_default();
                    shape.add(v);
                    *present += 1;
                }
            }
        }
    }

    /// The kinds seen, null apart.
    fn kinds(&self) -> Vec<&'static str> {
        let mut kinds = Vec::new();
        if self.bool {
            kinds.push("boolean");
        }
        if self.integer || self.fraction {
            kinds.push("number");
        }
        if self.strings > 0 {
            kinds.push("string");
        }
        if self.arrays {
            kinds.push("array");
        }
        if self.objects > 0 {
            kinds.push("object");
        }
        kinds
    }

    /// The narrowest OpenAPI 3.0 schema that accepts every value seen.
    pub(super) fn schema(&self) -> Value {
        let mut s = Map::new();
        match self.kinds().as_slice() {
            [] => {}
            ["boolean"] => {
                s.insert("type".into(), json!("boolean"));
            }
            ["number"] if self.fraction => {
                s.insert("type".into(), json!("number"));
                s.insert("format".into(), json!("decimal"));
            }
            ["number"] => {
                s.insert("type".into(), json!("integer"));
                s.insert("format".into(), json!("int64"));
            }
            ["string"] => {
                s.insert("type".into(), json!("string"));
                if self.all_datetime {
                    s.insert("format".into(), json!("date-time"));
                } else if self.all_decimal {
                    s.insert("format".into(), json!("decimal"));
                }
            }
            ["array"] => {
                s.insert("type".into(), json!("array"));
                let items = self.items.as_deref().cloned().unwrap_or_default();
                s.insert("items".into(), items.schema());
            }
            ["object"] => {
                s.insert("type".into(), json!("object"));
                let mut props = Map::new();
                let mut required = Vec::new();
                for name in &self.order {
                    let (shape, present) = &self.properties[name];
                    props.insert(name.clone(), shape.schema());
                    if *present == self.objects {
                        required.push(json!(name));
                    }
                }
                s.insert("properties".into(), Value::Object(props));
                if !required.is_empty() {
                    s.insert("required".into(), Value::Array(required));
                }
            }
            // Several kinds: a schema without a type accepts them all.
            several => {
                s.insert(
                    "description".into(),
                    json!(format!("Seen as {}.", several.join(", "))),
                );
            }
        }
        if self.null {
            s.insert("nullable".into(), json!(true));
        }
        Value::Object(s)
    }
}
