//! Generates one client module per provider listed in `specs/providers.toml`, and the
//! crate's provider registry, with progenitor.
//!
//! All the logic lives in the `purchase-spec` crate, where it is tested; this file only
//! reads the list, asks for the code and writes it to `OUT_DIR`.

use purchase_spec::registry::{registry_code, Registry};
use std::path::Path;

fn main() {
    let crate_dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let out_dir = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    let specs = Path::new(&crate_dir).join("specs");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=specs/providers.toml");
    let registry = Registry::load(&specs).unwrap_or_else(|e| fail(&e));
    for entry in &registry.providers {
        println!("cargo:rerun-if-changed=specs/{}", entry.spec);
        if let Some(overlay) = &entry.overlay {
            println!("cargo:rerun-if-changed=specs/{overlay}");
        }
        let feature = format!(
            "CARGO_FEATURE_{}",
            entry.feature.to_uppercase().replace('-', "_")
        );
        if std::env::var_os(feature).is_none() {
            continue;
        }
        let code = entry.generate(&specs).unwrap_or_else(|e| fail(&e));
        write(
            &Path::new(&out_dir).join(format!("{}.rs", entry.module)),
            &code,
        );
    }
    write(
        &Path::new(&out_dir).join("registry.rs"),
        &registry_code(&registry),
    );
    if std::env::var_os("CARGO_FEATURE_FIXTURE_PROVIDERS").is_some() {
        adopted(&registry, Path::new(&crate_dir), Path::new(&out_dir));
    }
}

/// The test fixture `adopted`: each client regenerated with the overlay the replay test
/// proposed (and pinned in `tests/snapshots/proposed/`) appended to its own, so that the
/// test can decode the recorded replies with the clients the proposal would give.
fn adopted(registry: &Registry, crate_dir: &Path, out_dir: &Path) {
    let pinned = crate_dir.join("tests/snapshots/proposed");
    println!("cargo:rerun-if-changed=tests/snapshots/proposed");
    let specs = crate_dir.join("specs");
    let mut modules = Vec::new();
    for entry in &registry.providers {
        let snap = pinned.join(format!("replay_loop__proposed_{}.snap", entry.module));
        let Ok(text) = std::fs::read_to_string(&snap) else {
            continue;
        };
        let proposal = snapshot_content(&text);
        let (spec, current) = entry.read(&specs).unwrap_or_else(|e| fail(&e));
        let overlay = match current {
            Some(c) => purchase_spec::overlay::append_actions(&c, proposal),
            None => Ok(proposal.to_string()),
        }
        .unwrap_or_else(|e| fail(&format!("{}: {e}", snap.display())));
        let (code, types) =
            purchase_spec::registry::regenerated_client(entry, &spec, Some(&overlay))
                .unwrap_or_else(|e| fail(&format!("{}: {e}", snap.display())));
        write(&out_dir.join(format!("adopted_{}.rs", entry.module)), &code);
        modules.push((entry, types));
    }
    write(
        &out_dir.join("adopted.rs"),
        &purchase_spec::registry::adopted_code(&modules),
    );
}

/// What an insta snapshot file pins: the text after its `---` header.
fn snapshot_content(text: &str) -> &str {
    text.strip_prefix("---\n")
        .and_then(|rest| rest.split_once("\n---\n"))
        .map_or(text, |(_, content)| content)
}

fn write(path: &Path, code: &str) {
    std::fs::write(path, code)
        .unwrap_or_else(|e| fail(&format!("cannot write {}: {e}", path.display())));
}

fn fail(message: &str) -> ! {
    eprintln!("error: {message}");
    std::process::exit(1);
}
