//! Synthetic records for the embedded mock: deterministic amounts, times and currencies
//! each provider's description builds its records from.

/// An amount for record `i`: cents most of the time, and every 37th one with 19
/// significant digits, to show that no digit is lost on the way.
pub fn amount(i: usize) -> String {
    if i % 37 == 36 {
        format!("{}.{:015}", 1000 + i % 9000, 123_456_789_012_345u64)
    } else {
        let cents = (i * 7919 + 1234) % 100_000;
        format!("{}.{:02}", cents / 100, cents % 100)
    }
}

/// A timestamp `i` hours before 2024-06-01, so that record 0 is the newest.
pub fn time(i: usize) -> String {
    let base = chrono::DateTime::parse_from_rfc3339("2024-06-01T00:00:00Z").expect("a valid date");
    (base - chrono::Duration::hours(i as i64))
        .to_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The currencies synthetic records rotate through.
pub const CURRENCIES: [&str; 3] = ["USD", "EUR", "GBP"];
