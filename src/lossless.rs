//! JSON read and written without losing a digit or reordering a key.
//!
//! `serde_json::Value` keeps numbers as `f64` (without the crate-wide `arbitrary_precision`
//! feature, which this crate refuses to force on its users), so a 19-digit amount read into
//! one comes back different. [`Json`] keeps every number as the text it was written as, and
//! object keys in their order: what the mock's drift mode rewrites and what replayed
//! replies are compared with.

use serde::de::{Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

/// A JSON value whose numbers are their text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Json {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, exactly as written.
    Number(String),
    /// A string.
    String(String),
    /// An array.
    Array(Vec<Json>),
    /// An object, keys in their order.
    Object(Vec<(String, Json)>),
}

impl Json {
    /// Parses JSON text.
    pub fn parse(text: &str) -> Result<Json, String> {
        let raw: &RawValue = serde_json::from_str(text).map_err(|e| e.to_string())?;
        Self::from_raw(raw)
    }

    fn from_raw(raw: &RawValue) -> Result<Json, String> {
        let text = raw.get();
        let err = |e: serde_json::Error| e.to_string();
        Ok(match text.as_bytes().first() {
            Some(b'{') => {
                let Entries(entries) = serde_json::from_str(text).map_err(err)?;
                Json::Object(
                    entries
                        .into_iter()
                        .map(|(k, v)| Ok((k, Self::from_raw(v)?)))
                        .collect::<Result<_, String>>()?,
                )
            }
            Some(b'[') => {
                let items: Vec<&RawValue> = serde_json::from_str(text).map_err(err)?;
                Json::Array(
                    items
                        .into_iter()
                        .map(Self::from_raw)
                        .collect::<Result<_, _>>()?,
                )
            }
            Some(b'"') => Json::String(serde_json::from_str(text).map_err(err)?),
            Some(b't') => Json::Bool(true),
            Some(b'f') => Json::Bool(false),
            Some(b'n') => Json::Null,
            _ => Json::Number(text.to_string()),
        })
    }

    /// The JSON text, numbers as they were read.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut String) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Number(n) => out.push_str(n),
            Json::String(s) => out.push_str(&quote(s)),
            Json::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write(out);
                }
                out.push(']');
            }
            Json::Object(entries) => {
                out.push('{');
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&quote(k));
                    out.push(':');
                    v.write(out);
                }
                out.push('}');
            }
        }
    }

    /// The value as a `serde_json::Value` (numbers as close as `f64` gets): for schema
    /// validation, where a digit does not matter.
    #[cfg(feature = "conform")]
    pub fn to_value(&self) -> serde_json::Value {
        serde_json::from_str(&self.to_text()).unwrap_or(serde_json::Value::Null)
    }
}

fn quote(s: &str) -> String {
    serde_json::to_string(s).expect("a string serializes")
}

/// An object's entries in order, each value still raw.
struct Entries<'a>(Vec<(String, &'a RawValue)>);

impl<'de: 'a, 'a> serde::Deserialize<'de> for Entries<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Entries<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entries<'a>, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, &'de RawValue>()? {
                    out.push((k, v));
                }
                Ok(Entries(out))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<Entries<'a>, A::Error> {
                Err(serde::de::Error::custom(
                    "an array where an object was expected",
                ))
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_key_order_survive() {
        let text =
            r#"{"z":1234567890.1234567890123,"a":[1e400,-0.0,"x\u00e9\n"],"n":null,"t":true}"#;
        let json = Json::parse(text).unwrap();
        let Json::Object(entries) = &json else {
            panic!("an object")
        };
        assert_eq!(
            entries[0],
            ("z".into(), Json::Number("1234567890.1234567890123".into()))
        );
        assert_eq!(
            json.to_text(),
            r#"{"z":1234567890.1234567890123,"a":[1e400,-0.0,"xé\n"],"n":null,"t":true}"#
        );
    }

    #[test]
    fn bad_json_is_an_error() {
        for text in ["{", "[1,]", "{\"a\" 1}", "nul", ""] {
            assert!(Json::parse(text).is_err(), "{text}");
        }
    }
}
