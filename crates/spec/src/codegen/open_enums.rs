//! Open enums: what a server sends may be newer than the spec.
//!
//! typify generates a closed enum for every string `enum` schema: the day an API adds a
//! value, every response holding it fails to decode. [`open_response_enums`] rewrites every
//! string enum a response can reach into an open one (the aws-sdk-rust and async-stripe
//! pattern): `#[non_exhaustive]`, with a catch-all variant that keeps the text received, and
//! `as_str`, `Display`, `FromStr`, `Serialize` and `Deserialize` that give back exactly that
//! text. Enums only sent (request parameters) stay closed. [`check_open_enums`] fails the
//! build if an enum a response reaches is left without the catch-all.

use quote::{format_ident, quote};
use std::collections::{BTreeMap, BTreeSet};
use syn::visit::Visit;

/// The catch-all variant's name, unless the enum already has a variant of that name.
pub const CATCH_ALL: &str = "Unknown";

/// The `types` module's items, mutably.
fn types_mut(file: &mut syn::File) -> Option<&mut Vec<syn::Item>> {
    file.items.iter_mut().find_map(|i| match i {
        syn::Item::Mod(m) if m.ident == "types" => m.content.as_mut().map(|(_, items)| items),
        _ => None,
    })
}

fn module<'a>(file: &'a syn::File, name: &str) -> Option<&'a [syn::Item]> {
    file.items.iter().find_map(|i| match i {
        syn::Item::Mod(m) if m.ident == name => m.content.as_ref().map(|(_, items)| &items[..]),
        _ => None,
    })
}

/// Every identifier in a piece of syntax.
#[derive(Default)]
struct Idents(BTreeSet<String>);

impl<'ast> Visit<'ast> for Idents {
    fn visit_ident(&mut self, i: &'ast proc_macro2::Ident) {
        self.0.insert(i.to_string());
    }
}

/// The name of every type in `types` a response of some operation can hold: the types in
/// the `send` return types of the builders, and every type their fields reach.
pub fn response_types(file: &syn::File) -> BTreeSet<String> {
    let types = module(file, "types").unwrap_or(&[]);
    let mut refs: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for item in types {
        let (name, fields): (String, Vec<&syn::Field>) = match item {
            syn::Item::Struct(s) => (s.ident.to_string(), s.fields.iter().collect()),
            syn::Item::Enum(e) => (
                e.ident.to_string(),
                e.variants.iter().flat_map(|v| v.fields.iter()).collect(),
            ),
            _ => continue,
        };
        let mut idents = Idents::default();
        fields.iter().for_each(|f| idents.visit_type(&f.ty));
        refs.insert(name, idents.0);
    }
    let mut roots = Idents::default();
    for item in module(file, "builder").unwrap_or(&[]) {
        let syn::Item::Impl(imp) = item else { continue };
        for member in &imp.items {
            if let syn::ImplItem::Fn(f) = member {
                if f.sig.ident == "send" {
                    roots.visit_return_type(&f.sig.output);
                }
            }
        }
    }
    let mut reached = BTreeSet::new();
    let mut todo: Vec<String> = roots
        .0
        .into_iter()
        .filter(|n| refs.contains_key(n))
        .collect();
    while let Some(name) = todo.pop() {
        if reached.insert(name.clone()) {
            todo.extend(
                refs[&name]
                    .iter()
                    .filter(|n| refs.contains_key(*n))
                    .cloned(),
            );
        }
    }
    reached
}

/// An enum whose variants all carry no data: the shape of a string enum.
fn is_unit_only(e: &syn::ItemEnum) -> bool {
    !e.variants.is_empty() && e.variants.iter().all(|v| v.fields.is_empty())
}

/// The text each variant stands for: its `#[serde(rename = "...")]`, else its name.
fn wire_names(e: &syn::ItemEnum) -> Option<Vec<(syn::Ident, String)>> {
    let mut out = Vec::new();
    for v in &e.variants {
        let mut name = v.ident.to_string();
        for attr in v.attrs.iter().filter(|a| a.path().is_ident("serde")) {
            let mut renamed = None;
            attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("rename") {
                    let s: syn::LitStr = meta.value()?.parse()?;
                    renamed = Some(s.value());
                    Ok(())
                } else {
                    Err(meta.error("an attribute open enums do not handle"))
                }
            })
            .ok()?;
            name = renamed?;
        }
        out.push((v.ident.clone(), name));
    }
    Some(out)
}

/// Whether the enum is exactly what typify writes for a string enum: derives serde's two
/// traits, no container-level serde attribute, only `rename`s on variants.
fn is_plain_string_enum(e: &syn::ItemEnum) -> bool {
    let derives = |name: &str| super::derives(&e.attrs, name);
    is_unit_only(e)
        && derives("Deserialize")
        && derives("Serialize")
        && !e.attrs.iter().any(|a| a.path().is_ident("serde"))
        && wire_names(e).is_some()
}

/// The trait an `impl` block implements, by its last path segment, and for which type.
fn impl_of(imp: &syn::ItemImpl) -> Option<(String, String)> {
    let (path, _) = imp.trait_.as_ref()?;
    let trait_name = path.segments.last()?.ident.to_string();
    let syn::Type::Path(ty) = &*imp.self_ty else {
        return None;
    };
    Some((trait_name, ty.path.segments.last()?.ident.to_string()))
}

/// Rewrites every plain string enum a response reaches into an open enum. Returns the
/// names of the enums rewritten.
pub fn open_response_enums(file: &mut syn::File) -> Result<Vec<String>, String> {
    let reached = response_types(file);
    let Some(items) = types_mut(file) else {
        return Ok(Vec::new());
    };
    let targets: BTreeSet<String> = items
        .iter()
        .filter_map(|i| match i {
            syn::Item::Enum(e)
                if reached.contains(&e.ident.to_string()) && is_plain_string_enum(e) =>
            {
                Some(e.ident.to_string())
            }
            _ => None,
        })
        .collect();
    // typify's own conversions of these enums are replaced below.
    const REPLACED: &[&str] = &["Display", "FromStr", "TryFrom"];
    items.retain(|i| match i {
        syn::Item::Impl(imp) => !impl_of(imp)
            .is_some_and(|(t, ty)| REPLACED.contains(&t.as_str()) && targets.contains(&ty)),
        _ => true,
    });
    let mut opened = Vec::new();
    for item in std::mem::take(items) {
        match item {
            syn::Item::Enum(e) if targets.contains(&e.ident.to_string()) => {
                let code = open_enum(&e)?;
                let parsed: syn::File = syn::parse2(code)
                    .map_err(|err| format!("{}: the open enum does not parse: {err}", e.ident))?;
                items.extend(parsed.items);
                opened.push(e.ident.to_string());
            }
            other => items.push(other),
        }
    }
    Ok(opened)
}

/// The open form of one string enum, with its impls.
fn open_enum(e: &syn::ItemEnum) -> Result<proc_macro2::TokenStream, String> {
    let name = &e.ident;
    let variants = wire_names(e).ok_or_else(|| format!("{name}: unexpected variant attributes"))?;
    let catch_all = if variants.iter().any(|(v, _)| v == CATCH_ALL) {
        format_ident!("{CATCH_ALL}Value")
    } else {
        format_ident!("{CATCH_ALL}")
    };
    if variants.iter().any(|(v, _)| *v == catch_all) {
        return Err(format!(
            "{name}: has variants named both {CATCH_ALL} and {catch_all}; no name is left for the catch-all"
        ));
    }
    let docs: Vec<&syn::Attribute> = e
        .attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .collect();
    let idents: Vec<&syn::Ident> = variants.iter().map(|(v, _)| v).collect();
    let texts: Vec<&String> = variants.iter().map(|(_, t)| t).collect();
    let variant_docs: Vec<String> = texts.iter().map(|t| format!("`{t}`")).collect();
    let unknown_doc = format!(
        "A value this version of the spec does not list, kept exactly as received (so it writes back unchanged). Match on [`{name}::as_str`] to handle one before the crate knows it."
    );
    let conversions = conversions(name, &idents, &texts, &catch_all);
    let serde_impls = serde_impls(name);
    Ok(quote! {
        #(#docs)*
        ///
        /// Open: values the spec does not list decode as the catch-all variant, keeping their text.
        #[derive(Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd)]
        #[non_exhaustive]
        pub enum #name {
            #( #[doc = #variant_docs] #idents, )*
            #[doc = #unknown_doc]
            #catch_all(::std::string::String),
        }

        impl #name {
            /// The value as the API writes it.
            pub fn as_str(&self) -> &str {
                match self {
                    #( Self::#idents => #texts, )*
                    Self::#catch_all(text) => text.as_str(),
                }
            }

            /// Whether the value is one the spec lists.
            pub fn is_known(&self) -> bool {
                !matches!(self, Self::#catch_all(_))
            }
        }

        #conversions
        #serde_impls
    })
}

/// `Display`, `From<&str>`, `From<String>` and an infallible `FromStr`, all by the text.
fn conversions(
    name: &syn::Ident,
    idents: &[&syn::Ident],
    texts: &[&String],
    catch_all: &syn::Ident,
) -> proc_macro2::TokenStream {
    quote! {
        impl ::std::fmt::Display for #name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::convert::From<&str> for #name {
            fn from(value: &str) -> Self {
                match value {
                    #( #texts => Self::#idents, )*
                    other => Self::#catch_all(other.to_string()),
                }
            }
        }

        impl ::std::convert::From<::std::string::String> for #name {
            fn from(value: ::std::string::String) -> Self {
                match value.as_str() {
                    #( #texts => Self::#idents, )*
                    _ => Self::#catch_all(value),
                }
            }
        }

        impl ::std::str::FromStr for #name {
            type Err = ::std::convert::Infallible;
            fn from_str(value: &str) -> ::std::result::Result<Self, Self::Err> {
                Ok(Self::from(value))
            }
        }

    }
}

/// `Serialize` and `Deserialize` as the text (through `as_str` and `From<&str>`).
fn serde_impls(name: &syn::Ident) -> proc_macro2::TokenStream {
    let expecting = format!("a {name} string");
    quote! {
        impl ::serde::Serialize for #name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for #name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                struct Text;
                impl ::serde::de::Visitor<'_> for Text {
                    type Value = #name;
                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str(#expecting)
                    }
                    fn visit_str<E: ::serde::de::Error>(self, value: &str) -> ::std::result::Result<#name, E> {
                        Ok(#name::from(value))
                    }
                    fn visit_string<E: ::serde::de::Error>(self, value: ::std::string::String) -> ::std::result::Result<#name, E> {
                        Ok(#name::from(value))
                    }
                }
                deserializer.deserialize_str(Text)
            }
        }
    }
}

/// Fails when an enum with only unit variants that a response reaches has no catch-all:
/// a closed enum there would fail on the first value an API adds.
pub fn check_open_enums(file: &syn::File) -> Result<(), String> {
    let reached = response_types(file);
    let closed: Vec<String> = module(file, "types")
        .unwrap_or(&[])
        .iter()
        .filter_map(|i| match i {
            syn::Item::Enum(e) if reached.contains(&e.ident.to_string()) && is_unit_only(e) => {
                Some(e.ident.to_string())
            }
            _ => None,
        })
        .collect();
    if closed.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "closed enums reachable from a response (a new value from the server would fail every response holding one): {}",
            closed.join(", ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codegen::{generate_client, GenerateOptions};

    const SPEC: &str = r#"
openapi: 3.0.3
info: {title: T, version: '1'}
paths:
  /items:
    get:
      operationId: list_items
      parameters:
        - {name: order, in: query, schema: {$ref: '#/components/schemas/Order'}}
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Page'}
components:
  schemas:
    Order: {type: string, enum: [asc, desc]}
    Status: {type: string, enum: [PAID, REFUNDED, Unknown]}
    Page:
      type: object
      required: [items]
      properties:
        items: {type: array, items: {$ref: '#/components/schemas/Item'}}
    Item:
      type: object
      required: [status]
      properties:
        status: {$ref: '#/components/schemas/Status'}
"#;

    fn generated() -> String {
        generate_client("t", SPEC, None, &GenerateOptions::default()).unwrap()
    }

    #[test]
    fn response_enums_get_a_catch_all_and_request_only_enums_stay_closed() {
        let code = generated();
        let file: syn::File = syn::parse_str(&code).unwrap();
        let reached = response_types(&file);
        assert!(reached.contains("Status") && reached.contains("Item") && reached.contains("Page"));
        assert!(!reached.contains("Order"), "only sent, never received");
        // `Unknown` is a real value here, so the catch-all takes the next name.
        assert!(
            code.contains("UnknownValue(::std::string::String)"),
            "{code}"
        );
        let order_at = code.find("pub enum Order").unwrap();
        let order = &code[order_at..order_at + 200];
        assert!(!order.contains("String"), "{order}");
        assert!(
            code.contains("#[non_exhaustive]\n    pub enum Status"),
            "{code}"
        );
    }

    #[test]
    fn a_closed_enum_a_response_reaches_fails_the_check() {
        let mut spec: syn::File = syn::parse_str(&generated()).unwrap();
        assert!(check_open_enums(&spec).is_ok());
        // Put a closed copy of Status back under another name, and make Item use it.
        let closed: syn::Item = syn::parse_quote! {
            #[derive(::serde::Deserialize, ::serde::Serialize, Clone, Copy)]
            #[serde(rename_all = "lowercase")]
            pub enum Closed { A, B }
        };
        for item in &mut spec.items {
            if let syn::Item::Mod(m) = item {
                if m.ident == "types" {
                    let items = &mut m.content.as_mut().unwrap().1;
                    items.push(closed.clone());
                    for i in items.iter_mut() {
                        if let syn::Item::Struct(s) = i {
                            if s.ident == "Item" {
                                if let syn::Fields::Named(f) = &mut s.fields {
                                    f.named.push(syn::parse_quote!(pub extra: Closed));
                                }
                            }
                        }
                    }
                }
            }
        }
        let err = check_open_enums(&spec).unwrap_err();
        assert!(err.contains("Closed"), "{err}");
        // A container-level serde attribute is not a shape the rewrite handles: it stays
        // closed, and the check is what catches it.
        assert!(open_response_enums(&mut spec).is_ok());
        assert!(check_open_enums(&spec).is_err());
    }
}
