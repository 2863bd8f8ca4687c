//! The embedded mock answers like the real APIs: limits, credentials, error shapes, faults.
#![cfg(feature = "mock")]

use purchase_clients::mock::{demo_credentials, MockConfig, MockServer};
use purchase_clients::reqwest;
use purchase_clients::Provider;
use serde_json::{json, Value};

async fn server() -> MockServer {
    MockServer::start(
        "127.0.0.1:0".parse().unwrap(),
        MockConfig {
            count: 30,
            ..Default::default()
        },
    )
    .await
    .unwrap()
}

fn http() -> reqwest::Client {
    purchase_clients::tls::install_crypto_provider();
    reqwest::Client::new()
}

async fn call(req: reqwest::RequestBuilder) -> (u16, Value) {
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn each_api_refuses_out_of_bounds_pages_in_its_own_shape() {
    let s = server().await;
    let (status, body) = call(
        http()
            .get(format!(
                "{}/purchases?limit=51",
                s.base_url(Provider::Subtotal)
            ))
            .header("x-api-key", demo_credentials(Provider::Subtotal)[0])
            .bearer_auth(demo_credentials(Provider::Subtotal)[1]),
    )
    .await;
    assert_eq!(status, 422);
    let msg = body["detail"][0]["msg"].as_str().unwrap();
    assert!(msg.contains("limit must be between 1 and 50"), "{body}");

    let (status, body) = call(
        http()
            .get(format!("{}/purchases", s.base_url(Provider::Subtotal)))
            .bearer_auth(demo_credentials(Provider::Subtotal)[1]),
    )
    .await;
    assert_eq!(
        (status, body["detail"][0]["msg"].as_str()),
        (401, Some("Invalid credentials")),
        "a missing x-api-key, refused in Subtotal's own shape"
    );

    let (status, body) = call(
        http()
            .get(format!(
                "{}/v4/purchases?per_page=0",
                s.base_url(Provider::Kit)
            ))
            .bearer_auth(demo_credentials(Provider::Kit)[0]),
    )
    .await;
    assert_eq!(status, 422);
    assert!(body["errors"][0].as_str().unwrap().contains("per_page"));

    let (status, body) = call(
        http()
            .get(format!(
                "{}/accounts/ACC00001/purchases?pageSize=101",
                s.base_url(Provider::Togai)
            ))
            .bearer_auth(demo_credentials(Provider::Togai)[0]),
    )
    .await;
    assert_eq!(status, 400);
    assert!(body["message"].as_str().unwrap().contains("pageSize"));

    let (status, body) = call(
        http()
            .post(format!(
                "{}/api/v2/purchases/get-purchases",
                s.base_url(Provider::CoCalc)
            ))
            .basic_auth(demo_credentials(Provider::CoCalc)[0], Some(""))
            .json(&json!({"limit": 501})),
    )
    .await;
    assert_eq!(status, 200, "CoCalc reports errors with HTTP 200");
    assert!(body["error"].as_str().unwrap().contains("limit"));
}

#[tokio::test]
async fn each_api_refuses_wrong_credentials_in_its_own_shape() {
    let s = server().await;
    let (status, body) = call(
        http()
            .get(format!("{}/v4/purchases", s.base_url(Provider::Kit)))
            .bearer_auth("nope"),
    )
    .await;
    assert_eq!(
        (status, body["errors"][0].as_str()),
        (401, Some("The access token is invalid"))
    );
    let (status, body) = call(
        http()
            .get(format!("{}/purchases/x", s.base_url(Provider::Togai)))
            .bearer_auth("nope"),
    )
    .await;
    assert_eq!(
        (status, body["message"].as_str()),
        (401, Some("Unauthorized"))
    );
    let (status, body) = call(
        http()
            .post(format!(
                "{}/api/v2/purchases/get-purchases",
                s.base_url(Provider::CoCalc)
            ))
            .json(&json!({})),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (200, Some("must be signed in"))
    );
}

#[tokio::test]
async fn amounts_are_json_numbers_and_a_fault_header_applies_to_one_request() {
    let s = server().await;
    let kit = format!("{}/v4/purchases?per_page=2", s.base_url(Provider::Kit));
    let (status, body) = call(
        http()
            .get(&kit)
            .bearer_auth(demo_credentials(Provider::Kit)[0]),
    )
    .await;
    assert_eq!(status, 200);
    assert!(body["purchases"][0]["total"].is_number(), "{body}");
    assert!(body["pagination"]["has_next_page"].as_bool().unwrap());
    let r = http()
        .get(&kit)
        .bearer_auth(demo_credentials(Provider::Kit)[0])
        .header("x-mock-fault", "rate-limit")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 429);
    assert_eq!(r.headers()["retry-after"], "1");
    let (status, _) = call(
        http()
            .get(&kit)
            .bearer_auth(demo_credentials(Provider::Kit)[0]),
    )
    .await;
    assert_eq!(status, 200, "only that request");
}
