//! Starting a span: the one cheap check inline, then the backend's decision.
//! A free function rather than a method of [`OpenSpan`], whose file the
//! backends import: it asks the dispatcher, which names `OpenSpan`.

use super::callsite::Callsite;
use super::dispatch::{self, CaptureBackend};
use super::lane;
use super::open::{OpenSpan, SpanStart};
use super::recorder::Recorder;
use super::stack::{self, Parent, PushedCall};
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
    start_out_of_line(start, parent, record).err().flatten()
}

/// [`start_recording`] for a span with no callsite, kept out of line so
/// that a span started inline stays small while nothing records.
#[inline(never)]
fn start_out_of_line(
    start: impl FnOnce() -> SpanStart,
    parent: impl FnOnce() -> Option<Context>,
    record: &mut dyn FnMut(&mut Recorder),
) -> Result<PushedCall, Option<OpenSpan>> {
    start_recording(None, start, parent, record)
}

/// Starts the span of a call of `callsite` with no parent given: in place
/// on a lane where it can (`Ok`, the call's frame on the stack), under a
/// span that has one or as a root on the backend's lane for roots;
/// otherwise as [`start_span`] does. Inlined: its callers are out of
/// line already, and a call's span starts without a frame of its own.
#[inline(always)]
pub(crate) fn start_call_span(
    callsite: &'static Callsite,
    start: impl FnOnce() -> SpanStart,
    record: &mut dyn FnMut(&mut Recorder),
) -> Result<PushedCall, Option<OpenSpan>> {
    start_recording(Some(callsite), start, || None, record)
}

/// Everything past the one check. With `call`, the span of a call of that
/// callsite, which may start on a lane (`Ok`).
#[inline(always)]
fn start_recording(
    call: Option<&'static Callsite>,
    start: impl FnOnce() -> SpanStart,
    parent: impl FnOnce() -> Option<Context>,
    record: &mut dyn FnMut(&mut Recorder),
) -> Result<PushedCall, Option<OpenSpan>> {
    let (parent, capture, given) = match parent() {
        Some(given) => {
            let given = dispatch::adopt(given);
            let capture = dispatch::capture_in(&given).cloned();
            let span = given.span();
            let ids = span.span_context();
            // Under a span of this process, its ids carry the decision.
            let skipped = match stack::is_local(ids) {
                true => skips(capture.as_ref(), ids).then_some(None),
                false => unrecorded(capture.as_ref(), ids),
            };
            if let Some(open) = skipped {
                return Err(Some(carry(open, given)));
            }
            (Parent::in_context(given.clone()), capture, Some(given))
        }
        // A call on a lane is one test of the first look's answer.
        None => match look_at_current_parent(call) {
            Ok(pushed) => return Ok(pushed),
            Err(Look::Skipped) => return Err(None),
            Err(Look::Unrecorded(open)) => return Err(open),
            Err(Look::Started) => {
                let (parent, capture) = parent_to_start_under();
                (parent, capture, None)
            }
        },
    };
    let mut open = dispatch::with_backend(capture.as_ref(), |backend| backend.start(&parent, start(), record));
    if let Some(open) = &mut open {
        open.set_lane_capture(lane::capture_key(capture.as_ref()));
    }
    Err(match given {
        Some(given) => Some(carry(open, given)),
        None => open,
    })
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
    let skipped =
        dispatch::with_backend(capture, |backend| backend.skips(parent).then(|| backend.not_recorded(parent)));
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

/// What a look at the current parent decides, when no call starts on a
/// lane: nothing is cloned for a span that is skipped.
enum Look {
    /// Skipped under one of this process's spans: nothing is built, as that
    /// span's ids are current already and carry the decision.
    Skipped,
    /// Skipped as the first span of this process under its parent: the
    /// span of its own that is not recorded, if one is made ([`unrecorded`]).
    Unrecorded(Option<OpenSpan>),
    /// The backend starts the span: its parent is taken in a second look
    /// ([`parent_to_start_under`]).
    Started,
}

/// Decides on the borrowed parent whether a span started now is skipped;
/// for a `call`, first whether it starts on the lane of the current span
/// (`Ok`).
///
/// A span that is skipped, or starts on a lane, is decided in this look,
/// which hands back only a small answer; the parent of a span the backend
/// starts is taken in a second look. The parent is large, and handing it
/// back through the first look, whatever the answer, cost a skipped call
/// a third of its time.
fn look_at_current_parent(call: Option<&'static Callsite>) -> Result<PushedCall, Look> {
    let on_lane = |top: Option<&mut _>, current: &Context, spare: &mut _| match (top, call?) {
        (Some(top), callsite) => lane::start_call(callsite, top, current, spare),
        (None, callsite) => match current.span().span_context() {
            remote if remote.is_valid() => lane::start_unrecorded_under_remote(callsite, remote, current, spare),
            _ => lane::start_root_call(callsite, current, spare),
        },
    };
    stack::with_current_frame_or_call(on_lane, |local, current| {
        let capture = dispatch::capture_in(current);
        let span = current.span();
        let ids = local.map_or_else(|| span.span_context(), |state| state.ids());
        if stack::is_local(ids) {
            if skips(capture, ids) {
                return Look::Skipped;
            }
        } else if let Some(mut open) = unrecorded(capture, ids) {
            // A call's span is made current at once: what OpenTelemetry
            // has current now is what the push would read.
            if let (Some(_), Some(open)) = (call, open.as_mut()) {
                open.note_otel_span_at_start(span.span_context().span_id());
            }
            return Look::Unrecorded(open);
        }
        Look::Started
    })
}

/// The parent of a span the backend starts, and the test capture it
/// belongs to: the frame of tracekit's current span, or else
/// OpenTelemetry's current context.
fn parent_to_start_under() -> (Parent, Option<CaptureBackend>) {
    stack::with_current_frame(|local, current| {
        let capture = dispatch::capture_in(current).cloned();
        match local {
            Some(state) => (Parent::local(state), capture),
            None => (Parent::in_context(current.clone()), capture),
        }
    })
}
