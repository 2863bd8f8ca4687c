//! `purchases drift --evidence DIR`: changes weighed by recorded replies. Kit's listing is
//! recorded from the mock (and from the drifting mock, which sends fields the spec does not
//! have), then Kit's spec is compared with edits whose elements the replies show always,
//! never, or by value.
#![cfg(feature = "cli")]

use assert_cmd::Command;
use purchase_clients::mock::{demo_credentials, MockConfig, MockServer};
use purchase_clients::Provider;
use serde_json::Value;
use std::path::Path;

const KIT: &str = include_str!("../specs/kit.yaml");

/// The status line of a Kit purchase in the spec, and what the edits put in its place.
const STATUS: &str = "                        status:\n                          type: string\n";

/// Kit's spec with `status` an enum and an optional `legacy_code` string no reply carries.
fn old_spec() -> String {
    assert!(KIT.contains(STATUS));
    KIT.replacen(
        STATUS,
        &format!("{STATUS}                          enum: [paid, refunded, pending]\n                        legacy_code:\n                          type: string\n"),
        1,
    )
}

/// The next version: `discount` gone, `paid` no longer a status, `legacy_code` an integer,
/// and an optional `drift_note` (what the drifting mock already sends).
fn new_spec() -> String {
    let discount = "                        discount:\n                          type: number\n                          format: float\n";
    assert!(KIT.contains(discount));
    old_spec()
        .replacen("enum: [paid, refunded, pending]", "enum: [refunded, pending]", 1)
        .replacen(
            "                        legacy_code:\n                          type: string\n",
            "                        legacy_code:\n                          type: integer\n                        drift_note:\n                          type: string\n",
            1,
        )
        .replacen(discount, "", 1)
        .replacen("                        - discount\n", "", 1)
}

fn purchases() -> Command {
    let mut cmd = Command::cargo_bin("purchases").unwrap();
    let kit = Provider::ALL.iter().find(|p| p.name() == "kit").unwrap();
    for (var, value) in kit
        .credential_variables()
        .iter()
        .zip(demo_credentials(*kit))
    {
        cmd.env(var, value);
    }
    cmd
}

/// Records Kit's listing from a mock (drifting or not) into `dir`: the number of replies.
async fn record(drift: bool, dir: &Path) -> usize {
    let config = MockConfig {
        count: 60,
        drift,
        ..Default::default()
    };
    let server = MockServer::start("127.0.0.1:0".parse().unwrap(), config)
        .await
        .unwrap();
    let kit = *Provider::ALL.iter().find(|p| p.name() == "kit").unwrap();
    let mut cmd = purchases();
    cmd.args(["list", "kit", "--base-url", &server.base_url(kit)])
        .args(["--format", "jsonl", "--page-size", "10", "--record"])
        .arg(dir);
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read_dir(dir.join("kit")).unwrap().count()
}

/// `purchases drift old new --evidence dir --format json` with `extra`: exit code, report.
fn drift(specs: &Path, evidence: &Path, extra: &[&str]) -> (i32, Value) {
    let out = purchases()
        .arg("drift")
        .arg(specs.join("old.yaml"))
        .arg(specs.join("new.yaml"))
        .arg("--evidence")
        .arg(evidence)
        .args(["--format", "json"])
        .args(extra)
        .output()
        .unwrap();
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code().unwrap(), report)
}

/// The change of `rule` whose pointer ends with `/properties/{property}`.
fn change<'r>(report: &'r Value, rule: &str, property: &str) -> &'r Value {
    report["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| {
            c["rule"] == rule
                && c["pointer"]
                    .as_str()
                    .unwrap()
                    .ends_with(&format!("/properties/{property}"))
        })
        .unwrap_or_else(|| panic!("no {rule} on {property}: {report:#}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn recorded_replies_weigh_each_change_to_a_response_element() {
    let dir = tempfile::tempdir().unwrap();
    let (plain, drifting) = (dir.path().join("plain"), dir.path().join("drifting"));
    let replies = record(false, &plain).await;
    let drifting_replies = record(true, &drifting).await;
    assert!(replies >= 6, "{replies} replies recorded");
    std::fs::write(dir.path().join("old.yaml"), old_spec()).unwrap();
    std::fs::write(dir.path().join("new.yaml"), new_spec()).unwrap();

    let (code, report) = drift(dir.path(), &plain, &[]);
    assert_eq!(code, 1, "{report:#}");
    // A property every record carries: present in every reply.
    let discount = change(&report, "response-required-property-removed", "discount");
    assert_eq!(discount["traffic"]["replies"], replies);
    assert_eq!(discount["traffic"]["seen"], replies);
    assert!(discount["message"].as_str().unwrap().contains(&format!(
        "present in {replies} of {replies} recorded replies"
    )));
    // A property no reply carries: never seen, still breaking under the default policy.
    let legacy = change(&report, "response-property-type-changed", "legacy_code");
    assert_eq!(legacy["level"], "breaking");
    assert_eq!(legacy["traffic"]["seen"], 0);
    assert!(legacy["message"]
        .as_str()
        .unwrap()
        .contains("never seen in"));
    // An enum value dropped: how many replies carried it (the mock's purchases are paid).
    let status = change(&report, "response-property-enum-value-removed", "status");
    let paid = status["traffic"]["values"]["paid"].as_u64().unwrap() as usize;
    assert!(paid > 0 && paid <= replies, "{status:#}");
    // The mock that does not drift never sends drift_note.
    let note = change(&report, "response-optional-property-added", "drift_note");
    assert_eq!(note["traffic"]["seen"], 0);

    // The policy lowers only the change the traffic never showed.
    let (code, lowered) = drift(dir.path(), &plain, &["--evidence-policy", "lower-unseen"]);
    assert_eq!(code, 1, "discount's removal stays breaking: {lowered:#}");
    let legacy = change(&lowered, "response-property-type-changed", "legacy_code");
    assert_eq!(legacy["level"], "warning");
    assert_eq!(legacy["traffic"]["lowered"], true);
    let discount = change(&lowered, "response-required-property-removed", "discount");
    assert_eq!(discount["level"], "breaking");
    assert_eq!(
        lowered["summary"]["breaking"].as_u64().unwrap() + 1,
        report["summary"]["breaking"].as_u64().unwrap()
    );

    // A status: the replies that had it.
    std::fs::write(
        dir.path().join("new.yaml"),
        old_spec().replacen("        '200':\n", "        '201':\n", 1),
    )
    .unwrap();
    let (_, report) = drift(dir.path(), &plain, &[]);
    let removed = report["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["rule"] == "response-success-status-removed")
        .unwrap_or_else(|| panic!("{report:#}"));
    assert_eq!(removed["traffic"]["seen"], replies, "{removed:#}");

    // A response header, its schema written in place or in components: the records do not
    // keep every header, so the change is not weighed (not "never seen") and the policy
    // leaves it as it is.
    let with_header = |schema: &str, ty: &str| {
        old_spec()
            .replacen(
                "          description: Returns a paginated list of all purchases for your account\n",
                &format!("          description: Returns a paginated list of all purchases for your account\n          headers:\n            X-Rate-Limit:\n              required: true\n              schema:\n                {schema}\n"),
                1,
            )
            .replacen(
                "components:\n",
                &format!("components:\n  schemas:\n    RateLimit:\n      type: {ty}\n"),
                1,
            )
    };
    for schema in ["type: {ty}", "$ref: '#/components/schemas/RateLimit'"] {
        for (side, ty) in [("old", "integer"), ("new", "string")] {
            let text = with_header(&schema.replace("{ty}", ty), ty);
            std::fs::write(dir.path().join(format!("{side}.yaml")), text).unwrap();
        }
        for policy in ["report", "lower-unseen"] {
            let (code, report) = drift(dir.path(), &plain, &["--evidence-policy", policy]);
            let changes = report["changes"].as_array().unwrap();
            let header = changes
                .iter()
                .find(|c| c["rule"] == "response-header-type-changed")
                .unwrap_or_else(|| panic!("{schema}: {report:#}"));
            assert!(
                header["traffic"].is_null(),
                "{schema}, {policy}: {header:#}"
            );
            assert_eq!(
                header["level"], "breaking",
                "{schema}, {policy}: {header:#}"
            );
            assert_eq!(code, 1, "{schema}, {policy}: {report:#}");
        }
    }
    std::fs::write(dir.path().join("old.yaml"), old_spec()).unwrap();
    std::fs::write(dir.path().join("new.yaml"), new_spec()).unwrap();

    // The drifting mock already sends drift_note in every reply: the new spec only says so.
    let (_, report) = drift(dir.path(), &drifting, &[]);
    let note = change(&report, "response-optional-property-added", "drift_note");
    assert_eq!(note["traffic"]["replies"], drifting_replies);
    assert_eq!(note["traffic"]["seen"], drifting_replies);
}

#[test]
fn evidence_without_a_reply_of_the_old_document_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("old.yaml"), old_spec()).unwrap();
    std::fs::write(dir.path().join("new.yaml"), new_spec()).unwrap();
    let empty = dir.path().join("replies");
    std::fs::create_dir(&empty).unwrap();
    let out = purchases()
        .arg("drift")
        .arg(dir.path().join("old.yaml"))
        .arg(dir.path().join("new.yaml"))
        .arg("--evidence")
        .arg(&empty)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no recorded reply"));
    // The policy needs evidence to work on.
    let out = purchases()
        .arg("drift")
        .arg(dir.path().join("old.yaml"))
        .arg(dir.path().join("new.yaml"))
        .args(["--evidence-policy", "lower-unseen"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
