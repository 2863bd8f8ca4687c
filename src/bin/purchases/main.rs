//! `purchases`: the command line of purchase-clients.

/// Writes a line to stdout. A reader that closed the pipe (`purchases ... | head`) ends the
/// command quietly with success, as the end of its output would; any other write error ends
/// it with exit status 1.
macro_rules! outln {
    () => {
        $crate::write_out(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::write_out(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// [`outln!`] without the newline.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::write_out(format_args!($($arg)*))
    };
}

mod adopt;
mod conform;
mod drift;
mod export;
mod list;
mod output;
mod replay;
mod serve;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Typed clients for purchases APIs, and the checks that keep them true to the APIs'
/// documentation.
#[derive(Parser)]
#[command(name = "purchases", version, about)]
struct Cli {
    /// Show what the client does on stderr: -v each request (provider, operation, attempt,
    /// method, path template, status, time), retries and pages; -vv more. `RUST_LOG`
    /// (e.g. `RUST_LOG=purchase_clients=debug`) overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

/// Sends the library's tracing to stderr (never stdout, which carries the data).
fn init_tracing(verbose: u8) -> bool {
    use std::io::IsTerminal;
    use tracing_subscriber::{fmt::format::FmtSpan, EnvFilter};
    let filter = match std::env::var("RUST_LOG") {
        Ok(directives) if !directives.trim().is_empty() => EnvFilter::new(directives),
        _ if verbose == 0 => return false,
        _ => EnvFilter::new(match verbose {
            1 => "purchase_clients=info",
            2 => "purchase_clients=debug",
            _ => "purchase_clients=trace",
        }),
    };
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .with_span_events(FmtSpan::CLOSE)
        .init();
    true
}

#[derive(Subcommand)]
enum Command {
    /// List every purchase of one API (credentials from the environment).
    List(list::ListArgs),
    /// Get one purchase (for an API with such a call).
    Get(list::GetArgs),
    /// List the parameters `purchases list --param` takes for one API, from its spec.
    Params(list::ParamsArgs),
    /// Check an export (`purchases list --output FILE`) against its manifest.
    Verify(export::VerifyArgs),
    /// Serve a mock of all four APIs on a loopback port.
    Mock(serve::MockArgs),
    /// List purchases from all four APIs through an in-process mock and print the totals.
    Demo,
    /// Print the JSON Schema of the normalized purchase record.
    Schema,
    /// Check every documented sample (and, with --live, the real APIs) against the specs
    /// and the generated types.
    Conform(conform::Args),
    /// Compare two OpenAPI documents and classify every change for a client.
    Drift(drift::DriftArgs),
    /// Maintain the checked-in specs.
    #[command(subcommand)]
    Spec(drift::SpecCommand),
}

impl Command {
    /// A listing with `--prefetch 0`: every page is asked for only when the last is written.
    fn fetches_in_turn(&self) -> bool {
        matches!(self, Command::List(args) if args.prefetch == 0)
    }
}

/// Why the command failed, and with which exit status.
pub struct Failure {
    message: String,
    code: u8,
    /// The output was closed by its reader (`purchases list kit | head`): not an error.
    closed_output: bool,
}

impl Failure {
    /// Bad arguments or configuration: exit status 2.
    pub fn usage(message: impl Into<String>) -> Self {
        Failure {
            message: message.into(),
            code: 2,
            closed_output: false,
        }
    }
}

impl From<purchase_clients::Error> for Failure {
    fn from(e: purchase_clients::Error) -> Self {
        use purchase_clients::Error as E;
        let code = match e {
            E::InvalidArgument(_) | E::MissingCredential { .. } | E::Config(_) => 2,
            _ => 1,
        };
        Failure {
            message: e.to_string(),
            code,
            closed_output: false,
        }
    }
}

/// Whether writing failed because the reader closed the pipe (also through the CSV writer,
/// which wraps the I/O error).
fn is_broken_pipe(e: &std::io::Error) -> bool {
    let pipe = |e: &std::io::Error| e.kind() == std::io::ErrorKind::BrokenPipe;
    pipe(e)
        || e.get_ref()
            .and_then(|inner| inner.downcast_ref::<csv::Error>())
            .is_some_and(|c| matches!(c.kind(), csv::ErrorKind::Io(io) if pipe(io)))
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        Failure {
            message: format!("cannot write the output: {e}"),
            code: 1,
            closed_output: is_broken_pipe(&e),
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let tracing = init_tracing(cli.verbose);
    list::set_progress(!tracing);
    // A listing that fetches strictly in turn has nothing to overlap: one thread then drives
    // both the connection and the output, with no hand-off between threads for every page.
    // Otherwise one worker thread fetches ahead while this one writes: all the overlap there
    // is, with fewer idle threads to wake (a worker per core cost 5–10% more CPU here).
    let mut builder = if cli.command.fetches_in_turn() {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut b = tokio::runtime::Builder::new_multi_thread();
        b.worker_threads(1);
        b
    };
    let runtime = match builder.enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::List(args) => list::list(args).await.map(|()| ExitCode::SUCCESS),
            Command::Get(args) => list::get(args).await.map(|()| ExitCode::SUCCESS),
            Command::Params(args) => list::params(args).map(|()| ExitCode::SUCCESS),
            Command::Verify(args) => export::verify(args),
            Command::Mock(args) => serve::mock(args).await.map(|()| ExitCode::SUCCESS),
            Command::Demo => serve::demo().await.map(|()| ExitCode::SUCCESS),
            Command::Schema => serve::schema().map(|()| ExitCode::SUCCESS),
            Command::Conform(args) => conform::run(args).await.map_err(Failure::usage),
            Command::Drift(args) => drift::drift(args).await,
            Command::Spec(command) => drift::spec(command).await,
        }
    });
    match result {
        Ok(code) => code,
        // A closed pipe (`purchases list kit | head`) is not an error.
        Err(f) if f.closed_output => ExitCode::SUCCESS,
        Err(f) => {
            // One line, whatever the message holds, and no terminal escape from a server.
            eprintln!(
                "error: {}",
                purchase_clients::redact::escape_controls(&f.message)
            );
            ExitCode::from(f.code)
        }
    }
}

/// Writes to stdout for [`outln!`] and [`out!`].
fn write_out(args: std::fmt::Arguments) {
    use std::io::Write;
    if let Err(e) = std::io::stdout().lock().write_fmt(args) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("purchases: cannot write the output: {e}");
        std::process::exit(1);
    }
}
