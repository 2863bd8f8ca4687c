//! Settings shared by every provider's client.

use crate::transport::RetryConfig;
use crate::{Error, Provider};
use std::time::Duration;

/// How a client connects: base URL, timeouts, retries, the bounds of a listing, user agent.
///
/// The defaults bound everything a server controls:
///
/// | what | default | set with |
/// |---|---|---|
/// | connecting | 10 s | [`ClientOptions::connect_timeout`] |
/// | silence while reading a response (a stalled body) | 10 s | [`ClientOptions::read_timeout`] |
/// | one request, from connecting to the end of its body | 30 s | [`ClientOptions::timeout`] |
/// | retries of transient failures | 4 attempts within 60 s; a timeout retried once | [`ClientOptions::retry`] |
/// | a response body | 64 MiB | [`ClientOptions::max_body_bytes`] |
/// | a listing | 10,000 pages, 1 hour, 3 empty pages in a row that say "more" | [`ClientOptions::listing_limits`] |
///
/// So a server that stalls ends a request within about 20 s (two silent 10 s reads), and a
/// server that never stops paging ends a listing with an error naming the bound reached.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    base_url: Option<String>,
    connect_timeout: Duration,
    read_timeout: Duration,
    timeout: Duration,
    retry: RetryConfig,
    prefetch: usize,
    limits: crate::paginate::ListingLimits,
    max_body_bytes: usize,
    allow_insecure_http: bool,
    user_agent: String,
    http: Option<reqwest::Client>,
    recorders: Vec<crate::recording::Recorder>,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            base_url: None,
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            retry: RetryConfig::standard(),
            prefetch: crate::paginate::DEFAULT_PREFETCH,
            limits: crate::paginate::ListingLimits::default(),
            max_body_bytes: crate::context::DEFAULT_MAX_BODY_BYTES,
            allow_insecure_http: false,
            user_agent: concat!(env!("CARGO_PKG_NAME"), "/", env!("CARGO_PKG_VERSION")).into(),
            http: None,
            recorders: Vec::new(),
        }
    }
}

impl ClientOptions {
    /// Replaces the provider's default base URL (paths are appended as the spec gives them).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// How long to wait for a connection.
    pub fn connect_timeout(mut self, d: Duration) -> Self {
        self.connect_timeout = d;
        self
    }

    /// How long one request may take, from connecting to the end of the body.
    pub fn timeout(mut self, d: Duration) -> Self {
        self.timeout = d;
        self
    }

    /// How long a response may stay silent (no byte of headers or body) before the
    /// request is abandoned as stalled.
    pub fn read_timeout(mut self, d: Duration) -> Self {
        self.read_timeout = d;
        self
    }

    /// When a listing gives up on a server that never says it is done.
    pub fn listing_limits(mut self, limits: crate::paginate::ListingLimits) -> Self {
        self.limits = limits;
        self
    }

    /// The largest response body read (default 64 MiB); a larger one fails the request
    /// with [`Error::ResponseTooLarge`] without being read further.
    pub fn max_body_bytes(mut self, bytes: usize) -> Self {
        self.max_body_bytes = bytes;
        self
    }

    /// The retry policy.
    pub fn retry(mut self, retry: RetryConfig) -> Self {
        self.retry = retry;
        self
    }

    /// How many pages a listing fetches ahead of its consumer (default 1). While the
    /// consumer works through one page the next is already on its way; `0` fetches strictly
    /// in turn, only when the consumer asks. A larger depth helps only when pages arrive
    /// unevenly; it holds up to that many pages in memory. Prefetching needs a Tokio runtime.
    pub fn prefetch(mut self, pages: usize) -> Self {
        self.prefetch = pages;
        self
    }

    /// Allows a plain `http://` base URL that is not a loopback address (credentials then
    /// cross the network unencrypted).
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// Replaces the `User-Agent` (by default `purchase-clients/<version>`).
    pub fn user_agent(mut self, ua: impl Into<String>) -> Self {
        self.user_agent = ua.into();
        self
    }

    /// Saves every reply the client receives (retries and error replies included) with
    /// `recorder`, credentials and their echoes never written: see [`crate::recording`].
    /// Recording changes nothing a call returns.
    pub fn record(mut self, recorder: crate::recording::Recorder) -> Self {
        self.recorders = vec![recorder];
        self
    }

    /// Records into `recorder` too, beside any recorder already set.
    #[cfg(feature = "conform")]
    pub(crate) fn also_record(mut self, recorder: crate::recording::Recorder) -> Self {
        self.recorders.push(recorder);
        self
    }

    /// Uses this `reqwest::Client` for every request instead of one built from these options
    /// (for proxies, extra root certificates, a shared connection pool). Its own settings
    /// then apply: [`ClientOptions::connect_timeout`], [`ClientOptions::read_timeout`],
    /// [`ClientOptions::timeout`] and [`ClientOptions::user_agent`] are not used, while
    /// retries, listing bounds, the body limit and credential handling still are.
    ///
    /// Build it with `redirect(reqwest::redirect::Policy::none())`: the crate follows
    /// redirects itself so that no credential leaves its origin, and a client that follows
    /// them on its own would keep custom credential headers (an API key) across origins.
    /// Built with rustls, call [`crate::tls::install_crypto_provider`] first.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// The base URL to use for `provider`, checked: `https`, or `http` to a loopback
    /// address, or `http` anywhere when explicitly allowed. A trailing `/` is dropped.
    pub(crate) fn resolve_base_url(&self, provider: Provider) -> Result<String, Error> {
        let raw = self
            .base_url
            .as_deref()
            .unwrap_or(provider.default_base_url());
        let url = reqwest::Url::parse(raw).map_err(|e| {
            Error::Config(format!("{provider}: base URL {raw:?} is not a URL: {e}"))
        })?;
        match url.scheme() {
            "https" => {}
            "http" => {
                let loopback = match url.host() {
                    Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
                    Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                    Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                    None => false,
                };
                if !loopback && !self.allow_insecure_http {
                    return Err(Error::Config(format!(
                        "{provider}: refusing plain http base URL {raw:?}: credentials would cross the network unencrypted (use https, a loopback address, or allow_insecure_http)"
                    )));
                }
            }
            other => {
                return Err(Error::Config(format!(
                    "{provider}: base URL {raw:?} has scheme {other:?}; expected https or http"
                )))
            }
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Error::Config(format!(
                "{provider}: the base URL must not carry credentials"
            )));
        }
        Ok(raw.trim_end_matches('/').to_string())
    }

    /// Everything a client of provider `A` needs: its checked base URL, an HTTP client with
    /// these settings, and the hooks' state (credentials, retries, bounds, classifier).
    pub(crate) fn connect<A: crate::providers::ProviderApi>(
        &self,
        credentials: &[crate::Secret],
    ) -> Result<(String, reqwest::Client, crate::context::Context), Error> {
        let provider = A::PROVIDER;
        let base = self.resolve_base_url(provider)?;
        let mut inner =
            crate::context::Context::new(provider, A::auth(credentials), self.retry.clone());
        inner.throttled = A::throttled;
        inner.prefetch = self.prefetch;
        inner.limits = self.limits;
        inner.max_body_bytes = self.max_body_bytes;
        inner.origin = reqwest::Url::parse(&base).ok().map(|u| u.origin());
        inner.recorders = self.recorders.clone();
        let http = match &self.http {
            Some(client) => client.clone(),
            None => self.build_http_client()?,
        };
        Ok((base, http, inner))
    }

    fn build_http_client(&self) -> Result<reqwest::Client, Error> {
        crate::tls::install_crypto_provider();
        reqwest::Client::builder()
            .connect_timeout(self.connect_timeout)
            .read_timeout(self.read_timeout)
            .timeout(self.timeout)
            // Redirects are followed by the transport, which drops credentials off-origin.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(&self.user_agent)
            .build()
            .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Any provider compiled in: these checks are the same for all.
    fn any_provider() -> Option<Provider> {
        Provider::ALL.first().copied()
    }

    #[test]
    fn https_and_loopback_http_are_accepted() {
        let Some(p) = any_provider() else { return };
        let o = ClientOptions::default();
        assert_eq!(o.resolve_base_url(p).unwrap(), p.default_base_url());
        for url in [
            "http://127.0.0.1:8080/kit/",
            "http://localhost:1",
            "http://[::1]:9/x",
        ] {
            let base = o.clone().base_url(url).resolve_base_url(p).unwrap();
            assert!(!base.ends_with('/'), "{base}");
        }
    }

    #[test]
    fn remote_plain_http_is_refused_unless_allowed() {
        let Some(p) = any_provider() else { return };
        let o = ClientOptions::default().base_url("http://api.example.com");
        let err = o.resolve_base_url(p).unwrap_err();
        assert!(err.to_string().contains("refusing plain http"), "{err}");
        assert!(o.allow_insecure_http(true).resolve_base_url(p).is_ok());
    }

    #[test]
    fn bad_urls_are_configuration_errors() {
        let Some(p) = any_provider() else { return };
        for url in ["not a url", "ftp://x.com", "https://user:pw@x.com"] {
            let err = ClientOptions::default().base_url(url).resolve_base_url(p);
            assert!(matches!(err, Err(Error::Config(_))), "{url}");
        }
    }
}
