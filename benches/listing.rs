//! Listing through the library against a minimal hand-written `reqwest` + `serde` loop, both
//! against the embedded mock over loopback, interleaved; and listing with one page fetched
//! ahead against fetching strictly in turn, when the server and the consumer each take the
//! same time per page.
//!
//! `cargo bench --bench listing --features mock` (or `scripts/bench.sh`).

mod support;

use futures::TryStreamExt;
use purchase_clients::kit::types::ListPurchasesResponse;
use purchase_clients::mock::{demo_credentials, MockConfig, MockServer};
use purchase_clients::{ClientOptions, KitClient, Provider};
use std::hint::black_box;
use std::time::{Duration, Instant};
use support::{compare, Variant};

/// The loop a careful user would write by hand: one `reqwest::Client` (so connections are
/// reused), the same page size, the same generated types.
async fn hand_written(http: &reqwest::Client, base: &str, per_page: u32) -> usize {
    let url = format!("{base}/v4/purchases");
    let per_page = per_page.to_string();
    let (mut after, mut count) = (None::<String>, 0);
    loop {
        let mut request = http
            .get(&url)
            .bearer_auth(demo_credentials(Provider::Kit)[0])
            .query(&[("per_page", per_page.as_str())]);
        if let Some(after) = &after {
            request = request.query(&[("after", after.as_str())]);
        }
        let response = request.send().await.unwrap().error_for_status().unwrap();
        let bytes = response.bytes().await.unwrap();
        let page: ListPurchasesResponse = serde_json::from_slice(&bytes).unwrap();
        for purchase in page.purchases {
            black_box(purchase);
            count += 1;
        }
        if !page.pagination.has_next_page {
            return count;
        }
        after = page.pagination.end_cursor;
    }
}

async fn library(client: &KitClient, per_page: u32) -> usize {
    client
        .items(per_page)
        .try_fold(0, |n, purchase| {
            black_box(purchase);
            async move { Ok(n + 1) }
        })
        .await
        .unwrap()
}

/// Lists page by page, spending `work` of CPU time on each page before asking for the next.
async fn process_pages(client: &KitClient, per_page: u32, work: Duration) -> usize {
    let mut pages = client.pages(per_page);
    let mut count = 0;
    while let Some(page) = pages.try_next().await.unwrap() {
        let until = Instant::now() + work;
        while Instant::now() < until {
            std::hint::spin_loop();
        }
        count += black_box(page).len();
    }
    count
}

fn kit(server: &MockServer, prefetch: usize) -> KitClient {
    let options = ClientOptions::default()
        .base_url(server.base_url(Provider::Kit))
        .prefetch(prefetch);
    KitClient::with_options(demo_credentials(Provider::Kit)[0], options).unwrap()
}

fn timed(
    rt: &tokio::runtime::Runtime,
    expect: usize,
    f: impl std::future::Future<Output = usize>,
) -> Duration {
    let start = Instant::now();
    let n = rt.block_on(f);
    let elapsed = start.elapsed();
    assert_eq!(n, expect, "every variant lists every purchase");
    elapsed
}

fn main() {
    purchase_clients::tls::install_crypto_provider();
    // The mock on its own runtime, like a server in another process.
    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let client_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();

    if support::selected("listing") {
        let config = MockConfig {
            count: 100_000,
            ..MockConfig::default()
        };
        let server = server_rt
            .block_on(MockServer::start("127.0.0.1:0".parse().unwrap(), config))
            .unwrap();
        let base = server.base_url(Provider::Kit);
        let http = reqwest::Client::new();
        let expect = client_rt.block_on(hand_written(&http, &base, 1000));
        assert!(expect >= 100_000, "{expect}");
        let strict = kit(&server, 0);
        let ahead = kit(&server, 1);
        compare(
            &format!("listing: {expect} kit purchases, 1000 a page, loopback mock"),
            &[
                ("library, prefetch 0", "≤ 1.10×"),
                ("library, prefetch 1 (default)", "≤ 1.10×"),
            ],
            vec![
                Variant::timed("hand-written reqwest + serde loop", || {
                    timed(&client_rt, expect, hand_written(&http, &base, 1000))
                }),
                Variant::timed("library, prefetch 0", || {
                    timed(&client_rt, expect, library(&strict, 1000))
                }),
                Variant::timed("library, prefetch 1 (default)", || {
                    timed(&client_rt, expect, library(&ahead, 1000))
                }),
            ],
            2,
            support::rounds(12),
        );
    }

    if support::selected("overlap") {
        let latency = Duration::from_millis(20);
        let config = MockConfig {
            count: 3000,
            latency,
            ..MockConfig::default()
        };
        let server = server_rt
            .block_on(MockServer::start("127.0.0.1:0".parse().unwrap(), config))
            .unwrap();
        let strict = kit(&server, 0);
        let ahead = kit(&server, 1);
        let expect = client_rt.block_on(process_pages(&strict, 100, Duration::ZERO));
        compare(
            &format!(
                "overlap: {} pages, server 20 ms and consumer 20 ms a page",
                expect.div_ceil(100)
            ),
            &[("prefetch 1", "≤ 0.65×")],
            vec![
                Variant::timed("prefetch 0 (strictly in turn)", || {
                    timed(&client_rt, expect, process_pages(&strict, 100, latency))
                }),
                Variant::timed("prefetch 1", || {
                    timed(&client_rt, expect, process_pages(&ahead, 100, latency))
                }),
            ],
            1,
            support::rounds(8),
        );
    }
}
