//! One entry point for any provider.

use crate::paginate::{Cursor, ListOperation, ListRequest, PageStream, PurchaseStream};
use crate::providers::ProviderApi;
use crate::{ClientOptions, Error, Provider, Purchase, Secret};
use compact_str::CompactString;
use futures::future::BoxFuture;
use futures::stream::{BoxStream, StreamExt};
use std::sync::Arc;

/// A client for any one provider, for code that treats them alike: [`AnyClient::purchases`]
/// lists every purchase as a stream of normalized [`Purchase`] records.
#[derive(Clone)]
pub struct AnyClient {
    provider: Provider,
    scope: Option<String>,
    client: Arc<dyn Listing>,
}

impl std::fmt::Debug for AnyClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnyClient")
            .field("provider", &self.provider)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

/// What [`AnyClient`] needs of a provider's client, whatever the provider.
trait Listing: Send + Sync {
    fn pages(&self, listing: AnyList) -> PageStream<'static, Purchase>;
    fn get(&self, id: &str) -> Option<BoxFuture<'static, Result<Purchase, Error>>>;
    fn context(&self) -> &crate::context::Context;
}

/// A provider's client behind [`Listing`].
struct Erased<A: ProviderApi>(A::Client);

impl<A: ProviderApi> Listing for Erased<A> {
    fn pages(&self, listing: AnyList) -> PageStream<'static, Purchase> {
        let params: <A::List as ListOperation>::Params =
            match serde_json::from_value(serde_json::Value::Object(listing.params)) {
                Ok(p) => p,
                Err(e) => {
                    let e = Error::InvalidArgument(format!(
                        "{}: the parameters do not fit the spec: {e}",
                        A::PROVIDER
                    ));
                    return futures::stream::once(async move { Err(e) }).boxed();
                }
            };
        let mut request = ListRequest::<A::List>::new(&self.0)
            .params(params)
            .concurrency(listing.concurrency);
        if let Some(size) = listing.page_size {
            request = request.page_size(size);
        }
        if let Some(start) = listing.start {
            request = request.start_from(start);
        }
        request = match listing.scopes {
            Some(scopes) => request.scope_stream(scopes),
            None => match listing.scope {
                Some(scope) => request.scope(scope),
                None => request,
            },
        };
        request.purchase_pages()
    }

    fn get(&self, id: &str) -> Option<BoxFuture<'static, Result<Purchase, Error>>> {
        A::get_purchase(&self.0, id)
    }

    fn context(&self) -> &crate::context::Context {
        <A::List as ListOperation>::context(&self.0)
    }
}

/// A listing of any provider: its parameters by their names in the spec (as JSON values),
/// a page size, where to start, and the scopes to list. From [`AnyClient::list`].
pub struct AnyList {
    client: AnyClient,
    params: serde_json::Map<String, serde_json::Value>,
    page_size: Option<u32>,
    start: Option<Cursor>,
    scope: Option<CompactString>,
    scopes: Option<BoxStream<'static, Result<CompactString, Error>>>,
    concurrency: usize,
}

impl AnyList {
    /// Sets a parameter by its name in the spec.
    pub fn param(mut self, name: impl Into<String>, value: serde_json::Value) -> Self {
        self.params.insert(name.into(), value);
        self
    }

    /// Records per page (default: the provider's largest).
    pub fn page_size(mut self, size: u32) -> Self {
        self.page_size = Some(size);
        self
    }

    /// Starts at a cursor a previous listing gave ([`crate::paginate::Page::next`]).
    pub fn start_from(mut self, cursor: Cursor) -> Self {
        self.start = Some(cursor);
        self
    }

    /// Lists the scopes a stream yields (Togai's accounts), instead of the client's own.
    pub fn scopes(
        mut self,
        scopes: impl futures::Stream<Item = Result<CompactString, Error>> + Send + 'static,
    ) -> Self {
        self.scopes = Some(scopes.boxed());
        self
    }

    /// At most this many scopes, and requests, at once.
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }

    /// Every page, normalized.
    pub fn purchase_pages(self) -> PageStream<'static, Purchase> {
        let client = self.client.client.clone();
        client.pages(self)
    }

    /// Every purchase, normalized.
    pub fn purchases(self) -> PurchaseStream<'static> {
        crate::paginate::items(self.purchase_pages())
    }
}

impl AnyClient {
    /// A client for `provider` with these credentials (in the order
    /// [`Provider::credential_variables`] lists them). `scope` is what the provider's listing
    /// needs besides the page size ([`Provider::scope`]: Togai's account), if anything; a
    /// listing without a scope it needs fails with [`Error::InvalidArgument`].
    pub fn with_credentials(
        provider: Provider,
        credentials: &[Secret],
        scope: Option<&str>,
        options: ClientOptions,
    ) -> Result<Self, Error> {
        let scope = scope.filter(|s| !s.is_empty()).map(String::from);
        if provider.scope().is_none() && scope.is_some() {
            return Err(Error::InvalidArgument(format!(
                "{provider} takes nothing besides the page size to list purchases"
            )));
        }
        let expected = provider.credential_variables().len();
        if credentials.len() != expected {
            return Err(Error::InvalidArgument(format!(
                "{provider} takes {expected} credential(s), got {}",
                credentials.len()
            )));
        }
        let client: Arc<dyn Listing> = crate::with_api!(provider, A => {
            Arc::new(Erased::<A>(A::client(credentials, options)?))
        });
        Ok(AnyClient {
            provider,
            scope,
            client,
        })
    }

    /// A client for `provider` with credentials from the environment (the variables
    /// [`Provider::credential_variables`] names; a missing one is an error naming it).
    pub fn from_env(
        provider: Provider,
        scope: Option<&str>,
        options: ClientOptions,
    ) -> Result<Self, Error> {
        let credentials = provider
            .credential_variables()
            .iter()
            .map(|var| Secret::from_env(var))
            .collect::<Result<Vec<_>, _>>()?;
        Self::with_credentials(provider, &credentials, scope, options)
    }

    /// Which provider this is.
    pub fn provider(&self) -> Provider {
        self.provider
    }

    /// The largest page the provider allows, used when no page size is given.
    pub fn max_page_size(&self) -> u32 {
        self.provider.max_page_size()
    }

    /// Finds every form of this client's credentials in text, to keep them out of what a
    /// program prints from a server's data.
    pub fn redactor(&self) -> crate::redact::Redactor {
        self.client.context().redactor().clone()
    }

    /// A listing to set up: parameters by their spec names, page size, start, scopes.
    pub fn list(&self) -> AnyList {
        AnyList {
            client: self.clone(),
            params: serde_json::Map::new(),
            page_size: None,
            start: None,
            scope: self.scope.as_deref().map(CompactString::from),
            scopes: None,
            concurrency: crate::paginate::DEFAULT_CONCURRENCY,
        }
    }

    /// Every purchase, normalized, a page at a time (the provider's maximum if `None`).
    pub fn purchase_pages(&self, page_size: Option<u32>) -> PageStream<'static, Purchase> {
        let list = self.list();
        match page_size {
            Some(size) => list.page_size(size),
            None => list,
        }
        .purchase_pages()
    }

    /// Every purchase, normalized, `page_size` at a time (the provider's maximum if `None`).
    pub fn purchases(&self, page_size: Option<u32>) -> PurchaseStream<'static> {
        crate::paginate::items(self.purchase_pages(page_size))
    }

    /// Whether the provider has a call to get one purchase by id.
    pub fn has_get(&self) -> bool {
        self.client.get("").is_some()
    }

    /// One purchase by id, for a provider with such a call (an error for the others).
    pub async fn get_purchase(&self, id: &str) -> Result<Purchase, Error> {
        match self.client.get(id) {
            Some(fetch) => fetch.await,
            None => Err(Error::InvalidArgument(format!(
                "{} has no call to get one purchase",
                self.provider
            ))),
        }
    }
}
