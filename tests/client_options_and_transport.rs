//! What every client takes from `ClientOptions` and the transport (shown with Kit's client, the
//! provider matrix covers the rest): the user agent, the time budget, retries off, refused
//! connections, configuration errors.

mod common;

use futures::{StreamExt, TryStreamExt};
use purchase_clients::{Error, KitClient, Provider, RetryConfig};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use wiremock::matchers::{header, method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "kit-secret-token-123";

fn purchase(id: u64) -> Value {
    json!({
        "id": id, "transaction_id": format!("t-{id}"), "status": "paid",
        "email_address": format!("buyer{id}@example.com"), "subscriber_id": 7, "currency": "USD",
        "transaction_time": "2023-02-17T11:43:55Z", "subtotal": 10, "discount": 0, "tax": 1.05,
        "total": format!("{id}.05").parse::<f64>().unwrap(),
        "products": []
    })
}

fn page(ids: std::ops::RangeInclusive<u64>, next: Option<&str>) -> Value {
    json!({
        "purchases": ids.map(purchase).collect::<Vec<_>>(),
        "pagination": {
            "has_previous_page": false, "has_next_page": next.is_some(),
            "start_cursor": "s", "end_cursor": next.unwrap_or("end"), "per_page": 2
        }
    })
}

async fn three_pages(server: &MockServer) {
    let mount = |after: Option<&'static str>, body: Value| async move {
        let m = Mock::given(method("GET")).and(path("/v4/purchases"));
        let m = match after {
            None => m.and(query_param_is_missing("after")),
            Some(a) => m.and(query_param("after", a)),
        };
        m.respond_with(ResponseTemplate::new(200).set_body_json(body))
            .mount(server)
            .await;
    };
    mount(None, page(1..=2, Some("c1"))).await;
    mount(Some("c1"), page(3..=4, Some("c2"))).await;
    mount(Some("c2"), page(5..=5, None)).await;
}

fn client(server: &MockServer) -> KitClient {
    KitClient::with_options(TOKEN, common::options(server, "")).unwrap()
}

#[tokio::test]
async fn a_multi_page_listing_returns_every_purchase_once_in_order() {
    let server = MockServer::start().await;
    three_pages(&server).await;
    let all: Vec<_> = client(&server).purchases(2).try_collect().await.unwrap();
    let ids: Vec<_> = all.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["1", "2", "3", "4", "5"]);
    assert_eq!(all[2].total.unwrap().to_string(), "3.05");
    assert_eq!(all[0].customer.as_deref(), Some("buyer1@example.com"));
    assert_eq!(all[0].provider, Provider::Kit);

    let requests = common::requests(&server).await;
    assert_eq!(requests.len(), 3);
    for r in &requests {
        assert_eq!(
            r.headers["authorization"],
            format!("Bearer {TOKEN}").as_str()
        );
        assert_eq!(
            r.url
                .query_pairs()
                .find(|(k, _)| k == "per_page")
                .unwrap()
                .1,
            "2"
        );
        let ua = r.headers["user-agent"].to_str().unwrap();
        assert!(ua.starts_with("purchase-clients/"), "{ua}");
    }
}

#[tokio::test]
async fn a_page_size_out_of_bounds_is_refused_before_any_request() {
    let server = MockServer::start().await;
    for size in [0, 1001] {
        let err = client(&server)
            .purchases(size)
            .next()
            .await
            .unwrap()
            .unwrap_err();
        assert!(matches!(err, Error::InvalidArgument(_)), "{err}");
    }
    assert!(common::requests(&server).await.is_empty());
}

#[tokio::test]
async fn the_time_budget_stops_retrying_before_a_long_retry_after() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "3600"))
        .mount(&server)
        .await;
    let started = Instant::now();
    let err = client(&server)
        .purchases(10)
        .next()
        .await
        .unwrap()
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5));
    match err {
        Error::RateLimited { retry_after, .. } => {
            assert_eq!(retry_after, Some(Duration::from_secs(3600)))
        }
        other => panic!("{other}"),
    }
    assert_eq!(common::requests(&server).await.len(), 1);
}

#[tokio::test]
async fn retries_can_be_turned_off() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(502))
        .mount(&server)
        .await;
    let options = common::options(&server, "").retry(RetryConfig::disabled());
    let err = KitClient::with_options(TOKEN, options)
        .unwrap()
        .purchases(10)
        .next()
        .await
        .unwrap()
        .unwrap_err();
    assert!(matches!(err, Error::Api { status: 502, .. }), "{err}");
    assert_eq!(common::requests(&server).await.len(), 1);
}

#[tokio::test]
async fn a_401_is_the_authentication_error_with_kits_message() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(json!({"errors": ["The access token is invalid"]})),
        )
        .mount(&server)
        .await;
    let err = client(&server)
        .purchases(10)
        .next()
        .await
        .unwrap()
        .unwrap_err();
    match &err {
        Error::Unauthorized {
            provider,
            status,
            message,
        } => {
            assert_eq!((*provider, *status), (Provider::Kit, 401));
            assert_eq!(message, "The access token is invalid");
        }
        other => panic!("{other}"),
    }
    common::assert_no_secret(&err, &[TOKEN]);
}

#[tokio::test]
async fn a_refused_connection_is_a_transport_error_after_retries() {
    // A port nothing listens on: bind, note the port, close.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let options = purchase_clients::ClientOptions::default()
        .base_url(format!("http://127.0.0.1:{port}"))
        .retry(
            RetryConfig::standard()
                .with_max_attempts(2)
                .with_initial_backoff(Duration::from_millis(5)),
        );
    let err = KitClient::with_options(TOKEN, options)
        .unwrap()
        .purchases(10)
        .next()
        .await
        .unwrap()
        .unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err}");
    common::assert_no_secret(&err, &[TOKEN]);
}

#[test]
fn a_remote_plain_http_base_url_is_refused() {
    let options = purchase_clients::ClientOptions::default().base_url("http://api.kit.com");
    let err = KitClient::with_options(TOKEN, options).unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err}");
}

#[test]
fn a_missing_environment_credential_names_the_variable() {
    // SAFETY: this test binary's other tests do not read KIT_ACCESS_TOKEN.
    unsafe { std::env::remove_var("KIT_ACCESS_TOKEN") };
    let err = KitClient::from_env(Default::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "missing credential: set the environment variable KIT_ACCESS_TOKEN"
    );
}

#[test]
fn the_client_debug_output_hides_the_token() {
    let kit = KitClient::new(TOKEN).unwrap();
    assert!(!format!("{kit:?}").contains(TOKEN));
}
