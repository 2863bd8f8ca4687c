//! Decoding one page of each API: the generated exact-decimal types against hand-written
//! serde structs with `f64` amounts and `String` fields (the baseline), and against
//! `serde_json::Value`, on the same bytes, interleaved.
//!
//! `cargo bench --bench decode --features mock` (or `scripts/bench.sh` for every benchmark).

mod support;

use purchase_clients::mock::{wire_json, DataSet};
use purchase_clients::{cocalc, kit, subtotal, togai, Provider};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};
use std::hint::black_box;
use std::time::{Duration, Instant};
use support::{compare, Variant};

/// The hand-written structs a `reqwest` + `serde` user would write (decoded, not read).
#[allow(dead_code)]
mod baseline {
    use super::*;

    #[derive(Deserialize)]
    pub struct KitPage {
        pub pagination: KitPagination,
        pub purchases: Vec<KitPurchase>,
    }
    #[derive(Deserialize)]
    pub struct KitPagination {
        pub has_previous_page: bool,
        pub has_next_page: bool,
        pub start_cursor: String,
        pub end_cursor: String,
        pub per_page: i64,
    }
    #[derive(Deserialize)]
    pub struct KitPurchase {
        pub id: i64,
        pub transaction_id: String,
        pub status: String,
        pub email_address: String,
        pub currency: String,
        pub transaction_time: String,
        pub subtotal: f64,
        pub discount: f64,
        pub tax: f64,
        pub total: f64,
        pub products: Vec<KitProduct>,
        pub subscriber_id: i64,
    }
    #[derive(Deserialize)]
    pub struct KitProduct {
        pub quantity: i64,
        pub lid: String,
        pub unit_price: f64,
        pub sku: Option<String>,
        pub name: String,
        pub pid: String,
    }

    #[derive(Deserialize)]
    pub struct SubtotalPage {
        pub has_more: bool,
        pub purchases: Vec<SubtotalPurchase>,
    }
    #[derive(Deserialize)]
    pub struct SubtotalPurchase {
        pub purchase_id: String,
        pub date: String,
        pub total: String,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct TogaiPage {
        pub data: Vec<TogaiPurchase>,
        pub next_token: Option<String>,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct TogaiPurchase {
        pub id: String,
        pub status: String,
        pub created_at: String,
        #[serde(rename = "type")]
        pub type_: Option<String>,
        pub price_plan_id: Option<String>,
        pub price_plan_version: Option<i32>,
        pub quantity: Option<i32>,
        pub price: Option<f64>,
        pub invoice_currency: Option<String>,
        pub updated_at: Option<String>,
    }

    #[derive(Deserialize)]
    pub struct CoCalcPage {
        pub balance: Option<f64>,
        pub purchases: Vec<CoCalcPurchase>,
    }
    #[derive(Deserialize)]
    pub struct CoCalcPurchase {
        pub id: i64,
        pub time: String,
        pub cost: Option<f64>,
        pub cost_per_hour: Option<f64>,
        pub cost_so_far: Option<f64>,
        pub period_start: Option<String>,
        pub period_end: Option<String>,
        pub service: String,
        pub description: Option<Value>,
        pub invoice_id: Option<String>,
        pub project_id: Option<String>,
        pub notes: Option<String>,
        pub pending: Option<bool>,
    }
}

/// The last `n` records (the synthetic ones, not the documented samples), as JSON values.
fn last<T: serde::Serialize>(rows: &[T], n: usize) -> Vec<Value> {
    rows[rows.len() - n..]
        .iter()
        .map(|r| serde_json::to_value(r).expect("a generated type serializes"))
        .collect()
}

/// One page of each API as its server writes it.
struct Pages {
    kit: Vec<u8>,
    subtotal: Vec<u8>,
    togai: Vec<u8>,
    cocalc: Vec<u8>,
}

fn pages() -> Pages {
    let data = DataSet::generate(1000);
    let kit: Vec<Value> = last(data.get::<kit::Api>(), 1000)
        .into_iter()
        .enumerate()
        .map(|(i, mut p)| {
            let first = p["products"][0].clone();
            let products: Vec<Value> = (0..3)
                .map(|k| {
                    let mut product = first.clone();
                    product["lid"] = json!(format!("l-{i}-{k}"));
                    product["name"] = json!(format!("Product {}", (i + k) % 20));
                    product
                })
                .collect();
            p["products"] = Value::Array(products);
            p
        })
        .collect();
    let kit = json!({
        "pagination": {"has_previous_page": true, "has_next_page": true,
                       "start_cursor": "WzEwMDBd", "end_cursor": "WzIwMDBd", "per_page": 1000},
        "purchases": kit,
    });
    let subtotal = json!({"has_more": true, "purchases": last(data.get::<subtotal::Api>(), 50)});
    let togai = json!({
        "data": last(data.get::<togai::Api>(), 100),
        "nextToken": "eyJsYXN0IjoicHVyY2hhc2UuMDAwMTAwIn0=",
        "context": {"pageSize": 100, "sortOrder": "DESC"},
    });
    let cocalc = json!({"balance": "-12.345", "purchases": last(data.get::<cocalc::Api>(), 500)});
    Pages {
        kit: wire_json(Provider::Kit, &kit).into_bytes(),
        subtotal: wire_json(Provider::Subtotal, &subtotal).into_bytes(),
        togai: wire_json(Provider::Togai, &togai).into_bytes(),
        cocalc: wire_json(Provider::CoCalc, &cocalc).into_bytes(),
    }
}

fn decode<T: DeserializeOwned>(bytes: &[u8]) {
    black_box(serde_json::from_slice::<T>(black_box(bytes)).expect("the page decodes"));
}

/// Repetitions that make one timed sample about 5 ms.
fn reps(bytes: &[u8]) -> u32 {
    let start = Instant::now();
    decode::<Value>(bytes);
    let once = start.elapsed().max(Duration::from_micros(1));
    (Duration::from_millis(5).as_nanos() / once.as_nanos()).clamp(1, 10_000) as u32
}

fn group<B: DeserializeOwned, G: DeserializeOwned>(name: &str, bytes: &[u8], rounds: usize) {
    if !support::selected(name) {
        return;
    }
    let n = reps(bytes);
    let group = format!("{name} ({} kB)", bytes.len() / 1000);
    compare(
        &group,
        &[
            ("generated types, exact Decimal", "≤ 1.00×"),
            ("serde_json::Value", "> generated"),
        ],
        vec![
            Variant::repeat("hand-written structs, f64", n, || decode::<B>(bytes)),
            Variant::repeat("generated types, exact Decimal", n, || decode::<G>(bytes)),
            Variant::repeat("serde_json::Value", n, || decode::<Value>(bytes)),
        ],
        5,
        rounds,
    );
}

fn main() {
    let pages = pages();
    // Both decoders must accept the pages, and agree on what they hold.
    let kit: kit::types::ListPurchasesResponse = serde_json::from_slice(&pages.kit).unwrap();
    let base: baseline::KitPage = serde_json::from_slice(&pages.kit).unwrap();
    assert_eq!(kit.purchases.len(), 1000);
    assert!(kit.purchases.iter().all(|p| p.products.len() == 3));
    assert_eq!(
        kit.purchases[7].total.to_string(),
        base.purchases[7].total.to_string()
    );

    let rounds = support::rounds(60);
    group::<baseline::KitPage, kit::types::ListPurchasesResponse>(
        "decode kit page: 1000 purchases × 3 products",
        &pages.kit,
        rounds,
    );
    group::<baseline::SubtotalPage, subtotal::types::GetPurchasesResponse>(
        "decode subtotal page: 50 purchases",
        &pages.subtotal,
        rounds,
    );
    group::<baseline::TogaiPage, togai::types::ListPurchasesResponse>(
        "decode togai page: 100 purchases",
        &pages.togai,
        rounds,
    );
    group::<baseline::CoCalcPage, cocalc::types::GetPurchasesResponse>(
        "decode cocalc page: 500 purchases",
        &pages.cocalc,
        rounds,
    );
}
