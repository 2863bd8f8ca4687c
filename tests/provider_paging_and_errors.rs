//! Each provider's own paging and error shapes: CoCalc's offset in the POST body and HTTP-200
//! errors and throttling, Subtotal's `starting_after` and 422s, Togai's `nextToken`.

mod common;

use futures::{StreamExt, TryStreamExt};
use purchase_clients::{ApiErrorBody, CoCalcClient, Error, Provider, SubtotalClient, TogaiClient};
use serde_json::{json, Value};
use std::time::Duration;
use wiremock::matchers::{body_json, header, method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

const COCALC_KEY: &str = "sk-cocalc-secret";
const SUBTOTAL_KEY: &str = "subtotal-key-secret";
const SUBTOTAL_TOKEN: &str = "subtotal-connection-secret";
const TOGAI_TOKEN: &str = "togai-token-secret";

fn cocalc_row(id: i64) -> Value {
    json!({"id": id, "time": "2023-08-07T22:37:17.011Z", "service": "credit",
           "cost": format!("0.0{id}").parse::<f64>().unwrap(),
           "project_id": "d0381938-38be-11ee-9202-2ae9a0a47fef", "invoice_id": null})
}

#[tokio::test]
async fn cocalc_pages_by_offset_in_the_post_body_with_basic_auth() {
    let server = MockServer::start().await;
    // base64("sk-cocalc-secret:")
    let basic = "Basic c2stY29jYWxjLXNlY3JldDo=";
    for (offset, ids) in [(0, vec![9, 8]), (2, vec![7, 6]), (4, vec![5])] {
        let rows: Vec<_> = ids.into_iter().map(cocalc_row).collect();
        Mock::given(method("POST"))
            .and(path("/api/v2/purchases/get-purchases"))
            .and(header("authorization", basic))
            .and(header("content-type", "application/json"))
            .and(body_json(json!({"limit": 2, "offset": offset})))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(json!({"balance": 10.5, "purchases": rows})),
            )
            .mount(&server)
            .await;
    }
    let client = CoCalcClient::with_options(COCALC_KEY, common::options(&server, "")).unwrap();
    let all: Vec<_> = client.purchases(2).try_collect().await.unwrap();
    let ids: Vec<_> = all.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["9", "8", "7", "6", "5"]);
    assert_eq!(all[0].total.unwrap().to_string(), "0.09");
    assert_eq!(all[0].currency.as_deref(), Some("USD"));
    assert_eq!(
        all[0].customer.as_deref(),
        Some("d0381938-38be-11ee-9202-2ae9a0a47fef")
    );
    assert_eq!(
        common::requests(&server).await.len(),
        3,
        "the short third page is the last"
    );
}

#[tokio::test]
async fn cocalc_throttle_reply_is_retried_after_the_stated_delay() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "error": "too many requests to purchases/get-purchases; try again in 0.05 seconds"
        })))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([cocalc_row(1)])))
        .mount(&server)
        .await;
    let client = CoCalcClient::with_options(COCALC_KEY, common::options(&server, "")).unwrap();
    let all: Vec<_> = client.purchases(100).try_collect().await.unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(common::requests(&server).await.len(), 2);
}

#[tokio::test]
async fn cocalc_error_replies_are_errors_not_data() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"error": "must be signed in"})),
        )
        .mount(&server)
        .await;
    let client = CoCalcClient::with_options(COCALC_KEY, common::options(&server, "")).unwrap();
    let err = client.purchases(100).next().await.unwrap().unwrap_err();
    assert!(
        matches!(
            err,
            Error::Unauthorized {
                provider: Provider::CoCalc,
                status: 200,
                ..
            }
        ),
        "{err}"
    );
    common::assert_no_secret(&err, &[COCALC_KEY]);

    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"error": "limit must be at most 500"})),
        )
        .mount(&server)
        .await;
    let client = CoCalcClient::with_options(COCALC_KEY, common::options(&server, "")).unwrap();
    match client.purchases(100).next().await.unwrap().unwrap_err() {
        Error::Api {
            body: ApiErrorBody::CoCalc(e),
            status: 200,
            ..
        } => assert_eq!(e.error, "limit must be at most 500"),
        other => panic!("{other}"),
    }
}

#[tokio::test]
async fn cocalc_a_server_ignoring_the_offset_does_not_loop() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!([cocalc_row(1), cocalc_row(2)])),
        )
        .mount(&server)
        .await;
    let client = CoCalcClient::with_options(COCALC_KEY, common::options(&server, "")).unwrap();
    let results: Vec<_> = client.purchases(2).take(50).collect().await;
    assert!(matches!(
        results.last().unwrap(),
        Err(Error::PaginationLoop { .. })
    ));
    assert_eq!(common::requests(&server).await.len(), 2);
}

fn subtotal_row(id: &str) -> Value {
    json!({"purchase_id": id, "date": "2024-01-01T00:00:00Z", "total": "9.34"})
}

#[tokio::test]
async fn subtotal_pages_with_starting_after_and_sends_key_and_token() {
    let server = MockServer::start().await;
    let pages = [
        (None, vec!["p3", "p2"], true),
        (Some("p2"), vec!["p1"], false),
    ];
    for (after, ids, more) in pages {
        let m = Mock::given(method("GET"))
            .and(path("/purchases"))
            .and(query_param("limit", "2"))
            .and(header("x-api-key", SUBTOTAL_KEY))
            .and(header(
                "authorization",
                format!("Bearer {SUBTOTAL_TOKEN}").as_str(),
            ));
        let m = match after {
            None => m.and(query_param_is_missing("starting_after")),
            Some(a) => m.and(query_param("starting_after", a)),
        };
        let rows: Vec<_> = ids.into_iter().map(subtotal_row).collect();
        m.respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"has_more": more, "purchases": rows})),
        )
        .mount(&server)
        .await;
    }
    let client =
        SubtotalClient::with_options(SUBTOTAL_KEY, SUBTOTAL_TOKEN, common::options(&server, ""))
            .unwrap();
    let all: Vec<_> = client.purchases(2).try_collect().await.unwrap();
    let ids: Vec<_> = all.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["p3", "p2", "p1"]);
    assert_eq!(all[0].total.unwrap().to_string(), "9.34");
    assert!(all[0].time.is_some());
}

#[tokio::test]
async fn subtotal_422_decodes_into_the_validation_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(422).set_body_json(json!({"detail": [
            {"loc": ["query", "limit"], "msg": "Input should be less than or equal to 50", "type": "less_than_equal"}
        ]})))
        .mount(&server)
        .await;
    let client =
        SubtotalClient::with_options(SUBTOTAL_KEY, SUBTOTAL_TOKEN, common::options(&server, ""))
            .unwrap();
    let err = client.purchases(50).next().await.unwrap().unwrap_err();
    match &err {
        Error::Api {
            status: 422,
            body: ApiErrorBody::Subtotal(v),
            ..
        } => {
            assert_eq!(v.detail[0].msg, "Input should be less than or equal to 50");
        }
        other => panic!("{other}"),
    }
    assert!(err.to_string().contains("less_than_equal"), "{err}");
    common::assert_no_secret(&err, &[SUBTOTAL_KEY, SUBTOTAL_TOKEN]);
}

#[tokio::test]
async fn subtotal_limit_over_50_is_refused_before_any_request() {
    let server = MockServer::start().await;
    let client =
        SubtotalClient::with_options(SUBTOTAL_KEY, SUBTOTAL_TOKEN, common::options(&server, ""))
            .unwrap();
    assert!(matches!(
        client.purchases(51).next().await,
        Some(Err(Error::InvalidArgument(_)))
    ));
    assert!(common::requests(&server).await.is_empty());
}

fn togai_item(id: &str) -> Value {
    json!({"id": id, "status": "SUCCESS", "createdAt": "2023-11-07T05:31:56Z", "price": 12.5, "invoiceCurrency": "EUR"})
}

#[tokio::test]
async fn togai_pages_with_next_token_and_names_the_account() {
    let server = MockServer::start().await;
    for (token, ids, next) in [
        (None, vec!["a", "b"], Some("n1")),
        (Some("n1"), vec!["c"], None),
    ] {
        let m = Mock::given(method("GET"))
            .and(path("/accounts/ACC%2F1/purchases"))
            .and(query_param("pageSize", "2"))
            .and(header(
                "authorization",
                format!("Bearer {TOGAI_TOKEN}").as_str(),
            ));
        let m = match token {
            None => m.and(query_param_is_missing("nextToken")),
            Some(t) => m.and(query_param("nextToken", t)),
        };
        let mut body = json!({"data": ids.into_iter().map(togai_item).collect::<Vec<_>>()});
        if let Some(n) = next {
            body["nextToken"] = json!(n);
        }
        m.respond_with(ResponseTemplate::new(200).set_body_json(body))
            .mount(&server)
            .await;
    }
    let client = TogaiClient::with_options(TOGAI_TOKEN, common::options(&server, "")).unwrap();
    let all: Vec<_> = client.purchases("ACC/1", 2).try_collect().await.unwrap();
    let ids: Vec<_> = all.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["a", "b", "c"]);
    assert_eq!(
        all[0].customer.as_deref(),
        Some("ACC/1"),
        "the account the listing was for"
    );
    assert_eq!(all[0].currency.as_deref(), Some("EUR"));
    assert_eq!(all[0].status.as_deref(), Some("SUCCESS"));
    assert_eq!(all[0].total.unwrap().to_string(), "12.5");
}

#[tokio::test]
async fn togai_404_carries_the_message_and_a_slow_server_times_out() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/purchases/missing"))
        .respond_with(
            ResponseTemplate::new(404).set_body_json(json!({"message": "Purchase not found"})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/purchases/slow"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(2)))
        .mount(&server)
        .await;
    let options = common::options(&server, "").timeout(Duration::from_millis(200));
    let client = TogaiClient::with_options(TOGAI_TOKEN, options).unwrap();
    match client.get_purchase("missing").await.unwrap_err() {
        Error::Api {
            status: 404,
            body: ApiErrorBody::Togai(e),
            operation: "get_purchase",
            ..
        } => {
            assert_eq!(e.message, "Purchase not found");
        }
        other => panic!("{other}"),
    }
    let err = client.get_purchase("slow").await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Timeout {
                provider: Provider::Togai
            }
        ),
        "{err}"
    );
    common::assert_no_secret(&err, &[TOGAI_TOKEN]);
}
