//! The fixture provider Ledger, added through the registry alone (CONTRIBUTING.md): its
//! client pages by cursor with a bearer token, and the generic code serves it like any other.
#![cfg(all(feature = "fixture-providers", feature = "mock"))]

use futures::TryStreamExt;
use purchase_clients::mock::{demo_client, MockConfig, MockServer};
use purchase_clients::{ClientOptions, Provider};
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, ResponseTemplate};

#[tokio::test]
async fn ledger_pages_by_cursor_with_its_bearer_token() {
    let server = wiremock::MockServer::start().await;
    let entry = |id: &str| serde_json::json!({"id": id, "created": "2024-01-01T00:00:00Z", "amount": "1.10", "currency": "EUR"});
    Mock::given(method("GET"))
        .and(path("/v1/purchases"))
        .and(query_param("cursor", "c2"))
        .and(header("authorization", "Bearer ledger-1"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({"items": [entry("e3")], "next": null})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/purchases"))
        .and(header("authorization", "Bearer ledger-1"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(
                serde_json::json!({"items": [entry("e1"), entry("e2")], "next": "c2"}),
            ),
        )
        .mount(&server)
        .await;
    let client = purchase_clients::AnyClient::with_credentials(
        Provider::Ledger,
        &["ledger-1".into()],
        None,
        ClientOptions::default().base_url(server.uri()),
    )
    .unwrap();
    let all: Vec<_> = client.purchases(Some(2)).try_collect().await.unwrap();
    let ids: Vec<&str> = all.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["e1", "e2", "e3"]);
    assert_eq!(all[0].total.unwrap().to_string(), "1.10");
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests[0].url.query(), Some("limit=2"));
    assert_eq!(requests[1].url.query(), Some("cursor=c2&limit=2"));
}

#[tokio::test]
async fn the_embedded_mock_serves_ledger_like_any_provider() {
    let mock = MockServer::start("127.0.0.1:0".parse().unwrap(), MockConfig::default())
        .await
        .unwrap();
    let options = ClientOptions::default().base_url(mock.base_url(Provider::Ledger));
    let all: Vec<_> = demo_client(Provider::Ledger, options)
        .unwrap()
        .purchases(Some(7))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), mock.data().listed(Provider::Ledger));
    assert!(Provider::ALL.contains(&Provider::Ledger));
    assert_eq!("ledger".parse::<Provider>().unwrap(), Provider::Ledger);
}
