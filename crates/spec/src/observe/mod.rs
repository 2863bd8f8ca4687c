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

mod propose;
mod shape;
mod walk;

pub use propose::{jsonpath, Proposal};

use serde_json::Value;
use shape::Shape;
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
pub(super) struct Walk<'a> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
