//! Token generation. Everything here has been validated already.
//!
//! Generated code names the runtime only through `::tracekit::__private` (or
//! `<crate = path>::__private`), and its locals use `Span::mixed_site()` so
//! they cannot collide with the user's.

use crate::attr::{self, Args, Flavor};
use crate::item::{Body, MaybeItemFn};
use crate::params;
use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::{ReturnType, Type};

/// What one expansion needs besides the function: where the runtime is, and
/// the type whose method this is (inside an instrumented `impl` block).
pub struct Expansion<'a> {
    pub flavor: Flavor,
    pub args: &'a Args,
    /// `Type` of `impl Type { .. }`, naming spans `Type::method`.
    pub qualifier: Option<String>,
}

impl Expansion<'_> {
    /// `::tracekit::__private`, or `<crate = path>::__private`.
    fn private(&self) -> TokenStream {
        match &self.args.crate_path {
            Some(path) => quote!(#path::__private),
            None => quote!(::tracekit::__private),
        }
    }

    pub fn expand(&self, item: &MaybeItemFn) -> TokenStream {
        let Body::Block(body) = &item.body else { unreachable!("validation rejects functions without a body") };
        let MaybeItemFn { attrs, vis, sig, .. } = item;
        let private = self.private();
        let callsite = Ident::new("__TRACEKIT_CALLSITE", Span::mixed_site());
        let span_local = Ident::new("__tracekit_span", Span::mixed_site());
        let result_local = Ident::new("__tracekit_result", Span::mixed_site());
        let recorder = Ident::new("__tracekit_recorder", Span::mixed_site());

        let callsite_static = self.callsite_static(item, &callsite);
        let parent = self.parent();
        let record_start = self.record_start(item, &recorder);
        let output = ResultShape::of(&sig.output, self.args);
        let record_finish = output.record_finish(&private, &result_local, &recorder);
        let fake_return = fake_return(&sig.output);

        // Input:  async fn f(a: A) -> R { body }
        // Output: async fn f(a: A) -> R {
        //             static CALLSITE = ..;
        //             let span = AsyncSpan::start(&CALLSITE, parent, |recorder| { record args });
        //             let result = span.instrument(async move { body }).await;
        //             span.finish(|recorder| { record result or error });
        //             result
        //         }
        let wrapped = if sig.asyncness.is_some() {
            quote! {
                #callsite_static
                let #span_local = #private::AsyncSpan::start(&#callsite, #parent, #record_start);
                let #result_local = #span_local.instrument(async move { #fake_return #body }).await;
                #span_local.finish(#record_finish);
                #result_local
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
        else if output.needs_result() {
            quote! {
                #callsite_static
                let #span_local = #private::SyncSpan::enter(&#callsite, #parent, #record_start);
                let #result_local = #private::call_once(move || { #fake_return #body });
                #span_local.finish(#record_finish);
                #result_local
            }
        }
        // Input:  fn f(a: A) { body }
        // Output: fn f(a: A) { static CALLSITE = ..; let span = SyncSpan::enter(..); body }
        // The body stays inline, so `return` and borrows behave exactly as
        // written; dropping the span ends it.
        else {
            quote! {
                #callsite_static
                let #span_local = #private::SyncSpan::enter(&#callsite, #parent, #record_start);
                #body
            }
        };

        quote! {
            #(#attrs)*
            #vis #sig {
                #wrapped
            }
        }
    }

    fn callsite_static(&self, item: &MaybeItemFn, callsite: &Ident) -> TokenStream {
        let private = self.private();
        let args = self.args;
        let fn_ident = &item.sig.ident;
        let fn_name = fn_ident.to_string().trim_start_matches("r#").to_owned();
        let qualified = match &self.qualifier {
            Some(ty) => format!("{ty}::{fn_name}"),
            None => fn_name,
        };
        let name = args.name.as_ref().map_or(qualified.clone(), |lit| lit.value());
        let kind = match args.kind.as_ref().map(|lit| lit.value()) {
            Some(kind) => {
                let mut chars = kind.chars();
                let first = chars.next().map(|c| c.to_ascii_uppercase()).into_iter();
                format_ident!("{}", first.chain(chars).collect::<String>())
            }
            None => format_ident!("Internal"),
        };
        let threshold = match args.threshold_ms.as_ref().map(attr::threshold_value) {
            Some(Ok(ms)) if self.flavor == Flavor::Performance => {
                quote!(::core::option::Option::Some(::core::time::Duration::from_millis(#ms)))
            }
            _ => quote!(::core::option::Option::None),
        };
        // `line!()` spanned on the fn name reports the line of the user's signature.
        let line = quote_spanned!(fn_ident.span()=> ::core::line!());
        quote! {
            static #callsite: #private::Callsite = #private::Callsite::new(
                #name,
                ::core::concat!(::core::module_path!(), "::", #qualified),
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
    fn record_start(&self, item: &MaybeItemFn, recorder: &Ident) -> TokenStream {
        let private = self.private();
        let args = self.args;
        let arguments = args
            .include_args
            .as_ref()
            .into_iter()
            .flat_map(|_| params::named(&item.sig))
            .filter(|param| !args.skip.contains(param.ident))
            .map(|param| {
                let ident = param.ident;
                let key = format!("arg.{}", ident.to_string().trim_start_matches("r#"));
                let value = if args.redact.contains(ident) {
                    quote!(#private::redacted())
                } else {
                    // Spanned on the parameter, so that a type that cannot
                    // be recorded is reported at the parameter's name.
                    quote_spanned!(ident.span()=> (&#private::ArgRef(&#ident)).__tracekit_value())
                };
                quote!(#recorder.attribute(#key, #value);)
            });
        let extras = args.attributes.iter().map(|extra| {
            let key = &extra.key;
            let expr = &extra.value;
            let value = quote_spanned!(expr.span()=> (&#private::ArgRef(&(#expr))).__tracekit_value());
            quote!(#recorder.attribute(#key, #value);)
        });
        let statements: Vec<TokenStream> = arguments.chain(extras).collect();
        recording_closure(&private, recorder, &[VALUE_TRAITS], &statements)
    }
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
        return quote!(|_: &mut #private::Recorder| {});
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

/// What happens with the returned value.
enum ResultShape {
    /// Nothing to look at: no return value, or `!`.
    Ignored,
    /// A value that may be a `Result` (decided by its type, so aliases
    /// count); `include` records the value, or the `Ok` value.
    Value { include: Option<Ident> },
}

impl ResultShape {
    fn of(output: &ReturnType, args: &Args) -> Self {
        match output {
            ReturnType::Type(_, ty) if !matches!(**ty, Type::Never(_)) => {
                ResultShape::Value { include: args.include_result.clone() }
            }
            _ => ResultShape::Ignored,
        }
    }

    fn needs_result(&self) -> bool {
        matches!(self, ResultShape::Value { .. })
    }

    fn record_finish(&self, private: &TokenStream, result: &Ident, recorder: &Ident) -> TokenStream {
        let ResultShape::Value { include } = self else {
            return recording_closure(private, recorder, &[], &[]);
        };
        let (ok_binding, record_ok) = match include {
            Some(include) => {
                let value = quote_spanned!(include.span()=> (&#private::ArgRef(__tracekit_ok)).__tracekit_value());
                (quote!(__tracekit_ok), quote!(#recorder.attribute("result", #value);))
            }
            None => (quote!(_), TokenStream::new()),
        };
        let statement = quote! {
            match (&#private::Returned(&#result)).__tracekit_outcome() {
                ::core::result::Result::Ok(#ok_binding) => { #record_ok }
                ::core::result::Result::Err(__tracekit_error) => #recorder.error(
                    #private::type_name_of(__tracekit_error),
                    (&&#private::ErrRef(__tracekit_error)).__tracekit_message(),
                ),
            }
        };
        let traits: &[&[&str]] = if include.is_some() { &[OUTCOME_TRAITS, VALUE_TRAITS] } else { &[OUTCOME_TRAITS] };
        recording_closure(private, recorder, traits, &[statement])
    }
}

/// An unreachable `return` of the declared type at the top of the wrapped
/// body. It fixes the closure's or async block's output type, so `?` converts
/// errors as in the original fn, and type errors point at the signature.
fn fake_return(output: &ReturnType) -> TokenStream {
    let ReturnType::Type(_, ty) = output else {
        return TokenStream::new();
    };
    if contains_impl_trait(ty) {
        return TokenStream::new();
    }
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

fn contains_impl_trait(ty: &Type) -> bool {
    // `impl Trait` cannot be the type of a `let`.
    ty.to_token_stream().to_string().split_whitespace().any(|word| word == "impl")
}
