//! The same resilience behaviours, checked for every provider of the registry against a
//! `wiremock` server answering as its API does: the routes, pages, cursors and page sizes
//! come from each provider's own description, so a provider added to the registry is
//! checked here without a line of this file changing.

mod common;

use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use purchase_clients::mock::{demo_scope, list_route, page_purchases, page_text};
use purchase_clients::providers::paging;
use purchase_clients::{AnyClient, ClientOptions, Error, Provider, Purchase, RetryConfig, Secret};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// What a test needs of a provider, all read from the registry.
#[derive(Clone, Copy)]
struct Api {
    provider: Provider,
}

impl std::fmt::Display for Api {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.provider.fmt(f)
    }
}

/// Every provider compiled in.
fn apis() -> Vec<Api> {
    Provider::ALL
        .iter()
        .map(|&provider| Api { provider })
        .collect()
}

impl Api {
    /// The credentials the tests use (secrets to look for in errors).
    fn secrets(&self) -> Vec<String> {
        (0..self.provider.credential_variables().len())
            .map(|i| format!("{}-secret-{i}", self.provider))
            .collect()
    }

    /// A page of synthetic records `records`, with a cursor to more if `next`.
    fn page(&self, records: std::ops::Range<usize>, next: Option<&str>) -> String {
        page_text(self.provider, records, next)
    }

    /// A parameter of a request, by its spec name: from the query, or the JSON body.
    fn param(&self, r: &Request, name: &str) -> Option<Value> {
        if let Some((_, v)) = r.url.query_pairs().find(|(k, _)| k == name) {
            return Some(Value::String(v.to_string()));
        }
        serde_json::from_slice::<Value>(&r.body)
            .ok()?
            .get(name)
            .cloned()
    }

    /// Which page a request asks for (`None` for the first; an offset of 0 is the first).
    fn cursor(&self, r: &Request) -> Option<String> {
        self.param(r, paging(self.provider).cursor)
            .filter(|c| c != &json!(0))
            .map(|c| c.as_str().map_or_else(|| c.to_string(), String::from))
    }

    /// The page size a request asks for.
    fn size(&self, r: &Request) -> Option<u64> {
        let v = self.param(r, paging(self.provider).size)?;
        v.as_u64().or_else(|| v.as_str()?.parse().ok())
    }

    fn list(
        &self,
        options: ClientOptions,
        size: u32,
    ) -> BoxStream<'static, Result<Purchase, Error>> {
        let secrets: Vec<Secret> = self
            .secrets()
            .iter()
            .map(|s| Secret::new(s.as_str()))
            .collect();
        AnyClient::with_credentials(self.provider, &secrets, demo_scope(self.provider), options)
            .unwrap()
            .purchases(Some(size))
    }
}

/// Serves five purchases two to a page, whatever the provider's cursor looks like: the
/// page number is how many list requests came before.
struct FivePurchases(Api, std::sync::atomic::AtomicUsize);

impl Respond for FivePurchases {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let n = self.1.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let body = match n {
            0 => self.0.page(0..2, Some("c1")),
            1 => self.0.page(2..4, Some("c2")),
            _ => self.0.page(4..5, None),
        };
        ResponseTemplate::new(200).set_body_raw(body, "application/json")
    }
}

async fn serve(api: Api, response: impl Respond + 'static) -> MockServer {
    let server = MockServer::start().await;
    let (verb, route) = list_route(api.provider);
    Mock::given(method(verb.as_str()))
        .and(path(route))
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
    for api in apis() {
        let server = serve(api, FivePurchases(api, Default::default())).await;
        let all: Vec<_> = api
            .list(fast_retries(&server), 2)
            .try_collect()
            .await
            .unwrap();
        assert_eq!(all, page_purchases(api.provider, 0..5), "{api}");
        let requests = common::requests(&server).await;
        assert_eq!(requests.len(), 3, "{api}");
        assert_eq!(
            api.cursor(&requests[0]),
            None,
            "{}: the first page has no cursor",
            api
        );
        assert!(
            api.cursor(&requests[1]).is_some(),
            "{}: the second page has a cursor",
            api
        );
        assert_ne!(
            api.cursor(&requests[1]),
            api.cursor(&requests[2]),
            "{}",
            api
        );
        assert!(requests.iter().all(|r| api.size(r) == Some(2)), "{}", api);
    }
}

#[tokio::test]
async fn every_provider_stops_fetching_when_the_consumer_stops() {
    for api in apis() {
        for prefetch in [0, 1] {
            let server = serve(api, FivePurchases(api, Default::default())).await;
            let first: Vec<_> = api
                .list(fast_retries(&server).prefetch(prefetch), 2)
                .take(3)
                .try_collect()
                .await
                .unwrap();
            assert_eq!(first.len(), 3, "{api}");
            // Three purchases need two pages; prefetching may have asked for one more.
            let requests = common::requests(&server).await.len();
            assert!(
                (2..=2 + prefetch).contains(&requests),
                "{} prefetch {prefetch}: {requests} requests",
                api
            );
        }
    }
}

#[tokio::test]
async fn every_provider_fetches_the_next_page_while_the_consumer_holds_this_one() {
    for api in apis() {
        for prefetch in [0, 1] {
            let server = serve(api, FivePurchases(api, Default::default())).await;
            let mut stream = api.list(fast_retries(&server).prefetch(prefetch), 2);
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
                api
            );
        }
    }
}

/// Answers with `failures` first, then a one-page listing.
struct FailThenServe(Api, Vec<ResponseTemplate>, std::sync::atomic::AtomicUsize);

impl Respond for FailThenServe {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let n = self.2.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.1.get(n).cloned().unwrap_or_else(|| {
            ResponseTemplate::new(200).set_body_raw(self.0.page(0..1, None), "application/json")
        })
    }
}

#[tokio::test]
async fn every_provider_recovers_from_429_with_and_without_retry_after_and_from_503() {
    for api in apis() {
        let failures = vec![
            ResponseTemplate::new(429).insert_header("retry-after", "1"),
            ResponseTemplate::new(429),
            ResponseTemplate::new(503),
        ];
        let server = serve(api, FailThenServe(api, failures, Default::default())).await;
        let started = Instant::now();
        let all: Vec<_> = api
            .list(fast_retries(&server), 10)
            .try_collect()
            .await
            .unwrap();
        assert_eq!(all.len(), 1, "{api}");
        assert!(
            started.elapsed() >= Duration::from_secs(1),
            "{}: Retry-After honoured",
            api
        );
        assert_eq!(common::requests(&server).await.len(), 4, "{api}");
    }
}

/// Lists from a server that always answers `status`, with three attempts: the error and the
/// number of requests made.
async fn persistent_failure(api: Api, status: u16) -> (Error, usize) {
    let server = serve(api, ResponseTemplate::new(status)).await;
    let options = fast_retries(&server).retry(
        RetryConfig::standard()
            .with_max_attempts(3)
            .with_initial_backoff(Duration::from_millis(5)),
    );
    let err = api.list(options, 10).next().await.unwrap().unwrap_err();
    (err, common::requests(&server).await.len())
}

#[tokio::test]
async fn every_provider_gives_up_on_a_persistent_503_within_its_budget() {
    for api in apis() {
        let (err, requests) = persistent_failure(api, 503).await;
        assert!(
            matches!(err, Error::Api { status: 503, .. }),
            "{api}: {err}"
        );
        assert_eq!(requests, 3, "{api}");
        common::assert_no_secret(
            &err,
            &api.secrets().iter().map(String::as_str).collect::<Vec<_>>(),
        );
    }
}

#[tokio::test]
async fn every_provider_reports_401_as_refused_authentication() {
    for api in apis() {
        let body = json!({"errors": ["bad token"], "message": "bad token", "detail": []});
        let server = serve(api, ResponseTemplate::new(401).set_body_json(body)).await;
        let err = api
            .list(fast_retries(&server), 10)
            .next()
            .await
            .unwrap()
            .unwrap_err();
        assert!(
            matches!(err, Error::Unauthorized { status: 401, .. }),
            "{api}: {err}"
        );
        common::assert_no_secret(
            &err,
            &api.secrets().iter().map(String::as_str).collect::<Vec<_>>(),
        );
    }
}

#[tokio::test]
async fn every_provider_reports_malformed_and_truncated_bodies_as_decode_errors() {
    for api in apis() {
        let full = api.page(0..2, None);
        for body in [
            "<html>oops</html>".to_string(),
            full[..full.len() / 2].to_string(),
        ] {
            let server = serve(
                api,
                ResponseTemplate::new(200).set_body_raw(body.clone(), "application/json"),
            )
            .await;
            let err = api
                .list(fast_retries(&server), 10)
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
                    assert!(body.starts_with(excerpt.trim_end_matches('…')), "{}", api)
                }
                other => panic!("{}: {other}", api),
            }
            common::assert_no_secret(
                &err,
                &api.secrets().iter().map(String::as_str).collect::<Vec<_>>(),
            );
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
    for api in apis() {
        let mut page: Value = serde_json::from_str(&api.page(0..1, None)).unwrap();
        add_fields(&mut page);
        let server = serve(api, ResponseTemplate::new(200).set_body_json(page)).await;
        let all: Vec<_> = api
            .list(fast_retries(&server), 10)
            .try_collect()
            .await
            .unwrap();
        assert_eq!(all.len(), 1, "{api}");
    }
}

#[tokio::test]
async fn every_provider_ends_a_repeating_listing_with_an_error() {
    for api in apis() {
        // The same full page, with the same cursor, whatever is asked.
        let page = api.page(0..2, Some("same"));
        let server = serve(
            api,
            ResponseTemplate::new(200).set_body_raw(page, "application/json"),
        )
        .await;
        let results: Vec<_> = api.list(fast_retries(&server), 2).take(50).collect().await;
        let last = results.last().unwrap();
        assert!(
            matches!(last, Err(Error::PaginationLoop { .. })),
            "{}: {:?}",
            api,
            last.as_ref().err()
        );
        assert!(common::requests(&server).await.len() <= 3, "{api}");
    }
}

#[tokio::test]
async fn every_provider_retries_a_single_500_like_a_503() {
    for api in apis() {
        let failures = vec![ResponseTemplate::new(500).set_body_string("internal error")];
        let server = serve(api, FailThenServe(api, failures, Default::default())).await;
        let all: Vec<_> = api
            .list(fast_retries(&server), 10)
            .try_collect()
            .await
            .unwrap();
        assert_eq!(all.len(), 1, "{api}");
        assert_eq!(common::requests(&server).await.len(), 2, "{api}");
    }
}

#[tokio::test]
async fn every_provider_gives_up_on_a_persistent_500_within_the_same_budget() {
    for api in apis() {
        let (err, requests) = persistent_failure(api, 500).await;
        assert!(
            matches!(err, Error::Api { status: 500, .. }),
            "{api}: {err}"
        );
        assert!(err.is_transient(), "{api}");
        assert_eq!(requests, 3, "{api}");
    }
}
