//! `purchases conform`: the conformance report.

use purchase_clients::conform::live::{check_live, LiveCredentials, LiveOutcome};
use purchase_clients::conform::{self, KnownDeviations, SampleReport, SourceDisagreement};
use purchase_clients::recording::Recorder;
use purchase_clients::{ClientOptions, Provider};
use serde_json::json;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// Only this provider (repeatable); all by default.
    #[arg(long = "provider", value_name = "PROVIDER", value_parser = crate::list::provider_parser())]
    providers: Vec<Provider>,
    /// Also check what the real APIs send (credentials from the environment).
    #[arg(long)]
    live: bool,
    /// Base URL for --live (with exactly one --provider), e.g. a local mock.
    #[arg(long, value_name = "URL", requires = "live")]
    base_url: Option<String>,
    /// Read specs from this folder (laid out like `specs/`: `providers.toml`, the specs and
    /// overlays it lists, `known-deviations.toml`) instead of the ones built in, to check an
    /// updated spec before regenerating.
    #[arg(long, value_name = "DIR")]
    specs: Option<PathBuf>,
    /// Check the replies recorded in this folder (`purchases list --record DIR`) instead of
    /// the documented samples: against the spec, the generated types, and for what they show
    /// beyond the spec. Offline.
    #[arg(long, value_name = "DIR", conflicts_with = "live")]
    replay: Option<PathBuf>,
    /// With --replay or --live: write the OpenAPI Overlay that makes the spec accept
    /// everything the replies showed (a folder when they are from several providers).
    #[arg(long, value_name = "FILE")]
    propose_overlay: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(Clone, Copy, PartialEq, clap::ValueEnum)]
enum Format {
    Text,
    Json,
}

fn read(path: &PathBuf) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

/// The documented and normalized specs of `provider`, from `dir` or built in.
pub(crate) fn specs(
    provider: Provider,
    dir: Option<&PathBuf>,
) -> Result<(serde_json::Value, serde_json::Value), String> {
    let Some(dir) = dir else {
        return Ok((
            conform::documented(provider)?,
            conform::normalized(provider)?,
        ));
    };
    let registry = purchase_spec::registry::Registry::load(dir)?;
    let entry = registry
        .get(provider.name())
        .ok_or_else(|| format!("{provider} is not in {}/providers.toml", dir.display()))?;
    let (spec, overlay) = entry.read(dir)?;
    let file = entry.spec.clone();
    let documented = purchase_spec::normalize(&file, &spec, None).map_err(|e| e.to_string())?;
    let normalized =
        purchase_spec::normalize(&file, &spec, overlay.as_deref()).map_err(|e| e.to_string())?;
    Ok((documented, normalized))
}

/// Everything one run found.
struct Outcome {
    reports: Vec<SampleReport>,
    stale: Vec<conform::KnownDeviation>,
    disagreements: Vec<SourceDisagreement>,
    stale_disagreements: Vec<(SourceDisagreement, String)>,
    live: Vec<(Provider, LiveOutcome)>,
    new: usize,
    failed: bool,
}

pub async fn run(args: Args) -> Result<ExitCode, String> {
    let providers = if args.providers.is_empty() {
        Provider::ALL.to_vec()
    } else {
        args.providers.clone()
    };
    if args.base_url.is_some() && providers.len() != 1 {
        return Err("--base-url needs exactly one --provider".into());
    }
    if let Some(dir) = &args.replay {
        return replay(dir, &args);
    }
    if args.propose_overlay.is_some() && !args.live {
        return Err("--propose-overlay needs --replay or --live".into());
    }
    let known = match &args.specs {
        Some(dir) => KnownDeviations::parse(&read(&dir.join("known-deviations.toml"))?)?,
        None => KnownDeviations::builtin(),
    };
    let mut outcome = check_specs(&providers, args.specs.as_ref(), &known)?;
    let mut propose_failed = false;
    if args.live {
        // Proposing from live replies: record them, then replay them.
        let recorded = match &args.propose_overlay {
            Some(_) => Some(live_record_dir()?),
            None => None,
        };
        run_live(
            &providers,
            args.base_url.as_deref(),
            &known,
            recorded.as_ref(),
            &mut outcome,
        )
        .await;
        if let (Some(dir), Some(path)) = (&recorded, &args.propose_overlay) {
            let replayed = crate::replay::run(dir.path(), args.specs.as_ref(), &providers);
            let proposed =
                replayed.and_then(|r| crate::replay::propose(&r, path, args.specs.as_ref()));
            if let Err(e) = proposed {
                eprintln!("no overlay proposed: {e}");
                propose_failed = true;
            }
        }
    }
    outcome.new = outcome
        .reports
        .iter()
        .map(|r| r.new_findings().count())
        .sum();
    let live_failed = outcome
        .live
        .iter()
        .any(|(_, o)| matches!(o, LiveOutcome::Failed(_)));
    outcome.failed = propose_failed
        || outcome.new > 0
        || !outcome.stale.is_empty()
        || live_failed
        || !outcome.stale_disagreements.is_empty();
    match args.format {
        Format::Json => print_json(&outcome)?,
        Format::Text => {
            print_text(
                &providers,
                &outcome.reports,
                &outcome.stale,
                &outcome.live,
                outcome.new,
            );
            print_disagreements(&outcome.disagreements, &outcome.stale_disagreements);
        }
    }
    Ok(if outcome.failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// The documented samples of every provider, and the state of the source disagreements.
fn check_specs(
    providers: &[Provider],
    dir: Option<&PathBuf>,
    known: &KnownDeviations,
) -> Result<Outcome, String> {
    let mut reports: Vec<SampleReport> = Vec::new();
    let mut disagreements = Vec::new();
    let mut stale_disagreements = Vec::new();
    for p in providers {
        let (documented, normalized) = specs(*p, dir)?;
        reports.extend(conform::check(*p, &documented, &normalized, known));
        let file = conform::spec_file(*p);
        disagreements.extend(
            known
                .disagreements
                .iter()
                .filter(|d| d.file == file)
                .cloned(),
        );
        stale_disagreements.extend(
            conform::stale_disagreements(known, *p, &normalized)
                .into_iter()
                .map(|(d, why)| (d.clone(), why)),
        );
    }
    let stale: Vec<_> = conform::stale_deviations(known, &reports)
        .into_iter()
        .cloned()
        .collect();
    Ok(Outcome {
        reports,
        stale,
        disagreements,
        stale_disagreements,
        live: Vec::new(),
        new: 0,
        failed: false,
    })
}

/// `--replay DIR`: the recorded replies checked, and the overlay proposed if asked.
fn replay(dir: &std::path::Path, args: &Args) -> Result<ExitCode, String> {
    let replayed = crate::replay::run(dir, args.specs.as_ref(), &args.providers)?;
    match args.format {
        Format::Json => outln!(
            "{}",
            serde_json::to_string_pretty(&crate::replay::to_json(&replayed))
                .map_err(|e| e.to_string())?
        ),
        Format::Text => crate::replay::print_text(&replayed),
    }
    if let Some(path) = &args.propose_overlay {
        crate::replay::propose(&replayed, path, args.specs.as_ref())?;
    }
    Ok(if crate::replay::failures(&replayed) == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// A fresh folder for the replies of a live check, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn path(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn live_record_dir() -> Result<TempDir, String> {
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let dir = std::env::temp_dir().join(format!("purchases-live-{}-{stamp}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    Ok(TempDir(dir))
}

/// The live checks of every provider whose credentials the environment has (their replies
/// recorded into `record`, if given).
async fn run_live(
    providers: &[Provider],
    base_url: Option<&str>,
    known: &KnownDeviations,
    record: Option<&TempDir>,
    outcome: &mut Outcome,
) {
    let credentials = LiveCredentials::from_env();
    let mut options = ClientOptions::default();
    if let Some(url) = base_url {
        options = options.base_url(url);
    }
    if let Some(recorder) = record.and_then(|d| Recorder::create(d.path()).ok()) {
        options = options.record(recorder);
    }
    for p in providers {
        let live = check_live(*p, &credentials, &options, known).await;
        if let LiveOutcome::Checked(r) = &live {
            outcome.reports.extend(r.iter().cloned());
        }
        outcome.live.push((*p, live));
    }
}

fn print_json(o: &Outcome) -> Result<(), String> {
    let live_json: Vec<_> = o
        .live
        .iter()
        .map(|(p, o)| match o {
            LiveOutcome::Checked(_) => json!({"provider": p, "outcome": "checked"}),
            LiveOutcome::Skipped(why) => {
                json!({"provider": p, "outcome": "skipped", "reason": why})
            }
            LiveOutcome::Failed(e) => {
                json!({"provider": p, "outcome": "failed", "error": e.to_string()})
            }
        })
        .collect();
    let out = json!({
        "ok": !o.failed,
        "new_findings": o.new,
        "samples": o.reports,
        "stale_known_deviations": o.stale,
        "source_disagreements": o.disagreements,
        "stale_source_disagreements": o.stale_disagreements
            .iter()
            .map(|(d, why)| json!({"disagreement": d, "why": why}))
            .collect::<Vec<_>>(),
        "live": live_json,
    });
    outln!(
        "{}",
        serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?
    );
    Ok(())
}

/// Where a spec's two sources disagree, each with what the spec does about it.
fn print_disagreements(all: &[SourceDisagreement], stale: &[(SourceDisagreement, String)]) {
    if !all.is_empty() {
        outln!(
            "Where the sources disagree ({}; the spec accepts what either allows):",
            all.len()
        );
        for d in all {
            outln!("  {} {}", d.file, d.at);
            outln!("      docs: {}", d.docs);
            outln!("      published: {}", d.published);
            outln!("      spec: {}", d.resolution);
        }
        outln!();
    }
    for (d, why) in stale {
        outln!(
            "Stale source disagreement (no longer holds; update it): {} {}: {why}",
            d.file,
            d.at
        );
    }
}

fn mark(ok: bool) -> &'static str {
    if ok {
        "yes"
    } else {
        "NO"
    }
}

fn print_text(
    providers: &[Provider],
    reports: &[SampleReport],
    stale: &[conform::KnownDeviation],
    live: &[(Provider, LiveOutcome)],
    new: usize,
) {
    for p in providers {
        let rows: Vec<&SampleReport> = reports.iter().filter(|r| r.provider == *p).collect();
        outln!("{p} ({})", conform::spec_file(*p));
        print_table(&rows);
        if let Some((_, outcome)) = live.iter().find(|(lp, _)| lp == p) {
            match outcome {
                LiveOutcome::Checked(_) => {}
                LiveOutcome::Skipped(why) => outln!("  live: skipped ({why})"),
                LiveOutcome::Failed(e) => outln!("  live: FAILED: {e}"),
            }
        }
        outln!();
    }
    print_deviations(reports, stale, new);
}

/// One provider's samples as an aligned table.
fn print_table(rows: &[&SampleReport]) {
    let header = [
        "OPERATION",
        "SAMPLE",
        "SCHEMA-VALID",
        "DECODES",
        "ROUND-TRIPS",
        "DEVIATIONS",
    ];
    let cells: Vec<[String; 6]> = rows
        .iter()
        .map(|r| {
            let deviations: Vec<String> = r
                .findings
                .iter()
                .map(|f| {
                    let known = if f.known.is_some() { "known" } else { "NEW" };
                    format!("{} ({known})", f.rule)
                })
                .collect();
            [
                r.operation.clone(),
                r.sample.clone(),
                mark(r.schema_valid).into(),
                mark(r.decodes).into(),
                mark(r.round_trips).into(),
                if deviations.is_empty() {
                    "-".into()
                } else {
                    deviations.join(", ")
                },
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &cells {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |row: [&str; 6]| {
        let padded: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        outln!("  {}", padded.join("  ").trim_end());
    };
    line(header);
    for row in &cells {
        line([&row[0], &row[1], &row[2], &row[3], &row[4], &row[5]]);
    }
}

/// The known, new and stale deviations, and the closing count.
fn print_deviations(reports: &[SampleReport], stale: &[conform::KnownDeviation], new: usize) {
    let known: Vec<String> = reports
        .iter()
        .flat_map(|r| {
            r.findings.iter().filter_map(move |f| {
                f.known.as_ref().map(|why| {
                    format!(
                        "  {} {:?} [{}]: {}\n      {why}",
                        r.file, r.sample, f.rule, f.detail
                    )
                })
            })
        })
        .collect();
    if !known.is_empty() {
        outln!("Known deviations ({}):", known.len());
        for k in known {
            outln!("{k}");
        }
        outln!();
    }
    if new > 0 {
        outln!("New deviations ({new}):");
        for r in reports {
            for f in r.new_findings() {
                outln!(
                    "  {} sample {:?} breaks rule {}: {}",
                    r.file,
                    r.sample,
                    f.rule,
                    f.detail
                );
            }
        }
        outln!();
    }
    for s in stale {
        outln!(
            "Stale known deviation (no longer found; remove it): {} {:?} [{}]",
            s.file,
            s.sample,
            s.rule
        );
    }
    let checked = reports.len();
    if new == 0 && stale.is_empty() {
        outln!("{checked} samples checked: no new deviations.");
    } else {
        outln!(
            "{checked} samples checked: {new} new deviations, {} stale known deviations.",
            stale.len()
        );
    }
}
