//! One canonical form for schemas, so that two ways of writing the same thing compare equal.
//!
//! `$ref`s are followed (a cycle becomes a [`Schema::cycle`] marker naming its target),
//! `allOf` parts are merged into one schema (properties, `required`, constraints; a keyword
//! two parts give different values is recorded as a conflict, never guessed), and every
//! schema keeps the JSON pointer where it is written, so that reports point into the
//! document. 3.1 forms (type arrays, `null` branches) are unified with 3.0's `nullable`
//! before this, by the down-conversion every document goes through.
//!
//! Each schema carries a fingerprint of everything that matters to a client (not its
//! documentation): equal fingerprints mean nothing to compare, which keeps a large document
//! against itself fast.

use serde_json::Value;
use std::cell::RefCell;
use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::{Hash, Hasher};
use std::rc::Rc;

/// The keywords that bound a value, as they appear in a schema.
pub const BOUNDS: &[(&str, &str)] = &[
    ("maximum", "max"),
    ("minimum", "min"),
    ("maxLength", "max-length"),
    ("minLength", "min-length"),
    ("maxItems", "max-items"),
    ("minItems", "min-items"),
    // 3.1's numeric exclusive bounds: with `minimum`/`maximum` beside them, both apply.
    ("exclusiveMaximum", "exclusive-max"),
    ("exclusiveMinimum", "exclusive-min"),
];

/// OpenAPI 3.1 keywords no typed field models, besides those 3.0 cannot say at all
/// (`crate::downconvert::UNSUPPORTED_SCHEMA_KEYWORDS`): compared by value (see
/// [`Schema::unmodelled`]).
const KEYWORDS_31: &[&str] = &[
    "const",
    "contentEncoding",
    "contentMediaType",
    "contentSchema",
];

/// Keywords that only document.
const DOC_KEYWORDS: &[&str] = &[
    "description",
    "title",
    "example",
    "examples",
    "externalDocs",
];

/// A schema in canonical form.
#[derive(Debug, Default)]
pub struct Schema {
    /// Where it is written (a JSON pointer into the document).
    pub at: String,
    /// A back-reference in a cycle: the `$ref` it would follow again.
    pub cycle: Option<String>,
    /// The types allowed (empty: any).
    pub types: BTreeSet<String>,
    /// Whether null is allowed.
    pub nullable: bool,
    /// `format`.
    pub format: Option<String>,
    /// `enum`, in order.
    pub enum_values: Option<Vec<Value>>,
    /// `x-extensible-enum`: values listed without closing the set.
    pub extensible: Option<Vec<Value>>,
    /// Numeric and size bounds, by keyword (`maximum`, `maxLength`, ...), with whether the
    /// numeric bounds are exclusive.
    pub bounds: BTreeMap<&'static str, Bound>,
    /// `pattern`.
    pub pattern: Option<String>,
    /// `default`.
    pub default: Option<Value>,
    /// Properties, by name.
    pub properties: BTreeMap<String, Rc<Schema>>,
    /// Required property names.
    pub required: BTreeSet<String>,
    /// A schema for additional properties.
    pub additional: Option<Rc<Schema>>,
    /// Array items.
    pub items: Option<Rc<Schema>>,
    /// `oneOf` alternatives.
    pub one_of: Vec<Rc<Schema>>,
    /// `anyOf` alternatives.
    pub any_of: Vec<Rc<Schema>>,
    /// `deprecated`.
    pub deprecated: bool,
    /// `x-sunset`: when a deprecated schema goes away, as written.
    pub sunset: Option<String>,
    /// `x-stability-level` (`draft`, `alpha`, `beta`, `stable`), as written.
    pub stability: Option<String>,
    /// `readOnly`, `writeOnly`.
    pub read_only: bool,
    /// `writeOnly`.
    pub write_only: bool,
    /// Documentation keywords (description, title, examples...), compared apart.
    pub docs: BTreeMap<String, Value>,
    /// Keywords two `allOf` parts disagree on.
    pub conflicts: Vec<String>,
    /// The `allOf` parts as written (merged above): compared as parts too, so that a part
    /// added or removed is named even where the merged schema is unchanged.
    pub all_of: Vec<Part>,
    /// `discriminator`: the property naming the alternative, and the mapping from its
    /// values to schemas.
    pub discriminator: Option<Discriminator>,
    /// JSON Schema keywords no rule models (3.1's `contains`, `prefixItems`, `if`, ...,
    /// kept by the down-conversion under their own names), with their values: a change to
    /// one is reported as unclassified, never dropped.
    pub unmodelled: BTreeMap<String, Value>,
    /// Schemas inside keywords that hold one (`not`, 3.1's `if`, `contains`,
    /// `prefixItems/0`, `patternProperties/^x-`, ...), by keyword path: a change inside
    /// one is compared and named like any other.
    pub subschemas: BTreeMap<String, Rc<Schema>>,
    /// Hash of everything above but `at` and `docs`.
    pub fingerprint: u64,
    /// [`Schema::fingerprint`] without the `allOf` parts as written: what the merged
    /// schema asks, however it is split.
    pub content_fingerprint: u64,
    /// Hash of the documentation, this schema's and its children's.
    pub docs_fingerprint: u64,
}

/// One `allOf` part, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// What identifies it across documents: the `$ref` it follows, else its content.
    pub key: String,
    /// Whether it only documents (title, description, examples): it constrains nothing.
    pub annotation_only: bool,
    /// Where it is written.
    pub at: String,
}

/// A `discriminator`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Discriminator {
    /// `propertyName`.
    pub property: String,
    /// `mapping`: value to schema reference.
    pub mapping: BTreeMap<String, String>,
}

/// A numeric or size bound.
#[derive(Debug, Clone, PartialEq)]
pub struct Bound {
    /// The bound's value.
    pub value: f64,
    /// For `maximum`/`minimum`: whether the bound itself is excluded.
    pub exclusive: bool,
}

impl Schema {
    /// Whether the schema says anything about the values it accepts.
    pub fn is_empty(&self) -> bool {
        self.types.is_empty()
            && self.enum_values.is_none()
            && self.properties.is_empty()
            && self.items.is_none()
            && self.one_of.is_empty()
            && self.any_of.is_empty()
            && self.cycle.is_none()
    }

    /// The one type, if exactly one.
    pub fn single_type(&self) -> Option<&str> {
        (self.types.len() == 1).then(|| self.types.iter().next().map(String::as_str))?
    }
}

/// Builds canonical schemas for one document, each `$ref` target once.
pub struct Canon<'a> {
    doc: &'a Value,
    memo: RefCell<HashMap<String, Rc<Schema>>>,
    stack: RefCell<Vec<String>>,
}

/// A JSON pointer segment.
pub fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

impl<'a> Canon<'a> {
    /// A builder over `doc`.
    pub fn new(doc: &'a Value) -> Self {
        Canon {
            doc,
            memo: RefCell::new(HashMap::new()),
            stack: RefCell::new(Vec::new()),
        }
    }

    /// Follows `$ref`s from `v` (at `at`): the value and where it is written.
    pub fn deref(&self, v: &'a Value, at: &str) -> (&'a Value, String) {
        let mut seen = 0;
        let (mut v, mut at) = (v, at.to_string());
        while let Some(r) = v.get("$ref").and_then(Value::as_str) {
            let Some(target) = r.strip_prefix('#').and_then(|p| self.doc.pointer(p)) else {
                break;
            };
            seen += 1;
            if seen > 32 {
                break;
            }
            at = r.trim_start_matches('#').to_string();
            v = target;
        }
        (v, at)
    }

    /// The canonical form of the schema `v`, written at `at`.
    pub fn schema(&self, v: &Value, at: &str) -> Rc<Schema> {
        if let Some(r) = v.get("$ref").and_then(Value::as_str) {
            if let Some(target) = r.strip_prefix('#').and_then(|p| self.doc.pointer(p)) {
                if let Some(done) = self.memo.borrow().get(r) {
                    return done.clone();
                }
                if self.stack.borrow().iter().any(|s| s == r) {
                    let mut s = Schema {
                        at: r.trim_start_matches('#').to_string(),
                        cycle: Some(r.to_string()),
                        ..Schema::default()
                    };
                    seal(&mut s);
                    return Rc::new(s);
                }
                self.stack.borrow_mut().push(r.to_string());
                let built = self.schema(target, r.trim_start_matches('#'));
                self.stack.borrow_mut().pop();
                self.memo.borrow_mut().insert(r.to_string(), built.clone());
                return built;
            }
        }
        Rc::new(self.build(v, at))
    }

    fn build(&self, v: &Value, at: &str) -> Schema {
        let mut s = Schema {
            at: at.to_string(),
            ..Schema::default()
        };
        let Some(obj) = v.as_object() else {
            seal(&mut s);
            return s;
        };
        match obj.get("type") {
            Some(Value::String(t)) => {
                s.types.insert(t.clone());
            }
            Some(Value::Array(ts)) => {
                for t in ts.iter().filter_map(Value::as_str) {
                    if t == "null" {
                        s.nullable = true;
                    } else {
                        s.types.insert(t.to_string());
                    }
                }
            }
            _ => {}
        }
        s.nullable |= obj.get("nullable") == Some(&Value::Bool(true));
        s.format = obj.get("format").and_then(Value::as_str).map(String::from);
        s.enum_values = obj.get("enum").and_then(Value::as_array).cloned();
        s.extensible = obj
            .get("x-extensible-enum")
            .and_then(Value::as_array)
            .cloned();
        for (keyword, _) in BOUNDS {
            if let Some(value) = obj.get(*keyword).and_then(Value::as_f64) {
                let exclusive_key = match *keyword {
                    "maximum" => "exclusiveMaximum",
                    "minimum" => "exclusiveMinimum",
                    _ => "",
                };
                let exclusive = obj.get(exclusive_key) == Some(&Value::Bool(true));
                s.bounds.insert(keyword, Bound { value, exclusive });
            }
        }
        // An empty pattern matches every string: it constrains nothing.
        s.pattern = obj
            .get("pattern")
            .and_then(Value::as_str)
            .filter(|p| !p.is_empty())
            .map(String::from);
        s.default = obj.get("default").cloned();
        s.deprecated = obj.get("deprecated") == Some(&Value::Bool(true));
        s.sunset = obj
            .get("x-sunset")
            .and_then(Value::as_str)
            .map(String::from);
        s.stability = obj
            .get("x-stability-level")
            .and_then(Value::as_str)
            .map(String::from);
        s.read_only = obj.get("readOnly") == Some(&Value::Bool(true));
        s.write_only = obj.get("writeOnly") == Some(&Value::Bool(true));
        for key in DOC_KEYWORDS {
            if let Some(d) = obj.get(*key) {
                s.docs.insert(key.to_string(), d.clone());
            }
        }
        for (key, value) in obj {
            // 3.1 keywords as the down-conversion keeps them, or as written (inside a kept
            // subschema, which is not converted).
            let kept = key.strip_prefix(crate::downconvert::KEPT_PREFIX);
            let keyword = kept.unwrap_or(key);
            if kept.is_some()
                || KEYWORDS_31.contains(&keyword)
                || crate::downconvert::UNSUPPORTED_SCHEMA_KEYWORDS.contains(&keyword)
            {
                s.unmodelled.insert(keyword.to_string(), value.clone());
            }
            match (keyword, value) {
                (
                    "not"
                    | "if"
                    | "then"
                    | "else"
                    | "contains"
                    | "propertyNames"
                    | "unevaluatedItems"
                    | "unevaluatedProperties"
                    | "contentSchema",
                    Value::Object(_),
                ) => {
                    let sub = self.schema(value, &format!("{at}/{keyword}"));
                    s.subschemas.insert(keyword.to_string(), sub);
                }
                ("prefixItems", Value::Array(list)) => {
                    for (i, v) in list.iter().enumerate() {
                        let sub = self.schema(v, &format!("{at}/{keyword}/{i}"));
                        s.subschemas.insert(format!("{keyword}/{i}"), sub);
                    }
                }
                ("patternProperties" | "dependentSchemas", Value::Object(map)) => {
                    for (k, v) in map.iter().filter(|(_, v)| v.is_object()) {
                        let path = format!("{keyword}/{}", escape(k));
                        let sub = self.schema(v, &format!("{at}/{path}"));
                        s.subschemas.insert(path, sub);
                    }
                }
                _ => {}
            }
        }
        if let Some(props) = obj.get("properties").and_then(Value::as_object) {
            for (name, p) in props {
                let p_at = format!("{at}/properties/{}", escape(name));
                s.properties.insert(name.clone(), self.schema(p, &p_at));
            }
        }
        if let Some(req) = obj.get("required").and_then(Value::as_array) {
            s.required = req
                .iter()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect();
        }
        if let Some(add) = obj.get("additionalProperties").filter(|a| a.is_object()) {
            s.additional = Some(self.schema(add, &format!("{at}/additionalProperties")));
        }
        if let Some(items) = obj.get("items") {
            s.items = Some(self.schema(items, &format!("{at}/items")));
        }
        for (key, out) in [("oneOf", &mut s.one_of), ("anyOf", &mut s.any_of)] {
            if let Some(alts) = obj.get(key).and_then(Value::as_array) {
                for (i, alt) in alts.iter().enumerate() {
                    out.push(self.schema(alt, &format!("{at}/{key}/{i}")));
                }
            }
        }
        if let Some(d) = obj.get("discriminator").and_then(Value::as_object) {
            s.discriminator = Some(Discriminator {
                property: d
                    .get("propertyName")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                mapping: d
                    .get("mapping")
                    .and_then(Value::as_object)
                    .into_iter()
                    .flatten()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                    .collect(),
            });
        }
        if let Some(written) = obj.get("allOf").and_then(Value::as_array) {
            let parts: Vec<Rc<Schema>> = written
                .iter()
                .enumerate()
                .map(|(i, p)| self.schema(p, &format!("{at}/allOf/{i}")))
                .collect();
            merge_all_of(&mut s, &parts);
            // A `$ref` part is known by its target, an inline one by its place among the
            // inline parts (so that an inline part that changes is compared, not replaced).
            let mut inline = 0;
            s.all_of = written
                .iter()
                .zip(&parts)
                .map(|(w, p)| Part {
                    key: match w.get("$ref").and_then(Value::as_str) {
                        Some(r) => r.to_string(),
                        None => {
                            inline += 1;
                            format!("inline part {inline}")
                        }
                    },
                    annotation_only: w.as_object().is_some_and(|o| {
                        o.keys().all(|k| {
                            DOC_KEYWORDS.contains(&k.as_str())
                                || (k.starts_with("x-")
                                    && !k.starts_with(crate::downconvert::KEPT_PREFIX))
                        })
                    }),
                    at: p.at.clone(),
                })
                .collect();
        }
        seal(&mut s);
        s
    }
}

/// Merges `allOf` parts into `s` (the schema holding them): a value must satisfy every
/// part, so properties and requirements add up; where two parts give a keyword different
/// values, the first is kept and the disagreement recorded.
fn merge_all_of(s: &mut Schema, parts: &[Rc<Schema>]) {
    // The holder's own `nullable` applies to the whole (`{allOf: [{$ref}], nullable: true}`
    // is how 3.0 writes "T or null"); otherwise null passes only if every part allows it.
    let parts_nullable = !parts.is_empty() && parts.iter().all(|p| p.nullable);
    s.nullable |= parts_nullable;
    for part in parts {
        if part.cycle.is_some() && s.cycle.is_none() && parts.len() == 1 {
            s.cycle = part.cycle.clone();
        }
        if !part.types.is_empty() {
            if s.types.is_empty() {
                s.types = part.types.clone();
            } else if s.types != part.types {
                s.conflicts.push(format!(
                    "type: {:?} and {:?}",
                    s.types.iter().collect::<Vec<_>>(),
                    part.types.iter().collect::<Vec<_>>()
                ));
            }
        }
        merge_opt(&mut s.format, &part.format, "format", &mut s.conflicts);
        merge_opt(&mut s.pattern, &part.pattern, "pattern", &mut s.conflicts);
        merge_opt(&mut s.default, &part.default, "default", &mut s.conflicts);
        merge_opt(
            &mut s.enum_values,
            &part.enum_values,
            "enum",
            &mut s.conflicts,
        );
        merge_opt(
            &mut s.extensible,
            &part.extensible,
            "x-extensible-enum",
            &mut s.conflicts,
        );
        for (k, b) in &part.bounds {
            match s.bounds.get(k) {
                None => {
                    s.bounds.insert(k, b.clone());
                }
                Some(existing) if existing != b => s.conflicts.push(k.to_string()),
                Some(_) => {}
            }
        }
        for (name, p) in &part.properties {
            match s.properties.get(name) {
                None => {
                    s.properties.insert(name.clone(), p.clone());
                }
                Some(existing) if existing.fingerprint != p.fingerprint => {
                    s.conflicts.push(format!("property {name}"))
                }
                Some(_) => {}
            }
        }
        s.required.extend(part.required.iter().cloned());
        if s.additional.is_none() {
            s.additional = part.additional.clone();
        }
        if s.items.is_none() {
            s.items = part.items.clone();
        }
        if s.one_of.is_empty() {
            s.one_of = part.one_of.clone();
        }
        if s.any_of.is_empty() {
            s.any_of = part.any_of.clone();
        }
        s.deprecated |= part.deprecated;
        if s.sunset.is_none() {
            s.sunset = part.sunset.clone();
        }
        s.read_only |= part.read_only;
        s.write_only |= part.write_only;
        for (k, d) in &part.docs {
            s.docs.entry(k.clone()).or_insert_with(|| d.clone());
        }
        s.conflicts.extend(part.conflicts.iter().cloned());
    }
}

fn merge_opt<T: Clone + PartialEq>(
    into: &mut Option<T>,
    from: &Option<T>,
    what: &str,
    conflicts: &mut Vec<String>,
) {
    match (into.as_ref(), from) {
        (_, None) => {}
        (None, Some(v)) => *into = Some(v.clone()),
        (Some(a), Some(b)) if a != b => conflicts.push(what.to_string()),
        _ => {}
    }
}

/// A hash of everything about `s` that matters to a client.
fn fingerprint(s: &Schema) -> u64 {
    let mut h = DefaultHasher::new();
    s.cycle.hash(&mut h);
    s.types.hash(&mut h);
    s.nullable.hash(&mut h);
    s.format.hash(&mut h);
    s.enum_values
        .as_ref()
        .map(|e| Value::Array(e.clone()).to_string())
        .hash(&mut h);
    s.extensible
        .as_ref()
        .map(|e| Value::Array(e.clone()).to_string())
        .hash(&mut h);
    for (k, b) in &s.bounds {
        k.hash(&mut h);
        b.value.to_bits().hash(&mut h);
        b.exclusive.hash(&mut h);
    }
    s.pattern.hash(&mut h);
    s.default.as_ref().map(Value::to_string).hash(&mut h);
    for (name, p) in &s.properties {
        name.hash(&mut h);
        p.fingerprint.hash(&mut h);
    }
    s.required.hash(&mut h);
    s.additional.as_ref().map(|a| a.fingerprint).hash(&mut h);
    s.items.as_ref().map(|a| a.fingerprint).hash(&mut h);
    // Alternatives are a set: their order does not matter.
    let mut alts: Vec<u64> = s.one_of.iter().map(|a| a.fingerprint).collect();
    alts.sort_unstable();
    alts.hash(&mut h);
    let mut alts: Vec<u64> = s.any_of.iter().map(|a| a.fingerprint).collect();
    alts.sort_unstable();
    alts.hash(&mut h);
    (
        s.deprecated,
        &s.sunset,
        &s.stability,
        s.read_only,
        s.write_only,
    )
        .hash(&mut h);
    s.conflicts.hash(&mut h);
    let mut parts: Vec<&str> = s.all_of.iter().map(|p| p.key.as_str()).collect();
    parts.sort_unstable();
    parts.hash(&mut h);
    s.discriminator.hash(&mut h);
    for (k, sub) in &s.subschemas {
        (k, sub.fingerprint).hash(&mut h);
    }
    for (k, v) in &s.unmodelled {
        (k, v.to_string()).hash(&mut h);
    }
    h.finish()
}

/// Computes both fingerprints of a finished schema.
fn seal(s: &mut Schema) {
    let parts = std::mem::take(&mut s.all_of);
    s.content_fingerprint = fingerprint(s);
    s.all_of = parts;
    s.fingerprint = fingerprint(s);
    let mut h = DefaultHasher::new();
    Value::Object(s.docs.clone().into_iter().collect())
        .to_string()
        .hash(&mut h);
    for (name, p) in &s.properties {
        name.hash(&mut h);
        p.docs_fingerprint.hash(&mut h);
    }
    for child in s
        .items
        .iter()
        .chain(&s.additional)
        .chain(&s.one_of)
        .chain(&s.any_of)
        .chain(s.subschemas.values())
    {
        child.docs_fingerprint.hash(&mut h);
    }
    s.docs_fingerprint = h.finish();
}
