//! Spec handling for `purchase-clients`.
//!
//! One pipeline turns an OpenAPI document as it is checked in (upstream verbatim, or
//! hand-written) into the document the client generator reads:
//!
//! 1. [`load_document`]: YAML or JSON text into a [`serde_json::Value`].
//! 2. [`downconvert::to_openapi_30`]: a generic OpenAPI 3.1 → 3.0 rewrite.
//! 3. [`overlay::apply_overlay`]: provider patches written as OpenAPI Overlay 1.0 documents,
//!    each action carrying a one-line reason.
//!
//! [`normalize`] runs all three. `build.rs` generates the clients from its output (feature
//! `codegen`), and the `purchases` binary uses the same code to compare and conform, so the
//! two can never disagree about what a spec means.

#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod downconvert;
#[cfg(feature = "analysis")]
pub mod drift;
#[cfg(feature = "analysis")]
pub mod observe;
pub mod overlay;
pub mod registry;

#[cfg(feature = "codegen")]
pub mod codegen;

use serde_json::Value;

/// The step of the pipeline that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Reading the document text as YAML or JSON.
    Parse,
    /// The OpenAPI 3.1 → 3.0 down-conversion.
    Downconvert,
    /// Applying the provider's overlay.
    Overlay,
    /// Generating Rust code from the normalized document.
    Generate,
}

impl std::fmt::Display for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Step::Parse => "parse",
            Step::Downconvert => "down-conversion 3.1 -> 3.0",
            Step::Overlay => "overlay",
            Step::Generate => "code generation",
        })
    }
}

/// A failure of one step of the pipeline, naming the spec, the step and the cause.
#[derive(Debug, thiserror::Error)]
#[error("spec `{spec}`: {step} failed: {cause}")]
pub struct Error {
    /// Which spec (usually its file name).
    pub spec: String,
    /// Which step failed.
    pub step: Step,
    /// What went wrong, in words.
    pub cause: String,
}

impl Error {
    /// Builds an error for `spec` at `step`.
    pub fn new(spec: impl Into<String>, step: Step, cause: impl std::fmt::Display) -> Self {
        Error {
            spec: spec.into(),
            step,
            cause: cause.to_string(),
        }
    }
}

/// Parses an OpenAPI (or overlay) document written as YAML or JSON.
///
/// JSON is a subset of YAML 1.2, but a JSON parser gives better messages for JSON input,
/// so text that starts with `{` is read as JSON.
pub fn load_document(name: &str, text: &str) -> Result<Value, Error> {
    let trimmed = text.trim_start();
    let value = if trimmed.starts_with('{') {
        serde_json::from_str(trimmed).map_err(|e| Error::new(name, Step::Parse, e))?
    } else {
        serde_yaml_ng::from_str(text).map_err(|e| Error::new(name, Step::Parse, e))?
    };
    match value {
        Value::Object(_) => Ok(value),
        other => Err(Error::new(
            name,
            Step::Parse,
            format!(
                "expected a mapping at the top level, found {}",
                kind(&other)
            ),
        )),
    }
}

/// Runs the whole pipeline: parse `spec_text`, down-convert to OpenAPI 3.0, then apply
/// `overlay_text` (an Overlay 1.0 document) if one is given.
pub fn normalize(name: &str, spec_text: &str, overlay_text: Option<&str>) -> Result<Value, Error> {
    let mut doc = load_document(name, spec_text)?;
    downconvert::to_openapi_30(&mut doc).map_err(|e| Error::new(name, Step::Downconvert, e))?;
    if let Some(overlay_text) = overlay_text {
        let overlay =
            overlay::parse_overlay(overlay_text).map_err(|e| Error::new(name, Step::Overlay, e))?;
        overlay::apply_overlay(&overlay, &mut doc)
            .map_err(|e| Error::new(name, Step::Overlay, e))?;
    }
    Ok(doc)
}

/// [`normalize`] without an overlay, for comparing documents: a 3.1 construct 3.0 cannot
/// say is kept (see [`downconvert::to_openapi_30_keeping`]) rather than refused.
pub fn normalize_for_comparison(name: &str, spec_text: &str) -> Result<Value, Error> {
    let mut doc = load_document(name, spec_text)?;
    downconvert::to_openapi_30_keeping(&mut doc)
        .map_err(|e| Error::new(name, Step::Downconvert, e))?;
    Ok(doc)
}

/// Extracts the OpenAPI document embedded in a documentation page as a fenced YAML block
/// (```` ```yaml ```` or ```` ````yaml ````), exactly as written between the fences.
///
/// The Kit and Subtotal documentation pages embed their spec this way; the checked-in
/// upstream copies are this text byte for byte.
pub fn extract_fenced_yaml(page: &str) -> Option<&str> {
    let mut offset = 0;
    for line in page.split_inclusive('\n') {
        let trimmed = line.trim_end();
        let fence_len = trimmed.chars().take_while(|c| *c == '`').count();
        if fence_len >= 3 && trimmed[fence_len..].trim_start().starts_with("yaml") {
            let body_start = offset + line.len();
            let fence = &trimmed[..fence_len];
            let mut pos = body_start;
            for body_line in page[body_start..].split_inclusive('\n') {
                if body_line.trim_end() == fence {
                    return Some(&page[body_start..pos]);
                }
                pos += body_line.len();
            }
            return None;
        }
        offset += line.len();
    }
    None
}

/// A short name for the kind of a JSON value, for messages.
pub(crate) fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extracts_the_yaml_between_four_backtick_fences() {
        let page = "# Title\n\n````yaml get /x\nopenapi: 3.0.3\npaths: {}\n````\ntrailer\n";
        assert_eq!(
            extract_fenced_yaml(page),
            Some("openapi: 3.0.3\npaths: {}\n")
        );
    }

    #[test]
    fn an_unclosed_fence_yields_nothing() {
        assert_eq!(extract_fenced_yaml("```yaml\nopenapi: 3.0.3\n"), None);
    }

    #[test]
    fn a_page_without_yaml_yields_nothing() {
        assert_eq!(extract_fenced_yaml("```json\n{}\n```\n"), None);
    }

    #[test]
    fn json_and_yaml_load_to_the_same_value() {
        let a = load_document("a", r#"{"openapi": "3.0.3", "paths": {}}"#).unwrap();
        let b = load_document("b", "openapi: 3.0.3\npaths: {}\n").unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn a_parse_error_names_the_spec_and_step() {
        let err = load_document("broken.yaml", "openapi: [unclosed").unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("broken.yaml"), "{msg}");
        assert!(msg.contains("parse"), "{msg}");
    }

    #[test]
    fn a_scalar_document_is_refused() {
        let err = load_document("s.yaml", "just text").unwrap_err();
        assert!(err.cause.contains("a string"), "{}", err.cause);
    }
}
