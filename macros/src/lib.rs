//! Attribute macros of [tracekit](https://docs.rs/tracekit).
//!
//! Depend on `tracekit`, not on this crate: the generated code calls into
//! `::tracekit::__private`, and `tracekit` re-exports these attributes with
//! their full documentation.

mod attr;
mod expand;
mod fallback;
mod impl_block;
mod item;
mod params;
mod valid;

use attr::{Errors, Flavor};
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
    let item = proc_macro2::TokenStream::from(item);
    match try_expand(flavor, args.into(), item.clone()) {
        Ok(expanded) => expanded.into(),
        Err(error) => fallback::expand(error, item).into(),
    }
}

/// Parsing, validation and expansion, in that order. Every error of the
/// arguments and of the function is reported at once.
fn try_expand(
    flavor: Flavor,
    args: proc_macro2::TokenStream,
    item: proc_macro2::TokenStream,
) -> syn::Result<proc_macro2::TokenStream> {
    let mut errors = Errors::default();
    let args = attr::parse(flavor, args, &mut errors);
    if impl_block::looks_like_impl(&item) {
        // A block that does not parse is left to rustc, which reports the
        // user's own syntax error better than a macro could.
        let Ok(block) = syn::parse2::<syn::ItemImpl>(item.clone()) else { return Ok(item) };
        let expanded = impl_block::expand(flavor, &args, block, &mut errors);
        errors.finish()?;
        return Ok(expanded);
    }
    let function = syn::parse2::<MaybeItemFn>(item).map_err(|error| {
        syn::Error::new(error.span(), format!("#[{}] goes on a function: {error}", flavor.attribute_name()))
    });
    match &function {
        Ok(function) => valid::check(flavor, &args, function, &mut errors),
        Err(error) => errors.push(error.clone()),
    }
    errors.finish()?;
    let expansion = expand::Expansion { flavor, args: &args, qualifier: None };
    Ok(expansion.expand(&function?))
}
