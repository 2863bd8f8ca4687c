//! `purchases drift` and `purchases spec update`.

use crate::Failure;
use purchase_clients::Provider;
use purchase_spec::drift::{
    compare, compare_texts, prepare, DriftReport, Evidence, EvidencePolicy, Level, Policy,
    RecordedReply, Source,
};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Clone, Copy, PartialEq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    Markdown,
    /// GitHub Actions workflow annotations.
    Githubactions,
    /// JUnit XML (a test case per change, failing at or above --fail-on).
    Junit,
}

#[derive(Clone, Copy, PartialEq, clap::ValueEnum)]
pub enum FailOn {
    Breaking,
    Warning,
    Info,
    Never,
}

#[derive(clap::Args)]
pub struct DriftArgs {
    /// Print the JSON Schema of the JSON report and exit.
    #[arg(long, conflicts_with_all = ["old", "new", "provider", "rules"])]
    schema: bool,
    /// Print every rule (id, level, crate impact, reason, oasdiff id) as Markdown and exit.
    #[arg(long, conflicts_with_all = ["old", "new", "provider"])]
    rules: bool,
    /// An ignore file (TOML): `[[ignore]]` entries with `rule`, `operation` and/or
    /// `pointer`, and a mandatory `reason`. Entries that match nothing are reported.
    #[arg(long, value_name = "FILE")]
    ignore: Option<PathBuf>,
    /// A levels file: one `RULE-ID LEVEL` a line (breaking, warning, info or none).
    #[arg(long, value_name = "FILE")]
    levels: Option<PathBuf>,
    /// The old spec (file), or with --provider the candidate is --against.
    old: Option<String>,
    /// The new spec (file).
    new: Option<String>,
    /// Compare the checked-in spec of this provider ...
    #[arg(long, requires = "against", conflicts_with_all = ["old", "new"])]
    provider: Option<Provider>,
    /// ... with this candidate (a file, or an https URL of the spec or of a docs page
    /// embedding it in a fenced yaml block).
    #[arg(long, value_name = "FILE|URL")]
    against: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// The lowest level that makes the command exit 1.
    #[arg(long, value_enum, default_value_t = FailOn::Breaking)]
    fail_on: FailOn,
    /// Recorded replies (a folder `purchases list --record` wrote): each change to a
    /// response element says how often the element appeared in them (JSON: `traffic`).
    #[arg(long, value_name = "DIR")]
    evidence: Option<PathBuf>,
    /// What the evidence may do: `report` counts only; `lower-unseen` makes a breaking
    /// change to an element the replies of its operations never showed a warning.
    #[arg(long, value_enum, requires = "evidence", default_value_t = EvidencePolicyArg::Report)]
    evidence_policy: EvidencePolicyArg,
}

#[derive(Clone, Copy, PartialEq, clap::ValueEnum)]
pub enum EvidencePolicyArg {
    /// Counts only.
    Report,
    /// A breaking change to an element never seen in the replies becomes a warning.
    LowerUnseen,
}

/// The evidence from the replies under `dir` (of `provider` only, if given), counted
/// against both documents; says on stderr what it read.
fn evidence(
    dir: &Path,
    provider: Option<Provider>,
    old: &serde_json::Value,
    new: &serde_json::Value,
) -> Result<Evidence, Failure> {
    let files = purchase_clients::recording::read_dir(dir)
        .map_err(|e| Failure::usage(format!("--evidence {}: {e}", dir.display())))?;
    let mut unreadable = 0;
    let mut replies = Vec::new();
    for (path, reply) in files {
        match reply {
            Ok(r) if provider.is_none_or(|p| p.name() == r.provider) => {
                let body = serde_json::from_slice::<serde_json::Value>(&r.body).ok();
                replies.push((r, body));
            }
            Ok(_) => {}
            Err(e) => {
                unreadable += 1;
                eprintln!("--evidence: {}: {e}", path.display());
            }
        }
    }
    let evidence = Evidence::build(
        old,
        new,
        replies.iter().map(|(r, body)| RecordedReply {
            method: &r.method,
            path: &r.path,
            status: r.status,
            body: body.as_ref(),
        }),
    );
    eprintln!(
        "evidence: {} recorded replies of the old document's operations from {} ({} of other operations, {unreadable} unreadable)",
        evidence.replies(),
        dir.display(),
        evidence.unmatched()
    );
    if evidence.replies() == 0 {
        return Err(Failure::usage(format!(
            "--evidence {}: no recorded reply of an operation of the old document",
            dir.display()
        )));
    }
    Ok(evidence)
}

/// Reads a spec from a file or a URL; a docs page's fenced YAML block is extracted.
pub async fn read_spec(source: &str) -> Result<String, Failure> {
    let text = if source.starts_with("https://") || source.starts_with("http://") {
        purchase_clients::tls::install_crypto_provider();
        let client = purchase_clients::reqwest::Client::builder()
            .user_agent(concat!("purchase-clients/", env!("CARGO_PKG_VERSION")))
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .map_err(|e| Failure::usage(format!("cannot build the HTTP client: {e}")))?;
        let response =
            client.get(source).send().await.map_err(|e| {
                Failure::usage(format!("cannot fetch {source}: {}", e.without_url()))
            })?;
        if !response.status().is_success() {
            return Err(Failure::usage(format!(
                "cannot fetch {source}: HTTP {}",
                response.status()
            )));
        }
        response
            .text()
            .await
            .map_err(|e| Failure::usage(format!("cannot read {source}: {}", e.without_url())))?
    } else {
        std::fs::read_to_string(source)
            .map_err(|e| Failure::usage(format!("cannot read {source}: {e}")))?
    };
    Ok(match purchase_spec::extract_fenced_yaml(&text) {
        Some(yaml)
            if !text.trim_start().starts_with("openapi") && !text.trim_start().starts_with('{') =>
        {
            yaml.to_string()
        }
        _ => text,
    })
}

fn threshold(fail_on: FailOn) -> Option<Level> {
    match fail_on {
        FailOn::Breaking => Some(Level::Breaking),
        FailOn::Warning => Some(Level::Warning),
        FailOn::Info => Some(Level::Info),
        FailOn::Never => None,
    }
}

fn render(report: &DriftReport, format: Format, fail_on: FailOn) -> String {
    match format {
        Format::Text => report.to_text(),
        Format::Markdown => report.to_markdown(),
        Format::Json => serde_json::to_string_pretty(report).unwrap_or_default() + "\n",
        Format::Githubactions => report.to_github_actions(),
        Format::Junit => report.to_junit(threshold(fail_on)),
    }
}

fn fails(report: &DriftReport, fail_on: FailOn) -> bool {
    threshold(fail_on).is_some_and(|t| report.max_level().is_some_and(|l| l >= t))
}

/// The ignore and levels files, read and checked (a malformed one is a usage error).
fn policy(args: &DriftArgs) -> Result<Policy, Failure> {
    let read = |p: &Path| {
        std::fs::read_to_string(p)
            .map_err(|e| Failure::usage(format!("cannot read {}: {e}", p.display())))
    };
    let mut policy = Policy::default();
    if let Some(path) = &args.levels {
        policy = policy.with_levels(&read(path)?).map_err(Failure::usage)?;
    }
    if let Some(path) = &args.ignore {
        policy = policy.with_ignore(&read(path)?).map_err(Failure::usage)?;
    }
    Ok(policy)
}

pub async fn drift(args: DriftArgs) -> Result<ExitCode, Failure> {
    if args.schema {
        let schema = DriftReport::json_schema();
        outln!(
            "{}",
            serde_json::to_string_pretty(&schema).unwrap_or_default()
        );
        return Ok(ExitCode::SUCCESS);
    }
    if args.rules {
        out!("{}", purchase_spec::drift::rules_markdown());
        return Ok(ExitCode::SUCCESS);
    }
    let policy = policy(&args)?;
    let (old_name, old, new_name, new) = match (&args.provider, &args.old, &args.new) {
        (Some(p), _, _) => {
            let against = args.against.clone().unwrap_or_default();
            let old = purchase_clients::specs::builtin_spec(*p).0.to_string();
            (
                purchase_clients::specs::spec_file(*p),
                old,
                against.clone(),
                read_spec(&against).await?,
            )
        }
        (None, Some(o), Some(n)) => (
            o.clone(),
            read_spec(o).await?,
            n.clone(),
            read_spec(n).await?,
        ),
        _ => {
            return Err(Failure::usage(
                "give two specs (purchases drift OLD NEW) or --provider P --against FILE|URL",
            ))
        }
    };
    // References to other files are followed from a local file, not from a URL or the
    // spec built into the binary.
    let local = |name: &str| {
        let url = name.starts_with("https://") || name.starts_with("http://");
        (!url).then(|| std::path::Path::new(name).to_path_buf())
    };
    let old_file = args.provider.is_none().then(|| local(&old_name)).flatten();
    let new_file = local(&new_name);
    let prepared = |name, text, file| {
        prepare(Source { name, text, file }).map_err(|e| Failure::usage(e.to_string()))
    };
    let old = prepared(&old_name, &old, old_file.as_deref())?;
    let new = prepared(&new_name, &new, new_file.as_deref())?;
    let mut report = compare(&old, &new);
    if let Some(dir) = &args.evidence {
        let policy = match args.evidence_policy {
            EvidencePolicyArg::Report => EvidencePolicy::Report,
            EvidencePolicyArg::LowerUnseen => EvidencePolicy::LowerUnseen,
        };
        evidence(dir, args.provider, &old, &new)?.weigh(&mut report, &new, policy);
    }
    let report = policy.apply(report);
    out!("{}", render(&report, args.format, args.fail_on));
    Ok(if fails(&report, args.fail_on) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

#[derive(clap::Subcommand)]
pub enum SpecCommand {
    /// Replace a provider's checked-in spec with a new upstream document (refresh its
    /// provenance, check that the overlays still apply), or adopt an overlay proposed by
    /// `purchases conform --propose-overlay` (its actions appended to the provider's
    /// overlay). Prints the drift report; the next build regenerates the client.
    Update(UpdateArgs),
}

#[derive(clap::Args)]
#[command(group(clap::ArgGroup::new("change").required(true).args(["from", "overlay"])))]
pub struct UpdateArgs {
    /// Which provider.
    pub(crate) provider: Provider,
    /// The new document: a file, or a URL (a docs page's fenced yaml block is extracted).
    #[arg(long, value_name = "FILE|URL")]
    from: Option<String>,
    /// An overlay whose actions to append to the provider's overlay (created, and named in
    /// providers.toml, if the provider has none).
    #[arg(long, value_name = "FILE")]
    pub(crate) overlay: Option<PathBuf>,
    /// The specs folder to update.
    #[arg(long, value_name = "DIR", default_value = "specs")]
    pub(crate) specs_dir: PathBuf,
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    format!("{:x}", sha2::Sha256::digest(bytes))
}

/// Rewrites `key = "..."` in the `[section]` of a TOML file, keeping everything else.
fn set_toml_value(text: &str, section: &str, key: &str, value: &str) -> Result<String, String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut done = false;
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') && trimmed.ends_with(']') {
            current = trimmed.trim_matches(|c| c == '[' || c == ']').to_string();
        }
        if current == section && trimmed.starts_with(&format!("{key} =")) {
            out.push(format!("{key} = \"{value}\""));
            done = true;
        } else {
            out.push(line.to_string());
        }
    }
    if !done {
        return Err(format!("no `{key}` in [{section}]"));
    }
    Ok(out.join("\n") + "\n")
}

pub async fn spec(command: SpecCommand) -> Result<ExitCode, Failure> {
    let SpecCommand::Update(args) = command;
    let Some(from) = args.from.clone() else {
        return crate::adopt::adopt(&args);
    };
    let p = args.provider;
    let dir = &args.specs_dir;
    let registry = purchase_spec::registry::Registry::load(dir).map_err(Failure::usage)?;
    let entry = registry
        .get(p.name())
        .ok_or_else(|| Failure::usage(format!("{p} is not in {}/providers.toml", dir.display())))?;
    let (old, overlay) = entry.read(dir).map_err(Failure::usage)?;
    let spec_path = dir.join(&entry.spec);
    let new = read_spec(&from).await?;
    // The new document must parse, down-convert, and take the overlays.
    purchase_spec::normalize(&spec_path.display().to_string(), &new, overlay.as_deref())
        .map_err(|e| Failure::usage(format!("{e} — update the overlay before the spec")))?;
    let report = compare_texts(&spec_path.display().to_string(), &old, &from, &new)
        .map_err(|e| Failure::usage(e.to_string()))?;
    write(&spec_path, &new)?;
    let sources = dir.join("sources.toml");
    if sources.exists() {
        let text = std::fs::read_to_string(&sources).map_err(|e| Failure::usage(e.to_string()))?;
        let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
        let mut text = set_toml_value(&text, p.name(), "sha256", &sha256_hex(new.as_bytes()))
            .map_err(Failure::usage)?;
        text = set_toml_value(&text, p.name(), "retrieved", &today).map_err(Failure::usage)?;
        if from.starts_with("https://") {
            text = set_toml_value(&text, p.name(), "source", &from).map_err(Failure::usage)?;
        }
        write(&sources, &text)?;
    }
    outln!(
        "updated {} (provenance in {})",
        spec_path.display(),
        sources.display()
    );
    out!("{}", report.to_text());
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn write(path: &Path, text: &str) -> Result<(), Failure> {
    std::fs::write(path, text)
        .map_err(|e| Failure::usage(format!("cannot write {}: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_values_are_replaced_in_their_section_only() {
        let text = "[a]\nsha256 = \"1\"\n\n[b]\nsha256 = \"2\"\n";
        assert_eq!(
            set_toml_value(text, "b", "sha256", "x").unwrap(),
            "[a]\nsha256 = \"1\"\n\n[b]\nsha256 = \"x\"\n"
        );
        assert!(set_toml_value(text, "c", "sha256", "x").is_err());
    }
}
