//! An attribute on an `impl` block instruments each function in it, with the
//! block's options, naming each span `Type::method`.
//!
//! A function keeps its own tracekit attribute if it has one (to override
//! the options), and `#[no_trace]` (removed here) leaves it untraced.

use crate::attr::{Args, Errors, Flavor};
use crate::expand::Expansion;
use crate::item::{Body, MaybeItemFn};
use crate::{params, valid};
use proc_macro2::{TokenStream, TokenTree};
use quote::ToTokens;
use syn::parse::{Parse, ParseStream};
use syn::{Attribute, ImplItem, ImplItemFn, ItemImpl, ReturnType, Type};

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

pub fn expand(flavor: Flavor, args: &Args, mut block: ItemImpl, errors: &mut Errors) -> TokenStream {
    if let Some(name) = &args.name {
        errors.push(syn::Error::new_spanned(
            name,
            "on an impl block each span is named `Type::method`; put `name = ..` on the function instead",
        ));
    }
    check_skip_names(args, &block, errors);
    let qualifier = type_name(&block.self_ty);
    for item in &mut block.items {
        let ImplItem::Fn(method) = item else { continue };
        if remove_opt_out(method) || has_own_attribute(method) || !applies(flavor, method) {
            continue;
        }
        let function = to_item_fn(method);
        let args = args_for(args, &function);
        valid::check(flavor, &args, &function, errors);
        let expansion = Expansion { flavor, args: &args, qualifier: Some(qualifier.clone()) };
        *item = ImplItem::Verbatim(expansion.expand(&function));
    }
    block.to_token_stream()
}

/// `Repo` for `impl<T> Repo<T>`, `Display for Point` gives `Point`.
fn type_name(ty: &Type) -> String {
    match ty {
        Type::Path(path) => path.path.segments.last().map(|s| s.ident.to_string()).unwrap_or_default(),
        Type::Reference(reference) => type_name(&reference.elem),
        other => other.to_token_stream().to_string().replace(' ', ""),
    }
}

fn remove_opt_out(method: &mut ImplItemFn) -> bool {
    let before = method.attrs.len();
    method.attrs.retain(|attr| !attr.path().is_ident(OPT_OUT));
    method.attrs.len() != before
}

fn has_own_attribute(method: &ImplItemFn) -> bool {
    method.attrs.iter().any(valid::is_tracekit_attribute)
}

/// `trace_async` on a block instruments its `async fn`s; a `const fn` cannot
/// be traced and is left as it is.
fn applies(flavor: Flavor, method: &ImplItemFn) -> bool {
    method.sig.constness.is_none() && (flavor != Flavor::Async || method.sig.asyncness.is_some())
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
    if matches!(function.sig.output, ReturnType::Default) {
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
    let unknown = |ident: &syn::Ident, _: &str| format!("no function of this impl block has a parameter `{ident}`");
    valid::check_name_lists(args, &names, &unknown, errors);
}
