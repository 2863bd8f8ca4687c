//! What a broken or hostile server gets out of the clients: no credential in any form, no
//! listing without end, no record with its time or page silently dropped.

mod common;

use base64::Engine;
use futures::TryStreamExt;
use purchase_clients::mock::{demo_credentials, Fault, MockConfig, MockServer};
use purchase_clients::paginate::CursorKind;
use purchase_clients::{
    AnyClient, ClientOptions, CoCalcClient, Error, KitClient, LimitReached, ListingLimits,
    Provider, Purchase, RetryConfig, SubtotalClient, TogaiClient,
};
use serde_json::{json, Value};
use std::time::Duration;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, ResponseTemplate};

/// Quick retries, so that the tests stay fast.
fn quick() -> ClientOptions {
    ClientOptions::default().retry(
        RetryConfig::standard()
            .with_initial_backoff(Duration::from_millis(5))
            .with_max_backoff(Duration::from_millis(20)),
    )
}

/// A client of `provider` with the mock's credentials.
fn client(provider: Provider, options: ClientOptions) -> AnyClient {
    purchase_clients::mock::demo_client(provider, options).unwrap()
}

async fn mock(faults: Vec<Fault>) -> MockServer {
    mock_with(MockConfig {
        count: 30,
        faults,
        ..Default::default()
    })
    .await
}

async fn mock_with(config: MockConfig) -> MockServer {
    MockServer::start("127.0.0.1:0".parse().unwrap(), config)
        .await
        .unwrap()
}

/// Lists everything `provider` serves at `server`, `page_size` at a time.
async fn list_all(
    server: &MockServer,
    provider: Provider,
    options: ClientOptions,
    page_size: Option<u32>,
) -> Result<Vec<Purchase>, Error> {
    let options = options.base_url(server.base_url(provider));
    client(provider, options)
        .purchases(page_size)
        .try_collect()
        .await
}

/// Every form in which the mock's credentials travel: raw, as HTTP Basic sends CoCalc's
/// key, and percent-encoded. Written out here, independently of the crate's redactor.
fn credential_forms() -> Vec<String> {
    let mut forms = Vec::new();
    for secret in Provider::ALL.iter().flat_map(|p| demo_credentials(*p)) {
        forms.push(secret.to_string());
        forms.push(base64::engine::general_purpose::STANDARD.encode(format!("{secret}:")));
        forms.push(secret.replace('-', "%2D"));
        // The first characters alone are a leak too (a cut in the middle of a key).
        forms.push(secret[..10].to_string());
    }
    forms
}

fn assert_shows_no_credential(shown: &str) {
    for form in credential_forms() {
        assert!(!shown.contains(&form), "{form:?} leaked in: {shown}");
    }
    assert!(
        !shown.contains('\u{1b}') && !shown.contains('\u{7}'),
        "a terminal escape reached the text: {shown:?}"
    );
}

#[tokio::test]
async fn echoed_credentials_are_redacted_in_every_form_before_any_cut() {
    let server = mock(vec![Fault::EchoCredentials]).await;
    for provider in Provider::ALL.iter().copied() {
        let err = list_all(&server, provider, quick(), None)
            .await
            .unwrap_err();
        let shown = format!("{err}\n{err:?}");
        assert_shows_no_credential(&shown);
        // The echo did arrive: it is there, redacted, with its escapes made visible.
        assert!(shown.contains("***"), "{provider}: {shown}");
        assert!(shown.contains("request refused"), "{provider}: {shown}");
        // Each API refuses in its own shape, with its own status (CoCalc with HTTP 200).
        let status = purchase_clients::mock::spec(provider).echo;
        match err {
            Error::Unauthorized { status: s, .. } => assert!(s == status && (s == 401 || s == 403)),
            Error::Api { status: s, .. } => assert_eq!(s, status, "{provider}"),
            other => panic!("{provider}: {other}"),
        }
    }
}

#[tokio::test]
async fn a_redirect_off_the_origin_carries_no_credential() {
    let server = mock(vec![Fault::RedirectOffOrigin]).await;
    for provider in Provider::ALL.iter().copied() {
        let err = list_all(&server, provider, quick(), None)
            .await
            .unwrap_err();
        // The redirected request arrived without credentials and was refused.
        let refused = matches!(err, Error::Unauthorized { .. })
            || matches!(err, Error::Api { status: 422, .. });
        assert!(refused, "{provider}: {err}");
    }
    assert_eq!(server.credentials_after_redirect(), 0);
}

#[tokio::test]
async fn a_redirect_within_the_origin_keeps_the_credentials() {
    let server = wiremock::MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/old/v4/purchases"))
        .respond_with(
            ResponseTemplate::new(308)
                .insert_header("location", format!("{}/new/v4/purchases", server.uri())),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/new/v4/purchases"))
        .and(header("authorization", "Bearer kit-token-1"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(kit_page(vec![kit_row(1, "2023-02-17T11:43:55Z")])),
        )
        .mount(&server)
        .await;
    let kit = KitClient::with_options("kit-token-1", common::options(&server, "/old")).unwrap();
    let all: Vec<Purchase> = kit.purchases(10).try_collect().await.unwrap();
    assert_eq!(all.len(), 1);
}

#[tokio::test]
async fn a_listing_that_never_ends_stops_at_its_page_limit() {
    let server = mock(vec![Fault::Endless]).await;
    for provider in Provider::ALL.iter().copied() {
        let limits = ListingLimits::default().with_max_pages(7);
        let err = list_all(&server, provider, quick().listing_limits(limits), Some(3))
            .await
            .unwrap_err();
        assert!(
            matches!(err, Error::ListingLimit { provider: p, limit: LimitReached::Pages(7) } if p == provider),
            "{provider}: {err}"
        );
        assert!(err.to_string().contains(provider.name()), "{err}");
    }
}

#[tokio::test]
async fn empty_pages_that_keep_saying_more_end_the_listing() {
    let server = mock(vec![Fault::EndlessEmpty]).await;
    for provider in Provider::ALL.iter().copied() {
        let result = list_all(&server, provider, quick(), None).await;
        match purchase_clients::providers::paging(provider).kind {
            // An API with a cursor can send empty pages with one: the default allows three.
            CursorKind::Token => assert!(
                matches!(
                    result,
                    Err(Error::ListingLimit {
                        limit: LimitReached::EmptyPages(4),
                        ..
                    })
                ),
                "{provider}: {result:?}"
            ),
            // A cursor that is the last id: an empty page with more has none.
            CursorKind::LastId(_) => assert!(
                matches!(result, Err(Error::InvalidPage { .. })),
                "{provider}: {result:?}"
            ),
            // Paged by offset: an empty page is the end.
            CursorKind::Offset => assert_eq!(result.unwrap(), vec![], "{provider}"),
        }
    }
}

#[tokio::test]
async fn a_listing_stops_at_its_time_budget() {
    let server = mock_with(MockConfig {
        count: 30,
        faults: vec![Fault::Endless],
        latency: Duration::from_millis(40),
        ..Default::default()
    })
    .await;
    for provider in Provider::ALL.iter().copied() {
        let limits = ListingLimits::default().with_max_time(Duration::from_millis(300));
        let err = list_all(&server, provider, quick().listing_limits(limits), Some(2))
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                Error::ListingLimit {
                    limit: LimitReached::Time(_),
                    ..
                }
            ),
            "{provider}: {err}"
        );
    }
}

#[tokio::test]
async fn the_default_bounds_end_an_endless_listing() {
    // 10,000 one-purchase pages: the default page limit, reached in seconds on loopback.
    let server = mock(vec![Fault::Endless]).await;
    let err = list_all(&server, Provider::Kit, quick(), Some(1))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::ListingLimit {
                limit: LimitReached::Pages(10_000),
                ..
            }
        ),
        "{err}"
    );
}

#[tokio::test]
async fn a_stalled_body_times_out_the_same_way_for_every_provider() {
    let server = mock(vec![Fault::Stall]).await;
    for provider in Provider::ALL.iter().copied() {
        let options = quick().read_timeout(Duration::from_millis(200));
        // The guard only keeps a regression from hanging the suite.
        let result = tokio::time::timeout(
            Duration::from_secs(30),
            list_all(&server, provider, options, None),
        )
        .await
        .expect("the listing must end");
        assert!(
            matches!(result, Err(Error::Timeout { provider: p }) if p == provider),
            "{provider}: {result:?}"
        );
    }
}

#[tokio::test]
async fn an_empty_account_lists_as_empty_for_every_provider() {
    let server = mock(vec![Fault::Empty]).await;
    for provider in Provider::ALL.iter().copied() {
        let all = list_all(&server, provider, quick(), None).await;
        assert_eq!(all.unwrap(), vec![], "{provider}");
    }
}

#[tokio::test]
async fn a_body_over_the_limit_is_an_error_not_read_further() {
    let server = mock(vec![]).await;
    for provider in Provider::ALL.iter().copied() {
        let err = list_all(&server, provider, quick().max_body_bytes(500), None)
            .await
            .unwrap_err();
        assert!(
            matches!(err, Error::ResponseTooLarge { limit: 500, .. }),
            "{provider}: {err}"
        );
    }
}

/// A body sent in chunks with no `Content-Length` is bounded by the bytes actually read.
#[tokio::test]
async fn a_streamed_body_over_the_limit_is_an_error_not_read_further() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut head = [0u8; 4096];
                let _ = socket.read(&mut head).await;
                let start = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                             transfer-encoding: chunked\r\n\r\n";
                let _ = socket.write_all(start.as_bytes()).await;
                // 100 kB of JSON whitespace in 100-byte chunks: harmless if read whole,
                // except that it is far over the limit.
                let chunk = format!("64\r\n{}\r\n", " ".repeat(100));
                for _ in 0..1000 {
                    if socket.write_all(chunk.as_bytes()).await.is_err() {
                        return;
                    }
                }
                let _ = socket.write_all(b"0\r\n\r\n").await;
            });
        }
    });
    let options = quick()
        .base_url(format!("http://{addr}"))
        .max_body_bytes(500);
    let kit = KitClient::with_options("kit-token-1", options).unwrap();
    let err = futures::StreamExt::next(&mut kit.pages(10))
        .await
        .unwrap()
        .unwrap_err();
    assert!(
        matches!(err, Error::ResponseTooLarge { limit: 500, .. }),
        "{err}"
    );
}

#[tokio::test]
async fn kit_saying_more_with_a_null_end_cursor_is_an_invalid_page() {
    let page = json!({"purchases": [kit_row(1, "2024-01-02T03:04:05Z")], "pagination": {
        "has_previous_page": false, "has_next_page": true, "start_cursor": null,
        "end_cursor": null, "per_page": 500}});
    let server = serve_json("GET", "/v4/purchases", page).await;
    let kit = KitClient::with_options("kit-token-1", common::options(&server, "")).unwrap();
    let err = kit
        .purchases(500)
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidPage {
                provider: Provider::Kit,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("end_cursor is null"), "{err}");
}

fn kit_row(id: u64, time: &str) -> Value {
    json!({
        "id": id, "transaction_id": "t", "status": "paid", "email_address": "a@b.c",
        "subscriber_id": 1, "currency": "USD", "transaction_time": time,
        "subtotal": 1, "discount": 0, "tax": 0, "total": 1.5, "products": []
    })
}

fn kit_page(rows: Vec<Value>) -> Value {
    json!({
        "purchases": rows,
        "pagination": {"has_previous_page": false, "has_next_page": false,
                       "start_cursor": "s", "end_cursor": "e", "per_page": 10}
    })
}

/// Times no RFC 3339 parser accepts, and one that only exists past the year 9999 in UTC.
const BAD_TIMES: &[&str] = &[
    "2024-02-30T00:00:00Z",
    "2024-13-01T00:00:00Z",
    "2024-01-01T24:00:00Z",
    "2024-01-01T00:00:00+25:00",
    "2024-01-01T00:00:00",
    "",
    "9999-12-31T23:59:59-23:59",
];

async fn serve_json(method_name: &str, at: &str, body: Value) -> wiremock::MockServer {
    let server = wiremock::MockServer::start().await;
    Mock::given(method(method_name))
        .and(path(at))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn a_time_that_does_not_parse_fails_the_record_naming_field_and_text() {
    for bad in BAD_TIMES {
        let page = kit_page(vec![kit_row(1, "2023-02-17T11:43:55Z"), kit_row(2, bad)]);
        let server = serve_json("GET", "/v4/purchases", page).await;
        let kit = KitClient::with_options("kit-token-1", common::options(&server, "")).unwrap();
        let result: Result<Vec<Purchase>, _> = kit.purchases(10).try_collect().await;
        match result {
            Err(Error::InvalidRecord {
                provider: Provider::Kit,
                id,
                field: "transaction_time",
                reason,
            }) => {
                assert_eq!(id, "2");
                assert!(reason.contains(&format!("{bad:?}")), "{reason}");
            }
            other => panic!("kit {bad:?}: {other:?}"),
        }

        let page = json!({"has_more": false, "purchases": [
            {"purchase_id": "p1", "date": "2024-01-01T00:00:00Z", "total": "1.50"},
            {"purchase_id": "p2", "date": bad, "total": "2.50"}
        ]});
        let server = serve_json("GET", "/purchases", page).await;
        let subtotal =
            SubtotalClient::with_options("key-1234", "token-1234", common::options(&server, ""))
                .unwrap();
        let result: Result<Vec<Purchase>, _> = subtotal.purchases(10).try_collect().await;
        assert!(
            matches!(&result, Err(Error::InvalidRecord { field: "date", reason, .. }) if reason.contains(&format!("{bad:?}"))),
            "subtotal {bad:?}: {result:?}"
        );
    }
}

#[tokio::test]
async fn a_time_past_the_year_9999_in_utc_fails_for_the_typed_providers_too() {
    let bad = "9999-12-31T23:59:59-23:59";
    let server = serve_json(
        "POST",
        "/api/v2/purchases/get-purchases",
        json!({"purchases": [{"id": 1, "time": bad, "service": "credit", "cost": 1}]}),
    )
    .await;
    let cocalc = CoCalcClient::with_options("cocalc-key-1", common::options(&server, "")).unwrap();
    let result: Result<Vec<Purchase>, _> = cocalc.purchases(10).try_collect().await;
    assert!(
        matches!(&result, Err(Error::Decode { reason, .. }) if reason.contains("0000-9999")),
        "{result:?}"
    );
    let server = serve_json(
        "GET",
        "/accounts/ACC1/purchases",
        json!({"data": [{"id": "p1", "status": "SUCCESS", "createdAt": bad}]}),
    )
    .await;
    let togai = TogaiClient::with_options("togai-token-1", common::options(&server, "")).unwrap();
    let result: Result<Vec<Purchase>, _> = togai.purchases("ACC1", 10).try_collect().await;
    assert!(
        matches!(&result, Err(Error::Decode { reason, .. }) if reason.contains("0000-9999")),
        "{result:?}"
    );
}

#[tokio::test]
async fn a_togai_page_with_a_cursor_but_no_data_is_an_error_not_an_empty_page() {
    let server = serve_json(
        "GET",
        "/accounts/ACC1/purchases",
        json!({"nextToken": "t2", "context": {"pageSize": 10}}),
    )
    .await;
    let togai = TogaiClient::with_options("togai-token-1", common::options(&server, "")).unwrap();
    let result: Result<Vec<Purchase>, _> = togai.purchases("ACC1", 10).try_collect().await;
    assert!(
        matches!(&result, Err(Error::InvalidPage { provider: Provider::Togai, detail, .. }) if detail.contains("no data")),
        "{result:?}"
    );
    // No data and no cursor: an account with nothing to list.
    let server = serve_json("GET", "/accounts/ACC1/purchases", json!({})).await;
    let togai = TogaiClient::with_options("togai-token-1", common::options(&server, "")).unwrap();
    let all: Vec<Purchase> = togai.purchases("ACC1", 10).try_collect().await.unwrap();
    assert!(all.is_empty());
}

/// Answers CoCalc's get-purchases by offset: six rows for a limit of five at offset 0,
/// then five, then none.
struct Overfull;

impl wiremock::Respond for Overfull {
    fn respond(&self, request: &wiremock::Request) -> ResponseTemplate {
        let offset = serde_json::from_slice::<Value>(&request.body).unwrap()["offset"]
            .as_u64()
            .unwrap_or(0);
        let ids: Vec<u64> = match offset {
            0 => (1..=6).collect(),
            6 => (7..=11).collect(),
            _ => vec![],
        };
        let rows: Vec<Value> = ids
            .iter()
            .map(|id| json!({"id": id, "time": "2023-08-07T22:37:17Z", "service": "credit", "cost": 1}))
            .collect();
        ResponseTemplate::new(200).set_body_json(json!({"purchases": rows}))
    }
}

#[tokio::test]
async fn a_cocalc_page_longer_than_asked_is_taken_whole_and_the_listing_goes_on() {
    let server = wiremock::MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v2/purchases/get-purchases"))
        .respond_with(Overfull)
        .mount(&server)
        .await;
    let cocalc = CoCalcClient::with_options("cocalc-key-1", common::options(&server, "")).unwrap();
    let all: Vec<Purchase> = cocalc.purchases(5).try_collect().await.unwrap();
    let ids: Vec<String> = all.iter().map(|p| p.id.to_string()).collect();
    assert_eq!(ids, (1..=11).map(|i| i.to_string()).collect::<Vec<_>>());
}

#[tokio::test]
async fn kit_null_cursors_on_an_empty_account_list_as_empty() {
    let page = json!({"purchases": [], "pagination": {"has_previous_page": false,
        "has_next_page": false, "start_cursor": null, "end_cursor": null, "per_page": 500}});
    let server = serve_json("GET", "/v4/purchases", page).await;
    let kit = KitClient::with_options("kit-token-1", common::options(&server, "")).unwrap();
    let all: Vec<Purchase> = kit.purchases(500).try_collect().await.unwrap();
    assert!(all.is_empty());
}

#[tokio::test]
async fn an_error_status_with_an_unexpected_body_reports_that_status() {
    let server = wiremock::MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/purchases"))
        // FastAPI's HTTPException body, not the documented validation error.
        .respond_with(
            ResponseTemplate::new(422).set_body_string("{\"detail\": \"limit too large\"}"),
        )
        .mount(&server)
        .await;
    let subtotal =
        SubtotalClient::with_options("key-1234", "token-1234", common::options(&server, ""))
            .unwrap();
    let err = subtotal
        .purchases(10)
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Api { status: 422, .. }), "{err}");
    assert!(err.to_string().contains("HTTP 422"), "{err}");
    assert!(err.to_string().contains("limit too large"), "{err}");
}

#[tokio::test]
async fn a_togai_status_and_type_no_spec_lists_decode_and_list() {
    let server = mock(vec![Fault::NewEnumValues]).await;
    let all = list_all(&server, Provider::Togai, quick(), None)
        .await
        .unwrap();
    assert!(!all.is_empty());
    for p in &all {
        assert_eq!(p.status.as_deref(), Some("PARTIALLY_REFUNDED"));
        let purchase_clients::Record::Togai(record) = &p.record else {
            panic!("a Togai record");
        };
        let purchase_clients::togai::PurchaseRecord::Listed(item) = record.as_ref() else {
            panic!("a listed purchase");
        };
        assert_eq!(item.type_.as_ref().unwrap().as_str(), "SUBSCRIPTION");
    }
    let options = quick().base_url(server.base_url(Provider::Togai));
    let togai = TogaiClient::with_options(demo_credentials(Provider::Togai)[0], options).unwrap();
    let fetched = togai.get_purchase(&all[0].id).await.unwrap();
    assert_eq!(fetched.status.unwrap().to_string(), "PARTIALLY_REFUNDED");
}
