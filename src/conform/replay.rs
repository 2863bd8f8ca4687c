//! Recorded replies as conformance evidence (`purchases conform --replay DIR`).
//!
//! Every reply a client recorded (see [`crate::record`]) is checked offline against the
//! spec the client is generated from (the normalized spec: upstream or hand-written
//! document, then its overlay), like a documented sample: valid against the schema of its
//! operation and status, decodes into the generated type, reads back unchanged with every
//! amount exact, and — from [`purchase_spec::observe`] — no property the schema does not
//! model, no enum value it does not list, no `null` it forbids, no required property
//! missing, amounts in the form the schema gives. What the replies showed beyond the spec
//! is kept as [`Observations`], from which [`Observations::propose`] writes the overlay
//! that would make the spec accept it.

use super::{decoder, Finding, Rule};
use crate::lossless::Json;
use crate::recording::Reply;
use crate::Provider;
use purchase_spec::downconvert::escape;
use purchase_spec::observe::{Observations, Observed};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// What the harness found for one recorded reply.
#[derive(Debug, Clone, Serialize)]
pub struct ReplyReport {
    /// The reply file, relative to the folder replayed.
    pub file: String,
    /// Whose reply (the name recorded, if it is not a provider compiled in).
    pub provider: String,
    /// The operation.
    pub operation: String,
    /// The HTTP status.
    pub status: u16,
    /// Everything it breaks. Findings with `known` set do not fail the replay.
    pub findings: Vec<Finding>,
}

impl ReplyReport {
    /// Findings that fail the replay.
    pub fn new_findings(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.known.is_none())
    }
}

/// Everything a replay found.
#[derive(Debug, Default)]
pub struct Replay {
    /// One report per reply file, in file order.
    pub reports: Vec<ReplyReport>,
    /// What the replies of each provider showed beyond its spec.
    pub observations: BTreeMap<Provider, Observations>,
}

/// Where the specs of a replay come from.
pub trait Specs {
    /// The normalized spec of `provider`.
    fn normalized(&self, provider: Provider) -> Result<Value, String>;
    /// Whether the generated types this binary was built with come from these specs: if
    /// not, what the types do is reported but does not fail the replay (rebuild to check).
    fn types_current(&self) -> bool;
}

/// The specs built into the crate: the ones its types were generated from.
pub struct BuiltinSpecs;

impl Specs for BuiltinSpecs {
    fn normalized(&self, provider: Provider) -> Result<Value, String> {
        super::normalized(provider)
    }
    fn types_current(&self) -> bool {
        true
    }
}

/// Why a type-level finding does not fail a replay against specs the client was not
/// built from.
const NOT_BUILT: &str = "the client was built from other specs: rebuild it to check its types";

/// Why an undocumented transient status does not fail a replay.
const TRANSIENT: &str = "a transient status the client retries; specs seldom document it";

/// Replays every reply file under `dir` against `specs`.
pub fn replay(dir: &Path, specs: &dyn Specs) -> std::io::Result<Replay> {
    let mut out = Replay::default();
    let mut docs: BTreeMap<Provider, Result<Value, String>> = BTreeMap::new();
    for (path, reply) in crate::recording::read_dir(dir)? {
        let file = path
            .strip_prefix(dir)
            .unwrap_or(&path)
            .display()
            .to_string();
        let report = match reply {
            Err(why) => unreadable(file, why),
            Ok(reply) => match reply.provider.parse::<Provider>() {
                Err(_) => ReplyReport {
                    findings: vec![finding(
                        Rule::Unmapped,
                        format!("{:?} is not a provider compiled in", reply.provider),
                    )],
                    ..report_for(file, &reply)
                },
                Ok(provider) => {
                    let doc = docs
                        .entry(provider)
                        .or_insert_with(|| specs.normalized(provider));
                    let observations = out.observations.entry(provider).or_default();
                    check_reply(file, provider, &reply, doc, specs, observations)
                }
            },
        };
        out.reports.push(report);
    }
    Ok(out)
}

fn finding(rule: Rule, detail: String) -> Finding {
    Finding {
        rule,
        detail,
        known: None,
    }
}

fn unreadable(file: String, why: String) -> ReplyReport {
    ReplyReport {
        file,
        provider: "?".into(),
        operation: "?".into(),
        status: 0,
        findings: vec![finding(Rule::Decode, format!("not a reply file: {why}"))],
    }
}

fn report_for(file: String, reply: &Reply) -> ReplyReport {
    ReplyReport {
        file,
        provider: reply.provider.clone(),
        operation: reply.operation.clone(),
        status: reply.status,
        findings: Vec::new(),
    }
}

/// The schema of `operation`'s `status` reply in `doc` (falling back on `default`), and the
/// name of the component response it refers to, if any.
fn response_schema(doc: &Value, operation: &str, status: u16) -> Option<(String, Option<String>)> {
    let (path, method) = doc
        .get("paths")?
        .as_object()?
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .into_iter()
                .flatten()
                .map(move |(m, op)| (path, m, op))
        })
        .find(|(_, _, op)| op.get("operationId").and_then(Value::as_str) == Some(operation))
        .map(|(p, m, _)| (p.clone(), m.clone()))?;
    let responses = format!("/paths/{}/{method}/responses", escape(&path));
    for key in [
        status.to_string(),
        format!("{}XX", status / 100),
        "default".into(),
    ] {
        let at = format!("{responses}/{key}");
        let Some(response) = doc.pointer(&at) else {
            continue;
        };
        let (at, component) = match response.get("$ref").and_then(Value::as_str) {
            Some(r) => (
                r.strip_prefix('#')?.to_string(),
                r.rsplit('/').next().map(str::to_string),
            ),
            None => (at, None),
        };
        let schema = format!("{at}/content/application~1json/schema");
        return doc
            .pointer(&schema)
            .is_some()
            .then_some((schema, component));
    }
    None
}

fn check_reply(
    file: String,
    provider: Provider,
    reply: &Reply,
    doc: &Result<Value, String>,
    specs: &dyn Specs,
    observations: &mut Observations,
) -> ReplyReport {
    let mut report = report_for(file, reply);
    let doc = match doc {
        Ok(doc) => doc,
        Err(e) => {
            report
                .findings
                .push(finding(Rule::Unmapped, format!("no spec: {e}")));
            return report;
        }
    };
    let Some((schema, component)) = response_schema(doc, &reply.operation, reply.status) else {
        let mut f = finding(
            Rule::UndocumentedStatus,
            format!(
                "{} documents no JSON reply with status {} for {}",
                provider, reply.status, reply.operation
            ),
        );
        if reply.status == 429 || reply.status >= 500 {
            f.known = Some(TRANSIENT.into());
        }
        report.findings.push(f);
        return report;
    };
    let text = match std::str::from_utf8(&reply.body) {
        Ok(t) => t,
        Err(_) => {
            report
                .findings
                .push(finding(Rule::Decode, "the body is not UTF-8".into()));
            return report;
        }
    };
    let exact = match Json::parse(text) {
        Ok(j) => j,
        Err(e) => {
            report
                .findings
                .push(finding(Rule::Decode, format!("the body is not JSON: {e}")));
            return report;
        }
    };
    let value = exact.to_value();
    let errors = super::validate(doc, doc.pointer(&schema).unwrap_or(&Value::Null), &value);
    if !errors.is_empty() {
        report
            .findings
            .push(finding(Rule::Schema, super::abbreviate(&errors)));
    }
    let seen = observations.observe(doc, &schema, &value, &report.file);
    let undocumented: Vec<&str> = seen
        .iter()
        .filter(|(o, _)| matches!(o, Observed::Undocumented { .. }))
        .map(|(_, at)| at.as_str())
        .collect();
    for (observed, at) in group(&seen) {
        report.findings.push(finding(
            rule_of(observed),
            format!("{} (at {})", observed.describe(), super::abbreviate(&at)),
        ));
    }
    let (mut typed, mut lost) = type_findings(provider, reply, component.as_deref(), text, &exact);
    // A field the spec does not document is reported once, as undocumented.
    lost.retain(|at| !undocumented.contains(&at.as_str()));
    if !lost.is_empty() {
        typed.push(finding(
            Rule::UnknownField,
            format!(
                "the generated type drops {} fields: {}",
                lost.len(),
                super::abbreviate(&lost)
            ),
        ));
    }
    if !specs.types_current() {
        typed
            .iter_mut()
            .for_each(|f| f.known = Some(NOT_BUILT.into()));
    }
    report.findings.extend(typed);
    report
}

/// Observations of one reply grouped by what they are, with every location.
fn group(seen: &[(Observed, String)]) -> Vec<(&Observed, Vec<String>)> {
    let mut out: Vec<(&Observed, Vec<String>)> = Vec::new();
    for (o, at) in seen {
        let at = if at.is_empty() { "/" } else { at.as_str() };
        match out.iter_mut().find(|(x, _)| *x == o) {
            Some((_, list)) => list.push(at.to_string()),
            None => out.push((o, vec![at.to_string()])),
        }
    }
    out
}

fn rule_of(observed: &Observed) -> Rule {
    match observed {
        Observed::Undocumented { .. } => Rule::UndocumentedField,
        Observed::EnumValue { .. } => Rule::EnumValue,
        Observed::Null { .. } => Rule::Null,
        Observed::MissingRequired { .. } => Rule::MissingRequired,
        Observed::AmountAsText { .. } | Observed::AmountAsNumber { .. } => Rule::AmountForm,
        Observed::Fraction { .. } => Rule::Fraction,
        _ => Rule::Contradiction,
    }
}

/// What the generated type does with the reply: decode, and read back with every value
/// (every amount digit for digit) kept; and the fields it dropped (JSON pointers).
fn type_findings(
    provider: Provider,
    reply: &Reply,
    component: Option<&str>,
    text: &str,
    exact: &Json,
) -> (Vec<Finding>, Vec<String>) {
    let named = format!("{} {}", reply.operation, reply.status);
    let Some(decode) = reply_type(provider, &reply.operation, reply.status, component) else {
        let f = finding(
            Rule::Unmapped,
            format!("no generated type is mapped to {named}"),
        );
        return (vec![f], Vec::new());
    };
    let back = match decode(text) {
        Ok(back) => back,
        Err(e) => return (vec![finding(Rule::Decode, e)], Vec::new()),
    };
    let mut changed = Vec::new();
    let mut lost = Vec::new();
    exact_differences(exact, &back, "", &mut changed, &mut lost);
    let mut out = Vec::new();
    if !changed.is_empty() {
        out.push(finding(Rule::RoundTrip, super::abbreviate(&changed)));
    }
    (out, lost)
}

/// The generated type of `operation`'s reply with `status` (its component, if the reply is
/// one), as a decode function.
fn reply_type(
    provider: Provider,
    operation: &str,
    status: u16,
    component: Option<&str>,
) -> Option<super::Decode> {
    decoder(provider, &format!("{operation} {status}"))
        .or_else(|| component.and_then(|c| decoder(provider, &format!("response {c}"))))
}

/// The generated type of the JSON reply of `operation` with `status`, as the replay
/// checker finds it in the normalized spec `doc`: a decode function that writes the value
/// back.
pub fn reply_decoder(
    provider: Provider,
    doc: &Value,
    operation: &str,
    status: u16,
) -> Option<super::Decode> {
    let (_, component) = response_schema(doc, operation, status)?;
    reply_type(provider, operation, status, component.as_deref())
}

/// A page of `provider`'s list operation, as JSON text, decoded and normalized as the
/// client lists it (for an API listed by scope, the demo scope).
pub fn page_purchases(
    provider: Provider,
    text: &str,
) -> Result<Vec<crate::Purchase>, crate::Error> {
    use crate::paginate::ListOperation;
    crate::with_api!(provider, A => {
        type L = <A as crate::providers::ProviderApi>::List;
        let paging = <L as ListOperation>::PAGING;
        let page: <L as ListOperation>::Page =
            serde_json::from_str(text).map_err(|e| crate::Error::Decode {
                provider,
                operation: paging.operation,
                status: 200,
                reason: e.to_string(),
                excerpt: crate::redact::truncate(text, 200),
            })?;
        let (items, _) = <L as ListOperation>::split(page, true)?;
        items
            .into_iter()
            .map(|i| <L as ListOperation>::purchase(i, A::MOCK.scope))
            .collect()
    })
}

/// Compares a body as received (`text`) with what a type decoded from it wrote back:
/// `(changed, lost)`, the values that differ (an amount must keep every digit) and the
/// fields the type dropped, as JSON pointers with details.
pub fn compare_decoded(text: &str, decoded: &Json) -> Result<(Vec<String>, Vec<String>), String> {
    let exact = Json::parse(text)?;
    let (mut changed, mut lost) = (Vec::new(), Vec::new());
    exact_differences(&exact, decoded, "", &mut changed, &mut lost);
    Ok((changed, lost))
}

/// Whether two numbers written differently are the same value (`1.50` and `1.5`, `1e2` and
/// `100`).
fn same_number(text: &str, other: &str) -> bool {
    text == other
        || matches!(
            (crate::decimal::parse_exact(text), crate::decimal::parse_exact(other)),
            (Ok(a), Ok(b)) if a == b
        )
}

/// Whether a string the type wrote back is the received one as a value: the same text; or
/// the same instant (a date-time respelled: `+00:00` as `Z`, `t`/`z` in upper case, `.5`
/// as `.500`, a leap second kept) with no digit lost — fraction digits beyond the
/// nanosecond must be zeros; or the same uuid in another case. `Err` says what was lost.
pub(crate) fn same_string(received: &str, written: &str) -> Result<bool, String> {
    if received == written {
        return Ok(true);
    }
    if let (Ok(a), Ok(b)) = (
        chrono::DateTime::parse_from_rfc3339(received),
        chrono::DateTime::parse_from_rfc3339(written),
    ) {
        if a != b {
            return Ok(false);
        }
        let beyond = fraction_digits(received).get(9..).unwrap_or("").to_string();
        return if beyond.bytes().all(|c| c == b'0') {
            Ok(true)
        } else {
            Err(format!(
                "the digits beyond the nanosecond ({beyond}) are lost: a date-time keeps nine fraction digits"
            ))
        };
    }
    Ok(is_uuid(received) && received.eq_ignore_ascii_case(written))
}

/// The fraction digits of the seconds of an RFC 3339 date-time.
fn fraction_digits(text: &str) -> &str {
    match text.find('.') {
        Some(dot) => {
            let rest = &text[dot + 1..];
            &rest[..rest
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len())]
        }
        None => "",
    }
}

fn is_uuid(text: &str) -> bool {
    text.len() == 36
        && text.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// [`super::differences`] against the reply as received: every number compared by its
/// digits (an amount decoded as a `Decimal` is written back as a string with the same
/// digits), every date-time and uuid by its value.
fn exact_differences(
    expected: &Json,
    actual: &Json,
    at: &str,
    changed: &mut Vec<String>,
    lost: &mut Vec<String>,
) {
    let empty = |v: &Json| match v {
        Json::Null => true,
        Json::Array(a) => a.is_empty(),
        Json::Object(o) => o.is_empty(),
        _ => false,
    };
    let here = || if at.is_empty() { "/" } else { at }.to_string();
    match (expected, actual) {
        (Json::Object(e), Json::Object(a)) => {
            for (key, ev) in e {
                let here = format!("{at}/{}", escape(key));
                match a.iter().find(|(k, _)| k == key) {
                    None if !empty(ev) => lost.push(here),
                    None => {}
                    Some((_, av)) => exact_differences(ev, av, &here, changed, lost),
                }
            }
            for (key, av) in a {
                if !empty(av) && !e.iter().any(|(k, _)| k == key) {
                    changed.push(format!(
                        "{at}/{}: not in the reply, written back as {}",
                        escape(key),
                        av.to_text()
                    ));
                }
            }
        }
        (Json::Array(e), Json::Array(a)) if e.len() == a.len() => {
            for (i, (ev, av)) in e.iter().zip(a).enumerate() {
                exact_differences(ev, av, &format!("{at}/{i}"), changed, lost);
            }
        }
        (Json::Number(n) | Json::String(n), Json::String(s) | Json::Number(s))
            if same_number(n, s) => {}
        (Json::String(e), Json::String(a)) => match same_string(e, a) {
            Ok(true) => {}
            Ok(false) => changed.push(format!("{}: received {e:?}, decoded {a:?}", here())),
            Err(why) => changed.push(format!("{}: received {e:?}, decoded {a:?}: {why}", here())),
        },
        (Json::Bool(e), Json::Bool(a)) if e == a => {}
        (Json::Null, Json::Null) => {}
        (e, a) if empty(e) && a.is_null() => {}
        (e, a) => changed.push(format!(
            "{}: received {}, decoded {}",
            here(),
            e.to_text(),
            a.to_text()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn amounts_compare_by_their_digits() {
        let exact =
            Json::parse(r#"{"total": 1234567890.1234567891, "n": 3, "s": "9.10"}"#).unwrap();
        let (mut changed, mut lost) = (Vec::new(), Vec::new());
        let back =
            Json::parse(r#"{"total": "1234567890.1234567891", "n": 3, "s": "9.10"}"#).unwrap();
        exact_differences(&exact, &back, "", &mut changed, &mut lost);
        assert!(
            changed.is_empty() && lost.is_empty(),
            "{changed:?} {lost:?}"
        );
        let lossy = Json::parse(r#"{"total": "1234567890.123456789", "n": 3}"#).unwrap();
        exact_differences(&exact, &lossy, "", &mut changed, &mut lost);
        assert_eq!(changed.len(), 1, "{changed:?}");
        assert!(changed[0].starts_with("/total"), "{changed:?}");
        assert_eq!(lost, ["/s"]);
    }

    #[test]
    fn a_reply_finds_its_schema_by_operation_and_status() {
        let doc = json!({"paths": {"/p": {"get": {"operationId": "list", "responses": {
            "200": {"content": {"application/json": {"schema": {"type": "object"}}}},
            "4XX": {"$ref": "#/components/responses/Err"}
        }}}}, "components": {"responses": {"Err": {"content": {"application/json": {"schema": {"type": "object"}}}}}}});
        assert_eq!(
            response_schema(&doc, "list", 200),
            Some((
                "/paths/~1p/get/responses/200/content/application~1json/schema".into(),
                None
            ))
        );
        assert_eq!(
            response_schema(&doc, "list", 404),
            Some((
                "/components/responses/Err/content/application~1json/schema".into(),
                Some("Err".into())
            ))
        );
        assert_eq!(response_schema(&doc, "list", 503), None);
        assert_eq!(response_schema(&doc, "other", 200), None);
    }
}
