//! A started span and the ways it can end. Shared by the attributes and the
//! manual span API so that both record errors, panics and cancellation alike.
//! Spans are started in `start.rs`, which asks the dispatcher.

use super::code_location::CodeLocation;
use super::failure::mark_panicked;
use super::live::{Lane, LiveSpan, LocalTraceRef, SpanState};
use super::stack;
use crate::support::clock::{Reading, Timestamp};
use crate::support::recycle::Pool;
use opentelemetry::trace::{SpanContext, SpanId, SpanKind, TraceContextExt as _};
use opentelemetry::{Context, KeyValue};
use std::borrow::Cow;
use std::cell::RefCell;

/// A started span. Small, so that the calls that pass it on copy little:
/// what it holds sits in a recycled box, which moves onto tracekit's own
/// stack while the span is current ([`OpenSpan::enter`]).
pub(crate) struct OpenSpan {
    /// Whether the span is recorded (not only carried for its ids), as
    /// known when it started: nothing is recorded or timed on one that is not.
    pub(crate) recording: bool,
    /// `None` while entered: the stack holds it then.
    state: Option<Box<SpanState>>,
    entered: Option<stack::Token>,
}

thread_local! {
    #[allow(clippy::vec_box, reason = "the boxes themselves are what is recycled")]
    static LOCAL_STATES: RefCell<Vec<Box<SpanState>>> = const { RefCell::new(Vec::new()) };
}

static STATES: Pool<Box<SpanState>> = Pool::new(&LOCAL_STATES);

/// Where a span starts: its name, kind and the attributes known up front.
#[cfg_attr(not(feature = "pipeline"), allow(dead_code, reason = "read by the pipeline's backends"))]
pub(crate) struct SpanStart {
    pub(crate) name: Cow<'static, str>,
    pub(crate) kind: SpanKind,
    /// Where the span's code is, if the compiler knows it.
    pub(crate) code: Option<CodeLocation>,
    pub(crate) attributes: Vec<KeyValue>,
    /// When the span started, if the caller read the clock already (for
    /// the metrics); otherwise it is read once the span is known recorded.
    pub(crate) started: Option<Reading>,
}

/// Room kept in a span's attributes for what is recorded after it starts
/// (arguments, the result), so that recording a few does not reallocate.
#[cfg(feature = "pipeline")]
pub(crate) const ATTRIBUTE_ROOM: usize = 4;

impl SpanStart {
    /// The attributes a span starts with, the code location first, in one
    /// allocation that has room for what is recorded later.
    #[cfg(feature = "pipeline")]
    pub(crate) fn attributes(&mut self) -> Vec<KeyValue> {
        let mut given = std::mem::take(&mut self.attributes);
        match self.code {
            Some(code) => code.attributes_then(&mut given, ATTRIBUTE_ROOM),
            None => given,
        }
    }
}

impl OpenSpan {
    fn new(recording: bool, ids: SpanContext, live: Option<LiveSpan>, carried: Option<Context>) -> Self {
        // Filled field by field in place: a whole value written into the box
        // is copied through the stack first.
        let state = match STATES.take() {
            Some(mut recycled) => {
                recycled.ids = ids;
                recycled.live = live;
                recycled.carried = carried;
                recycled.local_trace = None;
                recycled.lane = None;
                recycled.otel_span_at_start = None;
                recycled
            }
            None => Box::new(SpanState::new(ids, live, carried)),
        };
        OpenSpan { recording, state: Some(state), entered: None }
    }

    /// A recorded span, not yet current.
    #[cfg_attr(not(feature = "pipeline"), allow(dead_code, reason = "made by the pipeline's backends"))]
    pub(crate) fn recorded(ids: SpanContext, live: LiveSpan) -> Self {
        Self::new(true, ids, Some(live), None)
    }

    /// A span that is not recorded: only its ids are current, to send on.
    #[cfg_attr(
        not(any(feature = "pipeline", feature = "tracing")),
        allow(dead_code, reason = "made by the pipeline's backends and the tracing layer")
    )]
    pub(crate) fn not_recorded(ids: SpanContext) -> Self {
        Self::new(false, ids, None, None)
    }

    /// A span that carries `context` and records nothing: the span of the
    /// context, if any, is the parent of what starts under it.
    pub(crate) fn carrying(context: Context) -> Self {
        let ids = context.span().span_context().clone();
        Self::new(false, ids, None, Some(context))
    }

    /// What is current here, to make current elsewhere (another thread or
    /// task): tracekit's span by its ids, not the span itself, and
    /// OpenTelemetry's context (a test capture, baggage).
    pub(crate) fn current() -> Self {
        let parent = stack::current_parent(|_| ()).0;
        let local_trace = parent.local_trace.clone();
        let (ids, context) = parent.into_parts();
        let mut current = match context {
            Some(context) => OpenSpan::carrying(context),
            None => Self::new(false, ids, None, Some(Context::current())),
        };
        current.set_local_trace(local_trace);
        current
    }

    /// The local trace the span belongs to; `None` while it is current.
    #[cfg(feature = "tracing")]
    pub(crate) fn local_trace(&self) -> Option<LocalTraceRef> {
        self.state.as_ref().and_then(|state| state.local_trace.clone())
    }

    /// Puts the span in a local trace (see [`LocalTraceRef`]), which the
    /// spans started under it join.
    pub(crate) fn set_local_trace(&mut self, local_trace: Option<LocalTraceRef>) {
        if let Some(state) = self.state.as_mut() {
            state.local_trace = local_trace;
        }
    }

    /// Gives the span a lane, on which the calls under it start.
    #[cfg_attr(not(feature = "pipeline"), allow(dead_code, reason = "the pipeline gives its spans lanes"))]
    pub(crate) fn set_lane(&mut self, lane: Lane) {
        if let Some(state) = self.state.as_mut() {
            state.lane = Some(lane);
        }
    }

    /// Binds the span's lane, if any, to the capture it was started under.
    pub(crate) fn set_lane_capture(&mut self, capture: usize) {
        if let Some(lane) = self.state.as_mut().and_then(|state| state.lane.as_mut()) {
            lane.set_capture(capture);
        }
    }

    /// The span's ids; `None` while it is current.
    pub(crate) fn ids(&self) -> Option<&SpanContext> {
        self.state.as_ref().map(|state| &state.ids)
    }

    /// Makes `context` current in OpenTelemetry's `Context` whenever the
    /// span is current here (see [`stack::push`]), unless it carries one.
    pub(crate) fn carry(&mut self, context: impl FnOnce() -> Context) {
        if let Some(state) = self.state.as_mut().filter(|state| state.carried.is_none()) {
            state.carried = Some(context());
        }
    }

    /// The span made current until the guard is dropped.
    pub(crate) fn entered(&mut self) -> Entered<'_> {
        self.enter();
        Entered(self)
    }

    /// Notes the span id current in OpenTelemetry's `Context` now, for a
    /// span made current right after, with nothing run in between.
    pub(crate) fn note_otel_span_at_start(&mut self, otel_span: SpanId) {
        if let Some(state) = self.state.as_mut() {
            state.otel_span_at_start = Some(otel_span);
        }
    }

    /// Makes the span current on this thread until [`OpenSpan::exit`].
    pub(crate) fn enter(&mut self) {
        if let Some(state) = self.state.take() {
            self.entered = Some(stack::push(state));
        }
    }

    /// Ends what [`OpenSpan::enter`] began.
    pub(crate) fn exit(&mut self) {
        if let Some(token) = self.entered.take() {
            self.state = stack::pop(token);
        }
    }

    /// Runs `f` on the span, if it is recorded, current or not.
    pub(crate) fn with_live<R>(&mut self, f: impl FnOnce(&mut LiveSpan) -> R) -> Option<R> {
        match (&mut self.state, self.entered) {
            (Some(state), _) => state.live.as_mut().map(f),
            (None, Some(token)) => stack::with_live(token, f),
            (None, None) => None,
        }
    }

    /// Ends the span, at `ended` if the caller read the clock already.
    /// During a panic, the span is marked failed with the panic's message
    /// first, unless that was done already.
    pub(crate) fn end(&mut self, panic_recorded: bool, ended: Option<Reading>) {
        self.exit();
        if !self.recording {
            return;
        }
        let ended = if std::thread::panicking() && !panic_recorded {
            self.mark_panicked();
            // The panic's event is stamped now: the span ends after it.
            None
        } else {
            ended
        };
        // tracekit's clock at both ends: spans it starts begin on it too.
        let at = Timestamp::from(ended.unwrap_or_else(Reading::now));
        if let Some(live) = self.state.as_mut().and_then(|state| state.live.take()) {
            live.end_with_timestamp(at);
        }
    }

    pub(crate) fn mark_panicked(&mut self) {
        self.with_live(mark_panicked);
    }
}

/// Ends a call's span. When `timed` (the metrics or a threshold want the
/// call's duration), the clock is read once: `measure` gets that reading,
/// with the span to add to, and the span ends at the same reading.
pub(crate) fn end_call(
    span: Option<&mut OpenSpan>,
    timed: bool,
    panic_recorded: bool,
    measure: impl FnOnce(Reading, Option<&mut OpenSpan>),
) {
    let mut span = span;
    let ended = timed.then(Reading::now);
    if let Some(ended) = ended {
        measure(ended, span.as_deref_mut());
    }
    if let Some(span) = span {
        span.end(panic_recorded, ended);
    }
}

/// An [`OpenSpan`] current until dropped.
pub(crate) struct Entered<'a>(&'a mut OpenSpan);

impl Drop for Entered<'_> {
    fn drop(&mut self) {
        self.0.exit();
    }
}

impl Drop for OpenSpan {
    fn drop(&mut self) {
        self.exit();
        if let Some(mut state) = self.state.take() {
            // A span not ended by then ends now.
            drop(state.live.take());
            state.carried = None;
            state.local_trace = None;
            state.lane = None;
            STATES.give(state);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq)]
    struct Mark(u8);

    fn current_mark() -> Option<u8> {
        Context::map_current(|current| current.get::<Mark>().map(|mark| mark.0))
    }

    /// What a frame made current is kept beside the frames; a frame left
    /// out of order (a future dropped before one it awaited) must take its
    /// own context along, not the last one made current.
    #[test]
    fn a_span_exited_out_of_order_ends_only_what_it_made_current() {
        let mut outer = OpenSpan::carrying(Context::current().with_value(Mark(1)));
        outer.enter();
        let mut inner = OpenSpan::carrying(Context::current().with_value(Mark(2)));
        inner.enter();
        assert_eq!(current_mark(), Some(2));
        outer.exit();
        assert_eq!(current_mark(), Some(2), "the inner span's context stays current");
        inner.exit();
        assert_eq!(current_mark(), None);
        // Entered again, in order: each still carries its own context.
        outer.enter();
        assert_eq!(current_mark(), Some(1));
        outer.exit();
        assert_eq!(current_mark(), None);
    }
}
