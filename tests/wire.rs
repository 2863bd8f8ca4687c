//! What goes on the wire, operation by operation: method, path (with percent-encoded
//! parameters), query string, JSON body, content type and each provider's authentication;
//! and every documented error status decoding into its typed body.

mod common;

/// The first page of a listing, which must come.
async fn first_page<T>(
    mut pages: purchase_clients::paginate::PageStream<'static, T>,
) -> purchase_clients::paginate::Page<T> {
    use futures::StreamExt;
    pages.next().await.expect("a first page").unwrap()
}

use purchase_clients::{
    ApiErrorBody, CoCalcClient, Error, KitClient, Provider, SubtotalClient, TogaiClient,
};
use serde_json::json;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

async fn answering(body: serde_json::Value) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(&server)
        .await;
    server
}

async fn only_request(server: &MockServer) -> Request {
    let mut requests = common::requests(server).await;
    assert_eq!(requests.len(), 1);
    requests.remove(0)
}

fn query(r: &Request) -> Vec<(String, String)> {
    r.url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

#[tokio::test]
async fn cocalc_get_purchases_posts_json_with_basic_auth() {
    let server = answering(json!([])).await;
    let client = CoCalcClient::with_options("key-1", common::options(&server, "/prefix")).unwrap();
    // Generated structs are non-exhaustive: callers build them with the generated builder.
    let request: purchase_clients::cocalc::types::GetPurchasesRequest =
        purchase_clients::cocalc::types::GetPurchasesRequest::builder()
            .limit(std::num::NonZeroU64::new(7).unwrap())
            .offset(Some(14u64))
            .service(Some("project-upgrade".into()))
            .project_id(Some(
                "d0381938-38be-11ee-9202-2ae9a0a47fef"
                    .parse::<uuid::Uuid>()
                    .unwrap(),
            ))
            .cutoff(Some(
                "2024-01-02T03:04:05Z"
                    .parse::<chrono::DateTime<chrono::Utc>>()
                    .unwrap(),
            ))
            .this_month(Some(false))
            .month_statement_id(Some(3i64))
            .try_into()
            .unwrap();
    client.get_purchases(request).await.unwrap();
    let r = only_request(&server).await;
    assert_eq!(r.method.as_str(), "POST");
    assert_eq!(r.url.path(), "/prefix/api/v2/purchases/get-purchases");
    assert!(
        query(&r).is_empty(),
        "CoCalc reads parameters from the body only"
    );
    assert_eq!(r.headers["content-type"], "application/json");
    assert_eq!(r.headers["authorization"], "Basic a2V5LTE6"); // base64("key-1:")
    let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(
        body,
        json!({"limit": 7, "offset": 14, "service": "project-upgrade",
               "project_id": "d0381938-38be-11ee-9202-2ae9a0a47fef",
               "cutoff": "2024-01-02T03:04:05Z", "thisMonth": false, "month_statement_id": 3}),
        "absent optionals are omitted"
    );
}

#[tokio::test]
async fn subtotal_list_purchases_sends_its_query_and_both_credentials() {
    let server = answering(json!({"has_more": false, "purchases": []})).await;
    let client =
        SubtotalClient::with_options("api-key-1", "conn-token-1", common::options(&server, ""))
            .unwrap();
    let request = client
        .list_purchases()
        .page_size(25)
        .start_from("01J51S0JYV6N7K1030CV1ZJH30");
    first_page(request.pages()).await;
    first_page(client.list_purchases().pages()).await;
    let requests = common::requests(&server).await;
    let (first, second) = (&requests[0], &requests[1]);
    assert_eq!(first.method.as_str(), "GET");
    assert_eq!(first.url.path(), "/purchases");
    assert_eq!(
        query(first),
        [
            ("limit".into(), "25".into()),
            ("starting_after".into(), "01J51S0JYV6N7K1030CV1ZJH30".into())
        ]
    );
    assert_eq!(query(second), [("limit".to_string(), "50".to_string())]);
    for r in [first, second] {
        assert_eq!(r.headers["x-api-key"], "api-key-1");
        assert_eq!(r.headers["authorization"], "Bearer conn-token-1");
        assert!(r.body.is_empty());
    }
}

#[tokio::test]
async fn togai_path_parameters_are_percent_encoded_into_one_segment() {
    let purchase = json!({"id": "x", "accountId": "a", "pricePlanId": "p", "pricePlanVersion": 1,
                          "createdAt": "2020-01-01T00:00:00Z"});
    let server = answering(purchase).await;
    let client = TogaiClient::with_options("tok-1", common::options(&server, "/togai")).unwrap();
    for (id, path) in [
        (
            "purchase.1zYnCiM9Bpg.lv25y",
            "/togai/purchases/purchase.1zYnCiM9Bpg.lv25y",
        ),
        ("a/b", "/togai/purchases/a%2Fb"),
        ("a?b=c", "/togai/purchases/a%3Fb=c"),
        ("with space", "/togai/purchases/with%20space"),
        ("a..b", "/togai/purchases/a..b"),
        ("100%", "/togai/purchases/100%25"),
    ] {
        server.reset().await;
        Mock::given(any())
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "x", "accountId": "a", "pricePlanId": "p", "pricePlanVersion": 1, "createdAt": "2020-01-01T00:00:00Z"})))
            .mount(&server)
            .await;
        client
            .get_purchase(id)
            .await
            .unwrap_or_else(|e| panic!("{id}: {e}"));
        let r = only_request(&server).await;
        assert_eq!(r.url.path(), path, "{id}");
        assert!(
            r.url.query().is_none(),
            "{id}: nothing leaked into the query"
        );
        assert_eq!(r.headers["authorization"], "Bearer tok-1");
    }
    // Ids the URL parser would fold away are refused before anything is sent.
    server.reset().await;
    for id in ["..", ".", ""] {
        let err = client.get_purchase(id).await.unwrap_err();
        assert!(matches!(err, Error::InvalidArgument(_)), "{id:?}: {err}");
    }
    assert!(common::requests(&server).await.is_empty());
    // Longer than the documented 50 characters.
    let err = client.get_purchase(&"x".repeat(51)).await.unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(_)), "{err}");
}

#[tokio::test]
async fn togai_list_purchases_sends_page_size_and_next_token_only_when_given() {
    let server = answering(json!({"data": []})).await;
    let client = TogaiClient::with_options("tok-1", common::options(&server, "")).unwrap();
    let request = client
        .list_purchases()
        .scope("ACC 1/2")
        .start_from("tok/en=");
    first_page(request.pages()).await;
    first_page(
        client
            .list_purchases()
            .scope("ACC00001")
            .page_size(1)
            .pages(),
    )
    .await;
    let requests = common::requests(&server).await;
    assert_eq!(requests[0].url.path(), "/accounts/ACC%201%2F2/purchases");
    assert_eq!(
        query(&requests[0]),
        [
            ("nextToken".into(), "tok/en=".into()),
            ("pageSize".into(), "100".into())
        ]
    );
    assert_eq!(requests[1].url.path(), "/accounts/ACC00001/purchases");
    assert_eq!(
        query(&requests[1]),
        [("pageSize".to_string(), "1".to_string())]
    );
    assert!(requests.iter().all(|r| r.method.as_str() == "GET"));
}

#[tokio::test]
async fn kit_list_purchases_sends_cursor_page_size_and_flags() {
    let page = json!({"purchases": [], "pagination": {"has_previous_page": false, "has_next_page": false,
                      "start_cursor": "a", "end_cursor": "b", "per_page": 10}});
    let server = answering(page).await;
    let client = KitClient::with_options("kit-tok", common::options(&server, "")).unwrap();
    first_page(
        client
            .list_purchases()
            .page_size(10)
            .start_from("WzFd")
            .pages(),
    )
    .await;
    client
        .generated()
        .list_purchases()
        .include_total_count(true)
        .before("WzNd")
        .send()
        .await
        .unwrap();
    let requests = common::requests(&server).await;
    assert_eq!(requests[0].url.path(), "/v4/purchases");
    assert_eq!(
        query(&requests[0]),
        [
            ("after".into(), "WzFd".into()),
            ("per_page".into(), "10".into())
        ]
    );
    assert_eq!(
        query(&requests[1]),
        [
            ("before".into(), "WzNd".into()),
            ("include_total_count".into(), "true".into())
        ]
    );
    for r in &requests {
        assert_eq!(r.headers["authorization"], "Bearer kit-tok");
        assert_eq!(r.headers["accept"], "application/json");
    }
}

#[tokio::test]
async fn togai_every_documented_error_status_decodes_into_its_message() {
    for status in [400u16, 401, 403, 404, 429] {
        let server = MockServer::start().await;
        Mock::given(any())
            .respond_with(
                ResponseTemplate::new(status)
                    .set_body_json(json!({"message": format!("m{status}")})),
            )
            .mount(&server)
            .await;
        let options = common::options(&server, "").retry(purchase_clients::RetryConfig::disabled());
        let client = TogaiClient::with_options("tok-1", options).unwrap();
        let err = client.get_purchase("p").await.unwrap_err();
        match (status, &err) {
            (401 | 403, Error::Unauthorized { message, .. }) => {
                assert_eq!(message, &format!("m{status}"))
            }
            (
                429,
                Error::RateLimited {
                    provider: Provider::Togai,
                    ..
                },
            ) => {}
            (
                400 | 404,
                Error::Api {
                    body: ApiErrorBody::Togai(e),
                    ..
                },
            ) => assert_eq!(e.message, format!("m{status}")),
            _ => panic!("{status}: {err}"),
        }
    }
}

#[tokio::test]
async fn kit_401_and_subtotal_422_and_cocalc_error_decode_into_their_typed_bodies() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(json!({"errors": ["The access token is invalid"]})),
        )
        .mount(&server)
        .await;
    let kit = KitClient::with_options("k", common::options(&server, "")).unwrap();
    match kit.generated().list_purchases().send().await.unwrap_err() {
        progenitor_client::Error::ErrorResponse(e) => {
            assert_eq!(e.errors, ["The access token is invalid"])
        }
        other => panic!("{other}"),
    }

    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(422).set_body_json(json!({"detail": [{"loc": ["header", "x-api-key"], "msg": "Field required", "type": "missing"}]})))
        .mount(&server)
        .await;
    let subtotal = SubtotalClient::with_options("k", "t", common::options(&server, "")).unwrap();
    match subtotal
        .generated()
        .list_purchases()
        .send()
        .await
        .unwrap_err()
    {
        progenitor_client::Error::ErrorResponse(e) => {
            assert_eq!(e.detail[0].msg, "Field required");
            assert_eq!(e.detail[0].loc.len(), 2);
        }
        other => panic!("{other}"),
    }

    let server = answering(json!({"error": "must be signed in"})).await;
    let cocalc = CoCalcClient::with_options("k", common::options(&server, "")).unwrap();
    let body = purchase_clients::cocalc::types::GetPurchasesRequest::default();
    match cocalc
        .generated()
        .get_purchases()
        .body(body)
        .send()
        .await
        .unwrap()
        .into_inner()
    {
        purchase_clients::cocalc::types::GetPurchasesResponse::ErrorResponse(e) => {
            assert_eq!(e.error, "must be signed in")
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_client_of_ones_own_carries_its_headers_and_the_crates_credentials() {
    let page = json!({"purchases": [], "pagination": {"has_previous_page": false, "has_next_page": false,
                      "start_cursor": null, "end_cursor": null, "per_page": 10}});
    let server = answering(page).await;
    purchase_clients::tls::install_crypto_provider();
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("x-proxy-tag", "own-client".parse().unwrap());
    let own = reqwest::Client::builder()
        .default_headers(headers)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let options = common::options(&server, "").http_client(own);
    let client = KitClient::with_options("kit-tok", options).unwrap();
    first_page(client.list_purchases().page_size(10).pages()).await;
    let request = only_request(&server).await;
    // The request went through the client given: its default header is there, and the
    // crate still added the credential and its own headers.
    assert_eq!(request.headers["x-proxy-tag"], "own-client");
    assert_eq!(request.headers["authorization"], "Bearer kit-tok");
    assert_eq!(request.headers["accept"], "application/json");
}
