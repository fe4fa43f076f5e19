//! Starting a span: the one cheap check inline, then the backend's decision.

use super::dispatch;
use super::open::{OpenSpan, SpanStart};
use super::recorder::Recorder;
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
                    // The given context becomes current all the same, so that
                    // what runs under it keeps its trace and its decision
                    // (an unsampled remote parent stays unsampled downstream).
                    return Some(OpenSpan { cx: given, recording: false });
                }
                given
            }
            // Decided on the borrowed context: a skipped span clones nothing.
            // The current context already carries the trace and its decision.
            None if Context::map_current(dispatch::skips) => return None,
            None => Context::current(),
        };
        dispatch::start_span(&parent, start(), record)
    }
}
