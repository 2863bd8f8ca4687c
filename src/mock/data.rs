//! The mock's data: for each provider, its documented samples (those free of documentation
//! placeholders) followed by a deterministic synthetic set its description builds.
//!
//! Every record is decoded into the library's generated type before it is served, so a
//! record the spec does not allow fails at start-up instead of being served.

use crate::paginate::ListOperation;
use crate::providers::ProviderApi;
use crate::Provider;
use compact_str::CompactString;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::any::Any;
use std::collections::{BTreeMap, HashMap};

/// What the mock serves for one provider.
struct Served {
    /// The listed records, typed (`Vec<Item>` of the provider's list operation).
    listed: Box<dyn Any + Send + Sync>,
    /// How many.
    count: usize,
    /// Each listed record's position by the value of the field an API continues after
    /// (`CursorKind::LastId`), when it pages that way.
    positions: HashMap<CompactString, usize>,
    /// The records as the get-by-id call returns them, by id.
    fetched: Vec<(CompactString, Value)>,
}

/// Everything the mock serves, per provider.
pub struct DataSet {
    served: BTreeMap<Provider, Served>,
}

impl std::fmt::Debug for DataSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map()
            .entries(self.served.iter().map(|(p, s)| (p, s.count)))
            .finish()
    }
}

impl DataSet {
    /// The documented samples followed by `count` synthetic records per provider.
    pub fn generate(count: usize) -> Self {
        let mut served = BTreeMap::new();
        for p in Provider::ALL {
            let s = crate::with_api!(*p, A => generate::<A>(count));
            served.insert(*p, s);
        }
        DataSet { served }
    }

    /// The records the mock lists for `A`.
    pub fn get<A: ProviderApi>(&self) -> &[<A::List as ListOperation>::Item] {
        self.served
            .get(&A::PROVIDER)
            .and_then(|s| {
                s.listed
                    .downcast_ref::<Vec<<A::List as ListOperation>::Item>>()
            })
            .map(Vec::as_slice)
            .expect("every provider's data is generated")
    }

    /// How many purchases a full listing of `provider` gives.
    pub fn listed(&self, provider: Provider) -> usize {
        self.served.get(&provider).map_or(0, |s| s.count)
    }

    /// The position of the listed record whose continue-after field is `id`.
    pub(crate) fn position(&self, provider: Provider, id: &str) -> Option<usize> {
        self.served.get(&provider)?.positions.get(id).copied()
    }

    /// The record with `id` as the get-by-id call returns it.
    pub(crate) fn fetched(&self, provider: Provider, id: &str) -> Option<&Value> {
        let s = self.served.get(&provider)?;
        s.fetched.iter().find(|(k, _)| k == id).map(|(_, v)| v)
    }
}

fn generate<A: ProviderApi>(count: usize) -> Served {
    let spec = A::MOCK;
    let mut rows: Vec<Value> = spec
        .samples
        .map(|pointer| match sample(A::PROVIDER, pointer) {
            Value::Array(rows) => rows,
            _ => Vec::new(),
        })
        .unwrap_or_default();
    rows.retain(|r| !has_placeholder(r));
    rows.extend((0..count).map(|i| (spec.synthetic)(i, count)));
    let listed: Vec<<A::List as ListOperation>::Item> = rows
        .iter()
        .map(|r| typed(A::PROVIDER.name(), r.clone()))
        .collect();
    let positions = match <A::List as ListOperation>::PAGING.kind {
        crate::paginate::CursorKind::LastId(field) => rows
            .iter()
            .enumerate()
            .filter_map(|(i, r)| Some((r.get(field)?.as_str()?.into(), i)))
            .collect(),
        _ => HashMap::new(),
    };
    let mut fetched = Vec::new();
    if let Some(fetch) = spec.fetch {
        let documented = sample(A::PROVIDER, fetch.sample);
        let derived = rows.iter().map(|r| (fetch.from_listed)(r, spec.scope));
        for record in std::iter::once(documented).chain(derived) {
            if let Some(id) = record.get(fetch.id).and_then(Value::as_str) {
                if !has_placeholder(&record) {
                    fetched.push((id.into(), record));
                }
            }
        }
    }
    Served {
        count: listed.len(),
        listed: Box::new(listed),
        positions,
        fetched,
    }
}

/// Whether a documented sample holds a documentation placeholder (`"<string>"`): the mock
/// serves data, never placeholders.
fn has_placeholder(v: &Value) -> bool {
    match v {
        Value::String(s) => s.starts_with('<') && s.ends_with('>'),
        Value::Array(a) => a.iter().any(has_placeholder),
        Value::Object(o) => o.values().any(has_placeholder),
        _ => false,
    }
}

/// Decodes a record into a generated type, or fails naming it.
pub(crate) fn typed<T: DeserializeOwned>(what: &str, v: Value) -> T {
    serde_json::from_value(v)
        .unwrap_or_else(|e| panic!("the mock's {what} record does not fit the generated type: {e}"))
}

/// The value at `pointer` in `provider`'s normalized spec (a documented sample), or null.
fn sample(provider: Provider, pointer: &str) -> Value {
    crate::specs::normalized(provider)
        .ok()
        .and_then(|doc| doc.pointer(pointer).cloned())
        .unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn placeholders_are_found_anywhere_in_a_sample() {
        assert!(has_placeholder(&json!({"a": [{"b": "<string>"}]})));
        assert!(!has_placeholder(
            &json!({"a": [{"b": "a <b> c"}], "n": 123})
        ));
    }

    #[test]
    fn no_record_the_mock_lists_or_fetches_holds_a_placeholder() {
        let data = DataSet::generate(3);
        for p in Provider::ALL {
            assert!(data.listed(*p) >= 3, "{p}");
            let listed = crate::with_api!(*p, A => serde_json::to_value(data.get::<A>()).unwrap());
            assert!(!has_placeholder(&listed), "{p}: {listed}");
            let served = &data.served[p];
            for (_, record) in &served.fetched {
                assert!(!has_placeholder(record), "{p}: {record}");
            }
        }
    }
}
