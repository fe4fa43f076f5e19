//! The instrumentation scope tracekit's spans are made under.

use opentelemetry::InstrumentationScope;

/// The instrumentation scope of every span tracekit makes. Built for each
/// span that needs its own: from static text, that is a few stores, where
/// a clone of a shared one walks each field.
#[inline]
pub(crate) fn scope() -> InstrumentationScope {
    InstrumentationScope::builder("tracekit").with_version(env!("CARGO_PKG_VERSION")).build()
}
