//! What the crate generates beside progenitor's client, from the same spec and the same
//! generated code:
//!
//! * [`params_module`]: for every operation whose parameters are not a JSON body, an owned
//!   `params::<Operation>` struct holding every parameter the spec gives it (typed as the
//!   builder types it, named as the spec names it on the wire). Progenitor's builders borrow
//!   the client and are used once; a listing keeps these, changes the page and cursor, and
//!   sends each page through the builder ([`params_module`] writes `to_builder`).
//! * [`sample_decoders`]: which generated type each documented sample decodes into, by the
//!   sample's name in the conformance report (`list_purchases 200`, `list_purchases
//!   parameter limit`, `response Error`, `PurchaseSummary.total`), so that the harness needs
//!   nothing from a provider's file.

use quote::{format_ident, quote, ToTokens};
use serde_json::Value;

/// `nextToken`, `page-size`, `HTTPError` as progenitor writes field names: `next_token`,
/// `page_size`, `http_error`.
pub fn snake_case(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            if !out.ends_with('_') && !out.is_empty() {
                out.push('_');
            }
            continue;
        }
        if c.is_uppercase() && i > 0 {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            if (prev.is_lowercase() || prev.is_ascii_digit() || (prev.is_uppercase() && next_lower))
                && !out.ends_with('_')
            {
                out.push('_');
            }
        }
        out.extend(c.to_lowercase());
    }
    out.trim_end_matches('_').to_string()
}

/// `list_purchases`, `HTTPValidationError` as progenitor and typify write type names:
/// `ListPurchases`, `HttpValidationError`.
pub fn pascal_case(name: &str) -> String {
    snake_case(name)
        .split('_')
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        })
        .collect()
}

fn module<'a>(items: &'a [syn::Item], name: &str) -> Option<&'a [syn::Item]> {
    items.iter().find_map(|i| match i {
        syn::Item::Mod(m) if m.ident == name => {
            m.content.as_ref().map(|(_, items)| items.as_slice())
        }
        _ => None,
    })
}

fn find_struct<'a>(items: &'a [syn::Item], name: &str) -> Option<&'a syn::ItemStruct> {
    items.iter().find_map(|i| match i {
        syn::Item::Struct(s) if s.ident == name => Some(s),
        _ => None,
    })
}

/// The single type argument of `ty` if its last segment is `name` (`Option<T>` → `T`).
fn generic_of<'a>(ty: &'a syn::Type, name: &str) -> Option<&'a syn::Type> {
    let syn::Type::Path(p) = ty else { return None };
    let last = p.path.segments.last()?;
    if last.ident != name {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    args.args.iter().find_map(|a| match a {
        syn::GenericArgument::Type(t) => Some(t),
        _ => None,
    })
}

/// Every operation of the spec: (operation id, its parameters, whether it has a body).
fn operations(spec: &Value) -> Vec<(String, Vec<Value>, bool)> {
    let mut out = Vec::new();
    let Some(paths) = spec.get("paths").and_then(Value::as_object) else {
        return out;
    };
    for item in paths.values() {
        let shared: Vec<Value> = item
            .get("parameters")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for method in [
            "get", "put", "post", "delete", "options", "head", "patch", "trace",
        ] {
            let Some(op) = item.get(method) else { continue };
            let Some(id) = op.get("operationId").and_then(Value::as_str) else {
                continue;
            };
            let mut params = shared.clone();
            params.extend(
                op.get("parameters")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default(),
            );
            out.push((id.to_string(), params, op.get("requestBody").is_some()));
        }
    }
    out
}

/// A builder field's type: `Result<Option<T>, String>` or `Result<T, String>` → `T`.
fn parameter_type(field: &syn::Field) -> Option<syn::Type> {
    let inner = generic_of(&field.ty, "Result")?;
    Some(generic_of(inner, "Option").unwrap_or(inner).clone())
}

/// `pub mod params`: an owned, serializable parameter set per operation without a body.
pub fn params_module(file: &syn::File, spec: &Value) -> Result<syn::Item, String> {
    let builders = module(&file.items, "builder").unwrap_or(&[]);
    let mut structs = Vec::new();
    for (id, parameters, has_body) in operations(spec) {
        if has_body {
            continue;
        }
        let name = pascal_case(&id);
        let builder = find_struct(builders, &name)
            .ok_or_else(|| format!("no builder {name} for operation {id}"))?;
        let fields: Vec<&syn::Field> = match &builder.fields {
            syn::Fields::Named(n) => n.named.iter().collect(),
            _ => Vec::new(),
        };
        let mut decls = Vec::new();
        let mut setters = Vec::new();
        let mut applies = Vec::new();
        for p in &parameters {
            let Some(wire) = p.get("name").and_then(Value::as_str) else {
                continue;
            };
            let ident = snake_case(wire);
            let field = fields
                .iter()
                .find(|f| f.ident.as_ref().is_some_and(|i| *i == ident))
                .ok_or_else(|| {
                    format!("operation {id}: parameter {wire:?} has no builder field {ident}")
                })?;
            let ty = parameter_type(field)
                .ok_or_else(|| format!("operation {id}: field {ident} is not a Result"))?;
            let ident = format_ident!("{}", ident);
            let location = p.get("in").and_then(Value::as_str).unwrap_or("query");
            let required = p.get("required").and_then(Value::as_bool).unwrap_or(false);
            let doc = format!(
                "`{wire}` ({location}{}){}",
                if required { ", required" } else { "" },
                p.get("description")
                    .and_then(Value::as_str)
                    .map(|d| format!(": {}", d.trim()))
                    .unwrap_or_default()
            );
            decls.push(quote! {
                #[doc = #doc]
                #[serde(rename = #wire, default, skip_serializing_if = "Option::is_none")]
                pub #ident: Option<#ty>,
            });
            let setter_doc = format!("Sets `{wire}`.");
            setters.push(quote! {
                #[doc = #setter_doc]
                pub fn #ident(mut self, value: impl Into<#ty>) -> Self {
                    self.#ident = Some(value.into());
                    self
                }
            });
            applies.push(quote! {
                if let Some(value) = &self.#ident {
                    builder = builder.#ident(value.clone());
                }
            });
        }
        let ty = format_ident!("{}", name);
        let method = format_ident!("{}", snake_case(&id));
        let doc = format!(
            "Every parameter of `{id}`, as the spec names them on the wire. Build with \
             `Default` and the setters; [`{name}::to_builder`] gives the call."
        );
        structs.push(quote! {
            #[doc = #doc]
            #[derive(Debug, Clone, Default, PartialEq, ::serde::Serialize, ::serde::Deserialize)]
            #[non_exhaustive]
            pub struct #ty {
                #(#decls)*
            }

            impl #ty {
                #(#setters)*

                /// The generated call with these parameters set.
                #[allow(clippy::clone_on_copy)]
                pub fn to_builder<'a>(&self, client: &'a super::Client) -> super::builder::#ty<'a> {
                    #[allow(unused_mut)]
                    let mut builder = client.#method();
                    #(#applies)*
                    builder
                }
            }
        });
    }
    let tokens = quote! {
        /// Every operation's parameters as one owned value (operations whose parameters are
        /// a JSON body take that body's type instead).
        pub mod params {
            #[allow(unused_imports)]
            use super::types;
            #(#structs)*
        }
    };
    syn::parse2(tokens).map_err(|e| format!("params module: {e}"))
}

/// The success type `T` and the error type `E` of a builder's `send`
/// (`Result<ResponseValue<T>, Error<E>>`).
fn send_types(builders: &[syn::Item], name: &str) -> Option<(syn::Type, syn::Type)> {
    builders.iter().find_map(|item| {
        let syn::Item::Impl(block) = item else {
            return None;
        };
        let syn::Type::Path(p) = block.self_ty.as_ref() else {
            return None;
        };
        if p.path.segments.last()?.ident != name {
            return None;
        }
        block.items.iter().find_map(|f| {
            let syn::ImplItem::Fn(f) = f else { return None };
            if f.sig.ident != "send" {
                return None;
            }
            let syn::ReturnType::Type(_, ret) = &f.sig.output else {
                return None;
            };
            let syn::Type::Path(result) = ret.as_ref() else {
                return None;
            };
            let syn::PathArguments::AngleBracketed(args) = &result.path.segments.last()?.arguments
            else {
                return None;
            };
            let mut types = args.args.iter().filter_map(|a| match a {
                syn::GenericArgument::Type(t) => Some(t),
                _ => None,
            });
            let ok = generic_of(types.next()?, "ResponseValue")?.clone();
            let err = generic_of(types.next()?, "Error")?.clone();
            Some((ok, err))
        })
    })
}

/// Whether `v` holds an `example` or `examples` anywhere.
fn has_example(v: &Value) -> bool {
    match v {
        Value::Object(o) => o
            .iter()
            .any(|(k, c)| k == "example" || k == "examples" || has_example(c)),
        Value::Array(a) => a.iter().any(has_example),
        _ => false,
    }
}

/// A component schema's generated type, by the schema's `$ref` (or name).
fn component_type(types: &[syn::Item], reference: &str) -> Option<syn::Type> {
    let name = reference.rsplit('/').next()?;
    let ty = pascal_case(name);
    let exists = types.iter().any(|i| match i {
        syn::Item::Struct(s) => s.ident == ty,
        syn::Item::Enum(e) => e.ident == ty,
        syn::Item::Type(t) => t.ident == ty,
        _ => false,
    });
    exists.then(|| syn::parse_str(&format!("types::{ty}")).ok())?
}

/// Whether `ty` is a `Decimal` (or an `Option` of one): decoded through the harness's
/// exact `Amount`, as generated fields decode it.
fn is_amount(ty: &syn::Type) -> bool {
    let ty = generic_of(ty, "Option").unwrap_or(ty);
    matches!(ty, syn::Type::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "Decimal"))
}

/// `fn sample_decoder(name) -> Option<Decode>` (feature `conform`): the generated type of
/// every response of every operation (by status), of every request body and documented
/// parameter, of every named response, and of every component schema (and top-level
/// property) that carries an example.
pub fn sample_decoders(file: &syn::File, spec: &Value) -> syn::Item {
    let builders = module(&file.items, "builder").unwrap_or(&[]);
    let types = module(&file.items, "types").unwrap_or(&[]);
    let mut arms: Vec<(String, proc_macro2::TokenStream)> = Vec::new();
    let mut arm = |name: String, ty: &syn::Type| {
        if arms.iter().any(|(n, _)| *n == name) {
            return;
        }
        let decode = if is_amount(ty) {
            quote! { harness::roundtrip::<harness::Amount> }
        } else {
            quote! { harness::roundtrip::<#ty> }
        };
        arms.push((name, decode));
    };
    let paths = spec.get("paths").and_then(Value::as_object);
    for item in paths.into_iter().flat_map(|p| p.values()) {
        for method in [
            "get", "put", "post", "delete", "options", "head", "patch", "trace",
        ] {
            let Some(op) = item.get(method) else { continue };
            let Some(id) = op.get("operationId").and_then(Value::as_str) else {
                continue;
            };
            let name = pascal_case(id);
            let Some((ok, err)) = send_types(builders, &name) else {
                continue;
            };
            for status in op
                .get("responses")
                .and_then(Value::as_object)
                .into_iter()
                .flat_map(|r| r.keys())
            {
                let ty = if status.starts_with('2') { &ok } else { &err };
                if ty.to_token_stream().to_string() != "()" {
                    arm(format!("{id} {status}"), ty);
                }
            }
            let builder = find_struct(builders, &name);
            let fields: Vec<&syn::Field> = match builder.map(|b| &b.fields) {
                Some(syn::Fields::Named(n)) => n.named.iter().collect(),
                _ => Vec::new(),
            };
            let field = |ident: &str| {
                fields
                    .iter()
                    .find(|f| f.ident.as_ref().is_some_and(|i| i == ident))
                    .copied()
            };
            if let Some(ty) = field("body").and_then(parameter_type) {
                // `types::builder::X` → `types::X`.
                let text = ty.to_token_stream().to_string().replace(" builder ::", "");
                if let Ok(ty) = syn::parse_str::<syn::Type>(&text) {
                    arm(format!("{id} request"), &ty);
                }
            }
            let params = item
                .get("parameters")
                .and_then(Value::as_array)
                .into_iter()
                .chain(op.get("parameters").and_then(Value::as_array))
                .flatten();
            for p in params {
                let Some(wire) = p.get("name").and_then(Value::as_str) else {
                    continue;
                };
                if let Some(ty) = field(&snake_case(wire)).and_then(parameter_type) {
                    arm(format!("{id} parameter {wire}"), &ty);
                }
            }
        }
    }
    let components = spec.get("components");
    for (name, response) in components
        .and_then(|c| c.get("responses"))
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let reference = response
            .pointer("/content/application~1json/schema/$ref")
            .and_then(Value::as_str);
        if let Some(ty) = reference.and_then(|r| component_type(types, r)) {
            arm(format!("response {name}"), &ty);
        }
    }
    for (name, schema) in components
        .and_then(|c| c.get("schemas"))
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        if !has_example(schema) {
            continue;
        }
        let Some(ty) = component_type(types, name) else {
            continue;
        };
        arm(name.clone(), &ty);
        let Some(strukt) = find_struct(types, &pascal_case(name)) else {
            continue;
        };
        for (prop, sub) in schema
            .get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            if !has_example(sub) {
                continue;
            }
            let field = strukt.fields.iter().find(|f| {
                serde_rename(&f.attrs).as_deref() == Some(prop.as_str())
                    || f.ident.as_ref().is_some_and(|i| *i == snake_case(prop))
            });
            if let Some(f) = field {
                arm(format!("{name}.{prop}"), &f.ty);
            }
        }
    }
    let arms = arms
        .iter()
        .map(|(name, decode)| quote! { #name => #decode, });
    syn::parse_quote! {
        /// The generated type a documented sample (by its name in the conformance report)
        /// decodes into.
        #[cfg(feature = "conform")]
        pub(crate) fn sample_decoder(name: &str) -> Option<crate::conform::Decode> {
            use crate::conform::decode as harness;
            // Field types name the other generated types unqualified.
            #[allow(unused_imports)]
            use types::*;
            let decode: crate::conform::Decode = match name {
                #(#arms)*
                _ => return None,
            };
            Some(decode)
        }
    }
}

/// The `rename = "..."` of a field's `#[serde(...)]` attributes.
fn serde_rename(attrs: &[syn::Attribute]) -> Option<String> {
    let mut found = None;
    for a in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        let _ = a.parse_nested_meta(|m| {
            if m.path.is_ident("rename") {
                let s: syn::LitStr = m.value()?.parse()?;
                found = Some(s.value());
            } else if m.input.peek(syn::Token![=]) {
                let _: syn::Expr = m.value()?.parse()?;
            }
            Ok(())
        });
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_cased_as_progenitor_and_typify_write_them() {
        assert_eq!(snake_case("nextToken"), "next_token");
        assert_eq!(snake_case("pageSize"), "page_size");
        assert_eq!(snake_case("account_id"), "account_id");
        assert_eq!(snake_case("x-api-key"), "x_api_key");
        assert_eq!(snake_case("HTTPValidationError"), "http_validation_error");
        assert_eq!(pascal_case("HTTPValidationError"), "HttpValidationError");
        assert_eq!(pascal_case("list_purchases"), "ListPurchases");
        assert_eq!(pascal_case("ErrorResponse"), "ErrorResponse");
    }
}
