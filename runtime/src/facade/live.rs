//! A started span's state: its ids, the span being recorded (a
//! pipeline's own behind [`Recording`], or one in an OpenTelemetry
//! `Context`), and the context it carries; the [`Lane`] its calls start on,
//! and the [`CallSpan`] of such a call.

use super::callsite::Callsite;
use crate::support::clock::{Reading, Timestamp};
use opentelemetry::trace::{SpanContext, SpanId, SpanKind, Status, TraceContextExt as _, TraceFlags};
use opentelemetry::{Context, KeyValue};
use std::any::Any;
use std::borrow::Cow;
use std::sync::Arc;
use std::time::SystemTime;

/// The local trace a span belongs to, as the backend that recorded it
/// keeps it (see the pipeline's `keep`): handed on to the spans started
/// under it, on this thread or carried to another. The facade only passes
/// it along.
pub(crate) type LocalTraceRef = Arc<dyn Any + Send + Sync>;

/// What a started span holds, whether it is current or not.
pub(crate) struct SpanState {
    pub(crate) ids: SpanContext,
    /// The span itself, while it is recorded and has not ended.
    pub(crate) live: Option<LiveSpan>,
    /// Made current in OpenTelemetry's `Context` while the span is current
    /// here: the values it continues (a test capture, baggage, a parent
    /// given by hand, a program tracer's span).
    pub(crate) carried: Option<Context>,
    /// The local trace of a span held for a keep decision, if any.
    pub(crate) local_trace: Option<LocalTraceRef>,
    /// How the calls under the span start, if the backend gave it a lane.
    pub(crate) lane: Option<Lane>,
    /// The span id current in OpenTelemetry's `Context` as the span was
    /// started, when it is made current right after, with nothing run in
    /// between: [`stack::push`](super::stack::push) then need not read it
    /// again. Taken by the push.
    pub(crate) otel_span_at_start: Option<SpanId>,
}

impl SpanState {
    /// A state of `ids`, with `live` and `carried`, and nothing else yet.
    pub(crate) fn new(ids: SpanContext, live: Option<LiveSpan>, carried: Option<Context>) -> Self {
        SpanState { ids, live, carried, local_trace: None, lane: None, otel_span_at_start: None }
    }
}

/// What the calls under a recorded span need to start and end as its
/// children, copied from span to span down the stack.
#[derive(Clone)]
pub(crate) struct Lane {
    /// Where the calls end; for a span the backend started, taken from its
    /// record when the first call under it starts, so that a span with no
    /// calls under it costs no count on the sink.
    sink: Option<Arc<dyn CallSink>>,
    /// The test capture the span was started under, by address (0: none):
    /// under another one, a call is started by the backend.
    capture: usize,
    /// The flags of the spans started on the lane.
    pub(crate) flags: TraceFlags,
    /// Whether the sink notes each start (a test capture names the spans
    /// that had not ended when it returned).
    pub(crate) notes_starts: bool,
}

impl Lane {
    #[cfg_attr(not(feature = "pipeline"), allow(dead_code, reason = "made by the pipeline's backends"))]
    pub(crate) fn new(flags: TraceFlags, notes_starts: bool) -> Self {
        Lane { sink: None, capture: 0, flags, notes_starts }
    }

    /// Makes `lane` (a call's, kept in its box since the call before) the
    /// lane of the calls that start a trace: no span is above them to take
    /// the sink from, so `sink` is given, and counted again only when the
    /// box held another one.
    #[cfg_attr(not(feature = "pipeline"), allow(dead_code, reason = "set by the pipeline's backends"))]
    #[inline]
    pub(crate) fn set_for_roots<S: CallSink + 'static>(
        lane: &mut Option<Lane>,
        sink: &Arc<S>,
        flags: TraceFlags,
        notes_starts: bool,
    ) {
        match lane {
            Some(lane) => {
                let same_sink =
                    lane.sink.as_ref().is_some_and(|mine| std::ptr::addr_eq(Arc::as_ptr(mine), Arc::as_ptr(sink)));
                lane.set(same_sink, || Some(sink.clone()), 0, flags, notes_starts);
            }
            None => *lane = Some(Lane { sink: Some(sink.clone()), capture: 0, flags, notes_starts }),
        }
    }

    /// Readies the lane for a call under its span, with where calls end:
    /// for a span the backend started, the sink of `live`, its record,
    /// taken the first time. `false` when there is none.
    pub(crate) fn ready_for_call(&mut self, live: Option<&LiveSpan>) -> bool {
        if self.sink.is_none() {
            self.sink = live.and_then(LiveSpan::call_sink);
        }
        self.sink.is_some()
    }

    /// Makes this (a call's lane, kept in its box since the call before)
    /// the same as `lane`: the sink is counted again only when it is
    /// another one. A box's sink stays until a call on another sink reuses
    /// the box, as the thread's leases stay in its list.
    #[inline]
    pub(crate) fn set_to(&mut self, lane: &Lane) {
        let same_sink = match (&self.sink, &lane.sink) {
            (Some(mine), Some(theirs)) => Arc::ptr_eq(mine, theirs),
            _ => false,
        };
        self.set(same_sink, || lane.sink.clone(), lane.capture, lane.flags, lane.notes_starts);
    }

    /// Sets the lane's parts; its sink, made by `sink`, only when it is
    /// not `same_sink` already, so that the one it holds is not counted
    /// again.
    #[inline(always)]
    fn set(
        &mut self,
        same_sink: bool,
        sink: impl FnOnce() -> Option<Arc<dyn CallSink>>,
        capture: usize,
        flags: TraceFlags,
        notes_starts: bool,
    ) {
        if !same_sink {
            self.sink = sink();
        }
        self.capture = capture;
        self.flags = flags;
        self.notes_starts = notes_starts;
    }

    /// Where the calls on the lane end, once known.
    pub(crate) fn sink(&self) -> Option<&Arc<dyn CallSink>> {
        self.sink.as_ref()
    }

    /// Binds the lane to the capture its span was started under, by
    /// address ([`capture_key`](super::lane::capture_key)).
    pub(crate) fn set_capture(&mut self, capture: usize) {
        self.capture = capture;
    }

    /// Whether the lane belongs to the capture `capture` (by address).
    pub(crate) fn is_under(&self, capture: usize) -> bool {
        self.capture == capture
    }
}

/// How a root on a backend's lane for roots is decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(not(feature = "pipeline"), allow(dead_code, reason = "a pipeline has a lane for roots"))]
pub(crate) enum RootDecision {
    /// Every root is sampled.
    Sampled,
    /// By the trace id drawn for the root (the backend's `samples_root`),
    /// as a trace-id ratio decides.
    ByTraceId,
    /// No root is sampled.
    NotSampled,
}

/// A backend's lane for roots, as it set it in a call's box: how a root on
/// it is decided, and what counts a decision made without the backend
/// (every root sampled, or none; a backend counts those it decides).
#[derive(Clone, Copy, Debug)]
#[cfg_attr(not(feature = "pipeline"), allow(dead_code, reason = "a pipeline has a lane for roots"))]
pub(crate) struct RootLane {
    pub(crate) decision: RootDecision,
    pub(crate) count: fn(sampled: bool),
}

/// The installed backend's lane for roots, left set in a call's box by the
/// root that last took the box on this thread: the next root on it takes
/// the lane as it is, without asking the backend, while the same
/// installation stands. The lane holds the thread's own lease on the
/// backend's sink, so a box that leaves the thread's stack (with a future)
/// does not keep it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct KeptRootLane {
    /// The installation it was set under ([`installation`](super::dispatch::installation)).
    pub(crate) installation: u64,
    pub(crate) root_lane: RootLane,
}

/// The span of a synchronous call started on a lane, while it runs.
#[cfg_attr(not(feature = "pipeline"), allow(dead_code, reason = "read by the pipeline's sinks"))]
pub(crate) struct CallSpan {
    pub(crate) ids: SpanContext,
    pub(crate) parent: SpanId,
    pub(crate) callsite: &'static Callsite,
    pub(crate) started: Reading,
    /// The record, once something is recorded on the span.
    pub(crate) live: Option<LiveSpan>,
    /// The lane the span was started on, which the calls under it take.
    pub(crate) lane: Option<Lane>,
    /// What a root left `lane` as, under which installation; cleared when
    /// the lane is set for another call or the box leaves the stack. A
    /// later installation's roots do not take it.
    pub(crate) kept_root: Option<KeptRootLane>,
    /// `false` for a root whose trace its sampler did not keep: the call
    /// carries the trace's ids and decision for what runs under it and what
    /// it sends on, and records nothing. Its box keeps the lane's sink for
    /// the next root.
    pub(crate) recorded: bool,
    /// Attributes recorded while the span has no record (its arguments, its
    /// result): kept here, so that recording them takes no record while
    /// the call runs. A record taken later (for an error, an event) takes
    /// them first; otherwise the call's sink ends it with them.
    pub(crate) attributes: Vec<KeyValue>,
}

/// Where the spans started on a lane go: the pipeline's side of a lane.
pub(crate) trait CallSink: Send + Sync {
    /// Notes that `call` started (when [`Lane::notes_starts`]).
    fn started(&self, call: &CallSpan);
    /// A record of `call`, as far as it has run, to record into; it ends
    /// into this sink.
    fn record(self: Arc<Self>, call: &mut CallSpan) -> Box<dyn Recording>;
    /// Ends `call`, on which nothing was recorded, at `ended`, as a
    /// compact record; `false` when it has none (see the pipeline's
    /// `queued`): it is then recorded in full, through [`CallSink::record`].
    fn end(&self, call: &CallSpan, ended: Reading) -> bool {
        let mut none = Vec::new();
        let ended = self.end_with(call, &mut none, ended);
        crate::support::recycle::let_go(none);
        ended
    }
    /// Ends `call`, on which nothing was recorded but the `attributes`
    /// that waited in it (taken), at `ended`, in a record filled at once,
    /// without the recording [`CallSink::record`] goes through; `false`
    /// as [`CallSink::end`], the attributes left as they were.
    fn end_with(&self, call: &CallSpan, attributes: &mut Vec<KeyValue>, ended: Reading) -> bool;
    /// The local trace the calls are held in, when the sink is one.
    fn local_trace(&self) -> Option<LocalTraceRef> {
        None
    }
}

impl CallSpan {
    /// A span to fill: the box of one is kept for the next call.
    pub(crate) fn unfilled() -> Self {
        static UNFILLED: Callsite = Callsite::new("", || "", "", 0, SpanKind::Internal, None);
        let ids = SpanContext::NONE;
        let (parent, callsite, started) = (SpanId::INVALID, &UNFILLED, Reading::now());
        let (live, lane, kept_root, attributes) = (None, None, None, Vec::new());
        CallSpan { ids, parent, callsite, started, live, lane, kept_root, recorded: true, attributes }
    }

    /// Keeps `attributes` in the call, after those it waits with already,
    /// for the record it takes later.
    pub(crate) fn wait_with(&mut self, mut attributes: Vec<KeyValue>) {
        match self.attributes.is_empty() {
            true => std::mem::swap(&mut self.attributes, &mut attributes),
            false => self.attributes.append(&mut attributes),
        }
        crate::support::recycle::give(attributes);
    }

    /// Where the call ends, if it is recorded.
    pub(crate) fn sink(&self) -> Option<&Arc<dyn CallSink>> {
        self.lane.as_ref().filter(|_| self.recorded)?.sink()
    }

    /// The local trace the call is held in, if its sink is one.
    pub(crate) fn local_trace(&self) -> Option<LocalTraceRef> {
        self.sink()?.local_trace()
    }

    /// The span to record into, taken the first time something is recorded;
    /// `None` once it has ended.
    pub(crate) fn live(&mut self) -> Option<&mut LiveSpan> {
        if self.live.is_none() {
            let sink = self.sink()?.clone();
            self.live = Some(LiveSpan::Recorded(sink.record(self)));
        }
        self.live.as_mut()
    }
}

/// A span being recorded.
pub(crate) enum LiveSpan {
    /// A span of a tracekit pipeline.
    #[cfg_attr(not(feature = "pipeline"), allow(dead_code, reason = "made by the pipeline's backends"))]
    Recorded(Box<dyn Recording>),
    /// A span in an OpenTelemetry `Context`: one of a program's own tracer
    /// provider, or whatever OpenTelemetry code made current.
    Context(Context),
}

/// A span a backend records, as the facade sees it: what can be recorded
/// on it, and its end.
pub(crate) trait Recording: Send + Sync {
    fn is_recording(&self) -> bool;
    fn set_attribute(&mut self, attribute: KeyValue);
    fn add_event(&mut self, name: Cow<'static, str>, at: SystemTime, attributes: Vec<KeyValue>);
    fn set_status(&mut self, status: Status);
    fn update_name(&mut self, name: Cow<'static, str>);
    fn add_link(&mut self, link: SpanContext, attributes: Vec<KeyValue>);
    fn end(self: Box<Self>, at: Timestamp);
    /// Where the calls started on the span's lane end: its own sink, if
    /// that takes calls.
    fn call_sink(&self) -> Option<Arc<dyn CallSink>>;
}

impl LiveSpan {
    /// [`Recording::call_sink`], for a span a pipeline records.
    pub(crate) fn call_sink(&self) -> Option<Arc<dyn CallSink>> {
        match self {
            LiveSpan::Recorded(span) => span.call_sink(),
            LiveSpan::Context(_) => None,
        }
    }

    pub(crate) fn is_recording(&self) -> bool {
        match self {
            LiveSpan::Recorded(span) => span.is_recording(),
            LiveSpan::Context(context) => context.span().is_recording(),
        }
    }

    pub(crate) fn set_attribute(&mut self, attribute: KeyValue) {
        match self {
            LiveSpan::Recorded(span) => span.set_attribute(attribute),
            LiveSpan::Context(context) => context.span().set_attribute(attribute),
        }
    }

    pub(crate) fn set_attributes(&mut self, attributes: impl IntoIterator<Item = KeyValue>) {
        for attribute in attributes {
            self.set_attribute(attribute);
        }
    }

    pub(crate) fn add_event_with_timestamp(
        &mut self,
        name: impl Into<Cow<'static, str>>,
        timestamp: SystemTime,
        attributes: Vec<KeyValue>,
    ) {
        match self {
            LiveSpan::Recorded(span) => span.add_event(name.into(), timestamp, attributes),
            LiveSpan::Context(context) => context.span().add_event_with_timestamp(name, timestamp, attributes),
        }
    }

    pub(crate) fn set_status(&mut self, status: Status) {
        match self {
            LiveSpan::Recorded(span) => span.set_status(status),
            LiveSpan::Context(context) => context.span().set_status(status),
        }
    }

    pub(crate) fn update_name(&mut self, name: Cow<'static, str>) {
        match self {
            LiveSpan::Recorded(span) => span.update_name(name),
            LiveSpan::Context(context) => context.span().update_name(name),
        }
    }

    pub(crate) fn add_link(&mut self, link: SpanContext, attributes: Vec<KeyValue>) {
        match self {
            LiveSpan::Recorded(span) => span.add_link(link, attributes),
            LiveSpan::Context(context) => context.span().add_link(link, attributes),
        }
    }

    pub(crate) fn end_with_timestamp(self, at: Timestamp) {
        match self {
            LiveSpan::Recorded(span) => span.end(at),
            LiveSpan::Context(context) => context.span().end_with_timestamp(at.wall_time()),
        }
    }
}
