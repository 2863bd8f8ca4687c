//! Exact decoding of amounts into [`Decimal`].
//!
//! serde_json hands a number to a `Deserialize` impl as an `f64` (losing digits past the
//! 15th–17th) unless its `arbitrary_precision` feature is on, and that feature is global:
//! it changes serde_json for the whole program that links it. This module reads the
//! number's *text* instead, through serde_json's `RawValue` mechanism (feature
//! `raw_value`, which adds a type and changes nothing else), so every digit the server wrote
//! reaches the `Decimal`, with no side effect on the rest of the program.
//!
//! Every `Decimal` field of the generated types uses these functions (added by the code
//! generator). They accept a JSON number or a string holding a decimal (Subtotal writes its
//! totals as strings), and decimals serialize as strings.
//!
//! Where serde buffers input before decoding it (inside `#[serde(untagged)]` enums and
//! `#[serde(flatten)]`), the text is gone and the number arrives as an `f64`: such values are
//! exact to 15 significant digits. None of the generated types is decoded that way: CoCalc's
//! response, whose three shapes would form an untagged enum, has a hand-written one-pass
//! `Deserialize` (see `crate::cocalc`).

use rust_decimal::Decimal;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};
use std::fmt;
use std::str::FromStr;

/// serde_json's private name for its raw-value protocol (stable since serde_json 1.0.29).
const RAW_VALUE_TOKEN: &str = "$serde_json::private::RawValue";

/// Deserializes a `Decimal` from a JSON number or decimal string, keeping every digit.
pub fn exact<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
    deserializer.deserialize_newtype_struct(RAW_VALUE_TOKEN, DecimalVisitor)
}

/// [`exact`] for an optional field: `null` (or an absent field) is `None`.
pub fn exact_option<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Decimal>, D::Error> {
    Ok(Option::<Exact>::deserialize(deserializer)?.map(|e| e.0))
}

/// [`exact`] for every element of an array.
pub fn exact_vec<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<Decimal>, D::Error> {
    Ok(Vec::<Exact>::deserialize(deserializer)?
        .into_iter()
        .map(|e| e.0)
        .collect())
}

use serde::Deserialize;

/// A `Decimal` decoded with [`exact`].
struct Exact(Decimal);

impl<'de> Deserialize<'de> for Exact {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        exact(deserializer).map(Exact)
    }
}

/// Parses the text of a JSON number, or the content of a JSON string, as a `Decimal`,
/// refusing anything that would lose a digit.
pub fn parse_exact(text: &str) -> Result<Decimal, String> {
    let text = text.trim();
    if let Some(d) = parse_plain(text.as_bytes()) {
        return Ok(d);
    }
    let parsed = if text.contains(['e', 'E']) {
        Decimal::from_scientific(text)
    } else {
        Decimal::from_str_exact(text)
    };
    parsed.map_err(|e| format!("{text:?} is not an exact decimal amount: {e}"))
}

/// The common case, read directly: an optional `-`, digits, and optionally `.` and more
/// digits, 18 digits at most in all. `None` for anything else (the general parser then
/// decides). Gives the same value and scale as `Decimal::from_str_exact`.
fn parse_plain(b: &[u8]) -> Option<Decimal> {
    let (negative, digits) = match b {
        [b'-', rest @ ..] => (true, rest),
        _ => (false, b),
    };
    let (mut mantissa, mut count, mut scale, mut seen_point) = (0i64, 0u32, 0u32, false);
    for (i, &c) in digits.iter().enumerate() {
        match c {
            // 18 digits always fit an i64; a 19th could overflow it, so the general
            // parser takes those.
            b'0'..=b'9' if count < 18 => {
                mantissa = mantissa * 10 + i64::from(c - b'0');
                count += 1;
                scale += u32::from(seen_point);
            }
            b'.' if !seen_point && i > 0 && i + 1 < digits.len() => seen_point = true,
            _ => return None,
        }
    }
    if count == 0 || (negative && mantissa == 0) {
        return None;
    }
    Some(Decimal::new(
        if negative { -mantissa } else { mantissa },
        scale,
    ))
}

struct DecimalVisitor;

impl<'de> Visitor<'de> for DecimalVisitor {
    type Value = Decimal;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a decimal amount (a JSON number or a string holding a decimal)")
    }

    // serde_json's raw value: a one-entry map whose value is the JSON text.
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Decimal, A::Error> {
        match map.next_key::<RawKey>()? {
            Some(RawKey) => map.next_value_seed(RawText),
            None => Err(de::Error::invalid_type(de::Unexpected::Map, &self)),
        }
    }

    // Any other deserializer (buffered content, other formats) reaches these.
    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Decimal, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Decimal, E> {
        parse_exact(v).map_err(E::custom)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Decimal, E> {
        Ok(Decimal::from(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Decimal, E> {
        Ok(Decimal::from(v))
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Decimal, E> {
        Decimal::try_from_i128_with_scale(v, 0).map_err(E::custom)
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Decimal, E> {
        let v = i128::try_from(v).map_err(E::custom)?;
        self.visit_i128(v)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Decimal, E> {
        if !v.is_finite() {
            return Err(E::custom(format!("{v} is not a decimal amount")));
        }
        // The shortest text that reads back as the same f64: what the server most likely
        // wrote, as far as an f64 can tell.
        Decimal::from_str(&v.to_string())
            .or_else(|_| Decimal::from_scientific(&format!("{v:e}")))
            .map_err(|e| E::custom(format!("{v} is not a decimal amount: {e}")))
    }
}

/// The key of serde_json's raw-value map.
struct RawKey;

impl<'de> Deserialize<'de> for RawKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = RawKey;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a decimal amount")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawKey, E> {
                if v == RAW_VALUE_TOKEN {
                    Ok(RawKey)
                } else {
                    Err(E::invalid_type(de::Unexpected::Map, &self))
                }
            }
        }
        deserializer.deserialize_identifier(KeyVisitor)
    }
}

/// The JSON text of the value, parsed straight from the borrowed or owned string.
struct RawText;

impl<'de> DeserializeSeed<'de> for RawText {
    type Value = Decimal;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Decimal, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for RawText {
    type Value = Decimal;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("the JSON text of a decimal amount")
    }

    fn visit_str<E: de::Error>(self, raw: &str) -> Result<Decimal, E> {
        let raw = raw.trim();
        if raw.starts_with('"') {
            // A string without escapes is its own content.
            if let Some(inner) = raw
                .strip_prefix('"')
                .and_then(|r| r.strip_suffix('"'))
                .filter(|inner| !inner.contains(['\\', '"']))
            {
                return parse_exact(inner).map_err(E::custom);
            }
            let text: std::borrow::Cow<str> = serde_json::from_str(raw).map_err(E::custom)?;
            parse_exact(&text).map_err(E::custom)
        } else if raw.starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
            parse_exact(raw).map_err(E::custom)
        } else {
            let found = raw.chars().take(40).collect::<String>();
            Err(E::custom(format!(
                "expected a decimal amount (a JSON number or a string holding a decimal), found {found}"
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Row {
        #[serde(deserialize_with = "exact")]
        total: Decimal,
        #[serde(default, deserialize_with = "exact_option")]
        tax: Option<Decimal>,
        #[serde(default, deserialize_with = "exact_vec")]
        rates: Vec<Decimal>,
    }

    fn d(s: &str) -> Decimal {
        Decimal::from_str_exact(s).unwrap()
    }

    #[test]
    fn nineteen_significant_digits_decode_exactly() {
        let row: Row = serde_json::from_str(r#"{"total": 1234567890.123456789}"#).unwrap();
        assert_eq!(row.total.to_string(), "1234567890.123456789");
        let row: Row = serde_json::from_str(r#"{"total": 0.1234567890123456789}"#).unwrap();
        assert_eq!(row.total.to_string(), "0.1234567890123456789");
    }

    #[test]
    fn nineteen_nines_go_to_the_general_parser_without_overflow() {
        for text in [
            "9999999999999999999",
            "-999999999999999999.9",
            "99999999999999999.99",
        ] {
            assert_eq!(parse_exact(text), Ok(d(text)), "{text}");
        }
        assert_eq!(
            parse_plain(b"999999999999999999"),
            Some(d("999999999999999999"))
        );
        assert_eq!(parse_plain(b"9999999999999999999"), None);
    }

    #[test]
    fn trailing_zeros_are_kept() {
        let row: Row = serde_json::from_str(r#"{"total": 5.10}"#).unwrap();
        assert_eq!(row.total.to_string(), "5.10");
    }

    #[test]
    fn strings_and_numbers_both_decode() {
        let row: Row =
            serde_json::from_str(r#"{"total": "9.34", "tax": 1.05, "rates": [1, "2.50", 3e2]}"#)
                .unwrap();
        assert_eq!(row.total, d("9.34"));
        assert_eq!(row.tax, Some(d("1.05")));
        assert_eq!(row.rates, vec![d("1"), d("2.50"), d("300")]);
    }

    #[test]
    fn null_and_absent_options_are_none() {
        let row: Row = serde_json::from_str(r#"{"total": 1, "tax": null}"#).unwrap();
        assert_eq!(row.tax, None);
        let row: Row = serde_json::from_str(r#"{"total": 1}"#).unwrap();
        assert_eq!(row.tax, None);
    }

    #[test]
    fn reading_from_a_reader_and_from_a_value_is_exact_too() {
        let text = br#"{"total": 0.1234567890123456789, "tax": "0.01"}"#;
        let row: Row = serde_json::from_reader(&text[..]).unwrap();
        assert_eq!(row.total, d("0.1234567890123456789"));
        let value: serde_json::Value = serde_json::from_slice(text).unwrap();
        let row: Row = serde_json::from_value(value).unwrap();
        assert_eq!(row.tax, Some(d("0.01")));
    }

    #[test]
    fn non_amounts_are_errors_not_panics() {
        for body in [
            r#"{"total": "abc"}"#,
            r#"{"total": true}"#,
            r#"{"total": {"a": 1}}"#,
            r#"{"total": [1]}"#,
            r#"{"total": null}"#,
            r#"{"total": 1e400}"#,
            r#"{"total": 123456789012345678901234567890123}"#,
            r#"{"total": 0.12345678901234567890123456789012}"#,
        ] {
            let err = serde_json::from_str::<Row>(body).unwrap_err();
            assert!(!err.to_string().is_empty(), "{body}");
        }
    }

    #[test]
    fn buffered_content_falls_back_to_the_f64_value() {
        #[derive(Debug, Deserialize)]
        #[serde(untagged)]
        enum Either {
            Row(Row),
        }
        let Either::Row(row) =
            serde_json::from_str(r#"{"total": 81.53, "tax": "7.87", "rates": [0.05]}"#).unwrap();
        assert_eq!(row.total, d("81.53"));
        assert_eq!(row.tax, Some(d("7.87")));
        assert_eq!(row.rates, vec![d("0.05")]);
    }

    #[test]
    fn the_direct_reader_agrees_with_the_general_parser() {
        let mut texts: Vec<String> = [
            "0",
            "-1",
            "5.10",
            "0.000",
            "-0.5",
            "123456789012345678",
            "1234567890.12345678",
            "999999999999999999",
            "-999999999999999999",
            "1.",
            ".5",
            "-",
            "",
            "1..2",
            "1e3",
            "+1",
            "12a",
            "-0",
            "-0.00",
            "00012.30",
            "1234567890123456789",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        // A spread of lengths, scales and signs.
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..2000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let digits = (x % 10_u64.pow(1 + (x % 18) as u32)).to_string();
            let point = (x >> 40) as usize % (digits.len() + 1);
            let mut t = digits.clone();
            if point > 0 && point < digits.len() {
                t.insert(point, '.');
            }
            if x & 1 == 1 {
                t.insert(0, '-');
            }
            texts.push(t);
        }
        for t in &texts {
            let general = Decimal::from_str_exact(t).ok();
            let direct = parse_plain(t.as_bytes());
            if let Some(d) = direct {
                let g =
                    general.unwrap_or_else(|| panic!("{t:?}: only the direct reader accepts it"));
                assert_eq!(
                    (d, d.scale(), d.to_string()),
                    (g, g.scale(), g.to_string()),
                    "{t:?}"
                );
            }
            if !t.contains(['e', 'E']) {
                let exact = parse_exact(t).ok().map(|d| d.to_string());
                assert_eq!(exact, general.map(|d| d.to_string()), "{t:?}");
            }
        }
    }

    #[test]
    fn strings_with_escapes_still_decode() {
        let row: Row = serde_json::from_str(r#"{"total": "\u0039.34"}"#).unwrap();
        assert_eq!(row.total, d("9.34"));
    }

    #[test]
    fn decimals_serialize_as_strings() {
        assert_eq!(serde_json::to_string(&d("11.05")).unwrap(), r#""11.05""#);
    }
}
