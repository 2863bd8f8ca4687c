//! Client generation with progenitor, for `build.rs`.
//!
//! On top of progenitor this module does three things, each for a reason:
//!
//! * **Every number is a decimal.** typify's type conversion matches a schema exactly, so
//!   `{type: number}`, `{type: number, format: float}` and `{type: number, minimum: 0}` are
//!   different schemas and any one forgotten stays a float. [`decimalize`] first rewrites
//!   every `type: number` schema (and every `type: string, format: decimal` one) to a single
//!   canonical form that is converted to `rust_decimal::Decimal`; [`find_floats`] then fails
//!   the build if an `f32` or `f64` is left anywhere in the generated code.
//! * **Every digit is kept.** serde_json hands numbers to a `Deserialize` impl as `f64`
//!   unless its global `arbitrary_precision` feature is on. Each `Decimal` field is given a
//!   `deserialize_with` function (see `purchase_clients::decimal`) that reads the number's
//!   text instead, with no global side effect.
//! * **Response enums are open** ([`open_enums`]): every string enum a response can reach
//!   keeps values the spec does not list instead of failing the whole response, and the build
//!   fails if one is left closed.
//! * **Response structs can grow.** Every generated struct with named fields is
//!   `#[non_exhaustive]`: a field an API adds is a minor release of this crate, not a breaking
//!   one. Callers build values with the generated builders (`Type::builder()`).

pub mod extras;
pub mod open_enums;
mod surface;

pub use surface::{success_types, surface};

use crate::{Error, Step};
use progenitor::{GenerationSettings, Generator, InterfaceStyle, TagStyle, TypeImpl};
use quote::ToTokens;
use schemars08::schema::{InstanceType, Metadata, SchemaObject, SingleOrVec};
use serde_json::{json, Value};
use syn::visit::Visit;
use syn::visit_mut::VisitMut;

/// The `format` that marks a schema as an exact decimal amount.
pub const DECIMAL_FORMAT: &str = "decimal";

/// Keywords dropped from a number schema when it becomes a decimal string: they describe a
/// float's value space, which `Decimal` parsing replaces.
const NUMBER_KEYWORDS: &[&str] = &[
    "format",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "pattern",
];

/// Members of a schema that hold data rather than subschemas.
const DATA_KEYWORDS: &[&str] = &["example", "examples", "enum", "default", "const"];

/// How to generate one client.
#[derive(Debug, Clone)]
pub struct GenerateOptions {
    /// Path of the function that deserializes a `Decimal` field exactly.
    pub decimal_fn: String,
    /// Path of the function that deserializes an `Option<Decimal>` field exactly.
    pub decimal_option_fn: String,
    /// Path of the function that deserializes a `Vec<Decimal>` field exactly.
    pub decimal_vec_fn: String,
    /// The type of the generated `Client`'s `inner` field. When set, the crate must
    /// implement `ClientHooks<Inner>` for `Client` (auth, retries, tracing live there).
    pub inner_type: Option<String>,
    /// Paths of the functions that deserialize a `DateTime<Utc>` and an
    /// `Option<DateTime<Utc>>` field; when set, every such field uses them (a parser faster
    /// than chrono's general one). `None` keeps chrono's own `Deserialize`.
    pub datetime_fns: Option<(String, String)>,
    /// Types whose `Deserialize` the crate writes by hand (the derive is dropped; `Serialize`
    /// and the serde attributes stay). For untagged enums that serde would otherwise decode
    /// by buffering the whole body.
    pub hand_written_deserialize: Vec<String>,
    /// Paths of the lossless JSON value and JSON object types that replace
    /// `serde_json::Value` and `serde_json::Map<String, Value>` (free-form schemas), so a
    /// number inside one keeps its digits; `None` keeps `serde_json`'s.
    pub json_types: Option<(String, String)>,
}

impl Default for GenerateOptions {
    fn default() -> Self {
        GenerateOptions {
            decimal_fn: "crate::decimal::exact".into(),
            decimal_option_fn: "crate::decimal::exact_option".into(),
            decimal_vec_fn: "crate::decimal::exact_vec".into(),
            inner_type: None,
            datetime_fns: None,
            hand_written_deserialize: Vec::new(),
            json_types: Some((
                "crate::lossless::Json".into(),
                "crate::lossless::JsonObject".into(),
            )),
        }
    }
}

/// Runs the whole pipeline ([`crate::normalize`]) and generates the client's Rust source.
pub fn generate_client(
    name: &str,
    spec_text: &str,
    overlay_text: Option<&str>,
    options: &GenerateOptions,
) -> Result<String, Error> {
    let doc = crate::normalize(name, spec_text, overlay_text)?;
    generate_from_value(name, doc, options)
}

/// Generates the client's Rust source from an already normalized (OpenAPI 3.0) document.
pub fn generate_from_value(
    name: &str,
    mut doc: Value,
    options: &GenerateOptions,
) -> Result<String, Error> {
    let fail = |cause: String| Error::new(name, Step::Generate, cause);
    decimalize(&mut doc);
    let doc_value = doc.clone();
    let spec: openapiv3::OpenAPI = serde_json::from_value(doc)
        .map_err(|e| fail(format!("not a valid OpenAPI 3.0 document: {e}")))?;

    let mut settings = GenerationSettings::default();
    settings
        .with_interface(InterfaceStyle::Builder)
        .with_tag(TagStyle::Merged)
        .with_derive("PartialEq")
        .with_conversion(
            decimal_schema(),
            "::rust_decimal::Decimal",
            [TypeImpl::Display, TypeImpl::FromStr].into_iter(),
        )
        .with_conversion(
            string_schema(),
            "::compact_str::CompactString",
            [
                TypeImpl::Display,
                TypeImpl::FromStr,
                TypeImpl::FromStringIrrefutable,
                TypeImpl::Default,
            ]
            .into_iter(),
        );
    if let Some(inner) = &options.inner_type {
        let inner: proc_macro2::TokenStream = inner
            .parse()
            .map_err(|e| fail(format!("inner_type is not a type: {e}")))?;
        settings
            .with_inner_type(inner)
            .with_hooks(progenitor::HooksMode::Expected);
    }
    let mut generator = Generator::new(&settings);
    // progenitor panics on some shapes it does not support; turn that into an error that
    // names the spec instead of a build-script backtrace.
    let tokens = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        generator.generate_tokens(&spec)
    }))
    .map_err(|panic| {
        let msg = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "unknown panic".into());
        fail(format!("progenitor panicked: {msg}"))
    })?
    .map_err(|e| fail(format!("progenitor: {e}")))?;

    let mut file: syn::File =
        syn::parse2(tokens).map_err(|e| fail(format!("generated code does not parse: {e}")))?;
    file.items.push(operations_table(&spec));
    exact_decimal_fields(&mut file, options).map_err(fail)?;
    if let Some((plain, option)) = &options.datetime_fns {
        datetime_fields(&mut file, plain, option);
    }
    drop_derived_deserialize(&mut file, &options.hand_written_deserialize).map_err(fail)?;
    if let Some((value, object)) = &options.json_types {
        lossless_json(&mut file, value, object).map_err(fail)?;
    }
    open_enums::open_response_enums(&mut file).map_err(fail)?;
    open_enums::check_open_enums(&file).map_err(fail)?;
    non_exhaustive_structs(&mut file);
    file.items
        .push(extras::params_module(&file, &doc_value).map_err(fail)?);
    file.items.push(extras::sample_decoders(&file, &doc_value));
    let floats = find_floats(&file);
    if !floats.is_empty() {
        return Err(fail(format!(
            "floating-point types left in generated code (amounts must be Decimal): {}",
            floats.join(", ")
        )));
    }
    Ok(prettyplease::unparse(&file))
}

/// `pub const OPERATIONS: &[(&str, &str, &str)]`: every operation's id, HTTP method and
/// path template, so the client can check at run time that path parameters did not change
/// the path (an id of `..` would otherwise be normalized away by the URL parser).
pub fn operations_table(spec: &openapiv3::OpenAPI) -> syn::Item {
    let mut rows = Vec::new();
    for (path, item) in &spec.paths.paths {
        let Some(item) = item.as_item() else { continue };
        for (method, op) in item.iter() {
            if let Some(id) = &op.operation_id {
                let method = method.to_uppercase();
                rows.push(quote::quote! { (#id, #method, #path) });
            }
        }
    }
    syn::parse_quote! {
        /// Every operation's id, HTTP method and path template, as the spec gives them.
        pub const OPERATIONS: &[(&str, &str, &str)] = &[#(#rows),*];
    }
}

/// The schema converted to `compact_str::CompactString`: a string with no format, no
/// constraint and no enum (those keep typify's own types). Most strings a server sends
/// (ids, codes, names, statuses) fit its 24 inline bytes, so decoding them allocates
/// nothing.
pub fn string_schema() -> SchemaObject {
    SchemaObject {
        instance_type: Some(SingleOrVec::Single(Box::new(InstanceType::String))),
        ..Default::default()
    }
}

/// The one schema converted to `rust_decimal::Decimal`.
pub fn decimal_schema() -> SchemaObject {
    SchemaObject {
        instance_type: Some(SingleOrVec::Single(Box::new(InstanceType::String))),
        format: Some(DECIMAL_FORMAT.into()),
        metadata: None::<Box<Metadata>>,
        ..Default::default()
    }
}

/// Rewrites every number schema (`type: number`, any format or bounds) and every
/// `type: string, format: decimal` schema to `{type: string, format: decimal}`, keeping its
/// annotations and `nullable`.
pub fn decimalize(v: &mut Value) {
    match v {
        Value::Object(obj) => {
            let is_number = obj.get("type").and_then(Value::as_str) == Some("number");
            let is_decimal_string = obj.get("type").and_then(Value::as_str) == Some("string")
                && obj.get("format").and_then(Value::as_str) == Some(DECIMAL_FORMAT);
            if is_number || is_decimal_string {
                for k in NUMBER_KEYWORDS {
                    obj.remove(*k);
                }
                obj.insert("type".into(), json!("string"));
                obj.insert("format".into(), json!(DECIMAL_FORMAT));
            }
            for (k, child) in obj.iter_mut() {
                if !DATA_KEYWORDS.contains(&k.as_str()) {
                    decimalize(child);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(decimalize),
        _ => {}
    }
}

#[derive(Clone, Copy, PartialEq)]
enum DecimalShape {
    Plain,
    Option,
    Vec,
}

fn last_segment(ty: &syn::Type) -> Option<&syn::PathSegment> {
    match ty {
        syn::Type::Path(p) if p.qself.is_none() => p.path.segments.last(),
        _ => None,
    }
}

fn is_decimal(ty: &syn::Type) -> bool {
    last_segment(ty).is_some_and(|s| s.ident == "Decimal" && s.arguments.is_none())
}

fn single_generic(seg: &syn::PathSegment) -> Option<&syn::Type> {
    match &seg.arguments {
        syn::PathArguments::AngleBracketed(a) if a.args.len() == 1 => match a.args.first() {
            Some(syn::GenericArgument::Type(t)) => Some(t),
            _ => None,
        },
        _ => None,
    }
}

/// Whether `Decimal` appears anywhere in the type (as a path segment).
fn contains_decimal(ty: &syn::Type) -> bool {
    struct Find(bool);
    impl<'ast> Visit<'ast> for Find {
        fn visit_path_segment(&mut self, s: &'ast syn::PathSegment) {
            self.0 |= s.ident == "Decimal";
            syn::visit::visit_path_segment(self, s);
        }
    }
    let mut find = Find(false);
    find.visit_type(ty);
    find.0
}

fn decimal_shape(ty: &syn::Type) -> Result<Option<DecimalShape>, String> {
    if is_decimal(ty) {
        return Ok(Some(DecimalShape::Plain));
    }
    if let Some(seg) = last_segment(ty) {
        if let Some(inner) = single_generic(seg) {
            if is_decimal(inner) {
                if seg.ident == "Option" {
                    return Ok(Some(DecimalShape::Option));
                }
                if seg.ident == "Vec" {
                    return Ok(Some(DecimalShape::Vec));
                }
            }
        }
    }
    if contains_decimal(ty) {
        return Err(format!(
            "no exact deserializer for a field of type `{}`: add one to the decimal module",
            ty.to_token_stream()
        ));
    }
    Ok(None)
}

/// Whether the item derives a trait named `name` (`Deserialize`, `::serde::Deserialize`).
pub(crate) fn derives(attrs: &[syn::Attribute], name: &str) -> bool {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("derive"))
        .any(|a| {
            a.parse_args_with(
                syn::punctuated::Punctuated::<syn::Path, syn::Token![,]>::parse_terminated,
            )
            .is_ok_and(|paths| {
                paths
                    .iter()
                    .any(|p| p.segments.last().is_some_and(|s| s.ident == name))
            })
        })
}

/// Whether the item derives serde's `Deserialize`.
fn derives_deserialize(attrs: &[syn::Attribute]) -> bool {
    derives(attrs, "Deserialize")
}

/// Whether a field's `#[serde(...)]` attributes include `default`.
fn has_serde_default(attrs: &[syn::Attribute]) -> bool {
    let mut found = false;
    for attr in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        let _ = attr.parse_nested_meta(|meta| {
            found |= meta.path.is_ident("default");
            // Skip the value of `key = value` items.
            if meta.input.peek(syn::Token![=]) {
                let _: syn::Expr = meta.value()?.parse()?;
            }
            Ok(())
        });
    }
    found
}

/// Calls `f` on every field of every type that derives `Deserialize`.
fn for_each_deserialized_field(file: &mut syn::File, f: impl FnMut(&mut syn::Field)) {
    struct Walk<F> {
        f: F,
        in_serde_type: bool,
    }
    impl<F: FnMut(&mut syn::Field)> VisitMut for Walk<F> {
        fn visit_item_struct_mut(&mut self, s: &mut syn::ItemStruct) {
            let outer = self.in_serde_type;
            self.in_serde_type = derives_deserialize(&s.attrs);
            syn::visit_mut::visit_item_struct_mut(self, s);
            self.in_serde_type = outer;
        }
        fn visit_item_enum_mut(&mut self, e: &mut syn::ItemEnum) {
            let outer = self.in_serde_type;
            self.in_serde_type = derives_deserialize(&e.attrs);
            syn::visit_mut::visit_item_enum_mut(self, e);
            self.in_serde_type = outer;
        }
        fn visit_field_mut(&mut self, field: &mut syn::Field) {
            if self.in_serde_type {
                (self.f)(field);
            }
        }
    }
    Walk {
        f,
        in_serde_type: false,
    }
    .visit_file_mut(file);
}

/// Gives `field` a `deserialize_with = function`, and `#[serde(default)]` when `optional`:
/// serde reads a missing `Option` field as `None` only without `deserialize_with`.
fn deserialize_field_with(field: &mut syn::Field, function: &str, optional: bool) {
    field
        .attrs
        .push(syn::parse_quote!(#[serde(deserialize_with = #function)]));
    if optional && !has_serde_default(&field.attrs) {
        field.attrs.push(syn::parse_quote!(#[serde(default)]));
    }
}

/// Adds `#[serde(deserialize_with = ..)]` to every `Decimal`, `Option<Decimal>` and
/// `Vec<Decimal>` field of every serde type; any other type holding a `Decimal` is an error.
pub fn exact_decimal_fields(file: &mut syn::File, options: &GenerateOptions) -> Result<(), String> {
    let mut error = None;
    for_each_deserialized_field(file, |field| {
        if error.is_some() {
            return;
        }
        let shape = match decimal_shape(&field.ty) {
            Ok(None) => return,
            Ok(Some(shape)) => shape,
            Err(e) => {
                error = Some(e);
                return;
            }
        };
        let function = match shape {
            DecimalShape::Plain => &options.decimal_fn,
            DecimalShape::Option => &options.decimal_option_fn,
            DecimalShape::Vec => &options.decimal_vec_fn,
        };
        deserialize_field_with(field, function, shape == DecimalShape::Option);
    });
    match error {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

fn is_utc_datetime(ty: &syn::Type) -> bool {
    last_segment(ty).is_some_and(|s| {
        s.ident == "DateTime"
            && single_generic(s)
                .and_then(last_segment)
                .is_some_and(|tz| tz.ident == "Utc")
    })
}

/// Adds `#[serde(deserialize_with = ..)]` to every `DateTime<Utc>` and
/// `Option<DateTime<Utc>>` field of every serde type (with `#[serde(default)]` on the
/// optional ones, so an absent field stays `None`).
pub fn datetime_fields(file: &mut syn::File, plain: &str, option: &str) {
    for_each_deserialized_field(file, |field| {
        let optional = match last_segment(&field.ty) {
            _ if is_utc_datetime(&field.ty) => false,
            Some(seg)
                if seg.ident == "Option" && single_generic(seg).is_some_and(is_utc_datetime) =>
            {
                true
            }
            _ => return,
        };
        deserialize_field_with(field, if optional { option } else { plain }, optional);
    });
}

/// Replaces `serde_json::Value` with `value` and `serde_json::Map<String, Value>` with
/// `object` in every type and attribute (typify writes free-form schemas as those, whose
/// numbers go through `f64`).
pub fn lossless_json(file: &mut syn::File, value: &str, object: &str) -> Result<(), String> {
    use syn::visit_mut::VisitMut;
    struct Replace {
        value: syn::Type,
        object: syn::Type,
        object_path: String,
    }
    fn compact(tokens: impl quote::ToTokens) -> String {
        tokens.to_token_stream().to_string().replace(' ', "")
    }
    impl VisitMut for Replace {
        fn visit_type_mut(&mut self, ty: &mut syn::Type) {
            match compact(&*ty).as_str() {
                "::serde_json::Value" | "serde_json::Value" => *ty = self.value.clone(),
                "::serde_json::Map<::std::string::String,::serde_json::Value>" => {
                    *ty = self.object.clone()
                }
                _ => syn::visit_mut::visit_type_mut(self, ty),
            }
        }
        fn visit_attribute_mut(&mut self, attr: &mut syn::Attribute) {
            let text = attr.meta.to_token_stream().to_string();
            if text.contains("::serde_json::Map::is_empty") {
                let replaced = text.replace(
                    "::serde_json::Map::is_empty",
                    &format!("{}::is_empty", self.object_path),
                );
                if let Ok(meta) = syn::parse_str::<syn::Meta>(&replaced) {
                    attr.meta = meta;
                }
            }
        }
        fn visit_expr_mut(&mut self, e: &mut syn::Expr) {
            // `serde_json::Map::new()` as a default becomes the object type's default.
            if compact(&*e) == "::serde_json::Map::new()" {
                *e = syn::parse_quote!(::std::default::Default::default());
                return;
            }
            syn::visit_mut::visit_expr_mut(self, e);
        }
    }
    use quote::ToTokens;
    let parse = |p: &str| syn::parse_str::<syn::Type>(p).map_err(|e| format!("{p}: {e}"));
    let mut replace = Replace {
        value: parse(value)?,
        object: parse(object)?,
        object_path: object.to_string(),
    };
    replace.visit_file_mut(file);
    Ok(())
}

/// Drops `Deserialize` from the derives of the types named in `names` (in any module);
/// a name that matches no type is an error.
pub fn drop_derived_deserialize(file: &mut syn::File, names: &[String]) -> Result<(), String> {
    struct Drop<'a> {
        names: &'a [String],
        found: Vec<String>,
    }
    impl Drop<'_> {
        fn strip(&mut self, ident: &syn::Ident, attrs: &mut [syn::Attribute]) {
            if !self.names.iter().any(|n| ident == n) {
                return;
            }
            for attr in attrs.iter_mut().filter(|a| a.path().is_ident("derive")) {
                let Ok(paths) = attr.parse_args_with(
                    syn::punctuated::Punctuated::<syn::Path, syn::Token![,]>::parse_terminated,
                ) else {
                    continue;
                };
                let kept: Vec<&syn::Path> = paths
                    .iter()
                    .filter(|p| p.segments.last().is_none_or(|s| s.ident != "Deserialize"))
                    .collect();
                if kept.len() < paths.len() {
                    *attr = syn::parse_quote!(#[derive(#(#kept),*)]);
                    self.found.push(ident.to_string());
                }
            }
        }
    }
    impl VisitMut for Drop<'_> {
        fn visit_item_struct_mut(&mut self, s: &mut syn::ItemStruct) {
            self.strip(&s.ident, &mut s.attrs);
        }
        fn visit_item_enum_mut(&mut self, e: &mut syn::ItemEnum) {
            self.strip(&e.ident, &mut e.attrs);
        }
    }
    let mut visitor = Drop {
        names,
        found: Vec::new(),
    };
    visitor.visit_file_mut(file);
    let missing: Vec<&String> = names
        .iter()
        .filter(|n| !visitor.found.contains(n))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "no generated type derives Deserialize under the name(s) {missing:?} listed for a hand-written Deserialize"
        ))
    }
}

/// Marks every struct with named fields in the `types` module `#[non_exhaustive]`, so that
/// a field added upstream is not a breaking change for code outside the crate (which builds
/// values through the generated builders instead of struct literals).
pub fn non_exhaustive_structs(file: &mut syn::File) {
    for item in &mut file.items {
        let syn::Item::Mod(m) = item else { continue };
        if m.ident != "types" {
            continue;
        }
        for item in m.content.iter_mut().flat_map(|(_, items)| items.iter_mut()) {
            if let syn::Item::Struct(s) = item {
                let named = matches!(s.fields, syn::Fields::Named(_));
                let public = matches!(s.vis, syn::Visibility::Public(_));
                if named && public && !s.attrs.iter().any(|a| a.path().is_ident("non_exhaustive")) {
                    s.attrs.push(syn::parse_quote!(#[non_exhaustive]));
                }
            }
        }
    }
}

/// Names the items of the generated code that mention `f32` or `f64`.
pub fn find_floats(file: &syn::File) -> Vec<String> {
    struct Floats {
        context: Vec<String>,
        found: Vec<String>,
    }
    impl<'ast> Visit<'ast> for Floats {
        fn visit_item_struct(&mut self, s: &'ast syn::ItemStruct) {
            self.context.push(s.ident.to_string());
            syn::visit::visit_item_struct(self, s);
            self.context.pop();
        }
        fn visit_item_enum(&mut self, e: &'ast syn::ItemEnum) {
            self.context.push(e.ident.to_string());
            syn::visit::visit_item_enum(self, e);
            self.context.pop();
        }
        fn visit_field(&mut self, f: &'ast syn::Field) {
            if let Some(ident) = &f.ident {
                self.context.push(ident.to_string());
                syn::visit::visit_field(self, f);
                self.context.pop();
            } else {
                syn::visit::visit_field(self, f);
            }
        }
        fn visit_ident(&mut self, i: &'ast proc_macro2::Ident) {
            if i == "f32" || i == "f64" {
                let at = if self.context.is_empty() {
                    "<top level>".to_string()
                } else {
                    self.context.join(".")
                };
                self.found.push(format!("{at} ({i})"));
            }
        }
    }
    let mut v = Floats {
        context: Vec::new(),
        found: Vec::new(),
    };
    v.visit_file(file);
    v.found.dedup();
    v.found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_number_form_becomes_the_decimal_schema() {
        let mut v = json!({"properties": {
            "a": {"type": "number"},
            "b": {"type": "number", "format": "float", "description": "kept"},
            "c": {"type": "number", "format": "double", "minimum": 0, "nullable": true},
            "d": {"type": "string", "format": "decimal", "pattern": "^[0-9.]+$"},
            "e": {"type": "integer"},
            "f": {"type": "string", "example": {"type": "number"}}
        }});
        decimalize(&mut v);
        let p = &v["properties"];
        assert_eq!(p["a"], json!({"type": "string", "format": "decimal"}));
        assert_eq!(
            p["b"],
            json!({"type": "string", "format": "decimal", "description": "kept"})
        );
        assert_eq!(
            p["c"],
            json!({"type": "string", "format": "decimal", "nullable": true})
        );
        assert_eq!(p["d"], json!({"type": "string", "format": "decimal"}));
        assert_eq!(p["e"], json!({"type": "integer"}));
        assert_eq!(
            p["f"]["example"],
            json!({"type": "number"}),
            "examples are data, not schemas"
        );
    }

    fn fields(src: &str) -> syn::File {
        syn::parse_str(src).unwrap()
    }

    #[test]
    fn utc_datetime_fields_get_the_given_deserializer() {
        let mut file = fields(
            "#[derive(Deserialize)] pub struct P { pub a: ::chrono::DateTime<::chrono::offset::Utc>, pub b: Option<::chrono::DateTime<::chrono::offset::Utc>>, pub c: ::chrono::DateTime<::chrono::FixedOffset>, pub d: String } #[derive(Serialize)] pub struct Q { pub a: ::chrono::DateTime<::chrono::offset::Utc> }",
        );
        datetime_fields(&mut file, "crate::t::plain", "crate::t::option");
        let out = file.to_token_stream().to_string();
        assert!(
            out.contains("deserialize_with = \"crate::t::plain\""),
            "{out}"
        );
        assert!(
            out.contains("deserialize_with = \"crate::t::option\""),
            "{out}"
        );
        assert_eq!(
            out.matches("deserialize_with").count(),
            2,
            "only P.a and P.b: {out}"
        );
        assert_eq!(out.matches("serde (default)").count(), 1, "{out}");
    }

    #[test]
    fn a_hand_written_deserialize_drops_only_that_derive() {
        let mut file = fields(
            "mod types { #[derive(::serde::Deserialize, ::serde::Serialize, Clone)] #[serde(untagged)] pub enum R { A(X), B(Y) } #[derive(::serde::Deserialize)] pub struct X {} }",
        );
        drop_derived_deserialize(&mut file, &["R".to_string()]).unwrap();
        let out = file.to_token_stream().to_string();
        assert!(
            out.contains("derive (:: serde :: Serialize , Clone)] # [serde (untagged)] pub enum R"),
            "{out}"
        );
        assert!(
            out.contains("derive (:: serde :: Deserialize)] pub struct X"),
            "{out}"
        );
        let err = drop_derived_deserialize(&mut file, &["Missing".to_string()]).unwrap_err();
        assert!(err.contains("Missing"), "{err}");
    }

    #[test]
    fn decimal_fields_get_an_exact_deserializer() {
        let mut file = fields(
            "#[derive(Deserialize)] pub struct P { pub a: ::rust_decimal::Decimal, pub b: Option<::rust_decimal::Decimal>, pub c: Vec<::rust_decimal::Decimal>, pub d: String }",
        );
        exact_decimal_fields(&mut file, &GenerateOptions::default()).unwrap();
        let out = file.to_token_stream().to_string();
        assert!(
            out.contains("deserialize_with = \"crate::decimal::exact\""),
            "{out}"
        );
        assert!(
            out.contains("deserialize_with = \"crate::decimal::exact_option\""),
            "{out}"
        );
        assert!(
            out.contains("deserialize_with = \"crate::decimal::exact_vec\""),
            "{out}"
        );
        assert_eq!(out.matches("deserialize_with").count(), 3, "{out}");
        assert_eq!(
            out.matches("serde (default)").count(),
            1,
            "optional amounts may be absent: {out}"
        );
    }

    #[test]
    fn an_unsupported_decimal_container_is_an_error() {
        let mut file = fields(
            "#[derive(Deserialize)] pub struct P { pub a: Option<Vec<::rust_decimal::Decimal>> }",
        );
        let err = exact_decimal_fields(&mut file, &GenerateOptions::default()).unwrap_err();
        assert!(err.contains("Option < Vec"), "{err}");
    }

    #[test]
    fn floats_are_found_with_their_location() {
        let file = fields("pub struct Purchase { pub total: f64, pub items: Vec<Option<f32>> }");
        assert_eq!(
            find_floats(&file),
            vec![
                "Purchase.total (f64)".to_string(),
                "Purchase.items (f32)".to_string()
            ]
        );
        assert!(find_floats(&fields("pub struct P { pub total: Decimal }")).is_empty());
    }

    /// A spec of one operation, `GET /p`, whose 200 body is an object with `body` (its
    /// `required` and `properties`, indented as they sit under the schema).
    fn one_operation(body: &str) -> String {
        format!(
            r#"
openapi: 3.0.3
info: {{title: T, version: '1'}}
paths:
  /p:
    get:
      operationId: list_p
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema:
                type: object
{body}"#
        )
    }

    fn kit_like() -> String {
        one_operation(
            "                required: [total]
                properties:
                  total: {type: number, format: float}
                  tax: {type: number, nullable: true}
                  rates: {type: array, items: {type: number, minimum: 0}}
",
        )
    }

    #[test]
    fn a_spec_with_floats_generates_decimals_only() {
        let code = generate_client("t", &kit_like(), None, &GenerateOptions::default()).unwrap();
        assert!(
            code.contains("pub total: ::rust_decimal::Decimal"),
            "{code}"
        );
        assert!(
            code.contains("pub tax: ::std::option::Option<::rust_decimal::Decimal>"),
            "{code}"
        );
        assert!(
            code.contains("pub rates: ::std::vec::Vec<::rust_decimal::Decimal>"),
            "{code}"
        );
        assert!(!code.contains("f64") && !code.contains("f32"));
        assert!(
            code.contains(
                r#"pub const OPERATIONS: &[(&str, &str, &str)] = &[("list_p", "GET", "/p")];"#
            ),
            "{code}"
        );
    }

    fn strings() -> String {
        one_operation(
            "                required: [id, tags]
                properties:
                  id: {type: string, description: an id}
                  note: {type: string, nullable: true}
                  tags: {type: array, items: {type: string}}
                  code: {type: string, maxLength: 3}
                  at: {type: string, format: date-time}
                  state: {type: string, enum: [open, shut]}
",
        )
    }

    #[test]
    fn plain_strings_are_compact_and_others_keep_their_types() {
        let code = generate_client("t", &strings(), None, &GenerateOptions::default()).unwrap();
        for field in [
            "pub id: ::compact_str::CompactString",
            "pub note: ::std::option::Option<::compact_str::CompactString>",
            "pub tags: ::std::vec::Vec<::compact_str::CompactString>",
            "pub at: ::std::option::Option<::chrono::DateTime<::chrono::offset::Utc>>",
        ] {
            assert!(code.contains(field), "{field} not in {code}");
        }
        // A constrained string keeps typify's checked newtype, an enum its enum.
        assert!(
            code.contains("pub struct ListPResponseCode(::std::string::String)"),
            "{code}"
        );
        assert!(code.contains("pub enum ListPResponseState"), "{code}");
    }

    #[test]
    fn a_missing_operation_id_fails_naming_the_spec_and_step() {
        let spec = kit_like().replace("operationId: list_p", "summary: no id");
        let err =
            generate_client("kit.yaml", &spec, None, &GenerateOptions::default()).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("kit.yaml") && msg.contains("code generation"),
            "{msg}"
        );
    }
}

/// The invariants every generated client must hold, checked on the project's real specs,
/// generated exactly as the build generates them.
#[cfg(test)]
mod real_specs {
    use super::*;
    use crate::registry::Registry;
    use std::path::Path;

    fn specs() -> &'static Path {
        Path::new(concat!(env!("PURCHASE_CLIENTS_CHECKOUT"), "/specs"))
    }

    fn generated() -> Vec<(String, String)> {
        Registry::load(specs())
            .unwrap()
            .providers
            .into_iter()
            .map(|e| {
                (
                    e.module.clone(),
                    e.generate(specs()).unwrap_or_else(|e| panic!("{e}")),
                )
            })
            .collect()
    }

    #[test]
    fn generated_types_survive_real_servers() {
        for (provider, code) in generated() {
            assert!(
                !code.contains("deny_unknown_fields"),
                "{provider}: servers add fields"
            );
            let file: syn::File = syn::parse_str(&code).unwrap();
            assert!(find_floats(&file).is_empty(), "{provider}");
            // An enum with no variants can never be deserialized.
            let empty = code
                .lines()
                .filter(|l| l.trim_start().starts_with("pub enum") && l.trim_end().ends_with("{}"))
                .count();
            assert_eq!(empty, 0, "{provider} has an uninhabited type");
        }
    }

    #[test]
    fn a_default_response_of_another_type_is_an_error_not_a_panic() {
        let spec = r#"
openapi: 3.0.3
info: {title: T, version: '1'}
paths:
  /p:
    get:
      operationId: p
      responses:
        '200': {description: ok, content: {application/json: {schema: {type: object, properties: {a: {type: string}}}}}}
        default: {description: other, content: {text/plain: {schema: {type: string}}}}
"#;
        // progenitor asserts on this shape; whatever it does, the caller gets a Result.
        let result = std::panic::catch_unwind(|| {
            generate_client("p.yaml", spec, None, &GenerateOptions::default())
        });
        assert!(result.is_ok(), "generation must not panic");
        if let Err(e) = result.unwrap() {
            assert!(e.to_string().contains("p.yaml"), "{e}");
        }
    }
}
