//! Drift weighed by traffic: recorded replies (as `purchases list --record` writes them)
//! say how often each response element a change touches was actually sent.
//!
//! Each reply's body is walked along the schema its operation and status have in the old
//! document (the one the replies were recorded against), and every schema that described a
//! value is counted once per reply, with the values of enums. A change whose pointer names
//! a response schema, an enum or a response status then carries [`Traffic`]: the replies
//! of the operations it concerns, and in how many of them the element appeared.
//! [`EvidencePolicy::LowerUnseen`] lowers a breaking change to a warning when the traffic
//! has replies of its operations and never showed the element.

use super::canonical::{escape, Canon, Schema};
use super::walk::{blank_params, operations, Op};
use super::{DriftReport, Level};
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::rc::Rc;

/// One recorded reply, as the evidence reads it.
#[derive(Debug, Clone, Copy)]
pub struct RecordedReply<'a> {
    /// The request method (`GET`).
    pub method: &'a str,
    /// The operation's path template (`/v4/purchases`).
    pub path: &'a str,
    /// The HTTP status.
    pub status: u16,
    /// The body, when it is JSON.
    pub body: Option<&'a Value>,
}

/// What the traffic says about the element a change touches.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Traffic {
    /// Recorded replies of the operations the change concerns.
    pub replies: usize,
    /// Of those, the replies in which the element appeared: a value the schema describes, a
    /// value of the enum, a reply with the status.
    pub seen: usize,
    /// For a change to an enum's values: the replies each value concerned appeared in.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub values: BTreeMap<String, usize>,
    /// Whether [`EvidencePolicy::LowerUnseen`] lowered the change from breaking to warning.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub lowered: bool,
}

/// What the evidence may do to levels.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum EvidencePolicy {
    /// Counts only.
    #[default]
    Report,
    /// A breaking change to an element the recorded replies of its operations never
    /// showed becomes a warning.
    LowerUnseen,
}

/// Counts from recorded replies, by operation (`GET /v4/purchases`).
#[derive(Debug, Clone, Default)]
pub struct Evidence {
    /// Replies per operation.
    replies: BTreeMap<String, usize>,
    /// Replies per operation and status.
    statuses: BTreeMap<(String, u16), usize>,
    /// What the bodies showed, read along the old document's schemas and the new one's (a
    /// change points into one or the other).
    old: Shown,
    new: Shown,
    /// Replies whose operation the old document does not have.
    unmatched: usize,
}

/// What the bodies showed, by the pointers of one document's schemas.
#[derive(Debug, Clone, Default)]
struct Shown {
    /// Per schema pointer, per operation: the replies it described a value in.
    present: HashMap<String, BTreeMap<String, usize>>,
    /// Per enum schema pointer, per value (as JSON text), per operation: replies.
    values: HashMap<String, BTreeMap<String, BTreeMap<String, usize>>>,
}

impl Shown {
    /// Walks `body` along the schema `found` (the operation in this document) gives
    /// `status`.
    fn read(
        &mut self,
        canon: &Canon<'_>,
        found: Option<&Op<'_>>,
        op: &str,
        status: u16,
        body: &Value,
    ) {
        let Some(schema) = found.and_then(|f| response_schema(canon, f, status)) else {
            return;
        };
        let mut seen = Seen::default();
        seen.visit(canon, &schema, body, 0);
        for at in seen.schemas {
            *self
                .present
                .entry(at)
                .or_default()
                .entry(op.to_string())
                .or_default() += 1;
        }
        for (at, value) in seen.values {
            *self
                .values
                .entry(at)
                .or_default()
                .entry(value)
                .or_default()
                .entry(op.to_string())
                .or_default() += 1;
        }
    }
}

/// How deep a body is walked.
const MAX_DEPTH: usize = 64;

impl Evidence {
    /// Counts `replies` against `old` and `new`, the documents as [`super::prepare`] gives
    /// them (the replies were recorded against the old one).
    pub fn build<'r>(
        old: &Value,
        new: &Value,
        replies: impl IntoIterator<Item = RecordedReply<'r>>,
    ) -> Self {
        let (old_canon, new_canon) = (Canon::new(old), Canon::new(new));
        let (old_ops, new_ops) = (operations(old), operations(new));
        let mut evidence = Evidence::default();
        for reply in replies {
            let key = (blank_params(reply.path), reply.method.to_ascii_lowercase());
            let Some(op) = old_ops.get(&key) else {
                evidence.unmatched += 1;
                continue;
            };
            let name = op.name.clone();
            *evidence.replies.entry(name.clone()).or_default() += 1;
            *evidence
                .statuses
                .entry((name.clone(), reply.status))
                .or_default() += 1;
            if let Some(body) = reply.body {
                let status = reply.status;
                evidence.old.read(&old_canon, Some(op), &name, status, body);
                let found = new_ops.get(&key);
                evidence.new.read(&new_canon, found, &name, status, body);
            }
        }
        evidence
    }

    /// The replies counted (whose operation the document has).
    pub fn replies(&self) -> usize {
        self.replies.values().sum()
    }

    /// The replies whose operation the document does not have.
    pub fn unmatched(&self) -> usize {
        self.unmatched
    }

    /// Adds [`Traffic`] to every change of `report` that touches a response element, and
    /// applies `policy`. `new` is the new document (for the enum values a change drops).
    pub fn weigh(&self, report: &mut DriftReport, new: &Value, policy: EvidencePolicy) {
        let canon = Canon::new(new);
        for change in &mut report.changes {
            let Some(mut traffic) = self.traffic(change, new, &canon) else {
                continue;
            };
            let n = traffic.replies;
            let note = if n == 0 {
                "no recorded reply of its operations".to_string()
            } else if !traffic.values.is_empty() {
                let listed: Vec<String> = traffic
                    .values
                    .iter()
                    .map(|(v, c)| format!("{v} in {}", percent_of(*c, n)))
                    .collect();
                format!("seen: {} of {}", listed.join(", "), replies_of(n))
            } else if traffic.seen == 0 {
                format!("never seen in {}", replies_of(n))
            } else {
                format!("present in {} of {}", count(traffic.seen), replies_of(n))
            };
            change.message = format!("{} ({note})", change.message);
            if policy == EvidencePolicy::LowerUnseen
                && change.level == Level::Breaking
                && n > 0
                && traffic.seen == 0
            {
                change.level = Level::Warning;
                traffic.lowered = true;
                change.message.push_str(" [lowered to warning: never seen]");
            }
            change.traffic = Some(traffic);
        }
        report.summarize();
    }

    /// `canon` reads `new`.
    fn traffic(&self, change: &super::Change, new: &Value, canon: &Canon<'_>) -> Option<Traffic> {
        // Response bodies and statuses. A reply's headers are not all recorded: a header's
        // change (by its rule, wherever its schema is written) is not weighed.
        if !change.rule.starts_with("response-") || change.rule.starts_with("response-header-") {
            return None;
        }
        let ops = &change.operations;
        let replies: usize = ops.iter().filter_map(|o| self.replies.get(o)).sum();
        let in_ops = |by_op: &BTreeMap<String, usize>| -> usize {
            ops.iter().filter_map(|o| by_op.get(o)).sum()
        };
        let pointer = change.pointer.as_str();
        let shown = match change.document {
            super::Side::Old => &self.old,
            super::Side::New => &self.new,
        };
        // A response status: the replies that had it.
        if let Some(status) = status_of(pointer) {
            let seen = ops
                .iter()
                .filter_map(|o| self.statuses.get(&(o.clone(), status)))
                .sum();
            return Some(Traffic {
                replies,
                seen,
                ..Traffic::default()
            });
        }
        // Enum values no longer listed: how often each was sent.
        if change.rule.contains("enum-value-removed") {
            let schema = new.pointer(pointer).map(|s| canon.schema(s, pointer));
            let listed: BTreeSet<String> = schema
                .iter()
                .flat_map(|s| s.enum_values.iter().flatten())
                .map(Value::to_string)
                .collect();
            let sent = shown.values.get(pointer);
            let values: BTreeMap<String, usize> = sent
                .into_iter()
                .flatten()
                .filter(|(v, _)| !listed.contains(*v))
                .map(|(v, by_op)| (shown_value(v), in_ops(by_op)))
                .filter(|(_, c)| *c > 0)
                .collect();
            let seen = values.values().copied().max().unwrap_or(0);
            return Some(Traffic {
                replies,
                seen,
                values,
                lowered: false,
            });
        }
        let seen = shown.present.get(pointer).map_or(0, in_ops);
        let is_schema = pointer.contains("/schema") || pointer.starts_with("/components/schemas/");
        is_schema.then_some(Traffic {
            replies,
            seen,
            ..Traffic::default()
        })
    }
}

/// A value for people: a string without its quotes, anything else as JSON.
fn shown_value(json: &str) -> String {
    match serde_json::from_str::<Value>(json) {
        Ok(Value::String(s)) => s,
        _ => json.to_string(),
    }
}

/// `…/responses/404` → 404.
fn status_of(pointer: &str) -> Option<u16> {
    let (rest, code) = pointer.rsplit_once('/')?;
    (rest.ends_with("/responses") && code.len() == 3)
        .then(|| code.parse().ok())
        .flatten()
}

/// `1 recorded reply`, `1,200 recorded replies`.
fn replies_of(n: usize) -> String {
    let noun = if n == 1 { "reply" } else { "replies" };
    format!("{} recorded {noun}", count(n))
}

/// `1200` → `1,200`.
fn count(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn percent_of(part: usize, whole: usize) -> String {
    let p = 100.0 * part as f64 / whole.max(1) as f64;
    if p > 0.0 && p < 1.0 {
        format!("{} ({p:.1}%)", count(part))
    } else {
        format!("{} ({p:.0}%)", count(part))
    }
}

/// The schema of the reply's JSON body, written where the drift walk reads it.
fn response_schema(canon: &Canon<'_>, op: &Op<'_>, status: u16) -> Option<Rc<Schema>> {
    let responses = op.op.get("responses")?.as_object()?;
    let code = status.to_string();
    let range = format!("{}XX", status / 100);
    let key = [code.as_str(), range.as_str(), "default"]
        .into_iter()
        .find(|k| responses.contains_key(*k))?;
    let at = format!("{}/responses/{}", op.at, escape(key));
    let (response, at) = canon.deref(&responses[key], &at);
    let content = response.get("content")?.as_object()?;
    let (media, body) = content
        .iter()
        .find(|(m, _)| m.contains("json"))
        .or_else(|| content.iter().next())?;
    let schema = body.get("schema")?;
    Some(canon.schema(schema, &format!("{at}/content/{}/schema", escape(media))))
}

/// What one reply's body showed.
#[derive(Default)]
struct Seen {
    /// Schema pointers that described a value.
    schemas: BTreeSet<String>,
    /// Enum schema pointers with the value (JSON text).
    values: BTreeSet<(String, String)>,
}

impl Seen {
    fn visit(&mut self, canon: &Canon<'_>, schema: &Rc<Schema>, value: &Value, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        // A cycle marker: the schema it stands for, built once by the canon.
        let resolved;
        let schema = match &schema.cycle {
            Some(r) => {
                resolved = canon.schema(&serde_json::json!({ "$ref": r }), &schema.at);
                &resolved
            }
            None => schema,
        };
        self.schemas.insert(schema.at.clone());
        match value {
            Value::Object(map) => {
                for (k, v) in map {
                    if let Some(p) = schema.properties.get(k) {
                        self.visit(canon, p, v, depth + 1);
                    } else if let Some(a) = &schema.additional {
                        self.visit(canon, a, v, depth + 1);
                    }
                }
            }
            Value::Array(items) => {
                if let Some(item) = &schema.items {
                    for v in items {
                        self.visit(canon, item, v, depth + 1);
                    }
                }
            }
            scalar => {
                if schema.enum_values.is_some() || schema.extensible.is_some() {
                    self.values.insert((schema.at.clone(), scalar.to_string()));
                }
            }
        }
        for alt in schema.one_of.iter().chain(&schema.any_of) {
            if fits(alt, value) {
                self.visit(canon, alt, value, depth + 1);
            }
        }
    }
}

/// Whether `value` could be an instance of the alternative `s`, by its kind and (for an
/// object) its required properties.
fn fits(s: &Schema, value: &Value) -> bool {
    let kind = match value {
        Value::Null => return s.nullable,
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(map) => {
            return (s.types.is_empty() || s.types.contains("object"))
                && s.required.iter().all(|r| map.contains_key(r));
        }
    };
    s.types.is_empty()
        || s.types.contains(kind)
        || (kind == "integer" && s.types.contains("number"))
}
