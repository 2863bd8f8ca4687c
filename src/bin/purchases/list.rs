//! `purchases list` and `purchases get`.

use crate::output::{Format, Writer};
use crate::Failure;
use futures::TryStreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use purchase_clients::recording::Recorder;
use purchase_clients::{AnyClient, ClientOptions, ListingLimits, Provider};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

#[derive(clap::Args)]
pub struct ListArgs {
    /// Which API.
    #[arg(value_parser = provider_parser())]
    provider: Provider,
    /// Replaces the API's base URL (for example a `purchases mock`).
    #[arg(long, value_name = "URL")]
    base_url: Option<String>,
    /// A parameter of the API's list operation, `NAME=VALUE`, the name exactly as the spec
    /// writes it and the value as its schema takes it (repeatable; `purchases params
    /// PROVIDER` lists them). A cursor parameter is where the listing starts.
    #[arg(long = "param", value_name = "NAME=VALUE")]
    params: Vec<String>,
    /// The account whose purchases to list, for an API listed by account (Togai);
    /// repeatable: several accounts are one listing, in the order given.
    #[arg(long, value_name = "ID")]
    account: Vec<String>,
    /// A file of accounts to list after any `--account`, one id a line (`-`: standard
    /// input), read as the listing goes.
    #[arg(long, value_name = "FILE")]
    accounts: Option<PathBuf>,
    /// How many accounts are listed at once, which is also the most requests in flight.
    #[arg(long, value_name = "N", default_value_t = purchase_clients::paginate::DEFAULT_CONCURRENCY)]
    concurrency: usize,
    /// Purchases per request (default: the API's maximum).
    #[arg(long, value_name = "N")]
    page_size: Option<u32>,
    /// Stop after this many purchases.
    #[arg(long, value_name = "N")]
    limit: Option<usize>,
    /// Output format (default: table on a terminal, jsonl otherwise).
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Pages fetched ahead while the current one is written (0: fetch strictly in turn).
    #[arg(long, value_name = "PAGES", default_value_t = purchase_clients::paginate::DEFAULT_PREFETCH)]
    pub prefetch: usize,
    /// Give up (exit 1) when the server still says "more" after this many pages.
    #[arg(long, value_name = "N", default_value_t = ListingLimits::default().max_pages())]
    max_pages: u64,
    /// Give up (exit 1) when the listing takes longer than this many seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = ListingLimits::default().max_time().as_secs())]
    max_seconds: u64,
    /// Save every reply received into this folder, one readable file per reply, credentials
    /// never written (for `purchases conform --replay`).
    #[arg(long, value_name = "DIR")]
    record: Option<PathBuf>,
    /// Write the listing to this file (jsonl, the default here, or csv), exactly once, with
    /// a checkpoint beside it after every page and a manifest at the end.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Continue the export in --output from its checkpoint (the same command again): the
    /// file is cut back to the checkpoint and the listing goes on from its cursor.
    #[arg(long, requires = "output")]
    resume: bool,
    /// Write the export's manifest here (default: beside --output, FILE.manifest.json);
    /// without --output, the manifest of what is written to standard output.
    #[arg(long, value_name = "FILE.json")]
    manifest: Option<PathBuf>,
}

#[derive(clap::Args)]
pub struct ParamsArgs {
    /// Which API.
    #[arg(value_parser = provider_parser())]
    provider: Provider,
}

/// `purchases params PROVIDER`: the list operation's parameters, with what each takes.
pub fn params(args: ParamsArgs) -> Result<(), Failure> {
    let parameters =
        purchase_clients::parameters::list_parameters(args.provider).map_err(Failure::usage)?;
    let paging = purchase_clients::providers::paging(args.provider);
    outln!(
        "{} {}: --param NAME=VALUE takes these (names as the spec writes them)",
        args.provider,
        paging.operation
    );
    for p in parameters {
        let role = if p.name == paging.size {
            " [page size: --page-size]"
        } else if p.name == paging.cursor {
            " [cursor: where the listing starts]"
        } else if paging.scope.is_some_and(|s| s.param == p.name) {
            " [--account]"
        } else {
            ""
        };
        let required = if p.required { ", required" } else { "" };
        outln!(
            "  {} ({}{required}): {}{role}",
            p.name,
            p.location,
            p.takes()
        );
        if let Some(d) = &p.description {
            let d: String = d.split_whitespace().collect::<Vec<_>>().join(" ");
            outln!("      {}", purchase_clients::redact::escape_controls(&d));
        }
    }
    Ok(())
}

/// Parses a provider name, offering the names compiled in.
pub fn provider_parser() -> impl clap::builder::TypedValueParser<Value = Provider> {
    use clap::builder::TypedValueParser;
    let names: Vec<&'static str> = Provider::ALL.iter().map(|p| p.name()).collect();
    clap::builder::PossibleValuesParser::new(names).map(|name| {
        name.parse::<Provider>()
            .expect("only names of providers compiled in are possible")
    })
}

pub fn options(base_url: Option<&str>) -> ClientOptions {
    let options = ClientOptions::default();
    match base_url {
        Some(url) => options.base_url(url),
        None => options,
    }
}

/// The recorder for `--record DIR`, the folder created before any request.
fn recorder(dir: Option<&Path>) -> Result<Option<Recorder>, Failure> {
    dir.map(|d| {
        Recorder::create(d).map_err(|e| Failure::usage(format!("--record {}: {e}", d.display())))
    })
    .transpose()
}

/// `options` recording with `recorder`, if any.
fn recording(options: ClientOptions, recorder: &Option<Recorder>) -> ClientOptions {
    match recorder {
        Some(r) => options.record(r.clone()),
        None => options,
    }
}

/// Says on stderr what was recorded; a reply that could not be written fails the command
/// (after the output, which recording never changes).
fn recorded(recorder: Option<Recorder>, outcome: Result<(), Failure>) -> Result<(), Failure> {
    let Some(recorder) = recorder else {
        return outcome;
    };
    let n = recorder.written();
    eprintln!(
        "recorded {n} {} in {}",
        if n == 1 { "reply" } else { "replies" },
        recorder.dir().display()
    );
    let failures = recorder.failures();
    match (outcome, failures.first()) {
        (Ok(()), Some(first)) => Err(Failure::usage(format!(
            "{} replies were not recorded: {first}",
            failures.len()
        ))),
        (outcome, _) => outcome,
    }
}

/// Whether a progress line may be drawn (not while tracing writes to stderr).
static PROGRESS: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(true);

pub fn set_progress(on: bool) {
    PROGRESS.store(on, std::sync::atomic::Ordering::Relaxed);
}

fn progress() -> Option<ProgressBar> {
    if !std::io::stderr().is_terminal() || !PROGRESS.load(std::sync::atomic::Ordering::Relaxed) {
        return None;
    }
    let bar = ProgressBar::new_spinner();
    bar.set_style(ProgressStyle::with_template("{spinner} {msg}").expect("a valid template"));
    bar.enable_steady_tick(Duration::from_millis(120));
    Some(bar)
}

/// The progress line: purchases and pages so far (this run), and the rate.
fn show_progress(bar: &Option<ProgressBar>, count: usize, pages: usize, started: Instant) {
    if let Some(bar) = bar {
        let rate = count as f64 / started.elapsed().as_secs_f64().max(0.001);
        bar.set_message(format!("{count} purchases, {pages} pages, {rate:.0}/s"));
    }
}

pub async fn list(args: ListArgs) -> Result<(), Failure> {
    let scoped = !args.account.is_empty() || args.accounts.is_some();
    if args.provider.scope().is_none() && scoped {
        return Err(Failure::usage(format!(
            "--account and --accounts do not apply to {}",
            args.provider
        )));
    }
    if args.concurrency == 0 {
        return Err(Failure::usage("--concurrency must be at least 1"));
    }
    let params = purchase_clients::parameters::parse_params(args.provider, &args.params)
        .map_err(Failure::usage)?;
    let limits = ListingLimits::default()
        .with_max_pages(args.max_pages)
        .with_max_time(Duration::from_secs(args.max_seconds));
    let recorder = recorder(args.record.as_deref())?;
    let client = AnyClient::from_env(
        args.provider,
        None,
        recording(options(args.base_url.as_deref()), &recorder)
            .prefetch(args.prefetch)
            .listing_limits(limits),
    )?;
    let mut listing = client.list().concurrency(args.concurrency);
    for (name, value) in params {
        listing = listing.param(name, value);
    }
    if let Some(size) = args.page_size {
        listing = listing.page_size(size);
    }
    if args.output.is_some() || args.manifest.is_some() {
        let outcome = export(&client, listing, &args, scoped).await;
        return recorded(recorder, outcome);
    }
    if scoped {
        listing = listing.scopes(accounts(&args.account, args.accounts.as_deref()));
    }
    let outcome = write_listing(&client, listing, &args).await;
    recorded(recorder, outcome)
}

/// `list --output FILE` (or `--manifest`): the listing written exactly once, resumable, with
/// its manifest.
async fn export(
    client: &AnyClient,
    mut listing: purchase_clients::AnyList,
    args: &ListArgs,
    scoped: bool,
) -> Result<(), Failure> {
    use crate::export::{Arguments, Export};
    let format = args.format.unwrap_or(Format::Jsonl);
    if !matches!(format, Format::Jsonl | Format::Csv) {
        return Err(Failure::usage(format!(
            "--format {}: an export (--output, --manifest) is written as jsonl or csv; json and table cannot be resumed or verified",
            format.name()
        )));
    }
    if args.limit.is_some() {
        return Err(Failure::usage(
            "--limit does not apply to an export, which is the whole listing",
        ));
    }
    let arguments = Arguments {
        provider: args.provider.name().to_string(),
        base_url: args
            .base_url
            .clone()
            .unwrap_or_else(|| args.provider.default_base_url().to_string()),
        parameters: args
            .params
            .iter()
            .map(|p| match p.split_once('=') {
                Some((k, v)) => (k.to_string(), v.to_string()),
                None => (p.clone(), String::new()),
            })
            .collect(),
        format: format.name(),
        accounts: args.account.clone(),
        accounts_file: args.accounts.as_ref().map(|p| p.display().to_string()),
    };
    let mut out = Export::open(
        args.output.as_deref(),
        args.resume,
        args.manifest.as_deref(),
        format,
        arguments,
        client.redactor(),
    )?;
    if out.complete() {
        eprintln!("the export is complete already: nothing to resume");
        return out.finish(None);
    }
    let (skip, cursor) = out.resume_point();
    if scoped {
        let scopes = accounts(&args.account, args.accounts.as_deref());
        listing = listing.scopes(futures::StreamExt::skip(scopes, skip));
    } else if skip > 0 {
        // The one listing reached its end before the run stopped.
        return out.finish(None);
    }
    if let Some(cursor) = cursor {
        listing = listing.start_from(cursor);
    }
    let bar = progress();
    let started = Instant::now();
    let (mut count, mut pages) = (0usize, 0usize);
    let mut stream = listing.purchase_pages();
    loop {
        match stream.try_next().await {
            Ok(Some(page)) => {
                out.write_page(&page)?;
                (count, pages) = (count + page.items.len(), pages + 1);
                show_progress(&bar, count, pages, started);
            }
            Ok(None) => break,
            Err(e) => {
                let failure = Failure::from(e);
                out.finish(Some(failure.message.clone()))?;
                return Err(failure);
            }
        }
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    out.finish(None)
}

/// The accounts given with `--account`, then those of the `--accounts` file (`-`: standard
/// input), one id a line, read as the listing asks for them; blank lines are skipped.
fn accounts(
    given: &[String],
    file: Option<&Path>,
) -> futures::stream::BoxStream<
    'static,
    Result<purchase_clients::CompactString, purchase_clients::Error>,
> {
    use futures::StreamExt;
    use tokio::io::AsyncBufReadExt;
    let given: Vec<_> = given.iter().map(|a| Ok(a.trim().into())).collect();
    let lines = file.map(Path::to_path_buf).map(|path| {
        futures::stream::once(async move {
            let name = path.display().to_string();
            let reader: Box<dyn tokio::io::AsyncRead + Send + Unpin> = if name == "-" {
                Box::new(tokio::io::stdin())
            } else {
                match tokio::fs::File::open(&path).await {
                    Ok(f) => Box::new(f),
                    Err(e) => {
                        let e = purchase_clients::Error::InvalidArgument(format!(
                            "--accounts {name}: {e}"
                        ));
                        return futures::stream::once(async move { Err(e) }).boxed();
                    }
                }
            };
            let lines = tokio::io::BufReader::new(reader).lines();
            futures::stream::unfold((lines, name), |(mut lines, name)| async move {
                match lines.next_line().await {
                    Ok(Some(line)) => Some((Ok(line), (lines, name))),
                    Ok(None) => None,
                    Err(e) => {
                        let e = purchase_clients::Error::InvalidArgument(format!(
                            "--accounts {name}: {e}"
                        ));
                        Some((Err(e), (lines, name)))
                    }
                }
            })
            .filter_map(|line| async move {
                match line {
                    Ok(l) if l.trim().is_empty() => None,
                    Ok(l) => Some(Ok(l.trim().into())),
                    Err(e) => Some(Err(e)),
                }
            })
            .boxed()
        })
        .flatten()
        .boxed()
    });
    let given = futures::stream::iter(given);
    match lines {
        Some(lines) => given.chain(lines).boxed(),
        None => given.boxed(),
    }
}

async fn write_listing(
    client: &AnyClient,
    listing: purchase_clients::AnyList,
    args: &ListArgs,
) -> Result<(), Failure> {
    let format = args.format.unwrap_or_else(Format::default_for_stdout);
    let mut out = Writer::new(format, client.redactor())?;
    let bar = progress();
    let started = Instant::now();
    let (mut count, mut pages) = (0usize, 0usize);
    let mut stream = listing.purchase_pages();
    'pages: while let Some(page) = stream.try_next().await? {
        pages += 1;
        for purchase in page.items {
            if args.limit.is_some_and(|l| count >= l) {
                break 'pages;
            }
            out.write(&purchase)?;
            count += 1;
        }
        show_progress(&bar, count, pages, started);
        if args.limit.is_some_and(|l| count >= l) {
            break;
        }
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    out.finish()?;
    Ok(())
}

#[derive(clap::Args)]
pub struct GetArgs {
    /// Which API (one with a call to get one purchase).
    #[arg(value_parser = provider_parser())]
    provider: Provider,
    /// The purchase's id.
    purchase_id: String,
    /// Replaces the API's base URL.
    #[arg(long, value_name = "URL")]
    base_url: Option<String>,
    /// Output format (default: table on a terminal, jsonl otherwise).
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Save the reply into this folder (see `purchases list --record`).
    #[arg(long, value_name = "DIR")]
    record: Option<PathBuf>,
}

pub async fn get(args: GetArgs) -> Result<(), Failure> {
    let recorder = recorder(args.record.as_deref())?;
    let client = AnyClient::from_env(
        args.provider,
        None,
        recording(options(args.base_url.as_deref()), &recorder),
    )?;
    let outcome = write_one(&client, &args).await;
    recorded(recorder, outcome)
}

async fn write_one(client: &AnyClient, args: &GetArgs) -> Result<(), Failure> {
    let purchase = client.get_purchase(&args.purchase_id).await?;
    let mut out = Writer::new(
        args.format.unwrap_or_else(Format::default_for_stdout),
        client.redactor(),
    )?;
    out.write(&purchase)?;
    out.finish()?;
    Ok(())
}
