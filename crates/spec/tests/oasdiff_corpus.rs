//! oasdiff's own checker tests as a regression corpus: every base/revision pair its
//! `checker/*_test.go` compares (vendored under `tests/data/oasdiff/`, Apache-2.0, with the
//! commit in `NOTICE.md`), run through `drift::compare_texts`, against the change ids its
//! tests expect.
//!
//! The figures (documents refused, expected ids reported under the same id, levels agreed
//! where both tools report a change) are printed and held at least where they stand: a
//! change to the drift rules that loses agreement fails here. The README states them.
//!
//! ```sh
//! cargo test -p purchase-spec --test oasdiff_corpus -- --nocapture
//! ```

use purchase_spec::drift::{compare_sources, Level, Source};
use serde::Deserialize;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The floors the figures must stay at (measured; raise them as rules are added).
const MIN_IDS_REPORTED_PERCENT: f64 = 92.0;
const MIN_LEVELS_AGREED_PERCENT: f64 = 89.5;

#[derive(Deserialize)]
struct Case {
    name: String,
    #[serde(default)]
    base: Option<String>,
    #[serde(default)]
    revision: Option<String>,
    #[serde(default)]
    expect: Vec<Expect>,
    #[serde(default)]
    empty: bool,
    #[serde(default)]
    usable: bool,
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

#[test]
fn every_oasdiff_pair_compares_and_agreement_holds() {
    let dir = corpus_dir();
    let cases: Vec<Case> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("cases.json")).unwrap()).unwrap();
    let (mut compared, mut refused, mut expected, mut reported, mut both, mut agreed) =
        (0usize, Vec::new(), 0usize, 0usize, 0usize, 0usize);
    let (mut empty_cases, mut empty_kept) = (0usize, 0usize);
    let mut missed: std::collections::BTreeMap<&str, usize> = Default::default();
    for case in cases.iter().filter(|c| c.usable) {
        let (Some(base), Some(revision)) = (&case.base, &case.revision) else {
            continue;
        };
        let read = |p: &str| std::fs::read_to_string(dir.join("data").join(p));
        let (Ok(old), Ok(new)) = (read(base), read(revision)) else {
            panic!(
                "{}: {base} or {revision} is missing from the corpus",
                case.name
            );
        };
        compared += 1;
        let (old_file, new_file) = (dir.join("data").join(base), dir.join("data").join(revision));
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
        if case.empty {
            empty_cases += 1;
            empty_kept += usize::from(ours.iter().all(|(_, l)| *l != Level::Breaking));
        }
        for e in &case.expect {
            expected += 1;
            let same: Vec<Level> = ours
                .iter()
                .filter(|(id, _)| *id == e.id)
                .map(|(_, l)| *l)
                .collect();
            if same.is_empty() {
                *missed.entry(e.id.as_str()).or_default() += 1;
                if std::env::var_os("CORPUS_DEBUG").is_some() {
                    eprintln!(
                        "MISS\t{}\t{}\t{:?}",
                        case.name,
                        e.id,
                        ours.iter().map(|o| o.0).collect::<Vec<_>>()
                    );
                }
                continue;
            }
            reported += 1;
            let theirs = e.level.as_deref().or(e.default_level.as_deref());
            if let Some(theirs) = theirs.and_then(level) {
                both += 1;
                agreed += usize::from(same.contains(&theirs));
                if !same.contains(&theirs) && std::env::var_os("CORPUS_DEBUG").is_some() {
                    eprintln!("LEVEL\t{}\t{}\t{:?}\t{:?}", case.name, e.id, same, theirs);
                }
            }
        }
    }
    let percent = |a: usize, b: usize| {
        if b == 0 {
            100.0
        } else {
            100.0 * a as f64 / b as f64
        }
    };
    let (ids, levels) = (percent(reported, expected), percent(agreed, both));
    eprintln!(
        "oasdiff corpus: {compared} pairs compared, {} refused; {reported} of {expected} expected ids reported under the same id ({ids:.1}%); levels agreed on {agreed} of {both} ({levels:.1}%); {empty_kept} of {empty_cases} pairs oasdiff finds nothing breaking in have no breaking finding here",
        refused.len()
    );
    let mut missed: Vec<(&str, usize)> = missed.into_iter().collect();
    missed.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    eprintln!("expected ids not reported, most often first: {missed:?}");
    assert!(compared > 0, "no usable case in the corpus");
    // No document the OpenAPI specification allows is refused.
    assert!(
        refused.is_empty(),
        "refused documents:\n{}",
        refused.join("\n")
    );
    assert!(ids >= MIN_IDS_REPORTED_PERCENT, "ids reported: {ids:.1}%");
    assert!(
        levels >= MIN_LEVELS_AGREED_PERCENT,
        "levels agreed: {levels:.1}%"
    );
}
