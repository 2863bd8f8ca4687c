//! The mock's data: for each provider, its documented samples followed by a deterministic
//! synthetic set (each provider's file builds its own with the helpers here).
//!
//! Every record is decoded into the library's generated type before it is served, so a
//! record the spec does not allow fails at start-up instead of being served.

use crate::providers::ProviderApi;
use crate::Provider;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::any::Any;
use std::collections::BTreeMap;

/// Everything the mock serves, per provider.
pub struct DataSet {
    data: BTreeMap<Provider, Box<dyn Any + Send + Sync>>,
    listed: BTreeMap<Provider, usize>,
}

impl std::fmt::Debug for DataSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.listed.iter()).finish()
    }
}

impl DataSet {
    /// The documented samples followed by `count` synthetic records per provider.
    pub fn generate(count: usize) -> Self {
        let mut data: BTreeMap<Provider, Box<dyn Any + Send + Sync>> = BTreeMap::new();
        let mut listed = BTreeMap::new();
        for p in Provider::ALL {
            crate::with_api!(*p, A => {
                let d = A::mock_data(count);
                listed.insert(*p, A::mock_listed(&d));
                data.insert(*p, Box::new(d));
            });
        }
        DataSet { data, listed }
    }

    /// What the mock serves for `A`.
    pub fn get<A: ProviderApi>(&self) -> &A::MockData {
        self.data
            .get(&A::PROVIDER)
            .and_then(|d| d.downcast_ref::<A::MockData>())
            .expect("every provider's data is generated")
    }

    /// How many purchases a full listing of `provider` gives.
    pub fn listed(&self, provider: Provider) -> usize {
        self.listed.get(&provider).copied().unwrap_or(0)
    }
}

/// Decodes a record into a generated type, or fails naming it.
pub(crate) fn typed<T: DeserializeOwned>(what: &str, v: Value) -> T {
    serde_json::from_value(v)
        .unwrap_or_else(|e| panic!("the mock's {what} record does not fit the generated type: {e}"))
}

/// The value at `pointer` in `provider`'s normalized spec (a documented sample), or null.
pub(crate) fn sample(provider: Provider, pointer: &str) -> Value {
    crate::specs::normalized(provider)
        .ok()
        .and_then(|doc| doc.pointer(pointer).cloned())
        .unwrap_or(Value::Null)
}

/// The documented sample records at `pointer` (an array) in `provider`'s normalized spec,
/// each decoded into the generated type; none if the spec has no sample there.
pub(crate) fn sample_rows<T: DeserializeOwned>(provider: Provider, pointer: &str) -> Vec<T> {
    match sample(provider, pointer) {
        Value::Array(rows) => rows
            .into_iter()
            .map(|r| typed(provider.name(), r))
            .collect(),
        _ => Vec::new(),
    }
}

/// An amount for record `i`: cents most of the time, and every 37th one with 19
/// significant digits, to show that no digit is lost on the way.
pub(crate) fn amount(i: usize) -> String {
    if i % 37 == 36 {
        format!("{}.{:015}", 1000 + i % 9000, 123_456_789_012_345u64)
    } else {
        let cents = (i * 7919 + 1234) % 100_000;
        format!("{}.{:02}", cents / 100, cents % 100)
    }
}

/// A timestamp `i` hours before 2024-06-01, so that record 0 is the newest.
pub(crate) fn time(i: usize) -> String {
    let base = chrono::DateTime::parse_from_rfc3339("2024-06-01T00:00:00Z").expect("a valid date");
    (base - chrono::Duration::hours(i as i64))
        .to_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The currencies synthetic records rotate through.
pub(crate) const CURRENCIES: [&str; 3] = ["USD", "EUR", "GBP"];
