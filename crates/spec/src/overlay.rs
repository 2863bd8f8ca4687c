//! Provider patches as OpenAPI Overlay 1.0 documents.
//!
//! Parsing, JSONPath selection and merging are `roas-overlay`'s (an implementation of the
//! Overlay specification over `serde_json_path`). This module adds the project's rules on
//! top: every action carries a one-line reason in its `description`, and an action whose
//! target matches nothing is an error that names it, because an overlay that silently stops
//! applying after an upstream change is a patch nobody notices is gone.

use enumset::EnumSet;
use roas_overlay::apply::{Apply, ApplyOptions};
use roas_overlay::v1_0::Overlay;
use roas_overlay::validation::Validate;
use serde_json::Value;

/// What one applied action did: its reason and how many nodes it touched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedAction {
    /// Position in the overlay's `actions` list.
    pub index: usize,
    /// The JSONPath target.
    pub target: String,
    /// `update` or `remove`.
    pub operation: String,
    /// How many nodes the target matched.
    pub matched: usize,
    /// The action's one-line reason.
    pub reason: String,
}

/// Parses and validates an Overlay 1.0 document (YAML or JSON).
///
/// Besides the Overlay specification's own rules, every action must have a one-line
/// `description` giving the reason for the patch.
pub fn parse_overlay(text: &str) -> Result<Overlay, String> {
    let value = crate::load_document("overlay", text).map_err(|e| e.cause)?;
    let overlay: Overlay =
        serde_json::from_value(value).map_err(|e| format!("not an Overlay 1.0 document: {e}"))?;
    overlay
        .validate(EnumSet::empty())
        .map_err(|e| format!("invalid overlay: {e}"))?;
    for (i, action) in overlay.actions.iter().enumerate() {
        match action.description.as_deref().map(str::trim) {
            None | Some("") => {
                return Err(format!(
                    "actions[{i}] (target {:?}) has no description: every patch needs its reason",
                    action.target
                ))
            }
            Some(reason) if reason.contains('\n') => {
                return Err(format!(
                    "actions[{i}] (target {:?}): the reason must be one line",
                    action.target
                ))
            }
            Some(_) => {}
        }
    }
    Ok(overlay)
}

/// Applies `overlay` to `doc` in order. On error `doc` is left untouched.
pub fn apply_overlay(overlay: &Overlay, doc: &mut Value) -> Result<Vec<AppliedAction>, String> {
    let report = overlay
        .apply(doc, ApplyOptions::ErrorOnZeroMatch.into())
        .map_err(|e| {
            let reason = overlay
                .actions
                .get(e.action_index)
                .and_then(|a| a.description.clone())
                .unwrap_or_default();
            format!("{e} (action's reason: {reason})")
        })?;
    Ok(report
        .actions
        .into_iter()
        .map(|outcome| AppliedAction {
            index: outcome.index,
            target: outcome.target,
            operation: outcome.operation.to_string(),
            matched: outcome.matched,
            reason: overlay.actions[outcome.index]
                .description
                .clone()
                .unwrap_or_default(),
        })
        .collect())
}

/// `current` (an overlay's text) with the actions of `addition` appended, the text of
/// `current` kept as written: the new actions are added at the end of its `actions` list,
/// indented like the others. Both must be valid overlays; the result is checked to parse
/// into exactly the current actions followed by the new ones.
pub fn append_actions(current: &str, addition: &str) -> Result<String, String> {
    parse_overlay(current).map_err(|e| format!("the current overlay: {e}"))?;
    parse_overlay(addition).map_err(|e| format!("the overlay to add: {e}"))?;
    let value = |text: &str| crate::load_document("overlay", text).map_err(|e| e.cause);
    let (current_value, addition_value) = (value(current)?, value(addition)?);
    let mut expected = current_value.clone();
    let added = addition_value["actions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if let Some(actions) = expected.get_mut("actions").and_then(Value::as_array_mut) {
        actions.extend(added.iter().cloned());
    }
    let indent = current
        .lines()
        .find_map(|l| {
            l.strip_suffix(l.trim_start())
                .filter(|_| l.trim_start().starts_with("- target:"))
        })
        .unwrap_or("  ");
    let items = serde_yaml_ng::to_string(&Value::Array(added)).map_err(|e| e.to_string())?;
    let mut text = current.trim_end().to_string();
    text.push('\n');
    for line in items.lines() {
        text.push_str(indent);
        text.push_str(line);
        text.push('\n');
    }
    let last_key_is_actions = current_value
        .as_object()
        .and_then(|o| o.keys().next_back())
        .is_some_and(|k| k == "actions");
    if last_key_is_actions && value(&text).ok().as_ref() == Some(&expected) {
        return Ok(text);
    }
    // The current text does not end with its actions: written anew.
    serde_yaml_ng::to_string(&expected).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn overlay(actions: &str) -> String {
        format!("overlay: 1.0.0\ninfo:\n  title: t\n  version: '1'\nactions:\n{actions}")
    }

    #[test]
    fn an_update_merges_into_every_match() {
        let o = parse_overlay(&overlay(
            "  - target: $.paths.*.get\n    description: name the operations\n    update:\n      operationId: op\n",
        ))
        .unwrap();
        let mut doc = json!({"paths": {"/a": {"get": {"summary": "A"}}, "/b": {"get": {}}}});
        let applied = apply_overlay(&o, &mut doc).unwrap();
        assert_eq!(
            doc["paths"]["/a"]["get"],
            json!({"summary": "A", "operationId": "op"})
        );
        assert_eq!(doc["paths"]["/b"]["get"], json!({"operationId": "op"}));
        assert_eq!(applied[0].matched, 2);
        assert_eq!(applied[0].reason, "name the operations");
    }

    #[test]
    fn a_remove_deletes_the_match() {
        let o = parse_overlay(&overlay(
            "  - target: $.components.schemas.Old\n    description: gone\n    remove: true\n",
        ))
        .unwrap();
        let mut doc = json!({"components": {"schemas": {"Old": {}, "New": {}}}});
        apply_overlay(&o, &mut doc).unwrap();
        assert_eq!(doc, json!({"components": {"schemas": {"New": {}}}}));
    }

    #[test]
    fn an_action_without_a_reason_is_refused() {
        let err =
            parse_overlay(&overlay("  - target: $.info\n    update:\n      x: 1\n")).unwrap_err();
        assert!(err.contains("no description"), "{err}");
    }

    #[test]
    fn a_target_that_matches_nothing_is_an_error_naming_it() {
        let o = parse_overlay(&overlay(
            "  - target: $.paths['/gone'].get\n    description: patch a vanished operation\n    update:\n      operationId: x\n",
        ))
        .unwrap();
        let mut doc = json!({"paths": {}});
        let err = apply_overlay(&o, &mut doc).unwrap_err();
        assert!(err.contains("/gone"), "{err}");
        assert!(err.contains("patch a vanished operation"), "{err}");
        assert_eq!(
            doc,
            json!({"paths": {}}),
            "the document is untouched on error"
        );
    }

    #[test]
    fn appended_actions_follow_the_current_ones_in_their_style() {
        let current = overlay(
            "  # why the first\n  - target: $.info\n    description: first\n    update:\n      x: 1\n",
        );
        let addition = overlay(
            "- target: $.paths\n  description: 'second: seen in 2 of 3 replies'\n  update:\n    y: 2\n",
        );
        let merged = append_actions(&current, &addition).unwrap();
        assert!(merged.starts_with(&current), "{merged}");
        assert!(merged.contains("# why the first"), "{merged}");
        let o = parse_overlay(&merged).unwrap();
        let reasons: Vec<_> = o
            .actions
            .iter()
            .map(|a| a.description.clone().unwrap())
            .collect();
        assert_eq!(reasons, ["first", "second: seen in 2 of 3 replies"]);
        assert!(append_actions(&current, "overlay: 1.0.0\n").is_err());
    }

    #[test]
    fn a_non_overlay_document_is_refused() {
        assert!(parse_overlay("openapi: 3.0.3\n").is_err());
        assert!(
            parse_overlay("overlay: 2.0.0\ninfo: {title: t, version: '1'}\nactions: []\n").is_err()
        );
    }
}
