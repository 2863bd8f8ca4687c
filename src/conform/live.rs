//! Live conformance (opt-in): the same checks on what the real APIs send today.
//!
//! For each provider whose credentials are in the environment, one read-only page is
//! fetched per operation and checked like a documented sample: schema violations and
//! fields the spec does not describe are reported. A provider without credentials is
//! skipped, with the variables to set.

use super::{check_sample, KnownDeviations, Sample, SampleReport};
use crate::context::Context;
use crate::{ClientOptions, Provider, Secret};
use serde_json::Value;
use std::collections::BTreeMap;

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
            let scope = crate::with_api!(*p, A => A::SCOPE.map(|(_, variable)| variable));
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

/// One request of the live check: operation, path template, method, path, query, body.
#[derive(Debug, Clone)]
pub struct LiveCall {
    /// The operation id.
    pub operation: &'static str,
    /// The operation's path template.
    pub template: &'static str,
    /// The method.
    pub method: reqwest::Method,
    /// The path, parameters filled in.
    pub path: String,
    /// Query parameters.
    pub query: Vec<(&'static str, String)>,
    /// A JSON body.
    pub body: Option<Value>,
}

/// Runs the live checks for `provider` with `options` (base URL, timeouts, retries).
pub async fn check_live(
    provider: Provider,
    credentials: &LiveCredentials,
    options: &ClientOptions,
    known: &KnownDeviations,
) -> LiveOutcome {
    let Some((secrets, scope)) = credentials.get(provider) else {
        let mut vars: Vec<&str> = provider.credential_variables().to_vec();
        if let Some(v) = crate::with_api!(provider, A => A::SCOPE.map(|(_, v)| v)) {
            vars.push(v);
        }
        return LiveOutcome::Skipped(format!(
            "set {} to check {provider} live",
            vars.join(" and ")
        ));
    };
    let (documented, names) = match (super::documented(provider), super::normalized(provider)) {
        (Ok(d), Ok(n)) => (d, n),
        (Err(e), _) | (_, Err(e)) => return LiveOutcome::Failed(crate::Error::Config(e)),
    };
    let bodies = match fetch_bodies(provider, secrets, scope.as_deref(), options).await {
        Ok(bodies) => bodies,
        Err(e) => return LiveOutcome::Failed(e),
    };
    let reports = bodies
        .into_iter()
        .map(|(call, body)| report(provider, &documented, &names, &call, body, known))
        .collect();
    LiveOutcome::Checked(reports)
}

/// Makes the live checks' read-only requests (and their follow-ups) to `provider` and
/// returns every reply's body as JSON, with the request it answered.
pub async fn fetch_bodies(
    provider: Provider,
    credentials: &[Secret],
    scope: Option<&str>,
    options: &ClientOptions,
) -> Result<Vec<(LiveCall, Value)>, crate::Error> {
    let (base, http, inner) = crate::with_api!(provider, A => options.connect::<A>(credentials))?;
    let mut out = Vec::new();
    let mut pending = crate::with_api!(provider, A => A::live_calls(scope));
    while let Some(call) = pending.pop() {
        let body = fetch(&http, &inner, &base, &call).await?;
        if let Some(next) = crate::with_api!(provider, A => A::live_follow_up(&call, &body)) {
            pending.push(next);
        }
        out.push((call, body));
    }
    Ok(out)
}

/// A live reply checked like a documented sample; known deviations of the documented
/// samples do not excuse it.
fn report(
    provider: Provider,
    documented: &Value,
    names: &Value,
    call: &LiveCall,
    body: Value,
    known: &KnownDeviations,
) -> SampleReport {
    let sample = Sample {
        provider,
        operation: call.operation.to_string(),
        name: format!("{} 200", call.operation),
        pointer: format!("live {} {}", call.method, call.path),
        value: body,
        schema_pointer: super::response_schema_pointer(names, call.operation, "200"),
    };
    let mut report = check_sample(&super::spec_file(provider), documented, &sample, known);
    report.sample = format!("{} (live)", report.sample);
    for finding in &mut report.findings {
        finding.known = None;
    }
    report
}

async fn fetch(
    http: &reqwest::Client,
    inner: &Context,
    base: &str,
    call: &LiveCall,
) -> Result<Value, crate::Error> {
    let url = format!("{base}{}", call.path);
    let mut builder = http
        .request(call.method.clone(), &url)
        .header(reqwest::header::ACCEPT, "application/json")
        .query(&call.query);
    if let Some(body) = &call.body {
        builder = builder.json(body);
    }
    let mut request = builder
        .build()
        .map_err(|e| crate::Error::Config(format!("cannot build the request: {e}")))?;
    crate::transport::authenticate(inner, &mut request);
    let operation = crate::transport::Operation {
        id: call.operation,
        template: call.template,
    };
    let response = crate::transport::execute(http, inner, request, operation)
        .await
        .map_err(|e| crate::transport::transport_error(inner, e))?;
    let status = response.status().as_u16();
    let retry_after = crate::transport::retry_after(response.headers());
    let bytes = response
        .bytes()
        .await
        .map_err(|e| crate::transport::transport_error(inner, e))?;
    if !(200..=299).contains(&status) {
        let body = crate::ApiErrorBody::Other(inner.clean_bytes(&bytes));
        return Err(crate::transport::classify_status(
            inner,
            call.operation,
            status,
            retry_after,
            body,
        ));
    }
    // Some providers report errors as data, with HTTP 200.
    if let Some(e) = crate::with_api!(inner.provider, A => A::error_reply(inner, &bytes)) {
        return Err(e);
    }
    serde_json::from_slice(&bytes).map_err(|e| crate::Error::Decode {
        provider: inner.provider,
        operation: call.operation,
        status,
        reason: inner.clean(&e.to_string()),
        excerpt: inner.clean_bytes(&bytes),
    })
}
