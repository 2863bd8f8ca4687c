//! Every `example` in every spec decodes into its generated type, and reads back with the
//! documented digits.

mod common;

use purchase_clients::{cocalc, kit, subtotal, togai, Decimal};
use serde::{de::DeserializeOwned, Serialize};
use serde_json::Value;
use std::str::FromStr;

/// Decodes `example` as `T` and serializes it back.
fn roundtrip<T: DeserializeOwned + Serialize>(example: &Value) -> Result<Value, String> {
    let text = serde_json::to_string(example).unwrap();
    let typed: T = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    serde_json::to_value(&typed).map_err(|e| e.to_string())
}

/// A bare amount, decoded the way generated fields are.
#[derive(serde::Deserialize, Serialize)]
#[serde(transparent)]
struct Amount(#[serde(deserialize_with = "purchase_clients::decimal::exact")] Decimal);

type Decode = fn(&Value) -> Result<Value, String>;

/// Where each example sits in the normalized spec, and the generated type it belongs to.
fn decoder(provider: &str, pointer: &str) -> Option<Decode> {
    let d: Decode = match (provider, pointer) {
        ("cocalc", "/paths/~1api~1v2~1purchases~1get-purchases/post/requestBody/content/application~1json/example") => roundtrip::<cocalc::types::GetPurchasesRequest>,
        ("cocalc", "/paths/~1api~1v2~1purchases~1get-purchases/post/responses/200/content/application~1json/example") => roundtrip::<cocalc::types::GetPurchasesResponse>,
        ("subtotal", "/paths/~1purchases/get/parameters/0/schema/example") => roundtrip::<std::num::NonZeroU64>,
        ("subtotal", "/paths/~1purchases/get/parameters/1/schema/example") => roundtrip::<String>,
        ("subtotal", "/components/schemas/GetPurchasesResponse/properties/has_more/example") => roundtrip::<bool>,
        ("subtotal", "/components/schemas/GetPurchasesResponse/properties/purchases/example") => roundtrip::<Vec<subtotal::types::PurchaseSummary>>,
        ("subtotal", "/components/schemas/PurchaseSummary/properties/purchase_id/example") => roundtrip::<String>,
        ("subtotal", "/components/schemas/PurchaseSummary/properties/date/example") => roundtrip::<String>,
        ("subtotal", "/components/schemas/PurchaseSummary/properties/total/example") => roundtrip::<Amount>,
        ("togai", "/paths/~1purchases~1{purchase_id}/get/parameters/0/example") => roundtrip::<String>,
        ("togai", "/paths/~1purchases~1{purchase_id}/get/responses/200/content/application~1json/example") => roundtrip::<togai::types::Purchase>,
        ("togai", "/paths/~1accounts~1{account_id}~1purchases/get/parameters/0/example") => roundtrip::<String>,
        ("togai", "/paths/~1accounts~1{account_id}~1purchases/get/responses/200/content/application~1json/example") => roundtrip::<togai::types::ListPurchasesResponse>,
        ("togai", "/components/responses/Error/content/application~1json/example") => roundtrip::<togai::types::ErrorResponse>,
        ("kit", "/paths/~1v4~1purchases/get/parameters/2/example") => roundtrip::<bool>,
        ("kit", "/paths/~1v4~1purchases/get/responses/200/content/application~1json/example") => roundtrip::<kit::types::ListPurchasesResponse>,
        ("kit", "/paths/~1v4~1purchases/get/responses/401/content/application~1json/example") => roundtrip::<kit::types::ErrorResponse>,
        _ => return None,
    };
    Some(d)
}

/// Every `example` (and every `examples.*.value`) in a document, by JSON pointer.
fn examples(doc: &Value) -> Vec<(String, Value)> {
    fn walk(v: &Value, at: &str, out: &mut Vec<(String, Value)>) {
        match v {
            Value::Object(obj) => {
                for (k, child) in obj {
                    let here = format!("{at}/{}", purchase_spec::downconvert::escape(k));
                    if k == "example" {
                        out.push((here, child.clone()));
                    } else if k == "examples" && child.is_object() {
                        for (name, ex) in child.as_object().unwrap() {
                            if let Some(value) = ex.get("value") {
                                out.push((format!("{here}/{name}/value"), value.clone()));
                            }
                        }
                    } else {
                        walk(child, &here, out);
                    }
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    walk(child, &format!("{at}/{i}"), out);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(doc, "", &mut out);
    out
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

/// Compares a documented value with what the generated type wrote back. An amount must
/// keep every digit; an absent field equals a `null`, `{}` or `[]` one.
fn differences(expected: &Value, actual: &Value, at: &str, out: &mut Vec<String>) {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for key in e.keys().chain(a.keys().filter(|k| !e.contains_key(*k))) {
                let (ev, av) = (
                    e.get(key).unwrap_or(&Value::Null),
                    a.get(key).unwrap_or(&Value::Null),
                );
                if !e.contains_key(key) && !empty(av) {
                    out.push(format!(
                        "{at}/{key}: not in the example, written back as {av}"
                    ));
                } else if !a.contains_key(key) && !empty(ev) {
                    out.push(format!("{at}/{key}: lost (the type does not know it)"));
                } else if !(empty(ev) && empty(av)) {
                    differences(ev, av, &format!("{at}/{key}"), out);
                }
            }
        }
        (Value::Array(e), Value::Array(a)) if e.len() == a.len() => {
            for (i, (ev, av)) in e.iter().zip(a).enumerate() {
                differences(ev, av, &format!("{at}/{i}"), out);
            }
        }
        (Value::Number(n), Value::String(s)) => {
            // An amount: written back as a decimal string with the same digits.
            if n.to_string() != *s || Decimal::from_str(s).is_err() {
                out.push(format!("{at}: documented {n}, decoded {s:?}"));
            }
        }
        (e, a) if e == a => {}
        (e, a) => out.push(format!("{at}: documented {e}, decoded {a}")),
    }
}

#[test]
fn every_example_in_every_spec_decodes_into_its_generated_type_and_reads_back_unchanged() {
    let mut failures = Vec::new();
    let mut count = 0;
    for provider in common::PROVIDERS {
        for (pointer, example) in examples(&common::normalized(provider)) {
            count += 1;
            let Some(decode) = decoder(provider, &pointer) else {
                failures.push(format!(
                    "{provider} {pointer}: no generated type mapped to this example"
                ));
                continue;
            };
            match decode(&example) {
                Err(e) => failures.push(format!("{provider} {pointer}: does not decode: {e}")),
                Ok(back) => {
                    let mut diffs = Vec::new();
                    differences(&example, &back, "", &mut diffs);
                    failures.extend(
                        diffs
                            .into_iter()
                            .map(|d| format!("{provider} {pointer}: {d}")),
                    );
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(count, 17, "every example is mapped above");
}

fn example(provider: &str, pointer: &str) -> Value {
    examples(&common::normalized(provider))
        .into_iter()
        .find(|(p, _)| p == pointer)
        .unwrap_or_else(|| panic!("{provider} has no example at {pointer}"))
        .1
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str_exact(s).unwrap()
}

#[test]
fn kit_sample_amounts_are_the_documented_digits() {
    let v = example(
        "kit",
        "/paths/~1v4~1purchases/get/responses/200/content/application~1json/example",
    );
    let page: kit::types::ListPurchasesResponse = serde_json::from_value(v).unwrap();
    let p = &page.purchases[2];
    assert_eq!(
        (p.subtotal, p.discount, p.tax, p.total),
        (dec("78.66"), dec("5"), dec("7.87"), dec("81.53"))
    );
    assert_eq!(p.products[0].unit_price, dec("23.22"));
    assert_eq!(page.purchases[0].products[0].unit_price, dec("0.05"));
    assert_eq!(page.purchases[0].products[0].sku, None);
    assert_eq!(page.pagination.end_cursor, "WzFd");
}

#[test]
fn cocalc_sample_amounts_are_the_documented_digits() {
    let v = example("cocalc", "/paths/~1api~1v2~1purchases~1get-purchases/post/responses/200/content/application~1json/example");
    let cocalc::types::GetPurchasesResponse::PurchaseList(rows) =
        serde_json::from_value(v).unwrap()
    else {
        panic!("the documented sample is a bare array");
    };
    assert_eq!(rows[0].cost, Some(dec("0.017470052")));
    assert_eq!(rows[0].cost_per_hour, Some(dec("0.05464481")));
    assert_eq!(rows[0].id, 427);
    assert_eq!(rows[0].invoice_id, None);
}

#[test]
fn subtotal_sample_total_is_the_documented_string() {
    let v = example(
        "subtotal",
        "/components/schemas/GetPurchasesResponse/properties/purchases/example",
    );
    let rows: Vec<subtotal::types::PurchaseSummary> = serde_json::from_value(v).unwrap();
    assert_eq!(rows[0].total, dec("9.34"));
    assert_eq!(serde_json::to_value(&rows[0]).unwrap()["total"], "9.34");
}

#[test]
fn togai_sample_rates_and_prices_are_the_documented_digits() {
    let v = example(
        "togai",
        "/paths/~1purchases~1{purchase_id}/get/responses/200/content/application~1json/example",
    );
    let p: togai::types::Purchase = serde_json::from_value(v).unwrap();
    let rates: Vec<_> = p
        .purchase_plan
        .unwrap()
        .rate_values
        .iter()
        .map(|r| r.currency_rate_value.as_ref().unwrap().rate)
        .collect();
    assert_eq!(rates, vec![Some(dec("10")), Some(dec("150"))]);
    assert_eq!(p.features[0].granted_credits, Some(dec("100")));
    let v = example("togai", "/paths/~1accounts~1{account_id}~1purchases/get/responses/200/content/application~1json/example");
    let page: togai::types::ListPurchasesResponse = serde_json::from_value(v).unwrap();
    assert_eq!(page.data[0].price, Some(dec("123")));
    assert_eq!(page.next_token.as_deref(), Some("<string>"));
}
