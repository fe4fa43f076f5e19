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
    let (parent, capture, given) = match parent() {
        Some(given) => {
            let given = dispatch::adopt(given);
            let capture = given.get::<CaptureBackend>().cloned();
            let span = given.span();
            let ids = span.span_context();
            // Under a span of this process, its ids carry the decision.
            let skipped = match stack::is_local(ids) {
                true => skips(capture.as_ref(), ids).then_some(None),
                false => unrecorded(capture.as_ref(), ids),
            };
            if let Some(open) = skipped {
                return Some(carry(open, given));
            }
            (Parent::in_context(given.clone()), capture, Some(given))
        }
        None => match look_at_current_parent() {
            Look::Skipped => return None,
            Look::Unrecorded(open) => return open,
            Look::Frame { parent, capture } => (parent, capture, None),
            Look::Context(context, capture) => (Parent::in_context(context), capture, None),
        },
    };
    let open = dispatch::with_backend(capture.as_ref(), |backend| backend.start(&parent, start(), record));
    match given {
        Some(given) => Some(carry(open, given)),
        None => open,
    }
}

/// Whether the backend that applies skips a span under `parent`; with no
/// backend, nothing records.
fn skips(capture: Option<&CaptureBackend>, parent: &SpanContext) -> bool {
    dispatch::with_backend(capture, |backend| backend.skips(parent)).unwrap_or(true)
}

/// For a span that is the first of this process under `parent` (a root,
/// or the child of a remote span): `Some` when the backend that applies
/// skips it, with the span of its own that is not recorded, if one is
/// made, so that what runs under it keeps its trace and its decision and
/// an unsampled parent stays unsampled downstream.
fn unrecorded(capture: Option<&CaptureBackend>, parent: &SpanContext) -> Option<Option<OpenSpan>> {
    let skipped = dispatch::with_backend(capture, |backend| {
        backend.skips(parent).then(|| backend.not_recorded(parent).map(OpenSpan::not_recorded))
    });
    skipped.unwrap_or(Some(None))
}

/// The given context's values (baggage, a received trace state, a capture)
/// are current while the span is.
fn carry(open: Option<OpenSpan>, given: Context) -> OpenSpan {
    match open {
        Some(mut open) => {
            open.carry(|| given);
            open
        }
        None => OpenSpan::carrying(given),
    }
}

/// What one look at the current parent finds: nothing is cloned for a
/// span that is skipped.
enum Look {
    /// Skipped under one of this process's spans: nothing is built, as that
    /// span's ids are current already and carry the decision.
    Skipped,
    /// Skipped as the first span of this process under its parent: the
    /// span of its own that is not recorded, if one is made ([`unrecorded`]).
    Unrecorded(Option<OpenSpan>),
    /// A frame of tracekit's stack is the parent, and the backend does not
    /// skip the span.
    Frame { parent: Parent, capture: Option<CaptureBackend> },
    /// OpenTelemetry's current context is the parent, and the backend does
    /// not skip the span.
    Context(Context, Option<CaptureBackend>),
}

/// Decides on the borrowed parent whether a span started now is skipped,
/// and where its parent is otherwise.
fn look_at_current_parent() -> Look {
    stack::with_current_frame(|local, current| {
        let capture = current.get::<CaptureBackend>();
        let span = current.span();
        let ids = local.map_or_else(|| span.span_context(), |state| &state.ids);
        if stack::is_local(ids) {
            if skips(capture, ids) {
                return Look::Skipped;
            }
        } else if let Some(open) = unrecorded(capture, ids) {
            return Look::Unrecorded(open);
        }
        match local {
            Some(state) => Look::Frame { parent: Parent::local(state), capture: capture.cloned() },
            None => Look::Context(current.clone(), capture.cloned()),
        }
    })
}
