//! `purchases drift` and `purchases spec update`, run as a user would (files only).
#![cfg(feature = "cli")]

use assert_cmd::Command;

fn purchases() -> Command {
    Command::cargo_bin("purchases").unwrap()
}

fn spec(name: &str) -> String {
    format!("{}/specs/{name}", env!("PURCHASE_CLIENTS_CHECKOUT"))
}

fn edited_kit(dir: &std::path::Path) -> std::path::PathBuf {
    let kit = std::fs::read_to_string(spec("kit.yaml")).unwrap();
    let edited = kit
        .replacen("                        total:\n                          type: number\n                          format: float\n", "", 1)
        .replacen("                        - total\n", "", 1)
        .replacen("                        currency:\n", "                        refunded_at:\n                          type: string\n                        currency:\n", 1);
    let path = dir.join("kit-new.yaml");
    std::fs::write(&path, edited).unwrap();
    path
}

#[test]
fn the_checked_in_specs_have_no_drift_against_themselves() {
    for p in ["cocalc", "subtotal", "togai", "kit"] {
        let f = spec(&format!("{p}.yaml"));
        let out = purchases()
            .args(["drift", &f, &f])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "no changes\n0 breaking, 0 warning, 0 info\ncrate: patch\n"
        );
        purchases()
            .args(["drift", "--provider", p, "--against", &f])
            .assert()
            .success();
    }
}

#[test]
fn a_breaking_change_exits_1_and_fail_on_never_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let new = edited_kit(dir.path());
    let a = purchases()
        .args(["drift", &spec("kit.yaml")])
        .arg(&new)
        .assert()
        .code(1);
    let text = String::from_utf8(a.get_output().stdout.clone()).unwrap();
    assert!(
        text.contains("BREAKING response-required-property-removed"),
        "{text}"
    );
    assert!(
        text.ends_with("1 breaking, 0 warning, 1 info\ncrate: major\n"),
        "{text}"
    );
    purchases()
        .args(["drift", "--fail-on", "never", &spec("kit.yaml")])
        .arg(&new)
        .assert()
        .success();
    // An additive-only change passes by default and fails with --fail-on info.
    let additive = std::fs::read_to_string(spec("kit.yaml"))
        .unwrap()
        .replacen("                        currency:\n", "                        refunded_at:\n                          type: string\n                        currency:\n", 1);
    let path = dir.path().join("additive.yaml");
    std::fs::write(&path, additive).unwrap();
    purchases()
        .args(["drift", &spec("kit.yaml")])
        .arg(&path)
        .assert()
        .success();
    purchases()
        .args(["drift", "--fail-on", "info", &spec("kit.yaml")])
        .arg(&path)
        .assert()
        .code(1);
}

#[test]
fn markdown_and_json_reports() {
    let dir = tempfile::tempdir().unwrap();
    let new = edited_kit(dir.path());
    let out = purchases()
        .args([
            "drift",
            "--format",
            "markdown",
            "--fail-on",
            "never",
            &spec("kit.yaml"),
        ])
        .arg(&new)
        .output()
        .unwrap();
    let md = String::from_utf8(out.stdout).unwrap();
    assert!(md.starts_with("### Spec drift"), "{md}");
    assert!(
        md.contains(
            "| 🔴 breaking | `response-required-property-removed` | major | `GET /v4/purchases` |"
        ),
        "{md}"
    );
    let out = purchases()
        .args([
            "drift",
            "--format",
            "json",
            "--fail-on",
            "never",
            &spec("kit.yaml"),
        ])
        .arg(&new)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["changes"][0]["rule"],
        "response-required-property-removed"
    );
    assert_eq!(v["changes"][0]["level"], "breaking");
    assert_eq!(v["changes"][0]["semver"], "major");
    assert_eq!(v["changes"][0]["document"], "old");
    assert_eq!(v["summary"]["crate"], "major");
    // The report fits its published JSON Schema.
    let schema = purchases().args(["drift", "--schema"]).output().unwrap();
    let schema: serde_json::Value = serde_json::from_slice(&schema.stdout).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(&v).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    let mut broken = v.clone();
    broken["changes"][0]["level"] = serde_json::json!("fatal");
    assert!(!validator.is_valid(&broken));
}

fn drift_output(args: &[&str], new: &std::path::Path) -> std::process::Output {
    purchases()
        .arg("drift")
        .args(args)
        .arg(spec("kit.yaml"))
        .arg(new)
        .output()
        .unwrap()
}

#[test]
fn github_actions_and_junit_formats() {
    let dir = tempfile::tempdir().unwrap();
    let new = edited_kit(dir.path());
    let out = drift_output(&["--format", "githubactions"], &new);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(
        lines[0].starts_with("::error title=response-required-property-removed::in API GET /v4/purchases property total was removed"),
        "{text}"
    );
    assert!(
        lines[1].starts_with("::notice title=response-optional-property-added::"),
        "{text}"
    );
    let out = drift_output(&["--format", "junit"], &new);
    let xml = String::from_utf8(out.stdout).unwrap();
    assert!(
        xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>"),
        "{xml}"
    );
    assert!(xml.contains("tests=\"2\" failures=\"1\""), "{xml}");
    assert_eq!(xml.matches("<failure ").count(), 1, "{xml}");
    assert_eq!(xml.matches("<testcase ").count(), 2, "{xml}");
}

#[test]
fn an_ignore_file_sets_changes_aside_and_reports_stale_entries() {
    let dir = tempfile::tempdir().unwrap();
    let new = edited_kit(dir.path());
    let ignore = dir.path().join("ignore.toml");
    std::fs::write(
        &ignore,
        r#"
[[ignore]]
rule = "response-required-property-removed"
operation = "GET /v4/purchases"
reason = "we read the total from the invoice instead"

[[ignore]]
rule = "request-parameter-removed"
pointer = "/paths/~1v4~1purchases/get/parameters"
reason = "no such change any more"
"#,
    )
    .unwrap();
    let out = drift_output(&["--ignore", ignore.to_str().unwrap()], &new);
    assert_eq!(out.status.code(), Some(0), "the breaking change is ignored");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("ignored  response-required-property-removed"),
        "{text}"
    );
    assert!(
        text.contains("we read the total from the invoice instead"),
        "{text}"
    );
    assert!(
        text.contains("stale ignore entry (matches nothing): request-parameter-removed"),
        "{text}"
    );
    assert!(
        text.ends_with("0 breaking, 0 warning, 1 info\ncrate: minor\n"),
        "{text}"
    );
    for (bad, expect) in [
        (
            "[[ignore]]\nrule = \"response-required-property-removed\"\noperation = \"GET /x\"\n",
            "reason",
        ),
        (
            "[[ignore]]\nrule = \"no-such-rule\"\noperation = \"GET /x\"\nreason = \"r\"\n",
            "unknown rule id",
        ),
        (
            "[[ignore]]\nrule = \"response-required-property-removed\"\nreason = \"r\"\n",
            "operation or a pointer",
        ),
        ("not toml [", "ignore file"),
    ] {
        std::fs::write(&ignore, bad).unwrap();
        let out = drift_output(&["--ignore", ignore.to_str().unwrap()], &new);
        assert_eq!(out.status.code(), Some(2), "{bad}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.contains(expect), "{bad}: {err}");
    }
}

#[test]
fn a_levels_file_overrides_and_drops_rules() {
    let dir = tempfile::tempdir().unwrap();
    let new = edited_kit(dir.path());
    let levels = dir.path().join("levels.txt");
    std::fs::write(
        &levels,
        "# our client reads totals elsewhere\nresponse-required-property-removed warn\nresponse-optional-property-added none\n",
    )
    .unwrap();
    let out = drift_output(&["--levels", levels.to_str().unwrap()], &new);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("WARNING  response-required-property-removed"),
        "{text}"
    );
    assert!(!text.contains("response-optional-property-added"), "{text}");
    for bad in [
        "response-required-property-removed fatal\n",
        "no-such-rule info\n",
        "one two three\n",
    ] {
        std::fs::write(&levels, bad).unwrap();
        let out = drift_output(&["--levels", levels.to_str().unwrap()], &new);
        assert_eq!(out.status.code(), Some(2), "{bad}");
        assert!(
            String::from_utf8(out.stderr)
                .unwrap()
                .contains("levels file, line 1"),
            "{bad}"
        );
    }
}

#[test]
fn unreadable_or_unparseable_input_exits_2_with_the_reason() {
    let a = purchases()
        .args(["drift", "/nonexistent.yaml", &spec("kit.yaml")])
        .assert()
        .code(2);
    assert!(
        String::from_utf8_lossy(&a.get_output().stderr).contains("cannot read /nonexistent.yaml")
    );
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, "openapi: [").unwrap();
    let a = purchases()
        .args(["drift", &spec("kit.yaml")])
        .arg(&bad)
        .assert()
        .code(2);
    assert!(
        String::from_utf8_lossy(&a.get_output().stderr).contains("parse"),
        "{:?}",
        a.get_output()
    );
}

#[test]
fn references_inside_other_files_are_followed_from_relative_paths() {
    // `specs/{old,new}.yaml` refer to `schemas/pet*.yaml#/Pet`, whose `tag` refers to `#/Tag`
    // in the same file and whose `parent` to `../schemas/pet*.yaml#/Pet` (itself, written
    // another way): given as relative paths, every reference is followed.
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("specs/schemas")).unwrap();
    for (side, pet, tag_properties) in [
        (
            "old",
            "pet.yaml",
            "    name: {type: string}\n    color: {type: string}\n",
        ),
        ("new", "pet2.yaml", "    name: {type: string}\n"),
    ] {
        let main = format!("openapi: 3.0.3\ninfo: {{title: T, version: '1'}}\npaths:\n  /pets:\n    get:\n      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema: {{$ref: 'schemas/{pet}#/Pet'}}\n");
        std::fs::write(dir.path().join(format!("specs/{side}.yaml")), main).unwrap();
        let schemas = format!("Pet:\n  type: object\n  properties:\n    tag: {{$ref: '#/Tag'}}\n    parent: {{$ref: '../schemas/{pet}#/Pet'}}\nTag:\n  type: object\n  properties:\n{tag_properties}");
        std::fs::write(dir.path().join(format!("specs/schemas/{pet}")), schemas).unwrap();
    }
    let out = purchases()
        .current_dir(dir.path())
        .args([
            "drift",
            "specs/old.yaml",
            "specs/new.yaml",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    // Only the property removed inside `Tag` (Pet, being recursive, is placed once in
    // components and referred to there); nothing reported as not followed.
    let changes = report["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 1, "{report:#}");
    assert_eq!(changes[0]["rule"], "response-optional-property-removed");
    let pointer = changes[0]["pointer"].as_str().unwrap();
    assert!(
        pointer.ends_with("/properties/tag/properties/color"),
        "{report:#}"
    );
}

#[test]
fn a_docs_page_with_a_fenced_spec_is_read_like_the_spec() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("page.md");
    let kit = std::fs::read_to_string(spec("kit.yaml")).unwrap();
    std::fs::write(
        &page,
        format!("# List purchases\n\n````yaml get /v4/purchases\n{kit}````\n"),
    )
    .unwrap();
    purchases()
        .args(["drift", "--provider", "kit", "--against"])
        .arg(&page)
        .assert()
        .success();
}

#[test]
fn spec_update_writes_the_spec_refreshes_provenance_and_reports() {
    let dir = tempfile::tempdir().unwrap();
    let specs = dir.path().join("specs");
    std::fs::create_dir_all(specs.join("overlays")).unwrap();
    for f in [
        "kit.yaml",
        "sources.toml",
        "providers.toml",
        "overlays/kit.overlay.yaml",
    ] {
        std::fs::copy(spec(f), specs.join(f)).unwrap();
    }
    let new = edited_kit(dir.path());
    let out = purchases()
        .args(["spec", "update", "kit", "--specs-dir"])
        .arg(&specs)
        .arg("--from")
        .arg(&new)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.contains("response-required-property-removed"),
        "{text}"
    );
    assert!(text.ends_with("crate: major\n"), "{text}");
    let written = std::fs::read(specs.join("kit.yaml")).unwrap();
    assert_eq!(written, std::fs::read(&new).unwrap());
    use sha2::Digest;
    let sha = format!("{:x}", sha2::Sha256::digest(&written));
    let sources = std::fs::read_to_string(specs.join("sources.toml")).unwrap();
    assert!(
        sources.contains(&format!("sha256 = \"{sha}\"")),
        "{sources}"
    );

    // An upstream change that an overlay no longer fits is refused, naming the action.
    let moved = std::fs::read_to_string(spec("kit.yaml"))
        .unwrap()
        .replace("/v4/purchases:", "/v5/purchases:");
    let path = dir.path().join("moved.yaml");
    std::fs::write(&path, moved).unwrap();
    let a = purchases()
        .args(["spec", "update", "kit", "--specs-dir"])
        .arg(&specs)
        .arg("--from")
        .arg(&path)
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    assert!(
        err.contains("overlay") && err.contains("/v4/purchases"),
        "{err}"
    );
}
