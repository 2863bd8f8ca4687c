//! One entry point for any configured provider.

use crate::paginate::PurchaseStream;
use crate::{ClientOptions, Error, Provider};

/// A client for any one provider, for code that treats them alike: `purchases` lists
/// every purchase as a stream of normalized [`crate::Purchase`] records.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum AnyClient {
    /// CoCalc.
    #[cfg(feature = "cocalc")]
    CoCalc(crate::CoCalcClient),
    /// Subtotal.
    #[cfg(feature = "subtotal")]
    Subtotal(crate::SubtotalClient),
    /// Togai, listing one account's purchases.
    #[cfg(feature = "togai")]
    Togai {
        /// The client.
        client: crate::TogaiClient,
        /// The account whose purchases are listed.
        account_id: String,
    },
    /// Kit.
    #[cfg(feature = "kit")]
    Kit(crate::KitClient),
}

impl AnyClient {
    /// A client for `provider` with credentials from the environment (`COCALC_API_KEY`;
    /// `SUBTOTAL_API_KEY` and `SUBTOTAL_CONNECTION_TOKEN`; `TOGAI_API_TOKEN`;
    /// `KIT_ACCESS_TOKEN`). Togai needs `account_id`.
    pub fn from_env(
        provider: Provider,
        account_id: Option<&str>,
        options: ClientOptions,
    ) -> Result<Self, Error> {
        let _ = (&account_id, &options);
        match provider {
            #[cfg(feature = "cocalc")]
            Provider::CoCalc => Ok(AnyClient::CoCalc(crate::CoCalcClient::from_env(options)?)),
            #[cfg(feature = "subtotal")]
            Provider::Subtotal => Ok(AnyClient::Subtotal(crate::SubtotalClient::from_env(
                options,
            )?)),
            #[cfg(feature = "togai")]
            Provider::Togai => {
                let account_id = account_id.filter(|a| !a.is_empty()).ok_or_else(|| {
                    Error::InvalidArgument(
                        "togai lists one account's purchases: give an account id".into(),
                    )
                })?;
                Ok(AnyClient::Togai {
                    client: crate::TogaiClient::from_env(options)?,
                    account_id: account_id.to_string(),
                })
            }
            #[cfg(feature = "kit")]
            Provider::Kit => Ok(AnyClient::Kit(crate::KitClient::from_env(options)?)),
            #[allow(unreachable_patterns)]
            other => Err(Error::Config(format!(
                "the {other} client is not compiled in (cargo feature `{other}`)"
            ))),
        }
    }

    /// Which provider this is.
    pub fn provider(&self) -> Provider {
        match self {
            #[cfg(feature = "cocalc")]
            AnyClient::CoCalc(_) => Provider::CoCalc,
            #[cfg(feature = "subtotal")]
            AnyClient::Subtotal(_) => Provider::Subtotal,
            #[cfg(feature = "togai")]
            AnyClient::Togai { .. } => Provider::Togai,
            #[cfg(feature = "kit")]
            AnyClient::Kit(_) => Provider::Kit,
        }
    }

    /// Finds every form of this client's credentials in text, to keep them out of what a
    /// program prints from a server's data.
    pub fn redactor(&self) -> crate::redact::Redactor {
        match self {
            #[cfg(feature = "cocalc")]
            AnyClient::CoCalc(c) => c.generated().inner.redactor().clone(),
            #[cfg(feature = "subtotal")]
            AnyClient::Subtotal(c) => c.generated().inner.redactor().clone(),
            #[cfg(feature = "togai")]
            AnyClient::Togai { client, .. } => client.generated().inner.redactor().clone(),
            #[cfg(feature = "kit")]
            AnyClient::Kit(c) => c.generated().inner.redactor().clone(),
        }
    }

    /// The largest page the provider allows, used when no page size is given.
    pub fn max_page_size(&self) -> u32 {
        match self {
            #[cfg(feature = "cocalc")]
            AnyClient::CoCalc(_) => crate::cocalc::MAX_PAGE_SIZE,
            #[cfg(feature = "subtotal")]
            AnyClient::Subtotal(_) => crate::subtotal::MAX_PAGE_SIZE,
            #[cfg(feature = "togai")]
            AnyClient::Togai { .. } => crate::togai::MAX_PAGE_SIZE,
            #[cfg(feature = "kit")]
            AnyClient::Kit(_) => crate::kit::MAX_PAGE_SIZE,
        }
    }

    /// Every purchase, normalized, a page at a time (the provider's maximum if `None`).
    pub fn purchase_pages(
        &self,
        page_size: Option<u32>,
    ) -> crate::paginate::PageStream<'static, crate::Purchase> {
        use futures::{StreamExt, TryStreamExt};
        let size = page_size.unwrap_or_else(|| self.max_page_size());
        let redactor = self.redactor();
        fn convert<T>(page: Vec<T>) -> Result<Vec<crate::Purchase>, Error>
        where
            crate::Purchase: TryFrom<T, Error = Error>,
        {
            page.into_iter().map(crate::Purchase::try_from).collect()
        }
        match self {
            #[cfg(feature = "cocalc")]
            AnyClient::CoCalc(c) => c.pages(size).and_then(|p| async { convert(p) }).boxed(),
            #[cfg(feature = "subtotal")]
            AnyClient::Subtotal(c) => c.pages(size).and_then(|p| async { convert(p) }).boxed(),
            #[cfg(feature = "togai")]
            AnyClient::Togai { client, account_id } => {
                let account = account_id.clone();
                client
                    .pages(account_id, size)
                    .and_then(move |page| {
                        let converted = page
                            .into_iter()
                            .map(|p| crate::Purchase::from_togai(p, &account))
                            .collect();
                        async { converted }
                    })
                    .boxed()
            }
            #[cfg(feature = "kit")]
            AnyClient::Kit(c) => c.pages(size).and_then(|p| async { convert(p) }).boxed(),
        }
        .map_err(move |e| e.redacted(&redactor))
        .boxed()
    }

    /// Every purchase, normalized, `page_size` at a time (the provider's maximum if `None`).
    pub fn purchases(&self, page_size: Option<u32>) -> PurchaseStream<'static> {
        let size = page_size.unwrap_or_else(|| self.max_page_size());
        match self {
            #[cfg(feature = "cocalc")]
            AnyClient::CoCalc(c) => c.purchases(size),
            #[cfg(feature = "subtotal")]
            AnyClient::Subtotal(c) => c.purchases(size),
            #[cfg(feature = "togai")]
            AnyClient::Togai { client, account_id } => client.purchases(account_id, size),
            #[cfg(feature = "kit")]
            AnyClient::Kit(c) => c.purchases(size),
        }
    }
}
