//! The public surface of each generated client, pinned so that a spec update shows up in
//! review as a readable diff of the Rust API. The clients are generated exactly as the build
//! generates them: the same registry, spec, overlay and options.
#![cfg(feature = "codegen")]

use purchase_spec::codegen::surface;
use purchase_spec::registry::Registry;
use std::path::Path;

#[test]
fn each_generated_clients_public_surface() {
    let specs = Path::new(concat!(env!("PURCHASE_CLIENTS_CHECKOUT"), "/specs"));
    for entry in Registry::load(specs).unwrap().providers {
        let code = entry.generate(specs).unwrap();
        let file: syn::File = syn::parse_str(&code).unwrap();
        insta::assert_snapshot!(format!("surface_{}", entry.module), surface(&file));
    }
}
