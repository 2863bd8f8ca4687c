//! The documented samples' amounts decode to exactly the documented digits. (That every
//! sample decodes and round-trips is checked by the conformance harness, tests/conformance.rs.)

mod common;

use purchase_clients::{cocalc, kit, subtotal, togai, Decimal};
use serde_json::Value;

fn example(provider: &str, pointer: &str) -> Value {
    common::normalized(provider)
        .pointer(pointer)
        .cloned()
        .unwrap_or_else(|| panic!("{provider} has no example at {pointer}"))
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
    assert_eq!(page.pagination.end_cursor.as_deref(), Some("WzFd"));
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
    assert_eq!(page.data.as_ref().unwrap()[0].price, Some(dec("123")));
    assert_eq!(page.next_token.as_deref(), Some("<string>"));
}
