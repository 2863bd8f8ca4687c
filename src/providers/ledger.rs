//! Ledger: a purchases API that exists only to test the provider registry (feature
//! `fixture-providers`). One list operation paged by an opaque cursor, bearer auth: the
//! client generated from `specs/ledger.yaml`, and everything a provider describes.
//!
//! [`Client`] has one method per operation; [`types`] holds the request and response
//! types, [`params`] every operation's parameters. Every amount is a
//! [`rust_decimal::Decimal`].

include!(concat!(env!("OUT_DIR"), "/ledger.rs"));

crate::transport::impl_client_hooks!();

use crate::context::{Auth, Context};
use crate::paginate::{CursorKind, ListOperation, Paging};
use crate::providers::ProviderApi;
use crate::{ClientOptions, Provider, Purchase, Record, Secret};
use compact_str::CompactString;

crate::providers::client! {
    /// The Ledger client: bearer token, cursor pagination, retries.
    LedgerClient(token)
}

impl std::fmt::Display for types::Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.error)
    }
}

/// Ledger, as the crate's generic code sees it.
#[derive(Debug, Clone, Copy)]
pub struct Api;

impl ListOperation for Api {
    type Client = LedgerClient;
    type Params = params::ListPurchases;
    type Page = types::Page;
    type Item = types::Entry;

    const PAGING: Paging = Paging {
        operation: "list_purchases",
        size: "limit",
        max_size: 100,
        default_size: 20,
        cursor: "cursor",
        kind: CursorKind::Token,
        scope: None,
        items: "/items",
        amount: "/amount",
        time: "/created",
    };

    fn context(client: &LedgerClient) -> &Context {
        &client.client.inner
    }

    async fn send(
        client: &LedgerClient,
        params: &params::ListPurchases,
    ) -> Result<types::Page, crate::Error> {
        let call = params.to_builder(&client.client).send();
        crate::transport::call(&client.client.inner, crate::ApiErrorBody::Ledger, call).await
    }

    /// Follows `next` until it is absent (or empty).
    fn split(
        page: types::Page,
        _first: bool,
    ) -> Result<(Vec<types::Entry>, Option<CompactString>), crate::Error> {
        Ok((page.items, page.next.filter(|n| !n.is_empty())))
    }

    fn purchase(e: types::Entry, _scope: Option<&str>) -> Result<Purchase, crate::Error> {
        Ok(Purchase {
            provider: Provider::Ledger,
            time: Some(crate::purchase::checked_time(
                Provider::Ledger,
                &e.id,
                Self::PAGING.time_field(),
                e.created,
            )?),
            id: e.id.clone(),
            total: Some(e.amount),
            currency: e.currency.clone(),
            status: None,
            customer: None,
            record: Record::Ledger(Box::new(e)),
        })
    }

    #[cfg(feature = "mock")]
    fn page(
        items: Vec<types::Entry>,
        next: Option<&str>,
        _: &params::ListPurchases,
    ) -> types::Page {
        types::Page {
            items,
            next: next.map(CompactString::from),
        }
    }
}

impl ProviderApi for Api {
    const PROVIDER: Provider = Provider::Ledger;
    const BASE_URL: &'static str = "https://ledger.invalid";
    const CREDENTIALS: &'static [&'static str] = &["LEDGER_TOKEN"];
    #[cfg(feature = "mock")]
    const MOCK: crate::providers::MockSpec = crate::providers::MockSpec {
        credentials: &["demo-ledger-token"],
        scope: None,
        refused: (401, "invalid token"),
        echo: 401,
        invalid: 400,
        error: |message| serde_json::json!({"error": message}),
        throttled: || (429, serde_json::json!({"error": "rate limited"}), true),
        samples: None,
        synthetic: |i, count| {
            use crate::providers::synthetic::{amount, time, CURRENCIES};
            serde_json::json!({
                "id": format!("entry-{:06}", count - i),
                "created": time(i),
                "amount": amount(i),
                "currency": CURRENCIES[i % 3],
            })
        },
        new_enum_values: &[],
        fetch: None,
    };
    type ErrorBody = types::Refusal;
    type Record = types::Entry;
    type Client = LedgerClient;
    type List = Api;

    fn auth(credentials: &[Secret]) -> Auth {
        Auth::Bearer(credentials[0].clone())
    }

    fn client(
        credentials: &[Secret],
        options: ClientOptions,
    ) -> Result<LedgerClient, crate::Error> {
        LedgerClient::with_options(credentials[0].clone(), options)
    }
}
