//! Ledger: a purchases API that exists only to test the provider registry (feature
//! `fixture-providers`). One list operation paged by an opaque cursor, bearer auth: the
//! client generated from `specs/ledger.yaml`, and everything a provider supplies.
//!
//! [`Client`] has one method per operation; [`types`] holds the request and response
//! types. Every amount is a [`rust_decimal::Decimal`].

include!(concat!(env!("OUT_DIR"), "/ledger.rs"));

crate::transport::impl_client_hooks!();

use crate::context::{Auth, Context};
use crate::paginate::{self, Fetched, PageStream};
use crate::providers::ProviderApi;
use crate::{ClientOptions, Provider, Purchase, Record, Secret};
use futures::StreamExt;

/// The Ledger client: bearer token, cursor pagination, retries.
#[derive(Clone, Debug)]
pub struct LedgerClient {
    client: Client,
}

/// Ledger's largest page.
pub const MAX_PAGE_SIZE: u32 = 100;

impl LedgerClient {
    /// A client with explicit options.
    pub fn with_options(
        token: impl Into<Secret>,
        options: ClientOptions,
    ) -> Result<Self, crate::Error> {
        let (base, http, inner) = options.connect::<Api>(&[token.into()])?;
        Ok(LedgerClient {
            client: Client::new_with_client(&base, http, inner),
        })
    }

    /// Fetches one page: `cursor` is the previous page's `next`.
    pub async fn list_page(
        &self,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<types::Page, crate::Error> {
        paginate::check_page_size("limit", limit, MAX_PAGE_SIZE)?;
        let mut call = self.client.list_purchases().limit(u64::from(limit));
        if let Some(cursor) = cursor {
            call = call.cursor(cursor);
        }
        crate::transport::call(&self.client.inner, crate::ApiErrorBody::Ledger, call.send()).await
    }

    /// Every purchase, page by page, following `next` until it is absent.
    pub fn pages(&self, limit: u32) -> PageStream<'static, types::Entry> {
        if let Err(e) = paginate::check_page_size("limit", limit, MAX_PAGE_SIZE) {
            return futures::stream::once(async move { Err(e) }).boxed();
        }
        let this = self.clone();
        paginate::pages(
            &self.client.inner,
            None::<compact_str::CompactString>,
            move |cursor| {
                let this = this.clone();
                async move {
                    let page = this.list_page(limit, cursor.as_deref()).await?;
                    Ok(Fetched {
                        items: page.items,
                        next: page.next.filter(|n| !n.is_empty()).map(Some),
                    })
                }
            },
        )
    }
}

impl TryFrom<types::Entry> for Purchase {
    type Error = crate::Error;

    fn try_from(e: types::Entry) -> Result<Self, crate::Error> {
        Ok(Purchase {
            provider: Provider::Ledger,
            time: Some(crate::purchase::checked_time(
                Provider::Ledger,
                &e.id,
                "created",
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
}

impl std::fmt::Display for types::Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.error)
    }
}

/// Ledger, as the crate's generic code sees it.
#[derive(Debug, Clone, Copy)]
pub struct Api;

impl ProviderApi for Api {
    const PROVIDER: Provider = Provider::Ledger;
    const BASE_URL: &'static str = "https://ledger.invalid";
    const CREDENTIALS: &'static [&'static str] = &["LEDGER_TOKEN"];
    const MAX_PAGE_SIZE: u32 = MAX_PAGE_SIZE;
    type ErrorBody = types::Refusal;
    type Record = types::Entry;
    type Client = LedgerClient;

    fn auth(credentials: &[Secret]) -> Auth {
        Auth::Bearer(credentials[0].clone())
    }

    fn client(
        credentials: &[Secret],
        options: ClientOptions,
    ) -> Result<LedgerClient, crate::Error> {
        LedgerClient::with_options(credentials[0].clone(), options)
    }

    fn inner(client: &LedgerClient) -> &Context {
        &client.client.inner
    }

    fn purchase_pages(
        client: &LedgerClient,
        _: Option<&str>,
        page_size: u32,
    ) -> PageStream<'static, Purchase> {
        crate::providers::normalized_pages(client.pages(page_size), Self::inner(client))
    }

    #[cfg(feature = "conform")]
    fn live_calls(_: Option<&str>) -> Vec<crate::conform::live::LiveCall> {
        vec![crate::conform::live::LiveCall {
            operation: "list_purchases",
            template: "/v1/purchases",
            method: reqwest::Method::GET,
            path: "/v1/purchases".into(),
            query: vec![("limit", "5".into())],
            body: None,
        }]
    }

    #[cfg(feature = "mock")]
    const DEMO_CREDENTIALS: &'static [&'static str] = &["demo-ledger-token"];
    #[cfg(feature = "mock")]
    const MOCK_ERROR_STATUS: u16 = 401;
    #[cfg(feature = "mock")]
    type MockData = Vec<types::Entry>;

    #[cfg(feature = "mock")]
    fn mock_data(count: usize) -> Vec<types::Entry> {
        use crate::mock::data::{amount, time, typed, CURRENCIES};
        (0..count)
            .map(|i| {
                let entry = serde_json::json!({
                    "id": format!("entry-{:06}", count - i),
                    "created": time(i),
                    "amount": amount(i),
                    "currency": CURRENCIES[i % 3],
                });
                typed("Ledger", entry)
            })
            .collect()
    }

    #[cfg(feature = "mock")]
    fn mock_listed(data: &Vec<types::Entry>) -> usize {
        data.len()
    }

    #[cfg(feature = "mock")]
    fn mock_error_body(message: &str) -> serde_json::Value {
        serde_json::json!({"error": message})
    }

    #[cfg(feature = "mock")]
    fn mock_routes(router: crate::mock::Router) -> crate::mock::Router {
        router.route("/ledger/v1/purchases", axum::routing::get(mock::list))
    }
}

/// Ledger as the embedded mock serves it: cursors `c<index>`, `next` absent on the last page.
#[cfg(feature = "mock")]
mod mock {
    use super::{types, Api, ProviderApi};
    use crate::mock::server::{bearer_is, page_size, Reply, Shared};
    use crate::mock::Fault;
    use axum::extract::{Query, State};
    use axum::http::{HeaderMap, StatusCode};
    use axum::response::Response;
    use serde_json::json;
    use std::collections::HashMap;
    use std::sync::Arc;

    pub(super) async fn list(
        State(shared): State<Arc<Shared>>,
        headers: HeaderMap,
        uri: axum::http::Uri,
        Query(q): Query<HashMap<String, String>>,
    ) -> Response {
        let reply = Reply::new(&shared, Api::PROVIDER, &headers);
        if let Some(r) = reply.intercept(&headers, &uri).await {
            return r;
        }
        if !bearer_is(&headers, Api::DEMO_CREDENTIALS[0]) {
            return reply.error(StatusCode::UNAUTHORIZED, "invalid token").await;
        }
        let limit = match page_size(&q, "limit", 20, 100) {
            Ok(n) => n,
            Err(msg) => return reply.error(StatusCode::BAD_REQUEST, &msg).await,
        };
        let start = match q.get("cursor").map(|c| c.strip_prefix('c').map(str::parse)) {
            None => 0,
            Some(Some(Ok(n))) => n,
            Some(_) => return reply.error(StatusCode::BAD_REQUEST, "invalid cursor").await,
        };
        let rows: &[types::Entry] = if reply.is(Fault::Empty) {
            &[]
        } else {
            shared.data::<Api>()
        };
        let (page, next): (Vec<&types::Entry>, Option<usize>) = if reply.is(Fault::EndlessEmpty) {
            (Vec::new(), Some(start + 1))
        } else if reply.is(Fault::Endless) && !rows.is_empty() {
            let page = (start..start + limit).map(|i| &rows[i % rows.len()]);
            (page.collect(), Some(start + limit))
        } else {
            let page: Vec<_> = rows.iter().skip(start).take(limit).collect();
            let end = start + page.len();
            (page, (end < rows.len()).then_some(end))
        };
        let mut body = json!({"items": page});
        if let Some(next) = next {
            body["next"] = json!(format!("c{next}"));
        }
        reply.json(StatusCode::OK, &body).await
    }
}
