//! Lists one Togai account's purchases:
//! `TOGAI_API_TOKEN=... cargo run --example togai -- ACCOUNT_ID`.
//! Set `TOGAI_BASE_URL` for the sandbox (`https://sandbox-api.togai.com`) or a local mock.

use futures::TryStreamExt;
use purchase_clients::{ClientOptions, Error, TogaiClient};

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

async fn run() -> Result<(), Error> {
    let account = std::env::args()
        .nth(1)
        .ok_or_else(|| Error::InvalidArgument("usage: togai ACCOUNT_ID".into()))?;
    let mut options = ClientOptions::default();
    if let Ok(base) = std::env::var("TOGAI_BASE_URL") {
        options = options.base_url(base);
    }
    let togai = TogaiClient::from_env(options)?;
    let mut purchases = togai.purchases(&account, 100);
    while let Some(p) = purchases.try_next().await? {
        let total = p.total.map(|t| t.to_string()).unwrap_or_default();
        println!(
            "{} {} {} {}",
            p.id,
            p.status.unwrap_or_default(),
            total,
            p.currency.unwrap_or_default()
        );
    }
    Ok(())
}
