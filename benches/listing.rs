//! Listing through the library against a minimal hand-written `reqwest` + `serde` loop, both
//! against the embedded mock over loopback, interleaved; and listing with one page fetched
//! ahead against fetching strictly in turn, when the server and the consumer each take the
//! same time per page.
//!
//! The `cpu` group compares whole processes: `purchases list kit --format jsonl` against a
//! minimal hand-written lister (this binary run with `--hand-lister BASE_URL`), each timed by
//! `/usr/bin/time` (user + system CPU), interleaved, against one mock. It needs the
//! `purchases` binary, so it runs when the bench is built with the `cli` feature.
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
        after = page.pagination.end_cursor.map(String::from);
    }
}

async fn library(client: &KitClient, per_page: u32) -> usize {
    client
        .list_purchases()
        .page_size(per_page)
        .items()
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
        count += black_box(page).items.len();
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

/// The lister a careful user would write by hand for `purchases list kit --format jsonl`:
/// `reqwest`, `serde_json` and `rust_decimal`, decoding only the fields it prints, the same
/// page size, a current-thread runtime, one JSON line per purchase on stdout.
mod hand_lister {
    use chrono::{DateTime, Utc};
    use purchase_clients::kit::types::ListPurchasesResponse;
    use rust_decimal::Decimal;
    use serde::{Deserialize, Serialize};
    use std::io::Write;

    #[derive(Deserialize)]
    struct Page {
        pagination: Pagination,
        purchases: Vec<Purchase>,
    }
    #[derive(Deserialize)]
    struct Pagination {
        has_next_page: bool,
        end_cursor: Option<String>,
    }
    #[derive(Deserialize)]
    struct Purchase {
        id: i64,
        transaction_time: DateTime<Utc>,
        total: Decimal,
        currency: String,
        status: String,
        email_address: String,
    }
    #[derive(Serialize)]
    struct Line<'a> {
        provider: &'static str,
        id: String,
        time: DateTime<Utc>,
        total: Decimal,
        currency: &'a str,
        status: &'a str,
        customer: &'a str,
    }

    /// One JSON line: currency, status and customer in `texts`.
    fn write_line(
        out: &mut impl Write,
        id: i64,
        time: DateTime<Utc>,
        total: Decimal,
        texts: [&str; 3],
    ) {
        let [currency, status, customer] = texts;
        let line = Line {
            provider: "kit",
            id: id.to_string(),
            time,
            total,
            currency,
            status,
            customer,
        };
        serde_json::to_writer(&mut *out, &line).unwrap();
        out.write_all(b"\n").unwrap();
    }

    /// Lists; `whole` decodes every field of the generated types instead of the six printed.
    pub fn run(base: &str, token: &str, whole: bool) {
        purchase_clients::tls::install_crypto_provider();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let http = reqwest::Client::new();
            let url = format!("{base}/v4/purchases");
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            let mut after = None::<String>;
            loop {
                let mut request = http
                    .get(&url)
                    .bearer_auth(token)
                    .query(&[("per_page", "1000")]);
                if let Some(after) = &after {
                    request = request.query(&[("after", after.as_str())]);
                }
                let response = request.send().await.unwrap().error_for_status().unwrap();
                let bytes = response.bytes().await.unwrap();
                let more = if whole {
                    // The same lines from the generated types: every field decoded.
                    let page: ListPurchasesResponse = serde_json::from_slice(&bytes).unwrap();
                    for p in &page.purchases {
                        let time = p.transaction_time.parse().unwrap();
                        write_line(
                            &mut out,
                            p.id,
                            time,
                            p.total,
                            [p.currency.as_str(), &p.status, &p.email_address],
                        );
                    }
                    page.pagination
                        .has_next_page
                        .then_some(page.pagination.end_cursor.map(String::from))
                } else {
                    let page: Page = serde_json::from_slice(&bytes).unwrap();
                    for p in &page.purchases {
                        let texts = [p.currency.as_str(), &p.status, &p.email_address];
                        write_line(&mut out, p.id, p.transaction_time, p.total, texts);
                    }
                    page.pagination
                        .has_next_page
                        .then_some(page.pagination.end_cursor)
                };
                match more {
                    Some(cursor) => after = cursor,
                    None => break,
                }
            }
            out.flush().unwrap();
        });
    }
}

/// User + system CPU time of running `command` to completion, output discarded, as
/// `/usr/bin/time` reports it.
fn process_cpu(command: &[&str], env: (&str, &str)) -> Duration {
    let out = std::process::Command::new("/usr/bin/time")
        .args(["-f", "%U %S"])
        .args(command)
        .env(env.0, env.1)
        .stdout(std::process::Stdio::null())
        .output()
        .expect("/usr/bin/time runs");
    assert!(
        out.status.success(),
        "{command:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stderr);
    let last = text.lines().last().unwrap_or_default();
    let secs: f64 = last
        .split_whitespace()
        .filter_map(|s| s.parse::<f64>().ok())
        .sum();
    Duration::from_secs_f64(secs)
}

/// Whole-process CPU of the `purchases` binary against the hand-written lister.
fn cpu(server_rt: &tokio::runtime::Runtime) {
    let Some(purchases) = option_env!("CARGO_BIN_EXE_purchases") else {
        println!("| listing CPU | (needs the cli feature: scripts/bench.sh builds it) | | | |");
        return;
    };
    let config = MockConfig {
        count: 100_000,
        ..MockConfig::default()
    };
    let server = server_rt
        .block_on(MockServer::start("127.0.0.1:0".parse().unwrap(), config))
        .unwrap();
    let base = server.base_url(Provider::Kit);
    let me = std::env::current_exe().unwrap();
    let me = me.to_str().unwrap();
    let token = ("KIT_ACCESS_TOKEN", demo_credentials(Provider::Kit)[0]);
    let cli = |prefetch: &'static str| {
        let base = base.clone();
        move || {
            process_cpu(
                &[
                    purchases,
                    "list",
                    "kit",
                    "--base-url",
                    &base,
                    "--format",
                    "jsonl",
                    "--page-size",
                    "1000",
                    "--prefetch",
                    prefetch,
                ],
                token,
            )
        }
    };
    compare(
        "listing CPU (user + sys): 100,003 kit purchases as JSON lines, 1000 a page",
        &[
            ("purchases list, prefetch 1 (default)", "≤ 1.20×"),
            ("purchases list, prefetch 0", "≤ 1.20×"),
        ],
        vec![
            Variant::timed(
                "hand-written lister (current-thread reqwest + serde)",
                || process_cpu(&[me, "--hand-lister", &base], token),
            ),
            Variant::timed(
                "hand-written lister decoding the whole generated record",
                || process_cpu(&[me, "--hand-lister", &base, "--whole-record"], token),
            ),
            Variant::timed("purchases list, prefetch 1 (default)", cli("1")),
            Variant::timed("purchases list, prefetch 0", cli("0")),
        ],
        1,
        support::rounds(10),
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--hand-lister") {
        let token = std::env::var("KIT_ACCESS_TOKEN").unwrap_or_default();
        let whole = args.iter().any(|a| a == "--whole-record");
        hand_lister::run(&args[i + 1], &token, whole);
        return;
    }
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

    if support::selected("listing CPU") {
        cpu(&server_rt);
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
