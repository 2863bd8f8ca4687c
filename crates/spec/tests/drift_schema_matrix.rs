//! Every kind of schema edit, in every place a schema sits (query parameter, request body
//! and its properties, response body and its properties, response header): each is
//! reported under a rule of the table (never dropped, never unclassified), with a pointer
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

/// Old and new schema of one edit.
const EDITS: &[(&str, &str)] = &[
    ("{type: integer}", "{type: integer, maximum: 10}"),
    ("{type: integer, maximum: 10}", "{type: integer, maximum: 5}"),
    ("{type: integer, maximum: 10}", "{type: integer, maximum: 20}"),
    ("{type: integer, maximum: 10}", "{type: integer}"),
    ("{type: integer, maximum: 10}", "{type: integer, maximum: 10, exclusiveMaximum: true}"),
    ("{type: integer}", "{type: integer, minimum: 1}"),
    ("{type: integer, minimum: 1}", "{type: integer, minimum: 2}"),
    ("{type: integer, minimum: 1}", "{type: integer, minimum: 0}"),
    ("{type: integer, minimum: 1}", "{type: integer}"),
    ("{type: integer, minimum: 1, exclusiveMinimum: true}", "{type: integer, minimum: 1}"),
    ("{type: string}", "{type: string, maxLength: 8}"),
    ("{type: string, maxLength: 8}", "{type: string, maxLength: 4}"),
    ("{type: string, maxLength: 8}", "{type: string, maxLength: 16}"),
    ("{type: string, maxLength: 8}", "{type: string}"),
    ("{type: string}", "{type: string, minLength: 2}"),
    ("{type: string, minLength: 2}", "{type: string, minLength: 4}"),
    ("{type: string, minLength: 2}", "{type: string, minLength: 1}"),
    ("{type: array, items: {type: string}}", "{type: array, maxItems: 3, items: {type: string}}"),
    ("{type: array, maxItems: 3, items: {type: string}}", "{type: array, maxItems: 2, items: {type: string}}"),
    ("{type: array, items: {type: string}}", "{type: array, minItems: 1, items: {type: string}}"),
    ("{type: array, minItems: 1, items: {type: string}}", "{type: array, minItems: 2, items: {type: string}}"),
    ("{type: array, minItems: 1, items: {type: string}}", "{type: array, items: {type: string}}"),
    ("{type: string}", "{type: string, pattern: '^a'}"),
    ("{type: string, pattern: '^a'}", "{type: string}"),
    ("{type: string, pattern: '^a'}", "{type: string, pattern: '^b'}"),
    ("{type: string}", "{type: string, enum: [a, b]}"),
    ("{type: string, enum: [a, b]}", "{type: string, enum: [a, b, c]}"),
    ("{type: string, enum: [a, b]}", "{type: string, enum: [a]}"),
    ("{type: string}", "{type: string, default: a}"),
    ("{type: string, default: a}", "{type: string}"),
    ("{type: string, default: a}", "{type: string, default: b}"),
    ("{type: string}", "{type: integer}"),
    ("{type: integer}", "{type: number}"),
    ("{type: number}", "{type: integer}"),
    ("{type: integer, format: int32}", "{type: integer, format: int64}"),
    ("{type: integer, format: int64}", "{type: integer, format: int32}"),
    ("{type: string}", "{type: string, nullable: true}"),
    ("{type: string, nullable: true}", "{type: string}"),
    ("{type: string}", "{anyOf: [{type: string}, {type: integer}]}"),
    ("{anyOf: [{type: string}, {type: integer}]}", "{type: string}"),
    ("{oneOf: [{type: string}, {type: integer}]}", "{oneOf: [{type: string}, {type: integer}, {type: boolean}]}"),
    ("{oneOf: [{type: string}, {type: integer}, {type: boolean}]}", "{oneOf: [{type: string}, {type: integer}]}"),
    (
        "{anyOf: [{type: object, properties: {a: {type: string}}}]}",
        "{anyOf: [{type: object, properties: {a: {type: string}}}, {type: object, properties: {b: {type: integer}}}]}",
    ),
    (
        "{type: object, properties: {a: {type: string}}}",
        "{oneOf: [{type: object, properties: {a: {type: string}}}, {type: string}]}",
    ),
    ("{type: string}", "{type: string, deprecated: true}"),
    ("{type: string, deprecated: true}", "{type: string}"),
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

/// Edits a place may leave unreported, and why.
fn silent(place: Place, old: &str, new: &str) -> bool {
    let deprecation = old.contains("deprecated") || new.contains("deprecated");
    match place {
        // The generated clients do not read header values: only type and nullability count.
        Place::ResponseHeader => {
            let nullable = old.contains("nullable") != new.contains("nullable");
            let format = old.contains("format") || new.contains("format");
            !nullable && !format && top_type(old) == top_type(new)
        }
        // Deprecating a schema reaches a client as a deprecated property; a whole body or
        // parameter is deprecated on the parameter or operation instead.
        Place::Parameter | Place::RequestBody | Place::ResponseBody => deprecation,
        Place::RequestProperty | Place::ResponseProperty => false,
    }
}

/// The `type` of a schema written as `{type: T, ...}`; `None` for a composition.
fn top_type(schema: &str) -> Option<&str> {
    let rest = schema.strip_prefix("{type: ")?;
    rest.split([',', '}']).next()
}

#[test]
fn every_schema_edit_in_every_place_is_reported_under_a_rule_of_the_table() {
    let mut checked = 0;
    for place in PLACES {
        for (old, new) in EDITS {
            let report = compare(place, old, new);
            for c in &report.changes {
                assert_ne!(
                    c.rule, "unclassified-schema-change",
                    "{place:?} {old} -> {new}: {}",
                    c.message
                );
            }
            if !silent(place, old, new) {
                assert!(
                    !report.changes.is_empty(),
                    "{place:?} {old} -> {new}: nothing reported"
                );
                checked += 1;
            }
        }
    }
    assert!(
        checked > 200,
        "only {checked} edits were expected to report"
    );
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
