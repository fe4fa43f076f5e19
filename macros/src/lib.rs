//! Attribute macros of [tracekit](https://docs.rs/tracekit).
//!
//! Depend on `tracekit`, not on this crate: the generated code calls into
//! `::tracekit::__private`, and `tracekit` re-exports these attributes with
//! their full documentation.

mod attr;
mod body;
mod errors;
mod expand;
mod fallback;
mod impl_block;
mod item;
mod model;
mod params;
mod signature;
mod valid;

use attr::Flavor;
use errors::Errors;
use item::MaybeItemFn;
use proc_macro::TokenStream;

/// Traces a function: see `tracekit::trace_operation`.
#[proc_macro_attribute]
pub fn trace_operation(args: TokenStream, item: TokenStream) -> TokenStream {
    instrument(Flavor::Operation, args, item)
}

/// Traces an `async fn` from first poll to completion: see `tracekit::trace_async`.
#[proc_macro_attribute]
pub fn trace_async(args: TokenStream, item: TokenStream) -> TokenStream {
    instrument(Flavor::Async, args, item)
}

/// Traces a function and warns when it runs past a threshold: see
/// `tracekit::trace_performance`.
#[proc_macro_attribute]
pub fn trace_performance(args: TokenStream, item: TokenStream) -> TokenStream {
    instrument(Flavor::Performance, args, item)
}

fn instrument(flavor: Flavor, args: TokenStream, item: TokenStream) -> TokenStream {
    match try_expand(flavor, args.into(), item.into()) {
        Ok(expanded) => expanded.into(),
        Err(rejected) => fallback::expand(rejected.errors, rejected.item, rejected.expression).into(),
    }
}

/// Parsing, validation and expansion, in that order, each taking the
/// previous one's output. Every error of the arguments and of the function
/// is reported at once.
fn try_expand(
    flavor: Flavor,
    args: proc_macro2::TokenStream,
    item: proc_macro2::TokenStream,
) -> Result<proc_macro2::TokenStream, Rejected> {
    let mut errors = Errors::default();
    let args = attr::parse(flavor, args, &mut errors);
    let args_ok = errors.len() == 0;
    if impl_block::looks_like_impl(&item) {
        // A block that does not parse is left to rustc, which reports the
        // user's own syntax error better than a macro could.
        let Ok(block) = syn::parse2::<syn::ItemImpl>(item.clone()) else { return Ok(item) };
        return impl_block::expand(flavor, &args, args_ok, block, errors);
    }
    let function = match syn::parse2::<MaybeItemFn>(item.clone()) {
        Ok(function) => function,
        Err(error) => {
            let expression = syn::parse2::<syn::ExprClosure>(item.clone()).is_ok();
            errors.push(not_a_function(flavor, expression, error));
            return Err(Rejected { errors, item, expression });
        }
    };
    let threshold_ms = valid::threshold(flavor, &args, args_ok, &mut errors);
    let traced = valid::check(flavor, &args, &function, threshold_ms, None, &mut errors);
    match traced {
        Some(traced) if errors.len() == 0 => Ok(traced.expand()),
        _ => Err(Rejected { errors, item, expression: false }),
    }
}

/// What is emitted when the attribute is misused: see [`fallback`].
pub(crate) struct Rejected {
    pub(crate) errors: Errors,
    /// The item to give back, as written.
    pub(crate) item: proc_macro2::TokenStream,
    /// The item is an expression (a closure).
    pub(crate) expression: bool,
}

/// The error for something that is not a function. A closure (an
/// attribute on an expression, which rustc refuses already) gets advice of
/// its own.
fn not_a_function(flavor: Flavor, is_closure: bool, error: syn::Error) -> syn::Error {
    let this = flavor.attribute_name();
    if is_closure {
        return syn::Error::new(
            proc_macro2::Span::call_site(),
            format!(
                "#[{this}] goes on a function, not a closure: move the closure's body into a fn and annotate it, \
                 or wrap the body in `tracekit::span(\"name\").in_scope(|| ..)`"
            ),
        );
    }
    syn::Error::new(error.span(), format!("#[{this}] goes on a function: {error}"))
}
