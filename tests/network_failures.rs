//! Failures of the connection itself, under every provider's listing: a connection closed
//! or reset just as a request arrives is retried like any transient failure, within the
//! same retry budget, and a failure that outlasts the budget says so.

use futures::TryStreamExt;
use purchase_clients::mock::{demo_client, MockConfig, MockServer};
use purchase_clients::{ClientOptions, Error, Provider, Purchase, RetryConfig};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};

/// How the proxy ends a connection it drops.
#[derive(Clone, Copy, Debug)]
enum Cut {
    /// Reads the request and closes the connection without a word (FIN): hyper's
    /// "connection closed before message completed".
    Close,
    /// Reads the request and resets the connection (RST).
    Reset,
}

/// A loopback proxy in front of `upstream` that drops the first `drops` connections after
/// reading their request, and passes every later one through untouched. Counts the
/// connections it accepted.
async fn proxy(upstream: SocketAddr, drops: usize, how: Cut) -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = accepted.clone();
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            let n = counter.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                if n < drops {
                    // The whole request head (and a small body) arrives in one read on loopback.
                    let mut buf = vec![0u8; 64 * 1024];
                    let _ = client.read(&mut buf).await;
                    if let Cut::Reset = how {
                        let _ = client.set_zero_linger();
                    }
                    return;
                }
                let Ok(mut server) = TcpStream::connect(upstream).await else {
                    return;
                };
                let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
            });
        }
    });
    (addr, accepted)
}

fn quick(attempts: u32) -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(attempts)
        .with_initial_backoff(Duration::from_millis(5))
        .with_max_backoff(Duration::from_millis(20))
}

async fn list(
    provider: Provider,
    base: String,
    retry: RetryConfig,
) -> Result<Vec<Purchase>, Error> {
    let options = ClientOptions::default().base_url(base).retry(retry);
    demo_client(provider, options)
        .unwrap()
        .purchases(None)
        .try_collect()
        .await
}

async fn mock() -> MockServer {
    let config = MockConfig {
        count: 30,
        ..Default::default()
    };
    MockServer::start("127.0.0.1:0".parse().unwrap(), config)
        .await
        .unwrap()
}

/// The base URL of `provider` on the mock, reached through the proxy at `addr`.
fn through(mock: &MockServer, provider: Provider, addr: SocketAddr) -> String {
    mock.base_url(provider)
        .replace(&mock.addr().to_string(), &addr.to_string())
}

#[tokio::test]
async fn a_connection_closed_before_the_answer_is_retried_for_every_provider() {
    let mock = mock().await;
    for how in [Cut::Close, Cut::Reset] {
        for provider in Provider::ALL.iter().copied() {
            let direct = list(provider, mock.base_url(provider), quick(4))
                .await
                .unwrap();
            let (addr, accepted) = proxy(mock.addr(), 2, how).await;
            let got = list(provider, through(&mock, provider, addr), quick(4))
                .await
                .unwrap_or_else(|e| panic!("{provider}, {how:?}: {e}"));
            let ids = |v: &[Purchase]| v.iter().map(|p| p.id.to_string()).collect::<Vec<_>>();
            assert_eq!(ids(&got), ids(&direct), "{provider}, {how:?}");
            assert!(
                accepted.load(Ordering::SeqCst) >= 3,
                "{provider}: the two dropped connections and at least one more"
            );
        }
    }
}

#[tokio::test]
async fn a_connection_dropped_more_often_than_the_policy_allows_says_how_often() {
    let mock = mock().await;
    for provider in Provider::ALL.iter().copied() {
        let (addr, accepted) = proxy(mock.addr(), usize::MAX, Cut::Close).await;
        let err = list(provider, through(&mock, provider, addr), quick(3))
            .await
            .expect_err("every connection dropped");
        let shown = err.to_string();
        assert!(
            matches!(err, Error::Transport { .. }),
            "{provider}: {shown}"
        );
        assert!(
            shown.contains("the connection closed before the response"),
            "{provider}: {shown}"
        );
        assert!(shown.contains("after 3 attempts"), "{provider}: {shown}");
        assert_eq!(accepted.load(Ordering::SeqCst), 3, "{provider}");
    }
}

#[tokio::test]
async fn with_retries_disabled_a_dropped_connection_says_why_it_was_not_retried() {
    let mock = mock().await;
    let provider = Provider::ALL[0];
    let (addr, accepted) = proxy(mock.addr(), usize::MAX, Cut::Close).await;
    let err = list(
        provider,
        through(&mock, provider, addr),
        RetryConfig::disabled(),
    )
    .await
    .expect_err("the connection is dropped");
    assert!(
        err.to_string()
            .contains("not retried: retries are disabled"),
        "{err}"
    );
    assert_eq!(accepted.load(Ordering::SeqCst), 1);
}
