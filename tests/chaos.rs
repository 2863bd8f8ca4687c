//! Every provider's listing under chaos: a share of requests fails at random in every way a
//! network and a server fail (503, 500, 429 with and without a wait, a body cut off, a
//! connection dropped before any answer, an answer 0.4 s late). The listing must come out
//! exactly as without chaos — no record lost, none repeated, same order — or fail clearly,
//! and only where one page failed more often in a row than the retry policy allows.
//!
//! `cargo test` runs three seeds at 15%; a longer campaign:
//! `CHAOS_SEEDS=200 CHAOS_PERCENT=15 cargo test --release --all-features --test chaos`.

use futures::TryStreamExt;
use purchase_clients::mock::{demo_client, MockConfig, MockServer};
use purchase_clients::{ClientOptions, Error, Provider, RetryConfig};
use std::time::Duration;

fn var(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

const ATTEMPTS: u32 = 4;

async fn mock(chaos: Option<u8>, seed: u64) -> MockServer {
    let config = MockConfig {
        count: 1500,
        chaos,
        seed,
        ..Default::default()
    };
    MockServer::start("127.0.0.1:0".parse().unwrap(), config)
        .await
        .unwrap()
}

/// Every purchase id of `provider`'s listing, 50 a page.
async fn list(server: &MockServer, provider: Provider) -> Result<Vec<String>, Error> {
    let options = ClientOptions::default()
        .base_url(server.base_url(provider))
        .retry(
            RetryConfig::standard()
                .with_max_attempts(ATTEMPTS)
                .with_initial_backoff(Duration::from_millis(5))
                .with_max_backoff(Duration::from_millis(20)),
        );
    let size = 50.min(provider.max_page_size());
    demo_client(provider, options)
        .unwrap()
        .purchases(Some(size))
        .map_ok(|p| p.id.to_string())
        .try_collect()
        .await
}

#[tokio::test(flavor = "multi_thread")]
async fn every_provider_lists_exactly_the_full_listing_under_chaos() {
    let seeds = var("CHAOS_SEEDS", 3);
    let percent = var("CHAOS_PERCENT", 15) as u8;
    let (mut exact, mut clear_failures) = (0, 0);
    for provider in Provider::ALL.iter().copied() {
        let expected = list(&mock(None, 0).await, provider).await.unwrap();
        assert!(expected.len() >= 1500, "{provider}");
        for seed in 1..=seeds {
            let server = mock(Some(percent), seed).await;
            let log = || server.chaos_log(provider);
            match list(&server, provider).await {
                Ok(got) => {
                    assert!(
                        got == expected,
                        "{provider}, seed {seed}: {} of {} purchases, or another order",
                        got.len(),
                        expected.len()
                    );
                    assert!(
                        log().iter().any(|c| c.is_some_and(|c| c.failed())),
                        "{provider}, seed {seed}: chaos struck"
                    );
                    exact += 1;
                }
                Err(e) => {
                    // Only a page that failed as many times in a row as the policy allows.
                    let log = log();
                    let last = &log[log.len().saturating_sub(ATTEMPTS as usize)..];
                    assert!(
                        last.len() == ATTEMPTS as usize
                            && last.iter().all(|c| c.is_some_and(|c| c.failed())),
                        "{provider}, seed {seed}: {e} after {:?}",
                        last
                    );
                    assert!(e.to_string().starts_with(provider.name()), "{e}");
                    clear_failures += 1;
                }
            }
        }
    }
    eprintln!("{exact} exact listings, {clear_failures} clear failures");
    assert!(exact > clear_failures);
}
