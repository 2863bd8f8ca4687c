//! `purchases conform`, run as a user would.
#![cfg(feature = "cli")]

mod common;

use assert_cmd::Command;
use common::specs_copy;
use serde_json::Value;

fn purchases() -> Command {
    let mut cmd = Command::cargo_bin("purchases").unwrap();
    for p in purchase_clients::Provider::ALL {
        for var in p.credential_variables() {
            cmd.env_remove(var);
        }
        if let Some(scope) = purchase_clients::providers::paging(*p).scope {
            cmd.env_remove(scope.variable);
        }
    }
    cmd
}

/// What `purchases ARGS` prints on stdout, once it has exited 0.
fn stdout_of(args: &[&str]) -> String {
    let out = purchases()
        .args(args)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    String::from_utf8(out).unwrap()
}

#[test]
fn conform_prints_a_table_per_provider_and_the_known_deviations() {
    let text = stdout_of(&["conform"]);
    for p in purchase_clients::Provider::ALL {
        let heading = format!("{p} ({})", purchase_clients::specs::spec_file(*p));
        assert!(text.contains(&heading), "{text}");
    }
    assert!(text.contains("OPERATION       SAMPLE"), "{text}");
    assert!(text.contains("Known deviations (3):"), "{text}");
    assert!(
        text.contains("togai.yaml \"get_purchase 200\" [schema]"),
        "{text}"
    );
    assert!(
        text.contains("17 samples checked: no new deviations."),
        "{text}"
    );
}

#[test]
fn conform_as_json_lists_every_sample() {
    let v: Value = serde_json::from_str(&stdout_of(&[
        "conform",
        "--format",
        "json",
        "--provider",
        "kit",
        "--provider",
        "togai",
    ]))
    .unwrap();
    assert_eq!(v["ok"], true);
    assert_eq!(v["new_findings"], 0);
    let samples = v["samples"].as_array().unwrap();
    assert_eq!(samples.len(), 8);
    assert!(samples
        .iter()
        .all(|s| s["provider"] == "kit" || s["provider"] == "togai"));
}

#[test]
fn a_new_deviation_fails_with_the_sample_and_the_rule() {
    let dir = specs_copy();
    let kit = dir.path().join("kit.yaml");
    let text = std::fs::read_to_string(&kit)
        .unwrap()
        .replace("total: 81.53", "total: '81.53'");
    std::fs::write(&kit, text).unwrap();
    let assert = purchases()
        .args(["conform", "--specs"])
        .arg(dir.path())
        .assert()
        .code(1);
    let text = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    assert!(
        text.contains(
            "kit.yaml sample \"list_purchases 200\" breaks rule schema: /purchases/2/total"
        ),
        "{text}"
    );
    assert!(text.contains("schema (NEW)"), "{text}");
}

#[test]
fn a_stale_known_deviation_fails() {
    let dir = specs_copy();
    let known = dir.path().join("known-deviations.toml");
    let mut text = std::fs::read_to_string(&known).unwrap();
    text.push_str("\n[[deviation]]\nfile = \"kit.yaml\"\nsample = \"list_purchases 200\"\nrule = \"schema\"\nreason = \"made up\"\n");
    std::fs::write(&known, text).unwrap();
    let assert = purchases()
        .args(["conform", "--specs"])
        .arg(dir.path())
        .assert()
        .code(1);
    let out = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    assert!(out.contains("Stale known deviation"), "{out}");
}

#[tokio::test]
async fn live_checks_run_against_the_given_base_url_with_credentials_from_the_environment() {
    use wiremock::{matchers::method, Mock, MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "purchases": [], "pagination": {"has_previous_page": false, "has_next_page": false,
            "start_cursor": "a", "end_cursor": "b", "per_page": 5}
        })))
        .mount(&server)
        .await;
    let uri = server.uri();
    let out = tokio::task::spawn_blocking(move || {
        purchases()
            .env("KIT_ACCESS_TOKEN", "cli-live-token")
            .args(["conform", "--provider", "kit", "--live", "--base-url", &uri])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone()
    })
    .await
    .unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("list_purchases 200 (live)"), "{text}");
    assert!(!text.contains("cli-live-token"));
    let requests = server.received_requests().await.unwrap();
    assert_eq!(
        requests[0].headers["authorization"],
        "Bearer cli-live-token"
    );
}

#[test]
fn live_without_credentials_is_skipped_and_passes() {
    let text = stdout_of(&["conform", "--live", "--provider", "togai"]);
    assert!(
        text.contains("live: skipped (set TOGAI_API_TOKEN and TOGAI_ACCOUNT_ID"),
        "{text}"
    );
}

#[test]
fn an_unknown_provider_is_a_usage_error() {
    let assert = purchases()
        .args(["conform", "--provider", "stripe"])
        .assert()
        .code(2);
    let err = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert!(err.contains("invalid value 'stripe'"), "{err}");
    assert!(err.contains("possible values: cocalc"), "{err}");
}

#[test]
fn conform_lists_every_source_disagreement_with_both_sources() {
    let path = concat!(
        env!("PURCHASE_CLIENTS_CHECKOUT"),
        "/specs/known-deviations.toml"
    );
    let listed: toml::Table = toml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let entries = listed["disagreement"].as_array().unwrap();
    assert!(!entries.is_empty(), "{path} lists no source disagreement");

    let text = stdout_of(&["conform", "--provider", "togai"]);
    assert!(
        text.contains(&format!(
            "Where the sources disagree ({}; the spec accepts what either allows):",
            entries.len()
        )),
        "{text}"
    );
    let field = |e: &toml::Value, key: &str| e[key].as_str().unwrap().to_owned();
    for e in entries {
        let block = format!(
            "  {} {}\n      docs: {}\n      published: {}\n      spec: {}\n",
            field(e, "file"),
            field(e, "at"),
            field(e, "docs"),
            field(e, "published"),
            field(e, "resolution"),
        );
        assert!(text.contains(&block), "missing:\n{block}\nin:\n{text}");
    }
    assert!(!text.contains("Stale source disagreement"), "{text}");

    let json: Value = serde_json::from_str(&stdout_of(&[
        "conform",
        "--provider",
        "togai",
        "--format",
        "json",
    ]))
    .unwrap();
    let reported = json["source_disagreements"].as_array().unwrap();
    assert_eq!(reported.len(), entries.len(), "{json:#}");
    for (r, e) in reported.iter().zip(entries) {
        for key in ["at", "docs", "published"] {
            assert_eq!(r[key].as_str().unwrap(), field(e, key), "{key} of {r}");
        }
    }
}
