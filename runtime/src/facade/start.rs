//! Starting a span: the one cheap check inline, then the backend's decision.

use super::dispatch;
use super::open::{OpenSpan, SpanStart};
use super::recorder::Recorder;
use opentelemetry::trace::TraceContextExt as _;
use opentelemetry::Context;

impl OpenSpan {
    /// Starts a child of the current context. `record` runs only when the
    /// span is recorded (sampled), so its values are never computed otherwise.
    /// `parent` gives the context to continue (such as a remote one
    /// extracted from headers); `None` means the current context.
    #[inline(always)]
    pub(crate) fn start(
        start: impl FnOnce() -> SpanStart,
        parent: impl FnOnce() -> Option<Context>,
        record: &mut dyn FnMut(&mut Recorder),
    ) -> Option<OpenSpan> {
        if !dispatch::is_active() {
            return None;
        }
        Self::start_recording(start, parent, record)
    }

    /// Everything past the one check, kept out of line so that an annotated
    /// call stays small while nothing records.
    #[inline(never)]
    fn start_recording(
        start: impl FnOnce() -> SpanStart,
        parent: impl FnOnce() -> Option<Context>,
        record: &mut dyn FnMut(&mut Recorder),
    ) -> Option<OpenSpan> {
        let parent = match parent() {
            Some(given) => {
                let given = dispatch::adopt(given);
                if dispatch::skips(&given) {
                    // What runs under a skipped span keeps its trace and its
                    // decision: an unsampled parent stays unsampled downstream.
                    let cx = own_span_if_first(&given).unwrap_or(given);
                    return Some(OpenSpan { cx, recording: false });
                }
                given
            }
            // Decided on the borrowed context: a skipped span under one of
            // this process's spans clones nothing, as the current context
            // already carries the trace, the decision and a span id of this
            // process to send on.
            None => {
                let skipped = Context::map_current(|current| {
                    if !dispatch::skips(current) {
                        return None;
                    }
                    Some(own_span_if_first(current))
                });
                match skipped {
                    Some(Some(cx)) => return Some(OpenSpan { cx, recording: false }),
                    Some(None) => return None,
                    None => Context::current(),
                }
            }
        };
        dispatch::start_span(&parent, start(), record)
    }
}

/// For a skipped span that begins this process's part of a trace (under
/// no span, or a remote one): `parent` with a non-recording span of this
/// process, to send on. `None` under one of this process's own spans.
fn own_span_if_first(parent: &Context) -> Option<Context> {
    (!is_local(parent)).then(|| dispatch::not_recorded(parent)).flatten()
}

/// Whether `context`'s span is one of this process's, so that a skipped
/// span under it need not make one of its own.
fn is_local(context: &Context) -> bool {
    let span = context.span();
    let span_context = span.span_context();
    span_context.is_valid() && !span_context.is_remote()
}
