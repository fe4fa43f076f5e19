//! Parsing of the attribute arguments into [`Args`].
//!
//! Each comma-separated argument is parsed on its own, so that every mistake
//! in one attribute is reported at once, each at its own token.

use crate::errors::Errors;
use proc_macro2::{TokenStream, TokenTree};
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::{Expr, ExprLit, Ident, Lit, LitStr, Meta, Token};

/// Which of the three attributes is being expanded.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    Operation,
    Async,
    Performance,
}

impl Flavor {
    pub fn attribute_name(self) -> &'static str {
        match self {
            Flavor::Operation => "trace_operation",
            Flavor::Async => "trace_async",
            Flavor::Performance => "trace_performance",
        }
    }

    /// The options this attribute takes, as error messages list them.
    fn valid_options(self) -> String {
        let taken = OPTIONS.iter().filter(|option| !option.performance_only || self == Flavor::Performance);
        taken.map(|option| option.written).collect::<Vec<_>>().join(", ")
    }
}

/// One option of the attributes: the table every list of them comes from.
struct AttributeOption {
    /// Its key, as it is matched.
    #[cfg_attr(not(test), allow(dead_code, reason = "the test ties the parser and the docs to the table by key"))]
    key: &'static str,
    /// As error messages write it.
    written: &'static str,
    /// Only `#[trace_performance]` takes it.
    performance_only: bool,
}

const fn option(key: &'static str, written: &'static str) -> AttributeOption {
    AttributeOption { key, written, performance_only: false }
}

/// Every option, in the order messages list them.
const OPTIONS: [AttributeOption; 11] = [
    AttributeOption { key: "threshold_ms", written: "threshold_ms = N", performance_only: true },
    option("name", "name = \"..\""),
    option("include_args", "include_args"),
    option("skip", "skip(..)"),
    option("redact", "redact(..)"),
    option("include_result", "include_result"),
    option("kind", "kind = \"..\""),
    option("attributes", "attributes(..)"),
    option("parent", "parent = .."),
    option("links", "links = .."),
    option("crate", "crate = .."),
];

/// The span kinds, as accepted by `kind = ".."`.
pub const KINDS: [&str; 5] = ["internal", "server", "client", "producer", "consumer"];

/// A list of parameter names, as `skip(a, b)` and `redact(c)` take.
#[derive(Clone, Default)]
pub struct NameList {
    /// The option's own name, where errors about the whole list point.
    pub option: Option<Ident>,
    pub names: Vec<Ident>,
}

impl NameList {
    pub fn contains(&self, ident: &Ident) -> bool {
        self.names.iter().any(|name| name == ident)
    }
}

impl Args {
    /// The options that name parameters, with their names in messages.
    pub fn name_lists(&self) -> [(&'static str, &NameList); 2] {
        [("skip", &self.skip), ("redact", &self.redact)]
    }
}

/// One `key = expr` pair of `attributes(..)`; the key is a string literal
/// or a path to a `&'static str` constant, such as a semantic-convention key.
#[derive(Clone)]
pub struct ExtraAttribute {
    pub key: AttributeKey,
    pub value: Expr,
}

#[derive(Clone)]
pub enum AttributeKey {
    Literal(LitStr),
    Constant(syn::Path),
}

impl quote::ToTokens for AttributeKey {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        match self {
            AttributeKey::Literal(lit) => lit.to_tokens(tokens),
            AttributeKey::Constant(path) => path.to_tokens(tokens),
        }
    }
}

impl Parse for ExtraAttribute {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let key = if input.peek(LitStr) {
            AttributeKey::Literal(input.parse()?)
        } else {
            AttributeKey::Constant(input.parse()?)
        };
        input.parse::<Token![=]>()?;
        let value = input.parse()?;
        Ok(ExtraAttribute { key, value })
    }
}

/// The parsed arguments of one attribute.
#[derive(Clone, Default)]
pub struct Args {
    pub name: Option<LitStr>,
    pub include_args: Option<Ident>,
    /// `skip(..)`: arguments left out of `include_args`.
    pub skip: NameList,
    /// `redact(..)`: arguments recorded as `"[REDACTED]"`.
    pub redact: NameList,
    pub include_result: Option<Ident>,
    /// The kind literal, already checked to be one of [`KINDS`].
    pub kind: Option<LitStr>,
    pub attributes: Vec<ExtraAttribute>,
    /// `threshold_ms = N` as written; checked in `valid.rs`.
    pub threshold_ms: Option<ThresholdArg>,
    /// `parent = expr`: the context to continue, such as an extracted remote one.
    pub parent: Option<Expr>,
    /// `links = expr`: the spans this one links to, an iterable of contexts.
    pub links: Option<Expr>,
    /// `crate = path`: where tracekit is, for crates that re-export it.
    pub crate_path: Option<syn::Path>,
}

/// The right-hand side of `threshold_ms = ..`, kept as written so that
/// validation can point at it.
#[derive(Clone)]
pub struct ThresholdArg {
    pub value: Expr,
}

/// Parses every argument it can; the ones in error are left out of the
/// returned `Args`, and their errors pushed to `errors`.
pub fn parse(flavor: Flavor, tokens: TokenStream, errors: &mut Errors) -> Args {
    let mut args = Args::default();
    for segment in split_on_commas(tokens) {
        if let Err(error) = parse_one(flavor, segment, &mut args) {
            errors.push(error);
        }
    }
    args
}

/// Splits at top-level commas; commas inside groups stay with their group.
fn split_on_commas(tokens: TokenStream) -> Vec<TokenStream> {
    let mut segments = vec![TokenStream::new()];
    for token in tokens {
        match &token {
            TokenTree::Punct(p) if p.as_char() == ',' => segments.push(TokenStream::new()),
            _ => segments.last_mut().expect("never empty").extend([token]),
        }
    }
    segments.retain(|segment| !segment.is_empty());
    segments
}

fn parse_one(flavor: Flavor, segment: TokenStream, args: &mut Args) -> syn::Result<()> {
    if let Ok(name) = syn::parse2::<LitStr>(segment.clone()) {
        return set_once(&mut args.name, name.clone(), &name, "name");
    }
    let meta: Meta = syn::parse2(segment.clone()).map_err(|_| {
        syn::Error::new_spanned(
            &segment,
            format!(
                "expected an option of #[{}], such as `include_args` or `name = \"..\"`; valid options are: {}",
                flavor.attribute_name(),
                flavor.valid_options()
            ),
        )
    })?;
    let key = meta.path().get_ident().cloned().ok_or_else(|| unknown(flavor, &meta))?;
    match (key.to_string().as_str(), &meta) {
        ("name", Meta::NameValue(nv)) => {
            let name = string_literal(&nv.value, "name = \"operation_name\"")?;
            set_once(&mut args.name, name, &key, "name")
        }
        ("include_args", Meta::Path(_)) => set_once(&mut args.include_args, key.clone(), &key, "include_args"),
        ("include_result", Meta::Path(_)) => set_once(&mut args.include_result, key.clone(), &key, "include_result"),
        ("skip" | "redact", Meta::List(list)) => {
            let option = key.to_string();
            let list_slot = if option == "skip" { &mut args.skip } else { &mut args.redact };
            set_once(&mut list_slot.option, key.clone(), &key, &option)?;
            list_slot.names =
                // `self` too: `skip(self)` is idiomatic with `tracing`, and receivers are never recorded.
                (|input: ParseStream| Punctuated::<Ident, Token![,]>::parse_terminated_with(input, Ident::parse_any))
                    .parse2(list.tokens.clone())?
                    .into_iter()
                    .collect();
            Ok(())
        }
        ("kind", Meta::NameValue(nv)) => {
            let kind = string_literal(&nv.value, "kind = \"server\"")?;
            if !KINDS.contains(&kind.value().as_str()) {
                return Err(syn::Error::new_spanned(
                    &kind,
                    format!("unknown span kind {:?}; expected one of: {}", kind.value(), KINDS.join(", ")),
                ));
            }
            set_once(&mut args.kind, kind, &key, "kind")
        }
        ("attributes", Meta::List(list)) => {
            if !args.attributes.is_empty() {
                return Err(repeated(&key, "attributes"));
            }
            args.attributes = Punctuated::<ExtraAttribute, Token![,]>::parse_terminated
                .parse2(list.tokens.clone())
                .map_err(|e| {
                    syn::Error::new(
                        e.span(),
                        format!("{e}: expected `\"attribute.key\" = expression` or `path::TO_KEY = expression`"),
                    )
                })?
                .into_iter()
                .collect();
            Ok(())
        }
        ("parent", Meta::NameValue(nv)) => set_once(&mut args.parent, nv.value.clone(), &key, "parent"),
        ("links", Meta::NameValue(nv)) => set_once(&mut args.links, nv.value.clone(), &key, "links"),
        ("crate", Meta::NameValue(nv)) => match &nv.value {
            Expr::Path(path) if path.qself.is_none() => {
                set_once(&mut args.crate_path, path.path.clone(), &key, "crate")
            }
            other => Err(syn::Error::new_spanned(other, "expected a path, as in `crate = ::my_crate::tracekit`")),
        },
        ("threshold_ms", Meta::NameValue(nv)) if flavor == Flavor::Performance => {
            let threshold = ThresholdArg { value: nv.value.clone() };
            set_once(&mut args.threshold_ms, threshold, &key, "threshold_ms")
        }
        ("name" | "kind", _) => Err(syn::Error::new_spanned(&meta, format!("expected `{key} = \"..\"`"))),
        ("threshold_ms", _) if flavor == Flavor::Performance => {
            Err(syn::Error::new_spanned(&meta, "expected `threshold_ms = N` with N a positive integer"))
        }
        ("include_args" | "include_result", _) => {
            Err(syn::Error::new_spanned(&meta, format!("`{key}` takes no value: write `{key}`")))
        }
        ("skip" | "redact", _) => Err(syn::Error::new_spanned(&meta, format!("expected `{key}(arg, ..)`"))),
        ("parent", _) => Err(syn::Error::new_spanned(&meta, "expected `parent = context_expression`")),
        ("links", _) => Err(syn::Error::new_spanned(&meta, "expected `links = contexts`, an iterable of `Context`s")),
        ("crate", _) => Err(syn::Error::new_spanned(&meta, "expected `crate = path::to::tracekit`")),
        ("attributes", _) => Err(syn::Error::new_spanned(&meta, "expected `attributes(\"key\" = expression, ..)`")),
        _ => Err(unknown(flavor, &meta)),
    }
}

fn set_once<T>(slot: &mut Option<T>, value: T, at: &dyn quote::ToTokens, option: &str) -> syn::Result<()> {
    if slot.is_some() {
        return Err(repeated(at, option));
    }
    *slot = Some(value);
    Ok(())
}

fn repeated(at: &dyn quote::ToTokens, option: &str) -> syn::Error {
    syn::Error::new_spanned(at, format!("`{option}` is given more than once; keep one"))
}

fn unknown(flavor: Flavor, meta: &Meta) -> syn::Error {
    let hint = if flavor != Flavor::Performance && meta.path().is_ident("threshold_ms") {
        " (`threshold_ms` belongs to #[trace_performance])".to_owned()
    } else {
        String::new()
    };
    syn::Error::new_spanned(
        meta.path(),
        format!(
            "unknown option for #[{}]{hint}; valid options are: {}",
            flavor.attribute_name(),
            flavor.valid_options()
        ),
    )
}

fn string_literal(expr: &Expr, example: &str) -> syn::Result<LitStr> {
    match expr {
        Expr::Lit(ExprLit { lit: Lit::Str(s), .. }) => Ok(s.clone()),
        other => Err(syn::Error::new_spanned(other, format!("expected a string literal, as in `{example}`"))),
    }
}

const ATTRIBUTES: [&str; 3] = ["trace_operation", "trace_async", "trace_performance"];

/// Whether `attr` is one of tracekit's attributes, by its last path segment.
pub fn is_tracekit_attribute(attr: &syn::Attribute) -> bool {
    attr.path().segments.last().is_some_and(|segment| ATTRIBUTES.iter().any(|name| segment.ident == name))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each option of the table parses (the parser's arms and the table
    /// name the same options), and the docs' option tables list each.
    #[test]
    fn the_option_table_is_what_the_parser_and_the_docs_know() {
        let example = |key: &'static str| -> &'static str {
            match key {
                "threshold_ms" => "threshold_ms = 5",
                "name" => "name = \"x\"",
                "kind" => "kind = \"server\"",
                "skip" => "skip(a)",
                "redact" => "redact(a)",
                "attributes" => "attributes(\"k\" = 1)",
                "parent" => "parent = cx",
                "links" => "links = contexts",
                "crate" => "crate = ::tracekit",
                other => other,
            }
        };
        for option in &OPTIONS {
            let mut errors = Errors::default();
            let tokens: TokenStream = example(option.key).parse().unwrap();
            parse(Flavor::Performance, tokens, &mut errors);
            assert_eq!(errors.len(), 0, "{} does not parse", option.key);
        }
        // The rows of the option table of each: from its header to its first line not a row.
        let table = |doc: &'static str| -> String {
            let rows = doc.lines().skip_while(|line| !line.trim_start_matches("/// ").starts_with("| option |"));
            rows.take_while(|line| line.trim_start_matches("/// ").starts_with('|')).collect::<Vec<_>>().join("\n")
        };
        for doc in [include_str!("../../runtime/src/lib.rs"), include_str!("../../README.md")] {
            let table = table(doc);
            for option in OPTIONS.iter().filter(|option| !option.performance_only) {
                let listed = [format!("| `{}", option.key), format!("| `\"{}\"`", option.key)];
                assert!(
                    listed.iter().any(|row| table.contains(row.as_str())),
                    "`{}` is missing from {table}",
                    option.key
                );
            }
        }
    }
}
