//! Lists every Kit purchase: `KIT_ACCESS_TOKEN=... cargo run --example kit`.
//! Set `KIT_BASE_URL` to point it elsewhere (for example a local mock).

use futures::TryStreamExt;
use purchase_clients::{ClientOptions, KitClient};

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
    if let Ok(base) = std::env::var("KIT_BASE_URL") {
        options = options.base_url(base);
    }
    let kit = KitClient::from_env(options)?;
    let mut purchases = kit.purchases(1000);
    let mut count = 0;
    while let Some(p) = purchases.try_next().await? {
        count += 1;
        let total = p.total.map(|t| t.to_string()).unwrap_or_default();
        println!(
            "{} {} {} {}",
            p.id,
            total,
            p.currency.unwrap_or_default(),
            p.customer.unwrap_or_default()
        );
    }
    eprintln!("{count} purchases");
    Ok(())
}
