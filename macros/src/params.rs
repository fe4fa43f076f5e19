//! The named parameters of a signature: the ones `include_args` can record.

use syn::{FnArg, Ident, Pat, Signature};

pub struct Param<'a> {
    pub ident: &'a Ident,
}

/// Parameters bound to a plain identifier (`x: T`, `mut x: T`). Receivers and
/// destructuring patterns have no single name to record, so they are left out.
pub fn named(sig: &Signature) -> impl Iterator<Item = Param<'_>> {
    sig.inputs.iter().filter_map(|input| match input {
        FnArg::Typed(typed) => match &*typed.pat {
            Pat::Ident(pat) if pat.subpat.is_none() => Some(Param { ident: &pat.ident }),
            _ => None,
        },
        FnArg::Receiver(_) => None,
    })
}
