//! One entry point for any provider.

use crate::paginate::{PageStream, PurchaseStream};
use crate::providers::ProviderApi;
use crate::{ClientOptions, Error, Provider, Purchase, Secret};
use futures::future::BoxFuture;
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
    fn pages(&self, scope: Option<&str>, page_size: u32) -> PageStream<'static, Purchase>;
    fn get(&self, id: &str) -> Option<BoxFuture<'static, Result<Purchase, Error>>>;
    fn inner(&self) -> &crate::context::Context;
}

/// A provider's client behind [`Listing`].
struct Erased<A: ProviderApi>(A::Client);

impl<A: ProviderApi> Listing for Erased<A> {
    fn pages(&self, scope: Option<&str>, page_size: u32) -> PageStream<'static, Purchase> {
        A::purchase_pages(&self.0, scope, page_size)
    }

    fn get(&self, id: &str) -> Option<BoxFuture<'static, Result<Purchase, Error>>> {
        A::get_purchase(&self.0, id)
    }

    fn inner(&self) -> &crate::context::Context {
        A::inner(&self.0)
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
        self.client.inner().redactor().clone()
    }

    /// Every purchase, normalized, a page at a time (the provider's maximum if `None`).
    pub fn purchase_pages(&self, page_size: Option<u32>) -> PageStream<'static, Purchase> {
        let size = page_size.unwrap_or_else(|| self.max_page_size());
        self.client.pages(self.scope.as_deref(), size)
    }

    /// Every purchase, normalized, `page_size` at a time (the provider's maximum if `None`).
    pub fn purchases(&self, page_size: Option<u32>) -> PurchaseStream<'static> {
        crate::paginate::items(self.purchase_pages(page_size))
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
