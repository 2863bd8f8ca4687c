//! Live conformance (opt-in): the same checks on what the real APIs send today.
//!
//! For each provider whose credentials are in the environment, the real client lists one
//! small page (and, where the API has the call, gets the first purchase listed) with a
//! [`Recorder`](crate::recording::Recorder); the replies it recorded are then checked by
//! the replay checker ([`super::replay`]): schema, decoding, an exact round trip, and what
//! the spec does not describe. There is no second HTTP path: what is checked is what the
//! client received. A provider without credentials is skipped, with the variables to set.

use super::replay::{replay, BuiltinSpecs, ReplyReport};
use super::{KnownDeviations, Rule, SampleReport};
use crate::{AnyClient, ClientOptions, Provider, Secret};
use futures::StreamExt;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Credentials for the live checks, per provider: its credentials and, for a provider whose
/// listing needs one, its scope.
#[derive(Debug, Clone, Default)]
pub struct LiveCredentials {
    by_provider: BTreeMap<Provider, (Vec<Secret>, Option<String>)>,
}

impl LiveCredentials {
    /// Reads whatever credentials the environment has: for each provider, the variables
    /// [`Provider::credential_variables`] names (and its scope's variable, when it has one).
    pub fn from_env() -> Self {
        let var = |name: &str| Secret::from_env(name).ok();
        let mut by_provider = BTreeMap::new();
        for p in Provider::ALL {
            let credentials: Option<Vec<Secret>> =
                p.credential_variables().iter().map(|v| var(v)).collect();
            let scope = crate::providers::paging(*p).scope.map(|s| s.variable);
            let scope_value = scope.map(|v| var(v).map(|s| s.expose().to_string()));
            match (credentials, scope_value) {
                (Some(c), None) => {
                    by_provider.insert(*p, (c, None));
                }
                (Some(c), Some(Some(s))) => {
                    by_provider.insert(*p, (c, Some(s)));
                }
                _ => {}
            }
        }
        LiveCredentials { by_provider }
    }

    /// Sets one provider's credentials (and scope).
    pub fn with(
        mut self,
        provider: Provider,
        credentials: Vec<Secret>,
        scope: Option<String>,
    ) -> Self {
        self.by_provider.insert(provider, (credentials, scope));
        self
    }

    fn get(&self, provider: Provider) -> Option<&(Vec<Secret>, Option<String>)> {
        self.by_provider.get(&provider)
    }
}

/// What the live check of one provider came to.
#[derive(Debug)]
pub enum LiveOutcome {
    /// Checked: one report per operation fetched.
    Checked(Vec<SampleReport>),
    /// Not checked, and why (which variables to set).
    Skipped(String),
    /// The API could not be reached or refused the request.
    Failed(crate::Error),
}

/// Runs the live checks for `provider` with `options` (base URL, timeouts, retries; a
/// recorder set there also gets the replies).
pub async fn check_live(
    provider: Provider,
    credentials: &LiveCredentials,
    options: &ClientOptions,
    known: &KnownDeviations,
) -> LiveOutcome {
    let _ = known;
    let Some((secrets, scope)) = credentials.get(provider) else {
        let mut vars: Vec<&str> = provider.credential_variables().to_vec();
        if let Some(s) = crate::providers::paging(provider).scope {
            vars.push(s.variable);
        }
        return LiveOutcome::Skipped(format!(
            "set {} to check {provider} live",
            vars.join(" and ")
        ));
    };
    let dir = match Scratch::new(provider) {
        Ok(d) => d,
        Err(e) => return LiveOutcome::Failed(crate::Error::Config(e)),
    };
    let fetched = record_live_calls(provider, secrets, scope.as_deref(), options, &dir.0).await;
    let reports = match replay(&dir.0, &BuiltinSpecs) {
        Ok(r) => r.reports,
        Err(e) => {
            let e = format!(
                "cannot read the replies recorded in {}: {e}",
                dir.0.display()
            );
            return LiveOutcome::Failed(crate::Error::Config(e));
        }
    };
    // A reply that does not decode fails the listing, and is what the check reports; a
    // refusal, an error reply or a failure before any reply is the outcome itself.
    match fetched {
        Err(e) if !matches!(e, crate::Error::Decode { .. }) => LiveOutcome::Failed(e),
        _ => LiveOutcome::Checked(
            reports
                .iter()
                .map(|r| as_sample_report(provider, r))
                .collect(),
        ),
    }
}

/// The live calls, made by the real client recording into `dir`: one page of five purchases,
/// and the first one by id where the API has that call. Every reply is recorded, errors
/// included; the first error ends the calls.
pub async fn record_live_calls(
    provider: Provider,
    secrets: &[Secret],
    scope: Option<&str>,
    options: &ClientOptions,
    dir: &Path,
) -> Result<(), crate::Error> {
    let recorder = crate::recording::Recorder::create(dir)
        .map_err(|e| crate::Error::Config(format!("cannot record into {}: {e}", dir.display())))?;
    let options = options.clone().also_record(recorder).prefetch(0);
    let client = AnyClient::with_credentials(provider, secrets, scope, options)?;
    let size = 5.min(provider.max_page_size());
    let first = client.list().page_size(size).purchase_pages().next().await;
    let page = match first {
        Some(page) => page?,
        None => return Ok(()),
    };
    if let (true, Some(p)) = (client.has_get(), page.items.first()) {
        client.get_purchase(&p.id).await?;
    }
    Ok(())
}

/// A reply's findings as a row of the conformance report.
fn as_sample_report(provider: Provider, r: &ReplyReport) -> SampleReport {
    let has = |rules: &[Rule]| r.findings.iter().any(|f| rules.contains(&f.rule));
    SampleReport {
        provider,
        file: super::spec_file(provider),
        operation: r.operation.clone(),
        sample: format!("{} {} (live)", r.operation, r.status),
        schema_valid: !has(&[Rule::Schema]),
        decodes: !has(&[Rule::Decode, Rule::Unmapped]),
        round_trips: !has(&[
            Rule::Decode,
            Rule::Unmapped,
            Rule::RoundTrip,
            Rule::UnknownField,
        ]),
        findings: r
            .findings
            .iter()
            .cloned()
            .map(|mut f| {
                f.known = None;
                f
            })
            .collect(),
        typed: None,
    }
}

/// A folder of its own for one live check, removed afterwards.
struct Scratch(PathBuf);

impl Scratch {
    fn new(provider: Provider) -> Result<Self, String> {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let dir = std::env::temp_dir().join(format!(
            "purchases-live-{provider}-{}-{stamp}-{n}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        Ok(Scratch(dir))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Every reply a live check of `provider` receives (operation, status, body), as the
/// tests and the fuzzer use them.
pub async fn live_replies(
    provider: Provider,
    secrets: &[Secret],
    scope: Option<&str>,
    options: &ClientOptions,
) -> Result<Vec<(String, u16, Vec<u8>)>, crate::Error> {
    let dir = Scratch::new(provider).map_err(crate::Error::Config)?;
    record_live_calls(provider, secrets, scope, options, &dir.0).await?;
    let replies = crate::recording::read_dir(&dir.0)
        .map_err(|e| crate::Error::Config(format!("cannot read the replies: {e}")))?;
    Ok(replies
        .into_iter()
        .filter_map(|(_, r)| r.ok())
        .map(|r| (r.operation, r.status, r.body))
        .collect())
}
