//! One function to trace, as validation leaves it for expansion: every
//! option already checked and resolved, so that expansion only emits tokens.

use crate::attr::Args;
use crate::item::MaybeItemFn;
use proc_macro2::{Group, Ident};
use syn::Attribute;

pub struct Traced<'a> {
    pub item: &'a MaybeItemFn,
    pub body: &'a Group,
    pub args: &'a Args,
    /// The span's name: `name = ..`, else `fn_name` or `Type::fn_name`.
    pub name: String,
    /// The `SpanKind` variant.
    pub kind: Ident,
    pub threshold_ms: Option<u64>,
    /// Where an error about recording the result points: `include_result`
    /// on a function, the method's return type in an impl block (so that
    /// each method's error is its own).
    pub result_span: Option<proc_macro2::Span>,
    /// The arguments `include_args` records, in order.
    pub recorded: Vec<Recorded<'a>>,
    pub shape: Shape,
    /// The return type with `impl Trait` erased, as a local can be
    /// declared with; `None` when it cannot be written (or is `()`).
    pub writable_return: Option<syn::Type>,
    /// Whether a `?` in the body leaves the function (its return type
    /// takes one), rather than the closure the body runs in.
    pub question_marks_leave: bool,
    /// Whether the function gives back a value whose outcome is recorded.
    pub has_outcome: bool,
    /// `#[track_caller]`: the body runs in the function itself, not in a
    /// closure, so that `Location::caller()` still sees the caller.
    pub track_caller: bool,
    /// The type and const parameters of the `impl` around the function,
    /// when the attribute is on the block and so can see them; `None` for
    /// a function annotated on its own.
    pub impl_generics: Option<Vec<String>>,
    /// Where a `#[track_caller]` method's body can run as a method of its
    /// own, when a fn nested in it cannot (it uses `self`, `Self` or the
    /// impl's generics).
    pub body_home: BodyHome,
    /// Whether a synchronous body's value may be a future under another
    /// name (an alias, `Self::Future`), so that its type decides, at
    /// compile time, whether the span ends with the body or with the future.
    pub may_be_future: bool,
}

/// One argument recorded as `arg.<name>`.
pub struct Recorded<'a> {
    pub ident: &'a Ident,
    pub key: String,
    pub redacted: bool,
    /// Its parameter's `#[cfg(..)]`s, put on the recording too.
    pub cfgs: Vec<&'a Attribute>,
}

/// What the function gives back, which decides how its span is kept.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Nothing to record (no return type, or `!`): the body stays inline.
    Unit,
    /// A value, perhaps a `Result`, recorded when the body ends.
    Value,
    /// An `async fn`: the span covers the future, from its first poll.
    Async,
    /// A function that returns a future: the span starts at the call and
    /// covers the returned future. `named`: its type has a name (`Pin<Box<dyn
    /// Future>>` as `#[async_trait]` makes, an alias, an associated type), and
    /// the traced future is made that type again through
    /// `__private::ReturnedFuture`; otherwise it is an `impl Future`.
    Future { named: bool },
}

/// Where the body of a `#[track_caller]` method can run, beside the method.
pub enum BodyHome {
    /// Nowhere known: a method annotated on its own without a visibility may
    /// be a trait's, whose impl cannot take another method.
    Unknown,
    /// A hidden method beside it in its inherent impl: the block says the
    /// impl is inherent, or the method's own visibility does (a trait's
    /// methods cannot have one).
    Inherent,
    /// A method of a private trait the block's expansion declares beside a
    /// trait impl. See `impl_block::BodiesTrait`.
    BodiesTrait {
        /// The trait's path with the impl's generic arguments.
        path: proc_macro2::TokenStream,
        /// The implemented trait's path without generic arguments, brought
        /// into scope in each body so that `Self::item` finds its items as
        /// it did in the trait impl.
        implemented: proc_macro2::TokenStream,
    },
}
