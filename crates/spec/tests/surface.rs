//! The public surface of each generated client, pinned so that a spec update shows up in
//! review as a readable diff of the Rust API.
#![cfg(feature = "codegen")]

use purchase_spec::codegen::{generate_client, surface, GenerateOptions};

#[test]
fn each_generated_clients_public_surface() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../specs");
    for provider in ["cocalc", "subtotal", "togai", "kit"] {
        let spec = std::fs::read_to_string(format!("{root}/{provider}.yaml")).unwrap();
        let overlay =
            std::fs::read_to_string(format!("{root}/overlays/{provider}.overlay.yaml")).ok();
        let options = GenerateOptions {
            inner_type: Some("crate::transport::Inner".into()),
            ..Default::default()
        };
        let code = generate_client(provider, &spec, overlay.as_deref(), &options).unwrap();
        let file: syn::File = syn::parse_str(&code).unwrap();
        insta::assert_snapshot!(format!("surface_{provider}"), surface(&file));
    }
}
