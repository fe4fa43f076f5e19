//! The annotated function, parsed without its body.
//!
//! Only the signature is parsed; the body is kept as raw tokens so that a
//! syntax error inside it is reported by rustc at the user's token, and so
//! that editors keep completing inside a half-written function.

use proc_macro2::{Delimiter, Group, TokenStream, TokenTree};
use quote::ToTokens;
use syn::parse::{Parse, ParseStream};
use syn::{Attribute, Signature, Token, Visibility};

pub struct MaybeItemFn {
    pub attrs: Vec<Attribute>,
    pub vis: Visibility,
    pub sig: Signature,
    pub body: Body,
}

pub enum Body {
    /// `{ .. }`, unparsed.
    Block(Group),
    /// `;`: a function without a body, as in an `extern` block.
    Missing(Token![;]),
}

impl Parse for MaybeItemFn {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis = input.parse()?;
        let sig = input.parse()?;
        let body = if input.peek(Token![;]) {
            Body::Missing(input.parse()?)
        } else {
            let body: TokenTree = input.parse()?;
            match visible(body) {
                TokenTree::Group(group) if group.delimiter() == Delimiter::Brace => Body::Block(group),
                other => return Err(syn::Error::new(other.span(), "expected the function body `{ .. }`")),
            }
        };
        Ok(MaybeItemFn { attrs, vis, sig, body })
    }
}

impl ToTokens for MaybeItemFn {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        for attr in &self.attrs {
            attr.to_tokens(tokens);
        }
        self.vis.to_tokens(tokens);
        self.sig.to_tokens(tokens);
        match &self.body {
            Body::Block(group) => group.to_tokens(tokens),
            Body::Missing(semi) => semi.to_tokens(tokens),
        }
    }
}

/// A token as written, out of the invisible groups a `macro_rules!`
/// fragment (`$body:block`) arrives in.
fn visible(token: TokenTree) -> TokenTree {
    match token {
        TokenTree::Group(group) if group.delimiter() == Delimiter::None => {
            let mut inside = group.stream().into_iter();
            match (inside.next(), inside.next()) {
                (Some(only), None) => visible(only),
                _ => TokenTree::Group(group),
            }
        }
        other => other,
    }
}
