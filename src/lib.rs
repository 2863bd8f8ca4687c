#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

pub mod decimal;
pub mod tls;

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

/// The HTTP client the generated clients use, for building one with your own settings
/// (default headers, proxies, timeouts) to pass to `Client::new_with_client`.
pub use reqwest;
pub use rust_decimal::Decimal;
