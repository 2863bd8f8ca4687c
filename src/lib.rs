#![doc = include_str!("../README.md")]
#![warn(missing_docs)]
// With no provider compiled in, the client layer has nothing to serve.
#![cfg_attr(
    not(any(
        feature = "cocalc",
        feature = "subtotal",
        feature = "togai",
        feature = "kit"
    )),
    allow(unused, unreachable_patterns)
)]

#[cfg(any(
    feature = "cocalc",
    feature = "subtotal",
    feature = "togai",
    feature = "kit"
))]
mod any;
#[cfg(feature = "conform")]
pub mod conform;
pub mod datetime;
pub mod decimal;
mod error;
#[cfg(feature = "mock")]
pub mod mock;
mod options;
pub mod paginate;
mod purchase;
pub mod redact;
mod secret;
#[cfg(any(feature = "conform", feature = "mock"))]
pub mod specs;
pub mod tls;
pub mod transport;

#[cfg(feature = "cocalc")]
#[path = "providers/cocalc.rs"]
#[allow(missing_docs)]
pub mod cocalc;

#[cfg(feature = "subtotal")]
#[path = "providers/subtotal.rs"]
#[allow(missing_docs)]
pub mod subtotal;

#[cfg(feature = "togai")]
#[path = "providers/togai.rs"]
#[allow(missing_docs)]
pub mod togai;

#[cfg(feature = "kit")]
#[path = "providers/kit.rs"]
#[allow(missing_docs)]
pub mod kit;

#[cfg(any(
    feature = "cocalc",
    feature = "subtotal",
    feature = "togai",
    feature = "kit"
))]
pub use any::AnyClient;
pub use error::{ApiErrorBody, Error, LimitReached};
pub use options::ClientOptions;
pub use paginate::ListingLimits;
pub use purchase::{Provider, Purchase, Record};
pub use secret::Secret;
pub use transport::RetryConfig;

#[cfg(feature = "cocalc")]
pub use cocalc::CoCalcClient;
#[cfg(feature = "kit")]
pub use kit::KitClient;
#[cfg(feature = "subtotal")]
pub use subtotal::SubtotalClient;
#[cfg(feature = "togai")]
pub use togai::TogaiClient;

/// The HTTP client the generated clients use, for building one with your own settings
/// (default headers, proxies, timeouts) to pass to `Client::new_with_client`.
pub use reqwest;
pub use rust_decimal::Decimal;
