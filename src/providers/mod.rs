//! What makes a provider: one type implementing [`ProviderApi`], in one file under
//! `src/providers/`, listed once in `specs/providers.toml`.
//!
//! Generic code — [`crate::AnyClient`], the transport, conformance, the mock, the command
//! line — reaches a provider only through this trait, by way of the registry's one dispatch
//! macro (`with_api!`, generated from `specs/providers.toml`). Nothing outside the provider
//! files and the registry names a provider.

// One module per entry of `specs/providers.toml`, under the feature that entry names (a
// test checks that the two lists agree). The generated types carry only the spec's
// documentation.
#[cfg(feature = "cocalc")]
#[allow(missing_docs)]
pub mod cocalc;
#[cfg(feature = "kit")]
#[allow(missing_docs)]
pub mod kit;
#[cfg(feature = "fixture-providers")]
#[allow(missing_docs)]
pub mod ledger;
#[cfg(feature = "subtotal")]
#[allow(missing_docs)]
pub mod subtotal;
#[cfg(feature = "togai")]
#[allow(missing_docs)]
pub mod togai;

use crate::context::{Auth, Context};
use crate::paginate::PageStream;
use crate::{ClientOptions, Error, Provider, Purchase, Secret};
use futures::future::BoxFuture;
use std::time::Duration;

/// Everything provider-specific, as one type.
pub trait ProviderApi: Sized + 'static {
    /// Which provider this is.
    const PROVIDER: Provider;
    /// The production base URL.
    const BASE_URL: &'static str;
    /// The environment variables the credentials are read from, in the order
    /// [`ProviderApi::client`] takes them.
    const CREDENTIALS: &'static [&'static str];
    /// What a listing needs besides the page size (Togai lists one account's purchases):
    /// its name for users, and the environment variable the live checks read it from.
    const SCOPE: Option<(&'static str, &'static str)> = None;
    /// The largest page the API serves.
    const MAX_PAGE_SIZE: u32;

    /// The provider's documented error body.
    type ErrorBody: std::fmt::Debug + std::fmt::Display + Clone + PartialEq + Send + Sync;
    /// The provider's own purchase record, kept in [`Purchase::record`].
    type Record: std::fmt::Debug + Clone + PartialEq + Send + Sync;
    /// The provider's client.
    type Client: Clone + Send + Sync + 'static;

    /// How the credentials (in [`ProviderApi::CREDENTIALS`] order) go on the wire.
    fn auth(credentials: &[Secret]) -> Auth;

    /// A client with these credentials and options.
    fn client(credentials: &[Secret], options: ClientOptions) -> Result<Self::Client, Error>;

    /// The client's transport state.
    fn inner(client: &Self::Client) -> &Context;

    /// Every purchase, normalized, a page at a time (`scope` as [`ProviderApi::SCOPE`] asks).
    fn purchase_pages(
        client: &Self::Client,
        scope: Option<&str>,
        page_size: u32,
    ) -> PageStream<'static, Purchase>;

    /// One purchase by id, where the API has such a call.
    fn get_purchase(
        client: &Self::Client,
        id: &str,
    ) -> Option<BoxFuture<'static, Result<Purchase, Error>>> {
        let _ = (client, id);
        None
    }

    /// For a reply that is really a throttle (CoCalc answers one with HTTP 200), the wait
    /// it asks for (`Some(None)` when it names none). The transport retries it.
    fn throttled(status: u16, body: &[u8]) -> Option<Option<Duration>> {
        let _ = (status, body);
        None
    }

    /// An error the API sends as if it were data (CoCalc's HTTP-200 `{"error"}`), as the
    /// crate's error; `None` for a body that is not one.
    fn error_reply(inner: &Context, body: &[u8]) -> Option<Error> {
        let _ = (inner, body);
        None
    }

    /// The read-only requests the live checks make (`scope` as [`ProviderApi::SCOPE`] asks).
    #[cfg(feature = "conform")]
    fn live_calls(scope: Option<&str>) -> Vec<crate::conform::live::LiveCall>;

    /// A request the live checks make after `call` answered `body` (Togai: fetch the
    /// first listed purchase).
    #[cfg(feature = "conform")]
    fn live_follow_up(
        call: &crate::conform::live::LiveCall,
        body: &serde_json::Value,
    ) -> Option<crate::conform::live::LiveCall> {
        let _ = (call, body);
        None
    }

    /// The credentials the embedded mock accepts (not secrets), in
    /// [`ProviderApi::CREDENTIALS`] order.
    #[cfg(feature = "mock")]
    const DEMO_CREDENTIALS: &'static [&'static str];
    /// The scope the mock's purchases belong to, when the listing needs one.
    #[cfg(feature = "mock")]
    const DEMO_SCOPE: Option<&'static str> = None;
    /// What the mock serves for this provider.
    #[cfg(feature = "mock")]
    type MockData: Send + Sync + 'static;
    /// The documented samples followed by `count` synthetic records.
    #[cfg(feature = "mock")]
    fn mock_data(count: usize) -> Self::MockData;
    /// How many purchases a full listing of `data` gives.
    #[cfg(feature = "mock")]
    fn mock_listed(data: &Self::MockData) -> usize;
    /// The API's error body with `message`.
    #[cfg(feature = "mock")]
    fn mock_error_body(message: &str) -> serde_json::Value;
    /// The status the mock refuses a request with when it echoes the credentials.
    #[cfg(feature = "mock")]
    const MOCK_ERROR_STATUS: u16 = 400;
    /// How the API answers a throttled request (by default 429 with `Retry-After: 1`).
    #[cfg(feature = "mock")]
    fn mock_rate_limited() -> crate::mock::RateLimited {
        crate::mock::RateLimited {
            status: 429,
            body: Self::mock_error_body("rate limited"),
            retry_after: true,
        }
    }
    /// The mock's routes for this API (each path under `/<module>/`).
    #[cfg(feature = "mock")]
    fn mock_routes(router: crate::mock::Router) -> crate::mock::Router;
}

/// A provider's pages of its own records as pages of normalized purchases; errors (a record
/// that does not normalize, say) pass through the client's redactor.
#[allow(dead_code)] // not every provider pages this way, and a build may have only those
pub(crate) fn normalized_pages<T>(
    pages: PageStream<'static, T>,
    inner: &Context,
) -> PageStream<'static, Purchase>
where
    T: Send + 'static,
    Purchase: TryFrom<T, Error = Error>,
{
    use futures::{StreamExt, TryStreamExt};
    let redactor = inner.redactor().clone();
    pages
        .and_then(|page| async move { page.into_iter().map(Purchase::try_from).collect() })
        .map_err(move |e| e.redacted(&redactor))
        .boxed()
}

impl Provider {
    /// The provider's production base URL.
    pub fn default_base_url(self) -> &'static str {
        crate::with_api!(self, A => A::BASE_URL)
    }

    /// The environment variables holding the provider's credentials.
    pub fn credential_variables(self) -> &'static [&'static str] {
        crate::with_api!(self, A => A::CREDENTIALS)
    }

    /// What a listing needs besides the page size, if anything (`account` for Togai).
    pub fn scope(self) -> Option<&'static str> {
        crate::with_api!(self, A => A::SCOPE.map(|(name, _)| name))
    }

    /// The largest page the provider serves.
    pub fn max_page_size(self) -> u32 {
        crate::with_api!(self, A => A::MAX_PAGE_SIZE)
    }
}

impl std::fmt::Display for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Provider {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Provider::ALL
            .iter()
            .copied()
            .find(|p| p.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                let names: Vec<&str> = Provider::ALL.iter().map(|p| p.name()).collect();
                Error::InvalidArgument(format!(
                    "unknown provider {s:?}: expected one of {}",
                    names.join(", ")
                ))
            })
    }
}
