//! Lists every purchase of a Subtotal connection:
//! `SUBTOTAL_API_KEY=... SUBTOTAL_CONNECTION_TOKEN=... cargo run --example subtotal`.
//! Set `SUBTOTAL_BASE_URL` to point it elsewhere.

use futures::TryStreamExt;
use purchase_clients::{ClientOptions, SubtotalClient};

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
    if let Ok(base) = std::env::var("SUBTOTAL_BASE_URL") {
        options = options.base_url(base);
    }
    let subtotal = SubtotalClient::from_env(options)?;
    // Pages of 50 (Subtotal's maximum), newest first.
    let mut pages = subtotal.pages(50);
    while let Some(page) = pages.try_next().await? {
        for p in page.items {
            println!("{} {} {}", p.purchase_id, p.date, p.total);
        }
    }
    Ok(())
}
