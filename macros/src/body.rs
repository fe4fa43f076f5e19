//! The body of a function that returns a value, made to exit as it would
//! without the attribute. Its `?`s go through `__private::QuestionMark`, so
//! that a `?` the function's return type cannot take is reported as being
//! in the function (not in the closure or async block the body runs in).
//! Where the body runs in the function itself (`#[track_caller]`), each
//! `return x` becomes a `break` out of the body's block, so that the result
//! is still recorded.
//!
//! Closures, async blocks and nested items keep their own `?` and `return`;
//! the tokens inside macro calls are not seen. A body that does not parse is
//! left as written, for rustc to report.

use proc_macro2::{Group, Ident, Span, TokenStream};
use quote::{quote, quote_spanned, ToTokens};
use syn::parse::{ParseStream, Parser};
use syn::visit_mut::{self, VisitMut};
use syn::{Attribute, Block, Expr, Item, Lifetime, Type};

/// What becomes of the body's `?`s where the body runs in a closure or an
/// async block of its own.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Rewrite {
    /// Left as written: they leave the closure with its declared type.
    Keep,
    /// Through `__private::QuestionMark`, for the function's return type.
    Through,
}

/// How the body's early exits leave it.
pub enum Exit {
    /// It runs in a closure or async block of its own: `return` already
    /// leaves it, with the function's value.
    Return,
    /// It runs in the function, in a block with this label.
    Break(Lifetime),
}

/// The body's inner attributes, and its statements with their exits
/// rewritten; `returns` is the function's return type, where it can be
/// written (not `impl Trait`), so that a `?` it cannot take is reported as such.
pub fn rewrite(
    body: &Group,
    private: &TokenStream,
    exit: Exit,
    question_marks: Rewrite,
    returns: Option<&Type>,
) -> (Vec<Attribute>, TokenStream) {
    let parser = |input: ParseStream| Ok((input.call(Attribute::parse_inner)?, input.call(Block::parse_within)?));
    let Ok((attrs, mut statements)) = parser.parse2(body.stream()) else {
        return (Vec::new(), body.to_token_stream());
    };
    let returns = returns.map_or_else(|| quote!(_), ToTokens::to_token_stream);
    let mut exits = Exits { private, exit, question_marks, returns };
    for statement in &mut statements {
        exits.visit_stmt_mut(statement);
    }
    (attrs, quote!(#(#statements)*))
}

struct Exits<'a> {
    private: &'a TokenStream,
    exit: Exit,
    question_marks: Rewrite,
    returns: TokenStream,
}

impl Exits<'_> {
    /// Leaves the body with `value`, which is already of the function's type.
    fn leave(&self, value: TokenStream, span: Span) -> TokenStream {
        match &self.exit {
            Exit::Return => quote_spanned!(span=> return #value),
            Exit::Break(label) => quote_spanned!(span=> break #label #value),
        }
    }
}

impl VisitMut for Exits<'_> {
    fn visit_expr_mut(&mut self, expr: &mut Expr) {
        if matches!(expr, Expr::Closure(_) | Expr::Async(_)) {
            return;
        }
        visit_mut::visit_expr_mut(self, expr);
        match expr {
            Expr::Try(tried) if self.question_marks == Rewrite::Through => {
                let question = tried.question_token.span;
                let (operand, private, returns) = (&tried.expr, self.private, &self.returns);
                let value = Ident::new("__tracekit_value", Span::mixed_site());
                let early = Ident::new("__tracekit_early", Span::mixed_site());
                let leave = self.leave(early.to_token_stream(), question);
                *expr = syn::parse_quote_spanned! {question=>
                    match <_ as #private::QuestionMark<#returns>>::__tracekit_branch(#operand) {
                        #private::ControlFlow::Continue(#value) => #value,
                        #private::ControlFlow::Break(#early) => #leave,
                    }
                };
            }
            Expr::Return(returned) if matches!(self.exit, Exit::Break(_)) => {
                let value = returned.expr.as_ref().map_or_else(|| quote!(()), |value| value.to_token_stream());
                let leave = self.leave(value, returned.return_token.span);
                *expr = syn::parse_quote!(#leave);
            }
            _ => {}
        }
    }

    fn visit_item_mut(&mut self, _: &mut Item) {}
}
