//! The same resilience behaviours, checked for every provider against a mock of its API.

mod common;

use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use purchase_clients::{
    ClientOptions, CoCalcClient, Error, KitClient, Purchase, RetryConfig, SubtotalClient,
    TogaiClient,
};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// What differs between providers: where the listing is, what a page looks like, how the
/// next page is asked for, and how a client is made.
#[derive(Clone, Copy)]
struct Api {
    name: &'static str,
    method: &'static str,
    path: &'static str,
    secrets: &'static [&'static str],
    /// A page holding purchases `ids`, with a cursor to the next page if `next`.
    page: fn(ids: &[u64], next: Option<&str>) -> Value,
    /// Which page a request asks for (`None` for the first).
    cursor: fn(&Request) -> Option<String>,
    /// The page size a request asks for.
    size: fn(&Request) -> Option<u64>,
    list: fn(ClientOptions, page_size: u32) -> BoxStream<'static, Result<Purchase, Error>>,
}

fn query(r: &Request, name: &str) -> Option<String> {
    r.url
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.to_string())
}

fn body_field(r: &Request, name: &str) -> Option<Value> {
    serde_json::from_slice::<Value>(&r.body)
        .ok()?
        .get(name)
        .cloned()
}

fn kit_page(ids: &[u64], next: Option<&str>) -> Value {
    json!({
        "purchases": ids.iter().map(|id| json!({
            "id": id, "transaction_id": "t", "status": "paid", "email_address": "a@b.c",
            "subscriber_id": 1, "currency": "USD", "transaction_time": "2023-02-17T11:43:55Z",
            "subtotal": 1, "discount": 0, "tax": 0, "total": 1.5, "products": []
        })).collect::<Vec<_>>(),
        "pagination": {"has_previous_page": false, "has_next_page": next.is_some(),
                       "start_cursor": "s", "end_cursor": next.unwrap_or("e"), "per_page": 2}
    })
}

fn subtotal_page(ids: &[u64], next: Option<&str>) -> Value {
    // Subtotal's cursor is the last purchase id, so `next` is implied by the ids.
    json!({
        "has_more": next.is_some(),
        "purchases": ids.iter().map(|id| json!({
            "purchase_id": format!("p{id}"), "date": "2024-01-01T00:00:00Z", "total": "1.50"
        })).collect::<Vec<_>>()
    })
}

fn togai_page(ids: &[u64], next: Option<&str>) -> Value {
    let mut page = json!({
        "data": ids.iter().map(|id| json!({
            "id": format!("p{id}"), "status": "SUCCESS", "createdAt": "2023-11-07T05:31:56Z", "price": 1.5
        })).collect::<Vec<_>>()
    });
    if let Some(n) = next {
        page["nextToken"] = json!(n);
    }
    page
}

fn cocalc_page(ids: &[u64], _next: Option<&str>) -> Value {
    // CoCalc's next page is implied by a full page; the offset is in the body.
    json!({"balance": 1, "purchases": ids.iter().map(|id| json!({
        "id": id, "time": "2023-08-07T22:37:17.011Z", "service": "credit", "cost": 1.5
    })).collect::<Vec<_>>()})
}

const APIS: &[Api] = &[
    Api {
        name: "kit",
        method: "GET",
        path: "/v4/purchases",
        secrets: &["kit-secret-1"],
        page: kit_page,
        cursor: |r| query(r, "after"),
        size: |r| query(r, "per_page")?.parse().ok(),
        list: |o, n| {
            KitClient::with_options("kit-secret-1", o)
                .unwrap()
                .purchases(n)
        },
    },
    Api {
        name: "subtotal",
        method: "GET",
        path: "/purchases",
        secrets: &["subtotal-key-1", "subtotal-token-1"],
        page: subtotal_page,
        cursor: |r| query(r, "starting_after"),
        size: |r| query(r, "limit")?.parse().ok(),
        list: |o, n| {
            SubtotalClient::with_options("subtotal-key-1", "subtotal-token-1", o)
                .unwrap()
                .purchases(n)
        },
    },
    Api {
        name: "togai",
        method: "GET",
        path: "/accounts/ACC1/purchases",
        secrets: &["togai-secret-1"],
        page: togai_page,
        cursor: |r| query(r, "nextToken"),
        size: |r| query(r, "pageSize")?.parse().ok(),
        list: |o, n| {
            TogaiClient::with_options("togai-secret-1", o)
                .unwrap()
                .purchases("ACC1", n)
        },
    },
    Api {
        name: "cocalc",
        method: "POST",
        path: "/api/v2/purchases/get-purchases",
        secrets: &["cocalc-secret-1"],
        page: cocalc_page,
        cursor: |r| {
            body_field(r, "offset")
                .filter(|o| o != &json!(0))
                .map(|o| o.to_string())
        },
        size: |r| body_field(r, "limit")?.as_u64(),
        list: |o, n| {
            CoCalcClient::with_options("cocalc-secret-1", o)
                .unwrap()
                .purchases(n)
        },
    },
];

/// Serves five purchases two to a page, whatever the provider's cursor looks like: the
/// page number is how many list requests came before.
struct FivePurchases(Api, std::sync::atomic::AtomicUsize);

impl Respond for FivePurchases {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let n = self.1.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let (ids, next): (&[u64], _) = match n {
            0 => (&[1, 2], Some("c1")),
            1 => (&[3, 4], Some("c2")),
            _ => (&[5], None),
        };
        ResponseTemplate::new(200).set_body_json((self.0.page)(ids, next))
    }
}

async fn serve(api: Api, response: impl Respond + 'static) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method(api.method))
        .and(path(api.path))
        .respond_with(response)
        .mount(&server)
        .await;
    server
}

fn fast_retries(server: &MockServer) -> ClientOptions {
    common::options(server, "")
}

#[tokio::test]
async fn every_provider_lists_every_page_once_in_order_with_the_page_size_asked() {
    for api in APIS {
        let server = serve(*api, FivePurchases(*api, Default::default())).await;
        let all: Vec<_> = (api.list)(fast_retries(&server), 2)
            .try_collect()
            .await
            .unwrap();
        assert_eq!(all.len(), 5, "{}", api.name);
        let ids: Vec<_> = all
            .iter()
            .map(|p| p.id.trim_start_matches('p').to_string())
            .collect();
        assert_eq!(ids, ["1", "2", "3", "4", "5"], "{}", api.name);
        assert_eq!(
            all[0].total.unwrap().to_string().trim_end_matches('0'),
            "1.5",
            "{}",
            api.name
        );
        let requests = common::requests(&server).await;
        assert_eq!(requests.len(), 3, "{}", api.name);
        assert_eq!(
            (api.cursor)(&requests[0]),
            None,
            "{}: the first page has no cursor",
            api.name
        );
        assert!(
            (api.cursor)(&requests[1]).is_some(),
            "{}: the second page has a cursor",
            api.name
        );
        assert_ne!(
            (api.cursor)(&requests[1]),
            (api.cursor)(&requests[2]),
            "{}",
            api.name
        );
        assert!(
            requests.iter().all(|r| (api.size)(r) == Some(2)),
            "{}",
            api.name
        );
    }
}

#[tokio::test]
async fn every_provider_stops_fetching_when_the_consumer_stops() {
    for api in APIS {
        for prefetch in [0, 1] {
            let server = serve(*api, FivePurchases(*api, Default::default())).await;
            let first: Vec<_> = (api.list)(fast_retries(&server).prefetch(prefetch), 2)
                .take(3)
                .try_collect()
                .await
                .unwrap();
            assert_eq!(first.len(), 3, "{}", api.name);
            // Three purchases need two pages; prefetching may have asked for one more.
            let requests = common::requests(&server).await.len();
            assert!(
                (2..=2 + prefetch).contains(&requests),
                "{} prefetch {prefetch}: {requests} requests",
                api.name
            );
        }
    }
}

#[tokio::test]
async fn every_provider_fetches_the_next_page_while_the_consumer_holds_this_one() {
    for api in APIS {
        for prefetch in [0, 1] {
            let server = serve(*api, FivePurchases(*api, Default::default())).await;
            let mut stream = (api.list)(fast_retries(&server).prefetch(prefetch), 2);
            assert!(stream.next().await.unwrap().is_ok());
            // The consumer sits on the first purchase: only the prefetcher can ask now.
            let expected = 1 + prefetch;
            for _ in 0..200 {
                if common::requests(&server).await.len() >= expected {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
            assert_eq!(
                common::requests(&server).await.len(),
                expected,
                "{} prefetch {prefetch}",
                api.name
            );
        }
    }
}

/// Answers with `failures` first, then a one-page listing.
struct FailThenServe(Api, Vec<ResponseTemplate>, std::sync::atomic::AtomicUsize);

impl Respond for FailThenServe {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let n = self.2.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.1
            .get(n)
            .cloned()
            .unwrap_or_else(|| ResponseTemplate::new(200).set_body_json((self.0.page)(&[1], None)))
    }
}

#[tokio::test]
async fn every_provider_recovers_from_429_with_and_without_retry_after_and_from_503() {
    for api in APIS {
        let failures = vec![
            ResponseTemplate::new(429).insert_header("retry-after", "1"),
            ResponseTemplate::new(429),
            ResponseTemplate::new(503),
        ];
        let server = serve(*api, FailThenServe(*api, failures, Default::default())).await;
        let started = Instant::now();
        let all: Vec<_> = (api.list)(fast_retries(&server), 10)
            .try_collect()
            .await
            .unwrap();
        assert_eq!(all.len(), 1, "{}", api.name);
        assert!(
            started.elapsed() >= Duration::from_secs(1),
            "{}: Retry-After honoured",
            api.name
        );
        assert_eq!(common::requests(&server).await.len(), 4, "{}", api.name);
    }
}

/// Lists from a server that always answers `status`, with three attempts: the error and the
/// number of requests made.
async fn persistent_failure(api: &Api, status: u16) -> (Error, usize) {
    let server = serve(*api, ResponseTemplate::new(status)).await;
    let options = fast_retries(&server).retry(
        RetryConfig::standard()
            .with_max_attempts(3)
            .with_initial_backoff(Duration::from_millis(5)),
    );
    let err = (api.list)(options, 10).next().await.unwrap().unwrap_err();
    (err, common::requests(&server).await.len())
}

#[tokio::test]
async fn every_provider_gives_up_on_a_persistent_503_within_its_budget() {
    for api in APIS {
        let (err, requests) = persistent_failure(api, 503).await;
        assert!(
            matches!(err, Error::Api { status: 503, .. }),
            "{}: {err}",
            api.name
        );
        assert_eq!(requests, 3, "{}", api.name);
        common::assert_no_secret(&err, api.secrets);
    }
}

#[tokio::test]
async fn every_provider_reports_401_as_refused_authentication() {
    for api in APIS {
        let body = json!({"errors": ["bad token"], "message": "bad token", "detail": []});
        let server = serve(*api, ResponseTemplate::new(401).set_body_json(body)).await;
        let err = (api.list)(fast_retries(&server), 10)
            .next()
            .await
            .unwrap()
            .unwrap_err();
        assert!(
            matches!(err, Error::Unauthorized { status: 401, .. }),
            "{}: {err}",
            api.name
        );
        common::assert_no_secret(&err, api.secrets);
    }
}

#[tokio::test]
async fn every_provider_reports_malformed_and_truncated_bodies_as_decode_errors() {
    for api in APIS {
        let full = serde_json::to_string(&(api.page)(&[1, 2], None)).unwrap();
        for body in [
            "<html>oops</html>".to_string(),
            full[..full.len() / 2].to_string(),
        ] {
            let server = serve(
                *api,
                ResponseTemplate::new(200).set_body_raw(body.clone(), "application/json"),
            )
            .await;
            let err = (api.list)(fast_retries(&server), 10)
                .next()
                .await
                .unwrap()
                .unwrap_err();
            match &err {
                Error::Decode {
                    status: 200,
                    excerpt,
                    ..
                } => {
                    assert!(
                        body.starts_with(excerpt.trim_end_matches('…')),
                        "{}",
                        api.name
                    )
                }
                other => panic!("{}: {other}", api.name),
            }
            common::assert_no_secret(&err, api.secrets);
        }
    }
}

#[tokio::test]
async fn every_provider_decodes_pages_with_unknown_fields() {
    fn add_fields(v: &mut Value) {
        match v {
            Value::Object(o) => {
                o.values_mut().for_each(add_fields);
                o.insert("field_added_later".into(), json!({"x": [1, "two"]}));
            }
            Value::Array(a) => a.iter_mut().for_each(add_fields),
            _ => {}
        }
    }
    for api in APIS {
        let mut page = (api.page)(&[1], None);
        add_fields(&mut page);
        let server = serve(*api, ResponseTemplate::new(200).set_body_json(page)).await;
        let all: Vec<_> = (api.list)(fast_retries(&server), 10)
            .try_collect()
            .await
            .unwrap();
        assert_eq!(all.len(), 1, "{}", api.name);
    }
}

#[tokio::test]
async fn every_provider_ends_a_repeating_listing_with_an_error() {
    for api in APIS {
        // The same full page, with the same cursor, whatever is asked.
        let page = (api.page)(&[1, 2], Some("same"));
        let server = serve(*api, ResponseTemplate::new(200).set_body_json(page)).await;
        let results: Vec<_> = (api.list)(fast_retries(&server), 2)
            .take(50)
            .collect()
            .await;
        let last = results.last().unwrap();
        assert!(
            matches!(last, Err(Error::PaginationLoop { .. })),
            "{}: {:?}",
            api.name,
            last.as_ref().err()
        );
        assert!(common::requests(&server).await.len() <= 3, "{}", api.name);
    }
}

#[tokio::test]
async fn every_provider_retries_a_single_500_like_a_503() {
    for api in APIS {
        let failures = vec![ResponseTemplate::new(500).set_body_string("internal error")];
        let server = serve(*api, FailThenServe(*api, failures, Default::default())).await;
        let all: Vec<_> = (api.list)(fast_retries(&server), 10)
            .try_collect()
            .await
            .unwrap();
        assert_eq!(all.len(), 1, "{}", api.name);
        assert_eq!(common::requests(&server).await.len(), 2, "{}", api.name);
    }
}

#[tokio::test]
async fn every_provider_gives_up_on_a_persistent_500_within_the_same_budget() {
    for api in APIS {
        let (err, requests) = persistent_failure(api, 500).await;
        assert!(
            matches!(err, Error::Api { status: 500, .. }),
            "{}: {err}",
            api.name
        );
        assert!(err.is_transient(), "{}", api.name);
        assert_eq!(requests, 3, "{}", api.name);
    }
}
