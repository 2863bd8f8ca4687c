//! Lists the purchases of the account that owns a CoCalc API key, newest first:
//! `COCALC_API_KEY=... cargo run --example cocalc`. Set `COCALC_BASE_URL` to point it
//! elsewhere.

use futures::{StreamExt, TryStreamExt};
use purchase_clients::{ClientOptions, CoCalcClient};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), purchase_clients::Error> {
    let mut options = ClientOptions::default();
    if let Ok(base) = std::env::var("COCALC_BASE_URL") {
        options = options.base_url(base);
    }
    let cocalc = CoCalcClient::from_env(options)?;
    // CoCalc throttles (3 calls a second by default); the client waits when told to.
    let newest: Vec<_> = cocalc.purchases(500).take(20).try_collect().await?;
    for p in newest {
        let cost = p
            .total
            .map(|t| format!("${t}"))
            .unwrap_or_else(|| "running".into());
        println!(
            "{} {} {}",
            p.id,
            p.time.map(|t| t.to_rfc3339()).unwrap_or_default(),
            cost
        );
    }
    Ok(())
}
