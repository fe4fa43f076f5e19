//! The compile-time facts of one annotated function.

use opentelemetry::trace::SpanKind;
use std::sync::atomic::AtomicUsize;
use std::sync::OnceLock;
use std::time::Duration;

/// Everything about an annotated function that is known at compile time.
/// One `static` per function, so a call allocates nothing for its name or
/// code location.
#[derive(Debug)]
#[cfg_attr(not(feature = "pipeline"), allow(dead_code, reason = "the pipeline records the code location"))]
pub struct Callsite {
    pub(crate) name: &'static str,
    /// The compiler's name of an item nested in the function, from which
    /// its path is read once, when first exported.
    nested_item: fn() -> &'static str,
    function: OnceLock<String>,
    pub(crate) file: &'static str,
    pub(crate) line: u32,
    pub(crate) kind: SpanKind,
    pub(crate) threshold: Option<Duration>,
    /// Where the threads keep this function's metrics meter (`metered.rs`).
    pub(crate) meter_slot: AtomicUsize,
    /// For a `tracing` span's callsite, its metadata, which gives the
    /// span's file and line (see [`Callsite::of_tracing`]).
    #[cfg(feature = "tracing")]
    pub(crate) metadata: Option<&'static tracing::Metadata<'static>>,
}

impl Callsite {
    /// Made by the expansion: the span name, the name of an item nested in
    /// the function, the file and line of the signature, the kind and
    /// `trace_performance`'s threshold.
    pub const fn new(
        name: &'static str,
        nested_item: fn() -> &'static str,
        file: &'static str,
        line: u32,
        kind: SpanKind,
        threshold: Option<Duration>,
    ) -> Self {
        Callsite {
            name,
            nested_item,
            function: OnceLock::new(),
            file,
            line,
            kind,
            threshold,
            meter_slot: AtomicUsize::new(0),
            #[cfg(feature = "tracing")]
            metadata: None,
        }
    }

    /// The callsite of the `tracing` spans of `metadata`, so that they
    /// start and end on lanes as annotated calls do: named as `tracing`
    /// names them, internal, their code location read from the metadata.
    #[cfg(feature = "tracing")]
    pub(crate) fn of_tracing(metadata: &'static tracing::Metadata<'static>) -> Self {
        let callsite = Callsite::new(metadata.name(), || "", "", 0, SpanKind::Internal, None);
        Callsite { metadata: Some(metadata), ..callsite }
    }

    /// `code.function.name`: `module::Type::method` for a method (of an
    /// inherent or a trait impl, generic or not), `module::function` otherwise.
    #[cfg(feature = "pipeline")]
    pub(crate) fn function(&'static self) -> &'static str {
        self.function.get_or_init(|| function_path((self.nested_item)()))
    }
}

/// The function's path from the compiler's name of an item nested in it
/// (`<crate::m::T<u8> as crate::Trait>::f::{{closure}}::__TRACEKIT_CALLSITE::..`):
/// up to the expansion's own items, without closures, trait qualifications
/// or generic arguments (`crate::m::T::f`).
#[cfg(feature = "pipeline")]
fn function_path(nested_item: &str) -> String {
    let function = nested_item.split("::__TRACEKIT_CALLSITE").next().unwrap_or(nested_item);
    // `<Type as Trait>::rest` names the method by its type: `Type::rest`.
    let unqualified = match function.strip_prefix('<').and_then(|inside| Some((inside, closing(inside)?))) {
        Some((inside, close)) => {
            let qualified = &inside[..close];
            let the_type = match top_level(qualified, " as ") {
                Some(at) => &qualified[..at],
                None => qualified,
            };
            format!("{the_type}{}", &inside[close + 1..])
        }
        None => function.to_owned(),
    };
    let mut path = String::with_capacity(unqualified.len());
    let mut depth = 0usize;
    for c in unqualified.chars() {
        match c {
            '<' => depth += 1,
            '>' => depth = depth.saturating_sub(1),
            _ if depth == 0 => path.push(c),
            _ => {}
        }
    }
    // A function nested in a `#[track_caller]` one sits in the expansion's `__tracekit_body`.
    path.replace("::{{closure}}", "").replace("::__tracekit_body", "")
}

/// Where the `>` closing an opened `<` is in `text` (which follows the `<`).
#[cfg(feature = "pipeline")]
fn closing(text: &str) -> Option<usize> {
    let mut depth = 1usize;
    for (at, c) in text.char_indices() {
        match c {
            '<' => depth += 1,
            '>' => {
                depth -= 1;
                if depth == 0 {
                    return Some(at);
                }
            }
            _ => {}
        }
    }
    None
}

/// Where `needle` is in `text` outside any `<..>`.
#[cfg(feature = "pipeline")]
fn top_level(text: &str, needle: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (at, c) in text.char_indices() {
        match c {
            '<' => depth += 1,
            '>' => depth = depth.saturating_sub(1),
            _ if depth == 0 && text[at..].starts_with(needle) => return Some(at),
            _ => {}
        }
    }
    None
}

#[cfg(all(test, feature = "pipeline"))]
mod tests {
    use super::function_path;

    #[test]
    fn the_path_of_a_function_is_read_from_an_item_nested_in_it() {
        let cases = [
            ("shop::repo::load::__TRACEKIT_CALLSITE::__TracekitHere", "shop::repo::load"),
            ("shop::repo::Orders::load::__TRACEKIT_CALLSITE::__TracekitHere", "shop::repo::Orders::load"),
            ("shop::repo::Orders::load::{{closure}}::__TRACEKIT_CALLSITE::__TracekitHere", "shop::repo::Orders::load"),
            ("shop::repo::Gen<_>::get::__TRACEKIT_CALLSITE::__TracekitHere", "shop::repo::Gen::get"),
            (
                "<shop::repo::Gen<u8> as shop::Load<Vec<u8>>>::load::__TRACEKIT_CALLSITE::__TracekitHere",
                "shop::repo::Gen::load",
            ),
            (
                "<shop::Users as shop::Load>::load::{{closure}}::__TRACEKIT_CALLSITE::__TracekitHere",
                "shop::Users::load",
            ),
            ("shop::check::__tracekit_body::helper::__TRACEKIT_CALLSITE::__TracekitHere", "shop::check::helper"),
        ];
        for (nested, expected) in cases {
            assert_eq!(function_path(nested), expected, "{nested}");
        }
    }
}
