//! The GitHub Action (`action.yml`) runs `scripts/drift-action.sh` with its inputs in the
//! environment; run here the same way, against this build's `purchases`.
#![cfg(all(feature = "cli", unix))]

use std::path::{Path, PathBuf};
use std::process::Command;

const SCRIPT: &str = concat!(
    env!("PURCHASE_CLIENTS_CHECKOUT"),
    "/scripts/drift-action.sh"
);

/// A response with a required `total`; the revision drops it (a breaking change).
const OLD: &str = r#"openapi: 3.0.3
info:
  title: Sample
  version: "1"
paths:
  /items:
    get:
      operationId: listItems
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema:
                type: object
                required: [id, total]
                properties:
                  id:
                    type: string
                  total:
                    type: number
"#;

const ANNOTATION: &str = "::error title=response-required-property-removed::in API GET /items property total was removed at ";

/// The action's variables and GitHub's: none inherited (a test run inside a workflow would
/// otherwise write to that workflow's outputs and summary).
const VARS: &[&str] = &[
    "INPUT_BASE",
    "INPUT_REVISION",
    "INPUT_PROVIDER",
    "INPUT_AGAINST",
    "INPUT_FAIL_ON",
    "INPUT_FORMAT",
    "INPUT_IGNORE",
    "INPUT_LEVELS",
    "INPUT_EVIDENCE",
    "INPUT_EVIDENCE_POLICY",
    "PURCHASES_BIN",
    "GITHUB_ACTIONS",
    "GITHUB_OUTPUT",
    "GITHUB_STEP_SUMMARY",
    "RUNNER_TEMP",
];

struct Pair {
    dir: tempfile::TempDir,
    old: PathBuf,
    new: PathBuf,
}

impl Pair {
    fn new() -> Pair {
        let dir = tempfile::tempdir().unwrap();
        let old = dir.path().join("old.yaml");
        let new = dir.path().join("new.yaml");
        std::fs::write(&old, OLD).unwrap();
        let revision = OLD
            .replace("required: [id, total]", "required: [id]")
            .replace(
                "                  total:\n                    type: number\n",
                "",
            );
        assert_ne!(revision, OLD);
        std::fs::write(&new, revision).unwrap();
        Pair { dir, old, new }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The script with `vars` (and the binary, an outputs file and a temporary directory),
    /// from the pair's directory.
    fn run(&self, vars: &[(&str, &str)]) -> Run {
        let output_file = self.path("github-output.txt");
        std::fs::write(&output_file, "").unwrap();
        let mut cmd = Command::new("bash");
        cmd.arg(SCRIPT).current_dir(self.dir.path());
        for var in VARS {
            cmd.env_remove(var);
        }
        cmd.env("PURCHASES_BIN", env!("CARGO_BIN_EXE_purchases"))
            .env("GITHUB_OUTPUT", &output_file)
            .env("RUNNER_TEMP", self.dir.path());
        for (k, v) in vars {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        Run {
            code: out.status.code(),
            stdout: String::from_utf8(out.stdout).unwrap(),
            stderr: String::from_utf8(out.stderr).unwrap(),
            outputs: std::fs::read_to_string(&output_file).unwrap(),
        }
    }

    /// The pair, with `vars` on top.
    fn run_pair(&self, vars: &[(&str, &str)]) -> Run {
        let mut all = vec![
            ("INPUT_BASE", s(&self.old)),
            ("INPUT_REVISION", s(&self.new)),
        ];
        all.extend_from_slice(vars);
        self.run(&all)
    }

    fn file(&self, name: &str, text: &str) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, text).unwrap();
        path
    }
}

#[derive(Debug)]
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    /// What the script wrote to `$GITHUB_OUTPUT`.
    outputs: String,
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn a_breaking_change_fails_with_annotations_and_the_exit_code_output() {
    let pair = Pair::new();
    let run = pair.run_pair(&[]);
    assert_eq!(run.code, Some(1), "{run:?}");
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{run:?}");
    assert!(lines[0].starts_with(ANNOTATION), "{run:?}");
    assert!(run.outputs.contains("exit-code=1\n"), "{run:?}");
    // The report output names a file holding what was printed.
    let report = run
        .outputs
        .lines()
        .find_map(|l| l.strip_prefix("report="))
        .unwrap_or_else(|| panic!("{run:?}"));
    assert_eq!(std::fs::read_to_string(report).unwrap(), run.stdout);

    let run = pair.run_pair(&[("INPUT_FAIL_ON", "never")]);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(run.stdout.starts_with(ANNOTATION), "{run:?}");
    assert!(run.outputs.contains("exit-code=0\n"), "{run:?}");
}

#[test]
fn an_ignore_file_or_a_levels_file_lets_it_pass() {
    let pair = Pair::new();
    let ignore = pair.file(
        "ignore.toml",
        "[[ignore]]\nrule = \"response-required-property-removed\"\noperation = \"GET /items\"\nreason = \"we read the total elsewhere\"\n",
    );
    let run = pair.run_pair(&[("INPUT_IGNORE", s(&ignore)), ("INPUT_FORMAT", "text")]);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(
        run.stdout
            .contains("ignored  response-required-property-removed"),
        "{run:?}"
    );
    assert!(run.outputs.contains("exit-code=0\n"), "{run:?}");

    let levels = pair.file("levels.txt", "response-required-property-removed info\n");
    let run = pair.run_pair(&[("INPUT_LEVELS", s(&levels)), ("INPUT_FORMAT", "text")]);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(
        run.stdout
            .contains("INFO     response-required-property-removed"),
        "{run:?}"
    );
    // At info, --fail-on info fails again.
    let run = pair.run_pair(&[("INPUT_LEVELS", s(&levels)), ("INPUT_FAIL_ON", "info")]);
    assert_eq!(run.code, Some(1), "{run:?}");

    // A malformed file is the binary's usage error, exit code kept.
    let bad = pair.file("bad.toml", "not toml [");
    let run = pair.run_pair(&[("INPUT_IGNORE", s(&bad))]);
    assert_eq!(run.code, Some(2), "{run:?}");
    assert!(run.stderr.contains("ignore file"), "{run:?}");
    assert!(run.outputs.contains("exit-code=2\n"), "{run:?}");
}

#[test]
fn paths_with_spaces_and_leading_dashes_are_paths() {
    let pair = Pair::new();
    let spaced = pair.path("a dir with spaces");
    std::fs::create_dir(&spaced).unwrap();
    let old = spaced.join("old spec.yaml");
    std::fs::copy(&pair.old, &old).unwrap();
    let run = pair.run(&[("INPUT_BASE", s(&old)), ("INPUT_REVISION", s(&pair.new))]);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(run.stdout.starts_with(ANNOTATION), "{run:?}");

    // Relative to the working directory (the workspace, in a workflow); a name beginning with
    // a dash is still a file.
    std::fs::copy(&pair.new, pair.path("-new.yaml")).unwrap();
    let run = pair.run(&[("INPUT_BASE", "old.yaml"), ("INPUT_REVISION", "-new.yaml")]);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(run.stdout.starts_with(ANNOTATION), "{run:?}");
}

#[test]
fn bad_inputs_exit_2_naming_the_input() {
    let pair = Pair::new();
    let missing = pair.path("missing.yaml");
    let run = pair.run(&[
        ("INPUT_BASE", s(&pair.old)),
        ("INPUT_REVISION", s(&missing)),
    ]);
    assert_eq!(run.code, Some(2), "{run:?}");
    assert!(
        run.stderr.contains("input 'revision': no such file"),
        "{run:?}"
    );
    assert!(run.outputs.contains("exit-code=2\n"), "{run:?}");

    let run = pair.run(&[("INPUT_BASE", s(&pair.old))]);
    assert_eq!(run.code, Some(2), "{run:?}");
    assert!(
        run.stderr.contains("input 'revision' is required"),
        "{run:?}"
    );

    let run = pair.run(&[
        ("INPUT_BASE", s(&missing)),
        ("INPUT_REVISION", s(&pair.new)),
    ]);
    assert_eq!(run.code, Some(2), "{run:?}");
    assert!(run.stderr.contains("input 'base'"), "{run:?}");

    let run = pair.run_pair(&[("INPUT_FAIL_ON", "error")]);
    assert_eq!(run.code, Some(2), "{run:?}");
    assert!(
        run.stderr
            .contains("input 'fail-on' is 'error'; expected one of breaking, warning, info, never"),
        "{run:?}"
    );

    // In a workflow the message is an annotation too.
    let run = pair.run_pair(&[("INPUT_FORMAT", "html"), ("GITHUB_ACTIONS", "true")]);
    assert_eq!(run.code, Some(2), "{run:?}");
    assert!(
        run.stderr.contains(
            "input 'format' is 'html'; expected one of text, json, markdown, githubactions, junit"
        ),
        "{run:?}"
    );
    assert!(
        run.stdout
            .starts_with("::error title=purchases drift::input 'format'"),
        "{run:?}"
    );

    let run = pair.run_pair(&[("INPUT_LEVELS", s(&missing))]);
    assert_eq!(run.code, Some(2), "{run:?}");
    assert!(run.stderr.contains("input 'levels'"), "{run:?}");

    let run = pair.run_pair(&[("PURCHASES_BIN", s(&missing))]);
    assert_eq!(run.code, Some(2), "{run:?}");
    assert!(run.stderr.contains("binary was not found"), "{run:?}");

    let kit = Path::new(env!("PURCHASE_CLIENTS_CHECKOUT")).join("specs/kit.yaml");
    let run = pair.run_pair(&[("INPUT_PROVIDER", "kit"), ("INPUT_AGAINST", s(&kit))]);
    assert_eq!(run.code, Some(2), "{run:?}");
    assert!(run.stderr.contains("not both"), "{run:?}");
}

#[test]
fn the_step_summary_gets_the_markdown_report() {
    let pair = Pair::new();
    let summary = pair.file("summary.md", "");
    let run = pair.run_pair(&[("GITHUB_STEP_SUMMARY", s(&summary))]);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(run.stdout.starts_with(ANNOTATION), "{run:?}");
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(md.starts_with("### Spec drift\n"), "{md}");
    assert!(
        md.contains(
            "| 🔴 breaking | `response-required-property-removed` | major | `GET /items` |"
        ),
        "{md}"
    );

    // With --format markdown the report itself is the summary.
    let summary = pair.file("summary.md", "");
    let run = pair.run_pair(&[
        ("GITHUB_STEP_SUMMARY", s(&summary)),
        ("INPUT_FORMAT", "markdown"),
    ]);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert_eq!(std::fs::read_to_string(&summary).unwrap(), run.stdout);

    // An input error writes no summary.
    let summary = pair.file("summary.md", "");
    let run = pair.run_pair(&[
        ("GITHUB_STEP_SUMMARY", s(&summary)),
        ("INPUT_FAIL_ON", "sometimes"),
    ]);
    assert_eq!(run.code, Some(2), "{run:?}");
    assert_eq!(std::fs::read_to_string(&summary).unwrap(), "");
}

#[test]
fn a_provider_and_a_candidate_instead_of_two_files() {
    let pair = Pair::new();
    let kit = Path::new(env!("PURCHASE_CLIENTS_CHECKOUT")).join("specs/kit.yaml");
    let run = pair.run(&[
        ("INPUT_PROVIDER", "kit"),
        ("INPUT_AGAINST", s(&kit)),
        ("INPUT_FORMAT", "text"),
    ]);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(run.stdout.starts_with("no changes\n"), "{run:?}");

    let run = pair.run(&[("INPUT_AGAINST", s(&kit))]);
    assert_eq!(run.code, Some(2), "{run:?}");
    assert!(
        run.stderr.contains("input 'provider' is required"),
        "{run:?}"
    );
}

/// A folder with one recorded reply of `GET /items` carrying `body`.
fn replies(pair: &Pair, body: &str) -> PathBuf {
    let dir = pair.path("replies");
    std::fs::create_dir_all(dir.join("sample")).unwrap();
    let reply = purchase_clients::recording::Reply {
        provider: "sample".into(),
        operation: "listItems".into(),
        method: "GET".into(),
        path: "/items".into(),
        query: Vec::new(),
        status: 200,
        headers: vec![("content-type".into(), "application/json".into())],
        redacted: 0,
        body: body.as_bytes().to_vec(),
    };
    std::fs::write(
        dir.join("sample/000001-listItems-200.reply"),
        reply.to_bytes(),
    )
    .unwrap();
    dir
}

#[test]
fn recorded_replies_weigh_the_changes_and_may_lower_the_unseen() {
    let pair = Pair::new();
    // The reply carried `total`: the removal stays breaking, with its count.
    let seen = replies(&pair, r#"{"id":"a","total":1.5}"#);
    let run = pair.run_pair(&[
        ("INPUT_EVIDENCE", s(&seen)),
        ("INPUT_EVIDENCE_POLICY", "lower-unseen"),
    ]);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(
        run.stdout.contains("present in 1 of 1 recorded reply"),
        "{run:?}"
    );
    // It never carried `total`: lowered to a warning, the step passes.
    let unseen = replies(&pair, r#"{"id":"a"}"#);
    let run = pair.run_pair(&[
        ("INPUT_EVIDENCE", s(&unseen)),
        ("INPUT_EVIDENCE_POLICY", "lower-unseen"),
    ]);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(run.stdout.starts_with("::warning"), "{run:?}");
    assert!(
        run.stdout.contains("never seen in 1 recorded reply)"),
        "{run:?}"
    );
    // The policy without evidence, or a folder that is not there, is an input error.
    let run = pair.run_pair(&[("INPUT_EVIDENCE_POLICY", "lower-unseen")]);
    assert_eq!(run.code, Some(2), "{run:?}");
    assert!(run.stderr.contains("'evidence'"), "{run:?}");
    let run = pair.run_pair(&[("INPUT_EVIDENCE", "no-such-folder")]);
    assert_eq!(run.code, Some(2), "{run:?}");
}
