//! What is emitted when the attribute is misused: the errors, plus the item
//! as written, so that the user sees the mistake once and not a cascade of
//! "cannot find function" errors from every caller. An impl block is given
//! back without its `#[no_trace]` markers, which only an instrumented block
//! understands (rustc would report each one).

use crate::errors::Errors;
use proc_macro2::TokenStream;
use quote::quote;

/// `expression`: the item is an expression (a closure), given back as a
/// block holding the errors and it, which is an expression still.
pub fn expand(errors: Errors, item: TokenStream, expression: bool) -> TokenStream {
    let errors = errors.finish().err().map(|error| error.to_compile_error());
    if expression {
        quote!({ #errors #item })
    } else {
        quote!(#errors #item)
    }
}
