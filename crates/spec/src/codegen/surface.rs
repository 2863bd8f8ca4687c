//! A readable summary of a generated client's public surface.

use quote::ToTokens;

/// A readable summary of a generated client's public surface: every type with its fields
/// (or variants) and Rust types, and every operation with its parameters. Snapshotted, it
/// shows an update of a spec as a diff of the Rust API.
pub fn surface(file: &syn::File) -> String {
    let mut out = String::new();
    for item in module(&file.items, "types").unwrap_or(&[]) {
        match item {
            syn::Item::Struct(s)
                if matches!(s.vis, syn::Visibility::Public(_)) && s.ident != "ConversionError" =>
            {
                out.push_str(&struct_surface(s));
            }
            syn::Item::Enum(e) if matches!(e.vis, syn::Visibility::Public(_)) => {
                out.push_str(&enum_surface(e));
            }
            _ => {}
        }
    }
    for item in module(&file.items, "builder").unwrap_or(&[]) {
        if let syn::Item::Struct(s) = item {
            out.push_str(&operation_surface(s));
        }
    }
    for item in module(&file.items, "params").unwrap_or(&[]) {
        if let syn::Item::Struct(s) = item {
            out.push_str("params ");
            out.push_str(&struct_surface(s));
        }
    }
    out
}

/// A type as written in the summary: no paths, no token spacing.
fn ty(t: &syn::Type) -> String {
    // Types here hold no lifetimes or `dyn`, so dropping the token spacing is safe.
    let mut s: String = t
        .to_token_stream()
        .to_string()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    for prefix in [
        "::std::option::",
        "::std::vec::",
        "::std::string::",
        "::std::num::",
        "::std::result::",
        "::rust_decimal::",
        "::compact_str::",
        "::chrono::offset::",
        "::chrono::",
        "::uuid::",
        "super::",
        "types::",
    ] {
        s = s.replace(prefix, "");
    }
    s.replace("::serde_json::", "serde_json::")
        .replace(",>", ">")
        .replace(',', ", ")
}

fn non_exhaustive(attrs: &[syn::Attribute]) -> &'static str {
    if attrs.iter().any(|a| a.path().is_ident("non_exhaustive")) {
        "#[non_exhaustive] "
    } else {
        ""
    }
}

fn module<'a>(items: &'a [syn::Item], name: &str) -> Option<&'a [syn::Item]> {
    items.iter().find_map(|i| match i {
        syn::Item::Mod(m) if m.ident == name => {
            m.content.as_ref().map(|(_, items)| items.as_slice())
        }
        _ => None,
    })
}

fn struct_surface(s: &syn::ItemStruct) -> String {
    let mut out = format!("{}type {}", non_exhaustive(&s.attrs), s.ident);
    match &s.fields {
        syn::Fields::Named(f) => {
            out.push_str(" {\n");
            for field in &f.named {
                let name = field
                    .ident
                    .as_ref()
                    .map(|i| i.to_string())
                    .unwrap_or_default();
                out.push_str(&format!("    {name}: {}\n", ty(&field.ty)));
            }
            out.push_str("}\n");
        }
        syn::Fields::Unnamed(f) => {
            let inner: Vec<String> = f.unnamed.iter().map(|f| ty(&f.ty)).collect();
            out.push_str(&format!("({})\n", inner.join(", ")));
        }
        syn::Fields::Unit => out.push('\n'),
    }
    out
}

fn enum_surface(e: &syn::ItemEnum) -> String {
    let mut out = format!("{}enum {} {{\n", non_exhaustive(&e.attrs), e.ident);
    for v in &e.variants {
        let inner: Vec<String> = v.fields.iter().map(|f| ty(&f.ty)).collect();
        if inner.is_empty() {
            out.push_str(&format!("    {}\n", v.ident));
        } else {
            out.push_str(&format!("    {}({})\n", v.ident, inner.join(", ")));
        }
    }
    out.push_str("}\n");
    out
}

/// An operation's builder, as its parameters.
fn operation_surface(s: &syn::ItemStruct) -> String {
    let params: Vec<String> = s
        .fields
        .iter()
        .filter(|f| f.ident.as_ref().is_some_and(|i| i != "client"))
        .map(|f| {
            // Builder fields are Result<T, String>: show T.
            let t = ty(&f.ty);
            let t = t
                .strip_prefix("Result<")
                .and_then(|t| t.strip_suffix(", String>"))
                .unwrap_or(&t)
                .to_string();
            format!(
                "{}: {t}",
                f.ident.as_ref().map(|i| i.to_string()).unwrap_or_default()
            )
        })
        .collect();
    format!("operation {}({})\n", s.ident, params.join(", "))
}

/// Each operation's success type, from its builder's `send`: the operation's builder name
/// (`ListPurchases`) and the types to decode its body with, as paths from the client module:
/// the success type (`types::ListPurchasesResponse`), or, when it is an enum of one-field
/// variants (a `oneOf`, which serde decodes by buffering the body), each variant's type in
/// order, to try one after the other from the text.
pub fn success_types(file: &syn::File) -> Vec<(String, Vec<String>)> {
    success_types_as_written(file)
        .into_iter()
        .map(|(builder, ty)| {
            let variants = ty
                .strip_prefix("types::")
                .and_then(|name| newtype_variants(file, name));
            (builder, variants.unwrap_or_else(|| vec![ty]))
        })
        .collect()
}

/// The types of the variants of enum `name` in `types`, if each has exactly one field.
fn newtype_variants(file: &syn::File, name: &str) -> Option<Vec<String>> {
    let e = module(&file.items, "types")?.iter().find_map(|i| match i {
        syn::Item::Enum(e) if e.ident == name => Some(e),
        _ => None,
    })?;
    e.variants
        .iter()
        .map(|v| match &v.fields {
            syn::Fields::Unnamed(f) if f.unnamed.len() == 1 => {
                let t: String = f.unnamed[0]
                    .ty
                    .to_token_stream()
                    .to_string()
                    .chars()
                    .filter(|c| !c.is_whitespace())
                    .collect();
                Some(if t.contains("::") {
                    t
                } else {
                    format!("types::{t}")
                })
            }
            _ => None,
        })
        .collect()
}

fn success_types_as_written(file: &syn::File) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for item in module(&file.items, "builder").unwrap_or(&[]) {
        let syn::Item::Impl(block) = item else {
            continue;
        };
        let syn::Type::Path(self_ty) = block.self_ty.as_ref() else {
            continue;
        };
        let Some(name) = self_ty.path.segments.last().map(|s| s.ident.to_string()) else {
            continue;
        };
        for f in &block.items {
            let syn::ImplItem::Fn(f) = f else { continue };
            let syn::ReturnType::Type(_, ret) = &f.sig.output else {
                continue;
            };
            if f.sig.ident != "send" {
                continue;
            }
            let success =
                first_generic(ret, "Result").and_then(|t| first_generic(t, "ResponseValue"));
            if let Some(t) = success {
                let path: String = t
                    .to_token_stream()
                    .to_string()
                    .chars()
                    .filter(|c| !c.is_whitespace())
                    .collect();
                out.push((name.clone(), path));
            }
        }
    }
    out
}

/// `T` of a type written `Name<T, ...>`.
fn first_generic<'a>(t: &'a syn::Type, name: &str) -> Option<&'a syn::Type> {
    let syn::Type::Path(p) = t else { return None };
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
