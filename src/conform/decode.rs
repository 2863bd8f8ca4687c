//! Which generated type each documented sample belongs to.

use crate::lossless::Json;
use crate::{Decimal, Provider};
use serde::{de::DeserializeOwned, Serialize};

/// Decodes JSON text (a sample, or a reply's body) into a generated type and writes it
/// back as JSON, every number as the type wrote it.
pub type Decode = fn(&str) -> Result<Json, String>;

/// Decodes `text` as `T`, as a response body is read, and serializes it back.
pub(crate) fn roundtrip<T: DeserializeOwned + Serialize>(text: &str) -> Result<Json, String> {
    let mut de = serde_json::Deserializer::from_str(text);
    let typed: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        if path == "." {
            e.into_inner().to_string()
        } else {
            format!("at {path}: {}", e.into_inner())
        }
    })?;
    Json::parse(&serde_json::to_string(&typed).map_err(|e| e.to_string())?)
}

/// A bare amount, decoded the way generated fields are.
#[derive(serde::Deserialize, Serialize)]
#[serde(transparent)]
#[allow(dead_code)] // used by the generated tables of providers with documented amounts
pub(crate) struct Amount(#[serde(deserialize_with = "crate::decimal::exact")] Decimal);

/// The generated type a sample (by provider and name) belongs to, as a decode function
/// (generated from each spec beside its client).
pub fn decoder(provider: Provider, sample: &str) -> Option<Decode> {
    crate::sample_decoder(provider, sample)
}
