//! Every kind of schema edit, in every place a schema sits (query parameter, request body
//! and its properties, response body and its properties, response header): each gives
//! its own rule at that rule's level (never dropped, never unclassified), with a pointer
//! into the document it names. Debug builds also panic where an id missing from the table
//! is made, so a gap shows up here with its id.

use purchase_spec::drift::{compare_texts, DriftReport, Level, Side};

const TEMPLATE: &str = r#"
openapi: 3.0.3
info: {title: T, version: '1'}
paths:
  /things:
    post:
      operationId: put
      parameters:
        - {name: p, in: query, schema: PARAM}
      requestBody:
        required: true
        content:
          application/json:
            schema: REQUEST
      responses:
        '200':
          description: ok
          headers:
            X-Count: {required: true, schema: HEADER}
          content:
            application/json:
              schema: RESPONSE
"#;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Place {
    Parameter,
    RequestBody,
    RequestProperty,
    ResponseBody,
    ResponseProperty,
    ResponseHeader,
}

const PLACES: [Place; 6] = [
    Place::Parameter,
    Place::RequestBody,
    Place::RequestProperty,
    Place::ResponseBody,
    Place::ResponseProperty,
    Place::ResponseHeader,
];

/// The template with `schema` at `place` and a plain string everywhere else.
fn document(place: Place, schema: &str) -> String {
    let property = format!("{{type: object, properties: {{x: {schema}}}}}");
    let at = |p: Place| match p {
        _ if p != place => "{type: string}".to_string(),
        Place::RequestProperty | Place::ResponseProperty => property.clone(),
        _ => schema.to_string(),
    };
    TEMPLATE
        .replace("PARAM", &at(Place::Parameter))
        .replace(
            "REQUEST",
            &at(if place == Place::RequestProperty {
                Place::RequestProperty
            } else {
                Place::RequestBody
            }),
        )
        .replace("HEADER", &at(Place::ResponseHeader))
        .replace(
            "RESPONSE",
            &at(if place == Place::ResponseProperty {
                Place::ResponseProperty
            } else {
                Place::ResponseBody
            }),
        )
}

/// Old schema, new schema, and the kind of edit (the rule it gives is `expected`).
const EDITS: &[(&str, &str, &str)] = &[
    ("{type: integer}", "{type: integer, maximum: 10}", "max-set"),
    ("{type: integer, maximum: 10}", "{type: integer, maximum: 5}", "max-decreased"),
    ("{type: integer, maximum: 10}", "{type: integer, maximum: 20}", "max-increased"),
    ("{type: integer, maximum: 10}", "{type: integer}", "max-unset"),
    ("{type: integer, maximum: 10}", "{type: integer, maximum: 10, exclusiveMaximum: true}", "exclusive-max-decreased"),
    ("{type: integer}", "{type: integer, minimum: 1}", "min-set"),
    ("{type: integer, minimum: 1}", "{type: integer, minimum: 2}", "min-increased"),
    ("{type: integer, minimum: 1}", "{type: integer, minimum: 0}", "min-decreased"),
    ("{type: integer, minimum: 1}", "{type: integer}", "min-unset"),
    ("{type: integer, minimum: 1, exclusiveMinimum: true}", "{type: integer, minimum: 1}", "min-decreased"),
    ("{type: string}", "{type: string, maxLength: 8}", "max-length-set"),
    ("{type: string, maxLength: 8}", "{type: string, maxLength: 4}", "max-length-decreased"),
    ("{type: string, maxLength: 8}", "{type: string, maxLength: 16}", "max-length-increased"),
    ("{type: string, maxLength: 8}", "{type: string}", "max-length-unset"),
    ("{type: string}", "{type: string, minLength: 2}", "min-length-set"),
    ("{type: string, minLength: 2}", "{type: string, minLength: 4}", "min-length-increased"),
    ("{type: string, minLength: 2}", "{type: string, minLength: 1}", "min-length-decreased"),
    ("{type: array, items: {type: string}}", "{type: array, maxItems: 3, items: {type: string}}", "max-items-set"),
    ("{type: array, maxItems: 3, items: {type: string}}", "{type: array, maxItems: 2, items: {type: string}}", "max-items-decreased"),
    ("{type: array, items: {type: string}}", "{type: array, minItems: 1, items: {type: string}}", "min-items-set"),
    ("{type: array, minItems: 1, items: {type: string}}", "{type: array, minItems: 2, items: {type: string}}", "min-items-increased"),
    ("{type: array, minItems: 1, items: {type: string}}", "{type: array, items: {type: string}}", "min-items-unset"),
    ("{type: string, minLength: 2}", "{type: string}", "min-length-unset"),
    ("{type: array, maxItems: 3, items: {type: string}}", "{type: array, maxItems: 5, items: {type: string}}", "max-items-increased"),
    ("{type: array, maxItems: 3, items: {type: string}}", "{type: array, items: {type: string}}", "max-items-unset"),
    ("{type: array, minItems: 2, items: {type: string}}", "{type: array, minItems: 1, items: {type: string}}", "min-items-decreased"),
    ("{type: integer}", "{type: integer, maximum: 10, exclusiveMaximum: true}", "exclusive-max-set"),
    ("{type: integer, maximum: 10, exclusiveMaximum: true}", "{type: integer, maximum: 20, exclusiveMaximum: true}", "exclusive-max-increased"),
    ("{type: integer, maximum: 10, exclusiveMaximum: true}", "{type: integer}", "exclusive-max-unset"),
    ("{type: integer}", "{type: integer, minimum: 1, exclusiveMinimum: true}", "exclusive-min-set"),
    ("{type: integer, minimum: 1, exclusiveMinimum: true}", "{type: integer, minimum: 2, exclusiveMinimum: true}", "exclusive-min-increased"),
    ("{type: integer, minimum: 1, exclusiveMinimum: true}", "{type: integer, minimum: 0, exclusiveMinimum: true}", "exclusive-min-decreased"),
    ("{type: integer, minimum: 1, exclusiveMinimum: true}", "{type: integer}", "exclusive-min-unset"),
    ("{type: string}", "{type: string, pattern: '^a'}", "pattern-added"),
    ("{type: string, pattern: '^a'}", "{type: string}", "pattern-removed"),
    ("{type: string, pattern: '^a'}", "{type: string, pattern: '^b'}", "pattern-changed"),
    ("{type: string}", "{type: string, enum: [a, b]}", "became-enum"),
    ("{type: string, enum: [a, b]}", "{type: string, enum: [a, b, c]}", "enum-value-added"),
    ("{type: string, enum: [a, b]}", "{type: string, enum: [a]}", "enum-value-removed"),
    ("{type: string}", "{type: string, default: a}", "default-value-added"),
    ("{type: string, default: a}", "{type: string}", "default-value-removed"),
    ("{type: string, default: a}", "{type: string, default: b}", "default-value-changed"),
    ("{type: string}", "{type: integer}", "type-changed"),
    ("{type: integer}", "{type: number}", "type-generalized"),
    ("{type: number}", "{type: integer}", "type-narrowed"),
    ("{type: integer, format: int32}", "{type: integer, format: int64}", "type-generalized"),
    ("{type: integer, format: int64}", "{type: integer, format: int32}", "type-narrowed"),
    // A format removed accepts more: a parameter without `uuid` takes every uuid.
    ("{type: string, format: uuid}", "{type: string}", "type-generalized"),
    ("{type: string}", "{type: string, nullable: true}", "became-nullable"),
    ("{type: string, nullable: true}", "{type: string}", "became-not-nullable"),
    ("{type: string}", "{anyOf: [{type: string}, {type: integer}]}", "list-of-types-widened"),
    ("{anyOf: [{type: string}, {type: integer}]}", "{type: string}", "list-of-types-narrowed"),
    ("{oneOf: [{type: string}, {type: integer}]}", "{oneOf: [{type: string}, {type: integer}, {type: boolean}]}", "one-of-added"),
    ("{oneOf: [{type: string}, {type: integer}, {type: boolean}]}", "{oneOf: [{type: string}, {type: integer}]}", "one-of-removed"),
    (
        "{anyOf: [{type: object, properties: {a: {type: string}}}]}",
        "{anyOf: [{type: object, properties: {a: {type: string}}}, {type: object, properties: {b: {type: integer}}}]}",
        "any-of-added",
    ),
    (
        "{anyOf: [{type: object, properties: {a: {type: string}}}, {type: object, properties: {b: {type: integer}}}]}",
        "{anyOf: [{type: object, properties: {a: {type: string}}}]}",
        "any-of-removed",
    ),
    ("{type: string, x-extensible-enum: [a, b]}", "{type: string, x-extensible-enum: [a]}", "x-extensible-enum-value-removed"),
    ("{type: number}", "{type: string, format: decimal}", "amount-form-changed"),
    (
        "{type: object, properties: {a: {type: string}}}",
        "{oneOf: [{type: object, properties: {a: {type: string}}}, {type: string}]}",
        "wrapped-in-one-of",
    ),
    ("{type: string}", "{type: string, deprecated: true}", "deprecated"),
    ("{type: string, deprecated: true}", "{type: string}", "reactivated"),
];

fn compare(place: Place, old: &str, new: &str) -> DriftReport {
    let (old_doc, new_doc) = (document(place, old), document(place, new));
    let report = compare_texts("old.yaml", &old_doc, "new.yaml", &new_doc)
        .unwrap_or_else(|e| panic!("{place:?} {old} -> {new}: {e}"));
    let old_doc = purchase_spec::normalize("old", &old_doc, None).unwrap();
    let new_doc = purchase_spec::normalize("new", &new_doc, None).unwrap();
    for c in &report.changes {
        let doc = match c.document {
            Side::New => &new_doc,
            Side::Old => &old_doc,
        };
        assert!(
            doc.pointer(&c.pointer).is_some(),
            "{place:?} {old} -> {new}: {} points nowhere: {}",
            c.rule,
            c.pointer
        );
    }
    report
}

/// The rule an edit of kind `stem` gives at `place`; `None` where it must give nothing.
fn expected(place: Place, stem: &str) -> Option<String> {
    let prefix = match place {
        Place::Parameter => "request-parameter-",
        Place::RequestBody => "request-body-",
        Place::RequestProperty => "request-property-",
        Place::ResponseBody => "response-body-",
        Place::ResponseProperty => "response-property-",
        Place::ResponseHeader => "response-header-",
    };
    let request = matches!(
        place,
        Place::Parameter | Place::RequestBody | Place::RequestProperty
    );
    let body = matches!(place, Place::RequestBody | Place::ResponseBody);
    let stem = match stem {
        // Fewer values on a request is a change; on a response, a narrower type.
        "type-narrowed" if request => "type-changed",
        "type-narrowed" => "type-specialized",
        // Only a body can be wrapped in a oneOf; elsewhere the type widened.
        "wrapped-in-one-of" if !body => "type-generalized",
        // Deprecation is reported on properties (parameters and operations have their own).
        "deprecated" | "reactivated" => {
            return match place {
                Place::RequestProperty => Some(format!("request-property-{stem}")),
                Place::ResponseProperty => Some(format!("response-property-{stem}")),
                _ => None,
            };
        }
        "enum-value-removed" | "x-extensible-enum-value-removed"
            if place == Place::ResponseBody =>
        {
            return Some("response-mediatype-enum-value-removed".into())
        }
        // An extensible enum is open for a client reading it: a removal is an enum's.
        "x-extensible-enum-value-removed" if !request => "enum-value-removed",
        // An amount's form is a body matter; a parameter or header changed its type.
        "amount-form-changed"
            if !body && !matches!(place, Place::RequestProperty | Place::ResponseProperty) =>
        {
            "type-changed"
        }
        other => other,
    };
    if place == Place::ResponseHeader {
        // Headers count for type and nullability only; a list of types is a wider type.
        return match stem {
            "list-of-types-widened" => Some("response-header-type-generalized".into()),
            "list-of-types-narrowed" => Some("response-header-type-specialized".into()),
            "x-extensible-enum-value-removed" => None,
            s if s.starts_with("type-") || s.contains("nullable") => Some(format!("{prefix}{s}")),
            _ => None,
        };
    }
    Some(format!("{prefix}{stem}"))
}

#[test]
fn every_schema_edit_in_every_place_gives_its_rule() {
    let mut asserted = std::collections::BTreeSet::new();
    for place in PLACES {
        for (old, new, stem) in EDITS {
            let report = compare(place, old, new);
            let given: Vec<&str> = report.changes.iter().map(|c| c.rule).collect();
            assert!(
                !given.contains(&"unclassified-schema-change"),
                "{place:?} {old} -> {new}: {}",
                report.to_text()
            );
            match expected(place, stem) {
                Some(rule) => {
                    assert!(
                        given.contains(&rule.as_str()),
                        "{place:?} {old} -> {new}: expected {rule}, got {given:?}"
                    );
                    let level = purchase_spec::drift::rules::find(&rule).unwrap().level;
                    let change = report.changes.iter().find(|c| c.rule == rule).unwrap();
                    assert_eq!(change.level, level, "{rule}");
                    asserted.insert(rule);
                }
                None => assert!(
                    given.is_empty(),
                    "{place:?} {old} -> {new}: expected nothing, got {given:?}"
                ),
            }
        }
    }
    // Every schema rule of the table a body, property, parameter or header can give.
    assert!(asserted.len() >= 275, "{} rules asserted", asserted.len());
}

#[test]
fn the_rules_that_used_to_be_dropped_or_misnamed_are_given_with_their_level() {
    let only = |place, old, new| {
        let report = compare(place, old, new);
        report
            .changes
            .iter()
            .map(|c| (c.rule, c.level))
            .collect::<Vec<_>>()
    };
    // A value removed from a response body's own enum: oasdiff's id.
    assert_eq!(
        only(
            Place::ResponseBody,
            "{type: string, enum: [a, b]}",
            "{type: string, enum: [a]}"
        ),
        vec![("response-mediatype-enum-value-removed", Level::Info)]
    );
    // A response bound that tightens: every answer still decodes.
    assert_eq!(
        only(
            Place::ResponseProperty,
            "{type: integer, maximum: 10}",
            "{type: integer, maximum: 5}"
        ),
        vec![("response-property-max-decreased", Level::Info)]
    );
    assert_eq!(
        only(
            Place::ResponseBody,
            "{type: string}",
            "{type: string, minLength: 2}"
        ),
        vec![("response-body-min-length-set", Level::Info)]
    );
    // A typed request body wrapped in a oneOf: breaking, not a widened type.
    assert_eq!(
        only(
            Place::RequestBody,
            "{type: object, properties: {a: {type: string}}}",
            "{oneOf: [{type: object, properties: {a: {type: string}}}, {type: string}]}"
        ),
        vec![("request-body-wrapped-in-one-of", Level::Breaking)]
    );
    // A header's pattern is not read by the generated client.
    assert_eq!(
        only(
            Place::ResponseHeader,
            "{type: string}",
            "{type: string, pattern: '^a'}"
        ),
        vec![]
    );
}

#[test]
fn every_rule_id_written_in_the_walk_is_in_the_table() {
    let source = include_str!("../src/drift/walk.rs");
    let mut ids = Vec::new();
    for literal in source.split('"').skip(1).step_by(2) {
        let kebab = literal.split('-').count() >= 3
            && literal
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !literal.starts_with("x-");
        if kebab {
            ids.push(literal);
        }
    }
    assert!(ids.len() > 40, "only {} ids found: {ids:?}", ids.len());
    for id in ids {
        assert!(
            purchase_spec::drift::rules::find(id).is_some(),
            "walk.rs names {id}, which the rules table lacks"
        );
    }
}
