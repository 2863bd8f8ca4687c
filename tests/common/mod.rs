//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

/// The crate's root folder.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The folder holding the providers' documentation pages the specs were written from:
/// `$PURCHASE_DOCS_DIR`, or `../shared/seeds` beside the crate.
pub fn docs_dir() -> PathBuf {
    std::env::var_os("PURCHASE_DOCS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("../shared/seeds"))
}

pub const PROVIDERS: &[&str] = &["cocalc", "subtotal", "togai", "kit"];

/// A provider's spec after the whole normalization pipeline, as the build generates from.
pub fn normalized(provider: &str) -> serde_json::Value {
    let spec_path = root().join(format!("specs/{provider}.yaml"));
    let spec = std::fs::read_to_string(&spec_path).unwrap();
    let overlay =
        std::fs::read_to_string(root().join(format!("specs/overlays/{provider}.overlay.yaml")))
            .ok();
    purchase_spec::normalize(provider, &spec, overlay.as_deref()).unwrap_or_else(|e| panic!("{e}"))
}
