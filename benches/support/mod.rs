//! An interleaved comparison harness.
//!
//! Variants measured one after another drift with the machine's speed, so every round runs
//! each variant once, in an order that rotates from round to round, and the report gives
//! per variant the median time and the median of its per-round ratio to the baseline (the
//! first variant). Rows are printed as Markdown table rows so `scripts/bench.sh` can gather
//! them into one table.

#![allow(dead_code)]

use std::time::{Duration, Instant};

/// One way of doing the work being compared.
pub struct Variant<'a> {
    name: String,
    run: Box<dyn FnMut() -> Duration + 'a>,
}

impl<'a> Variant<'a> {
    /// A variant whose `run` does the work once and returns how long it took.
    pub fn timed(name: impl Into<String>, run: impl FnMut() -> Duration + 'a) -> Self {
        Variant {
            name: name.into(),
            run: Box::new(run),
        }
    }

    /// A variant timed around `work`, repeated `reps` times per round (for work too short to
    /// time once); the time reported is per repetition.
    pub fn repeat(name: impl Into<String>, reps: u32, mut work: impl FnMut() + 'a) -> Self {
        Variant::timed(name, move || {
            let start = Instant::now();
            for _ in 0..reps {
                work();
            }
            start.elapsed() / reps
        })
    }
}

/// What one variant measured.
pub struct Row {
    /// The variant.
    pub name: String,
    /// Median time per round.
    pub median: Duration,
    /// Median of the per-round ratio to the baseline.
    pub ratio: f64,
}

/// Rounds from `BENCH_ROUNDS`, or `default`.
pub fn rounds(default: usize) -> usize {
    std::env::var("BENCH_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(default)
}

/// Whether the bench was asked to run only the groups whose name contains the first free
/// command-line argument (as `cargo bench -- FILTER` passes it).
pub fn selected(group: &str) -> bool {
    match std::env::args().skip(1).find(|a| !a.starts_with('-')) {
        Some(filter) => group.contains(&filter),
        None => true,
    }
}

/// Runs `variants` interleaved for `rounds` rounds (after `warmup` rounds not counted) and
/// prints one Markdown row per variant: group, variant, median time, median ratio to the
/// first variant, and `target` (a description of what the ratio must meet).
pub fn compare(
    group: &str,
    target: &[(&str, &str)],
    mut variants: Vec<Variant<'_>>,
    warmup: usize,
    rounds: usize,
) -> Vec<Row> {
    let n = variants.len();
    let mut times: Vec<Vec<Duration>> = vec![Vec::with_capacity(rounds); n];
    for round in 0..warmup + rounds {
        let mut this_round = vec![Duration::ZERO; n];
        for k in 0..n {
            let i = (round + k) % n;
            this_round[i] = (variants[i].run)();
        }
        if round >= warmup {
            for (i, t) in this_round.into_iter().enumerate() {
                times[i].push(t);
            }
        }
    }
    let baseline = times[0].clone();
    let rows: Vec<Row> = variants
        .iter()
        .zip(&times)
        .map(|(v, t)| {
            let ratios: Vec<f64> = t
                .iter()
                .zip(&baseline)
                .map(|(a, b)| a.as_secs_f64() / b.as_secs_f64().max(1e-12))
                .collect();
            Row {
                name: v.name.clone(),
                median: median_duration(t),
                ratio: median_f64(ratios),
            }
        })
        .collect();
    for row in &rows {
        let goal = target
            .iter()
            .find(|(name, _)| *name == row.name)
            .map(|(_, goal)| *goal)
            .unwrap_or("");
        println!(
            "| {group} | {} | {} | {:.2}× | {goal} |",
            row.name,
            human(row.median),
            row.ratio
        );
    }
    rows
}

fn median_duration(v: &[Duration]) -> Duration {
    let mut v = v.to_vec();
    v.sort();
    if v.is_empty() {
        return Duration::ZERO;
    }
    let m = v.len() / 2;
    if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2
    }
}

fn median_f64(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        return f64::NAN;
    }
    let m = v.len() / 2;
    if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2.0
    }
}

/// A duration with a unit that keeps three significant figures or so.
pub fn human(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s >= 1.0 {
        format!("{s:.2} s")
    } else if s >= 1e-3 {
        format!("{:.2} ms", s * 1e3)
    } else {
        format!("{:.1} µs", s * 1e6)
    }
}
