//! The conformance harness: do the generated clients match the documentation?
//!
//! For every documented sample in every spec (response examples, request examples,
//! parameter and schema examples) it checks, and reports as [`Finding`]s by rule:
//!
//! | rule | what |
//! |---|---|
//! | `schema` | the sample is valid against its documented schema (a real JSON Schema validator) |
//! | `decode` | it deserializes into the generated Rust type |
//! | `round-trip` | serialized back, every value is the same (amounts digit for digit) |
//! | `unknown-field` | no field is lost because the generated type does not know it |
//! | `deprecated-shape` | it matches a shape the spec marks deprecated only |
//! | `placeholder` | it holds documentation placeholders such as `"<string>"` |
//! | `unmapped` | the harness knows which generated type the sample belongs to |
//!
//! Recorded replies ([`replay`]) are checked against the normalized spec with the same
//! rules and these, from [`purchase_spec::observe`]: `undocumented-field`, `enum-value`,
//! `null`, `missing-required`, `amount-form`, `fraction`, `contradiction`, and
//! `undocumented-status`.
//!
//! Samples are validated against the spec as documented (down-converted to 3.0, no
//! overlay), and decoded into the types generated after the overlays, so a patch that makes
//! a type accept what the documentation contradicts shows up as a known deviation instead
//! of disappearing. Known deviations are listed in `specs/known-deviations.toml`.

pub(crate) mod decode;
pub mod live;
pub mod replay;

pub mod schema;

use crate::Provider;
use purchase_spec::downconvert::escape;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeSet;

pub use decode::{decoder, Decode};
pub use replay::{page_purchases, reply_decoder};

/// A rule a sample is checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    /// Valid against its documented schema.
    Schema,
    /// Deserializes into the generated type.
    Decode,
    /// Reads back unchanged.
    RoundTrip,
    /// No field unknown to the generated type.
    UnknownField,
    /// Not only a deprecated shape.
    DeprecatedShape,
    /// No documentation placeholders.
    Placeholder,
    /// The harness knows the sample's generated type.
    Unmapped,
    /// A replay: no property the schema does not model.
    UndocumentedField,
    /// A replay: no enum value the schema does not list.
    EnumValue,
    /// A replay: no `null` where the schema does not allow it.
    Null,
    /// A replay: no required property missing.
    MissingRequired,
    /// A replay: amounts in the form the schema gives (a number, or a decimal string).
    AmountForm,
    /// A replay: no fraction where the schema says integer.
    Fraction,
    /// A replay: nothing whose kind the schema contradicts.
    Contradiction,
    /// A replay: the reply's status is documented for its operation.
    UndocumentedStatus,
}

impl Rule {
    /// The rule's stable id.
    pub fn id(self) -> &'static str {
        match self {
            Rule::Schema => "schema",
            Rule::Decode => "decode",
            Rule::RoundTrip => "round-trip",
            Rule::UnknownField => "unknown-field",
            Rule::DeprecatedShape => "deprecated-shape",
            Rule::Placeholder => "placeholder",
            Rule::Unmapped => "unmapped",
            Rule::UndocumentedField => "undocumented-field",
            Rule::EnumValue => "enum-value",
            Rule::Null => "null",
            Rule::MissingRequired => "missing-required",
            Rule::AmountForm => "amount-form",
            Rule::Fraction => "fraction",
            Rule::Contradiction => "contradiction",
            Rule::UndocumentedStatus => "undocumented-status",
        }
    }
}

impl std::fmt::Display for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

/// One documented sample.
#[derive(Debug, Clone)]
pub struct Sample {
    /// Whose spec it is in.
    pub provider: Provider,
    /// The operation it belongs to, or `-` for a component's example.
    pub operation: String,
    /// A stable name: `list_purchases 200`, `get_purchases request`, `PurchaseSummary.total`.
    pub name: String,
    /// Where it is in the spec (JSON pointer).
    pub pointer: String,
    /// The sample itself.
    pub value: Value,
    /// Where its schema is in the spec (JSON pointer), if it has one.
    pub schema_pointer: Option<String>,
}

/// A rule a sample breaks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The rule.
    pub rule: Rule,
    /// What exactly, with locations inside the sample.
    pub detail: String,
    /// Why this is accepted, when it is a known deviation.
    pub known: Option<String>,
}

/// What the harness found for one sample.
#[derive(Debug, Clone, Serialize)]
pub struct SampleReport {
    /// Whose sample.
    pub provider: Provider,
    /// The spec file.
    pub file: String,
    /// The operation (`-` for a component example).
    pub operation: String,
    /// The sample's name.
    pub sample: String,
    /// Valid against its documented schema.
    pub schema_valid: bool,
    /// Deserializes into its generated type.
    pub decodes: bool,
    /// Reads back unchanged.
    pub round_trips: bool,
    /// Everything it breaks, known or not.
    pub findings: Vec<Finding>,
    /// The typed value written back as JSON (decimals as strings), when it decodes.
    #[serde(skip)]
    pub typed: Option<Value>,
}

impl SampleReport {
    /// Findings not on the known-deviations list: these fail.
    pub fn new_findings(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.known.is_none())
    }
}

/// One entry of `specs/known-deviations.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct KnownDeviation {
    /// The spec file (`togai.yaml`).
    pub file: String,
    /// The sample's name.
    pub sample: String,
    /// The rule id.
    pub rule: Rule,
    /// Why it is accepted.
    pub reason: String,
}

/// One entry of the `[[disagreement]]` list of `specs/known-deviations.toml`: a place where a
/// spec's two sources (Togai's documentation pages and its published OpenAPI document)
/// disagree, and what the spec does about it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct SourceDisagreement {
    /// The spec file (`togai.yaml`).
    pub file: String,
    /// The schema and field (`Purchase.pricePlanId`).
    pub at: String,
    /// What the documentation pages say.
    pub docs: String,
    /// What the published document says.
    pub published: String,
    /// What the spec does, and where.
    pub resolution: String,
    /// A JSON pointer into the normalized spec that must exist while the entry holds.
    pub pointer: String,
    /// When given: whether the property at `pointer` is in its schema's `required` list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required: Option<bool>,
}

impl SourceDisagreement {
    /// Why the entry no longer describes `normalized` (the spec after its overlay), if it
    /// does not.
    pub fn stale_in(&self, normalized: &Value) -> Option<String> {
        if normalized.pointer(&self.pointer).is_none() {
            return Some(format!(
                "{} does not exist in the normalized spec",
                self.pointer
            ));
        }
        let expected = self.required?;
        let (parent, name) = self.pointer.rsplit_once('/')?;
        let schema = parent.strip_suffix("/properties")?;
        let required = normalized
            .pointer(&format!("{schema}/required"))
            .and_then(Value::as_array)
            .is_some_and(|r| r.iter().any(|n| n == name));
        (required != expected).then(|| {
            format!(
                "{name} is {}required in the normalized spec",
                if required { "" } else { "not " }
            )
        })
    }
}

/// The list of known deviations.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct KnownDeviations {
    /// The entries.
    #[serde(default, rename = "deviation")]
    pub entries: Vec<KnownDeviation>,
    /// Where a spec's two sources disagree.
    #[serde(default, rename = "disagreement")]
    pub disagreements: Vec<SourceDisagreement>,
}

impl KnownDeviations {
    /// Parses the TOML list.
    pub fn parse(text: &str) -> Result<Self, String> {
        toml::from_str(text).map_err(|e| format!("known deviations: {e}"))
    }

    /// The list checked in with the crate.
    pub fn builtin() -> Self {
        Self::parse(include_str!("../../specs/known-deviations.toml"))
            .expect("the checked-in known-deviations.toml parses (tested)")
    }

    fn reason(&self, file: &str, sample: &str, rule: Rule) -> Option<String> {
        self.entries
            .iter()
            .find(|d| d.file == file && d.sample == sample && d.rule == rule)
            .map(|d| d.reason.clone())
    }
}

pub use crate::specs::{builtin_spec, documented, normalized, spec_file};

/// Every documented sample in `doc`. Operations are named by their `operationId` in
/// `names` (the normalized spec, where every operation has one), else by method and path.
pub fn samples(provider: Provider, doc: &Value, names: &Value) -> Vec<Sample> {
    let mut out = Vec::new();
    collect(provider, doc, names, doc, "", &mut out);
    out
}

fn collect(
    provider: Provider,
    doc: &Value,
    names: &Value,
    v: &Value,
    at: &str,
    out: &mut Vec<Sample>,
) {
    match v {
        Value::Object(obj) => {
            for (k, child) in obj {
                let here = format!("{at}/{}", escape(k));
                if k == "example" {
                    out.push(sample_at(provider, doc, names, &here, child.clone()));
                } else if k == "examples" && at.contains("/content/") && child.is_object() {
                    for (name, ex) in child.as_object().into_iter().flatten() {
                        if let Some(value) = ex.get("value") {
                            let mut s = sample_at(
                                provider,
                                doc,
                                names,
                                &format!("{here}/{name}/value"),
                                value.clone(),
                            );
                            s.name = format!("{} ({name})", s.name);
                            out.push(s);
                        }
                    }
                } else {
                    collect(provider, doc, names, child, &here, out);
                }
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                collect(provider, doc, names, child, &format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

fn unescape(s: &str) -> String {
    s.replace("~1", "/").replace("~0", "~")
}

/// Names a sample and finds its schema from where it sits in the spec.
fn sample_at(
    provider: Provider,
    doc: &Value,
    names: &Value,
    pointer: &str,
    value: Value,
) -> Sample {
    let parts: Vec<String> = pointer.split('/').skip(1).map(unescape).collect();
    let parent = pointer
        .rsplit_once('/')
        .map(|(p, _)| p.to_string())
        .unwrap_or_default();
    // The media type (or parameter) object holding the sample: the parent of `example`,
    // or of `examples` for a named example.
    let examples_parent = match pointer.split_once("/examples/") {
        Some((holder, _)) => holder.to_string(),
        None => parent.clone(),
    };
    let operation = || -> Option<String> {
        let (path, method) = (parts.get(1)?, parts.get(2)?);
        let op = format!("/paths/{}/{method}", escape(path));
        let id = names
            .pointer(&op)
            .or_else(|| doc.pointer(&op))?
            .get("operationId");
        Some(match id.and_then(Value::as_str) {
            Some(id) => id.to_string(),
            None => format!("{} {path}", method.to_uppercase()),
        })
    };
    let (operation, name, schema_pointer) = match parts.first().map(String::as_str) {
        Some("paths") => {
            let op = operation().unwrap_or_else(|| "-".into());
            let rest: Vec<&str> = parts.iter().skip(3).map(String::as_str).collect();
            match rest.as_slice() {
                ["responses", status, "content", ..] => (
                    op.clone(),
                    format!("{op} {status}"),
                    Some(format!("{examples_parent}/schema")),
                ),
                ["requestBody", "content", ..] => (
                    op.clone(),
                    format!("{op} request"),
                    Some(format!("{examples_parent}/schema")),
                ),
                ["parameters", i, ..] => {
                    let pname = doc
                        .pointer(&format!(
                            "{}/parameters/{i}/name",
                            &pointer_prefix(pointer, 3)
                        ))
                        .and_then(Value::as_str)
                        .unwrap_or("?")
                        .to_string();
                    let schema = if rest.get(2) == Some(&"schema") {
                        parent.clone()
                    } else {
                        format!("{parent}/schema")
                    };
                    (op.clone(), format!("{op} parameter {pname}"), Some(schema))
                }
                _ => (
                    op.clone(),
                    format!("{op} {}", rest.join("/")),
                    Some(parent.clone()),
                ),
            }
        }
        Some("components") => component_sample(&parts, &examples_parent, &parent),
        _ => ("-".into(), pointer.to_string(), None),
    };
    Sample {
        provider,
        operation,
        name,
        pointer: pointer.to_string(),
        value,
        schema_pointer,
    }
}

/// A sample in `components`: a named response's, or a schema's (named after the schema and
/// the properties leading to it): operation, name and schema pointer.
fn component_sample(
    parts: &[String],
    examples_parent: &str,
    parent: &str,
) -> (String, String, Option<String>) {
    let kind = parts.get(1).map(String::as_str).unwrap_or("");
    let cname = parts.get(2).cloned().unwrap_or_default();
    if kind == "responses" {
        return (
            "-".into(),
            format!("response {cname}"),
            Some(format!("{examples_parent}/schema")),
        );
    }
    let path: Vec<&str> = parts
        .iter()
        .skip(3)
        .filter(|p| p.as_str() != "properties" && p.as_str() != "example")
        .map(String::as_str)
        .collect();
    let name = if path.is_empty() {
        cname
    } else {
        format!("{cname}.{}", path.join("."))
    };
    ("-".into(), name, Some(parent.to_string()))
}

/// Where the schema of `operation`'s `status` JSON response is in `doc`.
pub fn response_schema_pointer(doc: &Value, operation: &str, status: &str) -> Option<String> {
    for (path, item) in doc.get("paths")?.as_object()? {
        for (method, op) in item.as_object()? {
            if op.get("operationId").and_then(Value::as_str) == Some(operation) {
                return Some(format!(
                    "/paths/{}/{method}/responses/{status}/content/application~1json/schema",
                    escape(path)
                ));
            }
        }
    }
    None
}

/// The first `n` segments of a JSON pointer.
fn pointer_prefix(pointer: &str, n: usize) -> String {
    pointer.split('/').take(n + 1).collect::<Vec<_>>().join("/")
}

/// Checks every sample of `provider` in the spec `doc` (documented form) against its
/// schema and generated type; `names` is the normalized spec (for operation ids).
pub fn check(
    provider: Provider,
    doc: &Value,
    names: &Value,
    known: &KnownDeviations,
) -> Vec<SampleReport> {
    let file = spec_file(provider);
    samples(provider, doc, names)
        .into_iter()
        .map(|s| check_sample(&file, doc, &s, known))
        .collect()
}

/// Checks every provider's checked-in spec.
pub fn check_builtin(providers: &[Provider]) -> Result<Vec<SampleReport>, String> {
    let known = KnownDeviations::builtin();
    let mut out = Vec::new();
    for p in providers {
        out.extend(check(*p, &documented(*p)?, &normalized(*p)?, &known));
    }
    Ok(out)
}

/// The source disagreements of `provider`'s spec that no longer hold in `normalized`, each
/// with the reason.
pub fn stale_disagreements<'a>(
    known: &'a KnownDeviations,
    provider: Provider,
    normalized: &Value,
) -> Vec<(&'a SourceDisagreement, String)> {
    let file = spec_file(provider);
    known
        .disagreements
        .iter()
        .filter(|d| d.file == file)
        .filter_map(|d| d.stale_in(normalized).map(|why| (d, why)))
        .collect()
}

/// Known deviations that no longer occur (the list should drop them).
pub fn stale_deviations<'a>(
    known: &'a KnownDeviations,
    reports: &[SampleReport],
) -> Vec<&'a KnownDeviation> {
    let found: BTreeSet<(String, String, Rule)> = reports
        .iter()
        .flat_map(|r| {
            r.findings
                .iter()
                .map(|f| (r.file.clone(), r.sample.clone(), f.rule))
        })
        .collect();
    let checked: BTreeSet<&str> = reports.iter().map(|r| r.file.as_str()).collect();
    known
        .entries
        .iter()
        .filter(|d| checked.contains(d.file.as_str()))
        .filter(|d| !found.contains(&(d.file.clone(), d.sample.clone(), d.rule)))
        .collect()
}

fn check_sample(file: &str, doc: &Value, sample: &Sample, known: &KnownDeviations) -> SampleReport {
    let mut findings: Vec<(Rule, String)> = Vec::new();

    let schema = sample
        .schema_pointer
        .as_deref()
        .and_then(|p| doc.pointer(p))
        .cloned();
    let mut schema_valid = true;
    if schema.is_none() {
        schema_valid = false;
        findings.push((
            Rule::Unmapped,
            format!("no schema found for the sample at {}", sample.pointer),
        ));
    }
    if let Some(schema) = &schema {
        let errors = validate(doc, schema, &sample.value);
        if !errors.is_empty() {
            schema_valid = false;
            findings.push((Rule::Schema, errors.join("; ")));
        }
        if let Some(detail) = deprecated_shape(doc, schema, &sample.value) {
            findings.push((Rule::DeprecatedShape, detail));
        }
    }

    let placeholders = placeholders(&sample.value, "");
    if !placeholders.is_empty() {
        findings.push((
            Rule::Placeholder,
            format!(
                "{} placeholder values, at {}",
                placeholders.len(),
                abbreviate(&placeholders)
            ),
        ));
    }

    let mut decodes = false;
    let mut round_trips = false;
    let mut typed = None;
    match decoder(sample.provider, &sample.name) {
        None => findings.push((
            Rule::Unmapped,
            format!(
                "no generated type is mapped to sample {:?} at {}",
                sample.name, sample.pointer
            ),
        )),
        Some(decode) => match decode(&sample.value.to_string()) {
            Err(e) => findings.push((Rule::Decode, e)),
            Ok(back) => {
                decodes = true;
                let mut changed = Vec::new();
                let mut lost = Vec::new();
                let back = back.to_value();
                differences(&sample.value, &back, "", &mut changed, &mut lost);
                if !changed.is_empty() {
                    findings.push((Rule::RoundTrip, changed.join("; ")));
                }
                if !lost.is_empty() {
                    findings.push((
                        Rule::UnknownField,
                        format!(
                            "fields the generated type does not know: {}",
                            abbreviate(&lost)
                        ),
                    ));
                }
                round_trips = changed.is_empty() && lost.is_empty();
                typed = Some(back);
            }
        },
    }

    SampleReport {
        provider: sample.provider,
        file: file.to_string(),
        operation: sample.operation.clone(),
        sample: sample.name.clone(),
        schema_valid,
        decodes,
        round_trips,
        findings: findings
            .into_iter()
            .map(|(rule, detail)| Finding {
                rule,
                detail,
                known: known.reason(file, &sample.name, rule),
            })
            .collect(),
        typed,
    }
}

fn abbreviate(items: &[String]) -> String {
    const SHOWN: usize = 5;
    let mut s = items
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > SHOWN {
        s.push_str(&format!(" and {} more", items.len() - SHOWN));
    }
    s
}

/// Validates `value` against `schema` (OpenAPI 3.0, in `doc`); the errors, each with the
/// location in the value.
pub fn validate(doc: &Value, schema: &Value, value: &Value) -> Vec<String> {
    let json_schema = schema::to_json_schema(doc, schema);
    let validator = match jsonschema::options()
        .should_validate_formats(true)
        .build(&json_schema)
    {
        Ok(v) => v,
        Err(e) => return vec![format!("the schema itself is invalid: {e}")],
    };
    validator
        .iter_errors(value)
        .map(|e| {
            let at = e.instance_path().to_string();
            format!("{}: {e}", if at.is_empty() { "/".to_string() } else { at })
        })
        .collect()
}

/// When `schema` is a `oneOf`/`anyOf` (after references) and `value` matches only branches
/// marked `deprecated`, says which.
fn deprecated_shape(doc: &Value, schema: &Value, value: &Value) -> Option<String> {
    let resolved = resolve(doc, schema);
    let branches = resolved
        .get("oneOf")
        .or_else(|| resolved.get("anyOf"))?
        .as_array()?;
    let matching: Vec<&Value> = branches
        .iter()
        .filter(|b| validate(doc, b, value).is_empty())
        .collect();
    let all_deprecated = !matching.is_empty()
        && matching
            .iter()
            .all(|b| resolve(doc, b).get("deprecated") == Some(&Value::Bool(true)));
    all_deprecated.then(|| {
        let names: Vec<String> = matching
            .iter()
            .map(|b| {
                b.get("$ref")
                    .and_then(Value::as_str)
                    .map(|r| r.rsplit('/').next().unwrap_or(r).to_string())
                    .unwrap_or_else(|| "an inline schema".into())
            })
            .collect();
        format!("matches only the deprecated shape {}", names.join(", "))
    })
}

fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => r
            .strip_prefix('#')
            .and_then(|p| doc.pointer(p))
            .unwrap_or(schema),
        None => schema,
    }
}

/// Locations of documentation placeholders such as `"<string>"` or `"<unknown>"`.
fn placeholders(v: &Value, at: &str) -> Vec<String> {
    match v {
        Value::String(s) => {
            let inner = s.strip_prefix('<').and_then(|s| s.strip_suffix('>'));
            match inner {
                Some(word)
                    if !word.is_empty()
                        && word.chars().all(|c| {
                            c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == ' '
                        }) =>
                {
                    vec![if at.is_empty() {
                        "/".into()
                    } else {
                        at.to_string()
                    }]
                }
                _ => vec![],
            }
        }
        Value::Object(o) => o
            .iter()
            .flat_map(|(k, c)| placeholders(c, &format!("{at}/{}", escape(k))))
            .collect(),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .flat_map(|(i, c)| placeholders(c, &format!("{at}/{i}")))
            .collect(),
        _ => vec![],
    }
}

/// Whether a field's value says no more than its absence: the generated types leave out
/// `null`, `{}` and `[]` for optional fields when they serialize.
fn empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Object(o) => o.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

/// Compares a documented value with what the generated type wrote back: `changed` gets
/// values that differ (an amount must keep every digit), `lost` fields the type dropped.
pub fn differences(
    expected: &Value,
    actual: &Value,
    at: &str,
    changed: &mut Vec<String>,
    lost: &mut Vec<String>,
) {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for key in e.keys().chain(a.keys().filter(|k| !e.contains_key(*k))) {
                let here = format!("{at}/{}", escape(key));
                let (ev, av) = (
                    e.get(key).unwrap_or(&Value::Null),
                    a.get(key).unwrap_or(&Value::Null),
                );
                if !e.contains_key(key) && !empty(av) {
                    changed.push(format!("{here}: not in the sample, written back as {av}"));
                } else if !a.contains_key(key) && !empty(ev) {
                    lost.push(here);
                } else if !(empty(ev) && empty(av)) {
                    differences(ev, av, &here, changed, lost);
                }
            }
        }
        (Value::Array(e), Value::Array(a)) if e.len() == a.len() => {
            for (i, (ev, av)) in e.iter().zip(a).enumerate() {
                differences(ev, av, &format!("{at}/{i}"), changed, lost);
            }
        }
        // An amount: written back as a decimal string with the same digits.
        (Value::Number(n), Value::String(s)) if n.to_string() == *s => {}
        (e, a) if e == a => {}
        // A date-time or uuid written differently, the same value.
        (Value::String(e), Value::String(a)) if replay::same_string(e, a) == Ok(true) => {}
        (e, a) => changed.push(format!(
            "{}: documented {e}, decoded {a}",
            if at.is_empty() { "/" } else { at }
        )),
    }
}
