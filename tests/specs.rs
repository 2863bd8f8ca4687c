//! The checked-in specs are what they claim to be.

mod common;

use sha2::{Digest, Sha256};

#[derive(serde::Deserialize)]
struct Source {
    file: String,
    kind: String,
    source: String,
    pages: Vec<String>,
    sha256: String,
    /// A second source the spec is reconciled with (Togai's published document).
    published: Option<Published>,
}

#[derive(serde::Deserialize)]
struct Published {
    file: String,
    kind: String,
    source: String,
    sha256: String,
}

fn sha256_of(file: &str) -> String {
    let bytes = std::fs::read(common::root().join("specs").join(file)).unwrap();
    format!("{:x}", Sha256::digest(&bytes))
}

fn sources() -> std::collections::BTreeMap<String, Source> {
    let text = std::fs::read_to_string(common::root().join("specs/sources.toml")).unwrap();
    toml::from_str(&text).unwrap()
}

/// The documentation pages are not part of the repository: a plain clone skips the
/// comparison (saying so); with `PURCHASE_DOCS_REQUIRED` set, as the project's CI does, a
/// missing folder fails.
#[test]
fn upstream_specs_are_byte_identical_to_their_documentation_pages() {
    let docs = common::docs_dir();
    if !docs.is_dir() {
        assert!(
            std::env::var_os("PURCHASE_DOCS_REQUIRED").is_none(),
            "PURCHASE_DOCS_REQUIRED is set but the documentation pages are not in {} (set PURCHASE_DOCS_DIR)",
            docs.display()
        );
        eprintln!(
            "skipped: the documentation pages are not in {} (set PURCHASE_DOCS_DIR to compare the upstream specs with them)",
            docs.display()
        );
        return;
    }
    let mut checked = 0;
    for (name, source) in sources() {
        if source.kind != "upstream" {
            continue;
        }
        let spec = std::fs::read(common::root().join("specs").join(&source.file)).unwrap();
        let page = std::fs::read_to_string(docs.join(&source.pages[0])).unwrap();
        let embedded = purchase_spec::extract_fenced_yaml(&page)
            .unwrap_or_else(|| panic!("{name}: no fenced YAML in {}", source.pages[0]));
        assert!(
            embedded.as_bytes() == spec.as_slice(),
            "specs/{} differs from the document embedded in its page",
            source.file
        );
        checked += 1;
    }
    assert_eq!(checked, 2, "Subtotal and Kit are kept verbatim");
}

#[test]
fn provenance_lists_every_spec_with_its_hash() {
    let sources = sources();
    let names: Vec<_> = sources.keys().map(String::as_str).collect();
    assert_eq!(names, ["cocalc", "kit", "subtotal", "togai"]);
    for (name, source) in &sources {
        assert!(
            matches!(source.kind.as_str(), "upstream" | "hand-written"),
            "{name}"
        );
        assert!(source.source.starts_with("https://"), "{name}");
        assert_eq!(
            sha256_of(&source.file),
            source.sha256,
            "specs/{} changed without its provenance: update sha256 in specs/sources.toml",
            source.file
        );
        if let Some(published) = &source.published {
            assert_eq!(published.kind, "upstream", "{name}");
            assert!(
                published.source.starts_with("https://github.com/"),
                "{name}"
            );
            assert_eq!(
                sha256_of(&published.file),
                published.sha256,
                "specs/{}",
                published.file
            );
        }
    }
    assert!(
        sources["togai"].published.is_some(),
        "Togai's second source"
    );
}

#[test]
fn hand_written_specs_are_openapi_3_0_3_and_upstream_ones_keep_their_version() {
    let version = |p: &str| {
        let text = std::fs::read_to_string(common::root().join(format!("specs/{p}.yaml"))).unwrap();
        purchase_spec::load_document(p, &text).unwrap()["openapi"].clone()
    };
    assert_eq!(version("cocalc"), "3.0.3");
    assert_eq!(version("togai"), "3.0.3");
    assert_eq!(version("kit"), "3.0.3");
    assert_eq!(version("subtotal"), "3.1.0");
}

#[test]
fn normalized_specs_are_3_0_with_an_operation_id_everywhere() {
    for entry in common::registry().providers {
        let provider = entry.module.as_str();
        let doc = common::normalized(provider);
        assert_eq!(doc["openapi"], "3.0.3", "{provider}");
        let paths = doc["paths"].as_object().unwrap();
        assert!(!paths.is_empty(), "{provider}");
        for (path, item) in paths {
            for (method, op) in item.as_object().unwrap() {
                if method == "parameters" {
                    continue;
                }
                assert!(op["operationId"].is_string(), "{provider} {method} {path}");
            }
        }
    }
}

#[test]
fn hand_written_specs_declare_each_providers_authentication() {
    let schemes = |p: &str| common::normalized(p)["components"]["securitySchemes"].clone();
    let cocalc = schemes("cocalc");
    assert_eq!(cocalc["BasicAuth"]["scheme"], "basic");
    assert_eq!(cocalc["BearerAuth"]["scheme"], "bearer");
    assert_eq!(schemes("togai")["bearerAuth"]["scheme"], "bearer");
}

/// Every provider of the registry is a module declared in `src/providers/mod.rs`, under the
/// feature the registry names (plain Rust modules, which `cargo fmt` and rustdoc see).
#[test]
fn every_registry_entry_is_a_module_declared_under_its_feature() {
    let source = std::fs::read_to_string(common::root().join("src/providers/mod.rs")).unwrap();
    let lines: Vec<&str> = source.lines().map(str::trim).collect();
    let declared: Vec<(String, String)> = lines
        .windows(3)
        .filter_map(|w| {
            let feature = w[0]
                .strip_prefix("#[cfg(feature = \"")?
                .strip_suffix("\")]")?;
            let module = w
                .iter()
                .find_map(|l| l.strip_prefix("pub mod ")?.strip_suffix(';'))?;
            Some((module.to_string(), feature.to_string()))
        })
        .collect();
    for entry in common::registry().providers {
        assert!(
            declared.contains(&(entry.module.clone(), entry.feature.clone())),
            "{} is not declared under feature {:?}: {declared:?}",
            entry.module,
            entry.feature
        );
    }
}
