//! The overlay the observations call for.

use super::{Evidence, Observations, Observed};
use serde_json::{json, Value};
use std::collections::BTreeMap;

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
        let mut draft = Draft {
            doc,
            seen: self,
            actions: Vec::new(),
            unexpressible: Vec::new(),
            enum_values: BTreeMap::new(),
            optional: BTreeMap::new(),
        };
        for (observed, evidence) in &self.found {
            draft.add(observed, evidence)?;
        }
        let (actions, unexpressible) = draft.finish();
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

/// A proposal being written: the actions so far, and what is gathered before it becomes
/// actions (enum values and relaxed requirements, one action per schema).
struct Draft<'a> {
    doc: &'a Value,
    seen: &'a Observations,
    actions: Vec<Value>,
    unexpressible: Vec<String>,
    enum_values: BTreeMap<&'a str, Vec<(&'a str, &'a Evidence)>>,
    optional: BTreeMap<&'a str, Vec<(&'a str, &'a Evidence)>>,
}

impl<'a> Draft<'a> {
    fn add(&mut self, observed: &'a Observed, evidence: &'a Evidence) -> Result<(), String> {
        let doc = self.doc;
        let reason = |what: &str| {
            format!(
                "{what}: seen in {} of {} replies (e.g. {}).",
                evidence.replies, self.seen.replies, evidence.example
            )
        };
        let retype = |schema: &str, what: &str, update: Value| json!({"target": jsonpath(doc, schema), "description": reason(what), "update": update});
        let action = match observed {
            Observed::Undocumented { object, property } => {
                let shape = self
                    .seen
                    .shapes
                    .get(&(object.clone(), property.clone()))
                    .cloned()
                    .unwrap_or_default();
                let what = format!("Models property {property:?}, inferred from every value seen");
                retype(
                    object,
                    &what,
                    json!({"properties": {property.clone(): shape.schema()}}),
                )
            }
            Observed::EnumValue { schema, value } => {
                let values = self.enum_values.entry(schema).or_default();
                values.push((value, evidence));
                return Ok(());
            }
            Observed::Null { schema } => {
                self.actions
                    .extend(nullable(doc, schema, &reason("Allows null"))?);
                return Ok(());
            }
            Observed::MissingRequired { object, property } => {
                let dropped = self.optional.entry(object).or_default();
                dropped.push((property, evidence));
                return Ok(());
            }
            Observed::AmountAsText { schema } if !self.seen.numbers_at.contains(schema) => retype(
                schema,
                "Amounts arrive as decimal strings, never as numbers",
                json!({"type": "string", "format": "decimal"}),
            ),
            Observed::AmountAsNumber { schema } if !self.seen.texts_at.contains(schema) => retype(
                schema,
                "Amounts arrive as numbers, never as strings",
                json!({"type": "number"}),
            ),
            Observed::Fraction { schema } => retype(
                schema,
                "Numbers with a fraction arrive where an integer is documented",
                json!({"type": "number"}),
            ),
            Observed::AmountAsText { schema } | Observed::AmountAsNumber { schema } => {
                self.unexpressible.push(format!(
                    "{schema}: amounts arrive both as numbers and as strings; one type cannot say both without changing the generated type ({} replies, e.g. {})",
                    evidence.replies, evidence.example
                ));
                return Ok(());
            }
            Observed::Contradiction { .. } => {
                self.unexpressible.push(format!(
                    "{} ({} replies, e.g. {})",
                    observed.describe(),
                    evidence.replies,
                    evidence.example
                ));
                return Ok(());
            }
        };
        self.actions.push(action);
        Ok(())
    }

    /// The actions, the gathered ones last, and what no overlay can express.
    fn finish(mut self) -> (Vec<Value>, Vec<String>) {
        let (doc, replies) = (self.doc, self.seen.replies);
        for (object, dropped) in std::mem::take(&mut self.optional) {
            self.actions
                .extend(relax_required(doc, object, &dropped, replies));
        }
        for (schema, values) in std::mem::take(&mut self.enum_values) {
            let listed: Vec<&str> = values.iter().map(|(v, _)| *v).collect();
            let most = values.iter().map(|(_, e)| e.replies).max().unwrap_or(0);
            self.actions.push(json!({
                "target": jsonpath(doc, schema),
                "description": format!(
                    "Adds {}: seen in {most} of {replies} replies (e.g. {}).",
                    listed.iter().map(|v| format!("{v:?}")).collect::<Vec<_>>().join(", "),
                    values[0].1.example
                ),
                "update": {"enum": listed},
            }));
        }
        (self.actions, self.unexpressible)
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
