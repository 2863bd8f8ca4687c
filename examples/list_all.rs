//! Lists purchases from all four providers through the crate's clients, against a local
//! mock that serves each API's documented sample responses and checks each provider's
//! authentication. Needs no credentials and no network: `cargo run --example list_all`.

use futures::TryStreamExt;
use purchase_clients::{
    ClientOptions, CoCalcClient, KitClient, Purchase, SubtotalClient, TogaiClient,
};
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

async fn mount(server: &MockServer, verb: &str, at: &str, auth: (&str, &str), body: Value) {
    Mock::given(method(verb))
        .and(path(at))
        .and(header(auth.0, auth.1))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(server)
        .await;
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let server = MockServer::start().await;
    // "sk-demo:" in base64: CoCalc's key is the Basic user name, with no password.
    mount(&server, "POST", "/cocalc/api/v2/purchases/get-purchases", ("authorization", "Basic c2stZGVtbzo="),
        sample("cocalc", "/paths/~1api~1v2~1purchases~1get-purchases/post/responses/200/content/application~1json/example")).await;
    let subtotal_rows = sample(
        "subtotal",
        "/components/schemas/GetPurchasesResponse/properties/purchases/example",
    );
    mount(
        &server,
        "GET",
        "/subtotal/purchases",
        ("x-api-key", "demo-key"),
        json!({"has_more": false, "purchases": subtotal_rows}),
    )
    .await;
    let mut togai_page = sample("togai", "/paths/~1accounts~1{account_id}~1purchases/get/responses/200/content/application~1json/example");
    // The sample's nextToken is a placeholder; a last page has none.
    togai_page.as_object_mut().unwrap().remove("nextToken");
    mount(
        &server,
        "GET",
        "/togai/accounts/ACC00001/purchases",
        ("authorization", "Bearer demo-token"),
        togai_page,
    )
    .await;
    mount(
        &server,
        "GET",
        "/kit/v4/purchases",
        ("authorization", "Bearer demo-token"),
        sample(
            "kit",
            "/paths/~1v4~1purchases/get/responses/200/content/application~1json/example",
        ),
    )
    .await;

    let base = server.uri();
    let at = |prefix: &str| ClientOptions::default().base_url(format!("{base}/{prefix}"));
    let mut rows: Vec<Purchase> = Vec::new();
    rows.extend(
        CoCalcClient::with_options("sk-demo", at("cocalc"))?
            .purchases(100)
            .try_collect::<Vec<_>>()
            .await?,
    );
    rows.extend(
        SubtotalClient::with_options("demo-key", "demo-connection", at("subtotal"))?
            .purchases(50)
            .try_collect::<Vec<_>>()
            .await?,
    );
    rows.extend(
        TogaiClient::with_options("demo-token", at("togai"))?
            .purchases("ACC00001", 100)
            .try_collect::<Vec<_>>()
            .await?,
    );
    rows.extend(
        KitClient::with_options("demo-token", at("kit"))?
            .purchases(1000)
            .try_collect::<Vec<_>>()
            .await?,
    );

    println!(
        "{:<10} {:<28} {:>14} {:<8} {:<10}",
        "PROVIDER", "ID", "TOTAL", "CURRENCY", "STATUS"
    );
    for r in &rows {
        let total = r.total.map(|t| t.to_string()).unwrap_or_else(|| "-".into());
        println!(
            "{:<10} {:<28} {:>14} {:<8} {:<10}",
            r.provider.name(),
            r.id,
            total,
            r.currency.as_deref().unwrap_or("-"),
            r.status.as_deref().unwrap_or("-")
        );
    }
    println!("{} purchases from 4 providers", rows.len());
    Ok(())
}
