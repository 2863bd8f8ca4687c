//! Fast decoding and writing of RFC 3339 timestamps as `DateTime<Utc>`.
//!
//! chrono's own `Deserialize` runs its general format parser on every timestamp, which made
//! the timestamps a page carries cost more than the rest of the page. The generated types'
//! `DateTime<Utc>` fields use these functions instead (added by the code generator): the
//! common shape `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)` is read directly; anything else
//! goes to chrono's parser, so exactly the same texts are accepted, with the same result.
//!
//! [`serialize`] writes a time back as chrono's `Serialize` does, character for character,
//! without going through `Display` (`Purchase::time` is written this way).

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, TimeDelta, Timelike, Utc};
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use std::fmt;

/// Deserializes a `DateTime<Utc>` from an RFC 3339 string.
pub fn rfc3339<'de, D: Deserializer<'de>>(deserializer: D) -> Result<DateTime<Utc>, D::Error> {
    deserializer.deserialize_str(DateTimeVisitor)
}

/// [`rfc3339`] for an optional field: `null` (or an absent field) is `None`.
pub fn rfc3339_option<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<DateTime<Utc>>, D::Error> {
    Ok(Option::<Timestamp>::deserialize(deserializer)?.map(|t| t.0))
}

/// Serializes a `DateTime<Utc>` exactly as chrono's `Serialize` does (RFC 3339 with `Z`, and
/// a fraction of 3, 6 or 9 digits when there is one), written into a buffer at once rather
/// than through `Display` a character at a time. Years outside 0000–9999 go to chrono.
pub fn serialize<S: Serializer>(time: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
    let mut buf = [0u8; 30];
    match rfc3339_text(time, &mut buf) {
        Some(text) => serializer.serialize_str(text),
        None => time.serialize(serializer),
    }
}

/// [`serialize`] for an optional time: `None` is `null`.
pub fn serialize_option<S: Serializer>(
    time: &Option<DateTime<Utc>>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match time {
        Some(time) => serialize(time, serializer),
        None => serializer.serialize_none(),
    }
}

/// The text chrono's `Serialize` writes for `time`, in `buf`; `None` for a year outside
/// 0000–9999 (chrono writes those with a sign).
fn rfc3339_text<'b>(time: &DateTime<Utc>, buf: &'b mut [u8; 30]) -> Option<&'b str> {
    let year = u32::try_from(time.year()).ok().filter(|y| *y <= 9999)?;
    // A leap second is kept as a nanosecond count past 1e9: chrono writes it as second 60.
    let (mut second, mut nano) = (time.second(), time.nanosecond());
    if nano >= 1_000_000_000 {
        second += 1;
        nano -= 1_000_000_000;
    }
    let mut two = |at: usize, value: u32| {
        buf[at] = b'0' + (value / 10) as u8;
        buf[at + 1] = b'0' + (value % 10) as u8;
    };
    two(0, year / 100);
    two(2, year % 100);
    two(5, time.month());
    two(8, time.day());
    two(11, time.hour());
    two(14, time.minute());
    two(17, second);
    for (at, c) in [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':')] {
        buf[at] = c;
    }
    let (digits, mut value) = match nano {
        0 => (0, 0),
        n if n % 1_000_000 == 0 => (3, n / 1_000_000),
        n if n % 1_000 == 0 => (6, n / 1_000),
        n => (9, n),
    };
    let mut len = 19;
    if digits > 0 {
        buf[len] = b'.';
        for at in (len + 1..=len + digits).rev() {
            buf[at] = b'0' + (value % 10) as u8;
            value /= 10;
        }
        len += 1 + digits;
    }
    buf[len] = b'Z';
    std::str::from_utf8(&buf[..=len]).ok()
}

struct Timestamp(DateTime<Utc>);

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        rfc3339(deserializer).map(Timestamp)
    }
}

struct DateTimeVisitor;

impl Visitor<'_> for DateTimeVisitor {
    type Value = DateTime<Utc>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an RFC 3339 date-time string")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<DateTime<Utc>, E> {
        parse(v).map_err(E::custom)
    }
}

/// Parses an RFC 3339 date-time as chrono's `DateTime<Utc>` deserializer does, and refuses
/// one whose UTC form falls outside the years 0000–9999 ([`check_range`]).
pub fn parse(text: &str) -> Result<DateTime<Utc>, String> {
    let shown = || crate::redact::truncate(&crate::redact::escape_controls(text), 64);
    let time = match fast(text.as_bytes()) {
        Some(t) => t,
        None => text
            .parse::<DateTime<FixedOffset>>()
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| format!("{:?} is not an RFC 3339 date-time: {e}", shown()))?,
    };
    check_range(time).map_err(|e| format!("{:?}: {e}", shown()))
}

/// Refuses a time outside the years 0000–9999: RFC 3339 has four-digit years, so such a
/// time (`9999-12-31T23:59:59-23:59` is in the year 10000 in UTC) cannot be written back.
pub fn check_range(time: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    use chrono::Datelike;
    if (0..=9999).contains(&time.year()) {
        Ok(time)
    } else {
        Err(format!(
            "in UTC it falls in the year {}, outside the years 0000-9999 RFC 3339 can write",
            time.year()
        ))
    }
}

/// The common shape, or `None` for anything else (chrono then decides).
fn fast(b: &[u8]) -> Option<DateTime<Utc>> {
    fn num(b: &[u8]) -> Option<u32> {
        b.iter().try_fold(0u32, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    }
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(num(&b[0..4])? as i32, num(&b[5..7])?, num(&b[8..10])?)?;
    let (hour, minute, second) = (num(&b[11..13])?, num(&b[14..16])?, num(&b[17..19])?);
    let mut i = 19;
    let mut nano = 0;
    if b[i] == b'.' {
        let digits = b[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 || digits > 9 {
            return None;
        }
        nano = num(&b[i + 1..i + 1 + digits])? * 10u32.pow(9 - digits as u32);
        i += 1 + digits;
    }
    let offset = match &b[i..] {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let (h, m) = (num(&[*h1, *h2])?, num(&[*m1, *m2])?);
            if h > 23 || m > 59 {
                return None;
            }
            let secs = i64::from(h * 3600 + m * 60);
            if *sign == b'-' {
                -secs
            } else {
                secs
            }
        }
        _ => return None,
    };
    // Leap seconds (`:60`) and the like are left to chrono.
    let local = date.and_hms_nano_opt(hour, minute, second, nano)?;
    let utc = local.checked_sub_signed(TimeDelta::seconds(offset))?;
    Some(utc.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chrono(text: &str) -> Option<DateTime<Utc>> {
        serde_json::from_value::<DateTime<Utc>>(serde_json::Value::String(text.into())).ok()
    }

    #[test]
    fn every_text_gives_what_chrono_gives() {
        for text in [
            "2024-02-29T23:59:59Z",
            "2024-02-29T23:59:59.5Z",
            "2024-02-29T23:59:59.123456789Z",
            "2024-02-29T23:59:59.1234567891Z",
            "2023-08-10T09:16:04.000+02:00",
            "2023-08-10T00:16:04-07:30",
            "2023-08-10T00:16:04-00:00",
            "2023-08-10t00:16:04z",
            "2023-08-10 00:16:04Z",
            "2016-12-31T23:59:60Z",
            "2023-02-29T00:00:00Z",
            "2023-13-01T00:00:00Z",
            "2023-01-01T24:00:00Z",
            "2023-01-01T00:00:00+24:00",
            "2023-01-01T00:00:00.Z",
            "2023-01-01T00:00:00",
            "2023-01-01",
            "2023-01-01T00:00:00Zjunk",
            "２023-01-01T00:00:00Z",
            "",
            "0000-01-01T00:00:00+01:00",
        ] {
            let expected = chrono(text).filter(|t| check_range(*t).is_ok());
            assert_eq!(parse(text).ok(), expected, "{text:?}");
        }
    }

    #[test]
    fn times_are_written_exactly_as_chrono_writes_them() {
        use chrono::{NaiveDate, NaiveTime};
        #[derive(Serialize)]
        struct Ours(#[serde(serialize_with = "serialize")] DateTime<Utc>);
        let mut times = Vec::new();
        // Every fraction form (none, 3, 6 and 9 digits, and a leap second), over many days.
        let mut day = NaiveDate::from_ymd_opt(0, 1, 1).unwrap();
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        while day.year() <= 9999 {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let secs = (seed >> 20) as u32 % 86_400;
            let nano = match seed % 5 {
                0 => 0,
                1 => (seed >> 8) as u32 % 1000 * 1_000_000,
                2 => (seed >> 8) as u32 % 1_000_000 * 1_000,
                3 => (seed >> 8) as u32 % 1_000_000_000,
                _ => 1_000_000_000 + (seed >> 8) as u32 % 1000 * 1_000_000,
            };
            let time = if nano >= 1_000_000_000 {
                NaiveTime::from_hms_nano_opt(23, 59, 59, nano).unwrap()
            } else {
                NaiveTime::from_num_seconds_from_midnight_opt(secs, nano).unwrap()
            };
            times.push(day.and_time(time).and_utc());
            day += TimeDelta::days(1 + (seed % 13) as i64);
        }
        times.extend(
            ["0000-01-01T00:00:00Z", "9999-12-31T23:59:59.999999999Z"]
                .map(|t| t.parse::<DateTime<Utc>>().unwrap()),
        );
        // Years chrono writes with a sign are left to chrono.
        times.push(
            NaiveDate::from_ymd_opt(10_000, 1, 1)
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap()
                .and_utc(),
        );
        times.push(
            NaiveDate::from_ymd_opt(-1, 12, 31)
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap()
                .and_utc(),
        );
        assert!(times.len() > 500);
        for time in times {
            let chrono = serde_json::to_string(&time).unwrap();
            assert_eq!(serde_json::to_string(&Ours(time)).unwrap(), chrono);
        }
    }

    #[test]
    fn times_outside_four_digit_years_in_utc_are_refused() {
        for text in ["9999-12-31T23:59:59-23:59", "0000-01-01T00:00:00+01:00"] {
            let err = parse(text).unwrap_err();
            assert!(err.contains(text) && err.contains("0000-9999"), "{err}");
        }
        assert!(parse("9999-12-31T23:59:59Z").is_ok());
        assert!(parse("0000-01-01T00:00:00Z").is_ok());
    }

    #[test]
    fn the_fast_path_takes_the_common_shapes() {
        assert!(fast(b"2024-02-29T23:59:59Z").is_some());
        assert!(fast(b"2023-08-10T09:16:04.000+02:00").is_some());
        assert!(fast(b"2023-08-10 00:16:04Z").is_none(), "chrono decides");
    }

    #[test]
    fn fields_decode_and_errors_are_not_panics() {
        #[derive(Deserialize, Debug)]
        struct Row {
            #[serde(deserialize_with = "rfc3339")]
            at: DateTime<Utc>,
            #[serde(default, deserialize_with = "rfc3339_option")]
            until: Option<DateTime<Utc>>,
        }
        let row: Row = serde_json::from_str(r#"{"at": "2024-01-02T03:04:05+01:00"}"#).unwrap();
        assert_eq!(row.at.to_rfc3339(), "2024-01-02T02:04:05+00:00");
        assert_eq!(row.until, None);
        let row: Row =
            serde_json::from_str(r#"{"at": "2024-01-02T03:04:05Z", "until": null}"#).unwrap();
        assert_eq!(row.until, None);
        for bad in [
            r#"{"at": 5}"#,
            r#"{"at": "yesterday"}"#,
            r#"{"at": "2024-01-02T03:04:05Z", "until": []}"#,
        ] {
            assert!(serde_json::from_str::<Row>(bad).is_err(), "{bad}");
        }
    }
}
