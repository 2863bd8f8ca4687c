//! `purchases conform --replay DIR` and `--propose-overlay FILE`.

use purchase_clients::conform::replay::{self, BuiltinSpecs, Replay, Specs};
use purchase_clients::Provider;
use purchase_spec::observe::Observed;
use serde_json::json;
use std::path::{Path, PathBuf};

/// The specs of a `--specs DIR` folder: the client was not built from them.
struct DirSpecs<'a>(&'a PathBuf);

impl Specs for DirSpecs<'_> {
    fn normalized(&self, provider: Provider) -> Result<serde_json::Value, String> {
        super::conform::specs(provider, Some(self.0)).map(|(_, normalized)| normalized)
    }
    fn types_current(&self) -> bool {
        false
    }
}

/// Replays `dir` against the built-in specs or those of `specs_dir`, keeping the replies of
/// `providers` (all when empty).
pub fn run(
    dir: &Path,
    specs_dir: Option<&PathBuf>,
    providers: &[Provider],
) -> Result<Replay, String> {
    if !dir.is_dir() {
        return Err(format!("--replay {}: not a folder", dir.display()));
    }
    let specs: Box<dyn Specs> = match specs_dir {
        Some(d) => Box::new(DirSpecs(d)),
        None => Box::new(BuiltinSpecs),
    };
    let mut out = replay::replay(dir, specs.as_ref())
        .map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    if !providers.is_empty() {
        let names: Vec<&str> = providers.iter().map(|p| p.name()).collect();
        out.reports.retain(|r| names.contains(&r.provider.as_str()));
        out.observations.retain(|p, _| providers.contains(p));
    }
    if out.reports.is_empty() {
        return Err(format!("no reply files (*.reply) in {}", dir.display()));
    }
    Ok(out)
}

/// How many findings fail the replay.
pub fn failures(replay: &Replay) -> usize {
    replay
        .reports
        .iter()
        .map(|r| r.new_findings().count())
        .sum()
}

/// The replay as text: per provider, what the replies showed beyond the spec (each with
/// how many replies showed it), then what the generated types made of them.
pub fn print_text(replay: &Replay) {
    for (provider, observations) in &replay.observations {
        let reports: Vec<_> = replay
            .reports
            .iter()
            .filter(|r| r.provider == provider.name())
            .collect();
        let failing = reports
            .iter()
            .filter(|r| r.new_findings().next().is_some())
            .count();
        outln!(
            "{provider}: {} replies, {failing} with new findings",
            reports.len()
        );
        // Properties the schema does not model: one line per object schema.
        let mut undocumented: Vec<(&str, Vec<&str>, usize, &str)> = Vec::new();
        for (observed, evidence) in observations.found() {
            if let Observed::Undocumented { object, property } = observed {
                match undocumented.iter_mut().find(|(o, ..)| o == object) {
                    Some((_, names, replies, _)) => {
                        names.push(property);
                        *replies = (*replies).max(evidence.replies);
                    }
                    None => undocumented.push((
                        object,
                        vec![property],
                        evidence.replies,
                        &evidence.example,
                    )),
                }
                continue;
            }
            outln!(
                "  {:<18} {} — {} of {} replies, e.g. {}",
                observed.rule(),
                observed.describe(),
                evidence.replies,
                observations.replies(),
                evidence.example
            );
        }
        for (object, names, replies, example) in undocumented {
            outln!(
                "  {:<18} {} properties not in the schema at {object}: {} — {replies} of {} replies, e.g. {example}",
                "undocumented-field",
                names.len(),
                names.join(", "),
                observations.replies(),
            );
        }
        // What the generated types made of the replies: new findings one by one, the
        // others (which do not fail) counted by reason.
        let mut excused: Vec<(&str, usize)> = Vec::new();
        for r in &reports {
            for f in r.findings.iter().filter(|f| is_type_level(f.rule.id())) {
                match f.known.as_deref() {
                    None => outln!("  {:<18} {}: {}", f.rule, r.file, f.detail),
                    Some(why) => match excused.iter_mut().find(|(w, _)| *w == why) {
                        Some((_, n)) => *n += 1,
                        None => excused.push((why, 1)),
                    },
                }
            }
        }
        for (why, n) in excused {
            outln!("  {n} findings not failing: {why}");
        }
    }
    let unreadable: Vec<_> = replay
        .reports
        .iter()
        .filter(|r| r.provider.parse::<Provider>().is_err())
        .collect();
    for r in unreadable {
        for f in &r.findings {
            outln!("{}: {}", r.file, f.detail);
        }
    }
    let new = failures(replay);
    outln!(
        "{} replies replayed: {}.",
        replay.reports.len(),
        if new == 0 {
            "no new findings".to_string()
        } else {
            format!("{new} new findings")
        }
    );
}

/// Findings about the reply as a whole or the generated types (the rest come from the
/// observations, printed once per provider).
fn is_type_level(rule: &str) -> bool {
    matches!(
        rule,
        "schema" | "decode" | "round-trip" | "unknown-field" | "unmapped" | "undocumented-status"
    )
}

/// The replay as JSON.
pub fn to_json(replay: &Replay) -> serde_json::Value {
    let observations: serde_json::Map<String, serde_json::Value> = replay
        .observations
        .iter()
        .map(|(p, o)| {
            let found: Vec<_> = o
                .found()
                .map(|(observed, e)| {
                    json!({
                        "rule": observed.rule(),
                        "what": observed.describe(),
                        "replies": e.replies,
                        "times": e.times,
                        "example": e.example,
                    })
                })
                .collect();
            (
                p.name().to_string(),
                json!({"replies": o.replies(), "found": found}),
            )
        })
        .collect();
    json!({
        "ok": failures(replay) == 0,
        "new_findings": failures(replay),
        "replies": replay.reports,
        "observations": observations,
    })
}

/// Writes the overlay each provider's replies call for: to `path` when the replies are one
/// provider's, else into the folder `path` as `<provider>.overlay.yaml`. Says on stderr
/// what was written, and what no overlay can express (stdout carries the report).
pub fn propose(replay: &Replay, path: &Path, specs_dir: Option<&PathBuf>) -> Result<(), String> {
    let observed: Vec<_> = replay.observations.iter().collect();
    let several = observed.len() > 1;
    if several && !path.is_dir() {
        return Err(format!(
            "the replies are from {} providers: give --propose-overlay an existing folder, or one --provider",
            observed.len()
        ));
    }
    for (provider, observations) in observed {
        let doc = match specs_dir {
            Some(d) => DirSpecs(d).normalized(*provider)?,
            None => BuiltinSpecs.normalized(*provider)?,
        };
        let title = format!("{provider}: what its replies showed beyond the spec");
        let proposal = observations.propose(&doc, &title)?;
        let file = if several {
            path.join(format!("{provider}.overlay.yaml"))
        } else {
            path.to_path_buf()
        };
        match proposal.overlay {
            Some(text) => {
                std::fs::write(&file, text)
                    .map_err(|e| format!("cannot write {}: {e}", file.display()))?;
                eprintln!(
                    "{provider}: proposed {} overlay actions in {} (adopt with `purchases spec update {provider} --overlay {}`)",
                    proposal.actions,
                    file.display(),
                    file.display()
                );
            }
            None => eprintln!("{provider}: the spec accepts every reply; no overlay proposed"),
        }
        for why in &proposal.unexpressible {
            eprintln!("{provider}: no overlay can express: {why}");
        }
    }
    Ok(())
}
