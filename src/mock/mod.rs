//! An embedded mock of every API on one loopback port (feature `mock`).
//!
//! Each API lives under its own prefix, so a client's base URL is
//! `http://127.0.0.1:PORT/<provider>` ([`MockServer::base_url`]). The mock serves the
//! documented samples plus a deterministic synthetic data set, pages the way each real API
//! does (with its limits), checks credentials ([`demo_credentials`]) and answers errors in
//! each API's own shape (each provider's file says how). It can inject [`Fault`]s, for every
//! request or, with an `x-mock-fault: NAME` request header, for one.
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! use futures::TryStreamExt;
//! use purchase_clients::mock::{demo_client, MockConfig, MockServer};
//! use purchase_clients::{ClientOptions, Provider};
//!
//! let mock = MockServer::start("127.0.0.1:0".parse().unwrap(), MockConfig::default()).await?;
//! let options = ClientOptions::default().base_url(mock.base_url(Provider::Kit));
//! let kit = demo_client(Provider::Kit, options).unwrap();
//! let all: Vec<_> = kit.purchases(None).try_collect().await.unwrap();
//! # Ok(())
//! # }
//! ```
//!
//! Records are built with the library's generated types, so the mock cannot serve what
//! the specs do not allow; amounts the specs give as numbers are written as JSON numbers
//! with every digit.

mod chaos;
pub(crate) mod data;
pub mod drift;
mod pager;
pub(crate) mod server;

pub use chaos::Chaos;
pub use data::DataSet;
pub use server::{Fault, MockConfig, MockServer, Shared};

/// The router each provider adds its routes to.
pub type Router = axum::Router<std::sync::Arc<Shared>>;

/// The credentials the mock accepts for `provider` (they are not secrets), in the order
/// the provider's client takes them.
pub fn demo_credentials(provider: crate::Provider) -> &'static [&'static str] {
    crate::with_api!(provider, A => A::MOCK.credentials)
}

/// The scope the mock's purchases of `provider` belong to, when its listing needs one
/// (Togai's account).
pub fn demo_scope(provider: crate::Provider) -> Option<&'static str> {
    crate::with_api!(provider, A => A::MOCK.scope)
}

/// For tests that serve a provider's pages from elsewhere (`wiremock`, say): the method and
/// the path (under the base URL) of its list operation, with the demo scope filled in for
/// an API listed by scope.
pub fn list_route(provider: crate::Provider) -> (String, String) {
    let operation = crate::providers::paging(provider).operation;
    let doc = crate::specs::normalized(provider).unwrap_or_default();
    for (template, item) in doc["paths"].as_object().into_iter().flatten() {
        for (method, op) in item.as_object().into_iter().flatten() {
            if op.get("operationId").and_then(serde_json::Value::as_str) == Some(operation) {
                let mut path = template.clone();
                if let (Some(s), Some(scope)) = (
                    crate::providers::paging(provider).scope,
                    demo_scope(provider),
                ) {
                    path = path.replace(&format!("{{{}}}", s.param), scope);
                }
                return (method.to_uppercase(), path);
            }
        }
    }
    panic!("{provider}: its spec has no operation {operation}")
}

/// A page of `provider`'s list operation as its API writes it (amounts as the spec types
/// them): the mock's synthetic records `records` (positions among 1000), and `next` as the
/// cursor to more where the API carries one (an API paged by offset goes on while a page is
/// full; one that continues after the last id, while `next` is given).
pub fn page_text(
    provider: crate::Provider,
    records: std::ops::Range<usize>,
    next: Option<&str>,
) -> String {
    use crate::paginate::ListOperation;
    let value = crate::with_api!(provider, A => {
        type L = <A as crate::providers::ProviderApi>::List;
        let items: Vec<<L as ListOperation>::Item> = records
            .map(|i| data::typed(provider.name(), (A::MOCK.synthetic)(i, 1000)))
            .collect();
        let page = <L as ListOperation>::page(items, next, &Default::default());
        serde_json::to_value(&page).expect("a generated type serializes")
    });
    wire_json(provider, &value)
}

/// The records of [`page_text`], as a client lists them.
pub fn page_purchases(
    provider: crate::Provider,
    records: std::ops::Range<usize>,
) -> Vec<crate::Purchase> {
    use crate::paginate::ListOperation;
    crate::with_api!(provider, A => {
        type L = <A as crate::providers::ProviderApi>::List;
        records
            .map(|i| {
                let item = data::typed(provider.name(), (A::MOCK.synthetic)(i, 1000));
                <L as ListOperation>::purchase(item, demo_scope(provider))
                    .expect("the mock's records normalize")
            })
            .collect()
    })
}

/// What the mock serves for `provider` and how it answers (the provider's description).
pub fn spec(provider: crate::Provider) -> crate::providers::MockSpec {
    crate::with_api!(provider, A => A::MOCK)
}

/// A client of `provider` for the mock at `base_url`, with the demo credentials.
pub fn demo_client(
    provider: crate::Provider,
    options: crate::ClientOptions,
) -> Result<crate::AnyClient, crate::Error> {
    let credentials: Vec<crate::Secret> = demo_credentials(provider)
        .iter()
        .map(|c| crate::Secret::new(*c))
        .collect();
    crate::AnyClient::with_credentials(provider, &credentials, demo_scope(provider), options)
}

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

/// The property names a provider's spec (as the client is generated from it, overlay
/// applied) types as `number`: the amounts.
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
    if let Ok(doc) = crate::specs::normalized(provider) {
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
}
