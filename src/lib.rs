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

pub use rust_decimal::Decimal;
