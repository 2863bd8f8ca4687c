//! The provider-independent entry point, the normalized record, and robustness against
//! whatever a server sends.

mod common;

use futures::{StreamExt, TryStreamExt};
use purchase_clients::{AnyClient, Error, KitClient, Provider, Purchase};
use serde_json::json;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// A Kit API with `total` purchases, paging by an offset cursor.
struct KitPages {
    total: u64,
}

impl Respond for KitPages {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let q = |name: &str| {
            request
                .url
                .query_pairs()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.to_string())
        };
        let per_page: u64 = q("per_page").and_then(|v| v.parse().ok()).unwrap_or(500);
        let start: u64 = q("after").and_then(|v| v.parse().ok()).unwrap_or(0);
        let end = (start + per_page).min(self.total);
        let purchases: Vec<_> = (start..end)
            .map(|i| {
                json!({
                    "id": i + 1, "transaction_id": format!("t{i}"), "status": "paid",
                    "email_address": "a@example.com", "subscriber_id": 1, "currency": "USD",
                    "transaction_time": "2023-02-17T11:43:55Z", "subtotal": 1, "discount": 0,
                    "tax": 0, "total": format!("{}.{:02}", i, i % 100), "products": []
                })
            })
            .collect();
        ResponseTemplate::new(200).set_body_json(json!({
            "purchases": purchases,
            "pagination": {"has_previous_page": start > 0, "has_next_page": end < self.total,
                           "start_cursor": start.to_string(), "end_cursor": end.to_string(), "per_page": per_page}
        }))
    }
}

#[tokio::test]
async fn a_listing_of_2500_purchases_takes_three_requests_of_1000() {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::method("GET"))
        .respond_with(KitPages { total: 2500 })
        .mount(&server)
        .await;
    let kit = KitClient::with_options("t", common::options(&server, "")).unwrap();
    let all: Vec<Purchase> = kit.purchases(1000).try_collect().await.unwrap();
    assert_eq!(all.len(), 2500);
    assert_eq!(all[2499].id, "2500");
    assert_eq!(
        all[1234].total.unwrap().to_string(),
        "1234.34",
        "string totals keep their digits"
    );
    assert_eq!(common::requests(&server).await.len(), 3);
}

#[tokio::test]
async fn any_client_lists_a_provider_from_the_environment() {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::method("GET"))
        .respond_with(KitPages { total: 7 })
        .mount(&server)
        .await;
    // SAFETY: no other test in this binary reads KIT_ACCESS_TOKEN.
    unsafe { std::env::set_var("KIT_ACCESS_TOKEN", "env-token") };
    let any = AnyClient::from_env(Provider::Kit, None, common::options(&server, "")).unwrap();
    assert_eq!(any.provider(), Provider::Kit);
    let all: Vec<_> = any.purchases(Some(3)).try_collect().await.unwrap();
    assert_eq!(all.len(), 7);
    let requests = common::requests(&server).await;
    assert_eq!(requests.len(), 3);
    assert_eq!(requests[0].headers["authorization"], "Bearer env-token");
}

#[tokio::test]
async fn any_client_for_togai_needs_an_account_and_the_others_take_none() {
    // SAFETY: no other test in this binary reads TOGAI_API_TOKEN or KIT_ACCESS_TOKEN.
    unsafe { std::env::set_var("TOGAI_API_TOKEN", "x") };
    let without = AnyClient::from_env(Provider::Togai, None, Default::default()).unwrap();
    let err = without.purchases(None).next().await.unwrap().unwrap_err();
    assert!(
        matches!(&err, Error::InvalidArgument(m) if m.contains("account")),
        "{err}"
    );
    assert!(AnyClient::from_env(Provider::Togai, Some("ACC1"), Default::default()).is_ok());
    unsafe { std::env::set_var("KIT_ACCESS_TOKEN", "x") };
    let err = AnyClient::from_env(Provider::Kit, Some("ACC1"), Default::default()).unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(_)), "{err}");
}

#[cfg(feature = "schemars")]
#[test]
fn the_normalized_record_has_a_json_schema() {
    let schema = serde_json::to_value(schemars::schema_for!(Purchase)).unwrap();
    let props = schema["properties"].as_object().unwrap();
    let names: Vec<_> = props.keys().map(String::as_str).collect();
    for field in [
        "provider", "id", "time", "total", "currency", "status", "customer",
    ] {
        assert!(names.contains(&field), "{field} missing from {names:?}");
    }
    assert!(
        !names.contains(&"record"),
        "the provider's record is not part of the JSON form"
    );
    assert_eq!(
        serde_json::to_value(Provider::CoCalc).unwrap(),
        json!("cocalc")
    );
}

#[tokio::test]
async fn nothing_a_server_sends_makes_the_client_panic() {
    let deep = "[".repeat(10_000);
    let bodies: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"\xff\xfe\x00garbage".to_vec(),
        deep.into_bytes(),
        b"null".to_vec(),
        br#"{"purchases": [{"id": 1e400}], "pagination": null}"#.to_vec(),
        br#"{"purchases": [], "pagination": {"has_next_page": true, "end_cursor": ""}}"#.to_vec(),
        br#"{"error": 5}"#.to_vec(),
    ];
    for body in bodies {
        for status in [200, 401, 404, 418, 500] {
            let server = MockServer::start().await;
            Mock::given(wiremock::matchers::any())
                .respond_with(
                    ResponseTemplate::new(status).set_body_raw(body.clone(), "application/json"),
                )
                .mount(&server)
                .await;
            let options =
                common::options(&server, "").retry(purchase_clients::RetryConfig::disabled());
            let kit = KitClient::with_options("t", options.clone()).unwrap();
            let first = kit.purchases(10).take(3).collect::<Vec<_>>().await;
            assert!(
                first.iter().any(|r| r.is_err()) || first.is_empty(),
                "status {status}"
            );
            let cocalc =
                purchase_clients::CoCalcClient::with_options("k", options.clone()).unwrap();
            let _ = cocalc.purchases(10).take(3).collect::<Vec<_>>().await;
            let togai = purchase_clients::TogaiClient::with_options("k", options.clone()).unwrap();
            let _ = togai.get_purchase("x").await;
            let subtotal =
                purchase_clients::SubtotalClient::with_options("k", "t", options).unwrap();
            let _ = subtotal.purchases(10).take(3).collect::<Vec<_>>().await;
        }
    }
}
