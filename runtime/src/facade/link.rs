//! What a span can link to: another span, of this trace or another, such
//! as the producer of each message of a batch a consumer takes, or a failed
//! attempt that a retry points at.

use opentelemetry::trace::{SpanContext, TraceContextExt as _};
use opentelemetry::Context;

/// A span to link to: an OpenTelemetry `Context` (such as one
/// [`propagation::extract`](crate::propagation::extract) read from a
/// message) or a `SpanContext`, by value or by reference. A context
/// without a valid span (headers that were missing or malformed) links to
/// nothing.
///
/// ```
/// use tracekit::opentelemetry::trace::SpanContext;
/// use tracekit::LinkTarget;
///
/// let nothing = tracekit::opentelemetry::Context::new();
/// assert!(nothing.link_target().is_none());
/// assert!(SpanContext::empty_context().link_target().is_none());
/// ```
#[diagnostic::on_unimplemented(
    message = "a span cannot link to `{Self}`",
    label = "not a `Context` or `SpanContext`",
    note = "link to contexts: `links = [tracekit::propagation::extract(&message.headers)]`, or any iterator of them"
)]
pub trait LinkTarget {
    /// The span linked to, if it is valid.
    fn link_target(&self) -> Option<SpanContext>;
}

impl LinkTarget for Context {
    fn link_target(&self) -> Option<SpanContext> {
        let span = self.span();
        Some(span.span_context().clone()).filter(SpanContext::is_valid)
    }
}

impl LinkTarget for SpanContext {
    fn link_target(&self) -> Option<SpanContext> {
        Some(self.clone()).filter(SpanContext::is_valid)
    }
}

impl<T: LinkTarget + ?Sized> LinkTarget for &T {
    fn link_target(&self) -> Option<SpanContext> {
        (**self).link_target()
    }
}
