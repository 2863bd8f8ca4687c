//! Semantic comparison of two OpenAPI documents, from a client's point of view.
//!
//! Both documents go through the down-conversion the build uses (3.1 type arrays and
//! `null` branches become 3.0's `nullable`), then every schema is brought to one canonical
//! form ([`canonical`]: `$ref`s followed, `allOf` parts merged, `oneOf`/`anyOf` alternatives
//! matched by what they are rather than where they stand), so that two ways of writing the
//! same API compare equal. Each [`Change`] has a stable rule id (oasdiff's where the meaning
//! is the same), a [`Level`] for a client on the wire, a [`Semver`] impact on this crate's
//! generated API, and an RFC 6901 pointer into the new document (the old one for what was
//! removed). [`rules::RULES`] lists every rule with the reason for its level; [`Policy`]
//! applies a CI user's ignore list and level overrides.

mod bundle;
pub mod canonical;
mod evidence;
pub mod oasdiff;
mod policy;
mod render;
pub mod rules;
mod schema;
mod walk;

pub use evidence::{Evidence, EvidencePolicy, RecordedReply, Traffic};
pub use policy::{IgnoreEntry, Policy};
pub use render::rules_markdown;

use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// How much a change matters to a client on the wire.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Nothing a client sends or decodes stops working.
    Info,
    /// May break (a deprecation; a change whose effect the spec cannot tell).
    Warning,
    /// A request or response valid under the old version fails under the new one, in a way
    /// a generated client feels.
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

    /// A level by name (`breaking`, `warning`, `info`, or oasdiff's `err`, `warn`).
    pub fn parse(name: &str) -> Option<Level> {
        match name.to_ascii_lowercase().as_str() {
            "breaking" | "err" | "error" => Some(Level::Breaking),
            "warning" | "warn" => Some(Level::Warning),
            "info" => Some(Level::Info),
            _ => None,
        }
    }
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What a change does to this crate's public Rust API once the client is regenerated,
/// under Cargo's semver rules.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Semver {
    /// No public item changes (documentation, wire-only details).
    #[default]
    Patch,
    /// Items are added (a field of a non-exhaustive struct, a variant of a non-exhaustive
    /// enum, a method).
    Minor,
    /// Code written against the old API may no longer compile or behave (a field removed
    /// or retyped, a method renamed).
    Major,
}

impl Semver {
    /// The impact's name.
    pub fn name(self) -> &'static str {
        match self {
            Semver::Patch => "patch",
            Semver::Minor => "minor",
            Semver::Major => "major",
        }
    }
}

impl std::fmt::Display for Semver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Which document a pointer points into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// The new document (what changed or was added).
    New,
    /// The old document (what was removed).
    Old,
}

/// One difference between two specs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Change {
    /// Stable rule id, e.g. `response-required-property-removed`.
    pub rule: &'static str,
    /// How much it matters on the wire.
    pub level: Level,
    /// What it does to this crate's version.
    pub semver: Semver,
    /// The first operation it concerns (`GET /v4/purchases`), or `-` for the document.
    pub operation: String,
    /// Every operation it concerns (a shared schema is reported once for all of them).
    pub operations: Vec<String>,
    /// RFC 6901 pointer into the document named by `document`.
    pub pointer: String,
    /// Which document `pointer` points into.
    pub document: Side,
    /// What changed, in words.
    pub message: String,
    /// What recorded replies say about the element it touches (`--evidence`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub traffic: Option<Traffic>,
}

/// A change a policy's ignore list removed, with the entry's reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Ignored {
    /// The change.
    pub change: Change,
    /// Why it is ignored.
    pub reason: String,
}

/// The counts and the crate's verdict.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Summary {
    /// Breaking changes.
    pub breaking: usize,
    /// Warnings.
    pub warning: usize,
    /// Informational changes.
    pub info: usize,
    /// The release this crate needs once regenerated: the largest impact of any change.
    #[serde(rename = "crate")]
    pub crate_release: Semver,
}

/// All the differences, most severe first.
#[derive(Debug, Clone, Default, Serialize, schemars::JsonSchema)]
pub struct DriftReport {
    /// The changes.
    pub changes: Vec<Change>,
    /// Counts by level and the crate's release.
    pub summary: Summary,
    /// Changes the ignore list removed.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub ignored: Vec<Ignored>,
    /// Ignore entries that matched nothing (the list should drop them).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub stale_ignores: Vec<IgnoreEntry>,
}

/// A change before its level and operations are settled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Finding {
    pub rule: &'static str,
    pub pointer: String,
    /// The pointer is into the old document.
    pub old_side: bool,
    pub message: String,
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

    /// The release this crate needs once regenerated.
    pub fn crate_release(&self) -> Semver {
        self.summary.crate_release
    }

    /// Recomputes the summary from the changes.
    pub(crate) fn summarize(&mut self) {
        self.changes.sort_by(|a, b| {
            b.level
                .cmp(&a.level)
                .then(a.operation.cmp(&b.operation))
                .then(a.pointer.cmp(&b.pointer))
                .then(a.rule.cmp(b.rule))
        });
        self.summary = Summary {
            breaking: self.count(Level::Breaking),
            warning: self.count(Level::Warning),
            info: self.count(Level::Info),
            crate_release: self
                .changes
                .iter()
                .map(|c| c.semver)
                .max()
                .unwrap_or(Semver::Patch),
        };
    }

    /// The JSON Schema of the JSON report (`purchases drift --format json`).
    pub fn json_schema() -> Value {
        serde_json::to_value(schemars::schema_for!(DriftReport)).unwrap_or(Value::Null)
    }
}

/// Compares two documents (text, YAML or JSON, OpenAPI 3.0 or 3.1). References to other
/// files are not followed (each is reported as `external-ref-not-followed`); see
/// [`compare_sources`] to follow them.
pub fn compare_texts(
    old_name: &str,
    old: &str,
    new_name: &str,
    new: &str,
) -> Result<DriftReport, crate::Error> {
    compare_sources(
        Source {
            name: old_name,
            text: old,
            file: None,
        },
        Source {
            name: new_name,
            text: new,
            file: None,
        },
    )
}

/// A document to compare.
#[derive(Debug, Clone, Copy)]
pub struct Source<'a> {
    /// Its name in messages (a path or a URL).
    pub name: &'a str,
    /// Its text, YAML or JSON.
    pub text: &'a str,
    /// The file it was read from: references to other files (`$ref: schemas/pet.yaml`)
    /// are read relative to it and compared as if written in place. `None` (a URL, a text
    /// from elsewhere): they are reported, not followed.
    pub file: Option<&'a std::path::Path>,
}

/// Compares two documents, following references to other files where each says which
/// file it is.
pub fn compare_sources(old: Source<'_>, new: Source<'_>) -> Result<DriftReport, crate::Error> {
    Ok(compare(&prepare(old)?, &prepare(new)?))
}

/// A document as the comparison reads it: parsed, references to other files followed (when
/// the source names its file), 3.1 keywords kept. [`compare`] takes two of these, and
/// [`Evidence::build`] the old one.
pub fn prepare(source: Source<'_>) -> Result<Value, crate::Error> {
    let mut doc = crate::load_document(source.name, source.text)?;
    if let Some(file) = source.file {
        bundle::inline_external(&mut doc, file);
    }
    crate::downconvert::to_openapi_30_keeping(&mut doc)
        .map_err(|e| crate::Error::new(source.name, crate::Step::Downconvert, e))?;
    Ok(doc)
}

/// Compares two OpenAPI 3.0 documents (already down-converted).
pub fn compare(old: &Value, new: &Value) -> DriftReport {
    compare_on(old, new, &chrono_free_today())
}

/// [`compare`] as of `today` (`YYYY-MM-DD`), which decides whether a sunset date has passed.
pub fn compare_on(old: &Value, new: &Value, today: &str) -> DriftReport {
    let mut walk = walk::Walk {
        old,
        new,
        old_canon: canonical::Canon::new(old),
        new_canon: canonical::Canon::new(new),
        schemas: schema::SchemaDiff::default(),
        found: Vec::new(),
        today: today.to_string(),
    };
    walk.document();
    // One change per rule and place, listing every operation it concerns.
    let mut merged: BTreeMap<(&'static str, String, String), Change> = BTreeMap::new();
    for (operation, f) in walk.found {
        let (rule, message) = rules::classify(f.rule, f.message);
        let key = (rule.id, f.pointer.clone(), message.clone());
        let change = merged.entry(key).or_insert_with(|| Change {
            rule: rule.id,
            level: rule.level,
            semver: rule.semver,
            operation: operation.clone(),
            operations: Vec::new(),
            pointer: f.pointer.clone(),
            document: if f.old_side { Side::Old } else { Side::New },
            message,
            traffic: None,
        });
        if !change.operations.contains(&operation) {
            change.operations.push(operation);
        }
    }
    let mut report = DriftReport {
        changes: merged.into_values().collect(),
        ..DriftReport::default()
    };
    report.summarize();
    report
}

/// Today's date in UTC, `YYYY-MM-DD`, from the system clock.
fn chrono_free_today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    // Howard Hinnant's civil-from-days.
    let z = secs.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn today_is_a_plausible_date() {
        let t = chrono_free_today();
        assert_eq!(t.len(), 10, "{t}");
        assert!(t.as_str() > "2024-01-01", "{t}");
    }

    #[test]
    fn levels_parse_in_both_vocabularies() {
        assert_eq!(Level::parse("ERR"), Some(Level::Breaking));
        assert_eq!(Level::parse("warn"), Some(Level::Warning));
        assert_eq!(Level::parse("breaking"), Some(Level::Breaking));
        assert_eq!(Level::parse("fatal"), None);
    }
}
