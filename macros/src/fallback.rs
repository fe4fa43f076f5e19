//! What is emitted when the attribute is misused: the errors, plus the
//! function exactly as written, so that the user sees one error and not a
//! cascade of "cannot find function" errors from every caller.

use proc_macro2::TokenStream;
use quote::quote;

pub fn expand(error: syn::Error, item: TokenStream) -> TokenStream {
    let errors = error.to_compile_error();
    quote!(#errors #item)
}
