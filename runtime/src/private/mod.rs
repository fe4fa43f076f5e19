//! What the attribute expansions call. Not a public API: it changes with the
//! macros, which pin this crate's exact version.

mod callsite;
mod guard;
mod question_mark;
mod recorder;
mod values;

pub use callsite::Callsite;
pub use core::ops::ControlFlow;
pub use guard::{current_parent, AsyncSpan, IntoParent, SyncSpan};
pub use opentelemetry::trace::SpanKind;
pub use question_mark::QuestionMark;
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

/// Boxes the traced future of a function that returns a boxed one
/// (`Pin<Box<dyn Future ..>>`, as `#[async_trait]` methods do); the caller's
/// return type makes it a trait object.
#[inline(always)]
pub fn boxed<F: core::future::Future>(future: F) -> core::pin::Pin<Box<F>> {
    Box::pin(future)
}
