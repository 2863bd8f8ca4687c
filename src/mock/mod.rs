//! An embedded mock of all four APIs on one loopback port (feature `mock`).
//!
//! Each API lives under its own prefix, so a client's base URL is
//! `http://127.0.0.1:PORT/cocalc`, `/subtotal`, `/togai` or `/kit`. The mock serves the
//! documented samples plus a deterministic synthetic data set, pages the way each real API
//! does (with its limits), checks credentials ([`DEMO_CREDENTIALS`]) and answers errors in
//! each API's own shape: CoCalc with HTTP 200 and `{"error"}`, Subtotal 422 on a bad
//! `limit`, Kit 401 `{"errors"}`, Togai `{"message"}`. It can inject [`Fault`]s, for every
//! request or, with an `x-mock-fault: NAME` request header, for one.
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! use purchase_clients::mock::{MockConfig, MockServer, DEMO_CREDENTIALS};
//! use purchase_clients::{ClientOptions, KitClient, Provider};
//!
//! let mock = MockServer::start("127.0.0.1:0".parse().unwrap(), MockConfig::default()).await?;
//! let options = ClientOptions::default().base_url(mock.base_url(Provider::Kit));
//! let kit = KitClient::with_options(DEMO_CREDENTIALS.kit_access_token, options).unwrap();
//! # Ok(())
//! # }
//! ```
//!
//! Records are built with the library's generated types, so the mock cannot serve what
//! the specs do not allow; amounts the specs give as numbers are written as JSON numbers
//! with every digit.

mod data;
mod server;

pub use data::DataSet;
pub use server::{Fault, MockConfig, MockServer};

/// The credentials the mock accepts.
#[derive(Debug, Clone, Copy)]
pub struct DemoCredentials {
    /// CoCalc API key.
    pub cocalc_api_key: &'static str,
    /// Subtotal API key.
    pub subtotal_api_key: &'static str,
    /// Subtotal connection token.
    pub subtotal_connection_token: &'static str,
    /// Togai API token.
    pub togai_api_token: &'static str,
    /// Kit access token.
    pub kit_access_token: &'static str,
}

/// The credentials the mock accepts (they are not secrets).
pub const DEMO_CREDENTIALS: DemoCredentials = DemoCredentials {
    cocalc_api_key: "demo-cocalc-key",
    subtotal_api_key: "demo-subtotal-key",
    subtotal_connection_token: "demo-subtotal-token",
    togai_api_token: "demo-togai-token",
    kit_access_token: "demo-kit-token",
};

/// Writes `value` (a response body built from the generated types, whose decimals
/// serialize as strings) as `provider`'s server writes it: the amounts its spec types as
/// `number` become JSON numbers, digit for digit. What the mock sends; also how tests and
/// benchmarks build realistic bodies.
pub fn wire_json(provider: crate::Provider, value: &serde_json::Value) -> String {
    to_json_with_amounts(value, &amount_keys(provider))
}

/// Writes `value` as JSON, with the string values of `amount_keys` written as the JSON
/// numbers they hold, digit for digit.
pub(crate) fn to_json_with_amounts(value: &serde_json::Value, amount_keys: &[String]) -> String {
    fn write(v: &serde_json::Value, keys: &[String], as_number: bool, out: &mut String) {
        use serde_json::Value;
        match v {
            Value::String(s) if as_number && crate::decimal::parse_exact(s).is_ok() => {
                out.push_str(s)
            }
            Value::Object(o) => {
                out.push('{');
                for (i, (k, child)) in o.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&serde_json::to_string(k).expect("a string serializes"));
                    out.push(':');
                    write(child, keys, keys.iter().any(|a| a == k), out);
                }
                out.push('}');
            }
            Value::Array(a) => {
                out.push('[');
                for (i, child) in a.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write(child, keys, as_number, out);
                }
                out.push(']');
            }
            other => out.push_str(&serde_json::to_string(other).expect("a value serializes")),
        }
    }
    let mut out = String::new();
    write(value, amount_keys, false, &mut out);
    out
}

/// The property names a provider's documented spec types as `number`: the amounts.
pub(crate) fn amount_keys(provider: crate::Provider) -> Vec<String> {
    fn walk(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(o) => {
                if let Some(props) = o.get("properties").and_then(|p| p.as_object()) {
                    for (name, schema) in props {
                        if schema.get("type").and_then(|t| t.as_str()) == Some("number")
                            && !out.contains(name)
                        {
                            out.push(name.clone());
                        }
                    }
                }
                for (k, child) in o {
                    if k != "example" {
                        walk(child, out);
                    }
                }
            }
            serde_json::Value::Array(a) => a.iter().for_each(|c| walk(c, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    if let Ok(doc) = crate::specs::documented(provider) {
        walk(&doc, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn amounts_are_written_as_numbers_with_every_digit() {
        let v = json!({"total": "1234567890.123456789", "id": "42", "items": [{"total": "0.05"}], "name": "5"});
        let keys = vec!["total".to_string()];
        assert_eq!(
            to_json_with_amounts(&v, &keys),
            r#"{"total":1234567890.123456789,"id":"42","items":[{"total":0.05}],"name":"5"}"#
        );
    }

    #[test]
    fn the_amount_keys_come_from_the_specs() {
        let kit = amount_keys(crate::Provider::Kit);
        for k in ["subtotal", "discount", "tax", "total", "unit_price"] {
            assert!(kit.contains(&k.to_string()), "{kit:?}");
        }
        assert!(
            amount_keys(crate::Provider::Subtotal).is_empty(),
            "Subtotal totals are strings"
        );
        assert!(amount_keys(crate::Provider::CoCalc).contains(&"cost".to_string()));
    }
}
