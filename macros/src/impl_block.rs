//! An attribute on an `impl` block instruments each function in it, with the
//! block's options, naming each span `Type::method`.
//!
//! A function keeps its own tracekit attribute if it has one (to override
//! the options), and `#[no_trace]` (or `#[tracekit::no_trace]`, removed
//! here) leaves it untraced; `#[cfg_attr(condition, no_trace)]` leaves it
//! untraced where the condition holds.

use crate::attr::{Args, Flavor};
use crate::errors::Errors;
use crate::expand::BodiesTraitMethod;
use crate::item::{Body, MaybeItemFn};
use crate::model::{BodyHome, Shape, Traced};
use crate::{params, valid, Rejected};
use proc_macro2::{Ident, TokenStream, TokenTree};
use quote::{format_ident, quote, ToTokens};
use std::hash::{Hash, Hasher};
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Attribute, ImplItem, ImplItemFn, ItemImpl, Meta, Token, Type, TypeParamBound};

/// The marker that leaves one function of an instrumented block untraced.
const OPT_OUT: &str = "no_trace";

/// True when the item is an `impl` block, whether or not it parses.
pub fn looks_like_impl(item: &TokenStream) -> bool {
    struct Probe(bool);
    impl Parse for Probe {
        fn parse(input: ParseStream) -> syn::Result<Self> {
            input.call(Attribute::parse_outer)?;
            let found = input.peek(syn::Token![impl])
                || (input.peek(syn::Token![unsafe]) && input.peek2(syn::Token![impl]))
                || (input.peek(syn::Token![default]) && input.peek2(syn::Token![impl]));
            input.parse::<TokenStream>()?;
            Ok(Probe(found))
        }
    }
    syn::parse2::<Probe>(item.clone()).is_ok_and(|probe| probe.0)
}

pub fn expand(
    flavor: Flavor,
    args: &Args,
    args_ok: bool,
    block: ItemImpl,
    mut errors: Errors,
) -> Result<TokenStream, Rejected> {
    if let Some(name) = &args.name {
        errors.push(syn::Error::new_spanned(
            name,
            "on an impl block each span is named `Type::method`; put `name = ..` on the function instead",
        ));
    }
    check_skip_names(args, &block, &mut errors);
    let threshold_ms = valid::threshold(flavor, args, args_ok, &mut errors);
    let qualifier = type_name(&block.self_ty);
    let mut expanded = block.clone();
    let mut traced_any = false;
    let bodies_trait = BodiesTrait::for_block(&block);
    let mut bodies_trait_methods = Vec::new();
    expanded.items.clear();
    for item in &block.items {
        let ImplItem::Fn(method) = item else {
            expanded.items.push(item.clone());
            continue;
        };
        let mut method = method.clone();
        let opt_out = take_opt_out(&mut method, &mut errors);
        if matches!(opt_out, OptOut::Always) || has_own_attribute(&method) || !applies(flavor, &method) {
            expanded.items.push(ImplItem::Fn(method));
            continue;
        }
        traced_any = true;
        let function = to_item_fn(&method);
        let args = args_for(args, &function);
        let Some(traced) = valid::check(flavor, &args, &function, threshold_ms, Some(&qualifier), &mut errors) else {
            continue;
        };
        let traced = Traced {
            impl_generics: Some(generic_names(&block.generics)),
            body_home: match &bodies_trait {
                Some(bodies) => BodyHome::BodiesTrait { path: bodies.path(), implemented: bodies.implemented.clone() },
                None if block.trait_.is_none() => BodyHome::Inherent,
                None => BodyHome::Unknown,
            },
            ..traced
        };
        let (traced, bodies_trait_method) = traced.expand_in_impl();
        bodies_trait_methods.extend(bodies_trait_method);
        match opt_out {
            // Both versions, each under its condition.
            OptOut::Where(condition) => {
                let untraced = method.to_token_stream();
                expanded.items.push(ImplItem::Verbatim(quote! {
                    #[cfg(#condition)]
                    #untraced
                    #[cfg(not(#condition))]
                    #traced
                }));
            }
            _ => expanded.items.push(ImplItem::Verbatim(traced)),
        }
    }
    if flavor == Flavor::Async && !traced_any && errors.len() == 0 {
        errors.push(syn::Error::new(
            proc_macro2::Span::call_site(),
            "#[trace_async] on this impl block traces nothing: it has no `async fn` (nor a fn returning a future). \
             Use #[trace_operation] for synchronous methods",
        ));
    }
    let bodies = bodies_trait.filter(|_| !bodies_trait_methods.is_empty());
    let bodies = bodies.map(|bodies| bodies.expand(&block, &bodies_trait_methods));
    match errors.finish() {
        Ok(()) => Ok(quote!(#expanded #bodies)),
        Err(error) => {
            let mut errors = Errors::default();
            errors.push(error);
            let mut block = block;
            strip_opt_outs(&mut block);
            Err(Rejected { errors, item: block.to_token_stream(), expression: false })
        }
    }
}

/// A private trait declared beside a trait impl, whose impl for the same
/// type holds the bodies of the impl's `#[track_caller]` methods: a trait
/// impl cannot take a hidden method beside them as an inherent impl can,
/// and a fn nested in them cannot name `Self`. It has the impl's generics
/// and where clause, and the implemented trait as its supertrait, so that
/// `Self`, the impl's generics and the trait's associated items mean in the
/// bodies what they meant in the methods.
pub struct BodiesTrait {
    ident: Ident,
    /// The impl's generic parameters as arguments: `<'a, T, N>`.
    arguments: TokenStream,
    /// The implemented trait's path, without its generic arguments.
    implemented: TokenStream,
    /// The implemented trait as written: the bodies trait's supertrait.
    supertrait: TokenStream,
}

impl BodiesTrait {
    /// The bodies trait of a trait impl; `None` for an inherent impl, or one
    /// whose methods cannot move (`default impl`, a negative impl).
    fn for_block(block: &ItemImpl) -> Option<BodiesTrait> {
        let (supertrait, _) = block.trait_.as_ref()?;
        if block.modifiers.polarity.is_some() || block.modifiers.defaultness.is_some() {
            return None;
        }
        let mut implemented = supertrait.clone();
        for segment in &mut implemented.segments {
            segment.arguments = syn::PathArguments::None;
        }
        // Named after the block, so that two blocks in one module declare
        // two traits.
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        block.to_token_stream().to_string().hash(&mut hasher);
        let ident = format_ident!("__TracekitBodies{:016x}", hasher.finish());
        let (_, arguments, _) = block.generics.split_for_impl();
        Some(BodiesTrait {
            ident,
            arguments: arguments.to_token_stream(),
            implemented: implemented.to_token_stream(),
            supertrait: supertrait.to_token_stream(),
        })
    }

    /// The trait's path, as the methods call their bodies through it.
    fn path(&self) -> TokenStream {
        let BodiesTrait { ident, arguments, .. } = self;
        quote!(#ident #arguments)
    }

    fn expand(&self, block: &ItemImpl, methods: &[BodiesTraitMethod]) -> TokenStream {
        let (impl_generics, arguments, where_clause) = block.generics.split_for_impl();
        let (ident, supertrait, self_ty) = (&self.ident, &self.supertrait, &block.self_ty);
        let declarations = methods.iter().map(|method| &method.declaration);
        let items = methods.iter().map(|method| &method.item);
        quote! {
            #[doc(hidden)]
            #[allow(non_camel_case_types, dead_code)]
            trait #ident #impl_generics: #supertrait #where_clause {
                #(#declarations)*
            }
            impl #impl_generics #ident #arguments for #self_ty #where_clause {
                #(#items)*
            }
        }
    }
}

/// How a method opts out of its block's tracing.
enum OptOut {
    Never,
    Always,
    /// `#[cfg_attr(condition, no_trace)]`.
    Where(TokenStream),
}

fn is_opt_out(attr: &Attribute) -> bool {
    let segments: Vec<String> = attr.path().segments.iter().map(|segment| segment.ident.to_string()).collect();
    matches!(segments.iter().map(String::as_str).collect::<Vec<_>>()[..], [OPT_OUT] | ["tracekit", OPT_OUT])
        && matches!(attr.meta, Meta::Path(_))
}

/// The condition of `#[cfg_attr(condition, no_trace)]`.
fn conditional_opt_out(attr: &Attribute) -> Option<TokenStream> {
    if !attr.path().is_ident("cfg_attr") {
        return None;
    }
    let nested = attr.parse_args_with(Punctuated::<Meta, Token![,]>::parse_terminated).ok()?;
    let mut nested = nested.into_iter();
    let condition = nested.next()?;
    let rest: Vec<Meta> = nested.collect();
    let opts_out = rest.len() == 1 && matches!(&rest[0], Meta::Path(path) if path.is_ident(OPT_OUT));
    opts_out.then(|| condition.to_token_stream())
}

/// Removes the opt-out marker; a marker beside the method's own tracekit
/// attribute contradicts it, which is an error.
fn take_opt_out(method: &mut ImplItemFn, errors: &mut Errors) -> OptOut {
    let own = method.attrs.iter().find(|attr| crate::attr::is_tracekit_attribute(attr)).cloned();
    let mut opt_out = OptOut::Never;
    let mut kept = Vec::new();
    for attr in std::mem::take(&mut method.attrs) {
        let found =
            if is_opt_out(&attr) { Some(OptOut::Always) } else { conditional_opt_out(&attr).map(OptOut::Where) };
        match found {
            Some(found) => {
                if let Some(own) = &own {
                    let own_name = own.path().segments.last().map(|s| s.ident.to_string()).unwrap_or_default();
                    errors.push(syn::Error::new_spanned(
                        &attr,
                        format!(
                            "`{}` has #[{own_name}] of its own and #[no_trace]: keep the one you mean",
                            method.sig.ident
                        ),
                    ));
                }
                opt_out = found;
            }
            None => kept.push(attr),
        }
    }
    method.attrs = kept;
    opt_out
}

/// Removes every opt-out marker, for the block given back after an error.
fn strip_opt_outs(block: &mut ItemImpl) {
    for item in &mut block.items {
        if let ImplItem::Fn(method) = item {
            method.attrs.retain(|attr| !is_opt_out(attr) && conditional_opt_out(attr).is_none());
        }
    }
}

/// The type as a person would write it, without generic arguments: `Repo`
/// for `impl<T> Repo<T>`, `Point` for `impl Display for Point`, `dyn Shape`,
/// `(u8, u8)`, `[u8]`, `Vec` for `impl<T> Describe for Vec<T>`.
fn type_name(ty: &Type) -> String {
    match ty {
        Type::Path(path) => path.path.segments.last().map(|s| s.ident.to_string()).unwrap_or_default(),
        Type::Reference(reference) => type_name(&reference.elem),
        Type::Paren(inner) => type_name(&inner.elem),
        Type::Group(inner) => type_name(&inner.elem),
        Type::Slice(slice) => format!("[{}]", type_name(&slice.elem)),
        Type::Array(array) => format!("[{}; {}]", type_name(&array.elem), array.len.to_token_stream()),
        Type::Tuple(tuple) => {
            let elems: Vec<String> = tuple.elems.iter().map(type_name).collect();
            format!("({})", elems.join(", "))
        }
        Type::Ptr(pointer) => {
            let mutability = match pointer.mutability {
                syn::PointerMutability::Mut(_) => "mut",
                syn::PointerMutability::Const(_) => "const",
            };
            format!("*{mutability} {}", type_name(&pointer.elem))
        }
        Type::TraitObject(object) => {
            let bounds: Vec<String> = object
                .bounds
                .iter()
                .filter_map(|bound| match bound {
                    TypeParamBound::Trait(bound) => bound.path.segments.last().map(|s| s.ident.to_string()),
                    _ => None,
                })
                .collect();
            format!("dyn {}", bounds.join(" + "))
        }
        other => other.to_token_stream().to_string(),
    }
}

fn has_own_attribute(method: &ImplItemFn) -> bool {
    method.attrs.iter().any(crate::attr::is_tracekit_attribute)
}

/// `trace_async` on a block instruments its `async fn`s and the fns that
/// return futures; a `const fn` cannot be traced and is left as it is.
fn applies(flavor: Flavor, method: &ImplItemFn) -> bool {
    let awaited = method.sig.asyncness.is_some()
        || matches!(crate::signature::signature_shape(&method.sig.output, false), Shape::Future { .. });
    method.sig.constness.is_none() && (flavor != Flavor::Async || awaited)
}

fn to_item_fn(method: &ImplItemFn) -> MaybeItemFn {
    let body = match method.block.to_token_stream().into_iter().next() {
        Some(TokenTree::Group(group)) => group,
        _ => unreachable!("a block is one brace group"),
    };
    MaybeItemFn {
        attrs: method.attrs.clone(),
        vis: method.vis.clone(),
        sig: method.sig.clone(),
        body: Body::Block(body),
    }
}

/// The block's options as they apply to one function: only its own
/// parameters are skipped, and a function returning `()` has no result.
fn args_for(args: &Args, function: &MaybeItemFn) -> Args {
    let mut args = args.clone();
    let names: Vec<String> = params::named(&function.sig).map(|p| p.ident.to_string()).collect();
    for list in [&mut args.skip, &mut args.redact] {
        list.names.retain(|ident| names.contains(&ident.to_string()));
        if list.names.is_empty() {
            list.option = None;
        }
    }
    if crate::signature::returns_unit(&function.sig.output) {
        args.include_result = None;
    }
    args
}

fn check_skip_names(args: &Args, block: &ItemImpl, errors: &mut Errors) {
    let names: Vec<String> = block
        .items
        .iter()
        .filter_map(|item| match item {
            ImplItem::Fn(method) => Some(method),
            _ => None,
        })
        .flat_map(|method| params::named(&method.sig).map(|p| p.ident.to_string()).collect::<Vec<_>>())
        .collect();
    let mut known = names.clone();
    known.sort_unstable();
    known.dedup();
    let known = match known.is_empty() {
        true => "its functions have no named parameters".to_owned(),
        false => format!("the parameters of its functions are: {}", known.join(", ")),
    };
    let unknown =
        |ident: &syn::Ident, _: &str| format!("no function of this impl block has a parameter `{ident}`; {known}");
    valid::check_name_lists(args, &names, &unknown, errors);
}

/// The names of an `impl`'s type and const parameters.
fn generic_names(generics: &syn::Generics) -> Vec<String> {
    let names = generics.params.iter().filter_map(|param| match param {
        syn::GenericParam::Type(param) => Some(param.ident.to_string()),
        syn::GenericParam::Const(param) => Some(param.ident.to_string()),
        syn::GenericParam::Lifetime(_) => None,
    });
    names.collect()
}
