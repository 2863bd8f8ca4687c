//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

/// The crate's root folder.
pub fn root() -> PathBuf {
    PathBuf::from(env!("PURCHASE_CLIENTS_CHECKOUT"))
}

/// The folder holding the providers' documentation pages the specs were written from:
/// `$PURCHASE_DOCS_DIR`, or `../shared/seeds` beside the crate.
pub fn docs_dir() -> PathBuf {
    std::env::var_os("PURCHASE_DOCS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("../shared/seeds"))
}

/// The provider registry, read as the build reads it.
pub fn registry() -> purchase_spec::registry::Registry {
    purchase_spec::registry::Registry::load(&root().join("specs")).unwrap()
}

/// A provider's spec after the whole normalization pipeline, as the build generates from.
pub fn normalized(provider: &str) -> serde_json::Value {
    registry()
        .get(provider)
        .unwrap_or_else(|| panic!("{provider} is not in specs/providers.toml"))
        .normalized(&root().join("specs"))
        .unwrap_or_else(|e| panic!("{e}"))
}

use purchase_clients::{ClientOptions, RetryConfig};
use std::time::Duration;

/// Options pointing at a mock server, with quick retries so tests stay fast.
pub fn options(server: &wiremock::MockServer, prefix: &str) -> ClientOptions {
    ClientOptions::default()
        .base_url(format!("{}{prefix}", server.uri()))
        .retry(
            RetryConfig::standard()
                .with_initial_backoff(Duration::from_millis(5))
                .with_max_backoff(Duration::from_millis(20)),
        )
}

/// The requests a mock server received, for checking what went on the wire.
pub async fn requests(server: &wiremock::MockServer) -> Vec<wiremock::Request> {
    server.received_requests().await.unwrap_or_default()
}

/// Asserts that no credential appears in an error's `Display` or `Debug`.
pub fn assert_no_secret(err: &purchase_clients::Error, secrets: &[&str]) {
    let shown = format!("{err} {err:?}");
    for secret in secrets {
        assert!(
            !shown.contains(secret),
            "secret {secret:?} leaked in: {shown}"
        );
    }
}

/// A copy of `specs/`: the registry and every spec and overlay it lists.
pub fn specs_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = std::path::Path::new(env!("PURCHASE_CLIENTS_CHECKOUT")).join("specs");
    std::fs::create_dir(dir.path().join("overlays")).unwrap();
    let registry = purchase_spec::registry::Registry::load(&root).unwrap();
    let mut files = vec![
        "known-deviations.toml".to_string(),
        "providers.toml".to_string(),
    ];
    for entry in registry.providers {
        files.push(entry.spec);
        files.extend(entry.overlay);
    }
    for file in files {
        std::fs::copy(root.join(&file), dir.path().join(&file)).unwrap();
    }
    dir
}
