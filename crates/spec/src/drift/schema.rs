//! Comparing two canonical schemas, from the side of a client that sends (requests) or
//! decodes (responses) them.

use super::canonical::{Bound, Part, Schema, BOUNDS};
use super::Finding;
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};
use std::rc::Rc;

/// Where a schema sits: it decides the rule ids and whether looser or stricter hurts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// A request parameter's schema.
    Parameter,
    /// A request body (or a property in it).
    RequestBody,
    /// A response body (or a property in it).
    ResponseBody,
    /// A response header's schema.
    ResponseHeader,
}

impl Scope {
    fn request(self) -> bool {
        matches!(self, Scope::Parameter | Scope::RequestBody)
    }

    /// The rule id prefix for a schema here: the body itself, or a property in it.
    fn prefix(self, root: bool) -> &'static str {
        match (self, root) {
            (Scope::Parameter, true) => "request-parameter-",
            (Scope::Parameter, false) => "request-parameter-property-",
            (Scope::RequestBody, true) => "request-body-",
            (Scope::RequestBody, false) => "request-property-",
            (Scope::ResponseBody, true) => "response-body-",
            (Scope::ResponseBody, false) => "response-property-",
            (Scope::ResponseHeader, _) => "response-header-",
        }
    }
}

type MemoKey = (String, String, Scope, bool);

/// oasdiff's name for an OpenAPI 3.1 schema keyword in its change ids.
fn unmodelled_id(keyword: &str) -> Option<&'static str> {
    Some(match keyword {
        "contains" => "contains",
        "minContains" => "min-contains",
        "maxContains" => "max-contains",
        "if" => "if",
        "then" => "then",
        "else" => "else",
        "prefixItems" => "prefix-items",
        "propertyNames" => "property-names",
        "patternProperties" => "pattern-property",
        "dependentRequired" => "dependent-required",
        "dependentSchemas" => "dependent-schema",
        "unevaluatedItems" => "unevaluated-items",
        "unevaluatedProperties" => "unevaluated-properties",
        "const" => "const",
        "contentEncoding" => "content-encoding",
        "contentMediaType" => "content-media-type",
        "contentSchema" => "content-schema",
        _ => return None,
    })
}

/// How a keyword's value changed, in oasdiff's words for it: a bound `increased` or
/// `decreased`, a value `added`, `removed` or `changed` (an encoding or media type is only
/// ever `changed`).
fn how_changed(keyword: &str, old: Option<&Value>, new: Option<&Value>) -> &'static str {
    if matches!(keyword, "contentEncoding" | "contentMediaType") {
        return "changed";
    }
    match (old, new) {
        (None, _) => "added",
        (_, None) => "removed",
        (Some(o), Some(n)) if keyword != "const" => match (o.as_f64(), n.as_f64()) {
            (Some(o), Some(n)) if n > o => "increased",
            (Some(_), Some(_)) => "decreased",
            _ => "changed",
        },
        _ => "changed",
    }
}

/// Compares schemas, remembering what a pair of shared schemas gave so that a component
/// used by many operations is compared once.
#[derive(Default)]
pub struct SchemaDiff {
    memo: HashMap<MemoKey, Vec<Finding>>,
}

/// What one comparison collects.
struct Out {
    findings: Vec<Finding>,
}

impl Out {
    fn push(&mut self, rule: String, at: &str, old_side: bool, message: String) {
        // oasdiff names a few changes inside a parameter's object schema apart
        // (`request-parameter-property-*`); the others keep the parameter's id.
        let rule = match rule.strip_prefix("request-parameter-property-") {
            Some(rest) if super::rules::find(&rule).is_none() => {
                format!("request-parameter-{rest}")
            }
            _ => rule,
        };
        let (rule, message) = super::rules::classify(&rule, message);
        self.findings.push(Finding {
            rule: rule.id,
            pointer: at.to_string(),
            old_side,
            message,
        });
    }
}

/// A short name for the schema at `at`, for messages: `property total`, `items`, ...
fn label(at: &str) -> String {
    let mut parts = at.rsplit('/');
    let last = parts
        .next()
        .unwrap_or("")
        .replace("~1", "/")
        .replace("~0", "~");
    match parts.next() {
        Some("properties") => format!("property {last}"),
        Some("oneOf" | "anyOf") => format!("alternative {last}"),
        _ if last == "items" => "items".into(),
        _ if last == "schema" => "schema".into(),
        _ => last,
    }
}

fn show(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl SchemaDiff {
    /// Every difference between `old` and `new` in `scope`; `root` for the schema of a body
    /// or parameter itself (not a property in it).
    pub fn compare(
        &mut self,
        old: &Schema,
        new: &Schema,
        scope: Scope,
        root: bool,
    ) -> Vec<Finding> {
        if old.fingerprint == new.fingerprint && old.docs_fingerprint == new.docs_fingerprint {
            return Vec::new();
        }
        let key = (old.at.clone(), new.at.clone(), scope, root);
        if let Some(done) = self.memo.get(&key) {
            return done.clone();
        }
        // A cycle back to itself: marking first keeps a recursive pair from recursing forever.
        self.memo.insert(key.clone(), Vec::new());
        let mut out = Out {
            findings: Vec::new(),
        };
        self.schema(&mut out, old, new, scope, root);
        self.memo.insert(key, out.findings.clone());
        out.findings
    }

    fn schema(&mut self, out: &mut Out, old: &Schema, new: &Schema, scope: Scope, root: bool) {
        let (at, what) = (new.at.as_str(), label(&new.at));
        if old.docs != new.docs {
            out.push(
                "documentation-changed".into(),
                at,
                false,
                format!("{what}: documentation changed"),
            );
        }
        if old.fingerprint == new.fingerprint {
            self.children(out, old, new, scope);
            return;
        }
        if old.cycle.is_some() || new.cycle.is_some() {
            return;
        }
        let prefix = scope.prefix(root);
        let keywords: std::collections::BTreeSet<&String> =
            old.unmodelled.keys().chain(new.unmodelled.keys()).collect();
        for keyword in keywords {
            let (o, n) = (old.unmodelled.get(keyword), new.unmodelled.get(keyword));
            if o == n {
                continue;
            }
            // A schema-holding keyword on both sides: what changed inside is compared
            // and named; only a change no rule names is reported as the keyword's.
            if o.is_some() && n.is_some() {
                let before = out.findings.len();
                let nested = |k: &String| k == keyword || k.starts_with(&format!("{keyword}/"));
                for (k, os) in old.subschemas.iter().filter(|(k, _)| nested(k)) {
                    if let Some(ns) = new.subschemas.get(k) {
                        let found = self.compare(os, ns, scope, false);
                        out.findings.extend(found);
                    }
                }
                if out.findings.len() > before {
                    continue;
                }
            }
            let how = how_changed(keyword, o, n);
            // oasdiff's id for the keyword where it has one (a 3.1 keyword in a body or a
            // property), else unclassified.
            let id = unmodelled_id(keyword)
                .map(|k| format!("{prefix}{k}-{how}"))
                .filter(|id| crate::drift::rules::find(id).is_some());
            let message = format!("{what}: `{keyword}` {how}");
            match id {
                Some(id) => out.push(id, at, false, message),
                None => out.push(
                    "unclassified-schema-change".into(),
                    at,
                    false,
                    format!("{message} (a keyword no drift rule models)"),
                ),
            }
        }
        match (old.subschemas.get("not"), new.subschemas.get("not")) {
            (Some(o), Some(n)) => {
                let found = self.compare(o, n, scope, false);
                out.findings.extend(found);
            }
            (None, None) => {}
            (o, _) => {
                let how = if o.is_some() { "removed" } else { "added" };
                out.push(
                    "unclassified-schema-change".into(),
                    at,
                    o.is_some(),
                    format!("{what}: `not` {how} (a keyword no drift rule models)"),
                );
            }
        }
        if scope != Scope::ResponseHeader {
            all_of_parts(out, old, new, prefix, &what);
            discriminator(out, old, new, prefix, &what);
        }
        for conflict in new.conflicts.iter().filter(|c| !old.conflicts.contains(c)) {
            out.push(
                "schema-all-of-conflict".into(),
                at,
                false,
                format!("{what}: the allOf parts disagree on {conflict}"),
            );
        }
        let body = matches!(scope, Scope::RequestBody | Scope::ResponseBody);
        if root && body && wrapped_in_one_of(old, new) {
            out.push(
                format!("{prefix}wrapped-in-one-of"),
                at,
                false,
                format!("{what} is now a oneOf"),
            );
            return;
        }
        if self.types(out, old, new, prefix, scope) {
            // Nothing deeper compares across types, but a schema that also became an enum
            // says so: its values are now a closed list.
            if old.enum_values.is_none() && new.enum_values.is_some() {
                enums(out, old, new, prefix, scope, &what);
            }
            return;
        }
        nullable(out, old, new, prefix, scope, &what);
        // The generated clients do not read response headers' values: beyond a header's
        // presence (compared by the walk), type and nullability, its schema is not compared.
        if scope == Scope::ResponseHeader {
            return;
        }
        enums(out, old, new, prefix, scope, &what);
        bounds(out, old, new, prefix, &what);
        pattern_and_default(out, old, new, prefix, &what);
        if !root && scope != Scope::Parameter && scope != Scope::ResponseHeader {
            let dir = if scope.request() {
                "request"
            } else {
                "response"
            };
            let moved = crate::drift::walk::stability_moved(
                old.stability.as_deref(),
                new.stability.as_deref(),
            );
            if let Some((how, from, to)) = moved {
                out.push(
                    format!("{dir}-property-stability-{how}"),
                    at,
                    false,
                    format!("{what}: stability went from {from} to {to}"),
                );
            }
            match (old.deprecated, new.deprecated) {
                (false, true) => {
                    let (rule, when) = match new.sunset.as_deref() {
                        None => ("deprecated", String::new()),
                        Some(s) => match crate::drift::walk::sunset_date(s) {
                            Some(d) => ("deprecated-with-sunset", format!(", sunset {d}")),
                            None => (
                                "deprecated-sunset-invalid",
                                format!(", with an x-sunset that is not a date: {s:?}"),
                            ),
                        },
                    };
                    out.push(
                        format!("{dir}-property-{rule}"),
                        at,
                        false,
                        format!("{what} is now deprecated{when}"),
                    )
                }
                (true, false) => out.push(
                    format!("{dir}-property-reactivated"),
                    at,
                    false,
                    format!("{what} is no longer deprecated"),
                ),
                _ => {}
            }
        }
        self.properties(out, old, new, scope);
        self.alternatives(out, old, new, scope, root);
        self.children(out, old, new, scope);
    }

    /// Items and additional properties.
    fn children(&mut self, out: &mut Out, old: &Schema, new: &Schema, scope: Scope) {
        for (o, n) in [(&old.items, &new.items), (&old.additional, &new.additional)] {
            if let (Some(o), Some(n)) = (o, n) {
                let found = self.compare(o, n, scope, false);
                out.findings.extend(found);
            }
        }
        if old.fingerprint == new.fingerprint {
            for (name, o) in &old.properties {
                if let Some(n) = new.properties.get(name) {
                    let found = self.compare(o, n, scope, false);
                    out.findings.extend(found);
                }
            }
        }
    }

    /// Type and format; `true` when the types differ so much that nothing deeper compares.
    fn types(
        &mut self,
        out: &mut Out,
        old: &Schema,
        new: &Schema,
        prefix: &str,
        scope: Scope,
    ) -> bool {
        let at = new.at.as_str();
        let what = label(at);
        if old.types != new.types {
            let list = (scope != Scope::ResponseHeader)
                .then(|| list_of_types(old, new))
                .flatten();
            if let Some(change) = list {
                out.push(
                    format!("{prefix}list-of-types-{change}"),
                    at,
                    false,
                    format!("{what}: the list of types was {change}"),
                );
                return true;
            }
            let show_types = |s: &Schema| {
                if s.types.is_empty() {
                    "any".to_string()
                } else {
                    s.types.iter().cloned().collect::<Vec<_>>().join(" or ")
                }
            };
            let (o, n) = (show_types(old), show_types(new));
            // number and a decimal string are one Rust type, Decimal, read from either form.
            let amount = |s: &Schema, t: &str| {
                s.types.len() == 1
                    && s.types.contains(t)
                    && (t == "number" || s.format.as_deref() == Some("decimal"))
            };
            let in_body = matches!(scope, Scope::RequestBody | Scope::ResponseBody);
            if in_body
                && ((amount(old, "number") && amount(new, "string"))
                    || (amount(old, "string") && amount(new, "number")))
            {
                out.push(
                    format!("{prefix}amount-form-changed"),
                    at,
                    false,
                    format!("{what}: the amount is now written as {n}, was {o}"),
                );
                return true;
            }
            let widened = (!old.types.is_empty() && new.types.is_empty())
                || (o == "integer" && n == "number");
            let narrowed = (old.types.is_empty() && !new.types.is_empty())
                || (o == "number" && n == "integer");
            let rule = if widened {
                "type-generalized"
            } else if narrowed && !scope.request() {
                "type-specialized"
            } else {
                "type-changed"
            };
            out.push(
                format!("{prefix}{rule}"),
                at,
                false,
                format!("{what}: the type changed from {o} to {n}"),
            );
            return true;
        }
        if old.format != new.format {
            let (o, n) = (
                old.format.as_deref().unwrap_or("none"),
                new.format.as_deref().unwrap_or("none"),
            );
            // A format removed accepts every value it accepted, and more.
            let widened = n == "none" || matches!((o, n), ("int32", "int64") | ("float", "double"));
            let rule = match (widened, scope.request()) {
                (true, _) => "type-generalized",
                (false, false) if matches!((o, n), ("int64", "int32") | ("double", "float")) => {
                    "type-specialized"
                }
                _ => "type-changed",
            };
            out.push(
                format!("{prefix}{rule}"),
                at,
                false,
                format!("{what}: the format changed from {o} to {n}"),
            );
        }
        false
    }

    /// Properties added, removed, required or not. A `readOnly` property is never sent
    /// by a client and a `writeOnly` one never answered, so on that side its being
    /// required asks nothing of anyone.
    fn properties(&mut self, out: &mut Out, old: &Schema, new: &Schema, scope: Scope) {
        let request = scope.request();
        let dir = if request { "request" } else { "response" };
        // The property is not carried on this side.
        let absent = |p: &Schema| if request { p.read_only } else { p.write_only };
        let required = |s: &Schema, name: &str, p: &Schema| s.required.contains(name) && !absent(p);
        let kind = |req: bool| if req { "required" } else { "optional" };
        for (name, o) in &old.properties {
            let Some(n) = new.properties.get(name) else {
                let was = old.required.contains(name);
                let rule = match (request, was, o.write_only) {
                    (true, _, _) => "request-property-removed".to_string(),
                    (false, _, true) => {
                        format!("response-{}-write-only-property-removed", kind(was))
                    }
                    (false, true, false) => "response-required-property-removed".into(),
                    (false, false, false) => "response-optional-property-removed".into(),
                };
                out.push(rule, &o.at, true, format!("property {name} was removed"));
                continue;
            };
            let listed = new.required.contains(name);
            for (flag, was, is) in [
                ("read-only", o.read_only, n.read_only),
                ("write-only", o.write_only, n.write_only),
            ] {
                if was != is {
                    let not = if is { "" } else { "not-" };
                    out.push(
                        format!("{dir}-{}-property-became-{not}{flag}", kind(listed)),
                        &n.at,
                        false,
                        format!(
                            "property {name} is {}{flag} now",
                            if is { "" } else { "no longer " }
                        ),
                    );
                }
            }
            let (was, is) = (required(old, name, o), required(new, name, n));
            let rule = match (request, was, is) {
                (false, _, _) if o.write_only && n.write_only => {
                    let (was, is) = (old.required.contains(name), listed);
                    (was != is).then(|| format!("response-write-only-property-became-{}", kind(is)))
                }
                // A default tells what the server assumes; a client must still send it.
                (true, false, true) if n.default.is_some() => {
                    Some("request-property-became-required-with-default".into())
                }
                (_, false, true) | (_, true, false) => {
                    Some(format!("{dir}-property-became-{}", kind(is)))
                }
                _ => None,
            };
            if let Some(rule) = rule {
                out.push(
                    rule,
                    &n.at,
                    false,
                    format!("property {name} is now {}", kind(listed)),
                );
            }
            let found = self.compare(o, n, scope, false);
            out.findings.extend(found);
        }
        // A name required without a property schema: a value of any kind, required now.
        if request && new.additional.is_none() {
            let bare = |s: &Schema, name: &str| {
                s.required.contains(name) && !s.properties.contains_key(name)
            };
            for name in new
                .required
                .iter()
                .filter(|n| bare(new, n) && !old.required.contains(*n))
            {
                let at = format!("{}/required", new.at);
                let rule = if old.properties.contains_key(name) {
                    "request-property-became-required"
                } else {
                    "new-required-request-property"
                };
                out.push(
                    rule.into(),
                    &at,
                    false,
                    format!("property {name} is now required (it has no schema: any value)"),
                );
            }
        }
        for (name, n) in new
            .properties
            .iter()
            .filter(|(k, _)| !old.properties.contains_key(*k))
        {
            let listed = new.required.contains(name);
            let rule = match (request, required(new, name, n), n.write_only) {
                (true, true, _) if n.default.is_some() => {
                    "new-required-request-property-with-default".to_string()
                }
                (true, true, _) => "new-required-request-property".to_string(),
                (true, false, _) => "new-optional-request-property".into(),
                (false, _, true) => format!("response-{}-write-only-property-added", kind(listed)),
                (false, true, false) => "response-required-property-added".into(),
                (false, false, false) => "response-optional-property-added".into(),
            };
            out.push(
                rule,
                &n.at,
                false,
                format!("new {} property {name}", kind(listed)),
            );
        }
    }

    /// `oneOf`/`anyOf`: alternatives are matched by what they are, not by position.
    fn alternatives(
        &mut self,
        out: &mut Out,
        old: &Schema,
        new: &Schema,
        scope: Scope,
        root: bool,
    ) {
        let prefix = scope.prefix(root);
        let what = label(&new.at);
        for (key, o, n) in [
            ("one-of", &old.one_of, &new.one_of),
            ("any-of", &old.any_of, &new.any_of),
        ] {
            let (pairs, removed, added) = match_alternatives(o, n);
            for (a, b) in pairs {
                let found = self.compare(a, b, scope, false);
                out.findings.extend(found);
            }
            for a in removed {
                out.push(
                    format!("{prefix}{key}-removed"),
                    &a.at,
                    true,
                    format!("{what}: a {key} alternative was removed"),
                );
            }
            for b in added {
                out.push(
                    format!("{prefix}{key}-added"),
                    &b.at,
                    false,
                    format!("{what}: a {key} alternative was added"),
                );
            }
        }
    }
}

/// `allOf` parts added or removed (a `$ref` part by its target, an inline one by its
/// place); the merged schema is compared as well, so what a part brings is also named.
fn all_of_parts(out: &mut Out, old: &Schema, new: &Schema, prefix: &str, what: &str) {
    // A schema is its parts and, when it is a `$ref` target, that target itself: `$ref: X`
    // becoming `allOf: [$ref: X]` (3.0's way to add `nullable`) adds no part.
    let keys = |s: &Schema| -> BTreeSet<String> {
        let parts = s.all_of.iter().map(|p| p.key.clone());
        parts.chain(std::iter::once(format!("#{}", s.at))).collect()
    };
    let (o, n) = (keys(old), keys(new));
    // Splitting a schema into parts that ask the same (or merging them back) is a
    // refactor: only parts that document are named then. A part added to or removed from
    // an allOf is named even when it repeats what the others ask.
    let refactor = old.content_fingerprint == new.content_fingerprint
        && old.all_of.is_empty() != new.all_of.is_empty();
    for (side, parts, other, how) in [
        (old, &old.all_of, &n, "removed"),
        (new, &new.all_of, &o, "added"),
    ] {
        let named = |p: &&Part| !other.contains(&p.key) && (p.annotation_only || !refactor);
        for part in parts.iter().filter(named) {
            let annotation = if part.annotation_only {
                "-annotation-only"
            } else {
                ""
            };
            let kind = if part.annotation_only {
                "an annotation-only"
            } else {
                "an"
            };
            out.push(
                format!("{prefix}all-of-{how}{annotation}"),
                &part.at,
                std::ptr::eq(side, old),
                format!("{what}: {kind} allOf part was {how} ({})", part.key),
            );
        }
    }
}

/// `discriminator` added, removed, renamed, or its mapping changed.
fn discriminator(out: &mut Out, old: &Schema, new: &Schema, prefix: &str, what: &str) {
    let at = new.at.as_str();
    let (o, n) = match (&old.discriminator, &new.discriminator) {
        (None, None) => return,
        (None, Some(n)) => {
            let message = format!(
                "{what}: a discriminator was added (property {})",
                n.property
            );
            return out.push(format!("{prefix}discriminator-added"), at, false, message);
        }
        (Some(o), None) => {
            let message = format!(
                "{what}: the discriminator was removed (property {})",
                o.property
            );
            return out.push(
                format!("{prefix}discriminator-removed"),
                &old.at,
                true,
                message,
            );
        }
        (Some(o), Some(n)) => (o, n),
    };
    if o.property != n.property {
        let message = format!(
            "{what}: the discriminator property changed from {} to {}",
            o.property, n.property
        );
        out.push(
            format!("{prefix}discriminator-property-name-changed"),
            at,
            false,
            message,
        );
    }
    for (value, target) in &o.mapping {
        match n.mapping.get(value) {
            None => {
                let message = format!("{what}: discriminator value {value} is no longer mapped");
                out.push(
                    format!("{prefix}discriminator-mapping-deleted"),
                    at,
                    false,
                    message,
                );
            }
            Some(t) if t != target => {
                let message =
                    format!("{what}: discriminator value {value} now maps to {t}, was {target}");
                out.push(
                    format!("{prefix}discriminator-mapping-changed"),
                    at,
                    false,
                    message,
                );
            }
            Some(_) => {}
        }
    }
    for (value, target) in n
        .mapping
        .iter()
        .filter(|(v, _)| !o.mapping.contains_key(*v))
    {
        let message = format!("{what}: discriminator value {value} now maps to {target}");
        out.push(
            format!("{prefix}discriminator-mapping-added"),
            at,
            false,
            message,
        );
    }
}

/// A body that was one schema and is now a `oneOf` with no type of its own.
fn wrapped_in_one_of(old: &Schema, new: &Schema) -> bool {
    old.one_of.is_empty() && !new.one_of.is_empty() && !old.is_empty() && new.types.is_empty()
}

/// `Some("widened")` when a single type became an `anyOf` of plain types that includes it
/// (a 3.1 type list, once down-converted), `Some("narrowed")` for the reverse.
fn list_of_types(old: &Schema, new: &Schema) -> Option<&'static str> {
    fn plain_types(s: &Schema) -> Option<BTreeSet<String>> {
        if !s.types.is_empty() || s.any_of.is_empty() {
            return None;
        }
        s.any_of
            .iter()
            .map(|a| {
                a.single_type()
                    .filter(|_| a.properties.is_empty())
                    .map(String::from)
            })
            .collect()
    }
    if let (Some(t), Some(list)) = (old.single_type(), plain_types(new)) {
        return list.contains(t).then_some("widened");
    }
    if let (Some(list), Some(t)) = (plain_types(old), new.single_type()) {
        return list.contains(t).then_some("narrowed");
    }
    None
}

/// Pairs alternatives: equal ones first, then by type and shared property names; what is
/// left was removed or added.
fn match_alternatives<'s>(
    old: &'s [Rc<Schema>],
    new: &'s [Rc<Schema>],
) -> (
    Vec<(&'s Schema, &'s Schema)>,
    Vec<&'s Schema>,
    Vec<&'s Schema>,
) {
    let mut left: Vec<&Schema> = old.iter().map(|a| a.as_ref()).collect();
    let mut right: Vec<&Schema> = new.iter().map(|a| a.as_ref()).collect();
    let mut pairs = Vec::new();
    // The same schema written in the same place (the same `$ref` target) first.
    left.retain(|a| {
        let same = |b: &&Schema| b.fingerprint == a.fingerprint;
        match right
            .iter()
            .position(|b| same(b) && b.at == a.at)
            .or_else(|| right.iter().position(same))
        {
            Some(i) => {
                pairs.push((*a, right.remove(i)));
                false
            }
            None => true,
        }
    });
    let score = |a: &Schema, b: &Schema| -> usize {
        let same_place = usize::from(a.at == b.at) * 10_000;
        let same_type = usize::from(a.types == b.types) * 1000 + same_place;
        let shared = a
            .properties
            .keys()
            .filter(|k| b.properties.contains_key(*k))
            .count();
        same_type + shared
    };
    left.retain(|a| {
        let best = right
            .iter()
            .enumerate()
            .map(|(i, b)| (score(a, b), i))
            .filter(|(s, _)| *s >= 1000)
            .max();
        match best {
            Some((_, i)) => {
                pairs.push((*a, right.remove(i)));
                false
            }
            None => true,
        }
    });
    (pairs, left, right)
}

fn nullable(out: &mut Out, old: &Schema, new: &Schema, prefix: &str, scope: Scope, what: &str) {
    let _ = scope;
    match (old.nullable, new.nullable) {
        (false, true) => out.push(
            format!("{prefix}became-nullable"),
            &new.at,
            false,
            format!("{what} may now be null"),
        ),
        (true, false) => out.push(
            format!("{prefix}became-not-nullable"),
            &new.at,
            false,
            format!("{what} may no longer be null"),
        ),
        _ => {}
    }
}

fn enums(out: &mut Out, old: &Schema, new: &Schema, prefix: &str, scope: Scope, what: &str) {
    let at = new.at.as_str();
    match (&old.enum_values, &new.enum_values) {
        (None, Some(values)) => {
            let listed: Vec<String> = values.iter().map(show).collect();
            out.push(
                format!("{prefix}became-enum"),
                at,
                false,
                format!("{what} is now one of {}", listed.join(", ")),
            );
        }
        (Some(o), Some(n)) => {
            for v in n.iter().filter(|v| !o.contains(v)) {
                out.push(
                    format!("{prefix}enum-value-added"),
                    at,
                    false,
                    format!("{what}: new value {}", show(v)),
                );
            }
            for v in o.iter().filter(|v| !n.contains(v)) {
                out.push(
                    enum_value_removed(prefix),
                    at,
                    false,
                    format!("{what}: value {} was removed", show(v)),
                );
            }
        }
        _ => {}
    }
    if let (Some(o), Some(n)) = (&old.extensible, &new.extensible) {
        for v in o.iter().filter(|v| !n.contains(v)) {
            if scope.request() {
                out.push(
                    format!("{prefix}x-extensible-enum-value-removed"),
                    at,
                    false,
                    format!("{what}: extensible value {} was removed", show(v)),
                );
            } else {
                out.push(
                    enum_value_removed(prefix),
                    at,
                    false,
                    format!("{what}: extensible value {} was removed", show(v)),
                );
            }
        }
        for v in n.iter().filter(|v| !o.contains(v)) {
            out.push(
                format!("{prefix}enum-value-added"),
                at,
                false,
                format!("{what}: new extensible value {}", show(v)),
            );
        }
    }
}

/// The rule for a value removed from an enum: oasdiff's id for a response body's own.
fn enum_value_removed(prefix: &str) -> String {
    if prefix == "response-body-" {
        "response-mediatype-enum-value-removed".to_string()
    } else {
        format!("{prefix}enum-value-removed")
    }
}

fn bounds(out: &mut Out, old: &Schema, new: &Schema, prefix: &str, what: &str) {
    for (keyword, name) in BOUNDS {
        let (o, n) = (old.bounds.get(keyword), new.bounds.get(keyword));
        if o == n {
            continue;
        }
        let exclusive = |b: Option<&Bound>| b.is_some_and(|b| b.exclusive);
        let kw = if exclusive(n) || (n.is_none() && exclusive(o)) {
            format!("exclusive-{name}")
        } else {
            name.to_string()
        };
        let change = match (o, n) {
            (None, Some(_)) => "set",
            (Some(_), None) => "unset",
            (Some(a), Some(b)) if b.value > a.value => "increased",
            (Some(a), Some(b)) if b.value < a.value => "decreased",
            // Same value, exclusivity changed: excluding the bound is the stricter one.
            (Some(_), Some(b)) if b.exclusive == name.starts_with("max") => "decreased",
            _ => "increased",
        };
        let shown = |b: Option<&Bound>| b.map_or("none".to_string(), |b| b.value.to_string());
        out.push(
            format!("{prefix}{kw}-{change}"),
            &new.at,
            false,
            format!("{what}: {keyword} {change} ({} to {})", shown(o), shown(n)),
        );
    }
}

fn pattern_and_default(out: &mut Out, old: &Schema, new: &Schema, prefix: &str, what: &str) {
    let at = new.at.as_str();
    match (&old.pattern, &new.pattern) {
        (None, Some(p)) => out.push(
            format!("{prefix}pattern-added"),
            at,
            false,
            format!("{what}: new pattern {p}"),
        ),
        (Some(p), None) => out.push(
            format!("{prefix}pattern-removed"),
            at,
            false,
            format!("{what}: pattern {p} was removed"),
        ),
        (Some(a), Some(b)) if a != b => out.push(
            format!("{prefix}pattern-changed"),
            at,
            false,
            format!("{what}: pattern changed from {a} to {b}"),
        ),
        _ => {}
    }
    match (&old.default, &new.default) {
        (None, Some(d)) => out.push(
            format!("{prefix}default-value-added"),
            at,
            false,
            format!("{what}: new default {}", show(d)),
        ),
        (Some(d), None) => out.push(
            format!("{prefix}default-value-removed"),
            at,
            false,
            format!("{what}: default {} was removed", show(d)),
        ),
        (Some(a), Some(b)) if a != b => out.push(
            format!("{prefix}default-value-changed"),
            at,
            false,
            format!("{what}: default changed from {} to {}", show(a), show(b)),
        ),
        _ => {}
    }
}
