//! `purchases` end to end: the built binary against the embedded mock.
#![cfg(feature = "cli")]

use assert_cmd::Command;
use purchase_clients::mock::{
    demo_credentials, demo_scope, DataSet, Fault, MockConfig, MockServer,
};
use purchase_clients::Provider;
use serde_json::Value;

const COUNT: usize = 120;

fn purchases() -> Command {
    let mut cmd = Command::cargo_bin("purchases").unwrap();
    for p in Provider::ALL {
        for var in p.credential_variables() {
            cmd.env_remove(var);
        }
    }
    cmd
}

/// `purchases list <provider>` against `server`, with the demo credentials.
fn list(server: &MockServer, provider: Provider, extra: &[&str]) -> Command {
    let mut cmd = purchases();
    for p in Provider::ALL {
        for (var, value) in p.credential_variables().iter().zip(demo_credentials(*p)) {
            cmd.env(var, value);
        }
    }
    cmd.args([
        "list",
        provider.name(),
        "--base-url",
        &server.base_url(provider),
    ]);
    if let Some(scope) = demo_scope(provider) {
        cmd.args(["--account", scope]);
    }
    cmd.args(extra);
    cmd
}

async fn mock(faults: Vec<Fault>) -> MockServer {
    MockServer::start(
        "127.0.0.1:0".parse().unwrap(),
        MockConfig {
            count: COUNT,
            faults,
            ..Default::default()
        },
    )
    .await
    .unwrap()
}

/// Runs `cmd` off the async runtime (the mock keeps serving meanwhile).
async fn run(mut cmd: Command) -> std::process::Output {
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

fn expected_count(provider: Provider) -> usize {
    DataSet::generate(COUNT).listed(provider)
}

#[tokio::test(flavor = "multi_thread")]
async fn every_provider_lists_everything_in_every_format() {
    let server = mock(vec![]).await;
    for provider in Provider::ALL.iter().copied() {
        let n = expected_count(provider);
        let o = run(list(
            &server,
            provider,
            &["--format", "jsonl", "--page-size", "7"],
        ))
        .await;
        assert!(o.status.success(), "{provider}: {}", stderr(&o));
        assert!(
            stderr(&o).is_empty(),
            "nothing on stderr when not a terminal: {}",
            stderr(&o)
        );
        let lines: Vec<Value> = stdout(&o)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), n, "{provider}");
        let ids: std::collections::HashSet<_> = lines.iter().map(|l| l["id"].clone()).collect();
        assert_eq!(ids.len(), n, "{provider}: every purchase once");
        for l in &lines {
            let keys: Vec<_> = l.as_object().unwrap().keys().map(String::as_str).collect();
            assert_eq!(
                keys,
                ["provider", "id", "time", "total", "currency", "status", "customer"]
            );
            assert_eq!(l["provider"], provider.name());
        }

        let o = run(list(&server, provider, &["--format", "json"])).await;
        let array: Vec<Value> = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(array.len(), n, "{provider} json");

        let o = run(list(&server, provider, &["--format", "csv"])).await;
        let mut reader = csv::Reader::from_reader(o.stdout.as_slice());
        assert_eq!(
            reader.headers().unwrap(),
            vec!["provider", "id", "time", "total", "currency", "status", "customer"]
        );
        assert_eq!(reader.records().count(), n, "{provider} csv");

        let o = run(list(&server, provider, &["--format", "table"])).await;
        let text = stdout(&o);
        assert!(text.starts_with("PROVIDER"), "{text}");
        assert_eq!(text.lines().count(), n + 1, "{provider} table");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn kit_totals_are_printed_digit_for_digit_as_served() {
    let server = mock(vec![]).await;
    let o = run(list(&server, Provider::Kit, &["--format", "jsonl"])).await;
    let served: Vec<String> = DataSet::generate(COUNT)
        .get::<purchase_clients::kit::Api>()
        .iter()
        .map(|p| p.total.to_string())
        .collect();
    let printed: Vec<String> = stdout(&o)
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["total"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(printed, served);
    assert!(
        printed.iter().any(|t| t.len() >= 20),
        "some totals have 19 significant digits"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn limit_stops_the_listing() {
    let server = mock(vec![]).await;
    for provider in Provider::ALL.iter().copied() {
        let o = run(list(
            &server,
            provider,
            &["--format", "jsonl", "--limit", "5"],
        ))
        .await;
        assert!(o.status.success());
        assert_eq!(stdout(&o).lines().count(), 5, "{provider}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn fetching_in_turn_prints_what_prefetching_prints() {
    // `--prefetch 0` runs the command on a single-threaded runtime: same output, same
    // retries.
    let server = mock(vec![]).await;
    for provider in Provider::ALL.iter().copied() {
        let args = ["--format", "jsonl", "--page-size", "7"];
        let ahead = run(list(&server, provider, &args)).await;
        let in_turn = run(list(
            &server,
            provider,
            &[&args[..], &["--prefetch", "0"]].concat(),
        ))
        .await;
        assert!(in_turn.status.success(), "{provider}: {}", stderr(&in_turn));
        assert_eq!(
            stdout(&in_turn).lines().count(),
            expected_count(provider),
            "{provider}"
        );
        assert_eq!(stdout(&in_turn), stdout(&ahead), "{provider}");
    }
    let server = mock(vec![Fault::RateLimit]).await;
    let o = run(list(
        &server,
        Provider::Kit,
        &["--format", "jsonl", "--limit", "3", "--prefetch", "0"],
    ))
    .await;
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o).lines().count(), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn recoverable_faults_recover_and_the_others_fail_with_one_line() {
    for (fault, ok) in [
        (Fault::RateLimit, true),
        (Fault::ServerError, true),
        (Fault::Slow, true),
        (Fault::Unavailable, false),
        (Fault::Malformed, false),
    ] {
        let server = mock(vec![fault]).await;
        for provider in [Provider::Kit, Provider::CoCalc] {
            let o = run(list(
                &server,
                provider,
                &["--format", "jsonl", "--limit", "3"],
            ))
            .await;
            let err = stderr(&o);
            if ok {
                assert!(o.status.success(), "{fault:?} {provider}: {err}");
                assert_eq!(stdout(&o).lines().count(), 3);
            } else {
                assert_eq!(o.status.code(), Some(1), "{fault:?} {provider}: {err}");
                assert_eq!(err.lines().count(), 1, "{err}");
                assert!(err.starts_with("error: "), "{err}");
                assert!(
                    !err.contains("panicked") && !err.contains("backtrace"),
                    "{err}"
                );
                let expect = if fault == Fault::Malformed {
                    "undecodable response"
                } else {
                    "503"
                };
                assert!(err.contains(expect), "{fault:?}: {err}");
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_credential_names_the_variable() {
    let server = mock(vec![]).await;
    for provider in Provider::ALL.iter().copied() {
        for var in provider.credential_variables() {
            let mut cmd = list(&server, provider, &[]);
            cmd.env_remove(var);
            let o = run(cmd).await;
            assert_eq!(o.status.code(), Some(2), "{provider}");
            assert_eq!(
                stderr(&o).trim(),
                format!("error: missing credential: set the environment variable {var}")
            );
        }
        // A listing by scope given none says what it needs.
        let Some(scope) = provider.scope() else {
            continue;
        };
        let o = run({
            let mut c = purchases();
            for (var, value) in provider
                .credential_variables()
                .iter()
                .zip(demo_credentials(provider))
            {
                c.env(var, value);
            }
            c.args([
                "list",
                provider.name(),
                "--base-url",
                &server.base_url(provider),
            ]);
            c
        })
        .await;
        assert_eq!(o.status.code(), Some(2));
        assert!(stderr(&o).contains(scope), "{}", stderr(&o));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_credential_fails_without_showing_it() {
    let server = mock(vec![]).await;
    for provider in Provider::ALL.iter().copied() {
        let var = provider.credential_variables().last().unwrap();
        let secret = "wrong-secret-value-42";
        let mut cmd = list(&server, provider, &[]);
        cmd.env(var, secret);
        let o = run(cmd).await;
        assert_eq!(o.status.code(), Some(1), "{provider}");
        let err = stderr(&o);
        assert!(err.contains("authentication refused"), "{provider}: {err}");
        assert!(
            !err.contains(secret) && !stdout(&o).contains(secret),
            "{provider}: {err}"
        );
    }
}

#[test]
fn demo_lists_every_provider_and_exits_0() {
    let o = purchases().arg("demo").output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.starts_with("PROVIDER   CURRENCY"), "{text}");
    for p in Provider::ALL {
        assert!(
            text.lines().any(|l| l.starts_with(p.name())),
            "{p} missing: {text}"
        );
    }
    assert!(
        text.contains(&format!("from {} providers", Provider::ALL.len())),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn schema_is_a_json_schema_that_every_jsonl_line_satisfies() {
    let o = run({
        let mut c = purchases();
        c.arg("schema");
        c
    })
    .await;
    let schema: Value = serde_json::from_slice(&o.stdout).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let server = mock(vec![]).await;
    for provider in Provider::ALL.iter().copied() {
        let o = run(list(&server, provider, &["--format", "jsonl"])).await;
        for line in stdout(&o).lines() {
            let v: Value = serde_json::from_str(line).unwrap();
            let errors: Vec<String> = validator.iter_errors(&v).map(|e| e.to_string()).collect();
            assert!(errors.is_empty(), "{line}: {errors:?}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn get_togai_prints_one_purchase_and_a_missing_one_fails() {
    let server = mock(vec![]).await;
    let get = |id: &str| {
        let mut cmd = purchases();
        cmd.env("TOGAI_API_TOKEN", demo_credentials(Provider::Togai)[0])
            .args([
                "get",
                "togai",
                id,
                "--base-url",
                &server.base_url(Provider::Togai),
                "--format",
                "jsonl",
            ]);
        cmd
    };
    let o = run(get("purchase.000007")).await;
    assert!(o.status.success(), "{}", stderr(&o));
    let v: Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(
        (v["id"].as_str(), v["customer"].as_str()),
        (Some("purchase.000007"), Some("ACC00001"))
    );
    let o = run(get("nope")).await;
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("Purchase not found"), "{}", stderr(&o));
    let o = run({
        let mut c = purchases();
        c.args(["get", "kit", "1"]);
        c
    })
    .await;
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn bad_arguments_exit_2() {
    let o = purchases().args(["list", "stripe"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    let o = purchases()
        .env("KIT_ACCESS_TOKEN", "t")
        .args(["list", "kit", "--page-size", "5000"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("per_page must be between 1 and 1000"),
        "{}",
        stderr(&o)
    );
}

/// Every form of the demo credentials on the wire: raw, HTTP Basic, percent-encoded.
fn credential_forms() -> Vec<String> {
    use base64::Engine;
    Provider::ALL
        .iter()
        .flat_map(|p| demo_credentials(*p))
        .flat_map(|s| {
            [
                s.to_string(),
                base64::engine::general_purpose::STANDARD.encode(format!("{s}:")),
                s.replace('-', "%2D"),
            ]
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn echoed_credentials_and_terminal_escapes_never_reach_the_output() {
    let server = mock(vec![Fault::EchoCredentials]).await;
    for provider in Provider::ALL.iter().copied() {
        for format in ["table", "jsonl", "csv"] {
            let o = run(list(&server, provider, &["--format", format])).await;
            assert_eq!(o.status.code(), Some(1), "{provider}");
            let (out, err) = (stdout(&o), stderr(&o));
            for form in credential_forms() {
                assert!(
                    !err.contains(&form) && !out.contains(&form),
                    "{provider}: {form} in {err}"
                );
            }
            assert!(
                !err.contains(['\u{1b}', '\u{7}']),
                "{provider}: raw escape in {err:?}"
            );
            assert_eq!(err.lines().count(), 1, "{err}");
            assert!(err.contains("***"), "{provider}: {err}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_empty_account_lists_as_empty_and_exits_0() {
    let server = mock(vec![Fault::Empty]).await;
    for provider in Provider::ALL.iter().copied() {
        let o = run(list(&server, provider, &["--format", "jsonl"])).await;
        assert!(o.status.success(), "{provider}: {}", stderr(&o));
        assert_eq!(stdout(&o), "", "{provider}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_endless_listing_ends_with_exit_1_naming_the_bound() {
    let server = mock(vec![Fault::Endless]).await;
    for provider in Provider::ALL.iter().copied() {
        let o = run(list(
            &server,
            provider,
            &["--format", "jsonl", "--page-size", "2", "--max-pages", "5"],
        ))
        .await;
        assert_eq!(o.status.code(), Some(1), "{provider}");
        let err = stderr(&o);
        assert!(
            err.contains(provider.name()) && err.contains("after 5 pages"),
            "{provider}: {err}"
        );
        // What was listed before the bound is printed, and the exit status says it is not all.
        assert_eq!(stdout(&o).lines().count(), 10, "{provider}");
    }
    // Empty pages that keep saying "more" end at the default bound.
    let server = mock(vec![Fault::EndlessEmpty]).await;
    let o = run(list(&server, Provider::Togai, &["--format", "jsonl"])).await;
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("empty pages"), "{}", stderr(&o));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_listing_over_its_time_budget_exits_1() {
    let server = MockServer::start(
        "127.0.0.1:0".parse().unwrap(),
        MockConfig {
            count: COUNT,
            faults: vec![Fault::Endless],
            latency: std::time::Duration::from_millis(300),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let o = run(list(&server, Provider::Kit, &["--max-seconds", "1"])).await;
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("time budget of 1 s"), "{}", stderr(&o));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_togai_status_no_spec_lists_is_printed_as_received() {
    let server = mock(vec![Fault::NewEnumValues]).await;
    let o = run(list(&server, Provider::Togai, &["--format", "jsonl"])).await;
    assert!(o.status.success(), "{}", stderr(&o));
    let lines: Vec<Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), expected_count(Provider::Togai));
    assert!(lines.iter().all(|l| l["status"] == "PARTIALLY_REFUNDED"));
}

#[tokio::test(flavor = "multi_thread")]
async fn verbose_shows_each_request_span_on_stderr_and_keeps_stdout_data_only() {
    let server = mock(vec![Fault::ServerError]).await;
    let mut cmd = list(
        &server,
        Provider::Kit,
        &["--format", "jsonl", "--page-size", "100"],
    );
    cmd.arg("-v");
    let o = run(cmd).await;
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    // One span per request, with its fields; the first one failed with a 503 and was retried.
    assert!(
        err.contains(r#"request{provider=kit operation="list_purchases" attempt=1 method=GET path="/v4/purchases" status=503}"#),
        "{err}"
    );
    assert!(err.contains("attempt=2"), "{err}");
    assert!(
        err.contains("retrying") && err.contains("reason=HTTP 503"),
        "{err}"
    );
    assert!(
        err.contains("page=1") && err.contains("items=100") && err.contains("cursor=true"),
        "{err}"
    );
    // Never a credential, and stdout is still one JSON object a line.
    assert!(!err.contains(demo_credentials(Provider::Kit)[0]), "{err}");
    for line in stdout(&o).lines() {
        serde_json::from_str::<Value>(line).unwrap();
    }
    // Without -v, stderr stays quiet.
    let o = run(list(&server, Provider::Kit, &["--format", "jsonl"])).await;
    assert_eq!(stderr(&o), "");
}
