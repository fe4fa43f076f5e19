//! Starting a span: the one cheap check inline, then the backend's decision.
//! A free function rather than a method of [`OpenSpan`], whose file the
//! backends import: it asks the dispatcher, which names `OpenSpan`.

use super::dispatch::{self, CaptureBackend};
use super::open::{OpenSpan, SpanStart};
use super::recorder::Recorder;
use super::stack::{self, Parent};
use opentelemetry::trace::{SpanContext, TraceContextExt as _};
use opentelemetry::Context;

/// Starts a child of the current context. `record` runs only when the span
/// is recorded (sampled), so its values are never computed otherwise.
/// `parent` gives the context to continue (such as a remote one extracted
/// from headers); `None` means the current context.
#[inline(always)]
pub(crate) fn start_span(
    start: impl FnOnce() -> SpanStart,
    parent: impl FnOnce() -> Option<Context>,
    record: &mut dyn FnMut(&mut Recorder),
) -> Option<OpenSpan> {
    if !dispatch::is_active() {
        return None;
    }
    start_recording(start, parent, record)
}

/// Everything past the one check, kept out of line so that an annotated
/// call stays small while nothing records.
#[inline(never)]
fn start_recording(
    start: impl FnOnce() -> SpanStart,
    parent: impl FnOnce() -> Option<Context>,
    record: &mut dyn FnMut(&mut Recorder),
) -> Option<OpenSpan> {
    // `asked`: the backend was asked already, and does not skip.
    let (parent, capture, given, asked) = match parent() {
        Some(given) => {
            let given = dispatch::adopt(given);
            let capture = given.get::<CaptureBackend>().cloned();
            (Parent::in_context(given.clone()), capture, Some(given), false)
        }
        None => {
            let (parent, capture, asked) = match look_at_current_parent() {
                Look::Skipped => return None,
                Look::Frame { parent, capture, asked } => (parent, capture, asked),
                Look::Context(context, capture) => (Parent::in_context(context), capture, false),
            };
            (parent, capture, None, asked)
        }
    };
    let mut open = dispatch::with_backend(capture.as_ref(), |backend| {
        if asked || !backend.skips(&parent.ids) {
            return Some(backend.start(&parent, start(), record));
        }
        // What runs under a skipped span keeps its trace and its
        // decision: an unsampled parent stays unsampled downstream.
        match stack::is_local(&parent.ids) {
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

/// Whether the backend that applies skips a span under `parent`; with no
/// backend, nothing records.
fn skips(capture: Option<&CaptureBackend>, parent: &SpanContext) -> bool {
    dispatch::with_backend(capture, |backend| backend.skips(parent)).unwrap_or(true)
}

/// What one look at the current parent finds: nothing is cloned for a
/// span that is skipped.
enum Look {
    /// Skipped under one of this process's spans: nothing is built, as that
    /// span's ids are current already and carry the decision.
    Skipped,
    /// A frame of tracekit's stack is the parent; `asked`: the backend said
    /// it does not skip.
    Frame { parent: Parent, capture: Option<CaptureBackend>, asked: bool },
    /// OpenTelemetry's current context is the parent.
    Context(Context, Option<CaptureBackend>),
}

/// Decides on the borrowed parent whether a span started now is skipped
/// under a span of this process, and where its parent is otherwise.
fn look_at_current_parent() -> Look {
    stack::with_current_frame(|local, current| {
        let capture = current.get::<CaptureBackend>();
        let span = current.span();
        let ids = local.map_or_else(|| span.span_context(), |state| &state.ids);
        let asked = stack::is_local(ids);
        if asked && skips(capture, ids) {
            return Look::Skipped;
        }
        match local {
            Some(state) => Look::Frame { parent: Parent::local(state), capture: capture.cloned(), asked },
            None => Look::Context(current.clone(), capture.cloned()),
        }
    })
}
