//! `purchases mock`, `purchases demo` and `purchases schema`.

use crate::Failure;
use futures::TryStreamExt;
use purchase_clients::mock::{
    demo_client, demo_credentials, demo_scope, Fault, MockConfig, MockServer,
};
use purchase_clients::{ClientOptions, Decimal, Provider, Purchase};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

#[derive(clap::Args)]
pub struct MockArgs {
    /// Where to listen (a loopback address).
    #[arg(long, default_value = "127.0.0.1:4010")]
    addr: SocketAddr,
    /// Synthetic purchases per API, besides the documented samples.
    #[arg(long, default_value_t = 250)]
    count: usize,
    /// Inject a fault: rate-limit, server-error, unavailable, slow, malformed,
    /// echo-credentials, redirect-off-origin, endless, endless-empty, stall, empty,
    /// new-enum-values, or chaos=PERCENT (that share of requests fails at random: 503, 500,
    /// 429 with and without a wait, a body cut off, a dropped connection, or comes 0.4 s
    /// late) (repeatable).
    #[arg(long = "fault", value_name = "NAME", value_parser = parse_fault)]
    faults: Vec<FaultArg>,
    /// The seed chaos decides from: the same seed fails the same requests.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Extra latency for every response, in milliseconds.
    #[arg(long, default_value_t = 0, value_name = "MS")]
    latency_ms: u64,
    /// Serve what a later version of each API might send: fields the specs do not have,
    /// an enum value they do not list, nulls, an amount as a string, an optional field
    /// left out (`purchases conform --replay` finds them).
    #[arg(long)]
    drift: bool,
    /// For an API listed by account (Togai): spread the purchases over this many accounts
    /// (the demo account and its numbered siblings).
    #[arg(long, default_value_t = 1, value_name = "N")]
    scopes: usize,
}

/// A `--fault` value: a named fault, or chaos with its percentage.
#[derive(Clone, Debug)]
pub enum FaultArg {
    Named(Fault),
    Chaos(u8),
}

fn parse_fault(s: &str) -> Result<FaultArg, String> {
    match s.strip_prefix("chaos=") {
        Some(p) => match p.parse::<u8>() {
            Ok(n) if n <= 100 => Ok(FaultArg::Chaos(n)),
            _ => Err(format!("chaos={p}: expected a percentage from 0 to 100")),
        },
        None => s.parse().map(FaultArg::Named),
    }
}

pub async fn mock(args: MockArgs) -> Result<(), Failure> {
    if !args.addr.ip().is_loopback() {
        return Err(Failure::usage(format!(
            "the mock listens on loopback addresses only, not {}",
            args.addr
        )));
    }
    let chaos = args.faults.iter().rev().find_map(|f| match f {
        FaultArg::Chaos(n) => Some(*n),
        FaultArg::Named(_) => None,
    });
    let faults = args
        .faults
        .iter()
        .filter_map(|f| match f {
            FaultArg::Named(f) => Some(*f),
            FaultArg::Chaos(_) => None,
        })
        .collect();
    let config = MockConfig {
        count: args.count,
        faults,
        chaos,
        seed: args.seed,
        latency: Duration::from_millis(args.latency_ms),
        drift: args.drift,
        scopes: args.scopes,
    };
    let server = MockServer::start(args.addr, config)
        .await
        .map_err(|e| Failure::usage(format!("cannot listen on {}: {e}", args.addr)))?;
    outln!(
        "mock of {} listening on http://{}",
        Provider::ALL
            .iter()
            .map(|p| p.name())
            .collect::<Vec<_>>()
            .join(", "),
        server.addr()
    );
    for p in Provider::ALL.iter().copied() {
        let mut env: Vec<String> = p
            .credential_variables()
            .iter()
            .zip(demo_credentials(p))
            .map(|(var, value)| format!("{var}={value}"))
            .collect();
        if let (Some(name), Some(scope)) = (p.scope(), demo_scope(p)) {
            env.push(format!("({name} {scope})"));
        }
        outln!(
            "  {:<9} {:<36} {}",
            p.name(),
            server.base_url(p),
            env.join(" ")
        );
    }
    outln!("press Ctrl-C to stop");
    let _ = tokio::signal::ctrl_c().await;
    drop(server);
    Ok(())
}

/// Lists every purchase of every API from an in-process mock and prints totals per
/// provider and currency.
pub async fn demo() -> Result<(), Failure> {
    let server = MockServer::start(
        "127.0.0.1:0".parse().expect("an address"),
        MockConfig::default(),
    )
    .await
    .map_err(|e| Failure::usage(format!("cannot start the mock: {e}")))?;
    let mut all: Vec<Purchase> = Vec::new();
    for p in Provider::ALL.iter().copied() {
        let options = ClientOptions::default().base_url(server.base_url(p));
        let client = demo_client(p, options)?;
        all.extend(client.purchases(None).try_collect::<Vec<_>>().await?);
    }

    // provider -> currency -> (purchases, total)
    let mut sums: BTreeMap<(String, String), (usize, Decimal)> = BTreeMap::new();
    for p in &all {
        let key = (
            p.provider.name().to_string(),
            p.currency.as_deref().unwrap_or("-").to_string(),
        );
        let entry = sums.entry(key).or_insert((0, Decimal::ZERO));
        entry.0 += 1;
        if let Some(t) = p.total {
            entry.1 += t;
        }
    }
    outln!(
        "{:<10} {:<10} {:>10} {:>26}",
        "PROVIDER",
        "CURRENCY",
        "PURCHASES",
        "TOTAL"
    );
    for ((provider, currency), (n, total)) in &sums {
        outln!("{provider:<10} {currency:<10} {n:>10} {total:>26}");
    }
    let providers: std::collections::BTreeSet<_> = all.iter().map(|p| p.provider).collect();
    outln!(
        "{} purchases from {} providers, listed through the generated clients from a local mock",
        all.len(),
        providers.len()
    );
    Ok(())
}

/// Prints the JSON Schema of the normalized purchase record.
pub fn schema() -> Result<(), Failure> {
    let schema = schemars::schema_for!(Purchase);
    outln!(
        "{}",
        serde_json::to_string_pretty(&schema).map_err(|e| Failure::usage(e.to_string()))?
    );
    Ok(())
}
