//! Which generated type each documented sample belongs to.

use crate::{cocalc, kit, subtotal, togai, Decimal, Provider};
use serde::{de::DeserializeOwned, Serialize};
use serde_json::Value;

/// Decodes a sample into a generated type and writes it back as JSON.
pub type Decode = fn(&Value) -> Result<Value, String>;

/// Decodes `example` as `T` (from its JSON text, as a response body is read) and
/// serializes it back.
fn roundtrip<T: DeserializeOwned + Serialize>(example: &Value) -> Result<Value, String> {
    let text = serde_json::to_string(example).map_err(|e| e.to_string())?;
    let typed: T = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    serde_json::to_value(&typed).map_err(|e| e.to_string())
}

/// A bare amount, decoded the way generated fields are.
#[derive(serde::Deserialize, Serialize)]
#[serde(transparent)]
struct Amount(#[serde(deserialize_with = "crate::decimal::exact")] Decimal);

/// The generated type a sample (by provider and name) belongs to, as a decode function.
pub fn decoder(provider: Provider, sample: &str) -> Option<Decode> {
    let d: Decode = match (provider, sample) {
        (Provider::CoCalc, "get_purchases request") => {
            roundtrip::<cocalc::types::GetPurchasesRequest>
        }
        (Provider::CoCalc, "get_purchases 200") => roundtrip::<cocalc::types::GetPurchasesResponse>,
        (Provider::Subtotal, "list_purchases parameter limit") => roundtrip::<std::num::NonZeroU64>,
        (Provider::Subtotal, "list_purchases parameter starting_after") => roundtrip::<String>,
        (Provider::Subtotal, "GetPurchasesResponse.has_more") => roundtrip::<bool>,
        (Provider::Subtotal, "GetPurchasesResponse.purchases") => {
            roundtrip::<Vec<subtotal::types::PurchaseSummary>>
        }
        (Provider::Subtotal, "PurchaseSummary.purchase_id" | "PurchaseSummary.date") => {
            roundtrip::<String>
        }
        (Provider::Subtotal, "PurchaseSummary.total") => roundtrip::<Amount>,
        (Provider::Togai, "get_purchase parameter purchase_id") => {
            roundtrip::<togai::types::GetPurchasePurchaseId>
        }
        (Provider::Togai, "get_purchase 200") => roundtrip::<togai::types::Purchase>,
        (Provider::Togai, "list_purchases parameter account_id") => {
            roundtrip::<togai::types::ListPurchasesAccountId>
        }
        (Provider::Togai, "list_purchases 200") => roundtrip::<togai::types::ListPurchasesResponse>,
        (Provider::Togai, "response Error") => roundtrip::<togai::types::ErrorResponse>,
        (Provider::Kit, "list_purchases parameter include_total_count") => roundtrip::<bool>,
        (Provider::Kit, "list_purchases 200") => roundtrip::<kit::types::ListPurchasesResponse>,
        (Provider::Kit, "list_purchases 401") => roundtrip::<kit::types::ErrorResponse>,
        _ => return None,
    };
    Some(d)
}
