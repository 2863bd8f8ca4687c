//! The report's output formats: text, Markdown, GitHub Actions annotations and JUnit XML
//! (JSON is the report serialized).

use super::{DriftReport, Level};

impl DriftReport {
    /// The closing line: counts and the crate's release.
    pub fn summary_line(&self) -> String {
        format!(
            "{} breaking, {} warning, {} info\ncrate: {}",
            self.summary.breaking,
            self.summary.warning,
            self.summary.info,
            self.summary.crate_release
        )
    }

    fn operations(c: &super::Change) -> String {
        match c.operations.len() {
            0 | 1 => c.operation.clone(),
            n => format!("{} (+{} more)", c.operation, n - 1),
        }
    }

    /// Plain text, one change a block, ending with the summary and `crate: ...`.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        if self.changes.is_empty() {
            out.push_str("no changes\n");
        }
        for c in &self.changes {
            out.push_str(&format!(
                "{:<8} {:<44} {} {}\n         {} (crate: {})\n",
                c.level.name().to_uppercase(),
                c.rule,
                Self::operations(c),
                c.pointer,
                c.message,
                c.semver
            ));
        }
        for i in &self.ignored {
            out.push_str(&format!(
                "ignored  {} {}: {}\n",
                i.change.rule, i.change.pointer, i.reason
            ));
        }
        for e in &self.stale_ignores {
            out.push_str(&format!(
                "stale ignore entry (matches nothing): {} {} {}\n",
                e.rule,
                e.operation.as_deref().unwrap_or(""),
                e.pointer.as_deref().unwrap_or("")
            ));
        }
        out.push_str(&self.summary_line());
        out.push('\n');
        out
    }

    /// A Markdown table, ready for a pull-request comment.
    pub fn to_markdown(&self) -> String {
        let mut out = String::from("### Spec drift\n\n");
        out.push_str(&format!(
            "{} breaking, {} warning, {} info; crate: **{}**\n\n",
            self.summary.breaking,
            self.summary.warning,
            self.summary.info,
            self.summary.crate_release
        ));
        if self.changes.is_empty() {
            out.push_str("No changes.\n");
            return out;
        }
        out.push_str(
            "| level | rule | crate | operation | location | change |\n|---|---|---|---|---|---|\n",
        );
        for c in &self.changes {
            let icon = match c.level {
                Level::Breaking => "🔴 breaking",
                Level::Warning => "🟡 warning",
                Level::Info => "🟢 info",
            };
            out.push_str(&format!(
                "| {icon} | `{}` | {} | `{}` | `{}` | {} |\n",
                c.rule,
                c.semver,
                Self::operations(c),
                c.pointer,
                c.message.replace('|', "\\|")
            ));
        }
        out
    }

    /// GitHub Actions workflow commands, one annotation per change (`error` for breaking,
    /// `warning`, `notice` for info).
    pub fn to_github_actions(&self) -> String {
        fn data(s: &str) -> String {
            s.replace('%', "%25")
                .replace('\r', "%0D")
                .replace('\n', "%0A")
        }
        fn property(s: &str) -> String {
            data(s).replace(':', "%3A").replace(',', "%2C")
        }
        let mut out = String::new();
        for c in &self.changes {
            let command = match c.level {
                Level::Breaking => "error",
                Level::Warning => "warning",
                Level::Info => "notice",
            };
            out.push_str(&format!(
                "::{command} title={}::{}\n",
                property(c.rule),
                data(&format!(
                    "in API {} {} at {} (crate: {})",
                    Self::operations(c),
                    c.message,
                    c.pointer,
                    c.semver
                ))
            ));
        }
        out
    }

    /// JUnit XML: one test case per change, failing when its level is at or above `fail_on`
    /// (`None`: none fails).
    pub fn to_junit(&self, fail_on: Option<Level>) -> String {
        fn xml(s: &str) -> String {
            s.replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
                .replace('"', "&quot;")
                .replace('\'', "&apos;")
        }
        let failing = |l: Level| fail_on.is_some_and(|f| l >= f);
        let failures = self.changes.iter().filter(|c| failing(c.level)).count();
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n");
        out.push_str(&format!(
            "  <testsuite name=\"spec drift\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" time=\"0\">\n",
            self.changes.len().max(1)
        ));
        if self.changes.is_empty() {
            out.push_str("    <testcase name=\"no changes\" classname=\"drift\" time=\"0\"/>\n");
        }
        for c in &self.changes {
            out.push_str(&format!(
                "    <testcase name=\"{} {}\" classname=\"{}\" time=\"0\">",
                xml(c.rule),
                xml(&c.pointer),
                xml(&c.operation)
            ));
            let body = xml(&format!(
                "{} (level: {}, crate: {})",
                c.message, c.level, c.semver
            ));
            if failing(c.level) {
                out.push_str(&format!(
                    "<failure message=\"{}\" type=\"{}\">{body}</failure>",
                    xml(&c.message),
                    c.level
                ));
            } else {
                out.push_str(&format!("<system-out>{body}</system-out>"));
            }
            out.push_str("</testcase>\n");
        }
        out.push_str("  </testsuite>\n</testsuites>\n");
        out
    }
}

/// The rules table as Markdown: id, level, crate impact, reason, oasdiff id.
pub fn rules_markdown() -> String {
    let mut out = String::from("| rule | level | crate | why | oasdiff |\n|---|---|---|---|---|\n");
    for r in super::rules::RULES {
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {} |\n",
            r.id,
            r.level,
            r.semver,
            r.reason,
            if r.oasdiff {
                format!("`{}`", r.id)
            } else {
                "none".to_string()
            }
        ));
    }
    out.push_str(
        "\n## Where this check and oasdiff differ, on purpose\n\n\
         Measured against oasdiff's own test suite (its `checker/*_test.go` spec pairs, vendored \
         in `crates/spec/tests/data/oasdiff`); `crates/spec/tests/oasdiff_corpus.rs` fails on a \
         difference not listed here, and on one listed that no longer happens.\n\n\
         ### Levels\n\n| rule | ours | oasdiff's | why |\n|---|---|---|---|\n",
    );
    for l in super::oasdiff::LEVELS {
        let ours = super::rules::find(l.id).map_or(Level::Info, |r| r.level);
        out.push_str(&format!(
            "| `{}` | {ours} | {} | {} |\n",
            l.id, l.oasdiff, l.why
        ));
    }
    out.push_str(
        "\n### Change ids, by oasdiff test\n\n\
         An empty *oasdiff expects* is an id we report where the test expects none (or no \
         breaking change).\n\n| oasdiff test | oasdiff expects | we report | why |\n|---|---|---|---|\n",
    );
    for c in super::oasdiff::CASES {
        let expects = if c.expects.is_empty() {
            "nothing".to_string()
        } else {
            format!("`{}`", c.expects)
        };
        out.push_str(&format!(
            "| `{}` | {expects} | `{}` | {} |\n",
            c.case, c.reports, c.why
        ));
    }
    out
}
