//! Drift rules: pairs of small specs, one per rule, and pairs that must not differ.

use purchase_spec::drift::{compare_texts, DriftReport, Level};

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
                note: {type: string}
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
"#;

fn drift(edit: impl Fn(&str) -> String) -> DriftReport {
    let new = edit(BASE);
    assert_ne!(new, BASE, "the edit changed nothing");
    compare_texts("old.yaml", BASE, "new.yaml", &new).unwrap()
}

fn rules(r: &DriftReport) -> Vec<(&'static str, Level)> {
    r.changes.iter().map(|c| (c.rule, c.level)).collect()
}

fn assert_only(r: &DriftReport, rule: &str, level: Level) {
    assert!(
        !r.changes.is_empty() && r.changes.iter().all(|c| c.rule == rule && c.level == level),
        "expected only {rule} ({level}), got {:#?}",
        r.changes
    );
}

#[test]
fn operation_removed() {
    let r = drift(|s| {
        s.replace(
            "    post:\n      operationId: update",
            "    x-post:\n      operationId: update",
        )
    });
    assert_only(&r, "operation-removed", Level::Breaking);
    assert_eq!(r.changes[0].operation, "POST /purchases/{id}");
}

#[test]
fn path_removed() {
    let r = drift(|s| s.replace("  /purchases:\n", "  /orders:\n"));
    assert!(
        rules(&r).contains(&("path-removed", Level::Breaking)),
        "{r:#?}"
    );
    assert!(
        rules(&r).contains(&("operation-added", Level::Info)),
        "{r:#?}"
    );
}

#[test]
fn operation_added() {
    let r = drift(|s| {
        s.replace(
            "components:\n",
            "  /refunds:\n    get:\n      responses: {'200': {description: ok}}\ncomponents:\n",
        )
    });
    assert_only(&r, "operation-added", Level::Info);
}

#[test]
fn required_parameter_added() {
    let r = drift(|s| {
        s.replace("        - {name: limit,", "        - {name: account, in: query, required: true, schema: {type: string}}\n        - {name: limit,")
    });
    assert_only(&r, "required-parameter-added", Level::Breaking);
}

#[test]
fn optional_parameter_added() {
    let r = drift(|s| {
        s.replace(
            "        - {name: limit,",
            "        - {name: after, in: query, schema: {type: string}}\n        - {name: limit,",
        )
    });
    assert_only(&r, "optional-parameter-added", Level::Info);
}

#[test]
fn parameter_removed() {
    let r = drift(|s| {
        s.replace(
            "        - {name: limit, in: query, schema: {type: integer, maximum: 50}}\n",
            "",
        )
    });
    assert_only(&r, "parameter-removed", Level::Breaking);
}

#[test]
fn parameter_became_required() {
    let r = drift(|s| {
        s.replace(
            "{name: limit, in: query,",
            "{name: limit, in: query, required: true,",
        )
    });
    assert_only(&r, "parameter-became-required", Level::Breaking);
}

#[test]
fn parameter_type_changed() {
    let r = drift(|s| {
        s.replace(
            "{name: limit, in: query, schema: {type: integer",
            "{name: limit, in: query, schema: {type: string",
        )
    });
    assert_only(&r, "request-type-changed", Level::Breaking);
}

#[test]
fn property_format_changed() {
    let r = drift(|s| {
        s.replace(
            "total: {type: number, format: float}",
            "total: {type: number, format: double}",
        )
    });
    assert_only(&r, "response-format-changed", Level::Breaking);
}

#[test]
fn response_property_type_changed() {
    let r = drift(|s| {
        s.replace(
            "total: {type: number, format: float}",
            "total: {type: string, format: float}",
        )
    });
    assert_only(&r, "response-type-changed", Level::Breaking);
}

#[test]
fn request_property_required_added() {
    let r = drift(|s| {
        s.replace(
            "                note: {type: string}\n",
            "                note: {type: string}\n                reason: {type: string}\n",
        )
        .replace("required: [note]", "required: [note, reason]")
    });
    assert_only(&r, "request-property-required-added", Level::Breaking);
}

#[test]
fn request_property_added_optional() {
    let r = drift(|s| {
        s.replace(
            "                note: {type: string}\n",
            "                note: {type: string}\n                reason: {type: string}\n",
        )
    });
    assert_only(&r, "request-property-added", Level::Info);
}

#[test]
fn response_property_removed() {
    let r = drift(|s| s.replace("        email: {type: string}\n", ""));
    assert_only(&r, "response-property-removed", Level::Breaking);
    assert_eq!(
        r.changes.len(),
        2,
        "both operations returning Purchase report it"
    );
}

#[test]
fn response_property_became_optional() {
    let r = drift(|s| s.replace("required: [id, total, status]", "required: [id, status]"));
    assert_only(&r, "response-property-became-optional", Level::Breaking);
}

#[test]
fn response_property_became_nullable() {
    let r = drift(|s| {
        s.replace(
            "total: {type: number, format: float}",
            "total: {type: number, format: float, nullable: true}",
        )
    });
    assert_only(&r, "response-became-nullable", Level::Breaking);
}

#[test]
fn response_optional_property_added() {
    let r = drift(|s| {
        s.replace(
            "        email: {type: string}\n",
            "        email: {type: string}\n        coupon: {type: string}\n",
        )
    });
    assert_only(&r, "response-optional-property-added", Level::Info);
}

#[test]
fn response_enum_value_added_is_info_because_response_enums_are_open() {
    let r = drift(|s| {
        s.replace(
            "status: {type: string, enum: [paid, refunded]}",
            "status: {type: string, enum: [paid, refunded, disputed]}",
        )
    });
    assert_only(&r, "response-enum-value-added", Level::Info);
}

#[test]
fn a_response_string_becoming_an_enum_is_a_warning() {
    let r = drift(|s| {
        s.replace(
            "        email: {type: string}\n",
            "        email: {type: string, enum: [a, b]}\n",
        )
    });
    assert_only(&r, "response-enum-added", Level::Warning);
}

#[test]
fn request_enum_value_removed() {
    let r = drift(|s| {
        s.replace(
            "{name: status, in: query, schema: {type: string, enum: [paid, refunded]}}",
            "{name: status, in: query, schema: {type: string, enum: [paid]}}",
        )
    });
    assert_only(&r, "request-enum-value-removed", Level::Breaking);
}

#[test]
fn request_enum_value_added_is_info() {
    let r = drift(|s| {
        s.replace(
            "kind: {type: string, enum: [a, b]}",
            "kind: {type: string, enum: [a, b, c]}",
        )
    });
    assert_only(&r, "request-enum-value-added", Level::Info);
}

#[test]
fn success_status_changed() {
    let r = drift(|s| {
        s.replacen("      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema:\n                $ref: '#/components/schemas/Page'", "      responses:\n        '201':\n          description: ok\n          content:\n            application/json:\n              schema:\n                $ref: '#/components/schemas/Page'", 1)
    });
    assert_only(&r, "success-status-changed", Level::Breaking);
}

#[test]
fn success_status_removed() {
    let r = drift(|s| {
        s.replace(
            "      responses:\n        '200': {description: ok}",
            "      responses:\n        '404': {description: missing}",
        )
    });
    assert!(
        rules(&r).contains(&("success-status-removed", Level::Breaking)),
        "{r:#?}"
    );
}

#[test]
fn security_scheme_changed() {
    let r = drift(|s| {
        s.replace(
            "bearer: {type: http, scheme: bearer}",
            "bearer: {type: http, scheme: basic}",
        )
    });
    assert_only(&r, "security-scheme-changed", Level::Breaking);
}

#[test]
fn security_requirement_changed() {
    let r = drift(|s| s.replace("security: [{bearer: []}]", "security: []"));
    assert_only(&r, "security-changed", Level::Breaking);
}

#[test]
fn server_url_changed() {
    let r = drift(|s| s.replace("https://api.example.com", "https://api2.example.com"));
    assert!(
        rules(&r).contains(&("server-url-changed", Level::Breaking)),
        "{r:#?}"
    );
}

#[test]
fn deprecation_added() {
    let r = drift(|s| {
        s.replace(
            "      operationId: get\n",
            "      operationId: get\n      deprecated: true\n",
        )
    });
    assert_only(&r, "deprecation-added", Level::Warning);
}

// Pairs that must produce no change.

fn no_change(new: &str) {
    let r = compare_texts("old.yaml", BASE, "new", new).unwrap();
    assert!(r.changes.is_empty(), "{:#?}", r.changes);
}

#[test]
fn reformatting_and_key_order_are_not_changes() {
    let doc: serde_json::Value = serde_yaml_ng::from_str(BASE).unwrap();
    // JSON, pretty, keys sorted (serde_json's default map without preserve_order is not
    // available here, so reverse the top-level order by hand).
    let mut reversed = serde_json::Map::new();
    for (k, v) in doc.as_object().unwrap().iter().rev() {
        reversed.insert(k.clone(), v.clone());
    }
    no_change(&serde_json::to_string_pretty(&serde_json::Value::Object(reversed)).unwrap());
}

#[test]
fn inline_schema_versus_ref_is_not_a_change() {
    let inlined = BASE.replace(
        "              schema: {$ref: '#/components/schemas/Purchase'}",
        "              schema:\n                type: object\n                required: [id, total, status]\n                properties:\n                  id: {type: integer}\n                  total: {type: number, format: float}\n                  status: {type: string, enum: [paid, refunded]}\n                  email: {type: string}",
    );
    assert_ne!(inlined, BASE);
    no_change(&inlined);
}

#[test]
fn a_3_1_rewrite_of_the_same_api_is_not_a_change() {
    let v31 = BASE.replace("openapi: 3.0.3", "openapi: 3.1.0").replace(
        "{name: limit, in: query, schema: {type: integer, maximum: 50}}",
        "{name: limit, in: query, schema: {type: integer, maximum: 50, examples: [10]}}",
    );
    no_change(&v31);
    let nullable_30 = BASE.replace(
        "email: {type: string}",
        "email: {type: string, nullable: true}",
    );
    let nullable_31 = BASE
        .replace("openapi: 3.0.3", "openapi: 3.1.0")
        .replace("email: {type: string}", "email: {type: [string, 'null']}");
    let r = compare_texts("a", &nullable_30, "b", &nullable_31).unwrap();
    assert!(r.changes.is_empty(), "{:#?}", r.changes);
}

#[test]
fn renaming_a_path_parameter_is_not_a_removed_operation() {
    let renamed = BASE
        .replace("/purchases/{id}", "/purchases/{purchase_id}")
        .replace("{name: id, in: path", "{name: purchase_id, in: path");
    let r = compare_texts("a", BASE, "b", &renamed).unwrap();
    assert!(
        r.changes
            .iter()
            .all(|c| c.rule != "operation-removed" && c.rule != "path-removed"),
        "{:#?}",
        r.changes
    );
}

#[test]
fn the_real_specs_compared_with_themselves_have_no_changes() {
    for p in ["cocalc", "subtotal", "togai", "kit"] {
        let text = std::fs::read_to_string(format!(
            "{}/../../specs/{p}.yaml",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        let r = compare_texts(p, &text, p, &text).unwrap();
        assert!(r.changes.is_empty(), "{p}: {:#?}", r.changes);
    }
}

#[test]
fn a_realistic_kit_edit_gives_exactly_the_expected_report() {
    let kit = std::fs::read_to_string(format!(
        "{}/../../specs/kit.yaml",
        env!("CARGO_MANIFEST_DIR")
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
            ("required-parameter-added", Level::Breaking, "/paths/~1v4~1purchases/get/parameters/account_id"),
            ("response-property-removed", Level::Breaking, "/paths/~1v4~1purchases/get/responses/200/content/application~1json/schema/properties/purchases/items/properties/total"),
            ("response-optional-property-added", Level::Info, "/paths/~1v4~1purchases/get/responses/200/content/application~1json/schema/properties/purchases/items/properties/refunded_at"),
        ]
    );
    assert!(r.changes.iter().all(|c| c.operation == "GET /v4/purchases"));
    let md = r.to_markdown();
    assert!(md.contains("2 breaking, 0 warning, 1 info"), "{md}");
}
