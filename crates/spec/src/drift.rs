//! Semantic comparison of two OpenAPI documents, from a client's point of view.
//!
//! Both documents go through the same down-conversion the build uses, every `$ref` is
//! resolved, and then operations, parameters, request bodies, responses, security and
//! servers are compared as meaning, not text: key order, formatting, and moving an inline
//! schema into `components` are not changes. Each [`Change`] has a stable rule id, a
//! [`Level`] and a location (operation and JSON pointer).

use crate::downconvert::escape;
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// How much a change matters to a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Additive; nothing breaks.
    Info,
    /// May break (an exhaustive `match`, a deprecation).
    Warning,
    /// Will break generated clients or their callers.
    Breaking,
}

impl Level {
    /// The level's name.
    pub fn name(self) -> &'static str {
        match self {
            Level::Info => "info",
            Level::Warning => "warning",
            Level::Breaking => "breaking",
        }
    }
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One difference between two specs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// Stable rule id, e.g. `response-property-removed`.
    pub rule: &'static str,
    /// How much it matters.
    pub level: Level,
    /// The operation (`GET /v4/purchases`), or `-` for document-wide changes.
    pub operation: String,
    /// JSON pointer into the (resolved) document.
    pub pointer: String,
    /// What changed, in words.
    pub message: String,
}

/// All the differences, most severe first.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DriftReport {
    /// The changes.
    pub changes: Vec<Change>,
}

impl DriftReport {
    /// The most severe level present.
    pub fn max_level(&self) -> Option<Level> {
        self.changes.iter().map(|c| c.level).max()
    }

    /// How many changes have `level`.
    pub fn count(&self, level: Level) -> usize {
        self.changes.iter().filter(|c| c.level == level).count()
    }

    /// Plain text, one change a line.
    pub fn to_text(&self) -> String {
        if self.changes.is_empty() {
            return "no changes\n".into();
        }
        let mut out = String::new();
        for c in &self.changes {
            out.push_str(&format!(
                "{:<8} {:<36} {} {}\n         {}\n",
                c.level.name().to_uppercase(),
                c.rule,
                c.operation,
                c.pointer,
                c.message
            ));
        }
        out.push_str(&self.summary());
        out.push('\n');
        out
    }

    /// A Markdown table, ready for a pull-request comment.
    pub fn to_markdown(&self) -> String {
        let mut out = String::from("### Spec drift\n\n");
        if self.changes.is_empty() {
            out.push_str("No changes.\n");
            return out;
        }
        out.push_str(&format!("{}\n\n", self.summary()));
        out.push_str("| level | rule | operation | location | change |\n|---|---|---|---|---|\n");
        for c in &self.changes {
            let icon = match c.level {
                Level::Breaking => "🔴 breaking",
                Level::Warning => "🟡 warning",
                Level::Info => "🟢 info",
            };
            out.push_str(&format!(
                "| {icon} | `{}` | `{}` | `{}` | {} |\n",
                c.rule,
                c.operation,
                c.pointer,
                c.message.replace('|', "\\|")
            ));
        }
        out
    }

    fn summary(&self) -> String {
        format!(
            "{} breaking, {} warning, {} info",
            self.count(Level::Breaking),
            self.count(Level::Warning),
            self.count(Level::Info)
        )
    }
}

/// Compares two documents (text, YAML or JSON, OpenAPI 3.0 or 3.1).
pub fn compare_texts(
    old_name: &str,
    old: &str,
    new_name: &str,
    new: &str,
) -> Result<DriftReport, crate::Error> {
    let old = crate::normalize(old_name, old, None)?;
    let new = crate::normalize(new_name, new, None)?;
    Ok(compare(&old, &new))
}

/// Compares two OpenAPI 3.0 documents (already down-converted).
pub fn compare(old: &Value, new: &Value) -> DriftReport {
    let old = resolve_all(old);
    let new = resolve_all(new);
    let mut d = Diff::default();
    d.servers(&old, &new);
    d.security_schemes(&old, &new);
    let old_ops = operations(&old);
    let new_ops = operations(&new);
    let old_paths: BTreeSet<&String> = old_ops.values().map(|o| &o.path_key).collect();
    let new_paths: BTreeSet<&String> = new_ops.values().map(|o| &o.path_key).collect();
    for (key, op) in &old_ops {
        match new_ops.get(key) {
            None if !new_paths.contains(&op.path_key) => d.push(
                "path-removed",
                Level::Breaking,
                &op.name,
                &op.pointer,
                format!("path {} was removed", op.path),
            ),
            None => d.push(
                "operation-removed",
                Level::Breaking,
                &op.name,
                &op.pointer,
                format!("{} {} was removed", op.method.to_uppercase(), op.path),
            ),
            Some(new_op) => d.operation(&old, &new, op, new_op),
        }
    }
    for (key, op) in &new_ops {
        if !old_ops.contains_key(key) {
            let what = if old_paths.contains(&op.path_key) {
                "operation"
            } else {
                "path and operation"
            };
            d.push(
                "operation-added",
                Level::Info,
                &op.name,
                &op.pointer,
                format!("new {what} {} {}", op.method.to_uppercase(), op.path),
            );
        }
    }
    let mut changes = d.changes;
    changes.sort_by(|a, b| {
        b.level
            .cmp(&a.level)
            .then(a.operation.cmp(&b.operation))
            .then(a.pointer.cmp(&b.pointer))
    });
    changes.dedup();
    DriftReport { changes }
}

struct Op {
    name: String,
    method: String,
    path: String,
    path_key: String,
    pointer: String,
    op: Value,
    path_params: Vec<Value>,
}

const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Operations keyed by method and path with parameter names blanked (`/a/{}`), so
/// renaming a path parameter is not a removed operation.
fn operations(doc: &Value) -> BTreeMap<(String, String), Op> {
    let mut out = BTreeMap::new();
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        return out;
    };
    for (path, item) in paths {
        let path_key = blank_params(path);
        let path_params = item
            .get("parameters")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for method in METHODS {
            if let Some(op) = item.get(*method) {
                out.insert(
                    (path_key.clone(), method.to_string()),
                    Op {
                        name: format!("{} {path}", method.to_uppercase()),
                        method: method.to_string(),
                        path: path.clone(),
                        path_key: path_key.clone(),
                        pointer: format!("/paths/{}/{method}", escape(path)),
                        op: op.clone(),
                        path_params: path_params.clone(),
                    },
                );
            }
        }
    }
    out
}

fn blank_params(path: &str) -> String {
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

/// Replaces every local `$ref` by what it points to (a cycle stays a `$ref`).
pub fn resolve_all(doc: &Value) -> Value {
    fn go(v: &Value, doc: &Value, stack: &mut Vec<String>) -> Value {
        match v {
            Value::Object(o) => {
                if let Some(Value::String(r)) = o.get("$ref") {
                    if stack.contains(r) {
                        return v.clone();
                    }
                    if let Some(target) = r.strip_prefix('#').and_then(|p| doc.pointer(p)) {
                        stack.push(r.clone());
                        let resolved = go(target, doc, stack);
                        stack.pop();
                        return resolved;
                    }
                    return v.clone();
                }
                Value::Object(
                    o.iter()
                        .map(|(k, c)| (k.clone(), go(c, doc, stack)))
                        .collect(),
                )
            }
            Value::Array(a) => Value::Array(a.iter().map(|c| go(c, doc, stack)).collect()),
            other => other.clone(),
        }
    }
    let mut resolved = go(doc, doc, &mut Vec::new());
    // Components only matter through what uses them.
    if let Some(o) = resolved.as_object_mut() {
        if let Some(Value::Object(c)) = o.get_mut("components") {
            c.remove("schemas");
            c.remove("responses");
            c.remove("parameters");
            c.remove("requestBodies");
            c.remove("headers");
        }
    }
    resolved
}

#[derive(Clone, Copy, PartialEq)]
enum Direction {
    Request,
    Response,
}

#[derive(Default)]
struct Diff {
    changes: Vec<Change>,
}

fn str_of<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

fn params(op: &Op) -> BTreeMap<(String, String), Value> {
    let mut out = BTreeMap::new();
    for p in op.path_params.iter().chain(
        op.op
            .get("parameters")
            .and_then(Value::as_array)
            .into_iter()
            .flatten(),
    ) {
        let name = str_of(p, "name").unwrap_or("").to_string();
        let location = str_of(p, "in").unwrap_or("").to_string();
        // Path parameters are matched by position-insensitive name blanking: compare by "in" only.
        let key = if location == "path" {
            ("path".to_string(), name)
        } else {
            (location, name.to_ascii_lowercase())
        };
        out.insert(key, p.clone());
    }
    out
}

fn is_true(v: &Value, key: &str) -> bool {
    v.get(key) == Some(&Value::Bool(true))
}

impl Diff {
    fn push(
        &mut self,
        rule: &'static str,
        level: Level,
        operation: &str,
        pointer: &str,
        message: String,
    ) {
        self.changes.push(Change {
            rule,
            level,
            operation: operation.to_string(),
            pointer: pointer.to_string(),
            message,
        });
    }

    fn servers(&mut self, old: &Value, new: &Value) {
        let urls = |d: &Value| -> BTreeSet<String> {
            d.get("servers")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|s| {
                            str_of(s, "url").map(|u| u.trim_end_matches('/').to_string())
                        })
                        .collect()
                })
                .unwrap_or_default()
        };
        let (o, n) = (urls(old), urls(new));
        for removed in o.difference(&n) {
            self.push(
                "server-url-changed",
                Level::Breaking,
                "-",
                "/servers",
                format!("server {removed} is no longer listed"),
            );
        }
        for added in n.difference(&o) {
            if !o.is_empty() {
                self.push(
                    "server-url-added",
                    Level::Info,
                    "-",
                    "/servers",
                    format!("new server {added}"),
                );
            }
        }
    }

    fn security_schemes(&mut self, old: &Value, new: &Value) {
        let schemes = |d: &Value| -> Map<String, Value> {
            d.pointer("/components/securitySchemes")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default()
        };
        let (o, n) = (schemes(old), schemes(new));
        for (name, scheme) in &o {
            let at = format!("/components/securitySchemes/{}", escape(name));
            match n.get(name) {
                None => self.push(
                    "security-scheme-removed",
                    Level::Breaking,
                    "-",
                    &at,
                    format!("security scheme {name} was removed"),
                ),
                Some(ns) => {
                    for key in ["type", "scheme", "in", "name", "bearerFormat"] {
                        if scheme.get(key) != ns.get(key) {
                            self.push(
                                "security-scheme-changed",
                                Level::Breaking,
                                "-",
                                &at,
                                format!(
                                    "security scheme {name}: {key} changed from {} to {}",
                                    show(scheme.get(key)),
                                    show(ns.get(key))
                                ),
                            );
                        }
                    }
                }
            }
        }
        for name in n.keys().filter(|k| !o.contains_key(*k)) {
            self.push(
                "security-scheme-added",
                Level::Info,
                "-",
                &format!("/components/securitySchemes/{}", escape(name)),
                format!("new security scheme {name}"),
            );
        }
    }

    fn operation(&mut self, old_doc: &Value, new_doc: &Value, old: &Op, new: &Op) {
        let at = &new.pointer;
        let name = &new.name;
        if !is_true(&old.op, "deprecated") && is_true(&new.op, "deprecated") {
            self.push(
                "deprecation-added",
                Level::Warning,
                name,
                at,
                "the operation is now deprecated".into(),
            );
        }
        let security = |op: &Value, doc: &Value| {
            op.get("security")
                .or_else(|| doc.get("security"))
                .cloned()
                .unwrap_or(Value::Array(vec![]))
        };
        if security(&old.op, old_doc) != security(&new.op, new_doc) {
            self.push(
                "security-changed",
                Level::Breaking,
                name,
                &format!("{at}/security"),
                format!(
                    "security requirement changed from {} to {}",
                    security(&old.op, old_doc),
                    security(&new.op, new_doc)
                ),
            );
        }

        // Parameters.
        let (op_params, np_params) = (params(old), params(new));
        for (key, p) in &op_params {
            let p_at = format!("{at}/parameters/{}", escape(&key.1));
            match np_params.get(key) {
                None => self.push(
                    "parameter-removed",
                    Level::Breaking,
                    name,
                    &p_at,
                    format!("{} parameter {} was removed", key.0, key.1),
                ),
                Some(np) => {
                    if !is_true(p, "required") && is_true(np, "required") {
                        self.push(
                            "parameter-became-required",
                            Level::Breaking,
                            name,
                            &p_at,
                            format!("{} parameter {} is now required", key.0, key.1),
                        );
                    }
                    if !is_true(p, "deprecated") && is_true(np, "deprecated") {
                        self.push(
                            "deprecation-added",
                            Level::Warning,
                            name,
                            &p_at,
                            format!("{} parameter {} is now deprecated", key.0, key.1),
                        );
                    }
                    let empty = Value::Object(Map::new());
                    self.schema(
                        name,
                        &format!("{p_at}/schema"),
                        p.get("schema").unwrap_or(&empty),
                        np.get("schema").unwrap_or(&empty),
                        Direction::Request,
                        &format!("parameter {}", key.1),
                    );
                }
            }
        }
        for (key, np) in &np_params {
            if !op_params.contains_key(key) {
                let p_at = format!("{at}/parameters/{}", escape(&key.1));
                if is_true(np, "required") {
                    self.push(
                        "required-parameter-added",
                        Level::Breaking,
                        name,
                        &p_at,
                        format!("new required {} parameter {}", key.0, key.1),
                    );
                } else {
                    self.push(
                        "optional-parameter-added",
                        Level::Info,
                        name,
                        &p_at,
                        format!("new optional {} parameter {}", key.0, key.1),
                    );
                }
            }
        }

        // Request body.
        let body_schema = |op: &Value| {
            op.pointer("/requestBody/content/application~1json/schema")
                .cloned()
        };
        match (body_schema(&old.op), body_schema(&new.op)) {
            (Some(o), Some(n)) => self.schema(
                name,
                &format!("{at}/requestBody/content/application~1json/schema"),
                &o,
                &n,
                Direction::Request,
                "request body",
            ),
            (None, Some(_))
                if is_true(
                    new.op.get("requestBody").unwrap_or(&Value::Null),
                    "required",
                ) =>
            {
                self.push(
                    "request-body-added",
                    Level::Breaking,
                    name,
                    &format!("{at}/requestBody"),
                    "a required request body was added".into(),
                )
            }
            (Some(_), None) => self.push(
                "request-body-removed",
                Level::Breaking,
                name,
                &format!("{at}/requestBody"),
                "the request body was removed".into(),
            ),
            _ => {}
        }

        // Responses.
        let responses = |op: &Value| {
            op.get("responses")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default()
        };
        let (or, nr) = (responses(&old.op), responses(&new.op));
        let success = |r: &Map<String, Value>| -> BTreeSet<String> {
            r.keys().filter(|k| k.starts_with('2')).cloned().collect()
        };
        let (os, ns) = (success(&or), success(&nr));
        for status in os.difference(&ns) {
            let rule = if ns.is_empty() {
                "success-status-removed"
            } else {
                "success-status-changed"
            };
            self.push(
                rule,
                Level::Breaking,
                name,
                &format!("{at}/responses/{status}"),
                format!(
                    "success response {status} is gone (now {})",
                    ns.iter().cloned().collect::<Vec<_>>().join(", ")
                ),
            );
        }
        for (status, o) in &or {
            let Some(n) = nr.get(status) else { continue };
            let path = "/content/application~1json/schema";
            if let (Some(os), Some(ns)) = (o.pointer(path), n.pointer(path)) {
                self.schema(
                    name,
                    &format!("{at}/responses/{}{path}", escape(status)),
                    os,
                    ns,
                    Direction::Response,
                    &format!("response {status}"),
                );
            }
        }
        for status in nr
            .keys()
            .filter(|k| !or.contains_key(*k) && !k.starts_with('2'))
        {
            self.push(
                "response-status-added",
                Level::Info,
                name,
                &format!("{at}/responses/{status}"),
                format!("new documented response {status}"),
            );
        }
    }

    fn schema(&mut self, op: &str, at: &str, old: &Value, new: &Value, dir: Direction, what: &str) {
        if old == new {
            return;
        }
        let (ot, nt) = (type_of(old), type_of(new));
        if ot != nt && ot.is_some() && nt.is_some() {
            let rule = match dir {
                Direction::Request => "request-type-changed",
                Direction::Response => "response-type-changed",
            };
            self.push(
                rule,
                Level::Breaking,
                op,
                at,
                format!(
                    "{what}: type changed from {} to {}",
                    ot.unwrap_or_default(),
                    nt.unwrap_or_default()
                ),
            );
            return;
        }
        if str_of(old, "format") != str_of(new, "format") {
            let rule = match dir {
                Direction::Request => "request-format-changed",
                Direction::Response => "response-format-changed",
            };
            self.push(
                rule,
                Level::Breaking,
                op,
                at,
                format!(
                    "{what}: format changed from {} to {}",
                    show(old.get("format")),
                    show(new.get("format"))
                ),
            );
        }
        if dir == Direction::Response && !is_true(old, "nullable") && is_true(new, "nullable") {
            self.push(
                "response-became-nullable",
                Level::Breaking,
                op,
                at,
                format!("{what} may now be null"),
            );
        }
        if dir == Direction::Request && is_true(old, "nullable") && !is_true(new, "nullable") {
            self.push(
                "request-no-longer-nullable",
                Level::Breaking,
                op,
                at,
                format!("{what} may no longer be null"),
            );
        }
        if !is_true(old, "deprecated") && is_true(new, "deprecated") {
            self.push(
                "deprecation-added",
                Level::Warning,
                op,
                at,
                format!("{what} is now deprecated"),
            );
        }
        self.enums(op, at, old, new, dir, what);

        // Object properties.
        let props = |s: &Value| {
            s.get("properties")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default()
        };
        let required = |s: &Value| -> BTreeSet<String> {
            s.get("required")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(String::from)
                        .collect()
                })
                .unwrap_or_default()
        };
        let (op_, np_) = (props(old), props(new));
        let (or_, nr_) = (required(old), required(new));
        for (name, os) in &op_ {
            let p_at = format!("{at}/properties/{}", escape(name));
            match np_.get(name) {
                None => match dir {
                    Direction::Response => self.push(
                        "response-property-removed",
                        Level::Breaking,
                        op,
                        &p_at,
                        format!("{what}: property {name} was removed"),
                    ),
                    Direction::Request => self.push(
                        "request-property-removed",
                        Level::Warning,
                        op,
                        &p_at,
                        format!("{what}: property {name} is no longer accepted"),
                    ),
                },
                Some(ns) => {
                    if dir == Direction::Response && or_.contains(name) && !nr_.contains(name) {
                        self.push(
                            "response-property-became-optional",
                            Level::Breaking,
                            op,
                            &p_at,
                            format!("{what}: property {name} is no longer required"),
                        );
                    }
                    if dir == Direction::Request && !or_.contains(name) && nr_.contains(name) {
                        self.push(
                            "request-property-became-required",
                            Level::Breaking,
                            op,
                            &p_at,
                            format!("{what}: property {name} is now required"),
                        );
                    }
                    self.schema(op, &p_at, os, ns, dir, &format!("{what}: property {name}"));
                }
            }
        }
        for (name, _) in np_.iter().filter(|(k, _)| !op_.contains_key(*k)) {
            let p_at = format!("{at}/properties/{}", escape(name));
            match (dir, nr_.contains(name)) {
                (Direction::Request, true) => self.push(
                    "request-property-required-added",
                    Level::Breaking,
                    op,
                    &p_at,
                    format!("{what}: new required property {name}"),
                ),
                (Direction::Request, false) => self.push(
                    "request-property-added",
                    Level::Info,
                    op,
                    &p_at,
                    format!("{what}: new optional property {name}"),
                ),
                (Direction::Response, true) => self.push(
                    "response-property-added",
                    Level::Info,
                    op,
                    &p_at,
                    format!("{what}: new property {name}"),
                ),
                (Direction::Response, false) => self.push(
                    "response-optional-property-added",
                    Level::Info,
                    op,
                    &p_at,
                    format!("{what}: new optional property {name}"),
                ),
            }
        }
        if let (Some(oi), Some(ni)) = (old.get("items"), new.get("items")) {
            self.schema(
                op,
                &format!("{at}/items"),
                oi,
                ni,
                dir,
                &format!("{what} items"),
            );
        }
        if let (Some(oa), Some(na)) = (
            old.get("additionalProperties").filter(|v| v.is_object()),
            new.get("additionalProperties").filter(|v| v.is_object()),
        ) {
            self.schema(
                op,
                &format!("{at}/additionalProperties"),
                oa,
                na,
                dir,
                &format!("{what} values"),
            );
        }
        for key in ["oneOf", "anyOf", "allOf"] {
            let (oc, nc) = (
                old.get(key).and_then(Value::as_array),
                new.get(key).and_then(Value::as_array),
            );
            match (oc, nc) {
                (Some(oc), Some(nc)) if oc.len() == nc.len() => {
                    for (i, (o, n)) in oc.iter().zip(nc).enumerate() {
                        self.schema(
                            op,
                            &format!("{at}/{key}/{i}"),
                            o,
                            n,
                            dir,
                            &format!("{what} ({key} {i})"),
                        );
                    }
                }
                (None, None) => {}
                _ => self.push(
                    "schema-composition-changed",
                    Level::Warning,
                    op,
                    &format!("{at}/{key}"),
                    format!("{what}: the {key} alternatives changed"),
                ),
            }
        }
    }

    fn enums(&mut self, op: &str, at: &str, old: &Value, new: &Value, dir: Direction, what: &str) {
        let values = |s: &Value| s.get("enum").and_then(Value::as_array).cloned();
        let (Some(ov), Some(nv)) = (values(old), values(new)) else {
            if values(old).is_none() && values(new).is_some() {
                let listed = show(new.get("enum"));
                match dir {
                    Direction::Request => self.push(
                        "request-enum-added",
                        Level::Breaking,
                        op,
                        at,
                        format!("{what} is now restricted to {listed}"),
                    ),
                    // The generated type becomes an enum: a value outside it will not decode.
                    Direction::Response => self.push(
                        "response-enum-added",
                        Level::Warning,
                        op,
                        at,
                        format!("{what} is now documented as one of {listed}"),
                    ),
                }
            }
            return;
        };
        for v in nv.iter().filter(|v| !ov.contains(v)) {
            match dir {
                // The generated response enums are open (a catch-all keeps values the spec
                // does not list, and they are non-exhaustive), so a new value neither fails
                // decoding nor breaks a match.
                Direction::Response => self.push(
                    "response-enum-value-added",
                    Level::Info,
                    op,
                    at,
                    format!("{what}: new value {v} (decoded by the open enum; no match breaks)"),
                ),
                Direction::Request => self.push(
                    "request-enum-value-added",
                    Level::Info,
                    op,
                    at,
                    format!("{what}: new accepted value {v}"),
                ),
            }
        }
        for v in ov.iter().filter(|v| !nv.contains(v)) {
            match dir {
                Direction::Request => self.push(
                    "request-enum-value-removed",
                    Level::Breaking,
                    op,
                    at,
                    format!("{what}: value {v} is no longer accepted"),
                ),
                Direction::Response => self.push(
                    "response-enum-value-removed",
                    Level::Info,
                    op,
                    at,
                    format!("{what}: value {v} is no longer sent"),
                ),
            }
        }
    }
}

fn type_of(s: &Value) -> Option<String> {
    str_of(s, "type").map(String::from)
}

fn show(v: Option<&Value>) -> String {
    match v {
        None => "(none)".into(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}
