//! The names a signature binds: the ones `include_args` can record.

use syn::{Attribute, FnArg, Ident, Pat, Signature};

pub struct Param<'a> {
    pub ident: &'a Ident,
    /// The parameter's `#[cfg(..)]` attributes: a parameter configured away
    /// is not recorded either.
    pub cfgs: Vec<&'a Attribute>,
}

/// Every name the parameters bind: `x: T`, `mut x: T`, and each name of a
/// destructuring pattern (`(a, b): (u32, u32)`, `Point { x, y }: Point`,
/// `Meters(m): Meters`), as `tracing` records them. Receivers are left out.
pub fn named(sig: &Signature) -> impl Iterator<Item = Param<'_>> {
    sig.inputs.iter().flat_map(|input| {
        let mut idents = Vec::new();
        let mut cfgs = Vec::new();
        if let FnArg::Typed(typed) = input {
            bound_names(&typed.pat, &mut idents);
            cfgs = typed.attrs.iter().filter(|attr| attr.path().is_ident("cfg")).collect();
        }
        idents.into_iter().map(move |ident| Param { ident, cfgs: cfgs.clone() })
    })
}

/// The names `pat` binds, in order.
pub fn bound_names<'a>(pat: &'a Pat, idents: &mut Vec<&'a Ident>) {
    match pat {
        Pat::Ident(pat) => {
            idents.push(&pat.ident);
            if let Some((_, sub)) = &pat.subpat {
                bound_names(sub, idents);
            }
        }
        Pat::Tuple(tuple) => tuple.elems.iter().for_each(|pat| bound_names(pat, idents)),
        Pat::TupleStruct(tuple) => tuple.elems.iter().for_each(|pat| bound_names(pat, idents)),
        Pat::Struct(fields) => fields.fields.iter().for_each(|field| bound_names(&field.pat, idents)),
        Pat::Slice(slice) => slice.elems.iter().for_each(|pat| bound_names(pat, idents)),
        Pat::Reference(reference) => bound_names(&reference.pat, idents),
        Pat::Paren(paren) => bound_names(&paren.pat, idents),
        Pat::Type(typed) => bound_names(&typed.pat, idents),
        // `_`, `..`, literals, ranges and paths bind nothing.
        _ => {}
    }
}
