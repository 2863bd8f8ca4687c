//! oasdiff's own checker tests as a regression corpus: every base/revision pair its
//! `checker/*_test.go` compares (vendored under `tests/data/oasdiff/`, Apache-2.0, with the
//! commit in `NOTICE.md`), run through `drift::compare_sources` (references to other files
//! followed), against the change ids its tests expect.
//!
//! Per case: every id the test expects is reported under that id, every id it asserts absent
//! is not reported, and a test that expects no breaking change gets none — or the case is
//! listed in `drift::oasdiff::CASES` with the reason we differ. Per rule: our level is
//! oasdiff's default level for the id, or the rule is listed in `drift::oasdiff::LEVELS`
//! with the reason. A listed difference that no longer happens fails too, so the tables
//! stay true. Both tables are rendered in `docs/drift-rules.md`.
//!
//! The figures (documents refused, expected ids reported under the same id, levels agreed
//! where both tools report a change) are printed and held at least where they stand. The
//! README states them.
//!
//! ```sh
//! cargo test -p purchase-spec --test oasdiff_corpus -- --nocapture
//! ```

use purchase_spec::drift::oasdiff::{CASES, LEVELS};
use purchase_spec::drift::rules::RULES;
use purchase_spec::drift::{compare_sources, Level, Source};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The floors the figures must stay at (measured; raise them as rules are added).
const MIN_IDS_REPORTED_PERCENT: f64 = 98.0;
const MIN_LEVELS_AGREED_PERCENT: f64 = 89.5;

/// Pairs whose documents differ only in what no client sees, with what differs.
const NOT_COMPARED: &[(&str, &str)] = &[
    (
        "TestBreaking_NonSunsetDeletedForDeprecatedEndpoint",
        "an extension (`x-other`) on an operation",
    ),
    (
        "TestBreaking_NonSunsetDeletedForDeprecatedParameter",
        "an extension (`x-other`) on a parameter",
    ),
];

#[derive(Deserialize)]
struct Case {
    name: String,
    #[serde(default)]
    base: Option<String>,
    #[serde(default)]
    revision: Option<String>,
    #[serde(default)]
    config: Option<Config>,
    #[serde(default)]
    expect: Vec<Expect>,
    #[serde(default)]
    absent: Vec<String>,
    #[serde(default)]
    empty: bool,
    #[serde(default)]
    usable: bool,
}

#[derive(Deserialize)]
struct Config {
    /// `all`, or the one check the test runs.
    #[serde(default)]
    checks: Option<String>,
}

#[derive(Deserialize)]
struct Expect {
    id: String,
    /// The level the test asserts, if any.
    #[serde(default)]
    level: Option<String>,
    /// The level oasdiff's rules table gives the id (what it reports by default).
    #[serde(default)]
    default_level: Option<String>,
}

#[derive(Deserialize)]
struct Id {
    id: String,
    #[serde(default)]
    default_level: Option<String>,
    #[serde(default)]
    check: Option<String>,
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/oasdiff")
}

fn level(name: &str) -> Option<Level> {
    match name {
        "error" | "ERR" => Some(Level::Breaking),
        "warning" | "WARN" => Some(Level::Warning),
        "info" | "INFO" => Some(Level::Info),
        _ => None,
    }
}

fn oasdiff_ids() -> BTreeMap<String, Id> {
    let text = std::fs::read_to_string(corpus_dir().join("ids.json")).unwrap();
    let ids: Vec<Id> = serde_json::from_str(&text).unwrap();
    ids.into_iter().map(|i| (i.id.clone(), i)).collect()
}

/// Every rule that claims oasdiff's id has it, at oasdiff's default level or listed with
/// the reason; every listed level difference is one.
#[test]
fn levels_match_oasdiff_or_are_listed_with_a_reason() {
    let ids = oasdiff_ids();
    let mut unexplained = Vec::new();
    for rule in RULES.iter().filter(|r| r.oasdiff) {
        let theirs = ids
            .get(rule.id)
            .unwrap_or_else(|| panic!("{} claims an oasdiff id oasdiff does not have", rule.id))
            .default_level
            .as_deref()
            .and_then(level);
        let listed = LEVELS.iter().find(|l| l.id == rule.id);
        match (theirs, listed) {
            (Some(t), None) if t != rule.level => {
                unexplained.push(format!("{}: ours {}, oasdiff's {t}", rule.id, rule.level))
            }
            (Some(t), Some(l)) if t == rule.level || l.oasdiff != t => unexplained.push(format!(
                "{}: listed as oasdiff {}, but ours is {} and oasdiff's {t}",
                rule.id, l.oasdiff, rule.level
            )),
            _ => {}
        }
    }
    for l in LEVELS {
        if !RULES.iter().any(|r| r.id == l.id && r.oasdiff) {
            unexplained.push(format!("{}: listed, but no rule has oasdiff's id", l.id));
        }
    }
    assert!(unexplained.is_empty(), "{}", unexplained.join("\n"));
}

#[test]
fn every_oasdiff_pair_compares_and_agrees_or_is_a_listed_difference() {
    let dir = corpus_dir();
    let ids = oasdiff_ids();
    let cases: Vec<Case> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("cases.json")).unwrap()).unwrap();
    let (mut compared, mut refused, mut expected, mut reported, mut both, mut agreed) =
        (0usize, Vec::new(), 0usize, 0usize, 0usize, 0usize);
    let (mut empty_cases, mut empty_kept) = (0usize, 0usize);
    let mut unexplained = Vec::new();
    let mut used = BTreeSet::new();
    let mut listed = |case: &str, expects: &str, reports: &str| {
        let i = CASES.iter().position(|d| {
            d.case == case && d.expects == expects && (!expects.is_empty() || d.reports == reports)
        });
        if let Some(i) = i {
            used.insert(i);
        }
        i.is_some()
    };
    for case in cases.iter().filter(|c| c.usable) {
        let (Some(base), Some(revision)) = (&case.base, &case.revision) else {
            continue;
        };
        let (old_file, new_file) = (dir.join("data").join(base), dir.join("data").join(revision));
        let (Ok(old), Ok(new)) = (
            std::fs::read_to_string(&old_file),
            std::fs::read_to_string(&new_file),
        ) else {
            panic!(
                "{}: {base} or {revision} is missing from the corpus",
                case.name
            );
        };
        compared += 1;
        let source = |name, text, file| Source {
            name,
            text,
            file: Some(file),
        };
        let compared_pair = || {
            compare_sources(
                source(base, &old, &old_file),
                source(revision, &new, &new_file),
            )
        };
        let report = match std::panic::catch_unwind(compared_pair) {
            Ok(Ok(report)) => report,
            Ok(Err(e)) => {
                refused.push(format!("{}: {e}", case.name));
                continue;
            }
            Err(_) => panic!("{}: drift panicked", case.name),
        };
        let ours: BTreeSet<(&str, Level)> =
            report.changes.iter().map(|c| (c.rule, c.level)).collect();
        // A test that runs one check asserts about that check's ids only.
        let check = case
            .config
            .as_ref()
            .and_then(|c| c.checks.as_deref())
            .filter(|c| *c != "all");
        let in_scope = |id: &str| match check {
            None => true,
            Some(check) => ids.get(id).and_then(|i| i.check.as_deref()) == Some(check),
        };
        if case.empty {
            empty_cases += 1;
            let breaking: Vec<&str> = ours
                .iter()
                .filter(|(id, l)| *l == Level::Breaking && in_scope(id))
                .map(|(id, _)| *id)
                .collect();
            empty_kept += usize::from(breaking.is_empty());
            for id in breaking {
                if !listed(&case.name, "", id) {
                    unexplained.push(format!(
                        "{}: expects no breaking change, we report {id}",
                        case.name
                    ));
                }
            }
        }
        for id in case
            .absent
            .iter()
            .filter(|a| ours.iter().any(|(o, _)| o == a))
        {
            if !listed(&case.name, "", id) {
                unexplained.push(format!("{}: asserts {id} absent, we report it", case.name));
            }
        }
        // No finding lost: documents that differ get a finding, unless what differs is
        // something a client never sees (listed below).
        let differ = purchase_spec::load_document(base, &old).ok()
            != purchase_spec::load_document(revision, &new).ok();
        let not_compared = NOT_COMPARED.iter().any(|(name, _)| *name == case.name);
        if (differ || !case.expect.is_empty()) && ours.is_empty() && !not_compared {
            unexplained.push(format!(
                "{}: the documents differ, we report nothing",
                case.name
            ));
        }
        if not_compared && (!differ || !ours.is_empty()) {
            unexplained.push(format!("{}: listed as not compared, but it is", case.name));
        }
        for e in &case.expect {
            expected += 1;
            let same: Vec<Level> = ours
                .iter()
                .filter(|(id, _)| *id == e.id)
                .map(|(_, l)| *l)
                .collect();
            if same.is_empty() {
                if !listed(&case.name, &e.id, "") {
                    let ours: Vec<&str> = ours.iter().map(|o| o.0).collect();
                    unexplained.push(format!(
                        "{}: expects {}, we report {ours:?}",
                        case.name, e.id
                    ));
                }
                continue;
            }
            if listed(&case.name, &e.id, "") {
                unexplained.push(format!(
                    "{}: {} is listed as a difference but is reported",
                    case.name, e.id
                ));
            }
            reported += 1;
            let theirs = e.level.as_deref().or(e.default_level.as_deref());
            if let Some(theirs) = theirs.and_then(level) {
                both += 1;
                agreed += usize::from(same.contains(&theirs));
                let explained = LEVELS.iter().any(|l| l.id == e.id && l.oasdiff == theirs);
                if !same.contains(&theirs) && !explained {
                    unexplained.push(format!(
                        "{}: {} at {same:?}, the test asserts {theirs}",
                        case.name, e.id
                    ));
                }
            }
        }
    }
    for (_, d) in CASES.iter().enumerate().filter(|(i, _)| !used.contains(i)) {
        unexplained.push(format!(
            "listed difference no longer happens: {} / {} / {}",
            d.case, d.expects, d.reports
        ));
    }
    let percent = |a: usize, b: usize| {
        if b == 0 {
            100.0
        } else {
            100.0 * a as f64 / b as f64
        }
    };
    let (ids_percent, levels) = (percent(reported, expected), percent(agreed, both));
    eprintln!(
        "oasdiff corpus: {compared} pairs compared, {} refused; {reported} of {expected} expected ids reported under the same id ({ids_percent:.1}%); levels agreed on {agreed} of {both} ({levels:.1}%); {empty_kept} of {empty_cases} pairs oasdiff finds nothing breaking in have no breaking finding here (within the check the test runs); {} listed differences by case, {} by level",
        refused.len(),
        CASES.len(),
        LEVELS.len()
    );
    assert!(compared > 0, "no usable case in the corpus");
    // No document the OpenAPI specification allows is refused.
    assert!(
        refused.is_empty(),
        "refused documents:\n{}",
        refused.join("\n")
    );
    assert!(
        unexplained.is_empty(),
        "differences from oasdiff's tests not listed in drift::oasdiff (or listed and gone):\n{}",
        unexplained.join("\n")
    );
    assert!(
        ids_percent >= MIN_IDS_REPORTED_PERCENT,
        "ids reported: {ids_percent:.1}%"
    );
    assert!(
        levels >= MIN_LEVELS_AGREED_PERCENT,
        "levels agreed: {levels:.1}%"
    );
}
