//! Generates one client module per provider from `specs/` with progenitor.
//!
//! All the logic lives in the `purchase-spec` crate, where it is tested; this file only
//! reads the files, asks for the code and writes it to `OUT_DIR`.

use purchase_spec::codegen::{generate_client, GenerateOptions};
use std::path::Path;

const PROVIDERS: &[&str] = &["cocalc", "subtotal", "togai", "kit"];

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let out_dir = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    let options = GenerateOptions {
        client_new_prelude: Some("crate::tls::install_crypto_provider();".into()),
        inner_type: Some("crate::transport::Inner".into()),
        datetime_fns: Some((
            "crate::datetime::rfc3339".into(),
            "crate::datetime::rfc3339_option".into(),
        )),
        ..GenerateOptions::default()
    };
    let mut failed = false;
    for provider in PROVIDERS {
        let feature = format!("CARGO_FEATURE_{}", provider.to_uppercase());
        if std::env::var_os(feature).is_none() {
            continue;
        }
        let spec_path = format!("specs/{provider}.yaml");
        let overlay_path = format!("specs/overlays/{provider}.overlay.yaml");
        println!("cargo:rerun-if-changed={spec_path}");
        println!("cargo:rerun-if-changed={overlay_path}");
        let result = std::fs::read_to_string(&spec_path)
            .map_err(|e| format!("cannot read {spec_path}: {e}"))
            .and_then(|spec| {
                let overlay = if Path::new(&overlay_path).exists() {
                    Some(
                        std::fs::read_to_string(&overlay_path)
                            .map_err(|e| format!("cannot read {overlay_path}: {e}"))?,
                    )
                } else {
                    None
                };
                let mut options = options.clone();
                if *provider == "cocalc" {
                    // Its three reply shapes are read in one pass (src/providers/cocalc.rs).
                    options.hand_written_deserialize = vec!["GetPurchasesResponse".into()];
                }
                generate_client(&spec_path, &spec, overlay.as_deref(), &options)
                    .map_err(|e| e.to_string())
            })
            .and_then(|code| {
                let out = Path::new(&out_dir).join(format!("{provider}.rs"));
                std::fs::write(&out, code)
                    .map_err(|e| format!("cannot write {}: {e}", out.display()))
            });
        if let Err(message) = result {
            eprintln!("error: {message}");
            failed = true;
        }
    }
    if failed {
        std::process::exit(1);
    }
}
