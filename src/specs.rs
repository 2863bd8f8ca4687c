//! The specs the crate was generated from, built in.

use crate::Provider;
use serde_json::Value;

/// A provider's spec as checked in, and its overlay.
pub fn builtin_spec(provider: Provider) -> (&'static str, Option<&'static str>) {
    crate::BUILTIN_SPECS
        .iter()
        .find(|(p, ..)| *p == provider)
        .map(|(_, _, spec, overlay)| (*spec, *overlay))
        .expect("the registry lists a spec for every provider compiled in")
}

/// The spec file name of a provider.
pub fn spec_file(provider: Provider) -> String {
    crate::BUILTIN_SPECS
        .iter()
        .find(|(p, ..)| *p == provider)
        .map(|(_, file, ..)| file.to_string())
        .expect("the registry lists a spec for every provider compiled in")
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
