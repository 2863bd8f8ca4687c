#!/usr/bin/env bash
# Runs every benchmark and prints one Markdown table of ratios (the README's Performance
# section shows the latest). Variants of one comparison run interleaved in the same process,
# so each ratio is measured within one run.
#
#   scripts/bench.sh            decode, listing, overlap, memory, export under chaos
#   scripts/bench.sh --build    also the first run from a fresh clone, clean, consumer and
#                               incremental build times (about twenty minutes more)
#
# BENCH_ROUNDS=N changes the number of rounds of every interleaved comparison.
set -euo pipefail
cd "$(dirname "$0")/.."

with_build=false
[[ "${1:-}" == "--build" ]] && with_build=true

cargo bench --features cli --no-run >&2
cargo build --release --features cli --bin purchases >&2

echo "| benchmark | variant | median | ratio | target |"
echo "|---|---|---|---|---|"
cargo bench --features cli --bench decode 2>/dev/null | grep '^|'
cargo bench --features cli --bench listing 2>/dev/null | grep '^|'

# Memory: peak RSS of `purchases list kit --format jsonl` over 10,000 and 1,000,000
# purchases from one mock, output discarded.
bin=target/release/purchases
logs=$(mktemp -d)
mocks=()
trap 'kill "${mocks[@]}" 2>/dev/null || true; rm -rf "$logs"' EXIT
start_mock() { # $1 name, rest: mock options; sets base_url to the mock's Kit base URL
    local log="$logs/$1.log"
    shift
    "$bin" mock --addr 127.0.0.1:0 --count 1000000 "$@" >"$log" 2>&1 &
    mocks+=($!)
    for _ in $(seq 600); do
        grep -q "listening on" "$log" && break
        sleep 0.5
    done
    base_url=$(grep -o 'http://127.0.0.1:[0-9]*' "$log" | head -1)/kit
}
start_mock plain
base=$base_url
peak() { # peak RSS in kB of listing $1 purchases
    /usr/bin/time -f "%M" env KIT_ACCESS_TOKEN=demo-kit-token \
        "$bin" list kit --base-url "$base" --format jsonl --limit "$1" 2>&1 >/dev/null | tail -1
}
small=$(peak 10000)
large=$(peak 1000000)
ratio=$(awk -v a="$large" -v b="$small" 'BEGIN { printf "%.2f", a / b }')
echo "| memory: purchases list kit --format jsonl | 10,000 purchases | $((small / 1024)) MB peak RSS | 1.00× |  |"
echo "| memory: purchases list kit --format jsonl | 1,000,000 purchases | $((large / 1024)) MB peak RSS | ${ratio}× | ≤ 1.2× |"

# Kit's 1,000,000 purchases exported under 2% chaos (503, 500, throttles, cut bodies, dropped
# connections, late answers) against the same export from a fault-free mock: the files must be
# byte-equal and each manifest complete; two rounds, interleaved.
start_mock chaos --fault chaos=2 --seed 7
chaos_base=$base_url
out=$(mktemp -d)
export_secs() { # wall seconds of exporting every Kit purchase from $1 into $2
    /usr/bin/time -f "%e" env KIT_ACCESS_TOKEN=demo-kit-token \
        "$bin" list kit --base-url "$1" --format jsonl --output "$2" 2>&1 >/dev/null | tail -1
}
clean_times=() chaos_times=() exact=yes
for _ in 1 2; do
    clean_times+=("$(export_secs "$base" "$out/clean.jsonl")")
    chaos_times+=("$(export_secs "$chaos_base" "$out/chaos.jsonl")")
    cmp -s "$out/clean.jsonl" "$out/chaos.jsonl" || exact=no
    grep -q '"complete": *true' "$out/chaos.jsonl.manifest.json" || exact=no
    rm -f "$out"/*
done
rmdir "$out"
median2() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (a + b) / 2 }'; }
clean_s=$(median2 "${clean_times[@]}")
chaos_s=$(median2 "${chaos_times[@]}")
slower=$(awk -v a="$chaos_s" -v b="$clean_s" 'BEGIN { printf "%.2f", a / b }')
echo "| chaos: purchases list kit --output, 1,000,000 purchases | fault-free mock | ${clean_s} s |  1.00× |  |"
echo "| chaos: purchases list kit --output, 1,000,000 purchases | 2% chaos, seed 7; byte-equal output and complete manifest: ${exact} | ${chaos_s} s | ${slower}× | exact output |"

if $with_build; then
    secs() { /usr/bin/time -f "%e" "$@" 2>&1 >/dev/null | tail -1; }
    scratch=$(mktemp -d)
    # The README's first command in a fresh clone of the last commit, build included
    # (crates already downloaded: the network is not measured).
    git clone -q . "$scratch/clone"
    first=$(cd "$scratch/clone" && CARGO_TARGET_DIR="$scratch/clone/target" secs cargo run -q --features cli -- demo)
    rm -rf "$scratch/clone"
    clean=$(CARGO_TARGET_DIR="$scratch/crate" secs cargo build -q)
    # A consumer's fresh build against the same program written by hand, dev and release.
    consumer=$(scripts/consumer_build.sh "${BENCH_ROUNDS:-2}")
    cargo build -q
    touch specs/kit.yaml
    incremental=$(secs cargo build -q)
    rm -rf "$scratch"
    echo "| first run: fresh clone, \`cargo run --features cli -- demo\` | build and demo | ${first} s |  | < 180 s |"
    echo "| build (dev profile) | clean build of the crate | ${clean} s |  |  |"
    echo "$consumer"
    echo "| build (dev profile) | rebuild after touching specs/kit.yaml | ${incremental} s |  | ≤ 3 s |"
fi
