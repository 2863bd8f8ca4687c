//! The mock's data: the documented samples, then a deterministic synthetic set.
//!
//! Every record is decoded into the library's generated type before it is served, so a
//! record the spec does not allow fails at start-up instead of being served.

use crate::{cocalc, kit, subtotal, togai, Provider};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};

/// Every record the mock serves, newest first for each provider.
#[derive(Debug, Clone)]
pub struct DataSet {
    /// CoCalc purchases.
    pub cocalc: Vec<cocalc::types::Purchase>,
    /// Subtotal purchases.
    pub subtotal: Vec<subtotal::types::PurchaseSummary>,
    /// Togai purchases, as listed (all belong to [`DataSet::TOGAI_ACCOUNT`]).
    pub togai: Vec<togai::types::PurchaseListItem>,
    /// Togai purchases, as fetched one by one.
    pub togai_details: Vec<togai::types::Purchase>,
    /// Kit purchases.
    pub kit: Vec<kit::types::Purchase>,
}

fn typed<T: DeserializeOwned>(what: &str, v: Value) -> T {
    serde_json::from_value(v)
        .unwrap_or_else(|e| panic!("the mock's {what} record does not fit the generated type: {e}"))
}

fn sample(provider: Provider, pointer: &str) -> Value {
    crate::specs::normalized(provider)
        .ok()
        .and_then(|doc| doc.pointer(pointer).cloned())
        .unwrap_or(Value::Null)
}

/// An amount for record `i`: cents most of the time, and every 37th one with 19
/// significant digits, to show that no digit is lost on the way.
fn amount(i: usize) -> String {
    if i % 37 == 36 {
        format!("{}.{:015}", 1000 + i % 9000, 123_456_789_012_345u64)
    } else {
        let cents = (i * 7919 + 1234) % 100_000;
        format!("{}.{:02}", cents / 100, cents % 100)
    }
}

/// A timestamp `i` hours before 2024-06-01, so that record 0 is the newest.
fn time(i: usize) -> String {
    let base = chrono::DateTime::parse_from_rfc3339("2024-06-01T00:00:00Z").expect("a valid date");
    (base - chrono::Duration::hours(i as i64))
        .to_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

const CURRENCIES: [&str; 3] = ["USD", "EUR", "GBP"];

impl DataSet {
    /// The account all Togai purchases belong to.
    pub const TOGAI_ACCOUNT: &'static str = "ACC00001";

    /// The documented samples followed by `count` synthetic records per provider.
    pub fn generate(count: usize) -> Self {
        let mut cocalc = Vec::new();
        if let Some(rows) = sample(Provider::CoCalc, "/paths/~1api~1v2~1purchases~1get-purchases/post/responses/200/content/application~1json/example").as_array() {
            cocalc.extend(rows.iter().map(|r| typed("CoCalc", r.clone())));
        }
        const SERVICES: [&str; 4] = ["project-upgrade", "license", "compute-server", "credit"];
        cocalc.extend((0..count).map(|i| {
            let running = i % 11 == 5;
            let service = SERVICES[i % 4];
            typed::<cocalc::types::Purchase>(
                "CoCalc",
                json!({
                    "id": 100_000 + count - i,
                    "time": time(i),
                    "cost": if running { Value::Null } else { Value::String(amount(i)) },
                    "cost_so_far": if running { Value::String(amount(i + 1)) } else { Value::Null },
                    "service": service,
                    "project_id": format!("d0381938-38be-11ee-9202-{:012x}", i),
                    "description": {"type": service},
                    "period_start": time(i + 1),
                    "period_end": if running { Value::Null } else { Value::String(time(i)) },
                }),
            )
        }));
        // Newest first, as CoCalc answers.
        cocalc.sort_by_key(|p| std::cmp::Reverse(p.time));

        let mut subtotal = Vec::new();
        if let Some(rows) = sample(
            Provider::Subtotal,
            "/components/schemas/GetPurchasesResponse/properties/purchases/example",
        )
        .as_array()
        {
            subtotal.extend(rows.iter().map(|r| typed("Subtotal", r.clone())));
        }
        subtotal.extend((0..count).map(|i| {
            typed::<subtotal::types::PurchaseSummary>(
                "Subtotal",
                json!({
                    "purchase_id": format!("01J51S0JYV6N7K{:012}", count - i),
                    "date": time(i),
                    "total": amount(i),
                }),
            )
        }));

        let mut togai = Vec::new();
        if let Some(rows) = sample(Provider::Togai, "/paths/~1accounts~1{account_id}~1purchases/get/responses/200/content/application~1json/example/data").as_array() {
            togai.extend(rows.iter().map(|r| typed("Togai", r.clone())));
        }
        let statuses = ["SUCCESS", "SUCCESS", "PENDING", "FAILURE", "IN_PROGRESS"];
        togai.extend((0..count).map(|i| {
            typed::<togai::types::PurchaseListItem>(
                "Togai",
                json!({
                    "id": format!("purchase.{:06}", count - i),
                    "status": statuses[i % statuses.len()],
                    "createdAt": time(i),
                    "type": "ENTITLEMENT_GRANT",
                    "pricePlanId": format!("pp.{}", i % 5),
                    "pricePlanVersion": 1,
                    "quantity": 1 + i % 3,
                    "price": amount(i),
                    "invoiceCurrency": CURRENCIES[i % 3],
                    "updatedAt": time(i),
                }),
            )
        }));
        let mut togai_details: Vec<togai::types::Purchase> = Vec::new();
        let detail = sample(
            Provider::Togai,
            "/paths/~1purchases~1{purchase_id}/get/responses/200/content/application~1json/example",
        );
        if !detail.is_null() {
            togai_details.push(typed("Togai", detail));
        }
        togai_details.extend(togai.iter().map(|p| {
            let mut v = serde_json::to_value(p).expect("a generated type serializes");
            v["accountId"] = json!(Self::TOGAI_ACCOUNT);
            if v.get("pricePlanId").is_none() {
                v["pricePlanId"] = json!("pp.0");
            }
            if v.get("pricePlanVersion").is_none() {
                v["pricePlanVersion"] = json!(1);
            }
            v.as_object_mut().expect("an object").remove("purchasePlan");
            typed("Togai", v)
        }));

        let mut kit = Vec::new();
        if let Some(rows) = sample(
            Provider::Kit,
            "/paths/~1v4~1purchases/get/responses/200/content/application~1json/example/purchases",
        )
        .as_array()
        {
            kit.extend(rows.iter().map(|r| typed("Kit", r.clone())));
        }
        kit.extend((0..count).map(|i| {
            let total = amount(i);
            typed::<kit::types::Purchase>("Kit", json!({
                "id": 1000 + count - i,
                "transaction_id": format!("{:03}-{:02}-{:04}", i % 1000, i % 100, i % 10_000),
                "status": if i % 13 == 7 { "refunded" } else { "paid" },
                "email_address": format!("buyer{}@example.com", i % 50),
                "subscriber_id": 10 + i % 50,
                "currency": CURRENCIES[i % 3],
                "transaction_time": time(i),
                "subtotal": total.clone(),
                "discount": "0",
                "tax": "0",
                "total": total.clone(),
                "products": [{"quantity": 1, "lid": format!("l-{i}"), "unit_price": total,
                              "sku": if i % 2 == 0 { Value::Null } else { json!(format!("SKU-{i}")) },
                              "name": format!("Product {}", i % 20), "pid": format!("p-{}", i % 20)}],
            }))
        }));

        DataSet {
            cocalc,
            subtotal,
            togai,
            togai_details,
            kit,
        }
    }
}
