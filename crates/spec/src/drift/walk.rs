//! The document walk: servers, security schemes, operations, parameters, bodies and
//! responses, each matched by identity (parameters by location and name as written, header
//! names case-insensitively, path parameters by their place in the path).

use super::canonical::{escape, Canon, Schema};
use super::schema::{SchemaDiff, Scope};
use super::Finding;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};

const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// One operation, found in a document.
pub struct Op<'a> {
    /// `GET /v4/purchases`.
    pub name: String,
    path: &'a str,
    path_item: &'a Value,
    pub(crate) op: &'a Value,
    /// JSON pointer to the operation.
    pub at: String,
}

/// Every operation, keyed by method and path with parameter names blanked (`/a/{}`), so
/// that renaming a path parameter is not a removed operation.
pub fn operations(doc: &Value) -> BTreeMap<(String, String), Op<'_>> {
    let mut out = BTreeMap::new();
    for (path, item) in doc
        .get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        for method in METHODS {
            if let Some(op) = item.get(*method) {
                out.insert(
                    (blank_params(path), method.to_string()),
                    Op {
                        name: format!("{} {path}", method.to_uppercase()),
                        path,
                        path_item: item,
                        op,
                        at: format!("/paths/{}/{method}", escape(path)),
                    },
                );
            }
        }
    }
    out
}

/// `/a/{id}/b` → `/a/{}/b`.
pub fn blank_params(path: &str) -> String {
    let mut out = String::new();
    let mut in_param = false;
    for c in path.chars() {
        match c {
            '{' => {
                in_param = true;
                out.push_str("{}");
            }
            '}' => in_param = false,
            _ if in_param => {}
            _ => out.push(c),
        }
    }
    out
}

/// The path parameter names in order of appearance.
fn path_param_names(path: &str) -> Vec<&str> {
    path.split('{')
        .skip(1)
        .filter_map(|s| s.split_once('}').map(|(n, _)| n))
        .collect()
}

/// Both documents, their canonical builders, and what the comparison collects.
pub struct Walk<'a> {
    pub old: &'a Value,
    pub new: &'a Value,
    pub old_canon: Canon<'a>,
    pub new_canon: Canon<'a>,
    pub schemas: SchemaDiff,
    /// Findings, each with the operation it was found under (`-` for the document).
    pub found: Vec<(String, Finding)>,
    /// Today, `YYYY-MM-DD`, to compare sunset dates with.
    pub today: String,
}

fn finding(rule: &'static str, at: &str, old_side: bool, message: String) -> Finding {
    Finding {
        rule,
        pointer: at.to_string(),
        old_side,
        message,
    }
}

/// An `x-sunset` value as a date (`YYYY-MM-DD`), written as a date or an RFC 3339
/// date-time; `None` when it is neither.
pub(crate) fn sunset_date(s: &str) -> Option<String> {
    if chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok() {
        return Some(s.to_string());
    }
    chrono::DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|d| d.date_naive().format("%Y-%m-%d").to_string())
}

/// A form-style, exploded parameter that was a scalar (of one or several types) and is now
/// an array of items that take every value it took, unconstrained: `?p=5` is then the same
/// request as before.
fn scalar_became_exploded_array(old: &Schema, new: &Schema) -> bool {
    const SCALARS: &[&str] = &["string", "integer", "number", "boolean"];
    let (Some(items), true) = (&new.items, new.single_type() == Some("array")) else {
        return false;
    };
    // The old types: its own, or those of a union of plain types (how a 3.1 type list
    // reads after the down-conversion).
    let mut types = old.types.clone();
    if types.is_empty() {
        for alt in old.any_of.iter().chain(&old.one_of) {
            types.extend(alt.types.iter().cloned());
        }
    }
    let scalar = !types.is_empty() && types.iter().all(|t| SCALARS.contains(&t.as_str()));
    // Every scalar's text is a string; otherwise the item must take each old type.
    let takes_all = items.single_type() == Some("string") && items.format.is_none()
        || types.iter().all(|t| items.types.contains(t));
    let unconstrained = items.enum_values.is_none()
        && items.pattern.is_none()
        && items.bounds.is_empty()
        && new.bounds.get("minItems").is_none_or(|b| b.value <= 1.0);
    scalar && takes_all && unconstrained
}

/// One security requirement alternative: each scheme with the scopes it needs.
type Alt = BTreeMap<String, BTreeSet<String>>;

/// The alternatives of a `security` list (none when it is absent or not a list).
fn security_alternatives(list: Option<&Value>) -> BTreeSet<Alt> {
    list.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
        .map(|alt| {
            alt.iter()
                .map(|(scheme, scopes)| {
                    let scopes = scopes
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                        .map(String::from)
                        .collect();
                    (scheme.clone(), scopes)
                })
                .collect()
        })
        .collect()
}

/// The stability levels `x-stability-level` may take, least stable first.
pub(crate) const STABILITY: &[&str] = &["draft", "alpha", "beta", "stable"];

/// How a stability level moved (`decreased` or `increased`, from, to), when both are levels
/// and they differ.
pub(crate) fn stability_moved(
    old: Option<&str>,
    new: Option<&str>,
) -> Option<(&'static str, &'static str, &'static str)> {
    let level = |s: Option<&str>| STABILITY.iter().position(|l| Some(*l) == s);
    let (o, n) = (level(old)?, level(new)?);
    let how = match n.cmp(&o) {
        std::cmp::Ordering::Less => "decreased",
        std::cmp::Ordering::Greater => "increased",
        std::cmp::Ordering::Equal => return None,
    };
    Some((how, STABILITY[o], STABILITY[n]))
}

fn is_true(v: &Value, key: &str) -> bool {
    v.get(key) == Some(&Value::Bool(true))
}

fn str_of<'v>(v: &'v Value, key: &str) -> Option<&'v str> {
    v.get(key).and_then(Value::as_str)
}

/// Documentation of an operation, parameter or response: what may change without any
/// effect on the wire.
fn docs(v: &Value) -> Map<String, Value> {
    [
        "summary",
        "description",
        "externalDocs",
        "example",
        "examples",
    ]
    .iter()
    .filter_map(|k| v.get(*k).map(|d| (k.to_string(), d.clone())))
    .collect()
}

impl<'a> Walk<'a> {
    fn push(&mut self, op: &str, f: Finding) {
        self.found.push((op.to_string(), f));
    }

    fn schema(&mut self, op: &str, old: (&Value, &str), new: (&Value, &str), scope: Scope) {
        let o = self.old_canon.schema(old.0, old.1);
        let n = self.new_canon.schema(new.0, new.1);
        for f in self.schemas.compare(&o, &n, scope, true) {
            self.push(op, f);
        }
    }

    /// The whole document.
    pub fn document(&mut self) {
        self.servers();
        self.webhooks();
        self.security_schemes();
        self.global_security();
        self.external_refs();
        let (old_ops, new_ops) = (operations(self.old), operations(self.new));
        let new_paths: BTreeSet<&String> = new_ops.keys().map(|(p, _)| p).collect();
        for (key, op) in &old_ops {
            match new_ops.get(key) {
                None => self.removed_operation(op, new_paths.contains(&key.0)),
                Some(n) => self.operation(op, n),
            }
        }
        for (key, op) in &new_ops {
            if !old_ops.contains_key(key) {
                self.push(
                    &op.name,
                    finding(
                        "endpoint-added",
                        &op.at,
                        false,
                        format!("new operation {}", op.name),
                    ),
                );
            }
        }
    }

    /// Webhooks are requests the API sends, not calls a client makes: compared so that a
    /// change is reported, never dropped, at the level of what a client feels (nothing).
    fn webhooks(&mut self) {
        let hooks = |d: &'a Value| d.get("webhooks").and_then(Value::as_object);
        let (o, n) = (hooks(self.old), hooks(self.new));
        let empty = serde_json::Map::new();
        let (o, n) = (o.unwrap_or(&empty), n.unwrap_or(&empty));
        for (name, hook) in o {
            let at = format!("/webhooks/{}", escape(name));
            let (rule, old_side, what) = match n.get(name) {
                None => ("webhook-removed", true, "was removed"),
                Some(h) if h != hook => ("webhook-changed", false, "changed"),
                Some(_) => continue,
            };
            self.push(
                "-",
                finding(rule, &at, old_side, format!("webhook {name} {what}")),
            );
        }
        for name in n.keys().filter(|k| !o.contains_key(*k)) {
            let at = format!("/webhooks/{}", escape(name));
            self.push(
                "-",
                finding("webhook-added", &at, false, format!("new webhook {name}")),
            );
        }
    }

    fn servers(&mut self) {
        let urls = |d: &Value| -> BTreeSet<String> {
            d.get("servers")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|s| str_of(s, "url").map(|u| u.trim_end_matches('/').to_string()))
                .collect()
        };
        let (o, n) = (urls(self.old), urls(self.new));
        for url in o.difference(&n) {
            self.push(
                "-",
                finding(
                    "server-url-removed",
                    "/servers",
                    true,
                    format!("server {url} is no longer listed"),
                ),
            );
        }
        if !o.is_empty() {
            for url in n.difference(&o) {
                self.push(
                    "-",
                    finding(
                        "server-url-added",
                        "/servers",
                        false,
                        format!("new server {url}"),
                    ),
                );
            }
        }
    }

    /// A document-wide finding.
    fn push_doc(&mut self, rule: &'static str, at: &str, old_side: bool, message: String) {
        self.push("-", finding(rule, at, old_side, message));
    }

    fn security_schemes(&mut self) {
        let schemes = |d: &Value| -> Map<String, Value> {
            d.pointer("/components/securitySchemes")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default()
        };
        let (o, n) = (schemes(self.old), schemes(self.new));
        for (name, old) in &o {
            let at = format!("/components/securitySchemes/{}", escape(name));
            match n.get(name) {
                Some(new) => self.security_scheme(name, &at, old, new),
                None => self.push_doc(
                    "api-security-component-removed",
                    &at,
                    true,
                    format!("security scheme {name} was removed"),
                ),
            }
        }
        for name in n.keys().filter(|k| !o.contains_key(*k)) {
            let at = format!("/components/securitySchemes/{}", escape(name));
            self.push_doc(
                "api-security-component-added",
                &at,
                false,
                format!("new security scheme {name}"),
            );
        }
    }

    /// One security scheme present in both documents.
    fn security_scheme(&mut self, name: &str, at: &str, old: &Value, new: &Value) {
        let shown = |v: &Value, keys: &[&str]| -> String {
            let parts: Vec<String> = keys
                .iter()
                .map(|k| v.get(*k).map_or("none".to_string(), |x| x.to_string()))
                .collect();
            parts.join(" ")
        };
        let changed = |keys: &[&str]| keys.iter().any(|k| old.get(*k) != new.get(*k));
        if changed(&["type"]) {
            let (o, n) = (shown(old, &["type"]), shown(new, &["type"]));
            let message = format!("security scheme {name}: type changed from {o} to {n}");
            self.push_doc("api-security-component-type-changed", at, false, message);
            return;
        }
        let fields: [(&[&str], &'static str, &str); 3] = [
            (
                &["scheme"],
                "api-security-component-scheme-changed",
                "HTTP scheme",
            ),
            (
                &["in", "name"],
                "api-security-component-location-changed",
                "the key's place",
            ),
            (
                &["bearerFormat"],
                "api-security-component-bearer-format-changed",
                "bearerFormat",
            ),
        ];
        for (keys, rule, what) in fields {
            if changed(keys) {
                let (o, n) = (shown(old, keys), shown(new, keys));
                let message = format!("security scheme {name}: {what} changed from {o} to {n}");
                self.push_doc(rule, at, false, message);
            }
        }
        let scopes = |v: &Value| -> BTreeSet<String> {
            v.get("flows")
                .and_then(Value::as_object)
                .into_iter()
                .flat_map(|flows| flows.values())
                .filter_map(|f| f.get("scopes").and_then(Value::as_object))
                .flat_map(|s| s.keys().cloned())
                .collect()
        };
        let (os, ns) = (scopes(old), scopes(new));
        for s in ns.difference(&os) {
            let message = format!("security scheme {name}: new scope {s}");
            self.push_doc(
                "api-security-component-oauth-scope-added",
                at,
                false,
                message,
            );
        }
        for s in os.difference(&ns) {
            let message = format!("security scheme {name}: scope {s} was removed");
            self.push_doc(
                "api-security-component-oauth-scope-removed",
                at,
                false,
                message,
            );
        }
        if docs(old) != docs(new) {
            let message = format!("security scheme {name}: documentation changed");
            self.push_doc("documentation-changed", at, false, message);
        }
    }

    fn removed_operation(&mut self, op: &Op<'a>, path_remains: bool) {
        let sunset = str_of(op.op, "x-sunset").and_then(sunset_date);
        let kind = if !is_true(op.op, "deprecated") {
            "without-deprecation"
        } else if sunset.as_deref().is_some_and(|s| s > self.today.as_str()) {
            "before-sunset"
        } else {
            "with-deprecation"
        };
        let rule = match (path_remains, kind) {
            (true, "without-deprecation") => "api-removed-without-deprecation",
            (true, "before-sunset") => "api-removed-before-sunset",
            (true, _) => "api-removed-with-deprecation",
            (false, "without-deprecation") => "api-path-removed-without-deprecation",
            (false, "before-sunset") => "api-path-removed-before-sunset",
            (false, _) => "api-path-removed-with-deprecation",
        };
        let what = if path_remains { "operation" } else { "path" };
        self.push(
            &op.name,
            finding(
                rule,
                &op.at,
                true,
                format!("the {what} of {} was removed", op.name),
            ),
        );
    }

    fn operation(&mut self, old: &Op<'a>, new: &Op<'a>) {
        let (name, at) = (new.name.clone(), new.at.clone());
        self.lifecycle(old, new);
        if docs(old.op) != docs(new.op) {
            self.push(
                &name,
                finding(
                    "documentation-changed",
                    &at,
                    false,
                    "the operation's documentation changed".into(),
                ),
            );
        }
        self.security(old, new);
        self.parameters(old, new);
        self.request_body(old, new);
        self.responses(old, new);
    }

    fn lifecycle(&mut self, old: &Op<'a>, new: &Op<'a>) {
        let (name, at) = (new.name.as_str(), new.at.as_str());
        let sunset = |op: &Op| str_of(op.op, "x-sunset").map(String::from);
        match (is_true(old.op, "deprecated"), is_true(new.op, "deprecated")) {
            (false, true) => {
                let rule = match sunset(new) {
                    Some(_) => "endpoint-deprecated-with-sunset",
                    None => "endpoint-deprecated",
                };
                self.push(
                    name,
                    finding(
                        rule,
                        at,
                        false,
                        format!(
                            "the operation is now deprecated{}",
                            sunset(new)
                                .map(|s| format!(", sunset {s}"))
                                .unwrap_or_default()
                        ),
                    ),
                );
            }
            (true, false) => self.push(
                name,
                finding(
                    "endpoint-reactivated",
                    at,
                    false,
                    "the operation is no longer deprecated".into(),
                ),
            ),
            (true, true) => {
                let (o, n) = (sunset(old), sunset(new));
                if o.is_some() && n.is_none() {
                    self.push(
                        name,
                        finding(
                            "sunset-deleted",
                            at,
                            false,
                            "the operation is still deprecated, but its sunset date was removed"
                                .into(),
                        ),
                    );
                }
                if let (Some(o), Some(n)) = (
                    o.as_deref().and_then(sunset_date),
                    n.as_deref().and_then(sunset_date),
                ) {
                    if n < o {
                        self.push(
                            name,
                            finding(
                                "api-sunset-date-changed-too-small",
                                at,
                                false,
                                format!("the sunset moved earlier, from {o} to {n}"),
                            ),
                        );
                    }
                }
            }
            _ => {}
        }
        self.unparsed_sunsets(
            name,
            "api-path-sunset-parse",
            "the operation",
            (old.op, &old.at),
            (new.op, at),
        );
        self.stability(old, new);
        match (str_of(old.op, "operationId"), str_of(new.op, "operationId")) {
            (Some(o), n) if n != Some(o) => self.push(
                name,
                finding(
                    "api-operation-id-removed",
                    at,
                    false,
                    format!(
                        "operationId {o} was {}",
                        n.map_or("removed".to_string(), |n| format!("renamed to {n}"))
                    ),
                ),
            ),
            (None, Some(n)) => self.push(
                name,
                finding(
                    "api-operation-id-added",
                    at,
                    false,
                    format!("new operationId {n}"),
                ),
            ),
            _ => {}
        }
        let tags = |op: &Op| -> BTreeSet<String> {
            op.op
                .get("tags")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect()
        };
        let (ot, nt) = (tags(old), tags(new));
        for t in nt.difference(&ot) {
            self.push(
                name,
                finding("api-tag-added", at, false, format!("new tag {t}")),
            );
        }
        for t in ot.difference(&nt) {
            self.push(
                name,
                finding("api-tag-removed", at, false, format!("tag {t} was removed")),
            );
        }
    }

    /// An `x-sunset` of `what` that is not a date, on either side, when the two differ.
    fn unparsed_sunsets(
        &mut self,
        op: &str,
        rule: &'static str,
        what: &str,
        old: (&Value, &str),
        new: (&Value, &str),
    ) {
        let (o, n) = (str_of(old.0, "x-sunset"), str_of(new.0, "x-sunset"));
        if o == n {
            return;
        }
        for (side, value, at) in [(true, o, old.1), (false, n, new.1)] {
            if let Some(v) = value.filter(|v| sunset_date(v).is_none()) {
                let message =
                    format!("{what}: x-sunset {v:?} is not a date (YYYY-MM-DD or RFC 3339)");
                self.push(op, finding(rule, at, side, message));
            }
        }
    }

    /// `x-stability-level`: a value that is not a level, or a level lowered.
    fn stability(&mut self, old: &Op<'a>, new: &Op<'a>) {
        let (name, at) = (new.name.as_str(), new.at.as_str());
        let (o, n) = (
            old.op.get("x-stability-level"),
            new.op.get("x-stability-level"),
        );
        let level = |v: Option<&Value>| {
            v.and_then(Value::as_str)
                .and_then(|s| STABILITY.iter().position(|l| *l == s))
        };
        for (side, value) in [(true, o), (false, n)] {
            if let Some(v) = value.filter(|v| level(Some(v)).is_none()) {
                if side && o == n {
                    continue;
                }
                let op_at = if side { old.at.as_str() } else { at };
                let message = format!(
                    "x-stability-level {v} is not one of {}",
                    STABILITY.join(", ")
                );
                self.push(
                    name,
                    finding("api-invalid-stability-level", op_at, side, message),
                );
            }
        }
        if let Some((how, from, to)) =
            stability_moved(o.and_then(Value::as_str), n.and_then(Value::as_str))
        {
            let rule = match how {
                "decreased" => "api-stability-decreased",
                _ => "api-stability-increased",
            };
            let message = format!("the operation's stability went from {from} to {to}");
            self.push(name, finding(rule, at, false, message));
        }
    }

    /// References to other documents that were not followed: what they point to is not
    /// compared, and the report says so instead of seeing nothing there.
    fn external_refs(&mut self) {
        let old = super::bundle::external_refs(self.old);
        let new = super::bundle::external_refs(self.new);
        let in_new: BTreeSet<&String> = new.iter().map(|(r, _)| r).collect();
        let sides = old
            .iter()
            .filter(|(r, _)| !in_new.contains(r))
            .map(|(r, at)| (r, at, true))
            .chain(new.iter().map(|(r, at)| (r, at, false)));
        for (reference, at, old_side) in sides {
            let message = format!(
                "{reference} is in another document, which was not read: what it holds is not compared (give drift the files themselves to follow it)"
            );
            self.push_doc("external-ref-not-followed", at, old_side, message);
        }
    }

    /// The document's own `security` (what operations without one inherit): each
    /// operation's effective requirement is compared too; this names the change where it
    /// is written.
    fn global_security(&mut self) {
        let alts = |d: &Value| security_alternatives(d.get("security"));
        let (o, n) = (alts(self.old), alts(self.new));
        let schemes = |alt: &Alt| alt.keys().cloned().collect::<Vec<_>>().join(" + ");
        for alt in n.difference(&o) {
            match o.iter().find(|a| a.keys().eq(alt.keys())) {
                Some(before) => {
                    for (scheme, scopes) in alt {
                        for (rule, list, how) in [
                            (
                                "api-global-security-scope-added",
                                scopes.difference(&before[scheme]).collect::<Vec<_>>(),
                                "now needs",
                            ),
                            (
                                "api-global-security-scope-removed",
                                before[scheme].difference(scopes).collect(),
                                "no longer needs",
                            ),
                        ] {
                            for s in list {
                                let message =
                                    format!("document security: scheme {scheme} {how} scope {s}");
                                self.push_doc(rule, "/security", false, message);
                            }
                        }
                    }
                }
                None => {
                    let message = format!("document security: new requirement {}", schemes(alt));
                    self.push_doc("api-global-security-added", "/security", false, message);
                }
            }
        }
        for alt in o
            .difference(&n)
            .filter(|a| !n.iter().any(|b| b.keys().eq(a.keys())))
        {
            let message = format!(
                "document security: requirement {} was removed",
                schemes(alt)
            );
            self.push_doc("api-global-security-removed", "/security", true, message);
        }
    }

    /// The alternatives of an operation's effective security requirement, each a map of
    /// scheme to scopes. No requirement (or an empty one among them) means public.
    fn requirements(doc: &Value, op: &Value) -> Option<BTreeSet<Alt>> {
        let alts = security_alternatives(op.get("security").or_else(|| doc.get("security")));
        (!alts.is_empty() && !alts.iter().any(BTreeMap::is_empty)).then_some(alts)
    }

    fn security(&mut self, old: &Op<'a>, new: &Op<'a>) {
        // The requirement is the operation's own, else the document's.
        let written = |op: &Op| match op.op.get("security") {
            Some(_) => format!("{}/security", op.at),
            None => "/security".to_string(),
        };
        let (name, at) = (new.name.as_str(), written(new));
        let (o, n) = (
            Self::requirements(self.old, old.op),
            Self::requirements(self.new, new.op),
        );
        let (o, n) = match (o, n) {
            (None, None) => return,
            (None, Some(_)) => {
                self.push(
                    name,
                    finding(
                        "api-security-now-required",
                        &at,
                        false,
                        "the operation now needs credentials".into(),
                    ),
                );
                return;
            }
            (Some(_), None) => {
                self.push(
                    name,
                    finding(
                        "api-security-removed",
                        &written(old),
                        true,
                        "the operation no longer needs credentials".into(),
                    ),
                );
                return;
            }
            (Some(o), Some(n)) => (o, n),
        };
        let schemes = |alt: &BTreeMap<String, BTreeSet<String>>| -> BTreeSet<String> {
            alt.keys().cloned().collect()
        };
        for alt in n.difference(&o) {
            match o.iter().find(|a| schemes(a) == schemes(alt)) {
                Some(before) => {
                    for (scheme, scopes) in alt {
                        for s in scopes.difference(&before[scheme]) {
                            self.push(
                                name,
                                finding(
                                    "api-security-scope-added",
                                    &at,
                                    false,
                                    format!("scheme {scheme} now needs scope {s}"),
                                ),
                            );
                        }
                        for s in before[scheme].difference(scopes) {
                            self.push(
                                name,
                                finding(
                                    "api-security-scope-removed",
                                    &at,
                                    false,
                                    format!("scheme {scheme} no longer needs scope {s}"),
                                ),
                            );
                        }
                    }
                }
                None => self.push(
                    name,
                    finding(
                        "api-security-added",
                        &at,
                        false,
                        format!("new way to authenticate: {:?}", schemes(alt)),
                    ),
                ),
            }
        }
        for alt in o.difference(&n) {
            if !n.iter().any(|a| schemes(a) == schemes(alt)) {
                self.push(
                    name,
                    finding(
                        "api-security-removed",
                        &at,
                        false,
                        format!(
                            "authenticating with {:?} is no longer accepted",
                            schemes(alt)
                        ),
                    ),
                );
            }
        }
    }

    /// An operation's parameters (path-level ones included, the operation's winning), each
    /// with its identity and where it is written.
    fn params<'d>(
        canon: &Canon<'d>,
        op: &Op<'d>,
    ) -> BTreeMap<(String, String), (&'d Value, String)> {
        let mut out = BTreeMap::new();
        let names = path_param_names(op.path);
        let levels = [
            (op.path_item, format!("/paths/{}", escape(op.path))),
            (op.op, op.at.clone()),
        ];
        for (holder, holder_at) in levels {
            for (i, p) in holder
                .get("parameters")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                let (p, _) = canon.deref(p, "");
                let location = str_of(p, "in").unwrap_or("").to_string();
                let name = str_of(p, "name").unwrap_or("").to_string();
                let key = match location.as_str() {
                    // Path parameters by their place in the path: a rename is no change.
                    "path" => names
                        .iter()
                        .position(|n| *n == name)
                        .map_or(name.clone(), |i| format!("#{i}")),
                    // Header names are case-insensitive; query and cookie names are not.
                    "header" => name.to_ascii_lowercase(),
                    _ => name.clone(),
                };
                out.insert((location, key), (p, format!("{holder_at}/parameters/{i}")));
            }
        }
        out
    }

    fn parameters(&mut self, old: &Op<'a>, new: &Op<'a>) {
        let name = new.name.clone();
        let (op_params, np_params) = (
            Self::params(&self.old_canon, old),
            Self::params(&self.new_canon, new),
        );
        for (key, (p, p_at)) in &op_params {
            let shown = format!("{} parameter {}", key.0, str_of(p, "name").unwrap_or(""));
            let sunset = |p: &'a Value| str_of(p, "x-sunset");
            let Some((np, np_at)) = np_params.get(key) else {
                let rule = match (is_true(p, "deprecated"), sunset(p).map(sunset_date)) {
                    (false, _) => "request-parameter-removed",
                    (true, Some(None)) => "request-parameter-sunset-parse",
                    (true, Some(Some(d))) if d > self.today => {
                        "request-parameter-removed-before-sunset"
                    }
                    (true, _) => "request-parameter-removed-with-deprecation",
                };
                self.push(
                    &name,
                    finding(rule, p_at, true, format!("{shown} was removed")),
                );
                continue;
            };
            match (is_true(p, "required"), is_true(np, "required")) {
                (false, true) => self.push(
                    &name,
                    finding(
                        "request-parameter-became-required",
                        np_at,
                        false,
                        format!("{shown} is now required"),
                    ),
                ),
                (true, false) => self.push(
                    &name,
                    finding(
                        "request-parameter-became-optional",
                        np_at,
                        false,
                        format!("{shown} is now optional"),
                    ),
                ),
                _ => {}
            }
            match (is_true(p, "deprecated"), is_true(np, "deprecated")) {
                (false, true) => self.push(
                    &name,
                    finding(
                        "request-parameter-deprecated",
                        np_at,
                        false,
                        format!("{shown} is now deprecated"),
                    ),
                ),
                (true, false) => self.push(
                    &name,
                    finding(
                        "request-parameter-reactivated",
                        np_at,
                        false,
                        format!("{shown} is no longer deprecated"),
                    ),
                ),
                _ => {}
            }
            if key.0 == "path" && str_of(p, "name") != str_of(np, "name") {
                let message = format!(
                    "path parameter {} is now named {}",
                    str_of(p, "name").unwrap_or(""),
                    str_of(np, "name").unwrap_or("")
                );
                self.push(
                    &name,
                    finding("request-path-parameter-renamed", np_at, false, message),
                );
            }
            let (os, ns) = (sunset(p), sunset(np));
            if os.is_some() && ns.is_none() && is_true(np, "deprecated") {
                let message =
                    format!("{shown} is still deprecated, but its sunset date was removed");
                self.push(
                    &name,
                    finding("request-parameter-sunset-deleted", np_at, false, message),
                );
            }
            self.unparsed_sunsets(
                &name,
                "request-parameter-sunset-parse",
                &shown,
                (p, p_at),
                (np, np_at),
            );
            if docs(p) != docs(np) {
                self.push(
                    &name,
                    finding(
                        "documentation-changed",
                        np_at,
                        false,
                        format!("{shown}: documentation changed"),
                    ),
                );
            }
            let empty = Value::Object(Map::new());
            let os = p.get("schema").unwrap_or(&empty);
            let ns = np.get("schema").unwrap_or(&empty);
            let form = matches!(key.0.as_str(), "query" | "cookie")
                && str_of(np, "style").is_none_or(|s| s == "form")
                && np.get("explode") != Some(&Value::Bool(false));
            let o = self.old_canon.schema(os, &format!("{p_at}/schema"));
            let n = self.new_canon.schema(ns, &format!("{np_at}/schema"));
            if form && scalar_became_exploded_array(&o, &n) {
                let message = format!(
                    "{shown} is now an array, sent as repeated values: one value is the same text as before"
                );
                self.push(
                    &name,
                    finding("request-parameter-type-generalized", &n.at, false, message),
                );
                continue;
            }
            for f in self.schemas.compare(&o, &n, Scope::Parameter, true) {
                self.push(&name, f);
            }
        }
        for (key, (np, np_at)) in np_params
            .iter()
            .filter(|(k, _)| !op_params.contains_key(*k))
        {
            let shown = format!("{} parameter {}", key.0, str_of(np, "name").unwrap_or(""));
            let rule = if key.0 == "path" {
                "new-request-path-parameter"
            } else if is_true(np, "required") {
                "new-required-request-parameter"
            } else {
                "new-optional-request-parameter"
            };
            self.push(&name, finding(rule, np_at, false, format!("new {shown}")));
        }
    }

    fn request_body(&mut self, old: &Op<'a>, new: &Op<'a>) {
        let name = new.name.clone();
        let body = |canon: &Canon<'a>, op: &Op<'a>| {
            op.op
                .get("requestBody")
                .map(|b| canon.deref(b, &format!("{}/requestBody", op.at)))
        };
        match (body(&self.old_canon, old), body(&self.new_canon, new)) {
            (None, None) => {}
            (None, Some((b, at))) => {
                let rule = if is_true(b, "required") {
                    "request-body-added-required"
                } else {
                    "request-body-added-optional"
                };
                self.push(
                    &name,
                    finding(rule, &at, false, "a request body was added".into()),
                );
            }
            (Some((_, at)), None) => self.push(
                &name,
                finding(
                    "request-body-removed",
                    &at,
                    true,
                    "the request body was removed".into(),
                ),
            ),
            (Some((ob, oat)), Some((nb, nat))) => {
                match (is_true(ob, "required"), is_true(nb, "required")) {
                    (false, true) => self.push(
                        &name,
                        finding(
                            "request-body-became-required",
                            &nat,
                            false,
                            "the request body is now required".into(),
                        ),
                    ),
                    (true, false) => self.push(
                        &name,
                        finding(
                            "request-body-became-optional",
                            &nat,
                            false,
                            "the request body is now optional".into(),
                        ),
                    ),
                    _ => {}
                }
                self.content(&name, (ob, &oat), (nb, &nat), Scope::RequestBody);
            }
        }
    }

    /// The media types of a body and their schemas.
    fn content(&mut self, op: &str, old: (&'a Value, &str), new: (&'a Value, &str), scope: Scope) {
        let media = |v: &Value| {
            v.get("content")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default()
        };
        let (om, nm) = (media(old.0), media(new.0));
        let (added, removed) = match scope {
            Scope::RequestBody => (
                "request-body-media-type-added",
                "request-body-media-type-removed",
            ),
            _ => ("response-media-type-added", "response-media-type-removed"),
        };
        for (mt, o) in &om {
            let o_at = format!("{}/content/{}", old.1, escape(mt));
            let Some(n) = nm.get(mt) else {
                self.push(
                    op,
                    finding(removed, &o_at, true, format!("media type {mt} was removed")),
                );
                continue;
            };
            let n_at = format!("{}/content/{}", new.1, escape(mt));
            if let (Some(os), Some(ns)) = (o.get("schema"), n.get("schema")) {
                self.schema(
                    op,
                    (os, &format!("{o_at}/schema")),
                    (ns, &format!("{n_at}/schema")),
                    scope,
                );
            }
        }
        for mt in nm.keys().filter(|k| !om.contains_key(*k)) {
            let n_at = format!("{}/content/{}", new.1, escape(mt));
            self.push(
                op,
                finding(added, &n_at, false, format!("new media type {mt}")),
            );
        }
    }

    fn responses(&mut self, old: &Op<'a>, new: &Op<'a>) {
        let name = new.name.clone();
        let responses = |op: &Op<'a>| op.op.get("responses").and_then(Value::as_object);
        let (Some(or), Some(nr)) = (responses(old), responses(new)) else {
            return;
        };
        let success = |s: &str| s.starts_with('2');
        for (status, o) in or {
            let o_at = format!("{}/responses/{}", old.at, escape(status));
            let Some(n) = nr.get(status) else {
                let rule = if success(status) {
                    "response-success-status-removed"
                } else {
                    "response-non-success-status-removed"
                };
                self.push(
                    &name,
                    finding(rule, &o_at, true, format!("response {status} was removed")),
                );
                continue;
            };
            let n_at = format!("{}/responses/{}", new.at, escape(status));
            let (o, o_at) = self.old_canon.deref(o, &o_at);
            let (n, n_at) = self.new_canon.deref(n, &n_at);
            if docs(o) != docs(n) {
                self.push(
                    &name,
                    finding(
                        "documentation-changed",
                        &n_at,
                        false,
                        format!("response {status}: documentation changed"),
                    ),
                );
            }
            self.content(&name, (o, &o_at), (n, &n_at), Scope::ResponseBody);
            self.headers(&name, (o, &o_at), (n, &n_at));
        }
        for status in nr.keys().filter(|k| !or.contains_key(*k)) {
            let n_at = format!("{}/responses/{}", new.at, escape(status));
            let rule = if success(status) {
                "response-success-status-added"
            } else {
                "response-non-success-status-added"
            };
            self.push(
                &name,
                finding(rule, &n_at, false, format!("new response {status}")),
            );
        }
    }

    fn headers(&mut self, op: &str, old: (&'a Value, &str), new: (&'a Value, &str)) {
        let headers = |v: &'a Value| -> BTreeMap<String, (&'a String, &'a Value)> {
            v.get("headers")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
                .map(|(k, h)| (k.to_ascii_lowercase(), (k, h)))
                .collect()
        };
        let (oh, nh) = (headers(old.0), headers(new.0));
        for (key, (name, h)) in &oh {
            let h_at = format!("{}/headers/{}", old.1, escape(name));
            let (h, h_at) = self.old_canon.deref(h, &h_at);
            let Some((new_name, nh_)) = nh.get(key) else {
                let rule = if is_true(h, "required") {
                    "required-response-header-removed"
                } else {
                    "optional-response-header-removed"
                };
                self.push(
                    op,
                    finding(
                        rule,
                        &h_at,
                        true,
                        format!("response header {name} was removed"),
                    ),
                );
                continue;
            };
            let n_at = format!("{}/headers/{}", new.1, escape(new_name));
            let (n, n_at) = self.new_canon.deref(nh_, &n_at);
            if is_true(h, "required") && !is_true(n, "required") {
                self.push(
                    op,
                    finding(
                        "response-header-became-optional",
                        &n_at,
                        false,
                        format!("response header {name} is now optional"),
                    ),
                );
            }
            if let (Some(os), Some(ns)) = (h.get("schema"), n.get("schema")) {
                self.schema(
                    op,
                    (os, &format!("{h_at}/schema")),
                    (ns, &format!("{n_at}/schema")),
                    Scope::ResponseHeader,
                );
            }
        }
        for (key, (name, _)) in &nh {
            if !oh.contains_key(key) {
                let n_at = format!("{}/headers/{}", new.1, escape(name));
                self.push(
                    op,
                    finding(
                        "response-header-added",
                        &n_at,
                        false,
                        format!("new response header {name}"),
                    ),
                );
            }
        }
    }
}
