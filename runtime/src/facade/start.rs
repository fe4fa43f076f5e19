//! Starting a span: the one cheap check inline, then the backend's decision.

use super::dispatch::{self, CaptureBackend};
use super::open::{OpenSpan, SpanStart};
use super::recorder::Recorder;
use super::stack::{self, Parent};
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
        let (parent, capture, given) = match parent() {
            Some(given) => {
                let given = dispatch::adopt(given);
                let capture = given.get::<CaptureBackend>().cloned();
                (Parent::in_context(given.clone()), capture, Some(given))
            }
            None => {
                let (parent, capture) = stack::current_parent(|current| current.get::<CaptureBackend>().cloned());
                (parent, capture, None)
            }
        };
        let mut open = dispatch::with_backend(capture.as_ref(), |backend| {
            if !backend.skips(&parent) {
                return Some(backend.start(&parent, start(), record));
            }
            // What runs under a skipped span keeps its trace and its
            // decision: an unsampled parent stays unsampled downstream. A
            // skipped span under one of this process's spans makes nothing,
            // as that span's ids are current already.
            match parent.is_local_span() {
                false => backend.not_recorded(&parent).map(OpenSpan::not_recorded),
                true => None,
            }
        })
        .flatten();
        if let Some(given) = given {
            // The given context's values (baggage, a received trace state,
            // a capture) are current while the span is.
            match &mut open {
                Some(open) => open.carry(|| given),
                None => open = Some(OpenSpan::carrying(given)),
            }
        }
        open
    }
}
