//! What real replies say about a spec, and the overlay that would make the spec accept them.
//!
//! [`Observations::observe`] walks a reply body along its schema in a normalized spec (the
//! document after its overlay, the one the client is generated from) and notes every place
//! the body goes beyond the schema: properties the schema does not model, enum values it
//! does not list, `null` where it is not `nullable`, required properties missing, amounts
//! written as text where the schema says number (or the reverse), fractions where it says
//! integer, and shapes no overlay can reconcile (an object where an array is documented).
//!
//! [`Observations::propose`] turns the notes into an OpenAPI Overlay 1.0 document whose
//! actions, applied after the spec's current overlay, make the spec accept everything
//! observed and nothing more: a property is added only as observed (its type inferred from
//! every value seen), `required` is relaxed only for a property some reply lacked, an enum
//! gains only the values seen. Each action's reason says how many replies showed it and
//! where one did. What an overlay cannot express is returned apart, never papered over.

use crate::downconvert::escape;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// One kind of thing observed beyond the spec.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Observed {
    /// A property the object schema at `object` does not model.
    Undocumented {
        /// The object schema (a JSON pointer into the spec).
        object: String,
        /// The property's name.
        property: String,
    },
    /// A string the enum at `schema` does not list.
    EnumValue {
        /// The enum's schema.
        schema: String,
        /// The value seen.
        value: String,
    },
    /// `null` where the schema at `schema` does not allow it.
    Null {
        /// The schema.
        schema: String,
    },
    /// A required property a reply lacked.
    MissingRequired {
        /// The object schema.
        object: String,
        /// The property's name.
        property: String,
    },
    /// An amount written as text (a decimal in a string) where the schema says `number`.
    AmountAsText {
        /// The number schema.
        schema: String,
    },
    /// An amount written as a number where the schema says a decimal string.
    AmountAsNumber {
        /// The decimal-string schema.
        schema: String,
    },
    /// A number with a fraction where the schema says `integer`.
    Fraction {
        /// The integer schema.
        schema: String,
    },
    /// A value whose kind the schema contradicts in a way no overlay reconciles.
    Contradiction {
        /// The schema.
        schema: String,
        /// What the schema says, in words.
        documented: String,
        /// What was seen, in words.
        seen: String,
    },
}

impl Observed {
    /// The rule id the conformance harness reports it under.
    pub fn rule(&self) -> &'static str {
        match self {
            Observed::Undocumented { .. } => "undocumented-field",
            Observed::EnumValue { .. } => "enum-value",
            Observed::Null { .. } => "null",
            Observed::MissingRequired { .. } => "missing-required",
            Observed::AmountAsText { .. } | Observed::AmountAsNumber { .. } => "amount-form",
            Observed::Fraction { .. } => "fraction",
            Observed::Contradiction { .. } => "contradiction",
        }
    }

    /// What it is, in words.
    pub fn describe(&self) -> String {
        match self {
            Observed::Undocumented { object, property } => {
                format!("property {property:?} is not in the schema at {object}")
            }
            Observed::EnumValue { schema, value } => {
                format!("value {value:?} is not in the enum at {schema}")
            }
            Observed::Null { schema } => format!("null where {schema} is not nullable"),
            Observed::MissingRequired { object, property } => {
                format!("required property {property:?} of {object} is missing")
            }
            Observed::AmountAsText { schema } => {
                format!("an amount written as a string where {schema} says number")
            }
            Observed::AmountAsNumber { schema } => {
                format!("an amount written as a number where {schema} says a decimal string")
            }
            Observed::Fraction { schema } => {
                format!("a number with a fraction where {schema} says integer")
            }
            Observed::Contradiction {
                schema,
                documented,
                seen,
            } => format!("{seen} where {schema} documents {documented}"),
        }
    }
}

/// Which replies showed an observation, and where the first one did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    /// How many replies showed it.
    pub replies: usize,
    /// How many times in all.
    pub times: usize,
    /// Where it was first seen: the reply's name and a JSON pointer into its body.
    pub example: String,
    last_reply: usize,
}

/// The shape of every value seen for a property the spec does not model.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Shape {
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
    fn add(&mut self, value: &Value) {
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
    fn schema(&self) -> Value {
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

/// Whether `s` is an RFC 3339 date-time.
pub fn is_datetime(s: &str) -> bool {
    chrono::DateTime::parse_from_rfc3339(s).is_ok()
}

/// Whether `s` is a decimal written as text: digits, a point, digits (`"9.34"`, `"-0.5"`).
pub fn is_decimal_text(s: &str) -> bool {
    let digits = s.strip_prefix('-').unwrap_or(s);
    match digits.split_once('.') {
        Some((int, frac)) => {
            !int.is_empty()
                && !frac.is_empty()
                && int.bytes().all(|b| b.is_ascii_digit())
                && frac.bytes().all(|b| b.is_ascii_digit())
        }
        None => false,
    }
}

/// Whether `s` is a number written as text (a decimal or an integer).
fn is_number_text(s: &str) -> bool {
    let digits = s.strip_prefix('-').unwrap_or(s);
    is_decimal_text(s) || (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
}

/// What was observed across replies, keyed by where in the spec.
#[derive(Debug, Clone, Default)]
pub struct Observations {
    replies: usize,
    found: BTreeMap<Observed, Evidence>,
    /// The shape of every undocumented property's values.
    shapes: BTreeMap<(String, String), Shape>,
    /// Number schemas where a number was seen, and decimal-string schemas where a string
    /// was: a form seen both ways cannot be given one type.
    numbers_at: BTreeSet<String>,
    texts_at: BTreeSet<String>,
}

/// Walks one reply: the document, the reply's name, and what it found.
struct Walk<'a> {
    doc: &'a Value,
    found: Vec<(Observed, String)>,
    shapes: Vec<((String, String), Value)>,
    numbers_at: Vec<String>,
    texts_at: Vec<String>,
}

impl Observations {
    /// Notes what the body `value` of the reply named `reply` shows beyond the schema at
    /// `schema` (a JSON pointer into the normalized spec `doc`). Returns this reply's
    /// observations, each with its location in the body.
    pub fn observe(
        &mut self,
        doc: &Value,
        schema: &str,
        value: &Value,
        reply: &str,
    ) -> Vec<(Observed, String)> {
        self.replies += 1;
        let mut walk = Walk {
            doc,
            found: Vec::new(),
            shapes: Vec::new(),
            numbers_at: Vec::new(),
            texts_at: Vec::new(),
        };
        walk.value(schema, value, "", 0);
        let id = self.replies;
        for (observed, at) in &walk.found {
            let evidence = self
                .found
                .entry(observed.clone())
                .or_insert_with(|| Evidence {
                    replies: 0,
                    times: 0,
                    example: format!("{reply} {}", if at.is_empty() { "/" } else { at }),
                    last_reply: 0,
                });
            evidence.times += 1;
            if evidence.last_reply != id {
                evidence.last_reply = id;
                evidence.replies += 1;
            }
        }
        for (key, value) in walk.shapes {
            self.shapes.entry(key).or_default().add(&value);
        }
        self.numbers_at.extend(walk.numbers_at);
        self.texts_at.extend(walk.texts_at);
        walk.found
    }

    /// How many replies were observed.
    pub fn replies(&self) -> usize {
        self.replies
    }

    /// Everything observed beyond the spec, with its evidence.
    pub fn found(&self) -> impl Iterator<Item = (&Observed, &Evidence)> {
        self.found.iter()
    }

    /// Whether nothing went beyond the spec.
    pub fn is_empty(&self) -> bool {
        self.found.is_empty()
    }
}

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

    fn value(&mut self, ptr: &str, value: &Value, at: &str, depth: usize) {
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
            Some("integer") if !(n.is_i64() || n.is_u64()) => self.note(
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

/// A JSON pointer into `doc` as an RFC 9535 JSONPath in bracket notation: a name selector
/// for an object's member, an index for an array's element.
pub fn jsonpath(doc: &Value, pointer: &str) -> String {
    let mut out = String::from("$");
    let mut node = Some(doc);
    for part in pointer.split('/').skip(1) {
        let name = part.replace("~1", "/").replace("~0", "~");
        match (node, name.parse::<usize>()) {
            (Some(Value::Array(a)), Ok(i)) => {
                out.push_str(&format!("[{i}]"));
                node = a.get(i);
            }
            (current, _) => {
                let escaped = name.replace('\\', "\\\\").replace('\'', "\\'");
                out.push_str(&format!("['{escaped}']"));
                node = current.and_then(|n| n.get(&name));
            }
        }
    }
    out
}

/// A proposed overlay, and what no overlay can express.
#[derive(Debug, Clone)]
pub struct Proposal {
    /// The Overlay 1.0 document (YAML), or `None` when nothing needs to change.
    pub overlay: Option<String>,
    /// How many actions it has.
    pub actions: usize,
    /// Observations an overlay cannot reconcile, with their evidence, in words.
    pub unexpressible: Vec<String>,
}

impl Observations {
    /// The overlay that makes `doc` (the normalized spec the replies were observed against)
    /// accept everything observed. `title` names it. The overlay is checked by applying it
    /// to `doc` with the overlay engine the build uses.
    pub fn propose(&self, doc: &Value, title: &str) -> Result<Proposal, String> {
        let mut actions: Vec<Value> = Vec::new();
        let mut unexpressible = Vec::new();
        let mut enum_values: BTreeMap<&str, Vec<(&str, &Evidence)>> = BTreeMap::new();
        let mut optional: BTreeMap<&str, Vec<(&str, &Evidence)>> = BTreeMap::new();
        for (observed, evidence) in &self.found {
            let reason = |what: String| {
                format!(
                    "{what}: seen in {} of {} replies (e.g. {}).",
                    evidence.replies, self.replies, evidence.example
                )
            };
            match observed {
                Observed::Undocumented { object, property } => {
                    let shape = self
                        .shapes
                        .get(&(object.clone(), property.clone()))
                        .cloned()
                        .unwrap_or_default();
                    actions.push(json!({
                        "target": jsonpath(doc, object),
                        "description": reason(format!("Models property {property:?}, inferred from every value seen")),
                        "update": {"properties": {property.clone(): shape.schema()}},
                    }));
                }
                Observed::EnumValue { schema, value } => {
                    enum_values
                        .entry(schema)
                        .or_default()
                        .push((value, evidence));
                }
                Observed::Null { schema } => {
                    actions.extend(nullable(doc, schema, &reason("Allows null".into()))?);
                }
                Observed::MissingRequired { object, property } => {
                    optional
                        .entry(object)
                        .or_default()
                        .push((property, evidence));
                }
                Observed::AmountAsText { schema } if !self.numbers_at.contains(schema) => {
                    actions.push(json!({
                        "target": jsonpath(doc, schema),
                        "description": reason("Amounts arrive as decimal strings, never as numbers".into()),
                        "update": {"type": "string", "format": "decimal"},
                    }));
                }
                Observed::AmountAsNumber { schema } if !self.texts_at.contains(schema) => {
                    actions.push(json!({
                        "target": jsonpath(doc, schema),
                        "description": reason("Amounts arrive as numbers, never as strings".into()),
                        "update": {"type": "number"},
                    }));
                }
                Observed::Fraction { schema } => {
                    actions.push(json!({
                        "target": jsonpath(doc, schema),
                        "description": reason("Numbers with a fraction arrive where an integer is documented".into()),
                        "update": {"type": "number"},
                    }));
                }
                Observed::AmountAsText { schema } | Observed::AmountAsNumber { schema } => {
                    unexpressible.push(format!(
                        "{schema}: amounts arrive both as numbers and as strings; one type cannot say both without changing the generated type ({} replies, e.g. {})",
                        evidence.replies, evidence.example
                    ));
                }
                Observed::Contradiction { .. } => unexpressible.push(format!(
                    "{} ({} replies, e.g. {})",
                    observed.describe(),
                    evidence.replies,
                    evidence.example
                )),
            }
        }
        for (object, dropped) in optional {
            actions.extend(relax_required(doc, object, &dropped, self.replies));
        }
        for (schema, values) in enum_values {
            let listed: Vec<&str> = values.iter().map(|(v, _)| *v).collect();
            let replies: usize = values.iter().map(|(_, e)| e.replies).max().unwrap_or(0);
            actions.push(json!({
                "target": jsonpath(doc, schema),
                "description": format!(
                    "Adds {}: seen in {} of {} replies (e.g. {}).",
                    listed.iter().map(|v| format!("{v:?}")).collect::<Vec<_>>().join(", "),
                    replies,
                    self.replies,
                    values[0].1.example
                ),
                "update": {"enum": listed},
            }));
        }
        if actions.is_empty() {
            return Ok(Proposal {
                overlay: None,
                actions: 0,
                unexpressible,
            });
        }
        let count = actions.len();
        let overlay = json!({
            "overlay": "1.0.0",
            "info": {"title": title, "version": "1.0.0"},
            "actions": actions,
        });
        let text = serde_yaml_ng::to_string(&overlay).map_err(|e| e.to_string())?;
        // The proposal must be a valid overlay that applies, every target matching.
        let parsed = crate::overlay::parse_overlay(&text)?;
        let mut check = doc.clone();
        crate::overlay::apply_overlay(&parsed, &mut check)
            .map_err(|e| format!("the proposed overlay does not apply: {e}"))?;
        Ok(Proposal {
            overlay: Some(text),
            actions: count,
            unexpressible,
        })
    }
}

/// The actions that make the properties `dropped` of the object schema at `object` optional:
/// the `required` list replaced by one without them (an overlay can remove a node, not a
/// string from a list), or removed when nothing remains.
fn relax_required(
    doc: &Value,
    object: &str,
    dropped: &[(&str, &Evidence)],
    replies: usize,
) -> Vec<Value> {
    let required: Vec<&str> = doc
        .pointer(&format!("{object}/required"))
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let names: Vec<&str> = dropped.iter().map(|(p, _)| *p).collect();
    let kept: Vec<&str> = required
        .iter()
        .copied()
        .filter(|r| !names.contains(r))
        .collect();
    let (_, first) = dropped[0];
    let reason = format!(
        "Makes {} optional: replies lacked {} (seen in {} of {replies} replies, e.g. {}).",
        names
            .iter()
            .map(|n| format!("{n:?}"))
            .collect::<Vec<_>>()
            .join(", "),
        if names.len() == 1 { "it" } else { "them" },
        dropped.iter().map(|(_, e)| e.replies).max().unwrap_or(0),
        first.example
    );
    let mut actions = vec![json!({
        "target": format!("{}['required']", jsonpath(doc, object)),
        "description": if kept.is_empty() { reason.clone() } else { format!("{reason} The list is replaced, next.") },
        "remove": true,
    })];
    if !kept.is_empty() {
        actions.push(json!({
            "target": jsonpath(doc, object),
            "description": reason,
            "update": {"required": kept},
        }));
    }
    actions
}

/// The actions that make the schema at `ptr` accept null. A `$ref` cannot carry `nullable`
/// in OpenAPI 3.0, so a reference is wrapped: `allOf: [$ref]` with `nullable: true`.
fn nullable(doc: &Value, ptr: &str, reason: &str) -> Result<Vec<Value>, String> {
    let schema = doc
        .pointer(ptr)
        .ok_or_else(|| format!("{ptr} is not in the spec"))?;
    let Some(reference) = schema.get("$ref") else {
        return Ok(vec![json!({
            "target": jsonpath(doc, ptr),
            "description": reason,
            "update": {"nullable": true},
        })]);
    };
    let (parent, key) = ptr
        .rsplit_once('/')
        .ok_or_else(|| format!("{ptr} has no parent"))?;
    if doc.pointer(parent).is_some_and(Value::is_array) {
        return Err(format!(
            "{ptr}: a reference inside a list of schemas cannot be made nullable by an overlay"
        ));
    }
    let key = key.replace("~1", "/").replace("~0", "~");
    Ok(vec![
        json!({
            "target": jsonpath(doc, ptr),
            "description": format!("{reason} (the reference is replaced by a nullable allOf of it, next)"),
            "remove": true,
        }),
        json!({
            "target": jsonpath(doc, parent),
            "description": reason,
            "update": {key: {"allOf": [{"$ref": reference}], "nullable": true}},
        }),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> Value {
        json!({
            "openapi": "3.0.3",
            "info": {"title": "t", "version": "1"},
            "paths": {},
            "components": {"schemas": {
                "Page": {
                    "type": "object",
                    "required": ["items"],
                    "properties": {
                        "items": {"type": "array", "items": {"$ref": "#/components/schemas/Item"}},
                        "next": {"type": "string", "nullable": true}
                    }
                },
                "Item": {
                    "type": "object",
                    "required": ["id", "total"],
                    "properties": {
                        "id": {"type": "string"},
                        "total": {"type": "number"},
                        "count": {"type": "integer"},
                        "status": {"type": "string", "enum": ["paid", "void"]},
                        "note": {"type": "string"},
                        "owner": {"$ref": "#/components/schemas/Owner"},
                        "meta": {"type": "object", "additionalProperties": true}
                    }
                },
                "Owner": {"type": "object", "properties": {"name": {"type": "string"}}}
            }}
        })
    }

    const PAGE: &str = "/components/schemas/Page";

    fn observe(values: &[Value]) -> Observations {
        let mut o = Observations::default();
        for (i, v) in values.iter().enumerate() {
            o.observe(&doc(), PAGE, v, &format!("r{i}"));
        }
        o
    }

    fn applied(o: &Observations) -> Value {
        let proposal = o.propose(&doc(), "t").unwrap();
        let mut d = doc();
        if let Some(text) = proposal.overlay {
            let overlay = crate::overlay::parse_overlay(&text).unwrap();
            crate::overlay::apply_overlay(&overlay, &mut d).unwrap();
        }
        d
    }

    #[test]
    fn what_the_spec_allows_proposes_nothing() {
        let o = observe(&[
            json!({"items": [{"id": "a", "total": 1.5, "status": "paid", "meta": {"x": 1}}], "next": null}),
            json!({"items": []}),
        ]);
        assert!(o.is_empty(), "{:?}", o.found);
        let p = o.propose(&doc(), "t").unwrap();
        assert_eq!((p.overlay, p.actions), (None, 0));
    }

    #[test]
    fn every_kind_of_observation_is_found_where_it_is() {
        let o = observe(&[json!({"items": [
            {"id": "a", "total": "9.34", "count": 1.5, "status": "refunded", "note": null, "owner": null, "extra": 1},
            {"total": 2}
        ]})]);
        let found: Vec<String> = o.found().map(|(f, _)| f.describe()).collect();
        let item = "/components/schemas/Item";
        for expected in [
            format!("property \"extra\" is not in the schema at {item}"),
            format!("value \"refunded\" is not in the enum at {item}/properties/status"),
            format!("null where {item}/properties/note is not nullable"),
            format!("null where {item}/properties/owner is not nullable"),
            format!("required property \"id\" of {item} is missing"),
            format!("an amount written as a string where {item}/properties/total says number"),
            format!("a number with a fraction where {item}/properties/count says integer"),
        ] {
            assert!(found.contains(&expected), "{expected} not in {found:#?}");
        }
        let (_, e) = o
            .found()
            .find(|(f, _)| matches!(f, Observed::EnumValue { .. }))
            .unwrap();
        assert_eq!(e.example, "r0 /items/0/status");
    }

    #[test]
    fn the_proposal_makes_the_spec_accept_what_was_seen_and_no_more() {
        let o = observe(&[
            json!({"items": [{"id": "a", "total": "9.34", "status": "refunded", "note": null, "owner": null,
                "seen_at": "2026-01-02T03:04:05Z", "rate": 0.125, "tags": ["x"], "n": 3}]}),
            json!({"items": [{"total": "1.00", "seen_at": "2026-02-02T03:04:05+01:00", "rate": 2}]}),
        ]);
        let d = applied(&o);
        let item = &d["components"]["schemas"]["Item"];
        assert_eq!(item["required"], json!(["total"]));
        assert_eq!(item["properties"]["total"]["type"], "string");
        assert_eq!(item["properties"]["total"]["format"], "decimal");
        assert_eq!(
            item["properties"]["status"]["enum"],
            json!(["paid", "void", "refunded"])
        );
        assert_eq!(item["properties"]["note"]["nullable"], true);
        assert_eq!(
            item["properties"]["owner"],
            json!({"allOf": [{"$ref": "#/components/schemas/Owner"}], "nullable": true})
        );
        let p = &item["properties"];
        assert_eq!(
            p["seen_at"],
            json!({"type": "string", "format": "date-time"})
        );
        assert_eq!(p["rate"], json!({"type": "number", "format": "decimal"}));
        assert_eq!(
            p["tags"],
            json!({"type": "array", "items": {"type": "string"}})
        );
        assert_eq!(p["n"], json!({"type": "integer", "format": "int64"}));
        // Untouched: what nothing contradicted.
        assert_eq!(
            d["components"]["schemas"]["Page"],
            doc()["components"]["schemas"]["Page"]
        );
        assert_eq!(p["count"], json!({"type": "integer"}));
        // Observed again against the patched spec, nothing is left.
        let mut again = Observations::default();
        again.observe(
            &d,
            PAGE,
            &json!({"items": [{"id": "a", "total": "9.34", "status": "refunded", "note": null, "owner": null,
                "seen_at": "2026-01-02T03:04:05Z", "rate": 0.125, "tags": ["x"], "n": 3}]}),
            "again",
        );
        assert!(again.is_empty(), "{:?}", again.found);
    }

    #[test]
    fn each_action_says_how_many_replies_showed_it_and_where() {
        let o = observe(&[
            json!({"items": [{"id": "a", "total": 1, "extra": true}, {"id": "b", "total": 1, "extra": false}]}),
            json!({"items": [{"id": "c", "total": 1}]}),
            json!({"items": [{"id": "d", "total": 1, "extra": true}]}),
        ]);
        let text = o.propose(&doc(), "t").unwrap().overlay.unwrap();
        assert!(
            text.contains("seen in 2 of 3 replies (e.g. r0 /items/0/extra)"),
            "{text}"
        );
    }

    #[test]
    fn what_an_overlay_cannot_express_is_reported_not_patched() {
        let o = observe(&[
            json!({"items": {"id": "a"}}),
            json!({"items": [{"id": "a", "total": 1}, {"id": "b", "total": "2.5"}]}),
        ]);
        let p = o.propose(&doc(), "t").unwrap();
        assert_eq!(p.overlay, None, "{p:?}");
        assert_eq!(p.unexpressible.len(), 2, "{p:?}");
        let said = p.unexpressible.join("\n");
        assert!(
            said.contains(
                "an object where /components/schemas/Page/properties/items documents array"
            ),
            "{said}"
        );
        assert!(
            said.contains("amounts arrive both as numbers and as strings"),
            "{said}"
        );
    }

    #[test]
    fn pointers_become_bracketed_jsonpaths() {
        let d = json!({"paths": {"/v4/purchases": {"get": {"responses": {"200": {"x": [{"it's": 1}]}}}}}});
        assert_eq!(
            jsonpath(&d, "/paths/~1v4~1purchases/get/responses/200/x/0/it's"),
            r"$['paths']['/v4/purchases']['get']['responses']['200']['x'][0]['it\'s']"
        );
    }
}
