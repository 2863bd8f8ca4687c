//! Live conformance (opt-in): the same checks on what the real APIs send today.
//!
//! For each provider whose credentials are in the environment, one read-only page is
//! fetched per operation and checked like a documented sample: schema violations and
//! fields the spec does not describe are reported. A provider without credentials is
//! skipped, with the variables to set.

use super::{check_sample, KnownDeviations, Sample, SampleReport};
use crate::transport::{Auth, Inner};
use crate::{ClientOptions, Provider, Secret};
use serde_json::{json, Value};

/// Credentials for the live checks.
#[derive(Debug, Clone, Default)]
pub struct LiveCredentials {
    /// `COCALC_API_KEY`.
    pub cocalc_api_key: Option<Secret>,
    /// `SUBTOTAL_API_KEY` and `SUBTOTAL_CONNECTION_TOKEN`.
    pub subtotal: Option<(Secret, Secret)>,
    /// `TOGAI_API_TOKEN` and `TOGAI_ACCOUNT_ID`.
    pub togai: Option<(Secret, String)>,
    /// `KIT_ACCESS_TOKEN`.
    pub kit_access_token: Option<Secret>,
}

impl LiveCredentials {
    /// Reads whatever credentials the environment has.
    pub fn from_env() -> Self {
        let var = |name: &str| Secret::from_env(name).ok();
        LiveCredentials {
            cocalc_api_key: var("COCALC_API_KEY"),
            subtotal: var("SUBTOTAL_API_KEY").zip(var("SUBTOTAL_CONNECTION_TOKEN")),
            togai: var("TOGAI_API_TOKEN")
                .zip(var("TOGAI_ACCOUNT_ID").map(|s| s.expose().to_string())),
            kit_access_token: var("KIT_ACCESS_TOKEN"),
        }
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

/// One request of the live check: operation, method, path (and its template), query, body.
struct Call {
    operation: &'static str,
    template: &'static str,
    method: reqwest::Method,
    path: String,
    query: Vec<(&'static str, String)>,
    body: Option<Value>,
}

/// Runs the live checks for `provider` with `options` (base URL, timeouts, retries).
pub async fn check_live(
    provider: Provider,
    credentials: &LiveCredentials,
    options: &ClientOptions,
    known: &KnownDeviations,
) -> LiveOutcome {
    let (auth, calls) = match provider {
        Provider::CoCalc => match &credentials.cocalc_api_key {
            None => return LiveOutcome::Skipped("set COCALC_API_KEY to check CoCalc live".into()),
            Some(key) => (
                Auth::BasicKey(key.clone()),
                vec![Call {
                    operation: "get_purchases",
                    template: "/api/v2/purchases/get-purchases",
                    method: reqwest::Method::POST,
                    path: "/api/v2/purchases/get-purchases".into(),
                    query: vec![],
                    body: Some(json!({"limit": 5})),
                }],
            ),
        },
        Provider::Subtotal => match &credentials.subtotal {
            None => {
                return LiveOutcome::Skipped(
                    "set SUBTOTAL_API_KEY and SUBTOTAL_CONNECTION_TOKEN to check Subtotal live"
                        .into(),
                )
            }
            Some((key, token)) => (
                Auth::KeyAndBearer {
                    key: key.clone(),
                    token: token.clone(),
                },
                vec![Call {
                    operation: "list_purchases",
                    template: "/purchases",
                    method: reqwest::Method::GET,
                    path: "/purchases".into(),
                    query: vec![("limit", "5".into())],
                    body: None,
                }],
            ),
        },
        Provider::Togai => match &credentials.togai {
            None => {
                return LiveOutcome::Skipped(
                    "set TOGAI_API_TOKEN and TOGAI_ACCOUNT_ID to check Togai live".into(),
                )
            }
            Some((token, account)) => (
                Auth::Bearer(token.clone()),
                vec![Call {
                    operation: "list_purchases",
                    template: "/accounts/{account_id}/purchases",
                    method: reqwest::Method::GET,
                    path: format!(
                        "/accounts/{}/purchases",
                        progenitor_client::encode_path(account)
                    ),
                    query: vec![("pageSize", "5".into())],
                    body: None,
                }],
            ),
        },
        Provider::Kit => match &credentials.kit_access_token {
            None => return LiveOutcome::Skipped("set KIT_ACCESS_TOKEN to check Kit live".into()),
            Some(token) => (
                Auth::Bearer(token.clone()),
                vec![Call {
                    operation: "list_purchases",
                    template: "/v4/purchases",
                    method: reqwest::Method::GET,
                    path: "/v4/purchases".into(),
                    query: vec![("per_page", "5".into())],
                    body: None,
                }],
            ),
        },
    };
    let (base, http, inner) = match options.connect(provider, auth) {
        Ok(parts) => parts,
        Err(e) => return LiveOutcome::Failed(e),
    };
    let (documented, names) = match (super::documented(provider), super::normalized(provider)) {
        (Ok(d), Ok(n)) => (d, n),
        (Err(e), _) | (_, Err(e)) => return LiveOutcome::Failed(crate::Error::Config(e)),
    };

    let mut reports = Vec::new();
    let mut pending = calls;
    while let Some(call) = pending.pop() {
        let body = match fetch(&http, &inner, &base, &call).await {
            Ok(b) => b,
            Err(e) => return LiveOutcome::Failed(e),
        };
        // Togai: follow the first listed purchase to its own endpoint.
        if provider == Provider::Togai && call.operation == "list_purchases" {
            if let Some(id) = body.pointer("/data/0/id").and_then(Value::as_str) {
                pending.push(Call {
                    operation: "get_purchase",
                    template: "/purchases/{purchase_id}",
                    method: reqwest::Method::GET,
                    path: format!("/purchases/{}", progenitor_client::encode_path(id)),
                    query: vec![],
                    body: None,
                });
            }
        }
        let schema_pointer = super::response_schema_pointer(&names, call.operation, "200");
        let sample = Sample {
            provider,
            operation: call.operation.to_string(),
            name: format!("{} 200", call.operation),
            pointer: format!("live {} {}", call.method, call.path),
            value: body,
            schema_pointer,
        };
        let mut report = check_sample(&super::spec_file(provider), &documented, &sample, known);
        report.sample = format!("{} (live)", report.sample);
        // A live response is not a sample: known deviations of the documented samples do
        // not excuse it.
        for finding in &mut report.findings {
            finding.known = None;
        }
        reports.push(report);
    }
    LiveOutcome::Checked(reports)
}

async fn fetch(
    http: &reqwest::Client,
    inner: &Inner,
    base: &str,
    call: &Call,
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
        .map_err(|e| crate::error::transport_error(inner, e))?;
    let status = response.status().as_u16();
    let retry_after = crate::transport::retry_after(response.headers());
    let bytes = response
        .bytes()
        .await
        .map_err(|e| crate::error::transport_error(inner, e))?;
    if !(200..=299).contains(&status) {
        let body = crate::ApiErrorBody::Other(inner.clean_bytes(&bytes));
        return Err(crate::error::classify_status(
            inner,
            call.operation,
            status,
            retry_after,
            body,
        ));
    }
    // CoCalc reports errors with HTTP 200.
    if inner.provider == Provider::CoCalc {
        if let Ok(reply) = serde_json::from_slice::<crate::cocalc::types::ErrorResponse>(&bytes) {
            return Err(crate::error::cocalc_reply(inner, reply));
        }
    }
    serde_json::from_slice(&bytes).map_err(|e| crate::Error::Decode {
        provider: inner.provider,
        operation: call.operation,
        status,
        reason: inner.clean(&e.to_string()),
        excerpt: inner.clean_bytes(&bytes),
    })
}
