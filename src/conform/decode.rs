//! Which generated type each documented sample belongs to.

use crate::{Decimal, Provider};
use serde::{de::DeserializeOwned, Serialize};
use serde_json::Value;

/// Decodes JSON text (a sample, or a reply's body) into a generated type and writes it
/// back as JSON.
pub type Decode = fn(&str) -> Result<Value, String>;

/// Decodes `text` as `T`, as a response body is read, and serializes it back.
pub(crate) fn roundtrip<T: DeserializeOwned + Serialize>(text: &str) -> Result<Value, String> {
    let typed: T = serde_json::from_str(text).map_err(|e| e.to_string())?;
    serde_json::to_value(&typed).map_err(|e| e.to_string())
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
