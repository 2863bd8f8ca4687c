//! The API as the source of truth, end to end, for every provider: record a listing against
//! the drifting mock, replay it (the findings), propose the overlay (pinned here), adopt it
//! into a copy of `specs/`, replay again (it passes), and decode every recorded reply with
//! the client regenerated from the adopted spec (`purchase_clients::adopted`, built from the
//! pinned proposals) with every amount exact. Against the mock that does not drift, the
//! proposal is empty, and recording never changes what a listing prints.
#![cfg(all(feature = "cli", feature = "fixture-providers"))]

mod common;

use assert_cmd::Command;
use purchase_clients::mock::{demo_credentials, demo_scope, Fault, MockConfig, MockServer};
use purchase_clients::recording::{read_dir, Reply};
use purchase_clients::Provider;
use serde_json::Value;
use std::path::Path;

fn purchases() -> Command {
    let mut cmd = Command::cargo_bin("purchases").unwrap();
    for p in Provider::ALL {
        for (var, value) in p.credential_variables().iter().zip(demo_credentials(*p)) {
            cmd.env(var, value);
        }
    }
    cmd
}

async fn mock(drift: bool, faults: Vec<Fault>) -> MockServer {
    let config = MockConfig {
        count: 40,
        faults,
        drift,
        ..Default::default()
    };
    MockServer::start("127.0.0.1:0".parse().unwrap(), config)
        .await
        .unwrap()
}

/// Runs `cmd` off the async runtime (the mock keeps serving meanwhile).
async fn run(mut cmd: Command) -> std::process::Output {
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `purchases list` of `provider` (recorded into `record` if given): its output.
async fn list(server: &MockServer, provider: Provider, record: Option<&Path>) -> String {
    let mut cmd = purchases();
    cmd.args([
        "list",
        provider.name(),
        "--base-url",
        &server.base_url(provider),
    ])
    .args(["--format", "jsonl", "--page-size", "15"]);
    if let Some(scope) = demo_scope(provider) {
        cmd.args(["--account", scope]);
    }
    if let Some(dir) = record {
        cmd.arg("--record").arg(dir);
    }
    let o = run(cmd).await;
    assert!(o.status.success(), "{provider}: {}", text(&o.stderr));
    text(&o.stdout)
}

/// Records a listing of `provider`, and one purchase fetched if the API has such a call.
async fn record(server: &MockServer, provider: Provider, dir: &Path) -> String {
    let listed = list(server, provider, Some(dir)).await;
    let first: Value = serde_json::from_str(listed.lines().next().unwrap()).unwrap();
    let mut cmd = purchases();
    cmd.args(["get", provider.name(), first["id"].as_str().unwrap()])
        .args([
            "--base-url",
            &server.base_url(provider),
            "--format",
            "jsonl",
        ])
        .arg("--record")
        .arg(dir);
    let o = run(cmd).await;
    assert!(
        o.status.success() || text(&o.stderr).contains("has no call to get one purchase"),
        "{provider}: {}",
        text(&o.stderr)
    );
    listed
}

/// `purchases conform --replay dir` (with `extra` arguments): exit code and JSON report.
fn replay(dir: &Path, extra: &[&str]) -> (i32, Value) {
    let o = purchases()
        .args(["conform", "--format", "json", "--replay"])
        .arg(dir)
        .args(extra)
        .output()
        .unwrap();
    let report = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", text(&o.stdout), text(&o.stderr)));
    (o.status.code().unwrap(), report)
}

fn rules(report: &Value, provider: Provider) -> Vec<String> {
    report["observations"][provider.name()]["found"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| f["rule"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_drifted_api_is_recorded_replayed_proposed_adopted_and_decoded_exactly() {
    let steady = mock(false, vec![]).await;
    let drifting = mock(true, vec![]).await;
    let mut seen_rules = std::collections::BTreeSet::new();
    for provider in Provider::ALL.iter().copied() {
        // Recording never changes what a listing prints.
        let plain_dir = tempfile::tempdir().unwrap();
        let plain = list(&steady, provider, None).await;
        assert_eq!(record(&steady, provider, plain_dir.path()).await, plain);

        // The steady mock serves what the spec says: nothing to propose.
        let proposal = plain_dir.path().join("proposal.yaml");
        let (code, report) = replay(
            plain_dir.path(),
            &["--propose-overlay", proposal.to_str().unwrap()],
        );
        assert_eq!(code, 0, "{provider}: {report:#}");
        assert!(
            rules(&report, provider).is_empty(),
            "{provider}: {report:#}"
        );
        assert!(!proposal.exists(), "{provider}: nothing proposed");

        // The drifting mock: the same purchases listed, and the findings replayed.
        let dir = tempfile::tempdir().unwrap();
        let drifted = record(&drifting, provider, dir.path()).await;
        assert_eq!(drifted.lines().count(), plain.lines().count(), "{provider}");
        assert_no_credential_in(dir.path());
        let (code, report) = replay(dir.path(), &[]);
        assert_eq!(code, 1, "{provider}: {report:#}");
        let found = rules(&report, provider);
        assert!(
            found.contains(&"undocumented-field".to_string()),
            "{provider}: {found:?}"
        );
        seen_rules.extend(found);

        // The proposal, pinned: the regenerated clients below are built from it.
        let proposal = dir.path().join("proposal.yaml");
        let out = purchases()
            .args(["conform", "--replay"])
            .arg(dir.path())
            .args(["--propose-overlay", proposal.to_str().unwrap()])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
        let proposed = std::fs::read_to_string(&proposal).unwrap();
        insta::with_settings!({snapshot_path => "snapshots/proposed", omit_expression => true}, {
            insta::assert_snapshot!(format!("proposed_{}", provider.name()), proposed);
        });

        // Adopted into a copy of the specs, the replay passes.
        let specs = common::specs_copy();
        let out = purchases()
            .args(["spec", "update", provider.name(), "--overlay"])
            .arg(&proposal)
            .arg("--specs-dir")
            .arg(specs.path())
            .output()
            .unwrap();
        let said = text(&out.stdout);
        assert!(out.status.success(), "{said}{}", text(&out.stderr));
        assert!(said.contains("adopted "), "{said}");
        // The surface diff needs the generator in the binary (feature `maintainer`).
        let surface = if cfg!(feature = "maintainer") {
            "drift_note: Option<CompactString>"
        } else {
            "built with the `maintainer` feature"
        };
        assert!(said.contains(surface), "surface diff: {said}");
        let (code, report) = replay(dir.path(), &["--specs", specs.path().to_str().unwrap()]);
        assert_eq!(code, 0, "{provider}: {report:#}");
        assert!(
            rules(&report, provider).is_empty(),
            "{provider}: {report:#}"
        );

        // The clients regenerated from the adopted spec decode every reply, exactly.
        decode_with_adopted(provider, dir.path());
    }
    for rule in ["undocumented-field", "enum-value", "null", "amount-form"] {
        assert!(seen_rules.contains(rule), "{rule} in {seen_rules:?}");
    }
}

/// Every successful reply in `dir` decoded by the regenerated client and written back: no
/// value changed (every amount digit for digit), no field dropped.
fn decode_with_adopted(provider: Provider, dir: &Path) {
    let mut decoded = 0;
    for (path, reply) in read_dir(dir).unwrap() {
        let reply: Reply = reply.unwrap();
        if !(200..300).contains(&reply.status) {
            continue;
        }
        let body = std::str::from_utf8(&reply.body).unwrap();
        let back = purchase_clients::adopted::decode(&reply.provider, &reply.operation, body)
            .unwrap_or_else(|| {
                panic!(
                    "no regenerated client for {} {}: accept the proposed overlay snapshot, then build again",
                    reply.provider, reply.operation
                )
            })
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let (changed, lost) =
            purchase_clients::conform::replay::compare_decoded(body, &back).unwrap();
        assert!(changed.is_empty(), "{}: {changed:?}", path.display());
        assert!(lost.is_empty(), "{}: {lost:?}", path.display());
        decoded += 1;
    }
    assert!(decoded > 0, "{provider}: no reply decoded");
}

/// Every wire form a credential takes: raw, percent-encoded, inside a JSON string, and in
/// HTTP Basic's base64 (padded or not).
fn wire_forms(secret: &str) -> Vec<String> {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    let json = serde_json::to_string(secret).unwrap();
    let mut forms = vec![
        secret.to_string(),
        url::form_urlencoded::byte_serialize(secret.as_bytes()).collect(),
        json[1..json.len() - 1].to_string(),
    ];
    for plain in [
        format!("{secret}:"),
        format!(":{secret}"),
        secret.to_string(),
    ] {
        let encoded = b64.encode(plain);
        forms.push(encoded.trim_end_matches('=').to_string());
        forms.push(encoded);
    }
    forms
}

/// Asserts that no file recorded in `dir` holds any credential of any provider in any of
/// its wire forms; returns how many echoes the recorder replaced.
fn assert_no_credential_in(dir: &Path) -> usize {
    let files = read_dir(dir).unwrap();
    let mut redacted = 0;
    for (path, reply) in files {
        let file = text(&std::fs::read(&path).unwrap());
        for provider in Provider::ALL {
            for secret in demo_credentials(*provider) {
                for form in wire_forms(secret) {
                    assert!(
                        !file.contains(&form),
                        "{}: {form:?} in\n{file}",
                        path.display()
                    );
                }
            }
        }
        redacted += reply.unwrap().redacted;
    }
    redacted
}

#[tokio::test(flavor = "multi_thread")]
async fn no_credential_reaches_a_recorded_reply_even_when_the_server_echoes_it() {
    let server = mock(false, vec![Fault::EchoCredentials]).await;
    let dir = tempfile::tempdir().unwrap();
    for provider in Provider::ALL.iter().copied() {
        let mut cmd = purchases();
        cmd.args([
            "list",
            provider.name(),
            "--base-url",
            &server.base_url(provider),
        ])
        .arg("--record")
        .arg(dir.path());
        if let Some(scope) = demo_scope(provider) {
            cmd.args(["--account", scope]);
        }
        let o = run(cmd).await;
        assert!(!o.status.success(), "{provider}: the server refuses");
        assert!(text(&o.stderr).contains("recorded "), "{}", text(&o.stderr));
    }
    let files = read_dir(dir.path()).unwrap();
    assert!(files.len() >= Provider::ALL.len(), "{}", files.len());
    let redacted = assert_no_credential_in(dir.path());
    assert!(redacted > 0, "the echoes were there, and were replaced");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_live_check_proposes_from_what_the_api_sent() {
    let drifting = mock(true, vec![]).await;
    let dir = tempfile::tempdir().unwrap();
    let proposal = dir.path().join("kit.yaml");
    let mut cmd = purchases();
    cmd.args(["conform", "--live", "--provider", "kit", "--base-url"])
        .arg(drifting.base_url(Provider::Kit))
        .args(["--propose-overlay", proposal.to_str().unwrap()]);
    let o = run(cmd).await;
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains("kit: proposed"),
        "{}",
        text(&o.stderr)
    );
    let proposed = std::fs::read_to_string(&proposal).unwrap();
    let overlay = purchase_spec::overlay::parse_overlay(&proposed).unwrap();
    assert!(
        overlay.actions.iter().any(|a| a
            .description
            .as_deref()
            .unwrap_or("")
            .contains("\"drift_note\"")),
        "{proposed}"
    );
    // The replies were recorded only for the proposal: nothing is left behind.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}
