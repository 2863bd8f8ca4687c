//! References to other files (`$ref: schemas/pet.yaml#/Pet`), followed so that a document
//! split across files is compared whole: each is replaced by what it points to, read
//! relative to the file that holds it. A reference that cannot be followed (a URL, a file
//! that cannot be read, a chain deeper than [`MAX_DEPTH`]) is left as
//! it is, and the comparison reports it (`external-ref-not-followed`) rather than seeing
//! nothing behind it.

use serde_json::Value;
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

/// How many files deep references are followed.
pub const MAX_DEPTH: usize = 16;

/// Replaces every reference to another file in `doc` (read from `file`) by its target. A
/// schema that refers back to itself through files (a recursive type) is placed once
/// under `components/schemas` (named after its file and pointer) and referred to there.
pub fn inline_external(doc: &mut Value, file: &Path) {
    let taken = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    let mut bundler = Bundler {
        taken,
        ..Bundler::default()
    };
    bundler.inline(doc, file);
    if bundler.hoisted.is_empty() || !doc.is_object() {
        return;
    }
    let components = doc
        .as_object_mut()
        .expect("checked above")
        .entry("components")
        .or_insert_with(|| Value::Object(Default::default()));
    if let Some(components) = components.as_object_mut() {
        let schemas = components
            .entry("schemas")
            .or_insert_with(|| Value::Object(Default::default()));
        if let Some(schemas) = schemas.as_object_mut() {
            for (name, schema) in bundler.hoisted {
                schemas.insert(name, schema);
            }
        }
    }
}

#[derive(Default)]
struct Bundler {
    /// Files read, by path (`None`: unreadable).
    files: HashMap<PathBuf, Option<Value>>,
    /// The references being followed, innermost last: one met again is a cycle.
    stack: Vec<String>,
    /// Schema names in use in the document.
    taken: BTreeSet<String>,
    /// References met again while being followed, with the component name given them.
    cyclic: HashMap<String, String>,
    /// Their targets, to place under `components/schemas`.
    hoisted: Vec<(String, Value)>,
}

impl Bundler {
    fn inline(&mut self, v: &mut Value, file: &Path) {
        match v {
            Value::Object(map) => {
                if let Some(r) = map.get("$ref").and_then(Value::as_str) {
                    if !r.starts_with('#') {
                        if let Some(target) = self.resolve(r, file) {
                            *v = target;
                        }
                        return;
                    }
                }
                for child in map.values_mut() {
                    self.inline(child, file);
                }
            }
            Value::Array(items) => {
                for child in items {
                    self.inline(child, file);
                }
            }
            _ => {}
        }
    }

    /// The target of `reference` (written in `file`), its own references followed.
    fn resolve(&mut self, reference: &str, file: &Path) -> Option<Value> {
        let (path, fragment) = reference.split_once('#').unwrap_or((reference, ""));
        if self.stack.len() >= MAX_DEPTH || path.is_empty() || path.contains("://") {
            return None;
        }
        let target_file = normalize(&file.parent().unwrap_or(Path::new("")).join(path));
        let name = target_file.display().to_string();
        let key = format!("{name}#{fragment}");
        let done = self
            .cyclic
            .get(&key)
            .filter(|n| self.hoisted.iter().any(|(h, _)| h == *n));
        if self.stack.contains(&key) || done.is_some() {
            let name = match self.cyclic.get(&key) {
                Some(name) => name.clone(),
                None => {
                    let name = self.component_name(&target_file, fragment);
                    self.cyclic.insert(key, name.clone());
                    name
                }
            };
            let pointer = format!("#/components/schemas/{}", super::canonical::escape(&name));
            return Some(serde_json::json!({ "$ref": pointer }));
        }
        let whole = self
            .files
            .entry(target_file.clone())
            .or_insert_with(|| {
                let text = std::fs::read_to_string(&target_file).ok()?;
                crate::load_document(&name, &text).ok()
            })
            .as_ref()?;
        let mut target = if fragment.is_empty() {
            whole.clone()
        } else {
            whole.pointer(fragment)?.clone()
        };
        // A reference inside the target that stays in its file (`#/...`) now names that
        // file, relative to itself (it is followed from there).
        let own = target_file
            .file_name()
            .map(|f| f.to_string_lossy().into_owned());
        localize(&mut target, own.as_deref().unwrap_or(&name));
        self.stack.push(key.clone());
        self.inline(&mut target, &target_file);
        self.stack.pop();
        // A recursive schema lives once, in components, and every use refers to it.
        if let Some(name) = self.cyclic.get(&key) {
            let pointer = format!("#/components/schemas/{}", super::canonical::escape(name));
            if !self.hoisted.iter().any(|(n, _)| n == name) {
                self.hoisted.push((name.clone(), target));
            }
            return Some(serde_json::json!({ "$ref": pointer }));
        }
        Some(target)
    }

    /// A schema name for `fragment` of `file` not in use: `pet.Pet`, `pet.Pet.2`, ...
    fn component_name(&mut self, file: &Path, fragment: &str) -> String {
        let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or("file");
        let last = fragment.rsplit('/').find(|s| !s.is_empty());
        let base: String = match last {
            Some(last) => format!("{stem}.{last}"),
            None => stem.to_string(),
        }
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
        let mut name = base.clone();
        let mut n = 1;
        while self.taken.contains(&name) {
            n += 1;
            name = format!("{base}.{n}");
        }
        self.taken.insert(name.clone());
        name
    }
}

/// `a/./b/../c.yaml` → `a/c.yaml`, without touching the file system: one file reached by
/// two ways of writing its path is read once and its cycles are seen as cycles.
fn normalize(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir
                if matches!(out.components().next_back(), Some(Component::Normal(_))) =>
            {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// Makes `#/...` references in `v` point into `file`.
fn localize(v: &mut Value, file: &str) {
    match v {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get_mut("$ref") {
                if r.starts_with('#') {
                    *r = format!("{file}{r}");
                }
            }
            for child in map.values_mut() {
                localize(child, file);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|c| localize(c, file)),
        _ => {}
    }
}

/// The references to other documents left in `doc`, each with the first place it is
/// written.
pub fn external_refs(doc: &Value) -> Vec<(String, String)> {
    fn walk(v: &Value, at: &mut String, out: &mut Vec<(String, String)>) {
        match v {
            Value::Object(map) => {
                if let Some(r) = map.get("$ref").and_then(Value::as_str) {
                    if !r.starts_with('#') && !out.iter().any(|(seen, _)| seen == r) {
                        out.push((r.to_string(), at.clone()));
                    }
                }
                for (k, child) in map {
                    let len = at.len();
                    at.push('/');
                    at.push_str(&super::canonical::escape(k));
                    walk(child, at, out);
                    at.truncate(len);
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    let len = at.len();
                    at.push_str(&format!("/{i}"));
                    walk(child, at, out);
                    at.truncate(len);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(doc, &mut String::new(), &mut out);
    out
}
