//! What makes a provider: one type describing it ([`ProviderApi`] and its list operation's
//! [`ListOperation`]), in one file under `src/providers/`, listed once in
//! `specs/providers.toml`.
//!
//! Generic code — [`crate::AnyClient`], the pager, the transport, conformance, the mock, the
//! command line — reaches a provider only through these traits, by way of the registry's
//! one dispatch macro (`with_api!`, generated from `specs/providers.toml`). Nothing outside
//! the provider files and the registry names a provider.

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

#[cfg(feature = "mock")]
pub mod synthetic;

use crate::context::Auth;
use crate::paginate::{ListOperation, Paging};
use crate::{ClientOptions, Error, Provider, Purchase, Secret};
use futures::future::BoxFuture;
use std::time::Duration;

/// A provider, described: generic code (the client's pager, the embedded mock, conformance,
/// the command line) interprets the description, so a provider's file holds what is
/// particular to it and nothing else.
pub trait ProviderApi: Sized + 'static {
    /// Which provider this is.
    const PROVIDER: Provider;
    /// The production base URL.
    const BASE_URL: &'static str;
    /// The environment variables the credentials are read from, in the order
    /// [`ProviderApi::client`] takes them.
    const CREDENTIALS: &'static [&'static str];
    /// What the embedded mock serves and how it answers (feature `mock`).
    #[cfg(feature = "mock")]
    const MOCK: MockSpec;

    /// The provider's documented error body.
    type ErrorBody: std::fmt::Debug + std::fmt::Display + Clone + PartialEq + Send + Sync;
    /// The provider's own purchase record, kept in [`Purchase::record`].
    type Record: std::fmt::Debug + Clone + PartialEq + Send + Sync;
    /// The provider's client.
    type Client: Clone + Send + Sync + 'static;
    /// Its list operation: parameters, paging, records.
    type List: ListOperation<Client = Self::Client>;

    /// How the credentials (in [`ProviderApi::CREDENTIALS`] order) go on the wire.
    fn auth(credentials: &[Secret]) -> Auth;

    /// A client with these credentials and options.
    fn client(credentials: &[Secret], options: ClientOptions) -> Result<Self::Client, Error>;

    /// For a reply that is really a throttle (CoCalc answers one with HTTP 200), the wait
    /// it asks for (`Some(None)` when it names none). The transport retries it, and holds
    /// back every request of the client until then.
    fn throttled(status: u16, body: &[u8]) -> Option<Option<Duration>> {
        let _ = (status, body);
        None
    }

    /// One purchase by id, where the API has such a call.
    fn get_purchase(
        client: &Self::Client,
        id: &str,
    ) -> Option<BoxFuture<'static, Result<Purchase, Error>>> {
        let _ = (client, id);
        None
    }
}

/// What the embedded mock serves for a provider and how it answers: the provider's data
/// and error shapes, which the mock's one generic pager and handlers interpret.
#[cfg(feature = "mock")]
#[derive(Debug, Clone, Copy)]
pub struct MockSpec {
    /// The credentials the mock accepts (not secrets), in [`ProviderApi::CREDENTIALS`]
    /// order; they go on the wire as [`ProviderApi::auth`] puts them.
    pub credentials: &'static [&'static str],
    /// The scope the mock's purchases belong to, for an API listed by scope.
    pub scope: Option<&'static str>,
    /// The status and message of a refusal of the credentials.
    pub refused: (u16, &'static str),
    /// The status of the error the `echo-credentials` fault answers with: one the spec
    /// documents, so that the client reads its body as the typed error.
    pub echo: u16,
    /// The status of a refusal of the parameters.
    pub invalid: u16,
    /// The API's error body carrying `message`.
    pub error: fn(&str) -> serde_json::Value,
    /// How the API answers a throttled request: status, body, and whether a
    /// `Retry-After: 1` comes with it.
    pub throttled: fn() -> (u16, serde_json::Value, bool),
    /// Where the spec's documented sample records are (a JSON pointer into the normalized
    /// spec); samples holding documentation placeholders are left out.
    pub samples: Option<&'static str>,
    /// Record `i` of `count` synthetic ones, as the API sends it.
    pub synthetic: fn(i: usize, count: usize) -> serde_json::Value,
    /// Fields the `new-enum-values` fault sets on every record to a value no spec lists.
    pub new_enum_values: &'static [(&'static str, &'static str)],
    /// The call that gets one record by id, if the API has one: its operation id, where its
    /// documented sample is, and a listed record as that call returns it (given the scope).
    pub fetch: Option<Fetch>,
}

/// The get-one-record call of a provider, as the mock serves it.
#[cfg(feature = "mock")]
#[derive(Debug, Clone, Copy)]
pub struct Fetch {
    /// The operation id.
    pub operation: &'static str,
    /// Where its documented sample is (a JSON pointer into the normalized spec).
    pub sample: &'static str,
    /// The field of a fetched record that holds its id (the path parameter's value).
    pub id: &'static str,
    /// A listed record as fetched by id.
    pub from_listed: fn(&serde_json::Value, Option<&str>) -> serde_json::Value,
}

/// A provider's client type around its generated `Client`: constructors (credentials given,
/// or read from the environment variables the provider's description names), the generated
/// client underneath, and its listing. Each provider file invokes it once.
macro_rules! client {
    ($(#[$doc:meta])* $name:ident($($credential:ident),+)) => {
        $(#[$doc])*
        #[derive(Clone, Debug)]
        pub struct $name {
            client: Client,
        }

        impl $name {
            /// A client for the provider's production API
            /// ([`ProviderApi::BASE_URL`](crate::providers::ProviderApi::BASE_URL)).
            pub fn new($($credential: impl Into<$crate::Secret>),+) -> Result<Self, $crate::Error> {
                Self::with_options($($credential,)+ $crate::ClientOptions::default())
            }

            /// A client with its credentials from the environment variables
            /// [`ProviderApi::CREDENTIALS`](crate::providers::ProviderApi::CREDENTIALS) names.
            pub fn from_env(options: $crate::ClientOptions) -> Result<Self, $crate::Error> {
                let vars = <Api as $crate::providers::ProviderApi>::CREDENTIALS;
                let secrets = vars
                    .iter()
                    .map(|v| $crate::Secret::from_env(v))
                    .collect::<Result<Vec<_>, _>>()?;
                Self::from_secrets(&secrets, options)
            }

            /// A client with explicit options.
            pub fn with_options(
                $($credential: impl Into<$crate::Secret>,)+
                options: $crate::ClientOptions,
            ) -> Result<Self, $crate::Error> {
                let credentials = [$($credential.into()),+];
                let (base, http, context) = options.connect::<Api>(&credentials)?;
                Ok($name {
                    client: Client::new_with_client(&base, http, context),
                })
            }

            /// A client from its credentials in the order the description lists them.
            pub(crate) fn from_secrets(
                credentials: &[$crate::Secret],
                options: $crate::ClientOptions,
            ) -> Result<Self, $crate::Error> {
                let mut given = credentials.iter().cloned();
                $(
                    let $credential = given.next().ok_or_else(|| {
                        $crate::Error::InvalidArgument(format!(
                            "{} takes {} credential(s)",
                            <Api as $crate::providers::ProviderApi>::PROVIDER,
                            <Api as $crate::providers::ProviderApi>::CREDENTIALS.len()
                        ))
                    })?;
                )+
                Self::with_options($($credential,)+ options)
            }

            /// The generated client underneath, for calls this wrapper does not cover.
            pub fn generated(&self) -> &Client {
                &self.client
            }

            /// The purchases listing with every parameter the API takes, paged by the crate.
            pub fn list_purchases(&self) -> $crate::paginate::ListRequest<Api> {
                $crate::paginate::ListRequest::new(self)
            }
        }
    };
}
pub(crate) use client;

/// The paging description of `provider`'s list operation.
pub fn paging(provider: Provider) -> Paging {
    crate::with_api!(provider, A => <<A as ProviderApi>::List as ListOperation>::PAGING)
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
        paging(self).scope.map(|s| s.name)
    }

    /// The largest page the provider serves.
    pub fn max_page_size(self) -> u32 {
        paging(self).max_size
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
