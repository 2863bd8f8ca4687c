//! The one list of providers: `specs/providers.toml`.
//!
//! Everything that needs to know which providers exist reads this list through
//! [`Registry::load`]: `build.rs` generates each client ([`Entry::generate`]) and the
//! crate's provider registry ([`registry_code`]) from it, and the tests, the surface snapshot
//! and the `purchases` command read spec and overlay through [`Entry::read`]. Adding a provider
//! is one entry here, its spec (and overlay) under `specs/`, and its file under
//! `src/providers/`.

use serde::Deserialize;
use std::path::Path;

/// One provider.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// The module (`src/providers/<module>.rs`), the name in URLs, output and the CLI.
    pub module: String,
    /// The `Provider` variant and the variant names of the per-provider enums.
    pub variant: String,
    /// The client type the provider file defines, re-exported at the crate root.
    pub client: String,
    /// The spec, relative to `specs/`.
    pub spec: String,
    /// The overlay, relative to `specs/`, if the spec needs one.
    #[serde(default)]
    pub overlay: Option<String>,
    /// The cargo feature that compiles the provider in.
    pub feature: String,
    /// Generated types whose `Deserialize` the provider file writes by hand.
    #[serde(default)]
    pub hand_written_deserialize: Vec<String>,
}

/// Every provider, in order.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Registry {
    /// The entries.
    #[serde(rename = "provider")]
    pub providers: Vec<Entry>,
}

fn is_ident(s: &str, upper: bool) -> bool {
    let mut chars = s.chars();
    let first_ok = chars.next().is_some_and(|c| {
        if upper {
            c.is_ascii_uppercase()
        } else {
            c.is_ascii_lowercase()
        }
    });
    first_ok
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || (!upper && c == '_'))
}

impl Registry {
    /// Parses and checks the list: names are identifiers, none appears twice.
    pub fn parse(text: &str) -> Result<Registry, String> {
        let registry: Registry =
            toml::from_str(text).map_err(|e| format!("providers.toml: {e}"))?;
        let mut seen = std::collections::BTreeSet::new();
        for e in &registry.providers {
            if !is_ident(&e.module, false) {
                return Err(format!(
                    "providers.toml: module {:?} is not a lowercase identifier",
                    e.module
                ));
            }
            if !is_ident(&e.variant, true) || !is_ident(&e.client, true) {
                return Err(format!(
                    "providers.toml: {}: variant and client must be type names",
                    e.module
                ));
            }
            for name in [&e.module, &e.variant, &e.client] {
                if !seen.insert(name.clone()) {
                    return Err(format!("providers.toml: {name} appears twice"));
                }
            }
        }
        Ok(registry)
    }

    /// Reads `specs_dir/providers.toml`.
    pub fn load(specs_dir: &Path) -> Result<Registry, String> {
        let path = specs_dir.join("providers.toml");
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        Registry::parse(&text)
    }

    /// The entry for a module name.
    pub fn get(&self, module: &str) -> Option<&Entry> {
        self.providers.iter().find(|e| e.module == module)
    }
}

impl Entry {
    /// The spec text and the overlay text, read from `specs_dir`.
    pub fn read(&self, specs_dir: &Path) -> Result<(String, Option<String>), String> {
        let read = |file: &str| {
            let path = specs_dir.join(file);
            std::fs::read_to_string(&path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))
        };
        let overlay = match &self.overlay {
            Some(f) => Some(read(f)?),
            None => None,
        };
        Ok((read(&self.spec)?, overlay))
    }

    /// The normalized spec (down-converted, overlay applied).
    pub fn normalized(&self, specs_dir: &Path) -> Result<serde_json::Value, String> {
        let (spec, overlay) = self.read(specs_dir)?;
        crate::normalize(&self.spec, &spec, overlay.as_deref()).map_err(|e| e.to_string())
    }

    /// How the crate generates this provider's client.
    #[cfg(feature = "codegen")]
    pub fn generate_options(&self) -> crate::codegen::GenerateOptions {
        crate::codegen::GenerateOptions {
            inner_type: Some("crate::context::Context".into()),
            datetime_fns: Some((
                "crate::datetime::rfc3339".into(),
                "crate::datetime::rfc3339_option".into(),
            )),
            hand_written_deserialize: self.hand_written_deserialize.clone(),
            ..crate::codegen::GenerateOptions::default()
        }
    }

    /// The client's Rust source, exactly as the build generates it.
    #[cfg(feature = "codegen")]
    pub fn generate(&self, specs_dir: &Path) -> Result<String, String> {
        let (spec, overlay) = self.read(specs_dir)?;
        self.generate_with(&spec, overlay.as_deref())
    }

    /// The client's Rust source as the build would generate it from `spec` and `overlay`
    /// (a candidate, before it is written into `specs/`).
    #[cfg(feature = "codegen")]
    pub fn generate_with(&self, spec: &str, overlay: Option<&str>) -> Result<String, String> {
        crate::codegen::generate_client(&self.spec, spec, overlay, &self.generate_options())
            .map_err(|e| e.to_string())
    }

    /// The public surface of the client generated from `spec` and `overlay` (see
    /// [`crate::codegen::surface::surface`]).
    #[cfg(feature = "codegen")]
    pub fn surface_with(&self, spec: &str, overlay: Option<&str>) -> Result<String, String> {
        let source = self.generate_with(spec, overlay)?;
        let file = syn::parse_file(&source).map_err(|e| e.to_string())?;
        Ok(crate::codegen::surface(&file))
    }
}

/// An operation id and the types its success body is decoded with, tried in order.
pub type SuccessTypes = (String, Vec<String>);

/// A provider's client regenerated from `spec` and `overlay` for a test that decodes with
/// it (the `adopted` fixture): every type derives its `Deserialize` (none is left to the
/// provider file), and each operation's success type is listed by operation id.
#[cfg(feature = "codegen")]
pub fn regenerated_client(
    entry: &Entry,
    spec: &str,
    overlay: Option<&str>,
) -> Result<(String, Vec<SuccessTypes>), String> {
    let plain = Entry {
        hand_written_deserialize: Vec::new(),
        ..entry.clone()
    };
    let code = plain.generate_with(spec, overlay)?;
    let file = syn::parse_file(&code).map_err(|e| e.to_string())?;
    let types = crate::codegen::success_types(&file)
        .into_iter()
        .map(|(builder, types)| (snake(&builder), types))
        .collect();
    Ok((code, types))
}

/// `ListPurchases` as `list_purchases`.
#[cfg(feature = "codegen")]
fn snake(pascal: &str) -> String {
    let mut out = String::new();
    for (i, c) in pascal.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// The `adopted` fixture module: one module per regenerated client (from
/// `adopted_<module>.rs` in `out_dir`) and `decode`, which decodes an operation's success
/// body with the regenerated type and writes it back as JSON.
pub fn adopted_code(modules: &[(&Entry, Vec<SuccessTypes>)]) -> String {
    let mut out =
        String::from("// Generated by build.rs from the pinned proposed overlays. Do not edit.\n");
    let mut arms = String::new();
    for (entry, types) in modules {
        out.push_str(&format!(
            "/// `{m}` regenerated with its proposed overlay adopted.\n#[allow(missing_docs, dead_code, unused_imports)]\npub mod {m} {{\n    include!(concat!(env!(\"OUT_DIR\"), \"/adopted_{m}.rs\"));\n    crate::transport::impl_client_hooks!();\n}}\n",
            m = entry.module
        ));
        for (operation, candidates) in types {
            let tries: Vec<String> = candidates
                .iter()
                .map(|t| format!("roundtrip::<{m}::{t}>", m = entry.module))
                .collect();
            arms.push_str(&format!(
                "        (\"{m}\", \"{operation}\") => Some(first_of(text, &[{}])),\n",
                tries.join(", "),
                m = entry.module
            ));
        }
    }
    out.push_str(&format!(
        r#"
/// Decodes `text`, the success body of `operation` of the provider named `provider`, with
/// the regenerated type and writes it back as JSON; `None` when there is no such client.
pub fn decode(provider: &str, operation: &str, text: &str) -> Option<Result<crate::lossless::Json, String>> {{
    #[allow(dead_code)]
    fn roundtrip<T: serde::de::DeserializeOwned + serde::Serialize>(text: &str) -> Result<crate::lossless::Json, String> {{
        let typed: T = serde_json::from_str(text).map_err(|e| e.to_string())?;
        crate::lossless::Json::parse(&serde_json::to_string(&typed).map_err(|e| e.to_string())?)
    }}
    type Decode = fn(&str) -> Result<crate::lossless::Json, String>;
    // The first type that decodes the text (each from the text: no buffering, no digit lost).
    #[allow(dead_code)]
    fn first_of(text: &str, tries: &[Decode]) -> Result<crate::lossless::Json, String> {{
        let mut errors = Vec::new();
        for t in tries {{
            match t(text) {{
                Ok(v) => return Ok(v),
                Err(e) => errors.push(e),
            }}
        }}
        Err(errors.join("; "))
    }}
    match (provider, operation) {{
{arms}        _ => {{
            let _ = text;
            None
        }}
    }}
}}
"#
    ));
    out
}

/// `providers.toml` text with `overlay = "<overlay>"` set in the entry of `module` (added
/// after its `spec` line, or replacing its `overlay` line), everything else kept.
pub fn with_overlay_line(text: &str, module: &str, overlay: &str) -> Result<String, String> {
    let line = format!("overlay = {}", toml_string(overlay));
    // The lines of each entry, by the index of the entry's first line.
    let lines: Vec<&str> = text.lines().collect();
    let starts: Vec<usize> = (0..lines.len())
        .filter(|i| lines[*i].trim() == "[[provider]]")
        .collect();
    let entry = starts.iter().enumerate().find_map(|(n, start)| {
        let end = starts.get(n + 1).copied().unwrap_or(lines.len());
        let is_it = lines[*start..end]
            .iter()
            .any(|l| l.replace(' ', "") == format!("module=\"{module}\""));
        is_it.then_some((*start, end))
    });
    let (start, end) = entry.ok_or_else(|| format!("no entry with module {module:?}"))?;
    let key = |prefix: &str| {
        (start..end).find(|i| {
            let t = lines[*i].trim();
            t.starts_with(prefix) && t[prefix.len()..].trim_start().starts_with('=')
        })
    };
    let mut out: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    match (key("overlay"), key("spec")) {
        (Some(i), _) => out[i] = line,
        (None, Some(i)) => out.insert(i + 1, line),
        (None, None) => return Err(format!("the entry of {module:?} has no spec line")),
    }
    let text = out.join("\n") + "\n";
    let check = Registry::parse(&text)?;
    match check.get(module).and_then(|e| e.overlay.as_deref()) {
        Some(o) if o == overlay => Ok(text),
        _ => Err(format!("could not set the overlay of {module:?}")),
    }
}

fn toml_string(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The crate's provider registry, as Rust source: the re-exports of the provider modules
/// (declared in `src/providers/mod.rs`), the `Provider` enum, the one dispatch macro
/// (`with_api!`), the built-in specs, and the enums that hold a value per provider
/// (`ApiErrorBody`, `Record`). It names no absolute path: files are found from
/// `CARGO_MANIFEST_DIR` and `OUT_DIR` when the crate compiles, so two checkouts sharing one
/// target directory each build their own sources.
pub fn registry_code(registry: &Registry) -> String {
    let mut out =
        String::from("// Generated by build.rs from specs/providers.toml. Do not edit.\n\n");
    out.push_str(&each(registry, &|e, cfg| {
        format!(
            "{cfg}\npub use providers::{m};\n{cfg}\npub use providers::{m}::{c};\n",
            m = e.module,
            c = e.client
        )
    }));
    let features: Vec<String> = registry
        .providers
        .iter()
        .map(|e| format!("feature = \"{}\"", e.feature))
        .collect();
    out.push_str(&format!(
        "#[cfg(not(any({})))]\ncompile_error!(\"purchase-clients needs at least one provider feature ({})\");\n",
        features.join(", "),
        registry.providers.iter().map(|e| e.feature.as_str()).collect::<Vec<_>>().join(", ")
    ));
    out.push_str(&provider_enum_code(registry));
    out.push_str(&value_enums_code(registry));
    out
}

/// One piece of code per entry, each under its feature's `cfg`.
fn each(registry: &Registry, f: &dyn Fn(&Entry, &str) -> String) -> String {
    registry
        .providers
        .iter()
        .map(|e| f(e, &format!("#[cfg(feature = \"{}\")]", e.feature)))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The `Provider` enum, the `with_api!` dispatch and the built-in specs.
fn provider_enum_code(registry: &Registry) -> String {
    format!(
        r#"
/// The APIs this crate speaks (those compiled in), from `specs/providers.toml`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, ::serde::Serialize, ::serde::Deserialize)]
#[cfg_attr(feature = "schemars", derive(::schemars::JsonSchema))]
#[non_exhaustive]
pub enum Provider {{
{variants}
}}

impl Provider {{
    /// Every provider compiled in.
    pub const ALL: &'static [Provider] = &[
{all}
    ];

    /// The lowercase name used in module names, URLs and output.
    pub fn name(self) -> &'static str {{
        match self {{
{names}
        }}
    }}
}}

/// Runs `$body` with `$api` standing for the provider's [`providers::ProviderApi`] type:
/// the one place code that treats providers alike reaches a particular one.
macro_rules! with_api {{
    ($provider:expr, $api:ident => $body:expr) => {{
        match $provider {{
{dispatch}
        }}
    }};
}}
pub(crate) use with_api;

/// The generated type a documented sample of `provider` decodes into, by the sample's name
/// (generated beside each client from its spec).
#[cfg(feature = "conform")]
pub(crate) fn sample_decoder(provider: Provider, name: &str) -> Option<crate::conform::Decode> {{
    match provider {{
{decoders}
    }}
}}

/// Each provider's spec file name, spec and overlay as checked in (read by `specs`).
#[cfg(any(feature = "conform", feature = "mock"))]
pub(crate) const BUILTIN_SPECS: &[(Provider, &str, &str, Option<&str>)] = &[
{specs}
];

"#,
        variants = each(registry, &|e, cfg| format!(
            "    /// `{m}`: see [`{m}`].\n    {cfg}\n    #[serde(rename = \"{m}\")]\n    {v},",
            m = e.module,
            v = e.variant
        )),
        all = each(registry, &|e, cfg| format!(
            "        {cfg}\n        Provider::{},",
            e.variant
        )),
        names = each(registry, &|e, cfg| format!(
            "            {cfg}\n            Provider::{} => \"{}\",",
            e.variant, e.module
        )),
        dispatch = each(registry, &|e, cfg| {
            format!(
            "            {cfg}\n            $crate::Provider::{} => {{\n                type $api = $crate::{}::Api;\n                #[allow(unused_imports)]\n                use $crate::providers::ProviderApi as _;\n                $body\n            }}",
            e.variant, e.module
        )
        }),
        decoders = each(registry, &|e, cfg| format!(
            "        {cfg}\n        Provider::{} => {}::sample_decoder(name),",
            e.variant, e.module
        )),
        specs = each(registry, &|e, cfg| {
            format!(
            "    {cfg}\n    (Provider::{v}, \"{spec}\", include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/specs/{spec}\")), {overlay}),",
            v = e.variant,
            spec = e.spec,
            overlay = match &e.overlay {
                Some(o) => format!("Some(include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/specs/{o}\")))"),
                None => "None".into(),
            }
        )
        }),
    )
}

/// `ApiErrorBody` and `Record`: a value per provider.
fn value_enums_code(registry: &Registry) -> String {
    format!(
        r#"/// The provider's own error body, typed where the spec documents one.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ApiErrorBody {{
{error_variants}
    /// A body the spec does not document: a short excerpt of it.
    Other(String),
}}

impl std::fmt::Display for ApiErrorBody {{
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {{
        match self {{
{error_display}
            ApiErrorBody::Other(s) => f.write_str(s),
        }}
    }}
}}

/// A provider's own purchase record.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Record {{
{record_variants}
}}
"#,
        error_variants = each(registry, &|e, cfg| {
            format!(
            "    /// {m}'s documented error body.\n    {cfg}\n    {v}(<{m}::Api as crate::providers::ProviderApi>::ErrorBody),",
            m = e.module,
            v = e.variant
        )
        }),
        error_display = each(registry, &|e, cfg| format!(
            "            {cfg}\n            ApiErrorBody::{}(e) => std::fmt::Display::fmt(e, f),",
            e.variant
        )),
        record_variants = each(registry, &|e, cfg| {
            format!(
            "    /// A {m} record.\n    {cfg}\n    {v}(Box<<{m}::Api as crate::providers::ProviderApi>::Record>),",
            m = e.module,
            v = e.variant
        )
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO: &str = r#"
[[provider]]
module = "kit"
variant = "Kit"
client = "KitClient"
spec = "kit.yaml"
overlay = "overlays/kit.overlay.yaml"
feature = "kit"

[[provider]]
module = "cocalc"
variant = "CoCalc"
client = "CoCalcClient"
spec = "cocalc.yaml"
feature = "cocalc"
hand_written_deserialize = ["GetPurchasesResponse"]
"#;

    #[test]
    fn entries_parse_in_order_with_their_optional_parts() {
        let r = Registry::parse(TWO).unwrap();
        assert_eq!(r.providers.len(), 2);
        assert_eq!(
            r.providers[0].overlay.as_deref(),
            Some("overlays/kit.overlay.yaml")
        );
        assert_eq!(
            r.get("cocalc").unwrap().hand_written_deserialize,
            ["GetPurchasesResponse"]
        );
        assert!(r.get("togai").is_none());
    }

    #[test]
    fn bad_names_duplicates_and_unknown_keys_are_refused() {
        let dup = TWO.replace("module = \"cocalc\"", "module = \"kit\"");
        assert!(Registry::parse(&dup).unwrap_err().contains("twice"));
        let bad = TWO.replace("module = \"kit\"", "module = \"Kit-2\"");
        assert!(Registry::parse(&bad).unwrap_err().contains("identifier"));
        let unknown = TWO.replace("feature = \"kit\"", "feature = \"kit\"\ncolour = \"red\"");
        assert!(Registry::parse(&unknown).is_err());
    }

    #[test]
    fn the_registry_code_names_every_provider_under_its_feature_and_no_absolute_path() {
        let code = registry_code(&Registry::parse(TWO).unwrap());
        assert!(
            code.contains("#[cfg(feature = \"kit\")]\npub use providers::kit;"),
            "{code}"
        );
        assert!(
            code.contains(
                "$crate::Provider::CoCalc => {\n                type $api = $crate::cocalc::Api;"
            ),
            "{code}"
        );
        assert!(
            code.contains("include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/specs/overlays/kit.overlay.yaml\"))"),
            "{code}"
        );
        assert!(
            code.contains("pub use providers::kit::KitClient;"),
            "{code}"
        );
        assert!(!code.contains("#[path"), "{code}");
        for absolute in ["include_str!(\"/", "include!(\"/", "= \"/"] {
            assert!(!code.contains(absolute), "an absolute path: {code}");
        }
        // It parses as Rust.
        #[cfg(feature = "codegen")]
        syn::parse_file(&code).unwrap();
    }

    #[test]
    fn an_overlay_line_is_set_in_its_entry_only() {
        let text = with_overlay_line(TWO, "cocalc", "overlays/cocalc.overlay.yaml").unwrap();
        let r = Registry::parse(&text).unwrap();
        assert_eq!(
            r.get("cocalc").unwrap().overlay.as_deref(),
            Some("overlays/cocalc.overlay.yaml")
        );
        assert_eq!(
            r.get("kit").unwrap().overlay.as_deref(),
            Some("overlays/kit.overlay.yaml")
        );
        let text = with_overlay_line(TWO, "kit", "overlays/other.yaml").unwrap();
        assert_eq!(text.matches("overlay =").count(), 1, "{text}");
        assert!(with_overlay_line(TWO, "togai", "x.yaml").is_err());
    }

    #[test]
    fn the_projects_registry_lists_its_specs() {
        let dir = Path::new(concat!(env!("PURCHASE_CLIENTS_CHECKOUT"), "/specs"));
        let r = Registry::load(dir).unwrap();
        for e in &r.providers {
            let (spec, overlay) = e.read(dir).unwrap();
            assert!(!spec.is_empty());
            assert_eq!(overlay.is_some(), e.overlay.is_some());
        }
    }
}
