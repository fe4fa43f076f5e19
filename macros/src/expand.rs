//! Token generation from the checked [`Traced`] model.
//!
//! Generated code names the runtime only through `::tracekit::__private` (or
//! `<crate = path>::__private`), and its locals use `Span::mixed_site()` so
//! they cannot collide with the user's.

use crate::body::{self, Exit, Rewrite};
use crate::model::{BodyHome, Shape, Traced};
use proc_macro2::{Delimiter, Group, Ident, Span, TokenStream};
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::Type;

/// The names of the generated locals, hygienic.
struct Locals {
    callsite: Ident,
    span: Ident,
    result: Ident,
    recorder: Ident,
    future: Ident,
}

impl Locals {
    fn new() -> Self {
        let local = |name: &str| Ident::new(name, Span::mixed_site());
        Locals {
            callsite: local("__TRACEKIT_CALLSITE"),
            span: local("__tracekit_span"),
            result: local("__tracekit_result"),
            recorder: local("__tracekit_recorder"),
            future: local("__tracekit_future"),
        }
    }
}

impl Traced<'_> {
    /// `::tracekit::__private`, or `<crate = path>::__private`.
    fn private(&self) -> TokenStream {
        match &self.args.crate_path {
            Some(path) => quote!(#path::__private),
            None => quote!(::tracekit::__private),
        }
    }

    pub fn expand(&self) -> TokenStream {
        self.expand_in_impl().0
    }

    /// The function, and the method its body runs in when that belongs to
    /// the bodies trait the impl block's expansion declares.
    pub fn expand_in_impl(&self) -> (TokenStream, Option<BodiesTraitMethod>) {
        let private = self.private();
        let Locals { callsite, span, result, recorder, future } = &Locals::new();
        let attrs = &self.item.attrs;
        let vis = &self.item.vis;
        let sig = &self.item.sig;
        let callsite_static = self.callsite_static(callsite);
        let parent = self.parent();
        let record_start = self.record_start(recorder);
        let record_finish = self.record_finish(result, recorder);
        let end_value = self.end_value(&record_finish);
        let writable = self.writable_return.clone();
        let fake_return = fake_return(writable.as_ref());
        // The body's inner attributes (`#![allow(..)]`) stay at the top of
        // the function's body; its `?`s exit as they would in the function.
        let returns = writable.as_ref();
        // A return type that takes `?` keeps the body's `?`s as written, so
        // that rustc words their errors (a conversion that fails, say) as it
        // does without the attribute; with another, they are rewritten so
        // that the error speaks of the function, not of a closure.
        let question_marks = if self.question_marks_leave { Rewrite::Keep } else { Rewrite::Through };
        let nested = (self.shape == Shape::Value && self.track_caller).then(|| self.nested_body()).flatten();
        let (inner_attrs, body) = match self.shape {
            Shape::Unit | Shape::Future { .. } => (Vec::new(), self.body.to_token_stream()),
            Shape::Value if nested.is_some() => (Vec::new(), self.body.to_token_stream()),
            Shape::Value if self.track_caller => {
                body::rewrite(self.body, &private, Exit::Break(label()), Rewrite::Through, returns)
            }
            Shape::Async | Shape::Value => body::rewrite(self.body, &private, Exit::Return, question_marks, returns),
        };

        // The body's new block takes the span of the user's braces, and with
        // it the user's edition: Rust 2024 drops a block's tail temporaries
        // before its locals, and `if let` scrutinees before `else`.
        let user_block = |statements: TokenStream| {
            let mut block = Group::new(Delimiter::Brace, statements);
            block.set_span(self.body.span());
            block
        };
        // A closure's declared return type fixes the body's type, so that
        // its errors point at the signature as they would without the
        // attribute; an async block's is fixed by an unreachable `return`.
        let closure_returns = returns.map(|ty| quote!(-> #ty));
        let body_block = user_block(body.clone());
        let user_block = user_block(quote!(#fake_return #body));
        let wrapped = match self.shape {
            // Input:  async fn f(a: A) -> R { body }
            // Output: async fn f(a: A) -> R {
            //             static CALLSITE = ..;
            //             let span = AsyncSpan::start(&CALLSITE, parent, |recorder| { record args });
            //             let result = span.instrument(async move { body }).await;
            //             span.finish(|recorder| { record result or error });
            //             result
            //         }
            Shape::Async => quote! {
                #callsite_static
                let mut #span = #private::AsyncSpan::start(&#callsite, #parent, #record_start);
                let #result = #span.instrument(async move #user_block).await;
                #span.finish(#record_finish);
                #result
            },
            // Input:  fn f(a: A) -> impl Future<Output = R> { body }
            // Output: fn f(a: A) -> impl Future<Output = R> {
            //             static CALLSITE = ..;
            //             let span = AsyncSpan::start(&CALLSITE, parent, |recorder| { record args });
            //             let future = span.in_scope(move || body);
            //             async move {
            //                 let result = span.instrument(future).await;
            //                 span.finish(|recorder| { record the output or error });
            //                 result
            //             }
            //         }
            // A future of a named type (`Pin<Box<dyn Future>>`, `#[async_trait]`,
            // an alias, `Self::Future`) is made that type again: for a boxed one,
            // `<Type as ReturnedFuture<_>>::__tracekit_rewrap(async move { .. })`
            // boxes the traced future; the body's closure has the declared
            // type, so that each of its exits coerces to it.
            Shape::Future { named } => {
                let traced = quote! {
                    async move {
                        let #result = #span.instrument(#future).await;
                        #span.finish(#record_finish);
                        #result
                    }
                };
                let (build, traced) = match (named, returns) {
                    (true, Some(ty)) => {
                        let record_output = self.record_output(result, recorder);
                        let traced = quote_spanned! {ty.span()=>
                            <#ty as #private::ReturnedFuture>::__tracekit_traced(#future, #span, #record_output)
                        };
                        (quote!(move || -> #ty #body), traced)
                    }
                    _ => (quote!(move || #body), traced),
                };
                quote! {
                    #callsite_static
                    let mut #span = #private::AsyncSpan::start(&#callsite, #parent, #record_start);
                    let #future = #span.in_scope(#build);
                    #traced
                }
            }
            // Input:  #[track_caller] fn f(a: A) -> R { body }
            // Output: #[track_caller] fn f(a: A) -> R {
            //             static CALLSITE = ..;
            //             let span = SyncSpan::enter(..);
            //             let result: R = 'body: { body, each `return x` a `break 'body x` };
            //             span.finish(|recorder| { record result or error });
            //             result
            //         }
            // No closure: `Location::caller()` in the body sees the caller.
            // Where the signature allows, the body runs in a nested
            // `#[track_caller]` fn instead, which sees the caller as well, and
            // out of which every exit leaves, a macro's `return` included:
            //             #[track_caller] #[inline(always)] fn body(a: A) -> R { body }
            //             let result = body(a);
            Shape::Value if nested.is_some() => {
                let inner_fn = nested
                    .as_ref()
                    .filter(|nested| matches!(nested.placement, Placement::Nested))
                    .map(|nested| &nested.item);
                let call = nested.as_ref().map(|nested| &nested.call);
                quote! {
                    #callsite_static
                    let #span = #private::SyncSpan::enter(&#callsite, #parent, #record_start);
                    #inner_fn
                    let #result = #call;
                    #end_value
                }
            }
            Shape::Value if self.track_caller => {
                let label = label();
                let annotation = returns.map(|ty| quote!(: #ty));
                quote! {
                    #callsite_static
                    let #span = #private::SyncSpan::enter(&#callsite, #parent, #record_start);
                    let #result #annotation = #label: { #user_block };
                    #end_value
                }
            }
            // Input:  fn f(a: A) -> R { body }
            // Output: fn f(a: A) -> R {
            //             static CALLSITE = ..;
            //             let span = SyncSpan::enter(&CALLSITE, parent, |recorder| { record args });
            //             let result = call_once(move || body);
            //             span.finish(|recorder| { record result or error });
            //             result
            //         }
            Shape::Value => quote! {
                #callsite_static
                let #span = #private::SyncSpan::enter(&#callsite, #parent, #record_start);
                let #result = #private::call_once(move || #closure_returns #body_block);
                #end_value
            },
            // Input:  fn f(a: A) { body }
            // Output: fn f(a: A) { static CALLSITE = ..; let span = SyncSpan::enter(..); body }
            // The body stays inline, so `return` and borrows behave exactly as
            // written; dropping the span ends it.
            Shape::Unit => quote! {
                #callsite_static
                let #span = #private::SyncSpan::enter(&#callsite, #parent, #record_start);
                #body
            },
        };

        // The function's braces are the user's, so that the item's span is
        // all the user's code and rustc keeps reporting the user's lints on
        // it (`dead_code` on a function never called, say).
        let mut function_body = Group::new(Delimiter::Brace, quote!(#(#inner_attrs)* #wrapped));
        function_body.set_span(self.body.span());
        // The parameters moved on to the body's fn keep their `mut` there.
        let beside = nested.as_ref().filter(|nested| matches!(nested.placement, Placement::Beside));
        let beside = beside.map(|nested| nested.item.clone());
        let (sig, bodies_trait_method) = match nested {
            Some(NestedBody { outer_sig, item, placement: Placement::InBodiesTrait(declaration), .. }) => {
                (outer_sig, Some(BodiesTraitMethod { declaration, item }))
            }
            Some(nested) => (nested.outer_sig, None),
            None => (sig.clone(), None),
        };
        (quote!(#beside #(#attrs)* #vis #sig #function_body), bodies_trait_method)
    }

    /// The body of a `#[track_caller]` fn as a fn of its own, which every
    /// exit leaves, a macro's `return` included: nested in the function
    /// when the signature can be copied to one, or else, in an inherent
    /// impl, a hidden method beside it, which may use `self`, `Self` and the
    /// impl's generics. Either needs plain named parameters, no `unsafe` or
    /// ABI, and generics it can be called with.
    fn nested_body(&self) -> Option<NestedBody> {
        let sig = &self.item.sig;
        if !matches!(sig.safety, syn::Safety::Default) || sig.abi.is_some() || sig.variadic.is_some() {
            return None;
        }
        let beside = !self.nests_in_a_fn();
        // A lone attribute's function is known to be a method only by its
        // receiver or a `Self`; a block's always is.
        let method = self.impl_generics.is_some() || sig.receiver().is_some() || self.mentions_self();
        if beside && (!method || matches!(self.body_home, BodyHome::Unknown)) {
            return None;
        }
        let mut outer_sig = sig.clone();
        let mut arguments = Vec::new();
        for input in &mut outer_sig.inputs {
            match input {
                syn::FnArg::Receiver(receiver) => {
                    // `mut self` stays `mut` in the method that runs the body.
                    receiver.mutability = None;
                    arguments.push(Ident::new("self", Span::call_site()));
                }
                syn::FnArg::Typed(typed) if !typed.attrs.is_empty() => return None,
                syn::FnArg::Typed(typed) => match &mut *typed.pat {
                    syn::Pat::Ident(binding) if binding.by_ref.is_none() && binding.subpat.is_none() => {
                        binding.mutability = None;
                        arguments.push(binding.ident.clone());
                    }
                    // A pattern (`(a, b): (u32, u32)`) stays in the body's fn;
                    // the function takes the whole value under a name of its
                    // own, unless it records a name the pattern binds.
                    pattern => {
                        let mut bound = Vec::new();
                        crate::params::bound_names(pattern, &mut bound);
                        if bound.iter().any(|name| self.recorded.iter().any(|recorded| recorded.ident == *name)) {
                            return None;
                        }
                        let whole = Ident::new(&format!("__tracekit_argument_{}", arguments.len()), Span::mixed_site());
                        *pattern = syn::Pat::Ident(syn::PatIdent {
                            attrs: Vec::new(),
                            by_ref: None,
                            mutability: None,
                            ident: whole.clone(),
                            subpat: None,
                        });
                        arguments.push(whole);
                    }
                },
            }
        }
        let generic_arguments: Vec<TokenStream> = sig
            .generics
            .params
            .iter()
            .filter_map(|param| match param {
                syn::GenericParam::Type(param) => Some(param.ident.to_token_stream()),
                syn::GenericParam::Const(param) => Some(param.ident.to_token_stream()),
                syn::GenericParam::Lifetime(_) => None,
            })
            .collect();
        let impl_trait_arguments = sig.inputs.iter().any(|input| match input {
            syn::FnArg::Typed(typed) => mentions(typed.ty.to_token_stream(), "impl"),
            syn::FnArg::Receiver(_) => false,
        });
        if impl_trait_arguments && !generic_arguments.is_empty() {
            return None;
        }
        let turbofish = (!generic_arguments.is_empty()).then(|| quote!(::<#(#generic_arguments),*>));
        let mut inner_sig = sig.clone();
        let body = self.body;
        if beside {
            // A method of the impl or of the bodies trait, so named after the traced one.
            let name = format_ident!("__tracekit_body_{}", sig.ident);
            inner_sig.ident = name.clone();
            let body = match &self.body_home {
                // What the trait impl found by `Self::` without an import, the body still finds.
                BodyHome::BodiesTrait { implemented, .. } => {
                    statement_first(body, quote!(#[allow(unused_imports)] use #implemented as _;))
                }
                _ => body.clone(),
            };
            let item = quote! {
                #[track_caller]
                #[inline(always)]
                #[doc(hidden)]
                #[allow(clippy::inline_always, dead_code)]
                #inner_sig #body
            };
            let (call, placement) = match &self.body_home {
                BodyHome::BodiesTrait { path: bodies, .. } => {
                    // Declared without a body, where parameters take no `mut`.
                    let mut declared = outer_sig.clone();
                    declared.ident = name.clone();
                    let declaration = quote!(#declared;);
                    (
                        quote!(<Self as #bodies>::#name #turbofish (#(#arguments),*)),
                        Placement::InBodiesTrait(declaration),
                    )
                }
                _ => (quote!(Self::#name #turbofish (#(#arguments),*)), Placement::Beside),
            };
            return Some(NestedBody { outer_sig, item, call, placement });
        }
        let name = Ident::new("__tracekit_body", Span::mixed_site());
        inner_sig.ident = name.clone();
        let item = quote! {
            #[track_caller]
            #[inline(always)]
            #[allow(clippy::inline_always)]
            #inner_sig #body
        };
        let call = quote!(#name #turbofish (#(#arguments),*));
        Some(NestedBody { outer_sig, item, call, placement: Placement::Nested })
    }

    fn mentions_self(&self) -> bool {
        mentions(self.item.sig.to_token_stream(), "Self") || mentions(self.body.stream(), "Self")
    }

    /// Whether the body can run in a fn nested in the function: no
    /// receiver and no `Self` (a nested fn cannot name the impl's), and
    /// none of the impl's generics. On a block the attribute knows them; a
    /// lone attribute cannot see them, so a name shaped like a type
    /// parameter (`T`, `E2`) that the fn does not declare counts as one.
    fn nests_in_a_fn(&self) -> bool {
        let sig = &self.item.sig;
        if sig.receiver().is_some() || self.mentions_self() {
            return false;
        }
        let declared: Vec<String> = sig.generics.type_params().map(|param| param.ident.to_string()).collect();
        let outer = |ident: &str| match &self.impl_generics {
            Some(impl_generics) => impl_generics.iter().any(|name| name == ident),
            None => looks_like_type_parameter(ident),
        };
        let undeclared_parameter =
            |tokens: TokenStream| idents(tokens).any(|ident| outer(&ident) && !declared.contains(&ident));
        !undeclared_parameter(sig.to_token_stream()) && !undeclared_parameter(self.body.stream())
    }

    /// How a synchronous body's value ends the span: recorded now, or,
    /// where the return type may name a future (an alias, `Self::Future`),
    /// as the type decides through `__private::Finishing`: a boxed future
    /// takes the span along to its end.
    fn end_value(&self, record_finish: &TokenStream) -> TokenStream {
        let private = self.private();
        let Locals { span, result, recorder, .. } = &Locals::new();
        if !self.may_be_future {
            return quote! {
                #span.finish(#record_finish);
                #result
            };
        }
        let record = self.record_output(result, recorder);
        quote! {
            #[allow(unused_imports)]
            use #private::FinishValue as _;
            #private::Finishing(#result).__tracekit_finish(#span, #record)
        }
    }

    fn callsite_static(&self, callsite: &Ident) -> TokenStream {
        let private = self.private();
        let (name, kind) = (&self.name, &self.kind);
        let threshold = match self.threshold_ms {
            Some(ms) => quote!(::core::option::Option::Some(::core::time::Duration::from_millis(#ms))),
            None => quote!(::core::option::Option::None),
        };
        // `line!()` spanned on the fn name reports the line of the user's signature.
        let line = quote_spanned!(self.item.sig.ident.span()=> ::core::line!());
        quote! {
            static #callsite: #private::Callsite = #private::Callsite::new(
                #name,
                // The function's path as the compiler names it (`module::Type::method`,
                // which tokens cannot tell for a method annotated on its own),
                // read from an item nested in it when the span is exported.
                {
                    #[allow(dead_code)]
                    struct __TracekitHere;
                    ::core::any::type_name::<__TracekitHere>
                },
                ::core::file!(),
                #line,
                #private::SpanKind::#kind,
                #threshold,
            );
        }
    }

    /// The parent of the span: the current context, or `parent = expr`,
    /// evaluated only when something records.
    fn parent(&self) -> TokenStream {
        let private = self.private();
        match &self.args.parent {
            Some(expr) => quote_spanned! {expr.span()=>
                || ::core::option::Option::Some(#private::IntoParent::into_parent(#expr))
            },
            None => quote!(#private::current_parent),
        }
    }

    /// The closure that records arguments and `attributes(..)`; it runs only
    /// when the span is recorded, so nothing is evaluated or formatted otherwise.
    fn record_start(&self, recorder: &Ident) -> TokenStream {
        let private = self.private();
        let arguments = self.recorded.iter().map(|argument| {
            let (ident, key, cfgs) = (argument.ident, &argument.key, &argument.cfgs);
            let value = if argument.redacted {
                quote!(#private::redacted())
            } else {
                // Spanned on the parameter, so that a type that cannot
                // be recorded is reported at the parameter's name.
                quote_spanned!(ident.span()=> (&#private::ArgRef(&#ident)).__tracekit_value())
            };
            // Recording `_reserved` is the user's choice, not a use of it.
            let allow = ident.to_string().starts_with('_').then(|| quote!(#[allow(clippy::used_underscore_binding)]));
            quote!(#(#cfgs)* #allow #recorder.attribute(#key, #value);)
        });
        let extras = self.args.attributes.iter().map(|extra| {
            let key = &extra.key;
            let expr = &extra.value;
            let value = quote_spanned!(expr.span()=> (&#private::ArgRef(&(#expr))).__tracekit_value());
            quote!(#recorder.attribute(#key, #value);)
        });
        // Spanned on the expression, so that what cannot be linked to is reported there.
        let links = self.args.links.iter().map(|expr| quote_spanned!(expr.span()=> #recorder.link_all(#expr);));
        let statements: Vec<TokenStream> = arguments.chain(extras).chain(links).collect();
        recording_closure(&private, recorder, &[VALUE_TRAITS], &statements)
    }

    /// The closure that records the outcome: the result (or the `Ok`
    /// value) with `include_result`, and the error of an `Err`.
    fn record_finish(&self, result: &Ident, recorder: &Ident) -> TokenStream {
        let private = self.private();
        let (traits, statements) = self.outcome(quote!(&#result), recorder);
        let closure = recording_closure(&private, recorder, traits, &statements);
        if self.result_span.is_some() || statements.is_empty() {
            return closure;
        }
        // Only a failure is recorded: the type of a value that is not a
        // `Result` says it has none, so the call makes no recorder for it.
        quote! {{
            #[allow(unused_imports)]
            use #private::{OutcomeOfResult as _, OutcomeOfValue as _};
            (&#private::Returned(&#result)).__tracekit_if_fallible(#closure)
        }}
    }

    /// The same for the output of a future of a named type, handed to the
    /// closure by reference: `|output, recorder| { .. }`.
    fn record_output(&self, output: &Ident, recorder: &Ident) -> TokenStream {
        let private = self.private();
        let (traits, statements) = self.outcome(output.to_token_stream(), recorder);
        let traits = traits.iter().flat_map(|group| group.iter()).map(|name| Ident::new(name, Span::call_site()));
        quote! {
            |#output: &_, #recorder: &mut #private::Recorder| {
                #[allow(unused_imports)]
                use #private::{#(#traits as _),*};
                #(#statements)*
            }
        }
    }

    /// What records the outcome of `returned` (a reference to the value),
    /// and the dispatch traits it needs.
    fn outcome(
        &self,
        returned: TokenStream,
        recorder: &Ident,
    ) -> (&'static [&'static [&'static str]], Vec<TokenStream>) {
        let private = self.private();
        // No value (no return type, `!`, or an `async fn` without one): nothing to look at.
        if !self.has_outcome {
            return (&[], Vec::new());
        }
        let (ok_binding, record_ok) = match self.result_span {
            Some(at) => {
                let value = quote_spanned!(at=> (&#private::ArgRef(__tracekit_ok)).__tracekit_value());
                (
                    quote!(__tracekit_ok),
                    quote!(if #recorder.records_values() { #recorder.attribute("result", #value); }),
                )
            }
            None => (quote!(_), TokenStream::new()),
        };
        let statement = quote! {
            match (&#private::Returned(#returned)).__tracekit_outcome() {
                ::core::result::Result::Ok(#ok_binding) => { #record_ok }
                // No closure for the message: it would be compiled once per function.
                ::core::result::Result::Err(__tracekit_error) => {
                    let __tracekit_message = match #recorder.records_values() {
                        true => ::core::option::Option::Some(
                            (&&#private::ErrRef(__tracekit_error)).__tracekit_message(),
                        ),
                        false => ::core::option::Option::None,
                    };
                    #recorder.failed(#private::type_name_of(__tracekit_error), __tracekit_message)
                }
            }
        };
        let traits: &'static [&'static [&'static str]] =
            if self.args.include_result.is_some() { &[OUTCOME_TRAITS, VALUE_TRAITS] } else { &[OUTCOME_TRAITS] };
        (traits, vec![statement])
    }
}

/// A `#[track_caller]` fn's body as a fn of its own: see [`Traced::nested_body`].
struct NestedBody {
    /// The signature, its parameters without `mut` (the body's fn has it).
    outer_sig: syn::Signature,
    item: TokenStream,
    call: TokenStream,
    placement: Placement,
}

/// Where the body's fn goes.
enum Placement {
    /// In the function.
    Nested,
    /// Beside the function, in its inherent impl.
    Beside,
    /// In the impl of the bodies trait beside the function's trait impl,
    /// the trait declaring it as given.
    InBodiesTrait(TokenStream),
}

/// A method of the bodies trait beside a trait impl: see `impl_block::BodiesTrait`.
pub struct BodiesTraitMethod {
    pub declaration: TokenStream,
    pub item: TokenStream,
}

/// `body` with `statement` first, after its inner attributes (`#![..]`),
/// keeping the braces' span.
fn statement_first(body: &Group, statement: TokenStream) -> Group {
    let mut tokens = body.stream().into_iter();
    let mut inner_attributes = TokenStream::new();
    loop {
        let mut ahead = tokens.clone();
        match (ahead.next(), ahead.next(), ahead.next()) {
            (
                Some(proc_macro2::TokenTree::Punct(pound)),
                Some(proc_macro2::TokenTree::Punct(bang)),
                Some(proc_macro2::TokenTree::Group(attribute)),
            ) if pound.as_char() == '#' && bang.as_char() == '!' && attribute.delimiter() == Delimiter::Bracket => {
                inner_attributes.extend(tokens.by_ref().take(3));
            }
            _ => break,
        }
    }
    let rest: TokenStream = tokens.collect();
    let mut group = Group::new(Delimiter::Brace, quote!(#inner_attributes #statement #rest));
    group.set_span(body.span());
    group
}

/// Every identifier in `tokens`, nested groups included.
fn idents(tokens: TokenStream) -> Box<dyn Iterator<Item = String>> {
    Box::new(tokens.into_iter().flat_map(|token| -> Box<dyn Iterator<Item = String>> {
        match token {
            proc_macro2::TokenTree::Ident(ident) => Box::new(std::iter::once(ident.to_string())),
            proc_macro2::TokenTree::Group(group) => idents(group.stream()),
            _ => Box::new(std::iter::empty()),
        }
    }))
}

/// `T`, `E`, `T2`: the names type parameters are usually given.
fn looks_like_type_parameter(ident: &str) -> bool {
    let mut chars = ident.chars();
    chars.next().is_some_and(|first| first.is_ascii_uppercase()) && chars.all(|c| c.is_ascii_digit())
}

/// Whether the keyword or name `word` appears in `tokens`, nested groups included.
fn mentions(tokens: TokenStream, word: &str) -> bool {
    tokens.into_iter().any(|token| match token {
        proc_macro2::TokenTree::Ident(ident) => ident == word,
        proc_macro2::TokenTree::Group(group) => mentions(group.stream(), word),
        _ => false,
    })
}

/// The label of the body's block where it runs in the function itself.
fn label() -> syn::Lifetime {
    syn::Lifetime { apostrophe: Span::mixed_site(), ident: Ident::new("__tracekit_body", Span::mixed_site()) }
}

/// The traits that choose, by type, how a value is recorded.
const VALUE_TRAITS: &[&str] = &["ValueByDebug", "ValueByScalar"];
/// The traits that tell an `Err` from a value, and how an error's message is made.
const OUTCOME_TRAITS: &[&str] = &["ErrorByDebug", "ErrorByDisplay", "ErrorByName", "OutcomeOfResult", "OutcomeOfValue"];

/// A closure over the recorder running `statements`, with only the given
/// dispatch traits in scope: fewer candidates for the compiler to try.
fn recording_closure(
    private: &TokenStream,
    recorder: &Ident,
    traits: &[&[&str]],
    statements: &[TokenStream],
) -> TokenStream {
    if statements.is_empty() {
        return quote!(#private::NothingToRecord);
    }
    let traits = traits.iter().flat_map(|group| group.iter()).map(|name| Ident::new(name, Span::call_site()));
    quote! {
        |#recorder: &mut #private::Recorder| {
            #[allow(unused_imports)]
            use #private::{#(#traits as _),*};
            #(#statements)*
        }
    }
}

/// An unreachable `return` of the declared type at the top of the wrapped
/// body. It fixes the closure's or async block's output type, so `?` converts
/// errors as in the original fn, and type errors point at the signature.
fn fake_return(writable: Option<&Type>) -> TokenStream {
    let Some(ty) = writable else {
        return TokenStream::new();
    };
    // Located at the return type, so "return type inferred here" points at
    // the signature; hygienic, so it cannot clash with the body's names.
    let fake = Ident::new("__tracekit_fake_return", ty.span().resolved_at(Span::mixed_site()));
    quote_spanned! {ty.span()=>
        #[allow(
            unknown_lints,
            unreachable_code,
            clippy::diverging_sub_expression,
            clippy::empty_loop,
            clippy::let_unit_value,
            clippy::needless_return,
            clippy::unreachable
        )]
        if false {
            let #fake: #ty = loop {};
            return #fake;
        }
    }
}
