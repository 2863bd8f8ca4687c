//! Lists purchases from all four providers through the generated clients, against a local
//! mock that serves each API's documented sample responses. Needs no credentials and no
//! network: `cargo run --example list_all`.

use purchase_clients::reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION};
use purchase_clients::{cocalc, kit, subtotal, togai, Decimal};
use serde_json::{json, Value};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// The documented sample at `pointer` in a provider's normalized spec.
fn sample(provider: &str, pointer: &str) -> Value {
    let root = env!("CARGO_MANIFEST_DIR");
    let spec = std::fs::read_to_string(format!("{root}/specs/{provider}.yaml")).unwrap();
    let overlay =
        std::fs::read_to_string(format!("{root}/specs/overlays/{provider}.overlay.yaml")).ok();
    let doc = purchase_spec::normalize(provider, &spec, overlay.as_deref()).unwrap();
    doc.pointer(pointer)
        .unwrap_or_else(|| panic!("{provider}: no sample at {pointer}"))
        .clone()
}

/// A reqwest client that sends `headers` on every request.
fn http_with(headers: &[(&'static str, &str)]) -> purchase_clients::reqwest::Client {
    purchase_clients::tls::install_crypto_provider();
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        map.insert(*name, HeaderValue::from_str(value).unwrap());
    }
    purchase_clients::reqwest::Client::builder()
        .default_headers(map)
        .build()
        .unwrap()
}

struct Row {
    provider: &'static str,
    id: String,
    total: Option<Decimal>,
    currency: Option<String>,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let server = MockServer::start().await;
    let json_at = |v: Value| ResponseTemplate::new(200).set_body_json(v);

    Mock::given(method("POST"))
        .and(path("/cocalc/api/v2/purchases/get-purchases"))
        .and(header("authorization", "Basic c2stZGVtbzo="))
        .respond_with(json_at(sample("cocalc", "/paths/~1api~1v2~1purchases~1get-purchases/post/responses/200/content/application~1json/example")))
        .mount(&server)
        .await;
    let subtotal_rows = sample(
        "subtotal",
        "/components/schemas/GetPurchasesResponse/properties/purchases/example",
    );
    Mock::given(method("GET"))
        .and(path("/subtotal/purchases"))
        .and(header("x-api-key", "demo-key"))
        .respond_with(json_at(
            json!({"has_more": false, "purchases": subtotal_rows}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/togai/accounts/ACC00001/purchases"))
        .and(header("authorization", "Bearer demo-token"))
        .respond_with(json_at(sample("togai", "/paths/~1accounts~1{account_id}~1purchases/get/responses/200/content/application~1json/example")))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/kit/v4/purchases"))
        .and(header("authorization", "Bearer demo-token"))
        .respond_with(json_at(sample(
            "kit",
            "/paths/~1v4~1purchases/get/responses/200/content/application~1json/example",
        )))
        .mount(&server)
        .await;

    let base = server.uri();
    let mut rows = Vec::new();

    // CoCalc: HTTP Basic with the API key as user name ("sk-demo:" in base64).
    let client = cocalc::Client::new_with_client(
        &format!("{base}/cocalc"),
        http_with(&[("authorization", "Basic c2stZGVtbzo=")]),
    );
    let body = cocalc::types::GetPurchasesRequest {
        limit: std::num::NonZeroU64::new(100).unwrap(),
        ..Default::default()
    };
    let purchases = match client.get_purchases().body(body).send().await?.into_inner() {
        cocalc::types::GetPurchasesResponse::PurchaseList(list) => list.0,
        cocalc::types::GetPurchasesResponse::PurchasesWithBalance(b) => b.purchases,
        // CoCalc reports errors with HTTP 200 and an `error` body.
        cocalc::types::GetPurchasesResponse::ErrorResponse(e) => return Err(e.error.into()),
    };
    rows.extend(purchases.iter().map(|p| Row {
        provider: "cocalc",
        id: p.id.to_string(),
        total: p.cost,
        currency: Some("USD".into()),
    }));

    let client = subtotal::Client::new_with_client(
        &format!("{base}/subtotal"),
        http_with(&[
            ("x-api-key", "demo-key"),
            ("authorization", "Bearer demo-connection"),
        ]),
    );
    let page = client
        .list_purchases()
        .limit(std::num::NonZeroU64::new(50).unwrap())
        .send()
        .await?
        .into_inner();
    rows.extend(page.purchases.iter().map(|p| Row {
        provider: "subtotal",
        id: p.purchase_id.clone(),
        total: Some(p.total),
        currency: None,
    }));

    let client = togai::Client::new_with_client(
        &format!("{base}/togai"),
        http_with(&[("authorization", "Bearer demo-token")]),
    );
    let page = client
        .list_purchases()
        .account_id("ACC00001")
        .page_size(100)
        .send()
        .await?
        .into_inner();
    rows.extend(page.data.iter().map(|p| Row {
        provider: "togai",
        id: p.id.clone(),
        total: p.price,
        currency: p.invoice_currency.clone(),
    }));

    let client = kit::Client::new_with_client(
        &format!("{base}/kit"),
        http_with(&[(AUTHORIZATION.as_str(), "Bearer demo-token")]),
    );
    let page = client
        .list_purchases()
        .per_page(std::num::NonZeroU64::new(1000).unwrap())
        .send()
        .await?
        .into_inner();
    rows.extend(page.purchases.iter().map(|p| Row {
        provider: "kit",
        id: p.id.to_string(),
        total: Some(p.total),
        currency: Some(p.currency.clone()),
    }));

    println!(
        "{:<10} {:<28} {:>14} {:<8}",
        "PROVIDER", "ID", "TOTAL", "CURRENCY"
    );
    for r in &rows {
        let total = r.total.map(|t| t.to_string()).unwrap_or_else(|| "-".into());
        let currency = r.currency.as_deref().unwrap_or("-");
        println!(
            "{:<10} {:<28} {:>14} {:<8}",
            r.provider, r.id, total, currency
        );
    }
    println!("{} purchases from 4 providers", rows.len());
    Ok(())
}
