//! What the attribute expansions call. Not a public API: it changes with the
//! macros, which pin this crate's exact version.

mod callsite;
mod guard;
mod recorder;
mod values;

pub use callsite::Callsite;
pub use guard::{current_parent, AsyncSpan, IntoParent, SyncSpan};
pub use opentelemetry::trace::SpanKind;
pub use recorder::Recorder;
pub use values::{
    type_name_of, ArgRef, ErrRef, ErrorByDebug, ErrorByDisplay, ErrorByName, NotAnError, OutcomeOfResult,
    OutcomeOfValue, Recordable, Returned, ValueByDebug, ValueByScalar,
};

/// What `redact(..)` records in place of the argument.
pub fn redacted() -> opentelemetry::Value {
    opentelemetry::Value::String(opentelemetry::StringValue::from("[REDACTED]"))
}

/// Runs the wrapped body of a synchronous function. Passing the closure
/// through an `FnOnce` bound lets the body move out of its captures (such as
/// returning `&mut self.field`), exactly as the original function could.
#[inline(always)]
pub fn call_once<R>(body: impl FnOnce() -> R) -> R {
    body()
}
