//! Listing requests: every parameter of a list operation through the one generic pager, a
//! listing started from a cursor, and many scopes in one listing, from the library and the
//! command line, against the embedded mock.

mod common;

use assert_cmd::Command;
use futures::{StreamExt, TryStreamExt};
use purchase_clients::cocalc::types::GetPurchasesRequest;
use purchase_clients::mock::{demo_client, demo_credentials, Fault, MockConfig, MockServer};
use purchase_clients::paginate::{Cursor, ListOperation};
use purchase_clients::{
    cocalc, kit, togai, ClientOptions, CoCalcClient, KitClient, Provider, RetryConfig, TogaiClient,
};
use std::collections::HashSet;
use std::time::Duration;

async fn mock(config: MockConfig) -> MockServer {
    MockServer::start("127.0.0.1:0".parse().unwrap(), config)
        .await
        .unwrap()
}

fn options(server: &MockServer, provider: Provider) -> ClientOptions {
    ClientOptions::default()
        .base_url(server.base_url(provider))
        .retry(
            RetryConfig::standard()
                .with_initial_backoff(Duration::from_millis(5))
                .with_max_backoff(Duration::from_millis(20)),
        )
}

fn purchases_cmd(server: &MockServer, provider: Provider) -> Command {
    let mut cmd = Command::cargo_bin("purchases").unwrap();
    cmd.args(["list", provider.name(), "--format", "jsonl", "--base-url"])
        .arg(server.base_url(provider));
    for (var, value) in provider
        .credential_variables()
        .iter()
        .zip(demo_credentials(provider))
    {
        cmd.env(var, value);
    }
    cmd
}

/// The ids a `purchases list --format jsonl` printed.
fn printed_ids(out: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(out)
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["id"].as_str().unwrap().to_string()
        })
        .collect()
}

const PROJECT: &str = "d0381938-38be-11ee-9202-000000000003";
const CUTOFF: &str = "2024-05-25T00:00:00Z";

/// The mock's CoCalc purchases a server applying CoCalc's filters returns for `service`,
/// the project and the cutoff, worked out here from the data itself.
fn expected_cocalc(server: &MockServer, service: &str) -> Vec<String> {
    let cutoff: chrono::DateTime<chrono::Utc> = CUTOFF.parse().unwrap();
    server
        .data()
        .get::<cocalc::Api>()
        .iter()
        .filter(|p| p.service == service)
        .filter(|p| p.project_id.map(|id| id.to_string()).as_deref() == Some(PROJECT))
        .filter(|p| p.time >= cutoff || (p.pending == Some(true) && p.cost.is_none()))
        .map(|p| p.id.to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn cocalc_filtered_by_service_project_and_cutoff_returns_exactly_the_matching_purchases() {
    let server = mock(MockConfig {
        count: 400,
        ..Default::default()
    })
    .await;
    for service in ["compute-server", "license"] {
        let expected = expected_cocalc(&server, service);
        assert!(expected.len() >= 3, "{service}: {expected:?}");
        let all = server.data().listed(Provider::CoCalc);
        assert!(expected.len() < all / 10, "the filters leave out most");
        let client = CoCalcClient::with_options(
            demo_credentials(Provider::CoCalc)[0],
            options(&server, Provider::CoCalc),
        )
        .unwrap();
        let mut request = GetPurchasesRequest::default();
        request.service = Some(service.into());
        request.project_id = Some(PROJECT.parse().unwrap());
        request.cutoff = Some(CUTOFF.parse().unwrap());
        // Small pages, so that the filtered listing takes several.
        let got: Vec<String> = client
            .list_purchases()
            .params(request)
            .page_size(2)
            .purchases()
            .map_ok(|p| p.id.to_string())
            .try_collect()
            .await
            .unwrap();
        assert_eq!(got, expected, "{service}");

        let o = purchases_cmd(&server, Provider::CoCalc)
            .args(["--param", &format!("service={service}")])
            .args(["--param", &format!("project_id={PROJECT}")])
            .args(["--param", &format!("cutoff={CUTOFF}"), "--page-size", "2"])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert_eq!(printed_ids(&o.stdout), expected, "{service}, command line");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn kit_started_from_a_cursor_returns_the_rest() {
    let server = mock(MockConfig {
        count: 95,
        ..Default::default()
    })
    .await;
    let kit = KitClient::with_options(
        demo_credentials(Provider::Kit)[0],
        options(&server, Provider::Kit),
    )
    .unwrap();
    let pages: Vec<_> = kit.pages(10).try_collect().await.unwrap();
    assert!(pages.len() >= 10);
    assert!(
        pages.last().unwrap().next.is_none(),
        "the last page says so"
    );
    let ids = |items: &[kit::types::Purchase]| -> Vec<i64> { items.iter().map(|p| p.id).collect() };
    let all: Vec<i64> = pages.iter().flat_map(|p| ids(&p.items)).collect();
    // Stop after page 3, keep its cursor, and start again from it later.
    let cursor = pages[2].next.clone().expect("more after page 3");
    let rest: Vec<i64> = kit
        .list_purchases()
        .page_size(7)
        .start_from(cursor.clone())
        .items()
        .map_ok(|p| p.id)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(rest, all[30..]);

    // The same from the command line, the cursor as Kit's own `after` parameter.
    let Cursor::Token(after) = cursor else {
        panic!("{cursor:?}")
    };
    let o = purchases_cmd(&server, Provider::Kit)
        .args(["--param", &format!("after={after}")])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let printed: Vec<String> = all[30..].iter().map(|id| id.to_string()).collect();
    assert_eq!(printed_ids(&o.stdout), printed);
}

/// Which of the mock's scopes each Togai purchase belongs to (they are spread round-robin).
fn togai_accounts(server: &MockServer) -> Vec<(String, String)> {
    let scopes = server.scopes(Provider::Togai);
    server
        .data()
        .get::<togai::Api>()
        .iter()
        .enumerate()
        .map(|(i, p)| (p.id.to_string(), scopes[i % scopes.len()].clone()))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn togai_over_fifty_accounts_returns_each_purchase_once_with_bounded_requests_in_flight() {
    let server = mock(MockConfig {
        count: 400,
        scopes: 50,
        latency: Duration::from_millis(20),
        ..Default::default()
    })
    .await;
    let accounts = server.scopes(Provider::Togai);
    assert_eq!(accounts.len(), 50);
    let mut expected = togai_accounts(&server);
    let togai = TogaiClient::with_options(
        demo_credentials(Provider::Togai)[0],
        options(&server, Provider::Togai),
    )
    .unwrap();
    let got: Vec<(String, String)> = togai
        .list_purchases()
        .scopes(accounts.clone())
        .concurrency(3)
        .page_size(4)
        .purchases()
        .map_ok(|p| (p.id.to_string(), p.customer.unwrap().to_string()))
        .try_collect()
        .await
        .unwrap();
    let unique: HashSet<&String> = got.iter().map(|(id, _)| id).collect();
    assert_eq!(unique.len(), got.len(), "no purchase twice");
    // In the order the accounts were given, each account's purchases in its own order.
    expected.sort_by_key(|(_, account)| accounts.iter().position(|a| a == account));
    assert_eq!(got, expected);
    let most = server.max_in_flight(Provider::Togai);
    assert!((2..=3).contains(&most), "{most} requests in flight at once");

    // The command line, the accounts from a file.
    let server = mock(MockConfig {
        count: 400,
        scopes: 50,
        latency: Duration::from_millis(20),
        ..Default::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("accounts.txt");
    std::fs::write(&file, accounts.join("\n") + "\n\n").unwrap();
    let o = purchases_cmd(&server, Provider::Togai)
        .arg("--accounts")
        .arg(&file)
        .args(["--concurrency", "2", "--page-size", "4"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let ids: Vec<String> = expected.iter().map(|(id, _)| id.clone()).collect();
    assert_eq!(printed_ids(&o.stdout), ids);
    assert!(server.max_in_flight(Provider::Togai) <= 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rate_limit_on_one_request_holds_back_every_request_of_the_client() {
    for provider in Provider::ALL.iter().copied() {
        let server = mock(MockConfig {
            count: 400,
            faults: vec![Fault::RateLimit],
            ..Default::default()
        })
        .await;
        // Two listings at once on one client (clones share it): the first request to
        // arrive is answered as the API throttles, asking for a second's wait.
        let client = demo_client(provider, options(&server, provider)).unwrap();
        let count = |c: purchase_clients::AnyClient| async move {
            c.purchases(Some(10))
                .try_fold(0usize, |n, _| async move { Ok(n + 1) })
                .await
                .unwrap()
        };
        let (a, b) = tokio::join!(count(client.clone()), count(client.clone()));
        let listed = server.data().listed(provider);
        assert_eq!((a, b), (listed, listed), "{provider}");
        // Apart from the requests already on their way, none arrived during that second:
        // the other listing waited too.
        let arrivals = server.arrivals(provider);
        let first = arrivals[0];
        let during = arrivals
            .iter()
            .filter(|t| {
                let since = t.duration_since(first);
                since > Duration::from_millis(150) && since < Duration::from_millis(900)
            })
            .count();
        assert_eq!(during, 0, "{provider}: {} requests during the wait", during);
        let after = arrivals
            .iter()
            .filter(|t| t.duration_since(first) >= Duration::from_millis(900))
            .count();
        assert!(
            after > 10,
            "{provider}: the listings went on after the wait"
        );
    }
}

#[test]
fn each_page_size_bound_is_the_specs() {
    for provider in Provider::ALL.iter().copied() {
        let paging = purchase_clients::providers::paging(provider);
        let size = purchase_clients::parameters::list_parameters(provider)
            .unwrap()
            .into_iter()
            .find(|p| p.name == paging.size)
            .unwrap_or_else(|| panic!("{provider}: no {} parameter", paging.size));
        assert_eq!(size.schema["minimum"], 1, "{provider}");
        assert_eq!(
            size.schema["maximum"].as_u64(),
            Some(u64::from(paging.max_size)),
            "{provider}"
        );
        if let Some(default) = size.schema["default"].as_u64() {
            assert_eq!(default, u64::from(paging.default_size), "{provider}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_parameter_the_spec_does_not_have_or_a_value_of_the_wrong_type_exits_2() {
    let server = mock(MockConfig::default()).await;
    let o = purchases_cmd(&server, Provider::CoCalc)
        .args(["--param", "colour=red"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("\"colour\"") && err.contains("project_id"),
        "{err}"
    );
    let o = purchases_cmd(&server, Provider::CoCalc)
        .args(["--param", "cutoff=yesterday"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("cutoff") && err.contains("date-time"), "{err}");
    let o = purchases_cmd(&server, Provider::Kit)
        .args(["--param", "per_page=5000"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("integer from 1 to 1000"));
    // Nothing was asked of the server.
    assert!(server.arrivals(Provider::CoCalc).is_empty());
}

#[test]
fn purchases_params_lists_each_parameter_with_what_it_takes() {
    for provider in Provider::ALL.iter().copied() {
        let o = Command::cargo_bin("purchases")
            .unwrap()
            .args(["params", provider.name()])
            .output()
            .unwrap();
        assert!(o.status.success());
        let out = String::from_utf8_lossy(&o.stdout);
        let paging = purchase_clients::providers::paging(provider);
        for p in purchase_clients::parameters::list_parameters(provider).unwrap() {
            assert!(
                out.contains(&format!("  {} ({}", p.name, p.location)),
                "{out}"
            );
        }
        assert!(out.contains("[page size"), "{provider}: {out}");
        assert!(out.contains(paging.size), "{out}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_listing_that_needs_a_scope_says_so() {
    for provider in Provider::ALL.iter().copied() {
        let Some(scope) = purchase_clients::providers::paging(provider).scope else {
            continue;
        };
        let server = mock(MockConfig::default()).await;
        let client = purchase_clients::AnyClient::with_credentials(
            provider,
            &demo_credentials(provider)
                .iter()
                .map(|c| purchase_clients::Secret::new(*c))
                .collect::<Vec<_>>(),
            None,
            options(&server, provider),
        )
        .unwrap();
        let err = client.purchases(None).next().await.unwrap().unwrap_err();
        assert!(err.to_string().contains(scope.name), "{err}");
        let _ = <togai::Api as ListOperation>::PAGING;
    }
}
