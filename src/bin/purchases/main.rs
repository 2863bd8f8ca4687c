//! `purchases`: the command line of purchase-clients.

mod conform;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Typed clients for the CoCalc, Subtotal, Togai and Kit purchases APIs, and the checks
/// that keep them true to the APIs' documentation.
#[derive(Parser)]
#[command(name = "purchases", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check every documented sample (and, with --live, the real APIs) against the specs
    /// and the generated types.
    Conform(conform::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Conform(args) => conform::run(args).await,
        }
    });
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}
