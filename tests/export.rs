//! `purchases list --output`: an export killed at any instant and resumed, as often as it
//! takes, ends byte for byte equal to an uninterrupted one; a resume with other arguments
//! is refused; `purchases verify` proves an export against its manifest.

use purchase_clients::mock::{demo_credentials, MockConfig, MockServer};
use purchase_clients::Provider;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn bin() -> String {
    env!("CARGO_BIN_EXE_purchases").to_string()
}

async fn mock() -> MockServer {
    let config = MockConfig {
        count: 240,
        scopes: 4,
        latency: Duration::from_millis(8),
        ..Default::default()
    };
    MockServer::start("127.0.0.1:0".parse().unwrap(), config)
        .await
        .unwrap()
}

/// `purchases list` of `provider` into `out`, small pages; every account of the mock for an
/// API listed by account, from a file.
fn list(
    server: &MockServer,
    provider: Provider,
    out: &Path,
    format: &str,
    extra: &[&str],
) -> Command {
    let mut cmd = Command::new(bin());
    cmd.args([
        "list",
        provider.name(),
        "--page-size",
        "7",
        "--format",
        format,
        "--base-url",
    ])
    .arg(server.base_url(provider))
    .arg("--output")
    .arg(out)
    .args(extra)
    .stdout(Stdio::null())
    .stderr(Stdio::piped());
    for (var, value) in provider
        .credential_variables()
        .iter()
        .zip(demo_credentials(provider))
    {
        cmd.env(var, value);
    }
    if provider.scope().is_some() {
        let file = out.with_extension("accounts");
        std::fs::write(&file, server.scopes(provider).join("\n")).unwrap();
        cmd.arg("--accounts").arg(file);
    }
    cmd
}

/// A small deterministic generator for the kill times.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_export_killed_at_random_and_resumed_ends_byte_for_byte_equal_to_an_uninterrupted_one() {
    let server = mock().await;
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng(0x5eed_1234_abcd);
    let mut kills = 0;
    for (n, provider) in Provider::ALL.iter().copied().enumerate() {
        let format = if n % 2 == 0 { "jsonl" } else { "csv" };
        let reference = dir.path().join(format!("{provider}-reference.{format}"));
        let started = Instant::now();
        let o = list(&server, provider, &reference, format, &[])
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "{provider}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let whole = started.elapsed().as_millis() as u64;
        let expected = std::fs::read(&reference).unwrap();
        assert!(expected.len() > 1000, "{provider}");

        let out = dir.path().join(format!("{provider}.{format}"));
        let mut resume = false;
        let mut provider_kills = 0;
        // Runs that found a checkpoint to continue (a kill before the first one was written
        // leaves nothing to resume, and the next run starts afresh), and whether the last,
        // unkilled run did: a run killed while it starts resumes nothing, so the manifest
        // counts at most the former and at least one if the latter.
        let (mut resumable, mut last_resumable) = (0, false);
        let checkpoint = dir
            .path()
            .join(format!("{provider}.{format}.checkpoint.json"));
        for round in 0.. {
            assert!(round < 60, "{provider}: never finished");
            if resume {
                let saved: Option<serde_json::Value> = std::fs::read(&checkpoint)
                    .ok()
                    .and_then(|b| serde_json::from_slice(&b).ok());
                last_resumable = saved.is_some_and(|c| c["complete"] == false);
                resumable += u64::from(last_resumable);
            }
            let extra: &[&str] = if resume { &["--resume"] } else { &[] };
            let mut child = list(&server, provider, &out, format, extra)
                .spawn()
                .unwrap();
            resume = true;
            // Kill at a random instant while it runs (the first few times), else let it end.
            // (Each kill comes within the first sixth of a whole run, so five of them never
            // finish the listing between them.)
            let wait = Duration::from_millis(10 + rng.below((whole / 6).max(20)));
            if provider_kills < 5 {
                std::thread::sleep(wait);
                if child.try_wait().unwrap().is_none() {
                    child.kill().unwrap(); // SIGKILL
                    child.wait().unwrap();
                    provider_kills += 1;
                    continue;
                }
            }
            let o = child.wait_with_output().unwrap();
            assert!(
                o.status.success(),
                "{provider}: {}",
                String::from_utf8_lossy(&o.stderr)
            );
            break;
        }
        kills += provider_kills;
        let got = std::fs::read(&out).unwrap();
        assert!(
            got == expected,
            "{provider}: the resumed export differs from the uninterrupted one"
        );
        let manifest: serde_json::Value = serde_json::from_slice(
            &std::fs::read(
                dir.path()
                    .join(format!("{provider}.{format}.manifest.json")),
            )
            .unwrap(),
        )
        .unwrap();
        assert_eq!(manifest["complete"], true, "{provider}");
        let resumed = manifest["resumed"].as_u64().unwrap();
        assert!(resumed <= resumable, "{resumed} > {resumable}: {manifest}");
        assert!(resumed >= u64::from(last_resumable), "{manifest}");
        let o = Command::new(bin())
            .arg("verify")
            .arg(&out)
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "{provider}: {}",
            String::from_utf8_lossy(&o.stdout)
        );
    }
    assert!(kills >= 20, "only {kills} kills");
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_resume_with_other_arguments_is_refused_and_json_cannot_be_exported() {
    let server = mock().await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("kit.jsonl");
    let o = list(&server, Provider::Kit, &out, "jsonl", &[])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let refused = [
        ("jsonl", vec!["--param", "include_total_count=true"]),
        ("csv", vec![]),
    ];
    for (format, extra) in refused {
        let mut args = extra.clone();
        args.push("--resume");
        let o = list(&server, Provider::Kit, &out, format, &args)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{extra:?}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("--resume: the export was started with"),
            "{}",
            stderr(&o)
        );
        if !extra.is_empty() {
            // Said as the command line says it.
            assert!(
                stderr(&o)
                    .contains("with parameters no --param, not --param include_total_count=true"),
                "{}",
                stderr(&o)
            );
        }
    }
    let other = list(&server, Provider::Subtotal, &out, "jsonl", &["--resume"])
        .output()
        .unwrap();
    assert_eq!(other.status.code(), Some(2));
    assert!(
        stderr(&other).contains("provider kit, not subtotal"),
        "{}",
        stderr(&other)
    );
    for format in ["json", "table"] {
        let o = list(&server, Provider::Kit, &dir.path().join("x"), format, &[])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2));
        assert!(stderr(&o).contains("cannot be resumed"), "{}", stderr(&o));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn verify_accepts_a_good_export_and_rejects_one_with_a_line_removed_added_or_changed() {
    let server = mock().await;
    let dir = tempfile::tempdir().unwrap();
    for format in ["jsonl", "csv"] {
        let out = dir.path().join(format!("cocalc.{format}"));
        let o = list(&server, Provider::CoCalc, &out, format, &[])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
        let verify = || {
            Command::new(bin())
                .arg("verify")
                .arg(&out)
                .output()
                .unwrap()
        };
        assert!(verify().status.success());
        let good = std::fs::read_to_string(&out).unwrap();
        let lines: Vec<&str> = good.lines().collect();
        let edits = [
            ("removed", lines[..lines.len() - 1].join("\n") + "\n"),
            ("added", format!("{good}{}\n", lines[lines.len() - 1])),
            ("changed", good.replacen("USD", "USE", 1)),
        ];
        for (what, text) in edits {
            assert_ne!(text, good, "{what}");
            std::fs::write(&out, text).unwrap();
            let o = verify();
            assert_eq!(o.status.code(), Some(1), "{format}, a line {what}");
            assert!(
                String::from_utf8_lossy(&o.stdout).contains("(the manifest says"),
                "{what}"
            );
        }
        std::fs::write(&out, good).unwrap();
        assert!(verify().status.success());
    }
}

/// The earliest instants a run can be killed at: after its checkpoint and pages log are
/// written but before the output exists, or before its header was checkpointed. Either
/// resumes to the uninterrupted file (the CSV header written once).
#[tokio::test(flavor = "multi_thread")]
async fn an_export_killed_before_its_first_page_resumes_from_the_start() {
    let server = mock().await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("kit.csv");
    let o = list(&server, Provider::Kit, &out, "csv", &[])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let expected = std::fs::read(&out).unwrap();
    let checkpoint = dir.path().join("kit.csv.checkpoint.json");
    let mut saved: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&checkpoint).unwrap()).unwrap();
    for (key, value) in [
        ("scope_index", serde_json::json!(0)),
        ("cursor", serde_json::Value::Null),
        ("bytes", serde_json::json!(0)),
        ("records", serde_json::json!(0)),
        ("pages", serde_json::json!(0)),
        ("first_id", serde_json::Value::Null),
        ("last_id", serde_json::Value::Null),
        ("complete", serde_json::json!(false)),
    ] {
        saved[key] = value;
    }
    for output_exists in [false, true] {
        std::fs::write(&checkpoint, serde_json::to_vec(&saved).unwrap()).unwrap();
        std::fs::write(dir.path().join("kit.csv.pages"), "").unwrap();
        if output_exists {
            std::fs::write(&out, "").unwrap();
        } else {
            std::fs::remove_file(&out).unwrap();
        }
        let o = list(&server, Provider::Kit, &out, "csv", &["--resume"])
            .output()
            .unwrap();
        assert!(o.status.success(), "{output_exists}: {}", stderr(&o));
        assert!(std::fs::read(&out).unwrap() == expected, "{output_exists}");
    }
}
