//! The rules an annotated function and its options must follow, checked
//! into the [`Traced`] model that expansion consumes. Nothing is generated here.

use crate::attr::{is_tracekit_attribute, Args, AttributeKey, Flavor, ThresholdArg, KINDS};
use crate::errors::Errors;
use crate::item::{Body, MaybeItemFn};
use crate::model::{BodyHome, Recorded, Shape, Traced};
use crate::params;
use crate::signature::{
    is_runtime_entry, may_name_a_future, returns_unit, signature_shape, takes_question_mark, writable_return,
};
use proc_macro2::{Ident, Span};
use syn::{Attribute, Expr, ExprLit, Lit, ReturnType};

/// The threshold of `trace_performance`, in milliseconds; `None` for the
/// other attributes. `args_ok`: the arguments parsed without error, so that a
/// misspelt `threshold_ms` is reported once, as the unknown option it is.
pub fn threshold(flavor: Flavor, args: &Args, args_ok: bool, errors: &mut Errors) -> Option<u64> {
    if flavor != Flavor::Performance {
        return None;
    }
    match &args.threshold_ms {
        None if args_ok => {
            errors.push(syn::Error::new(
                Span::call_site(),
                "#[trace_performance] needs a threshold: write #[trace_performance(threshold_ms = 100)]",
            ));
            None
        }
        None => None,
        Some(threshold) => threshold_value(threshold).map_err(|error| errors.push(error)).ok(),
    }
}

/// The threshold as a positive number of milliseconds (`100`, `100u32`,
/// `100_u64`, `0x64`), or an error at the value.
fn threshold_value(threshold: &ThresholdArg) -> syn::Result<u64> {
    let problem = match &threshold.value {
        Expr::Lit(ExprLit { lit: Lit::Int(int), .. }) if int.base10_digits().starts_with('-') => "must be positive",
        Expr::Lit(ExprLit { lit: Lit::Int(int), .. }) if !matches!(int.suffix(), "" | "u8" | "u16" | "u32" | "u64") => {
            "must be an unsigned integer (`u64` at most)"
        }
        Expr::Lit(ExprLit { lit: Lit::Int(int), .. }) => match int.base10_parse::<u64>() {
            Ok(0) => "must be greater than zero",
            Ok(ms) => return Ok(ms),
            Err(_) => "must fit in a u64",
        },
        Expr::Unary(_) => "must be positive",
        Expr::Lit(ExprLit { lit: Lit::Float(_), .. }) => "must be a whole number of milliseconds",
        _ => "must be an integer literal",
    };
    Err(syn::Error::new_spanned(
        &threshold.value,
        format!("threshold_ms {problem}: write `threshold_ms = 100` for a 100 ms threshold"),
    ))
}

/// Checks one function against the rules and its options; `qualifier` is
/// the type of the impl block it is in. `None` when it cannot be traced
/// (the errors say why).
pub fn check<'a>(
    flavor: Flavor,
    args: &'a Args,
    item: &'a MaybeItemFn,
    threshold_ms: Option<u64>,
    qualifier: Option<&str>,
    errors: &mut Errors,
) -> Option<Traced<'a>> {
    let this = flavor.attribute_name();
    let before = errors.len();
    let fn_name = item.sig.ident.to_string().trim_start_matches("r#").to_owned();
    // In an impl block, errors at the block's own tokens name the method.
    let in_method = |message: String| match qualifier {
        Some(_) => format!("in `{fn_name}`: {message}"),
        None => message,
    };

    let body = match &item.body {
        Body::Block(body) => Some(body),
        Body::Missing(semi) => {
            // A receiver says it is a trait's method; otherwise it may be either.
            let advice = if item.sig.receiver().is_some() {
                "a trait's method declaration has none: put the attribute on the method in each `impl` of the trait, \
                 or on the `impl` block"
            } else {
                "a declaration has none. In a trait, put the attribute on the method in each `impl`; in an `extern` \
                 block, on the Rust function that calls it"
            };
            errors
                .push(syn::Error::new_spanned(semi, format!("#[{this}] needs a function body to trace, and {advice}")));
            None
        }
    };
    if let Some(constness) = &item.sig.constness {
        errors.push(syn::Error::new_spanned(
            constness,
            format!(
                "#[{this}] cannot trace a `const fn`: spans exist only at run time. Remove `const` or the attribute"
            ),
        ));
    }
    let (shape, awaited) = shape(flavor, &item.sig.output, item.sig.asyncness.is_some(), body);
    if flavor == Flavor::Async && !awaited {
        errors.push(syn::Error::new_spanned(
            item.sig.fn_token,
            "#[trace_async] needs an `async fn`, or a fn that returns a future; for a synchronous function use \
             #[trace_operation]",
        ));
    }
    let recorded = recorded_arguments(args, item, errors);
    if let Some(include_result) = &args.include_result {
        if returns_unit(&item.sig.output) {
            errors.push(syn::Error::new_spanned(
                include_result,
                in_method("`include_result` has nothing to record: the function returns `()`".to_owned()),
            ));
        }
    }
    check_attribute_keys(args, &recorded, &in_method, errors);
    for other in item.attrs.iter().filter(|attr| is_tracekit_attribute(attr)) {
        errors.push(stacked(flavor, other));
    }

    let qualified = match qualifier {
        Some(ty) => format!("{ty}::{fn_name}"),
        None => fn_name,
    };
    let kind = args.kind.as_ref().map_or("internal".to_owned(), |lit| lit.value());
    debug_assert!(KINDS.contains(&kind.as_str()));
    let mut kind_chars = kind.chars();
    let kind = kind_chars.next().map(|c| c.to_ascii_uppercase()).into_iter().chain(kind_chars).collect::<String>();
    let track_caller = item.attrs.iter().any(|attr| attr.path().is_ident("track_caller"));
    let (true, Some(body)) = (errors.len() == before, body) else { return None };
    Some(Traced {
        item,
        body,
        args,
        name: args.name.as_ref().map_or(qualified, |lit| lit.value()),
        kind: Ident::new(&kind, Span::call_site()),
        threshold_ms,
        result_span: args.include_result.as_ref().map(|include| match (qualifier, &item.sig.output) {
            (Some(_), ReturnType::Type(_, ty)) => syn::spanned::Spanned::span(&**ty),
            _ => include.span(),
        }),
        recorded,
        shape,
        writable_return: writable_return(&item.sig.output),
        question_marks_leave: takes_question_mark(&item.sig.output),
        has_outcome: signature_shape(&item.sig.output, false) != Shape::Unit,
        track_caller,
        impl_generics: None,
        body_home: match item.vis {
            syn::Visibility::Inherited => BodyHome::Unknown,
            _ => BodyHome::Inherent,
        },
        may_be_future: shape == Shape::Value && may_name_a_future(&item.sig.output),
    })
}

/// The arguments to record, with `skip(..)` and `redact(..)` applied and
/// checked: they refine `include_args`, name parameters that exist, and do
/// not name one twice. `self` may be skipped (it is never recorded anyway).
fn recorded_arguments<'a>(args: &Args, item: &'a MaybeItemFn, errors: &mut Errors) -> Vec<Recorded<'a>> {
    let params: Vec<params::Param<'a>> = params::named(&item.sig).collect();
    let names: Vec<String> = params.iter().map(|param| param.ident.to_string()).collect();
    let known = if names.is_empty() {
        "the function has no named parameters".to_owned()
    } else {
        format!("the parameters are: {}", names.join(", "))
    };
    check_name_lists(args, &names, &|ident, word| format!("no parameter named `{ident}` to {word}; {known}"), errors);
    if args.include_args.is_none() {
        return Vec::new();
    }
    params
        .into_iter()
        .filter(|param| !args.skip.contains(param.ident))
        .map(|param| Recorded {
            key: format!("arg.{}", param.ident.to_string().trim_start_matches("r#")),
            redacted: args.redact.contains(param.ident),
            ident: param.ident,
            cfgs: param.cfgs,
        })
        .collect()
}

/// The rules of `skip(..)` and `redact(..)`; `names` are the parameters
/// (of the function, or of every function of an impl block).
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
        let unknown_names = list.names.iter().filter(|ident| *ident != "self" && !names.contains(&ident.to_string()));
        for ident in unknown_names {
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

/// The written keys of `attributes(..)` must not repeat, nor take the key of
/// a recorded argument or of the result. (A key given as a constant is
/// known only to the compiler.)
fn check_attribute_keys(
    args: &Args,
    recorded: &[Recorded<'_>],
    in_method: &dyn Fn(String) -> String,
    errors: &mut Errors,
) {
    let mut seen: Vec<String> = Vec::new();
    for extra in &args.attributes {
        let AttributeKey::Literal(key) = &extra.key else { continue };
        let key_text = key.value();
        if seen.contains(&key_text) {
            errors.push(syn::Error::new_spanned(
                key,
                format!("the attribute `{key_text}` is given more than once; keep one"),
            ));
        } else if let Some(argument) = recorded.iter().find(|argument| argument.key == key_text) {
            errors.push(syn::Error::new_spanned(
                key,
                in_method(format!(
                    "`{key_text}` is the key `include_args` records the argument `{}` under: choose another key, \
                     or `skip({})` the argument",
                    argument.ident, argument.ident
                )),
            ));
        } else if key_text == "result" && args.include_result.is_some() {
            errors.push(syn::Error::new_spanned(
                key,
                "`result` is the key `include_result` records the returned value under: choose another key",
            ));
        }
        seen.push(key_text);
    }
}

/// How the function's span is kept, and whether it is asynchronous as
/// `trace_async` requires: an `async fn`, a fn returning a future, or the
/// output of an async runtime's entry attribute.
fn shape(flavor: Flavor, output: &ReturnType, is_async: bool, body: Option<&proc_macro2::Group>) -> (Shape, bool) {
    let runtime_entry = body.is_some_and(is_runtime_entry);
    let shape = match signature_shape(output, is_async) {
        // `#[trace_async]` is the user saying the value is a future, whatever
        // its type is called; the type decides, through a trait.
        Shape::Value if flavor == Flavor::Async && !runtime_entry && may_name_a_future(output) => {
            Shape::Future { named: true }
        }
        shape => shape,
    };
    let awaited = matches!(shape, Shape::Async | Shape::Future { .. }) || runtime_entry;
    (shape, awaited)
}

/// The error points at the attribute to remove: the other one, or this one
/// (the macro's call site) when the other is `trace_performance`.
fn stacked(flavor: Flavor, other: &Attribute) -> syn::Error {
    let other_name = other.path().segments.last().map(|s| s.ident.to_string()).unwrap_or_default();
    let this = flavor.attribute_name();
    if flavor == Flavor::Performance {
        syn::Error::new_spanned(other, format!("#[trace_performance] already makes the span: remove #[{other_name}]"))
    } else if other_name == "trace_performance" {
        syn::Error::new(Span::call_site(), format!("#[trace_performance] already makes the span: remove #[{this}]"))
    } else {
        syn::Error::new_spanned(
            other,
            format!(
                "a function takes one tracekit attribute; #[{this}] already makes the span: remove #[{other_name}]"
            ),
        )
    }
}
