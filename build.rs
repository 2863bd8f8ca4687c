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
        &registry_code(&registry, Path::new(&crate_dir)),
    );
}

fn write(path: &Path, code: &str) {
    std::fs::write(path, code)
        .unwrap_or_else(|e| fail(&format!("cannot write {}: {e}", path.display())));
}

fn fail(message: &str) -> ! {
    eprintln!("error: {message}");
    std::process::exit(1);
}
