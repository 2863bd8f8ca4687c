//! TLS set-up.
//!
//! reqwest is built with rustls and no default crypto provider, so that a clean build
//! compiles no C crypto library it does not need (ring is the provider). rustls then needs
//! a process-wide default provider before the first `reqwest::Client` is built.

use std::sync::Once;

/// Installs ring as rustls' process-wide crypto provider, unless the program has already
/// installed one (which is then kept). Every client constructor of this crate calls it;
/// call it yourself before building a `reqwest::Client` of your own to hand to
/// [`crate::ClientOptions::http_client`].
pub fn install_crypto_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // An error means another provider is already installed, which is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}
