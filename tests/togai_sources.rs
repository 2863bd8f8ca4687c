//! Togai has two sources of truth, its documentation pages and the OpenAPI document it
//! publishes in its Java client; the client decodes what either allows.

mod common;

use purchase_clients::paginate::ListOperation;
use purchase_clients::togai::types::{
    ListPurchasesResponse, Purchase as TogaiPurchase, PurchaseStatus, PurchaseType,
};
use purchase_clients::{togai, Purchase};
use serde_json::{json, Value};

/// Togai's published document, as checked in (specs/sources.toml, togai.published).
fn published() -> Value {
    let path = common::root().join("specs/published/togai-java-client.openapi.yaml");
    let text = std::fs::read_to_string(path).unwrap();
    purchase_spec::load_document("togai-java-client.openapi.yaml", &text).unwrap()
}

#[test]
fn the_published_documents_purchase_examples_decode() {
    let doc = published();
    let example = |name: &str| doc["components"]["examples"][name]["value"].clone();

    let fetched: TogaiPurchase =
        serde_json::from_value(example("GetPurchaseForPurchasePlanResponse")).unwrap();
    // The published shape of purchasePlan (PricePlanDetails) and of features.
    let plan = fetched.purchase_plan.as_ref().unwrap();
    assert_eq!(plan.supported_currencies, ["USD"]);
    assert_eq!(plan.billing_entitlement_rate_cards.len(), 1);
    assert_eq!(
        fetched.features[0].credits_granted.unwrap().to_string(),
        "120"
    );
    assert!(fetched.features[0].effective_from.is_some());
    let record = Purchase::try_from(fetched).unwrap();
    assert_eq!(record.status.as_deref(), Some("SUCCESS"));
    assert_eq!(record.customer.as_deref(), Some("c102"));

    let page: ListPurchasesResponse =
        serde_json::from_value(example("PurchasePaginatedResponse")).unwrap();
    let items = page.data.unwrap();
    assert_eq!(items.len(), 2);
    for item in items {
        <togai::Api as ListOperation>::purchase(item, Some("ACC1")).unwrap();
    }
}

#[test]
fn the_documentation_pages_purchase_plan_shape_decodes_too() {
    let doc = common::normalized("togai");
    let sample = doc["paths"]["/purchases/{purchase_id}"]["get"]["responses"]["200"]["content"]
        ["application/json"]["example"]
        .clone();
    let fetched: TogaiPurchase = serde_json::from_value(sample).unwrap();
    let plan = fetched.purchase_plan.unwrap();
    assert_eq!(plan.rate_values.len(), 2);
    assert_eq!(plan.entitlement_rate_cards.len(), 1);
    assert_eq!(
        fetched.features[0].granted_credits.unwrap().to_string(),
        "100"
    );
}

const TYPES: [&str; 4] = [
    "WALLET_TOPUP",
    "PREPAID",
    "ENTITLEMENT_GRANT",
    "ASSOCIATION",
];

#[test]
fn a_purchase_of_every_type_decodes_with_and_without_a_price_plan() {
    for kind in TYPES {
        for with_plan in [true, false] {
            let mut fetched = json!({
                "id": "purchase.1", "accountId": "ACC1", "createdAt": "2024-01-02T03:04:05Z",
                "status": "SUCCESS", "type": kind, "price": 12.5, "invoiceCurrency": "USD",
            });
            let mut listed = json!({
                "id": "purchase.1", "createdAt": "2024-01-02T03:04:05Z",
                "status": "SUCCESS", "type": kind,
            });
            if with_plan {
                for v in [&mut fetched, &mut listed] {
                    v["pricePlanId"] = json!("pp.1");
                    v["pricePlanVersion"] = json!(3);
                    v["purchasePlan"] =
                        json!({"supportedCurrencies": ["USD"], "activeCurrencies": ["USD"]});
                }
            } else {
                for v in [&mut fetched, &mut listed] {
                    v["walletTopupDetails"] = json!({"topupAmount": 100, "purchaseAmount": 90.5});
                }
            }
            let typed: TogaiPurchase = serde_json::from_value(fetched)
                .unwrap_or_else(|e| panic!("{kind} with plan {with_plan}: {e}"));
            assert_eq!(typed.type_.as_ref().unwrap().as_str(), kind);
            assert!(typed.type_.as_ref().unwrap().is_known());
            assert_eq!(typed.price_plan_id.is_some(), with_plan);
            let record = Purchase::try_from(typed).unwrap();
            assert_eq!(record.total.unwrap().to_string(), "12.5");

            let page: ListPurchasesResponse =
                serde_json::from_value(json!({"data": [listed]})).unwrap();
            let item = page.data.unwrap().remove(0);
            assert_eq!(item.wallet_topup_details.is_some(), !with_plan);
            <togai::Api as ListOperation>::purchase(item, Some("ACC1")).unwrap();
        }
    }
}

#[test]
fn a_status_or_type_no_spec_lists_is_kept_as_received_and_written_back_unchanged() {
    let fetched: TogaiPurchase = serde_json::from_value(json!({
        "id": "purchase.1", "accountId": "ACC1", "createdAt": "2024-01-02T03:04:05Z",
        "status": "PARTIALLY_REFUNDED", "type": "SUBSCRIPTION"
    }))
    .unwrap();
    let status = fetched.status.clone().unwrap();
    assert_eq!(status, PurchaseStatus::Unknown("PARTIALLY_REFUNDED".into()));
    assert!(!status.is_known());
    assert_eq!(status.to_string(), "PARTIALLY_REFUNDED");
    assert_eq!(
        "PARTIALLY_REFUNDED".parse::<PurchaseStatus>().unwrap(),
        status
    );
    assert_eq!(
        serde_json::to_value(&status).unwrap(),
        json!("PARTIALLY_REFUNDED")
    );
    // A listed value is still its own variant, in every direction.
    assert_eq!(
        "SUCCESS".parse::<PurchaseStatus>().unwrap(),
        PurchaseStatus::Success
    );
    assert_eq!(PurchaseStatus::Success.as_str(), "SUCCESS");
    assert_eq!(
        serde_json::from_value::<PurchaseType>(json!("PREPAID")).unwrap(),
        PurchaseType::Prepaid
    );
    let record = Purchase::try_from(fetched).unwrap();
    assert_eq!(record.status.as_deref(), Some("PARTIALLY_REFUNDED"));
}
