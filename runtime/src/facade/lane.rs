//! Calls started on a recorded span's lane ([`Lane`](super::live::Lane)):
//! the calls under such a span are recorded without asking the backend
//! each time. A backend whose answer for every child of a sampled span is
//! "recorded and sampled" (no sampler to ask) gives its recorded spans a
//! lane; one that decides every root without building anything (every root
//! sampled, none, or a trace-id ratio) also has a lane for roots, on which a
//! synchronous call with no span above it starts a trace; one whose trace
//! is not sampled stays there, recording nothing and reading no clock
//! unless it is timed, its ids current for what runs under it. An annotated
//! call under such a span starts in the same look at the stack that finds
//! its parent: its ids, callsite and start reading go in a box the stack
//! recycles, with no `SpanStart`, no visit to the backend and no
//! `OpenSpan`. When it ends, the lane's sink fills a record from it; a
//! record is taken while the call runs only if something other than
//! attributes is recorded on it (an error, an event), or when a call that
//! returns a future goes on as that future's. An `async` call keeps its box
//! instead: the future holds it, makes it current at each poll as a frame
//! of its own, and ends it as a synchronous call ends.

use super::callsite::Callsite;
use super::dispatch::{self, CaptureBackend};
use super::failure::mark_panicked;
use super::live::{CallSpan, KeptRootLane, Lane, RootDecision, RootLane};
use super::stack::{self, CurrentSpan, Token};
use crate::support::clock::{Reading, Timestamp};
use crate::support::ids::new_ids;
use opentelemetry::trace::{SpanContext, SpanId, TraceFlags, TraceState};
use opentelemetry::Context;

/// A capture by address, 0 for none.
pub(crate) fn capture_key(capture: Option<&CaptureBackend>) -> usize {
    capture.map_or(0, CaptureBackend::key)
}

/// The span of a call of `callsite` under `top`, on its lane, filled in
/// one of the `spare` boxes: `None` when `top` has no lane, or when a test
/// capture other than its own is current.
#[inline]
#[allow(clippy::vec_box, reason = "the boxes themselves are what is recycled")]
pub(crate) fn start_call(
    callsite: &'static Callsite,
    top: &mut CurrentSpan,
    current: &Context,
    spare: &mut Vec<Box<CallSpan>>,
) -> Option<Box<CallSpan>> {
    let (lane, parent) = top.lane_for_call(|| capture_key(dispatch::capture_in(current)))?;
    fill_call(callsite, lane, parent, spare)
}

/// The span of a call of `callsite` with no span above it, as the root of
/// a new trace, on the lane for roots of the backend that applies, if it
/// has one. A root whose trace the backend's sampler does not keep (decided
/// on the ids drawn for it) starts there too, recording nothing: its ids
/// and decision are current for what runs under it and what it sends on.
#[allow(clippy::vec_box, reason = "the boxes themselves are what is recycled")]
pub(crate) fn start_root_call(
    callsite: &'static Callsite,
    current: &Context,
    spare: &mut Vec<Box<CallSpan>>,
) -> Option<Box<CallSpan>> {
    let capture = dispatch::capture_in(current);
    if !dispatch::may_have_root_lane(capture) {
        return None;
    }
    // The lane is set in the box, where the call before left its own: no
    // lane is made and dropped for each root.
    let mut call = spare.pop().unwrap_or_else(|| Box::new(CallSpan::unfilled()));
    let Some(root_lane) = root_lane_in_box(&mut call, capture) else {
        spare.push(call);
        return None;
    };
    call.lane.as_mut()?.set_capture(capture_key(capture));
    let mut call = fill(call, callsite, None)?;
    let sampled = match root_lane.decision {
        RootDecision::Sampled => true,
        RootDecision::ByTraceId => dispatch::samples_root(capture, call.ids.trace_id()),
        RootDecision::NotSampled => false,
    };
    if root_lane.decision != RootDecision::ByTraceId {
        (root_lane.count)(sampled);
    }
    if !sampled {
        call.recorded = false;
        call.ids =
            SpanContext::new(call.ids.trace_id(), call.ids.span_id(), TraceFlags::default(), false, TraceState::NONE);
    }
    started_now(call)
}

/// Sets the lane for roots of the backend that applies under `capture` in
/// `call`'s box. The installed backend's is taken as the box's last root
/// left it ([`KeptRootLane`]), while that installation stands: most roots
/// of a thread take the box the root before gave back, and ask the backend
/// nothing.
#[inline]
fn root_lane_in_box(call: &mut CallSpan, capture: Option<&CaptureBackend>) -> Option<RootLane> {
    if capture.is_some() {
        call.kept_root = None;
        return dispatch::set_root_lane(capture, &mut call.lane);
    }
    // Read before the backend is: a later installation makes it stale.
    let installation = dispatch::installation();
    if let Some(kept) = call.kept_root.filter(|kept| kept.installation == installation) {
        return Some(kept.root_lane);
    }
    let root_lane = dispatch::set_root_lane(None, &mut call.lane);
    call.kept_root = root_lane.map(|root_lane| KeptRootLane { installation, root_lane });
    root_lane
}

/// The span of a call of `callsite` whose parent is `remote`, a span of
/// another process current in OpenTelemetry's `Context` (a request this one
/// continues), when the backend that applies skips it: it records nothing,
/// and its own ids (a span id in the parent's trace, unsampled) are current
/// for what runs under it and what it sends on, as an unsampled root's.
/// `None` where the backend records it, or makes no span of its own.
#[allow(clippy::vec_box, reason = "the boxes themselves are what is recycled")]
pub(crate) fn start_unrecorded_under_remote(
    callsite: &'static Callsite,
    remote: &SpanContext,
    current: &Context,
    spare: &mut Vec<Box<CallSpan>>,
) -> Option<Box<CallSpan>> {
    let capture = dispatch::capture_in(current);
    let mut call = spare.pop().unwrap_or_else(|| Box::new(CallSpan::unfilled()));
    // The box keeps the lane an earlier root left in it, for the next root.
    let skipped = dispatch::with_backend(capture, |backend| {
        backend.skips(remote) && backend.set_not_recorded_ids(remote, &mut call.ids)
    });
    if skipped != Some(true) {
        spare.push(call);
        return None;
    }
    call.parent = remote.span_id();
    call.callsite = callsite;
    call.live = None;
    call.recorded = false;
    Some(call)
}

/// A call's span on `lane` under `parent`, filled in one of the `spare`
/// boxes.
#[inline]
#[allow(clippy::vec_box, reason = "the boxes themselves are what is recycled")]
fn fill_call(
    callsite: &'static Callsite,
    lane: &Lane,
    parent: &SpanContext,
    spare: &mut Vec<Box<CallSpan>>,
) -> Option<Box<CallSpan>> {
    let mut call = spare.pop().unwrap_or_else(|| Box::new(CallSpan::unfilled()));
    // A box from an ended call may still hold its lane's sink: counted
    // again only when this is another one. Its lane is no longer the one
    // for roots.
    call.kept_root = None;
    match &mut call.lane {
        Some(kept) => kept.set_to(lane),
        None => call.lane = Some(lane.clone()),
    }
    started_now(fill(call, callsite, Some(parent))?)
}

/// Fills `call`, on the lane set in it already, as a call of `callsite`
/// under `parent` (`None`: a root), all but its start. Filled field by
/// field in its box: a whole span written into it would be copied through
/// the stack first.
#[inline(always)]
fn fill(mut call: Box<CallSpan>, callsite: &'static Callsite, parent: Option<&SpanContext>) -> Option<Box<CallSpan>> {
    let lane = call.lane.as_ref()?;
    // A call is started on a lane only where its end has a sink to go to.
    lane.sink()?;
    let flags = lane.flags;
    let (trace_id, span_id) = new_ids(parent.map(SpanContext::trace_id));
    let trace_state = parent.map_or(TraceState::NONE, |parent| parent.trace_state().clone());
    call.ids = SpanContext::new(trace_id, span_id, flags, false, trace_state);
    call.parent = parent.map_or(SpanId::INVALID, SpanContext::span_id);
    call.callsite = callsite;
    // A box comes back with no record (its call's end took it): looked
    // at first rather than dropped in place, a call into drop code.
    if call.live.is_some() {
        call.live = None;
    }
    call.recorded = true;
    Some(call)
}

/// `call`, filled, started now: its start read, and noted where its
/// lane's sink asks for it (a test capture, which tells the spans that
/// never ended). A call that records nothing is neither: one that is
/// timed reads its start itself ([`read_start`]).
#[inline(always)]
fn started_now(mut call: Box<CallSpan>) -> Option<Box<CallSpan>> {
    if !call.recorded {
        return Some(call);
    }
    call.started = Reading::now();
    if call.lane.as_ref()?.notes_starts {
        call.sink()?.started(&call);
    }
    Some(call)
}

/// Reads the start of the call span `token` started, which records
/// nothing, for what times it (a threshold, the metrics).
pub(crate) fn read_start(token: Token) {
    stack::with_call(token, |call| call.started = Reading::now());
}

/// Ends the call span `token` started. During a panic, the span is marked
/// failed with the panic's message first, unless that was done already.
/// Inlined: a call's end then takes one frame fewer.
#[inline(always)]
pub(crate) fn end_call(token: Token, panic_recorded: bool) {
    stack::leave_call(token, |call| {
        // A call that records nothing, timed by nothing, has nothing to end.
        if call.recorded {
            end_left_call(call, panic_recorded, |_, _| ());
        }
    });
}

/// [`end_call`], for a call that is timed (a threshold, the metrics):
/// `timed` sees the call when its end is read and before its span ends
/// (to mark it), and what it makes of it is given back, with the call's
/// callsite and its readings at both ends, the span's own.
pub(crate) fn end_timed_call<R>(
    token: Token,
    panic_recorded: bool,
    timed: impl FnOnce(&mut CallSpan, Reading) -> R,
) -> Option<(R, &'static Callsite, Reading, Reading)> {
    stack::leave_call(token, |call| {
        let (made, ended) = end_left_call(call, panic_recorded, timed);
        (made, call.callsite, call.started, ended)
    })
}

/// Ends `call`, a call span that went on as a future's in its box
/// ([`stack::take_call_box`]), as [`end_timed_call`] does: `before_end`
/// sees it once its end is read, and what it made is given back with the
/// call's callsite and its readings at both ends. The box is then kept for
/// a later call on this thread.
pub(crate) fn end_call_box<R>(
    mut call: Box<CallSpan>,
    panic_recorded: bool,
    before_end: impl FnOnce(&mut CallSpan, Reading) -> R,
) -> (R, &'static Callsite, Reading, Reading) {
    let (made, ended) = end_left_call(&mut call, panic_recorded, before_end);
    let ended_call = (made, call.callsite, call.started, ended);
    stack::recycle_call(call);
    ended_call
}

/// Ends `call`, just taken off the stack, with `before_end` run on it
/// once its end is read: what that made, and when the call ended.
#[inline(always)]
fn end_left_call<R>(
    call: &mut CallSpan,
    panic_recorded: bool,
    before_end: impl FnOnce(&mut CallSpan, Reading) -> R,
) -> (R, Reading) {
    if std::thread::panicking() && !panic_recorded {
        if let Some(live) = call.live() {
            mark_panicked(live);
        }
    }
    let ended = Reading::now();
    let made = before_end(call, ended);
    match call.live.take() {
        Some(live) => live.end_with_timestamp(Timestamp::Read(ended)),
        None => end_unrecorded(call, ended),
    }
    // The box goes back to the stack with its lane, whose sink the next
    // call on the same one takes without counting it again.
    (made, ended)
}

/// Ends `call`, which took no record, at `ended`: its sink ends it
/// without one (a compact record, or one filled at once with the
/// attributes that waited in it), or else records it in full. Inlined
/// into each end: a call's end then takes one frame fewer.
#[inline(always)]
fn end_unrecorded(call: &mut CallSpan, ended: Reading) {
    // The lane's field, not `call.sink()`: the call's attributes are
    // borrowed beside it below.
    let recorded = call.recorded;
    let Some(sink) = call.lane.as_ref().filter(|_| recorded).and_then(Lane::sink) else {
        // Not left for the next call that takes the box.
        call.attributes.clear();
        return;
    };
    let ended_here = match call.attributes.is_empty() {
        true => sink.end(call, ended),
        false => {
            // Taken out for the sink, which reads the call beside them.
            let mut attributes = std::mem::take(&mut call.attributes);
            let ended_here = sink.end_with(call, &mut attributes, ended);
            call.attributes = attributes;
            ended_here
        }
    };
    if !ended_here {
        sink.clone().record(call).end(Timestamp::Read(ended));
    }
}
