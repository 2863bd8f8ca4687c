//! Drift rules: pairs of small specs, one per rule, and pairs that must not differ.

use purchase_spec::drift::{compare_texts, DriftReport, Level, Semver, Side};

const BASE: &str = r#"
openapi: 3.0.3
info: {title: T, version: '1'}
servers: [{url: 'https://api.example.com'}]
security: [{bearer: []}]
paths:
  /purchases:
    get:
      operationId: list
      parameters:
        - {name: limit, in: query, schema: {type: integer, maximum: 50}}
        - {name: status, in: query, schema: {type: string, enum: [paid, refunded]}}
      responses:
        '200':
          description: ok
          headers:
            X-Rate-Limit: {required: true, schema: {type: integer}}
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/Page'
  /purchases/{id}:
    get:
      operationId: get
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Purchase'}
    post:
      operationId: update
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [note]
              properties:
                note: {type: string, maxLength: 200}
                kind: {type: string, enum: [a, b]}
      responses:
        '200': {description: ok}
components:
  securitySchemes:
    bearer: {type: http, scheme: bearer}
  schemas:
    Page:
      type: object
      required: [purchases]
      properties:
        purchases: {type: array, items: {$ref: '#/components/schemas/Purchase'}}
    Purchase:
      type: object
      required: [id, total, status]
      properties:
        id: {type: integer}
        total: {type: number, format: float}
        status: {type: string, enum: [paid, refunded]}
        email: {type: string}
        code: {type: string, maxLength: 8}
        items: {type: array, minItems: 1, items: {type: string}}
"#;

fn drift(edit: impl Fn(&str) -> String) -> DriftReport {
    let new = edit(BASE);
    assert_ne!(new, BASE, "the edit changed nothing");
    let report = compare_texts("old.yaml", BASE, "new.yaml", &new).unwrap();
    assert_pointers_resolve(&report, &new);
    report
}

/// Every pointer is a valid RFC 6901 pointer into the document it names.
fn assert_pointers_resolve(report: &DriftReport, new: &str) {
    let old = purchase_spec::normalize("old", BASE, None).unwrap();
    let new = purchase_spec::normalize("new", new, None).unwrap();
    for c in &report.changes {
        let doc = match c.document {
            Side::New => &new,
            Side::Old => &old,
        };
        assert!(
            doc.pointer(&c.pointer).is_some(),
            "{} points nowhere in the {:?} document: {}",
            c.rule,
            c.document,
            c.pointer
        );
    }
}

fn rules(r: &DriftReport) -> Vec<(&'static str, Level)> {
    r.changes.iter().map(|c| (c.rule, c.level)).collect()
}

fn assert_only(r: &DriftReport, rule: &str, level: Level) {
    assert_eq!(rules(r), vec![(rule_id(rule), level)], "{}", r.to_text());
}

fn rule_id(rule: &str) -> &'static str {
    purchase_spec::drift::rules::find(rule)
        .unwrap_or_else(|| panic!("no rule {rule}"))
        .id
}

/// One edit of BASE per rule: the rule it must give first, and the level.
#[allow(clippy::type_complexity)]
const PAIRS: &[(&str, Level, &[(&str, &str)])] = &[
    ("api-removed-without-deprecation", Level::Breaking, &[("    post:\n      operationId: update", "    x-post:\n      operationId: update")]),
    ("endpoint-added", Level::Info, &[("  /purchases/{id}:\n", "  /refunds:\n    get:\n      operationId: refunds\n      responses:\n        '200': {description: ok}\n  /purchases/{id}:\n")]),
    ("new-required-request-parameter", Level::Breaking, &[("        - {name: id, in: path, required: true, schema: {type: string}}\n      responses:\n        '200':\n          description: ok\n          content", "        - {name: id, in: path, required: true, schema: {type: string}}\n        - {name: fields, in: query, required: true, schema: {type: string}}\n      responses:\n        '200':\n          description: ok\n          content")]),
    ("new-optional-request-parameter", Level::Info, &[("        - {name: id, in: path, required: true, schema: {type: string}}\n      responses:\n        '200':\n          description: ok\n          content", "        - {name: id, in: path, required: true, schema: {type: string}}\n        - {name: fields, in: query, schema: {type: string}}\n      responses:\n        '200':\n          description: ok\n          content")]),
    ("request-parameter-removed", Level::Warning, &[("        - {name: status, in: query, schema: {type: string, enum: [paid, refunded]}}\n", "")]),
    ("request-parameter-became-required", Level::Breaking, &[("{name: status, in: query, schema:", "{name: status, in: query, required: true, schema:")]),
    ("request-parameter-type-changed", Level::Breaking, &[("{name: limit, in: query, schema: {type: integer, maximum: 50}}", "{name: limit, in: query, schema: {type: string, maximum: 50}}")]),
    ("request-parameter-type-generalized", Level::Info, &[("{name: limit, in: query, schema: {type: integer, maximum: 50}}", "{name: limit, in: query, schema: {type: number, maximum: 50}}")]),
    ("request-parameter-max-decreased", Level::Breaking, &[("maximum: 50}", "maximum: 20}")]),
    ("request-parameter-max-increased", Level::Info, &[("maximum: 50}", "maximum: 100}")]),
    ("request-parameter-min-set", Level::Warning, &[("maximum: 50}", "maximum: 50, minimum: 1}")]),
    ("request-parameter-default-value-added", Level::Warning, &[("maximum: 50}", "maximum: 50, default: 10}")]),
    ("request-parameter-pattern-added", Level::Breaking, &[("{name: id, in: path, required: true, schema: {type: string}}\n      responses:\n        '200':\n          description: ok\n          content", "{name: id, in: path, required: true, schema: {type: string, pattern: '^p'}}\n      responses:\n        '200':\n          description: ok\n          content")]),
    ("request-parameter-became-enum", Level::Breaking, &[("{name: id, in: path, required: true, schema: {type: string}}\n      responses:\n        '200':\n          description: ok\n          content", "{name: id, in: path, required: true, schema: {type: string, enum: [a]}}\n      responses:\n        '200':\n          description: ok\n          content")]),
    ("request-parameter-enum-value-removed", Level::Breaking, &[("{name: status, in: query, schema: {type: string, enum: [paid, refunded]}}", "{name: status, in: query, schema: {type: string, enum: [paid]}}")]),
    ("request-parameter-enum-value-added", Level::Info, &[("{name: status, in: query, schema: {type: string, enum: [paid, refunded]}}", "{name: status, in: query, schema: {type: string, enum: [paid, refunded, disputed]}}")]),
    ("request-parameter-deprecated", Level::Warning, &[("{name: status, in: query, schema:", "{name: status, in: query, deprecated: true, schema:")]),
    ("new-required-request-property", Level::Breaking, &[("              required: [note]\n              properties:\n", "              required: [note, reason]\n              properties:\n                reason: {type: string}\n")]),
    ("new-optional-request-property", Level::Info, &[("              properties:\n                note:", "              properties:\n                reason: {type: string}\n                note:")]),
    ("request-property-removed", Level::Warning, &[("                kind: {type: string, enum: [a, b]}\n", "")]),
    ("request-property-became-required", Level::Breaking, &[("              required: [note]", "              required: [note, kind]")]),
    ("request-property-max-length-decreased", Level::Breaking, &[("note: {type: string, maxLength: 200}", "note: {type: string, maxLength: 100}")]),
    ("request-property-enum-value-removed", Level::Breaking, &[("kind: {type: string, enum: [a, b]}", "kind: {type: string, enum: [a]}")]),
    ("request-body-became-optional", Level::Info, &[("      requestBody:\n        required: true", "      requestBody:\n        required: false")]),
    ("request-body-media-type-removed", Level::Breaking, &[("      requestBody:\n        required: true\n        content:\n          application/json:", "      requestBody:\n        required: true\n        content:\n          application/xml:")]),
    ("response-required-property-removed", Level::Breaking, &[("        total: {type: number, format: float}\n", "")]),
    ("response-optional-property-removed", Level::Warning, &[("        email: {type: string}\n", "")]),
    ("response-property-became-optional", Level::Breaking, &[("      required: [id, total, status]", "      required: [id, status]")]),
    ("response-property-became-required", Level::Info, &[("      required: [id, total, status]", "      required: [id, total, status, email]")]),
    ("response-property-became-nullable", Level::Breaking, &[("email: {type: string}", "email: {type: string, nullable: true}")]),
    ("response-optional-property-added", Level::Info, &[("        email: {type: string}\n", "        email: {type: string}\n        refunded_at: {type: string}\n")]),
    ("response-property-type-changed", Level::Breaking, &[("id: {type: integer}", "id: {type: string}")]),
    ("response-property-type-generalized", Level::Breaking, &[("id: {type: integer}", "id: {type: number}")]),
    ("response-property-amount-form-changed", Level::Info, &[("total: {type: number, format: float}", "total: {type: string, format: decimal}")]),
    ("response-property-type-specialized", Level::Info, &[("total: {type: number, format: float}", "total: {type: integer, format: float}")]),
    ("response-property-type-generalized", Level::Breaking, &[("total: {type: number, format: float}", "total: {type: number, format: double}")]),
    ("response-property-enum-value-added", Level::Info, &[("status: {type: string, enum: [paid, refunded]}\n        email", "status: {type: string, enum: [paid, refunded, disputed]}\n        email")]),
    ("response-property-enum-value-removed", Level::Info, &[("status: {type: string, enum: [paid, refunded]}\n        email", "status: {type: string, enum: [paid]}\n        email")]),
    ("response-property-became-enum", Level::Info, &[("email: {type: string}", "email: {type: string, enum: [a@b.c]}")]),
    ("response-property-max-length-increased", Level::Breaking, &[("code: {type: string, maxLength: 8}", "code: {type: string, maxLength: 16}")]),
    ("response-property-max-length-unset", Level::Breaking, &[("code: {type: string, maxLength: 8}", "code: {type: string}")]),
    ("response-property-min-items-decreased", Level::Breaking, &[("items: {type: array, minItems: 1,", "items: {type: array, minItems: 0,")]),
    ("response-property-list-of-types-widened", Level::Breaking, &[("email: {type: string}", "email: {anyOf: [{type: string}, {type: integer}]}")]),
    ("response-property-deprecated", Level::Warning, &[("email: {type: string}", "email: {type: string, deprecated: true}")]),
    ("response-success-status-removed", Level::Breaking, &[("      responses:\n        '200': {description: ok}\ncomponents", "      responses:\n        '204': {description: ok}\ncomponents")]),
    ("response-non-success-status-added", Level::Info, &[("      responses:\n        '200': {description: ok}\ncomponents", "      responses:\n        '200': {description: ok}\n        '404': {description: missing}\ncomponents")]),
    ("response-media-type-added", Level::Info, &[("              schema: {$ref: '#/components/schemas/Purchase'}", "              schema: {$ref: '#/components/schemas/Purchase'}\n            text/csv: {schema: {type: string}}")]),
    ("required-response-header-removed", Level::Breaking, &[("          headers:\n            X-Rate-Limit: {required: true, schema: {type: integer}}\n", "")]),
    ("response-header-became-optional", Level::Breaking, &[("X-Rate-Limit: {required: true,", "X-Rate-Limit: {required: false,")]),
    ("response-header-added", Level::Info, &[("            X-Rate-Limit: {required: true, schema: {type: integer}}\n", "            X-Rate-Limit: {required: true, schema: {type: integer}}\n            X-Request-Id: {schema: {type: string}}\n")]),
    ("api-security-component-scheme-changed", Level::Breaking, &[("bearer: {type: http, scheme: bearer}", "bearer: {type: http, scheme: basic}")]),
    ("api-security-component-bearer-format-changed", Level::Info, &[("bearer: {type: http, scheme: bearer}", "bearer: {type: http, scheme: bearer, bearerFormat: JWT}")]),
    ("api-security-component-type-changed", Level::Breaking, &[("bearer: {type: http, scheme: bearer}", "bearer: {type: apiKey, in: header, name: X-Key}")]),
    ("api-security-scope-added", Level::Breaking, &[("security: [{bearer: []}]", "security: [{bearer: [read]}]")]),
    ("api-security-added", Level::Info, &[("security: [{bearer: []}]", "security: [{bearer: []}, {key: []}]")]),
    ("server-url-removed", Level::Warning, &[("servers: [{url: 'https://api.example.com'}]", "servers: [{url: 'https://api2.example.com'}]")]),
    ("endpoint-deprecated", Level::Warning, &[("      operationId: update\n", "      operationId: update\n      deprecated: true\n")]),
    ("endpoint-deprecated-with-sunset", Level::Warning, &[("      operationId: update\n", "      operationId: update\n      deprecated: true\n      x-sunset: '2030-01-01'\n")]),
    ("api-operation-id-removed", Level::Info, &[("      operationId: update\n", "      operationId: update_purchase\n")]),
    ("documentation-changed", Level::Info, &[("      operationId: update\n", "      operationId: update\n      description: Updates a purchase.\n")]),
];

#[test]
fn each_rule_is_given_by_its_edit_alone_with_its_level() {
    for (rule, level, edits) in PAIRS {
        let r = drift(|base| {
            let mut s = base.to_string();
            for (from, to) in *edits {
                assert!(s.contains(from), "{rule}: {from:?} not in BASE");
                s = s.replacen(from, to, 1);
            }
            s
        });
        // The rule is reported at its level; anything else it brings along is info.
        let found = r.changes.iter().find(|c| c.rule == rule_id(rule));
        let found = found.map(|c| (c.rule, c.level));
        assert_eq!(found, Some((rule_id(rule), *level)), "{}", r.to_text());
        assert!(
            r.changes
                .iter()
                .filter(|c| c.rule != rule_id(rule))
                .all(|c| c.level == Level::Info && c.level <= *level),
            "{rule}: {}",
            r.to_text()
        );
    }
}

#[test]
fn an_amount_written_the_other_way_is_not_a_type_change_for_this_crate() {
    let with = |note: &str| BASE.replace("note: {type: string, maxLength: 200}", note);
    let (old, new) = (
        with("note: {type: number}"),
        with("note: {type: string, format: decimal}"),
    );
    let r = compare_texts("old.yaml", &old, "new.yaml", &new).unwrap();
    assert_eq!(
        rules(&r),
        vec![("request-property-amount-form-changed", Level::Warning)],
        "{}",
        r.to_text()
    );
    assert_eq!(r.crate_release(), Semver::Patch);
    // Without the decimal format, a string is another type.
    let plain = with("note: {type: string}");
    let r = compare_texts("old.yaml", &old, "new.yaml", &plain).unwrap();
    assert_eq!(
        rules(&r)[0],
        ("request-property-type-changed", Level::Breaking)
    );
}

#[test]
fn a_removed_media_type_and_a_changed_pattern_are_reported() {
    let with_csv = BASE.replace(
        "              schema: {$ref: '#/components/schemas/Purchase'}",
        "              schema: {$ref: '#/components/schemas/Purchase'}\n            text/csv: {schema: {type: string}}",
    );
    let r = compare_texts("a", &with_csv, "b", BASE).unwrap();
    assert_only(&r, "response-media-type-removed", Level::Breaking);
    assert_eq!(r.changes[0].document, Side::Old);
    let a = BASE.replace(
        "code: {type: string, maxLength: 8}",
        "code: {type: string, pattern: '^[A-Z]+$'}",
    );
    let b = BASE.replace(
        "code: {type: string, maxLength: 8}",
        "code: {type: string, pattern: '^[A-Z0-9]+$'}",
    );
    let r = compare_texts("a", &a, "b", &b).unwrap();
    assert_only(&r, "response-property-pattern-changed", Level::Breaking);
}

#[test]
fn removals_respect_deprecation_and_sunset() {
    let deprecated = |sunset: &str| {
        BASE.replace(
            "      operationId: update\n",
            &format!("      operationId: update\n      deprecated: true\n{sunset}"),
        )
    };
    let removed = BASE.replace(
        "    post:\n      operationId: update",
        "    x-post:\n      operationId: update",
    );
    for (old, rule, level) in [
        (
            deprecated(""),
            "api-removed-with-deprecation",
            Level::Warning,
        ),
        (
            deprecated("      x-sunset: '2020-01-01'\n"),
            "api-removed-with-deprecation",
            Level::Warning,
        ),
        (
            deprecated("      x-sunset: '2999-01-01'\n"),
            "api-removed-before-sunset",
            Level::Breaking,
        ),
    ] {
        let r = compare_texts("a", &old, "b", &removed).unwrap();
        assert_only(&r, rule, level);
    }
    let no_path = BASE.replace("  /purchases/{id}:", "  /gone/{id}:");
    let r = compare_texts("a", BASE, "b", &no_path).unwrap();
    assert!(
        rules(&r).contains(&("api-path-removed-without-deprecation", Level::Breaking)),
        "{}",
        r.to_text()
    );
    // Reactivation.
    let r = compare_texts("a", &deprecated(""), "b", BASE).unwrap();
    assert_only(&r, "endpoint-reactivated", Level::Info);
}

// The false alarms of the first version, as regression tests.

#[test]
fn an_object_split_into_an_all_of_of_two_halves_is_no_change() {
    let split = BASE.replace(
        "    Purchase:\n      type: object\n      required: [id, total, status]\n      properties:\n        id: {type: integer}\n        total: {type: number, format: float}\n",
        "    Purchase:\n      allOf:\n        - type: object\n          required: [id, total]\n          properties:\n            id: {type: integer}\n            total: {type: number, format: float}\n        - $ref: '#/components/schemas/PurchaseRest'\n    PurchaseRest:\n      required: [status]\n      properties:\n",
    );
    assert_ne!(split, BASE);
    let r = compare_texts("a", BASE, "b", &split).unwrap();
    assert!(r.changes.is_empty(), "{}", r.to_text());
}

#[test]
fn all_of_parts_that_contradict_each_other_are_reported_not_guessed() {
    let conflicting = BASE.replace(
        "    Page:\n      type: object\n",
        "    Page:\n      allOf:\n        - {properties: {purchases: {type: string}}}\n      type: object\n",
    );
    let r = compare_texts("a", BASE, "b", &conflicting).unwrap();
    assert!(
        rules(&r).contains(&("schema-all-of-conflict", Level::Warning)),
        "{}",
        r.to_text()
    );
}

#[test]
fn query_parameter_names_are_kept_as_written_and_a_case_rename_is_reported() {
    let renamed = BASE.replace("{name: limit, in: query", "{name: Limit, in: query");
    let r = drift(|_| renamed.clone());
    let got = rules(&r);
    assert!(
        got.contains(&("request-parameter-removed", Level::Warning)),
        "{got:?}"
    );
    assert!(
        got.contains(&("new-optional-request-parameter", Level::Info)),
        "{got:?}"
    );
    assert!(r
        .changes
        .iter()
        .any(|c| c.message.contains("query parameter limit")));
    assert!(r
        .changes
        .iter()
        .any(|c| c.message.contains("query parameter Limit")));
    // Pointers index the parameters array, as written.
    assert!(
        r.changes
            .iter()
            .all(|c| c.pointer.ends_with("/parameters/0")),
        "{}",
        r.to_text()
    );
}

#[test]
fn header_parameter_names_are_case_insensitive() {
    let a = BASE.replace("{name: limit, in: query", "{name: X-Limit, in: header");
    let b = BASE.replace("{name: limit, in: query", "{name: x-limit, in: header");
    let r = compare_texts("a", &a, "b", &b).unwrap();
    assert!(r.changes.is_empty(), "{}", r.to_text());
}

#[test]
fn documentation_never_rises_above_info() {
    let r = drift(|b| {
        b.replace(
            "          description: ok\n          headers",
            "          description: the page\n          headers",
        )
        .replace(
            "email: {type: string}",
            "email: {type: string, description: who, example: a@b.c}",
        )
        .replace(
            "bearer: {type: http, scheme: bearer}",
            "bearer: {type: http, scheme: bearer, bearerFormat: opaque, description: token}",
        )
    });
    assert!(!r.changes.is_empty());
    assert!(
        r.changes.iter().all(|c| c.level == Level::Info),
        "{}",
        r.to_text()
    );
    assert!(
        r.changes.iter().all(|c| c.semver == Semver::Patch),
        "{}",
        r.to_text()
    );
}

#[test]
fn every_finding_carries_the_crates_semver_impact_and_the_summary_the_largest() {
    let r = drift(|b| {
        b.replace(
            "        email: {type: string}\n",
            "        email: {type: string}\n        refunded_at: {type: string}\n",
        )
    });
    assert_eq!(r.changes[0].semver, Semver::Minor);
    assert_eq!(r.crate_release(), Semver::Minor);
    assert!(r.to_text().ends_with("crate: minor\n"), "{}", r.to_text());
    let r = drift(|b| b.replace("id: {type: integer}", "id: {type: string}"));
    assert_eq!(r.crate_release(), Semver::Major);
    let r = drift(|b| {
        b.replace(
            "bearer: {type: http, scheme: bearer}",
            "bearer: {type: http, scheme: bearer, bearerFormat: JWT}",
        )
    });
    assert_eq!(r.crate_release(), Semver::Patch);
}

#[test]
fn a_schema_shared_by_operations_is_reported_once_naming_them_all() {
    let r = drift(|b| b.replace("id: {type: integer}", "id: {type: string}"));
    assert_eq!(r.changes.len(), 1, "{}", r.to_text());
    let c = &r.changes[0];
    assert_eq!(c.pointer, "/components/schemas/Purchase/properties/id");
    assert_eq!(c.operations, ["GET /purchases", "GET /purchases/{id}"]);
}

#[test]
fn renaming_a_path_parameter_is_not_a_removed_operation() {
    let renamed = BASE
        .replace("/purchases/{id}", "/purchases/{purchase_id}")
        .replace("{name: id, in: path", "{name: purchase_id, in: path");
    let r = compare_texts("a", BASE, "b", &renamed).unwrap();
    assert!(
        r.changes.iter().all(|c| c.level == Level::Info),
        "{}",
        r.to_text()
    );
}

#[test]
fn a_3_1_rewrite_of_the_same_api_is_not_a_change() {
    let nullable_30 = BASE.replace(
        "email: {type: string}",
        "email: {type: string, nullable: true}",
    );
    let nullable_31 = BASE
        .replace("openapi: 3.0.3", "openapi: 3.1.0")
        .replace("email: {type: string}", "email: {type: [string, 'null']}");
    let r = compare_texts("a", &nullable_30, "b", &nullable_31).unwrap();
    assert!(r.changes.is_empty(), "{}", r.to_text());
}

#[test]
fn the_real_specs_compared_with_themselves_have_no_changes() {
    for p in ["cocalc", "subtotal", "togai", "kit"] {
        let text = std::fs::read_to_string(format!(
            "{}/specs/{p}.yaml",
            env!("PURCHASE_CLIENTS_CHECKOUT")
        ))
        .unwrap();
        let r = compare_texts(p, &text, p, &text).unwrap();
        assert!(r.changes.is_empty(), "{p}: {}", r.to_text());
    }
}

#[test]
fn a_realistic_kit_edit_gives_exactly_the_expected_report() {
    let kit = std::fs::read_to_string(format!(
        "{}/specs/kit.yaml",
        env!("PURCHASE_CLIENTS_CHECKOUT")
    ))
    .unwrap();
    let edited = kit
        // remove `total` from the response
        .replacen("                        total:\n                          type: number\n                          format: float\n", "", 1)
        .replacen("                        - total\n", "", 1)
        // add a required query parameter
        .replacen("      parameters:\n", "      parameters:\n        - name: account_id\n          in: query\n          required: true\n          schema:\n            type: string\n", 1)
        // add an optional response field
        .replacen("                        currency:\n", "                        refunded_at:\n                          type: string\n                        currency:\n", 1);
    let r = compare_texts("kit.yaml", &kit, "kit-new.yaml", &edited).unwrap();
    let got: Vec<(&str, Level, &str)> = r
        .changes
        .iter()
        .map(|c| (c.rule, c.level, c.pointer.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("new-required-request-parameter", Level::Breaking, "/paths/~1v4~1purchases/get/parameters/0"),
            ("response-required-property-removed", Level::Breaking, "/paths/~1v4~1purchases/get/responses/200/content/application~1json/schema/properties/purchases/items/properties/total"),
            ("response-optional-property-added", Level::Info, "/paths/~1v4~1purchases/get/responses/200/content/application~1json/schema/properties/purchases/items/properties/refunded_at"),
        ],
        "{}",
        r.to_text()
    );
    assert!(r.changes.iter().all(|c| c.operation == "GET /v4/purchases"));
    let md = r.to_markdown();
    assert!(
        md.contains("2 breaking, 0 warning, 1 info; crate: **major**"),
        "{md}"
    );
}

#[test]
fn the_rules_table_has_unique_ids_and_reasons_and_the_docs_list_them_all() {
    let all = purchase_spec::drift::rules::RULES;
    let ids: std::collections::BTreeSet<&str> = all.iter().map(|r| r.id).collect();
    assert_eq!(ids.len(), all.len());
    assert!(all.iter().all(|r| !r.reason.is_empty()));
    let docs = std::fs::read_to_string(format!(
        "{}/docs/drift-rules.md",
        env!("PURCHASE_CLIENTS_CHECKOUT")
    ))
    .unwrap();
    let table = purchase_spec::drift::rules_markdown();
    assert!(
        docs.contains(&table),
        "docs/drift-rules.md is stale: regenerate it with `purchases drift --rules`"
    );
}

/// An OpenAPI 3.1 document whose response schema uses keywords 3.0 has no equivalent for.
const WITH_31_KEYWORDS: &str = r#"
openapi: 3.1.0
info: {title: T, version: '1'}
paths:
  /purchases:
    get:
      operationId: list
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema:
                type: object
                properties:
                  tags: {type: array, items: {type: string}, contains: {const: paid}}
                  total: {type: [number, 'null']}
                patternProperties: {'^x-': {type: string}}
components:
  pathItems:
    Reused: {get: {responses: {'200': {description: ok}}}}
"#;

#[test]
fn a_31_document_with_keywords_30_cannot_say_is_compared_not_refused() {
    // The generator still refuses it (it cannot generate what 3.0 cannot say)...
    assert!(purchase_spec::normalize("a.yaml", WITH_31_KEYWORDS, None).is_err());
    // ...drift compares it: against itself, nothing.
    let same = compare_texts("a.yaml", WITH_31_KEYWORDS, "b.yaml", WITH_31_KEYWORDS).unwrap();
    assert!(same.changes.is_empty(), "{:?}", same.changes);
    // A change inside a schema-holding 3.1 keyword is compared and named where it is.
    let changed =
        WITH_31_KEYWORDS.replace("contains: {const: paid}", "contains: {const: refunded}");
    let report = compare_texts("a.yaml", WITH_31_KEYWORDS, "b.yaml", &changed).unwrap();
    let found: Vec<_> = report
        .changes
        .iter()
        .map(|c| (c.rule, c.pointer.as_str()))
        .collect();
    assert_eq!(
        found,
        [(
            "response-property-const-changed",
            "/paths/~1purchases/get/responses/200/content/application~1json/schema/properties/tags/contains"
        )],
        "{:?}",
        report.changes
    );
    // A change to a keyword no rule models is reported with its pointer, never dropped.
    let changed = WITH_31_KEYWORDS.replace(
        "patternProperties: {'^x-': {type: string}}",
        "patternProperties: {'^x-': {type: string}, '^y-': {type: integer}}",
    );
    let report = compare_texts("a.yaml", WITH_31_KEYWORDS, "b.yaml", &changed).unwrap();
    let found: Vec<_> = report
        .changes
        .iter()
        .map(|c| (c.rule, c.pointer.as_str()))
        .collect();
    assert_eq!(
        found,
        [(
            "unclassified-schema-change",
            "/paths/~1purchases/get/responses/200/content/application~1json/schema"
        )],
        "{:?}",
        report.changes
    );
    assert!(
        report.changes[0]
            .message
            .contains("`patternProperties` changed"),
        "{}",
        report.changes[0].message
    );
    // A 3.1 keyword added or removed has oasdiff's id and level.
    let removed = WITH_31_KEYWORDS.replace("patternProperties: {'^x-': {type: string}}", "");
    let report = compare_texts("a.yaml", WITH_31_KEYWORDS, "b.yaml", &removed).unwrap();
    assert_eq!(
        rules(&report),
        [("response-body-pattern-property-removed", Level::Breaking)],
        "{:?}",
        report.changes
    );
    let dropped = WITH_31_KEYWORDS.replace(", contains: {const: paid}", "");
    let report = compare_texts("a.yaml", WITH_31_KEYWORDS, "b.yaml", &dropped).unwrap();
    let rules: Vec<_> = report.changes.iter().map(|c| c.rule).collect();
    assert_eq!(
        rules,
        ["response-property-contains-removed"],
        "{:?}",
        report.changes
    );
}

#[test]
fn webhooks_are_compared_and_reported_never_dropped() {
    let with = |hooks: &str| {
        format!("openapi: 3.1.0\ninfo: {{title: T, version: '1'}}\npaths: {{}}\nwebhooks:\n{hooks}")
    };
    let old = with("  paid: {post: {responses: {'200': {description: ok}}}}\n  refunded: {post: {responses: {'200': {description: ok}}}}\n");
    let new = with("  paid: {post: {responses: {'204': {description: ok}}}}\n  created: {post: {responses: {'200': {description: ok}}}}\n");
    let report = compare_texts("a.yaml", &old, "b.yaml", &new).unwrap();
    let rules: Vec<_> = report
        .changes
        .iter()
        .map(|c| (c.rule, c.pointer.as_str(), c.level))
        .collect();
    assert_eq!(
        rules,
        [
            ("webhook-added", "/webhooks/created", Level::Info),
            ("webhook-changed", "/webhooks/paid", Level::Info),
            ("webhook-removed", "/webhooks/refunded", Level::Info),
        ],
        "{:?}",
        report.changes
    );
    assert!(compare_texts("a.yaml", &old, "b.yaml", &old)
        .unwrap()
        .changes
        .is_empty());
}

/// A spec split across files: `openapi.yaml` refers to `schemas/pet.yaml`, which refers to
/// itself (a recursive schema) and to a sibling file.
fn split_spec(dir: &std::path::Path, pet_properties: &str) {
    std::fs::create_dir_all(dir.join("schemas")).unwrap();
    let main = "openapi: 3.0.3\ninfo: {title: T, version: '1'}\npaths:\n  /pets:\n    get:\n      operationId: list\n      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema: {$ref: 'schemas/pet.yaml#/Pet'}\n";
    std::fs::write(dir.join("openapi.yaml"), main).unwrap();
    let pet = format!(
        "Pet:\n  type: object\n  required: [id]\n  properties:\n{pet_properties}    parent: {{$ref: '#/Pet'}}\n    owner: {{$ref: 'owner.yaml'}}\n"
    );
    std::fs::write(dir.join("schemas/pet.yaml"), pet).unwrap();
    std::fs::write(
        dir.join("schemas/owner.yaml"),
        "type: object\nproperties:\n  name: {type: string}\n",
    )
    .unwrap();
}

#[test]
fn references_to_other_files_are_followed_from_files_and_reported_from_texts() {
    use purchase_spec::drift::{compare_sources, Source};
    let root = std::env::temp_dir().join(format!("drift-split-{}", std::process::id()));
    let (old_dir, new_dir) = (root.join("old"), root.join("new"));
    split_spec(
        &old_dir,
        "    id: {type: string}\n    tag: {type: string}\n",
    );
    split_spec(&new_dir, "    id: {type: string}\n");
    let read = |d: &std::path::Path| std::fs::read_to_string(d.join("openapi.yaml")).unwrap();
    let (old_text, new_text) = (read(&old_dir), read(&new_dir));
    // The two main documents are the same text: only the referenced file differs.
    assert_eq!(old_text, new_text);
    let (old_file, new_file) = (old_dir.join("openapi.yaml"), new_dir.join("openapi.yaml"));
    let source = |text, file| Source {
        name: "openapi.yaml",
        text,
        file: Some(file),
    };
    let report = compare_sources(source(&old_text, &old_file), source(&new_text, &new_file));
    let report = report.unwrap();
    // The property removed in the other file is seen, and only that: the recursive
    // reference is followed too (placed once in the document and referred to there).
    assert_eq!(
        rules(&report),
        [("response-optional-property-removed", Level::Warning)],
        "{}",
        report.to_text()
    );
    // From texts alone nothing behind the reference can be read: said, not silent.
    let report = compare_texts("a.yaml", &old_text, "b.yaml", &new_text).unwrap();
    assert_eq!(
        rules(&report),
        [("external-ref-not-followed", Level::Warning)],
        "{}",
        report.to_text()
    );
    assert!(report.changes[0].message.contains("schemas/pet.yaml#/Pet"));
    std::fs::remove_dir_all(&root).unwrap();
}
