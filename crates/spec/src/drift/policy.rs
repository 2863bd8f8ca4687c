//! The levers a CI user expects: an ignore list and per-rule level overrides.

use super::{rules, DriftReport, Ignored, Level};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One entry of an ignore file: a rule, where (an operation, a pointer or both), and why.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IgnoreEntry {
    /// The rule id.
    pub rule: String,
    /// An operation (`GET /v4/purchases`) the change concerns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<String>,
    /// A pointer: the change's, or one it lies under.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
    /// Why the change is accepted (mandatory).
    pub reason: String,
}

impl IgnoreEntry {
    fn matches(&self, change: &super::Change) -> bool {
        if self.rule != change.rule {
            return false;
        }
        let operation = self
            .operation
            .as_ref()
            .is_none_or(|op| change.operations.iter().any(|o| o == op));
        let pointer = self
            .pointer
            .as_ref()
            .is_none_or(|p| change.pointer == *p || change.pointer.starts_with(&format!("{p}/")));
        operation && pointer
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IgnoreFile {
    #[serde(default)]
    ignore: Vec<IgnoreEntry>,
}

/// Level overrides and an ignore list, applied to a report.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    /// Rule id to its level, or `None` to drop the rule's changes.
    pub levels: BTreeMap<String, Option<Level>>,
    /// Changes to leave out, each with its reason.
    pub ignore: Vec<IgnoreEntry>,
}

impl Policy {
    /// Reads a levels file: one `RULE-ID LEVEL` a line, the level `breaking`, `warning`,
    /// `info` (or oasdiff's `err`, `warn`) or `none` to drop the rule; `#` starts a comment.
    pub fn with_levels(mut self, text: &str) -> Result<Self, String> {
        for (n, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let fields: Vec<&str> = line.split_whitespace().collect();
            let [id, level] = fields[..] else {
                return Err(format!(
                    "levels file, line {}: expected `RULE-ID LEVEL`, found {line:?}",
                    n + 1
                ));
            };
            if rules::find(id).is_none() {
                return Err(format!(
                    "levels file, line {}: unknown rule id {id:?}",
                    n + 1
                ));
            }
            let level = match level.to_ascii_lowercase().as_str() {
                "none" => None,
                other => Some(Level::parse(other).ok_or_else(|| {
                    format!("levels file, line {}: unknown level {level:?} (breaking, warning, info or none)", n + 1)
                })?),
            };
            self.levels.insert(id.to_string(), level);
        }
        Ok(self)
    }

    /// Reads an ignore file (TOML): `[[ignore]]` entries with `rule`, `operation` and/or
    /// `pointer`, and a mandatory `reason`.
    pub fn with_ignore(mut self, text: &str) -> Result<Self, String> {
        let file: IgnoreFile = toml::from_str(text).map_err(|e| format!("ignore file: {e}"))?;
        for (i, entry) in file.ignore.iter().enumerate() {
            let at = format!("ignore file, entry {} ({})", i + 1, entry.rule);
            if rules::find(&entry.rule).is_none() {
                return Err(format!("{at}: unknown rule id"));
            }
            if entry.reason.trim().is_empty() {
                return Err(format!("{at}: a reason is mandatory"));
            }
            if entry.operation.is_none() && entry.pointer.is_none() {
                return Err(format!("{at}: give an operation or a pointer"));
            }
        }
        self.ignore.extend(file.ignore);
        Ok(self)
    }

    /// `report` with the levels overridden and the ignored changes set aside; entries that
    /// matched nothing are listed as stale.
    pub fn apply(&self, mut report: DriftReport) -> DriftReport {
        let mut used = vec![false; self.ignore.len()];
        let mut kept = Vec::new();
        for mut change in std::mem::take(&mut report.changes) {
            match self.levels.get(change.rule) {
                Some(None) => continue,
                Some(Some(level)) => change.level = *level,
                None => {}
            }
            match self.ignore.iter().position(|e| e.matches(&change)) {
                Some(i) => {
                    used[i] = true;
                    report.ignored.push(Ignored {
                        change,
                        reason: self.ignore[i].reason.clone(),
                    });
                }
                None => kept.push(change),
            }
        }
        report.changes = kept;
        report.stale_ignores = self
            .ignore
            .iter()
            .zip(used)
            .filter(|(_, used)| !used)
            .map(|(e, _)| e.clone())
            .collect();
        report.summarize();
        report
    }
}
