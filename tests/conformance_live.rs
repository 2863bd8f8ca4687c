//! Live conformance, exercised against mock APIs (tests never touch the network).
#![cfg(feature = "conform")]

mod common;

use purchase_clients::conform::live::{check_live, LiveCredentials, LiveOutcome};
use purchase_clients::conform::{KnownDeviations, Rule};
use purchase_clients::{Error, Provider, Secret};
use serde_json::json;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn kit_page(extra: serde_json::Value) -> serde_json::Value {
    let mut purchase = json!({
        "id": 1, "transaction_id": "t", "status": "paid", "email_address": "a@b.c",
        "subscriber_id": 1, "currency": "USD", "transaction_time": "2023-02-17T11:43:55Z",
        "subtotal": 1, "discount": 0, "tax": 0, "total": 1.5, "products": []
    });
    for (k, v) in extra.as_object().unwrap() {
        purchase[k] = v.clone();
    }
    json!({"purchases": [purchase], "pagination": {"has_previous_page": false, "has_next_page": false,
           "start_cursor": "a", "end_cursor": "b", "per_page": 5}})
}

fn kit_credentials() -> LiveCredentials {
    LiveCredentials::default().with(Provider::Kit, vec![Secret::new("live-kit-token")], None)
}

#[tokio::test]
async fn without_credentials_each_provider_is_skipped_with_the_variables_to_set() {
    for provider in Provider::ALL.iter().copied() {
        let paging = purchase_clients::providers::paging(provider);
        // The scope's variable if it has one (the last it asks for), else its last credential's.
        let var = match paging.scope {
            Some(s) => s.variable,
            None => provider.credential_variables().last().unwrap(),
        };
        let outcome = check_live(
            provider,
            &LiveCredentials::default(),
            &Default::default(),
            &KnownDeviations::default(),
        )
        .await;
        match outcome {
            LiveOutcome::Skipped(why) => assert!(why.contains(var), "{why}"),
            other => panic!("{provider}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_conforming_live_page_has_no_findings() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v4/purchases"))
        .and(header("authorization", "Bearer live-kit-token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(kit_page(json!({}))))
        .mount(&server)
        .await;
    let outcome = check_live(
        Provider::Kit,
        &kit_credentials(),
        &common::options(&server, ""),
        &KnownDeviations::builtin(),
    )
    .await;
    let LiveOutcome::Checked(reports) = outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].sample, "list_purchases 200 (live)");
    assert!(reports[0].schema_valid && reports[0].decodes && reports[0].round_trips);
    assert!(reports[0].findings.is_empty(), "{:?}", reports[0].findings);
    let requests = common::requests(&server).await;
    assert_eq!(
        requests[0].url.query(),
        Some("per_page=5"),
        "one small page, read-only"
    );
}

#[tokio::test]
async fn undescribed_fields_and_schema_violations_in_a_live_page_are_reported() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(kit_page(json!({"loyalty_points": 3, "tax": "zero"}))),
        )
        .mount(&server)
        .await;
    let outcome = check_live(
        Provider::Kit,
        &kit_credentials(),
        &common::options(&server, ""),
        &KnownDeviations::builtin(),
    )
    .await;
    let LiveOutcome::Checked(reports) = outcome else {
        panic!("{outcome:?}")
    };
    let rules: Vec<Rule> = reports[0].new_findings().map(|f| f.rule).collect();
    assert!(rules.contains(&Rule::Schema), "{rules:?}");
    assert!(rules.contains(&Rule::Decode), "{rules:?}");
    let schema = reports[0]
        .findings
        .iter()
        .find(|f| f.rule == Rule::Schema)
        .unwrap();
    assert!(
        schema.detail.contains("/purchases/0/tax"),
        "{}",
        schema.detail
    );

    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(kit_page(json!({"loyalty_points": 3}))),
        )
        .mount(&server)
        .await;
    let outcome = check_live(
        Provider::Kit,
        &kit_credentials(),
        &common::options(&server, ""),
        &KnownDeviations::builtin(),
    )
    .await;
    let LiveOutcome::Checked(reports) = outcome else {
        panic!("{outcome:?}")
    };
    let unknown = reports[0]
        .findings
        .iter()
        .find(|f| f.rule == Rule::UndocumentedField)
        .unwrap_or_else(|| panic!("{:?}", reports[0].findings));
    assert!(
        unknown.detail.contains("/purchases/0/loyalty_points"),
        "{}",
        unknown.detail
    );
}

#[tokio::test]
async fn togai_live_follows_the_first_listed_purchase_to_its_own_endpoint() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/accounts/ACC1/purchases"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": [
            {"id": "pur/1", "status": "SUCCESS", "createdAt": "2023-11-07T05:31:56Z", "type": "ENTITLEMENT_GRANT"}
        ]})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/purchases/pur%2F1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "pur/1", "accountId": "ACC1", "pricePlanId": "pp", "pricePlanVersion": 1,
            "createdAt": "2023-11-07T05:31:56Z", "status": "SUCCESS", "type": "ENTITLEMENT_GRANT"
        })))
        .mount(&server)
        .await;
    let credentials = LiveCredentials::default().with(
        Provider::Togai,
        vec![Secret::new("t")],
        Some("ACC1".into()),
    );
    let outcome = check_live(
        Provider::Togai,
        &credentials,
        &common::options(&server, ""),
        &KnownDeviations::builtin(),
    )
    .await;
    let LiveOutcome::Checked(reports) = outcome else {
        panic!("{outcome:?}")
    };
    let samples: Vec<_> = reports.iter().map(|r| r.sample.as_str()).collect();
    assert_eq!(
        samples,
        ["list_purchases 200 (live)", "get_purchase 200 (live)"]
    );
    assert!(reports.iter().all(|r| r.findings.is_empty()), "{reports:?}");
}

#[tokio::test]
async fn a_refused_key_fails_the_live_check_without_showing_it() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"error": "must be signed in"})),
        )
        .mount(&server)
        .await;
    let credentials = LiveCredentials::default().with(
        Provider::CoCalc,
        vec![Secret::new("sk-live-secret")],
        None,
    );
    let outcome = check_live(
        Provider::CoCalc,
        &credentials,
        &common::options(&server, ""),
        &KnownDeviations::builtin(),
    )
    .await;
    match outcome {
        LiveOutcome::Failed(e @ Error::Unauthorized { .. }) => {
            common::assert_no_secret(&e, &["sk-live-secret"])
        }
        other => panic!("{other:?}"),
    }
}
