//! JSON read and written without losing a digit or reordering a key.
//!
//! `serde_json::Value` keeps numbers as `f64` (without the crate-wide `arbitrary_precision`
//! feature, which this crate refuses to force on its users), so a 19-digit amount read into
//! one comes back different. [`Json`] keeps every number as the text it was written as, and
//! object keys in their order. It is the type of every free-form value in the generated
//! types (a schema without a type, an object without properties: CoCalc's purchase
//! `description`, Togai's `rateCardQuantities` and rate configs), so a number a server
//! sends inside one is written back digit for digit; the mock's drift mode and the replay
//! checker read bodies with it too.
//!
//! ```
//! use purchase_clients::lossless::Json;
//!
//! let v: Json = serde_json::from_str(r#"{"cost": 111111101111.18111, "n": 1e400}"#).unwrap();
//! assert_eq!(v.get("cost").and_then(Json::as_number), Some("111111101111.18111"));
//! assert_eq!(serde_json::to_string(&v).unwrap(), r#"{"cost":111111101111.18111,"n":1e400}"#);
//! ```

use serde::de::{Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde_json::value::RawValue;
use std::fmt;

/// A JSON value whose numbers are their text.
///
/// Equality is by text: `1.0` and `1` are different numbers here (compare them with
/// [`crate::decimal::parse_exact`] where the value is what matters).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Json {
    /// `null`.
    #[default]
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

    /// The value at `key`, if this is an object that has it.
    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The number's text, if this is a number.
    pub fn as_number(&self) -> Option<&str> {
        match self {
            Json::Number(n) => Some(n),
            _ => None,
        }
    }

    /// The string, if this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(s) => Some(s),
            _ => None,
        }
    }

    /// Whether this is `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Json::Null)
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

    /// The value as a `serde_json::Value`, for a schema validator: a number as the nearest
    /// value `serde_json` holds — an integer within 64 bits exactly, any other number as
    /// the nearest `f64`, one beyond `f64`'s range as the largest `f64` of its sign (so a
    /// bound it exceeds is still exceeded) — never `null` for a number the JSON grammar
    /// allows. Digits are compared elsewhere, by text.
    pub fn to_value(&self) -> serde_json::Value {
        use serde_json::Value;
        match self {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Bool(*b),
            Json::Number(n) => Value::Number(nearest_number(n)),
            Json::String(s) => Value::String(s.clone()),
            Json::Array(items) => Value::Array(items.iter().map(Json::to_value).collect()),
            Json::Object(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_value()))
                    .collect(),
            ),
        }
    }
}

/// The `serde_json::Number` nearest to the JSON number `text` (see [`Json::to_value`]).
fn nearest_number(text: &str) -> serde_json::Number {
    if let Ok(n) = text.parse::<u64>() {
        return n.into();
    }
    if let Ok(n) = text.parse::<i64>() {
        return n.into();
    }
    let f: f64 = text.parse().unwrap_or(0.0);
    let f = if f.is_infinite() {
        f64::MAX.copysign(f)
    } else {
        f
    };
    serde_json::Number::from_f64(f).unwrap_or_else(|| 0.into())
}

impl fmt::Display for Json {
    /// The JSON text, numbers as they were read.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_text())
    }
}

/// The name `serde_json` gives a raw JSON value in the serde data model: a deserializer
/// from `serde_json` hands such a value over as its text, and a serializer writes it as is.
const RAW_TOKEN: &str = "$serde_json::private::RawValue";

impl serde::Serialize for Json {
    /// Numbers are written as their text through `serde_json`'s raw values: digit for digit
    /// with `serde_json::to_string`/`to_writer` (into a `serde_json::Value` they become the
    /// nearest `f64`, and a number beyond `f64`'s range fails).
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Json::Null => s.serialize_unit(),
            Json::Bool(b) => s.serialize_bool(*b),
            Json::Number(n) => {
                let raw = RawValue::from_string(n.clone()).map_err(serde::ser::Error::custom)?;
                raw.serialize(s)
            }
            Json::String(text) => s.serialize_str(text),
            Json::Array(items) => s.collect_seq(items),
            Json::Object(entries) => {
                let mut map = s.serialize_map(Some(entries.len()))?;
                for (k, v) in entries {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

impl<'de> serde::Deserialize<'de> for Json {
    /// From `serde_json` (text, reader or `Value`) every number keeps its text. From a
    /// deserializer that has already read numbers into binary (serde's buffered content,
    /// another format), they are the text of what it holds.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Json, D::Error> {
        d.deserialize_newtype_struct(RAW_TOKEN, JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Json, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }
    fn visit_none<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Json, D::Error> {
        serde::Deserialize::deserialize(d)
    }
    fn visit_bool<E>(self, b: bool) -> Result<Json, E> {
        Ok(Json::Bool(b))
    }
    fn visit_i64<E>(self, n: i64) -> Result<Json, E> {
        Ok(Json::Number(n.to_string()))
    }
    fn visit_u64<E>(self, n: u64) -> Result<Json, E> {
        Ok(Json::Number(n.to_string()))
    }
    fn visit_f64<E: serde::de::Error>(self, n: f64) -> Result<Json, E> {
        match serde_json::Number::from_f64(n) {
            Some(n) => Ok(Json::Number(n.to_string())),
            None => Err(E::custom(format!("{n} is not a JSON number"))),
        }
    }
    fn visit_str<E>(self, s: &str) -> Result<Json, E> {
        Ok(Json::String(s.to_string()))
    }
    fn visit_string<E>(self, s: String) -> Result<Json, E> {
        Ok(Json::String(s))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut entries = Vec::new();
        let Some(first) = map.next_key::<String>()? else {
            return Ok(Json::Object(entries));
        };
        if first == RAW_TOKEN {
            // serde_json handing over the value's text.
            let raw: String = map.next_value()?;
            return Json::parse(&raw).map_err(serde::de::Error::custom);
        }
        entries.push((first, map.next_value()?));
        while let Some((k, v)) = map.next_entry()? {
            entries.push((k, v));
        }
        Ok(Json::Object(entries))
    }
}

/// A free-form JSON object (the generated type of an object schema without properties):
/// its entries in order, every number as its text.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct JsonObject(pub Vec<(String, Json)>);

impl JsonObject {
    /// Whether it has no entries.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// How many entries it has.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The value at `key`.
    pub fn get(&self, key: &str) -> Option<&Json> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// The entries, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Json)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }
}

impl From<JsonObject> for Json {
    fn from(o: JsonObject) -> Json {
        Json::Object(o.0)
    }
}

impl serde::Serialize for JsonObject {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl<'de> serde::Deserialize<'de> for JsonObject {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<JsonObject, D::Error> {
        match <Json as serde::Deserialize>::deserialize(d)? {
            Json::Object(entries) => Ok(JsonObject(entries)),
            other => Err(serde::de::Error::custom(format!(
                "expected a JSON object, found {}",
                crate::redact::truncate(&other.to_text(), 60)
            ))),
        }
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
