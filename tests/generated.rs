//! The generated types hold up against what real servers send.

use purchase_clients::{cocalc, kit, subtotal, togai, Decimal};

fn dec(s: &str) -> Decimal {
    Decimal::from_str_exact(s).unwrap()
}

const KIT_PAGE: &str = r#"{
  "purchases": [{
    "id": 1, "transaction_id": "t", "status": "paid", "email_address": "a@b.c",
    "subscriber_id": 2, "currency": "USD", "transaction_time": "2023-02-17T11:43:55Z",
    "subtotal": 1234567890.123456789, "discount": 0.1234567890123456789, "tax": 0, "total": 1e2,
    "products": [{"quantity": 1, "lid": "l", "unit_price": 0.05, "sku": null, "name": "n", "pid": "p",
                  "a_field_added_later": [1, 2]}],
    "another_new_field": {"nested": true}
  }],
  "pagination": {"has_previous_page": false, "has_next_page": true, "start_cursor": "a",
                 "end_cursor": "b", "per_page": 1, "total_count": 10}
}"#;

#[test]
fn a_kit_amount_with_19_significant_digits_decodes_exactly() {
    let page: kit::types::ListPurchasesResponse = serde_json::from_str(KIT_PAGE).unwrap();
    let p = &page.purchases[0];
    assert_eq!(p.subtotal.to_string(), "1234567890.123456789");
    assert_eq!(p.discount.to_string(), "0.1234567890123456789");
    assert_eq!(p.total, dec("100"));
    // and writes back as a string with the same digits
    let back = serde_json::to_value(p).unwrap();
    assert_eq!(back["subtotal"], "1234567890.123456789");
}

#[test]
fn unknown_fields_from_the_server_are_ignored() {
    // KIT_PAGE carries fields the spec does not describe at three levels.
    let page: kit::types::ListPurchasesResponse = serde_json::from_str(KIT_PAGE).unwrap();
    assert_eq!(page.purchases[0].products[0].unit_price, dec("0.05"));
    let row: subtotal::types::PurchaseSummary = serde_json::from_str(
        r#"{"purchase_id": "p", "date": "2024-01-01T00:00:00Z", "total": "9.34", "currency": "USD"}"#,
    )
    .unwrap();
    assert_eq!(row.total, dec("9.34"));
    let t: togai::types::PurchaseListItem = serde_json::from_str(
        r#"{"id": "x", "status": "SUCCESS", "createdAt": "2023-11-07T05:31:56Z", "newField": 1}"#,
    )
    .unwrap();
    assert_eq!(t.status, togai::types::PurchaseStatus::Success);
}

#[test]
fn every_amount_is_a_decimal() {
    // These only compile if the generated fields have exactly these types.
    fn amount(_: &Decimal) {}
    fn optional(_: &Option<Decimal>) {}
    let page: kit::types::ListPurchasesResponse = serde_json::from_str(KIT_PAGE).unwrap();
    let p = &page.purchases[0];
    amount(&p.subtotal);
    amount(&p.discount);
    amount(&p.tax);
    amount(&p.total);
    amount(&p.products[0].unit_price);
    let s: subtotal::types::PurchaseSummary =
        serde_json::from_str(r#"{"purchase_id": "p", "date": "d", "total": "1"}"#).unwrap();
    amount(&s.total);
    let t: togai::types::Purchase = serde_json::from_str(
        r#"{"id": "x", "accountId": "a", "pricePlanId": "p", "pricePlanVersion": 1, "createdAt": "2020-01-01T00:00:00Z", "price": 12.5}"#,
    )
    .unwrap();
    optional(&t.price);
    assert_eq!(t.price, Some(dec("12.5")));
    let c: cocalc::types::Purchase = serde_json::from_str(
        r#"{"id": 1, "time": "2023-08-07T22:37:17.011Z", "service": "credit", "cost": -10.25}"#,
    )
    .unwrap();
    optional(&c.cost);
    optional(&c.cost_per_hour);
    optional(&c.cost_so_far);
    assert_eq!(c.cost, Some(dec("-10.25")));
    assert_eq!(c.cost_so_far, None, "an absent optional amount is None");
}

#[test]
fn togais_documented_purchase_without_status_and_type_decodes() {
    let t: togai::types::Purchase = serde_json::from_str(
        r#"{"id": "x", "accountId": "a", "pricePlanId": "p", "pricePlanVersion": 1, "createdAt": "2020-01-01T00:00:00Z"}"#,
    )
    .unwrap();
    assert_eq!((t.status, t.type_), (None, None));
}

#[test]
fn cocalc_answers_decode_in_all_three_shapes() {
    use cocalc::types::GetPurchasesResponse as R;
    let row = r#"{"id": 1, "time": "2023-08-07T22:37:17.011Z", "service": "credit", "cost": null}"#;
    match serde_json::from_str(&format!("[{row}]")).unwrap() {
        R::PurchaseList(rows) => assert_eq!(rows.len(), 1),
        other => panic!("{other:?}"),
    }
    match serde_json::from_str(&format!(r#"{{"balance": 12.34, "purchases": [{row}]}}"#)).unwrap() {
        R::PurchasesWithBalance(b) => {
            assert_eq!(b.balance, Some(dec("12.34")));
            assert_eq!(
                b.purchases[0].cost, None,
                "cost is null while a purchase runs"
            );
        }
        other => panic!("{other:?}"),
    }
    match serde_json::from_str(r#"{"error": "must be signed in"}"#).unwrap() {
        R::ErrorResponse(e) => assert_eq!(e.error, "must be signed in"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn cocalc_answers_keep_every_digit_and_refuse_what_is_none_of_the_shapes() {
    use cocalc::types::GetPurchasesResponse as R;
    let row = r#"{"id": 1, "time": "2023-08-07T22:37:17.011Z", "service": "credit", "cost": 0.1234567890123456789}"#;
    for body in [
        format!("[{row}]"),
        format!(
            r#"{{"purchases": [{row}], "balance": -1234567890.123456789, "extra": {{"a": [1]}}}}"#
        ),
    ] {
        let rows = match serde_json::from_str(&body).unwrap() {
            R::PurchaseList(rows) => rows.0,
            R::PurchasesWithBalance(b) => {
                assert_eq!(b.balance, Some(dec("-1234567890.123456789")));
                b.purchases
            }
            other => panic!("{other:?}"),
        };
        assert_eq!(rows[0].cost, Some(dec("0.1234567890123456789")), "{body}");
    }
    // Both `purchases` and `error`: the purchases win, as in the spec's order of shapes.
    let both = format!(r#"{{"error": "x", "purchases": [{row}]}}"#);
    assert!(matches!(
        serde_json::from_str(&both).unwrap(),
        R::PurchasesWithBalance(_)
    ));
    for bad in [
        r#"{"balance": 1}"#.to_string(),
        r#"{"purchases": [], "purchases": []}"#.to_string(),
        r#""text""#.to_string(),
        r#"{"error": 5}"#.to_string(),
        format!("[{row}, 7]"),
    ] {
        assert!(serde_json::from_str::<R>(&bad).is_err(), "{bad}");
    }
    // What the type serializes reads back as the same value.
    let value: R =
        serde_json::from_str(&format!(r#"{{"balance": 1.50, "purchases": [{row}]}}"#)).unwrap();
    let again: R = serde_json::from_str(&serde_json::to_string(&value).unwrap()).unwrap();
    assert_eq!(value, again);
}

#[test]
fn a_wrong_amount_is_a_decode_error_naming_the_field() {
    let bad = KIT_PAGE.replace("\"tax\": 0", "\"tax\": \"ten\"");
    let err = serde_json::from_str::<kit::types::ListPurchasesResponse>(&bad).unwrap_err();
    assert!(err.to_string().contains("ten"), "{err}");
}

#[test]
fn the_clients_build_without_a_preinstalled_crypto_provider() {
    // reqwest uses rustls without a built-in provider; the constructors install ring.
    use progenitor_client::ClientInfo;
    use purchase_clients::{CoCalcClient, KitClient, SubtotalClient, TogaiClient};
    let k = KitClient::new("token").unwrap();
    let s = SubtotalClient::new("key", "token").unwrap();
    let t = TogaiClient::new("token").unwrap();
    let c = CoCalcClient::new("key").unwrap();
    assert_eq!(k.generated().baseurl(), "https://api.kit.com");
    assert_eq!(s.generated().baseurl(), "https://api.subtotal.com");
    assert_eq!(t.generated().baseurl(), "https://api.togai.com");
    assert_eq!(c.generated().baseurl(), "https://cocalc.com");
    assert_eq!(kit::Client::api_version(), "4.0");
}
