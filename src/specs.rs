//! The specs the crate was generated from, built in.

use crate::Provider;
use serde_json::Value;

/// A provider's spec as checked in, and its overlay.
pub fn builtin_spec(provider: Provider) -> (&'static str, Option<&'static str>) {
    match provider {
        Provider::CoCalc => (include_str!("../specs/cocalc.yaml"), None),
        Provider::Subtotal => (
            include_str!("../specs/subtotal.yaml"),
            Some(include_str!("../specs/overlays/subtotal.overlay.yaml")),
        ),
        Provider::Togai => (
            include_str!("../specs/togai.yaml"),
            Some(include_str!("../specs/overlays/togai.overlay.yaml")),
        ),
        Provider::Kit => (
            include_str!("../specs/kit.yaml"),
            Some(include_str!("../specs/overlays/kit.overlay.yaml")),
        ),
    }
}

/// The spec file name of a provider.
pub fn spec_file(provider: Provider) -> String {
    format!("{}.yaml", provider.name())
}

/// The documented spec (down-converted, no overlay) of a provider as checked in.
pub fn documented(provider: Provider) -> Result<Value, String> {
    let (spec, _) = builtin_spec(provider);
    purchase_spec::normalize(&spec_file(provider), spec, None).map_err(|e| e.to_string())
}

/// The normalized spec (overlays applied) of a provider as checked in.
pub fn normalized(provider: Provider) -> Result<Value, String> {
    let (spec, overlay) = builtin_spec(provider);
    purchase_spec::normalize(&spec_file(provider), spec, overlay).map_err(|e| e.to_string())
}
