#!/usr/bin/env bash
# A consumer's fresh build: a binary crate printing Kit's purchases through this crate
# (default features) against the same program written by hand with the stack a careful
# engineer would pick instead (reqwest with rustls and ring, serde, serde_json,
# rust_decimal, chrono, tokio, futures). Fresh target directories, interleaved rounds; prints
# Markdown rows for scripts/bench.sh (dev profile, then release).
#
#   scripts/consumer_build.sh [ROUNDS]     (default 2)
#   CONSUMER_TIMINGS=DIR scripts/consumer_build.sh 1   also keeps cargo's --timings reports
#   CONSUMER_PROFILES=dev                              only the dev profile
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
rounds=${1:-2}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

mkdir -p "$scratch/ours/src" "$scratch/hand/src"
cat >"$scratch/ours/Cargo.toml" <<EOF
[package]
name = "ours"
version = "0.0.0"
edition = "2021"
[workspace]
[dependencies]
purchase-clients = { path = "$root" }
tokio = { version = "1", features = ["macros", "rt-multi-thread"] }
futures = "0.3"
EOF
cat >"$scratch/ours/src/main.rs" <<'EOF'
use futures::TryStreamExt;
use purchase_clients::{ClientOptions, KitClient};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let kit = KitClient::from_env(ClientOptions::default())?;
    let mut purchases = kit.purchases(1000);
    while let Some(p) = purchases.try_next().await? {
        println!("{} {:?} {:?} {:?}", p.id, p.time, p.total, p.currency);
    }
    Ok(())
}
EOF
cat >"$scratch/hand/Cargo.toml" <<'EOF'
[package]
name = "hand"
version = "0.0.0"
edition = "2021"
[workspace]
[dependencies]
reqwest = { version = "0.13", default-features = false, features = ["json", "query", "rustls-no-provider"] }
rustls = { version = "0.23", default-features = false, features = ["ring", "std", "tls12"] }
serde = { version = "1", features = ["derive"] }
serde_json = "1"
rust_decimal = { version = "1", features = ["serde-with-arbitrary-precision"] }
chrono = { version = "0.4", default-features = false, features = ["serde", "std", "clock"] }
tokio = { version = "1", features = ["macros", "rt-multi-thread"] }
futures = "0.3"
EOF
cat >"$scratch/hand/src/main.rs" <<'EOF'
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Deserialize;

#[derive(Deserialize)]
struct Page {
    purchases: Vec<Purchase>,
    pagination: Pagination,
}

#[derive(Deserialize)]
struct Pagination {
    has_next_page: bool,
    end_cursor: Option<String>,
}

#[derive(Deserialize)]
struct Purchase {
    id: i64,
    transaction_time: DateTime<Utc>,
    total: Decimal,
    currency: String,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let token = std::env::var("KIT_ACCESS_TOKEN")?;
    let base = std::env::var("KIT_BASE_URL").unwrap_or_else(|_| "https://api.kit.com".into());
    let client = reqwest::Client::new();
    let mut after: Option<String> = None;
    loop {
        let mut query = vec![("per_page", "1000".to_string())];
        if let Some(a) = &after {
            query.push(("after", a.clone()));
        }
        let page: Page = client
            .get(format!("{base}/v4/purchases"))
            .bearer_auth(&token)
            .query(&query)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        for p in &page.purchases {
            println!("{} {} {} {}", p.id, p.transaction_time, p.total, p.currency);
        }
        match (page.pagination.has_next_page, page.pagination.end_cursor) {
            (true, Some(c)) => after = Some(c),
            _ => break,
        }
    }
    Ok(())
}
EOF
# The same dependency versions for both (crates already downloaded: the network is not
# measured).
cp Cargo.lock "$scratch/ours/"
(cd "$scratch/hand" && cargo generate-lockfile -q 2>/dev/null || cargo generate-lockfile -q --offline)

secs() { /usr/bin/time -f "%e" "$@" 2>&1 >/dev/null | tail -1; }
build() { # $1 crate, $2 target dir, rest: cargo flags
    local crate=$1 target=$2
    shift 2
    rm -rf "$target"
    local extra=()
    if [[ -n "${CONSUMER_TIMINGS:-}" ]]; then extra=(--timings); fi
    CARGO_TARGET_DIR="$target" secs cargo build -q "${extra[@]}" --manifest-path "$scratch/$crate/Cargo.toml" "$@"
    if [[ -n "${CONSUMER_TIMINGS:-}" ]]; then
        mkdir -p "$CONSUMER_TIMINGS"
        cp "$target"/cargo-timings/cargo-timing.html "$CONSUMER_TIMINGS/$crate${*:+-release}.html" 2>/dev/null || true
    fi
}
median() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

for profile in ${CONSUMER_PROFILES:-dev release}; do
    flags=()
    [[ $profile == release ]] && flags=(--release)
    hand=() ours=()
    for r in $(seq "$rounds"); do
        # Alternate which goes first.
        if ((r % 2)); then
            hand+=("$(build hand "$scratch/t-hand" "${flags[@]}")")
            ours+=("$(build ours "$scratch/t-ours" "${flags[@]}")")
        else
            ours+=("$(build ours "$scratch/t-ours" "${flags[@]}")")
            hand+=("$(build hand "$scratch/t-hand" "${flags[@]}")")
        fi
    done
    h=$(median "${hand[@]}")
    o=$(median "${ours[@]}")
    ratio=$(awk -v a="$o" -v b="$h" 'BEGIN { printf "%.2f", a / b }')
    target=""
    [[ $profile == dev ]] && target="≤ 1.3×"
    echo "| consumer build ($profile profile, fresh target, $rounds rounds interleaved) | hand-rolled reqwest + serde + rust_decimal + chrono: ${hand[*]} s | ${h} s | 1.00× |  |"
    echo "| consumer build ($profile profile, fresh target, $rounds rounds interleaved) | purchase-clients, default features: ${ours[*]} s | ${o} s | ${ratio}× | $target |"
done
codegen=$(cargo tree -q --manifest-path "$scratch/ours/Cargo.toml" -e normal --prefix none \
    | grep -cE '^(progenitor |progenitor-impl|typify|openapiv3|prettyplease|purchase-spec)' || true)
echo "| consumer build | codegen crates in the consumer's runtime graph (\`cargo tree -e normal\`) | ${codegen} |  | 0 |"
