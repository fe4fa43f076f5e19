//! The rules an annotated function and its options must follow. Only checks
//! here: nothing is generated.

use crate::attr::{self, Args, Errors, Flavor};
use crate::item::{Body, MaybeItemFn};
use crate::params;
use syn::{Attribute, ReturnType};

const ATTRIBUTES: [&str; 3] = ["trace_operation", "trace_async", "trace_performance"];

pub fn check(flavor: Flavor, args: &Args, item: &MaybeItemFn, errors: &mut Errors) {
    let this = flavor.attribute_name();

    if let Body::Missing(semi) = &item.body {
        errors.push(syn::Error::new_spanned(
            semi,
            format!(
                "#[{this}] needs a function body to trace; a declaration in an `extern` block has none. \
                 Put the attribute on the Rust function that calls it instead"
            ),
        ));
    }
    if let Some(constness) = &item.sig.constness {
        errors.push(syn::Error::new_spanned(
            constness,
            format!(
                "#[{this}] cannot trace a `const fn`: spans exist only at run time. Remove `const` or the attribute"
            ),
        ));
    }
    if flavor == Flavor::Async && item.sig.asyncness.is_none() {
        errors.push(syn::Error::new_spanned(
            item.sig.fn_token,
            "#[trace_async] needs an `async fn`; for a synchronous function use #[trace_operation]",
        ));
    }
    if flavor == Flavor::Performance {
        match &args.threshold_ms {
            None => errors.push(syn::Error::new(
                proc_macro2::Span::call_site(),
                "#[trace_performance] needs a threshold: write #[trace_performance(threshold_ms = 100)]",
            )),
            Some(threshold) => {
                if let Err(error) = attr::threshold_value(threshold) {
                    errors.push(error);
                }
            }
        }
    }
    check_skip(args, item, errors);
    if let (Some(include_result), ReturnType::Default) = (&args.include_result, &item.sig.output) {
        errors.push(syn::Error::new_spanned(
            include_result,
            "`include_result` has nothing to record: the function returns `()`",
        ));
    }
    for other in item.attrs.iter().filter(|attr| is_tracekit_attribute(attr)) {
        errors.push(stacked(flavor, other));
    }
}

fn check_skip(args: &Args, item: &MaybeItemFn, errors: &mut Errors) {
    let names: Vec<String> = params::named(&item.sig).map(|p| p.ident.to_string()).collect();
    let known = if names.is_empty() {
        "the function has no named parameters".to_owned()
    } else {
        format!("the parameters are: {}", names.join(", "))
    };
    check_name_lists(args, &names, &|ident, word| format!("no parameter named `{ident}` to {word}; {known}"), errors);
}

/// The rules of `skip(..)` and `redact(..)`: they refine `include_args`,
/// name parameters that exist (`names`), and do not name one twice.
pub fn check_name_lists(
    args: &Args,
    names: &[String],
    unknown: &dyn Fn(&syn::Ident, &str) -> String,
    errors: &mut Errors,
) {
    for (word, list) in args.name_lists() {
        let Some(option) = &list.option else { continue };
        if args.include_args.is_none() {
            errors.push(syn::Error::new_spanned(
                option,
                format!("`{word}(..)` only applies with `include_args`: add `include_args`, or remove `{word}(..)`"),
            ));
        }
        for ident in list.names.iter().filter(|ident| !names.contains(&ident.to_string())) {
            errors.push(syn::Error::new_spanned(ident, unknown(ident, word)));
        }
    }
    for ident in args.redact.names.iter().filter(|ident| args.skip.contains(ident)) {
        errors.push(syn::Error::new_spanned(
            ident,
            format!("`{ident}` is both skipped and redacted: keep it in one of `skip(..)` and `redact(..)`"),
        ));
    }
}

pub fn is_tracekit_attribute(attr: &Attribute) -> bool {
    attr.path().segments.last().is_some_and(|segment| ATTRIBUTES.iter().any(|name| segment.ident == name))
}

/// The error points at the attribute to remove: the other one, or this one
/// (the macro's call site) when the other is `trace_performance`.
fn stacked(flavor: Flavor, other: &Attribute) -> syn::Error {
    let other_name = other.path().segments.last().map(|s| s.ident.to_string()).unwrap_or_default();
    let this = flavor.attribute_name();
    if flavor == Flavor::Performance {
        syn::Error::new_spanned(other, format!("#[trace_performance] already makes the span: remove #[{other_name}]"))
    } else if other_name == "trace_performance" {
        syn::Error::new(
            proc_macro2::Span::call_site(),
            format!("#[trace_performance] already makes the span: remove #[{this}]"),
        )
    } else {
        syn::Error::new_spanned(
            other,
            format!(
                "a function takes one tracekit attribute; #[{this}] already makes the span: remove #[{other_name}]"
            ),
        )
    }
}
