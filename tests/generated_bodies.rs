//! Bodies generated from each response schema as the client is built from it (spec and
//! overlay), run through the generated types: every number the schema allows, exactly.
//!
//! For every provider and every JSON reply every operation documents (successes and error
//! bodies, by status, range or `default`), proptest draws
//! bodies from the schema — amounts of 1 to 28 significant digits, written with and
//! without exponents; integers across their format's range; date-times in every spelling
//! RFC 3339 allows (`t`/`z` in lower case, offsets, 0 to 9 fraction digits); uuids in
//! either case; unicode text; objects with properties the spec does not name; free-form
//! values holding numbers no `f64` can carry — and requires of each:
//!
//! - the schema validator accepts it (else the generator is wrong, and the test says so);
//! - the generated type decodes it and writes back every value: every number digit for
//!   digit, every instant and uuid the same value (fields the spec does not name may be
//!   dropped, nothing else);
//! - for the list operation, each normalized purchase carries exactly the record's amount.
//!
//! A body of each family is pinned as a regression case in `tests/limits.rs`, beside the
//! limits the README states. `cargo test` draws 64 bodies per schema; a campaign:
//!
//! ```sh
//! BODY_CASES=5000 cargo test --release --all-features --test generated_bodies
//! ```
#![cfg(all(feature = "conform", feature = "mock"))]

use proptest::prelude::*;
use proptest::strategy::Union;
use purchase_clients::conform::{self, replay::compare_decoded};
use purchase_clients::lossless::Json;
use purchase_clients::Provider;
use serde_json::Value;

/// Bodies per schema: `BODY_CASES`, or 64.
fn cases() -> u32 {
    std::env::var("BODY_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(64)
}

/// Follows a `$ref` into the document.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => resolve(doc, doc.pointer(&r[1..]).unwrap_or(&Value::Null)),
        None => schema,
    }
}

/// Significant digits, a decimal point somewhere among them (or none), and an exponent
/// (or none), such that the value has at most 28 significant digits and a scale of at most
/// 28: what `Decimal` holds. `exponent`: whether an exponent may be written.
fn amount(exponent: bool) -> BoxedStrategy<String> {
    (
        any::<bool>(),
        "[1-9][0-9]{0,27}",
        0usize..=28,
        prop_oneof![3 => Just(None), 1 => (-20i32..=20).prop_map(Some)],
        prop_oneof![Just("e"), Just("E")],
        prop_oneof![Just(""), Just("+")],
    )
        .prop_filter_map(
            "within Decimal",
            move |(negative, digits, point, e, mark, plus)| {
                let e = if exponent { e } else { None };
                let point = point.min(digits.len());
                // value = digits × 10^(e − fraction digits)
                let fraction = (digits.len() - point) as i32;
                let q = e.unwrap_or(0) - fraction;
                let fits = if q >= 0 {
                    digits.len() as i32 + q <= 28
                } else {
                    -q <= 28
                };
                if !fits {
                    return None;
                }
                let mut text = String::new();
                if negative {
                    text.push('-');
                }
                if point == 0 {
                    text.push('0');
                } else {
                    text.push_str(&digits[..point]);
                }
                if point < digits.len() {
                    text.push('.');
                    text.push_str(&digits[point..]);
                }
                if let Some(e) = e {
                    text.push_str(mark);
                    if e >= 0 {
                        text.push_str(plus);
                    }
                    text.push_str(&e.to_string());
                }
                Some(text)
            },
        )
        .boxed()
}

/// An RFC 3339 date-time in one of its many spellings, within the years 1000–8999 (so its
/// UTC instant stays within 0000–9999).
fn date_time() -> BoxedStrategy<String> {
    (
        (1000u32..9000, 1u32..=12, 1u32..=28),
        (0u32..24, 0u32..60, 0u32..60),
        prop_oneof![Just(String::new()), "\\.[0-9]{1,9}"],
        prop_oneof![Just("T"), Just("t")],
        prop_oneof![
            Just("Z".to_string()),
            Just("z".to_string()),
            Just("+00:00".to_string()),
            Just("-00:00".to_string()),
            (any::<bool>(), 0u32..24, 0u32..60)
                .prop_map(|(s, h, m)| format!("{}{h:02}:{m:02}", if s { '+' } else { '-' })),
        ],
    )
        .prop_map(|((y, mo, d), (h, mi, s), fraction, t, zone)| {
            format!("{y:04}-{mo:02}-{d:02}{t}{h:02}:{mi:02}:{s:02}{fraction}{zone}")
        })
        .boxed()
}

fn uuid() -> BoxedStrategy<String> {
    ("[0-9a-f]{32}", any::<bool>())
        .prop_map(|(h, upper)| {
            let u = format!(
                "{}-{}-{}-{}-{}",
                &h[..8],
                &h[8..12],
                &h[12..16],
                &h[16..20],
                &h[20..]
            );
            if upper {
                u.to_uppercase()
            } else {
                u
            }
        })
        .boxed()
}

/// Text with what breaks careless code: quotes, backslashes, escapes, astral and
/// right-to-left characters.
fn text() -> BoxedStrategy<String> {
    prop_oneof![
        "[a-zA-Z0-9 _.-]{0,16}",
        "\\PC{0,12}",
        Just("\"\\/\u{0}\u{1b}\t\n€😀\u{202e}".to_string()),
    ]
    .boxed()
}

/// Any JSON value, numbers included that no `f64` holds: 30-digit integers, 25-digit
/// fractions, exponents beyond `f64`'s range, negative zero.
fn free_form() -> BoxedStrategy<Json> {
    let number = prop_oneof![
        amount(true),
        "-?[1-9][0-9]{19,30}",
        "-?[0-9]\\.[0-9]{17,25}",
        Just("1.0E+311".to_string()),
        Just("-0.0".to_string()),
        Just("0.8484449789141913".to_string()),
        Just("111111101111.18111".to_string()),
    ];
    let leaf = prop_oneof![
        Just(Json::Null),
        any::<bool>().prop_map(Json::Bool),
        number.prop_map(Json::Number),
        text().prop_map(Json::String),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Json::Array),
            prop::collection::vec(("[a-z]{1,6}", inner), 0..4).prop_map(|entries| {
                let mut seen = std::collections::HashSet::new();
                Json::Object(
                    entries
                        .into_iter()
                        .filter(|(k, _)| seen.insert(k.clone()))
                        .collect(),
                )
            }),
        ]
    })
    .boxed()
}

/// A body valid against `schema` (OpenAPI 3.0, in `doc`).
fn body(doc: &Value, schema: &Value, depth: u32) -> BoxedStrategy<Json> {
    let schema = resolve(doc, schema);
    let Some(obj) = schema.as_object() else {
        return free_form();
    };
    let value = value_of(doc, schema, depth);
    if obj.get("nullable") == Some(&Value::Bool(true)) {
        prop_oneof![7 => value, 1 => Just(Json::Null)].boxed()
    } else {
        value
    }
}

fn value_of(doc: &Value, schema: &Value, depth: u32) -> BoxedStrategy<Json> {
    let obj = schema.as_object().expect("an object schema");
    if let Some(values) = obj.get("enum").and_then(Value::as_array) {
        let values: Vec<Json> = values
            .iter()
            .map(|v| Json::parse(&v.to_string()).expect("JSON"))
            .collect();
        return proptest::sample::select(values).boxed();
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(alternatives) = obj.get(key).and_then(Value::as_array) {
            return Union::new(
                alternatives
                    .iter()
                    .map(|s| body(doc, s, depth))
                    .collect::<Vec<_>>(),
            )
            .boxed();
        }
    }
    if let Some(all) = obj.get("allOf").and_then(Value::as_array) {
        return object(doc, &merged(doc, all), depth);
    }
    let format = obj.get("format").and_then(Value::as_str);
    match obj.get("type").and_then(Value::as_str) {
        Some("number") => amount(true).prop_map(Json::Number).boxed(),
        Some("integer") => {
            let (low, high) = match format {
                Some("int32") => (i32::MIN as i64, i32::MAX as i64),
                _ => (i64::MIN, i64::MAX),
            };
            let low = obj
                .get("minimum")
                .and_then(Value::as_i64)
                .map_or(low, |m| m.max(low));
            let high = obj
                .get("maximum")
                .and_then(Value::as_i64)
                .map_or(high, |m| m.min(high));
            prop_oneof![low..=high, Just(low), Just(high)]
                .prop_map(|n| Json::Number(n.to_string()))
                .boxed()
        }
        Some("boolean") => any::<bool>().prop_map(Json::Bool).boxed(),
        Some("string") => {
            let min = obj.get("minLength").and_then(Value::as_u64).unwrap_or(0) as usize;
            let s = match format {
                Some("date-time") => date_time(),
                Some("date") => (1000u32..9000, 1u32..=12, 1u32..=28)
                    .prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}"))
                    .boxed(),
                Some("uuid") => uuid(),
                // An amount as text (Subtotal's `total`, with its pattern of a plain decimal).
                Some("decimal") => amount(false),
                _ if obj.contains_key("pattern") => amount(false),
                _ => text()
                    .prop_map(move |t| {
                        let mut t = t;
                        while t.chars().count() < min {
                            t.push('x');
                        }
                        t
                    })
                    .boxed(),
            };
            s.prop_map(Json::String).boxed()
        }
        Some("array") => {
            let items = obj.get("items").cloned().unwrap_or(Value::Null);
            let max = if depth > 3 { 1 } else { 3 };
            prop::collection::vec(body(doc, &items, depth + 1), 0..=max)
                .prop_map(Json::Array)
                .boxed()
        }
        Some("object") | None
            if obj.contains_key("properties") || obj.contains_key("additionalProperties") =>
        {
            object(doc, schema, depth)
        }
        _ => free_form(),
    }
}

/// The properties and required names of an `allOf`, merged.
fn merged(doc: &Value, all: &[Value]) -> Value {
    let mut properties = serde_json::Map::new();
    let mut required = Vec::new();
    for part in all {
        let part = resolve(doc, part);
        if let Some(p) = part.get("properties").and_then(Value::as_object) {
            properties.extend(p.clone());
        }
        if let Some(r) = part.get("required").and_then(Value::as_array) {
            required.extend(r.clone());
        }
    }
    serde_json::json!({"type": "object", "properties": properties, "required": required})
}

/// Names of properties the spec does not name start with this, so the test knows a
/// dropped one is allowed.
const EXTRA: &str = "x-extra-";

fn object(doc: &Value, schema: &Value, depth: u32) -> BoxedStrategy<Json> {
    let properties = schema
        .get("properties")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut fields: Vec<BoxedStrategy<Option<(String, Json)>>> = Vec::new();
    for (name, property) in &properties {
        let value = body(doc, property, depth + 1);
        let name = name.clone();
        fields.push(if required.contains(&name.as_str()) {
            value.prop_map(move |v| Some((name.clone(), v))).boxed()
        } else {
            proptest::option::of(value)
                .prop_map(move |v| v.map(|v| (name.clone(), v)))
                .boxed()
        });
    }
    // Entries beyond the named properties: of the map's value schema, or (an open object)
    // free-form ones the type may drop.
    let extra = match schema.get("additionalProperties") {
        Some(Value::Bool(false)) => Just(Vec::new()).boxed(),
        Some(s @ Value::Object(_)) => {
            prop::collection::vec(("[a-z]{1,8}", body(doc, s, depth + 1)), 0..3).boxed()
        }
        _ => prop::collection::vec(
            (
                "[a-z]{1,4}".prop_map(|k| format!("{EXTRA}{k}")),
                free_form(),
            ),
            0..2,
        )
        .boxed(),
    };
    (fields, extra)
        .prop_map(|(fields, extra)| {
            let mut entries: Vec<(String, Json)> = fields.into_iter().flatten().collect();
            for (k, v) in extra {
                if !entries.iter().any(|(n, _)| *n == k) {
                    entries.push((k, v));
                }
            }
            Json::Object(entries)
        })
        .boxed()
}

/// Every JSON reply every operation documents: (operation, status, schema pointer). A
/// status range (`4XX`) or `default` is drawn as one status it covers.
fn replies(doc: &Value) -> Vec<(String, u16, String)> {
    let mut out = Vec::new();
    for item in doc["paths"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(_, i)| i)
    {
        for op in item.as_object().into_iter().flatten().map(|(_, o)| o) {
            let Some(id) = op.get("operationId").and_then(Value::as_str) else {
                continue;
            };
            for (key, response) in op["responses"].as_object().into_iter().flatten() {
                let status = match key.as_str() {
                    "default" => 500,
                    k if k.ends_with("XX") => k[..1].parse::<u16>().unwrap_or(5) * 100,
                    k => k.parse().unwrap_or(500),
                };
                let at = match response.get("$ref").and_then(Value::as_str) {
                    Some(r) => r[1..].to_string(),
                    None => conform::response_schema_pointer(doc, id, key)
                        .map(|p| {
                            p.trim_end_matches("/content/application~1json/schema")
                                .to_string()
                        })
                        .unwrap_or_default(),
                };
                let pointer = format!("{at}/content/application~1json/schema");
                if doc.pointer(&pointer).is_some() {
                    out.push((id.to_string(), status, pointer));
                }
            }
        }
    }
    out
}

/// Runs the three checks on one body; whether it was a page of the list operation whose
/// purchases were normalized and compared.
fn check(
    provider: Provider,
    doc: &Value,
    (operation, status): (&str, u16),
    pointer: &str,
    body: &Json,
) -> bool {
    let text = body.to_text();
    let schema = doc.pointer(pointer).expect("the schema");
    let errors = conform::validate(doc, schema, &body.to_value());
    assert!(
        errors.is_empty(),
        "{provider} {operation}: the generator wrote a body its schema refuses ({errors:?}): {text}"
    );
    let decode = conform::reply_decoder(provider, doc, operation, status).unwrap_or_else(|| {
        panic!("{provider} {operation} {status}: no generated type for its reply")
    });
    let back = decode(&text)
        .unwrap_or_else(|e| panic!("{provider} {operation}: does not decode ({e}): {text}"));
    let (changed, lost) = compare_decoded(&text, &back).expect("the body is JSON");
    assert!(
        changed.is_empty(),
        "{provider} {operation}: written back differently: {changed:?}\n{text}"
    );
    let lost: Vec<&String> = lost
        .iter()
        .filter(|at| !at.rsplit('/').next().unwrap_or("").starts_with(EXTRA))
        .collect();
    assert!(
        lost.is_empty(),
        "{provider} {operation}: named fields dropped: {lost:?}\n{text}"
    );

    let paging = purchase_clients::providers::paging(provider);
    if operation == paging.operation && status == 200 {
        // The records: where the page holds them, or the body itself where the API answers
        // a bare array (CoCalc's older shape). A body without records (an error shape the
        // reply may take) has nothing to normalize.
        let records = match json_pointer(body, paging.items) {
            Some(Json::Array(records)) => records,
            _ => match body {
                Json::Array(records) => records,
                _ => return false,
            },
        };
        let purchases = match conform::page_purchases(provider, &text) {
            Ok(purchases) => purchases,
            // A page whose paging contradicts itself (says "more" without a cursor, or
            // with no record to continue after) is refused by design
            // (tests/hostile_server.rs), whatever the schema allows; the caller counts
            // how many pages were normalized.
            Err(purchase_clients::Error::InvalidPage { .. }) => return false,
            Err(e) => panic!("{provider}: the page does not normalize ({e}): {text}"),
        };
        assert_eq!(purchases.len(), records.len(), "{provider}: {text}");
        for (i, (purchase, record)) in purchases.iter().zip(records).enumerate() {
            let expected = match json_pointer(record, paging.amount) {
                Some(Json::Number(n)) | Some(Json::String(n)) => {
                    Some(purchase_clients::decimal::parse_exact(n).expect("a generated amount"))
                }
                _ => None,
            };
            assert_eq!(
                purchase.total, expected,
                "{provider}: record {i}'s amount, normalized: {text}"
            );
        }
        return true;
    }
    false
}

fn json_pointer<'a>(json: &'a Json, pointer: &str) -> Option<&'a Json> {
    let mut at = json;
    for part in pointer.split('/').skip(1) {
        at = match at {
            Json::Object(entries) => &entries.iter().find(|(k, _)| k == part)?.1,
            Json::Array(items) => items.get(part.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(at)
}

/// `doc` with the list operation's record time given `format: date-time`: the client reads
/// it as RFC 3339 whatever the spec's type (Subtotal's and Kit's are plain text there, and a
/// time that is not RFC 3339 fails its record by design).
fn with_record_time(provider: Provider, mut doc: Value) -> Value {
    let paging = purchase_clients::providers::paging(provider);
    let Some(pointer) = conform::response_schema_pointer(&doc, paging.operation, "200") else {
        return doc;
    };
    // Every object schema that has the time property, reached from the reply: set the format
    // on each (the record's schema may be behind a `$ref`, an `oneOf` or `items`).
    let name = paging.time.trim_start_matches('/');
    let mut pointers = vec![pointer];
    let mut seen = std::collections::HashSet::new();
    let mut records = Vec::new();
    while let Some(p) = pointers.pop() {
        if !seen.insert(p.clone()) {
            continue;
        }
        let Some(schema) = doc.pointer(&p) else {
            continue;
        };
        if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
            pointers.push(r[1..].to_string());
            continue;
        }
        if schema.pointer(&format!("/properties/{name}")).is_some() {
            records.push(format!("{p}/properties/{name}"));
        }
        for key in ["oneOf", "anyOf", "allOf"] {
            let n = schema
                .get(key)
                .and_then(Value::as_array)
                .map_or(0, Vec::len);
            pointers.extend((0..n).map(|i| format!("{p}/{key}/{i}")));
        }
        if schema.get("items").is_some() {
            pointers.push(format!("{p}/items"));
        }
        for (k, _) in schema
            .get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            pointers.push(format!(
                "{p}/properties/{}",
                k.replace('~', "~0").replace('/', "~1")
            ));
        }
    }
    for p in records {
        if let Some(Value::Object(time)) = doc.pointer_mut(&p) {
            if time.get("type").and_then(Value::as_str) == Some("string") {
                time.insert("format".into(), "date-time".into());
            }
        }
    }
    doc
}

#[test]
fn bodies_generated_from_every_response_schema_decode_and_round_trip_exactly() {
    let mut schemas = 0;
    for provider in Provider::ALL.iter().copied() {
        let doc = with_record_time(
            provider,
            conform::normalized(provider).expect("the spec normalizes"),
        );
        for (operation, status, pointer) in replies(&doc) {
            schemas += 1;
            let strategy = body(&doc, doc.pointer(&pointer).unwrap(), 0);
            let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
                cases: cases(),
                failure_persistence: None,
                ..ProptestConfig::default()
            });
            let normalized = std::cell::Cell::new(0u32);
            let result = runner.run(&strategy, |body| {
                if check(provider, &doc, (&operation, status), &pointer, &body) {
                    normalized.set(normalized.get() + 1);
                }
                Ok(())
            });
            if let Err(e) = result {
                panic!("{provider} {operation} {status}: {e}");
            }
            if status == 200 && operation == purchase_clients::providers::paging(provider).operation
            {
                // Most pages must get through to the amounts, or the check proves nothing.
                assert!(
                    normalized.get() * 4 >= cases(),
                    "{provider}: only {} of {} pages were normalized",
                    normalized.get(),
                    cases()
                );
            }
        }
    }
    eprintln!("{schemas} reply schemas");
    assert!(schemas >= Provider::ALL.len(), "{schemas} schemas");
}
