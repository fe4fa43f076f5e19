//! The spans current on this thread: tracekit's own stack, which says what
//! a new span's parent is and what `current_span()`, the log ids and
//! propagation read. A span of tracekit's is never put in OpenTelemetry's
//! `Context` for this (a `Context` made current costs more than the span
//! itself); one is made from the stack only where asked for
//! ([`current_context`]), or for every span when the program wants
//! OpenTelemetry code to see tracekit's spans ([`mirror`]).
//!
//! What OpenTelemetry code makes current still counts: under no tracekit
//! span, or when that code made a span current inside one of tracekit's,
//! its `Context` is the parent.

use super::live::{CallSpan, Lane, LiveSpan, LocalTraceRef, SpanState};
use opentelemetry::trace::{SpanContext, SpanId, TraceContextExt as _};
use opentelemetry::{Context, ContextGuard};
use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// One span current on this thread. A frame is built, then moved into the
/// stack's vector: its fields are whole words, as a field of a few bytes
/// (a guard) would make that move wait for the field's write.
struct Frame {
    token: u64,
    span: CurrentSpan,
    /// The id of the span current in OpenTelemetry's `Context` once this
    /// frame was pushed: a different one later means OpenTelemetry code
    /// made a span current inside this one.
    otel_span: SpanId,
}

/// The `Context`s a frame made current, kept beside the frames since few
/// have any: the mirrored span's is dropped first, as it was made current
/// last.
struct Attached {
    token: u64,
    _mirrored: Option<ContextGuard>,
    _carried: Option<ContextGuard>,
}

/// A span current on this thread, as its frame holds it.
pub(crate) enum CurrentSpan {
    /// A span started elsewhere and made current: a root, a manual span,
    /// an async call's, a call its parent's lane did not take.
    Entered(Box<SpanState>),
    /// A synchronous call's span started on its parent's lane, in a box
    /// the stack keeps for the next call.
    Call(Box<CallSpan>),
}

impl CurrentSpan {
    pub(crate) fn ids(&self) -> &SpanContext {
        match self {
            CurrentSpan::Entered(state) => &state.ids,
            CurrentSpan::Call(call) => &call.ids,
        }
    }

    /// The local trace the span belongs to, if it is held for a keep decision.
    pub(crate) fn local_trace(&self) -> Option<LocalTraceRef> {
        match self {
            CurrentSpan::Entered(state) => state.local_trace.clone(),
            CurrentSpan::Call(call) => call.local_trace(),
        }
    }

    /// The lane a call under the span starts on, with the span's ids, if
    /// the span has a lane with a sink and it belongs to the test capture
    /// `capture` names (by address; read only for a span with a lane).
    #[inline]
    pub(crate) fn lane_for_call(&mut self, capture: impl FnOnce() -> usize) -> Option<(&Lane, &SpanContext)> {
        let (lane, live, ids) = match self {
            CurrentSpan::Entered(state) => {
                let state = &mut **state;
                (state.lane.as_mut()?, state.live.as_ref(), &state.ids)
            }
            // A call that records nothing has no lane to give.
            CurrentSpan::Call(call) if !call.recorded => return None,
            CurrentSpan::Call(call) => (call.lane.as_mut()?, None, &call.ids),
        };
        (lane.is_under(capture()) && lane.ready_for_call(live)).then_some((&*lane, ids))
    }

    /// The span being recorded, if it is recorded.
    fn live(&mut self) -> Option<&mut LiveSpan> {
        match self {
            CurrentSpan::Entered(state) => state.live.as_mut(),
            CurrentSpan::Call(call) => call.live(),
        }
    }
}

thread_local! {
    static FRAMES: RefCell<Frames> = const { RefCell::new(Frames {
        frames: Vec::new(),
        attached: Vec::new(),
        next_token: 0,
        spare_calls: Vec::new(),
        spare_ids: Vec::new(),
    }) };
}

/// The frames of one thread. Those left when the thread ends belong to
/// guards the program leaked (`mem::forget`): their spans never end, and
/// what they made current in OpenTelemetry's `Context` (whose own
/// thread-local may be gone by then) is left as it is.
struct Frames {
    frames: Vec<Frame>,
    /// What frames made current in OpenTelemetry's `Context`, in the
    /// order they were pushed.
    attached: Vec<Attached>,
    /// The token of the next frame; 0 until the thread's first push takes
    /// a range of its own. Tokens are unique across threads, so that one
    /// dropped on another thread than it was pushed on (a future left by a
    /// panic) pops nothing.
    next_token: u64,
    /// The boxes of call spans that ended, for the next calls to fill.
    #[allow(clippy::vec_box, reason = "the boxes themselves are what is recycled")]
    spare_calls: Vec<Box<CallSpan>>,
    /// The boxes of ids made current by [`enter_ids`] and no longer, for
    /// the next ones.
    #[allow(clippy::vec_box, reason = "the boxes themselves are what is recycled")]
    spare_ids: Vec<Box<SpanState>>,
}

/// How many boxes of each kind (ended call spans', entered ids') a thread
/// keeps: as deep as its spans usually nest.
const SPARE_BOXES: usize = 64;

impl Frames {
    fn next_token(&mut self) -> u64 {
        take_token(&mut self.next_token)
    }

    /// Takes the frame `token` names off the stack, whichever frames were
    /// pushed since (most often it is the top one). What it made current
    /// stays: a call's frame made nothing current, and [`take_frame`]
    /// detaches it for the others.
    fn take(&mut self, token: Token) -> Option<Frame> {
        take_last(&mut self.frames, |frame| frame.token == token.0)
    }

    /// What the frame `token` names made current, for the caller to drop
    /// outside the borrow.
    fn detach(&mut self, token: Token) -> Option<Attached> {
        take_last(&mut self.attached, |attached| attached.token == token.0)
    }
}

/// Takes the last item of `items` that is `found`: most often the top one,
/// looked at first without a loop.
#[inline(always)]
fn take_last<T>(items: &mut Vec<T>, found: impl Fn(&T) -> bool) -> Option<T> {
    if items.last().is_some_and(&found) {
        return items.pop();
    }
    let at = items.iter().rposition(found)?;
    Some(items.remove(at))
}

/// The next token from a thread's `next_token`.
fn take_token(next_token: &mut u64) -> u64 {
    if *next_token == 0 {
        *next_token = (THREADS.fetch_add(1, Ordering::Relaxed) + 1) << TOKEN_BITS;
    }
    let token = *next_token;
    *next_token += 1;
    token
}

impl Drop for Frames {
    fn drop(&mut self) {
        for frame in self.frames.drain(..) {
            std::mem::forget(frame);
        }
        for attached in self.attached.drain(..) {
            std::mem::forget(attached);
        }
    }
}

/// Each thread numbers its tokens from its own range of 2^40 (12 days of a
/// million pushes a second), for up to 2^24 threads.
const TOKEN_BITS: u32 = 40;

/// How many threads have pushed a frame: each numbers its tokens apart.
static THREADS: AtomicU64 = AtomicU64::new(0);

/// Whether each span is also made current in OpenTelemetry's `Context`.
static MIRROR: AtomicBool = AtomicBool::new(false);

/// Makes every span current in OpenTelemetry's `Context` too (or stops),
/// for programs whose OpenTelemetry code must see tracekit's spans as the
/// current ones (`tracing-opentelemetry`, the SDK's tracers).
#[cfg(feature = "pipeline")]
pub(crate) fn mirror(on: bool) {
    MIRROR.store(on, Ordering::Relaxed);
}

/// Names a frame pushed on this thread, to pop it again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Token(u64);

/// A call's span pushed in place ([`with_current_frame_or_call`]): the
/// token of its frame, and whether it is recorded (see
/// [`CallSpan::recorded`]), so that nothing is formatted for one that is not.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PushedCall {
    pub(crate) token: Token,
    pub(crate) recorded: bool,
}

/// Makes `state`'s span the current one of this thread until [`pop`], and
/// what it carries current in OpenTelemetry's `Context` for as long.
pub(crate) fn push(mut state: Box<SpanState>) -> Token {
    let seen = state.otel_span_at_start.take();
    let (ids, carried) = (&state.ids, state.carried.as_ref());
    let _carried = carried.map(|carried| carried.clone().attach());
    let mirrors = MIRROR.load(Ordering::Relaxed) && ids.is_valid();
    // A carried context that holds the span already shows it.
    let _mirrored = (mirrors && !carried.is_some_and(|cx| cx.span().span_context() == ids)).then(|| {
        // The SDK and `tracing-opentelemetry` read the parent there.
        Context::map_current(|current| current.with_span(MirroredSpan(ids.clone()))).attach()
    });
    // Read again unless noted at the start with nothing made current since.
    let otel_span = match seen {
        Some(seen) if _carried.is_none() && _mirrored.is_none() => seen,
        _ => otel_span_id(),
    };
    // A thread being torn down has no stack left: the span is current nowhere.
    // Or, called from where the stack is borrowed, pushing nothing: the
    // span is then current nowhere rather than a panic.
    let pushed = FRAMES.try_with(move |frames| {
        let mut frames = frames.try_borrow_mut().ok()?;
        let token = frames.next_token();
        frames.frames.push(Frame { token, span: CurrentSpan::Entered(state), otel_span });
        Some(token)
    });
    let Some(token) = pushed.ok().flatten() else { return Token(u64::MAX) };
    // Kept apart, as few frames make anything current: the guards' bytes
    // stay out of the frame's move.
    if _mirrored.is_some() || _carried.is_some() {
        let _ = FRAMES.try_with(move |frames| {
            let mut frames = frames.try_borrow_mut().ok()?;
            frames.attached.push(Attached { token, _mirrored, _carried });
            Some(())
        });
    }
    Token(token)
}

/// Makes `ids` current: those of a span whose state is kept elsewhere (a
/// `tracing` span entered on this thread), in a box the stack recycles,
/// with the local trace the span is held in, if any, for the spans
/// started under it to join, and its lane, if it has one, for the calls
/// and spans under it to start on. [`exit_ids`] ends it.
#[cfg_attr(not(feature = "tracing"), allow(dead_code, reason = "used by the tracing layer"))]
pub(crate) fn enter_ids(ids: &SpanContext, local_trace: Option<LocalTraceRef>, lane: Option<&Lane>) -> Token {
    // A mirrored span has a `Context` of its own made current: the whole push.
    if MIRROR.load(Ordering::Relaxed) {
        let mut state = Box::new(SpanState::new(ids.clone(), None, None));
        state.local_trace = local_trace;
        return push(state);
    }
    let otel_span = otel_span_id();
    let pushed = FRAMES.try_with(|frames| {
        let mut frames = frames.try_borrow_mut().ok()?;
        let mut state = match frames.spare_ids.pop() {
            Some(spare) => spare,
            None => Box::new(SpanState::new(SpanContext::NONE, None, None)),
        };
        state.ids = ids.clone();
        state.local_trace = local_trace;
        // The box keeps the lane of the span it held last: its sink is
        // counted again only when this is another one.
        match (&mut state.lane, lane) {
            (Some(kept), Some(lane)) => kept.set_to(lane),
            (kept, lane) => *kept = lane.cloned(),
        }
        let token = frames.next_token();
        frames.frames.push(Frame { token, span: CurrentSpan::Entered(state), otel_span });
        Some(token)
    });
    Token(pushed.ok().flatten().unwrap_or(u64::MAX))
}

/// Ends what [`enter_ids`] began, whichever frames were pushed since.
#[cfg_attr(not(feature = "tracing"), allow(dead_code, reason = "used by the tracing layer"))]
pub(crate) fn exit_ids(token: Token) {
    let local_trace = take_frame(token, |frames, span| {
        let CurrentSpan::Entered(mut state) = span else { return None };
        let local_trace = state.local_trace.take();
        // Holds ids and a lane now, no `Context`: nothing of OpenTelemetry's
        // drops here. The lane stays for the next span entered, as a call
        // box's does.
        if frames.spare_ids.len() < SPARE_BOXES {
            frames.spare_ids.push(state);
        }
        local_trace
    });
    // Off the borrow: the last hold on a local trace decides it.
    drop(local_trace);
}

/// Ends what [`push`] began, whichever frames were pushed since; gives the
/// state back.
pub(crate) fn pop(token: Token) -> Option<Box<SpanState>> {
    take_frame(token, |_, span| match span {
        CurrentSpan::Entered(state) => Some(state),
        CurrentSpan::Call(..) => None,
    })
    .flatten()
}

/// Takes the frame `token` names off the stack, whichever frames were
/// pushed since, and gives its span to `keep`, within the borrow; then
/// drops what the frame made current.
fn take_frame<R>(token: Token, keep: impl FnOnce(&mut Frames, CurrentSpan) -> R) -> Option<R> {
    let (kept, any_attached) = FRAMES
        .try_with(|frames| {
            let mut frames = frames.try_borrow_mut().ok()?;
            let span = frames.take(token)?.span;
            let kept = keep(&mut frames, span);
            Some((kept, !frames.attached.is_empty()))
        })
        .ok()
        .flatten()?;
    // Looked for apart, as few frames made anything current; dropped
    // outside the borrow, as the guards' drop runs OpenTelemetry code.
    if any_attached {
        drop(FRAMES.try_with(|frames| frames.try_borrow_mut().ok()?.detach(token)));
    }
    Some(kept)
}

/// Takes the frame of a call span [`with_current_frame_or_call`] pushed
/// off the stack: `leave` runs on the span within the stack's borrow (it
/// ends the span, or takes what goes on as a future's, and touches no
/// frame); the box goes back to the stack for the next call. A call's
/// frame made nothing current: there is nothing to detach, and no look
/// for it on this path that every call takes. Inlined into each end.
#[inline(always)]
pub(crate) fn leave_call<R>(token: Token, leave: impl FnOnce(&mut CallSpan) -> R) -> Option<R> {
    FRAMES
        .try_with(|frames| {
            let mut frames = frames.try_borrow_mut().ok()?;
            let CurrentSpan::Call(mut call) = frames.take(token)?.span else { return None };
            let left = leave(&mut call);
            if frames.spare_calls.len() < SPARE_BOXES {
                frames.spare_calls.push(call);
            }
            Some(left)
        })
        .ok()
        .flatten()
}

/// Takes the call span of the frame `token` off the stack, whichever
/// frames were pushed since, in its box: a call that goes on as a future's
/// keeps the box, to make it current at each poll ([`push_call`]).
pub(crate) fn take_call_box(token: Token) -> Option<Box<CallSpan>> {
    let mut call = FRAMES
        .try_with(|frames| match frames.try_borrow_mut().ok()?.take(token)?.span {
            CurrentSpan::Call(call) => Some(call),
            CurrentSpan::Entered(_) => None,
        })
        .ok()
        .flatten()?;
    // It may end on another thread, whose roots then take its box: that
    // thread's own lease is looked up for them, not this one's kept.
    call.kept_root = None;
    Some(call)
}

/// Makes `call`, a call span taken off the stack in its box
/// ([`take_call_box`]), current again until [`take_call_box`]; handed back
/// where this thread has no stack left.
pub(crate) fn push_call(call: Box<CallSpan>) -> Result<Token, Box<CallSpan>> {
    let otel_span = otel_span_id();
    let mut call = Some(call);
    let pushed = FRAMES.try_with(|frames| {
        let mut frames = frames.try_borrow_mut().ok()?;
        let token = frames.next_token();
        frames.frames.push(Frame { token, span: CurrentSpan::Call(call.take()?), otel_span });
        Some(Token(token))
    });
    match (pushed.ok().flatten(), call) {
        (Some(token), _) => Ok(token),
        (None, Some(call)) => Err(call),
        (None, None) => unreachable!("a call is pushed only with its token"),
    }
}

/// Keeps the box of a call that ended off the stack for a later call on
/// this thread, as [`leave_call`] keeps those it takes.
pub(crate) fn recycle_call(call: Box<CallSpan>) {
    let _ = FRAMES.try_with(|frames| {
        let mut frames = frames.try_borrow_mut().ok()?;
        (frames.spare_calls.len() < SPARE_BOXES).then(|| frames.spare_calls.push(call))
    });
}

/// Runs `f` on the call span of the frame `token`, if it is one.
pub(crate) fn with_call<R>(token: Token, f: impl FnOnce(&mut CallSpan) -> R) -> Option<R> {
    with_frame(
        |frame| frame.token == token.0,
        |span| match span {
            CurrentSpan::Call(call) => Some(f(call)),
            CurrentSpan::Entered(_) => None,
        },
    )
}

/// Runs `f` on the span of the frame `token`, if it is recorded.
pub(crate) fn with_live<R>(token: Token, f: impl FnOnce(&mut LiveSpan) -> R) -> Option<R> {
    with_frame(|frame| frame.token == token.0, |span| span.live().map(f))
}

/// Runs `f` on the recorded span with id `span_id`, if it is current on
/// this thread.
pub(crate) fn with_live_span<R>(span_id: SpanId, f: impl FnOnce(&mut LiveSpan) -> R) -> Option<R> {
    with_frame(|frame| frame.span.ids().span_id() == span_id, |span| span.live().map(f))
}

/// Runs `f` on the span of the innermost frame `found`, within the borrow.
fn with_frame<R>(found: impl Fn(&Frame) -> bool, f: impl FnOnce(&mut CurrentSpan) -> Option<R>) -> Option<R> {
    FRAMES
        .try_with(|frames| {
            let mut frames = frames.try_borrow_mut().ok()?;
            let frame = frames.frames.iter_mut().rev().find(|frame| found(frame))?;
            f(&mut frame.span)
        })
        .ok()
        .flatten()
}

/// The span id current in OpenTelemetry's `Context`.
fn otel_span_id() -> SpanId {
    Context::map_current(|current| current.span().span_context().span_id())
}

/// The parent of a span being started.
pub(crate) struct Parent {
    /// The parent span's ids; invalid for a root.
    pub(crate) ids: SpanContext,
    /// The OpenTelemetry `Context` the parent comes from: one given by hand,
    /// or OpenTelemetry's current one where no tracekit span is current or
    /// OpenTelemetry code made a span current inside it. `None`: a span of
    /// tracekit's current on this thread.
    context: Option<Context>,
    /// The parent's local trace, when it is held for a keep decision.
    pub(crate) local_trace: Option<LocalTraceRef>,
}

impl Parent {
    /// The parent in `context`.
    pub(crate) fn in_context(context: Context) -> Parent {
        let ids = context.span().span_context().clone();
        // A context made from one of tracekit's spans carries its local trace.
        let local_trace = context.get::<LocalTraceOf>().filter(|of| of.span_id == ids.span_id());
        let local_trace = local_trace.map(|of| of.trace.clone());
        Parent { ids, context: Some(context), local_trace }
    }

    /// One of tracekit's spans, current on this thread.
    pub(crate) fn local(span: &CurrentSpan) -> Parent {
        Parent { ids: span.ids().clone(), context: None, local_trace: span.local_trace() }
    }

    /// The ids, and the `Context` they come from (`None`: a tracekit span's).
    pub(crate) fn into_parts(self) -> (SpanContext, Option<Context>) {
        (self.ids, self.context)
    }

    /// The parent as an OpenTelemetry `Context`, for the SDK's samplers and
    /// tracers.
    #[cfg(feature = "pipeline")]
    pub(crate) fn to_context(&self) -> Context {
        match &self.context {
            Some(context) => context.clone(),
            None => Context::current().with_span(MirroredSpan(self.ids.clone())),
        }
    }
}

/// Runs `decide` on the parent of a span started now, borrowed: the state of
/// tracekit's current span (`None` when OpenTelemetry's current context is
/// the parent), with OpenTelemetry's current context. Nothing is cloned,
/// so that a span decided against costs no more than this look.
pub(crate) fn with_current_frame<R>(decide: impl FnOnce(Option<&CurrentSpan>, &Context) -> R) -> R {
    Context::map_current(|current| {
        let otel_span = current.span().span_context().span_id();
        let mut decide = Some(decide);
        let decided = FRAMES.try_with(|frames| {
            let frames = frames.try_borrow().ok()?;
            let top = frames.frames.last().filter(|top| top.otel_span == otel_span)?;
            decide.take().map(|decide| decide(Some(&top.span), current))
        });
        match (decided, decide) {
            (Ok(Some(decided)), _) => decided,
            (_, Some(decide)) => decide(None, current),
            (_, None) => unreachable!("`decide` runs once, and its value is returned"),
        }
    })
}

/// [`with_current_frame`] for the span of a synchronous call, which
/// starts on the lane of the current span when it has one, on the
/// backend's lane for roots when no span is current at all, or recording
/// nothing under a remote span OpenTelemetry has current that its backend
/// skips: `call` gets tracekit's current span (`None`: none, and what
/// OpenTelemetry has current is a remote span or none), OpenTelemetry's
/// current context and the boxes
/// of ended calls the stack keeps, and gives the call's span, filled, to
/// push as the current one, or declines; `decide` runs otherwise. One look
/// serves both.
#[allow(clippy::vec_box, reason = "the boxes themselves are what is recycled")]
pub(crate) fn with_current_frame_or_call<R>(
    call: impl FnOnce(Option<&mut CurrentSpan>, &Context, &mut Vec<Box<CallSpan>>) -> Option<Box<CallSpan>>,
    decide: impl FnOnce(Option<&CurrentSpan>, &Context) -> R,
) -> Result<PushedCall, R> {
    Context::map_current(|current| {
        let otel_ids = current.span();
        let otel_ids = otel_ids.span_context();
        let otel_span = otel_ids.span_id();
        let mut decide = Some(decide);
        let decided = FRAMES.try_with(|frames| {
            let mut frames = frames.try_borrow_mut().ok()?;
            let Frames { frames, next_token, spare_calls, .. } = &mut *frames;
            let mut top = frames.last_mut().filter(|top| top.otel_span == otel_span);
            // With no span of tracekit's current, a call may start on a lane
            // as a root (nothing current in OpenTelemetry either) or under a
            // remote span; the backend starts it under any other span
            // OpenTelemetry has current (a program's own tracer's).
            if top.is_none() && otel_span != SpanId::INVALID && !otel_ids.is_remote() {
                return None;
            }
            // A mirrored span needs its own `Context` made current: a push of its own.
            let called = match MIRROR.load(Ordering::Relaxed) {
                false => call(top.as_deref_mut().map(|top| &mut top.span), current, spare_calls),
                true => None,
            };
            let Some(called) = called else {
                let top = top.map(|top| &top.span);
                return decide.take().map(|decide| Err(decide(top, current)));
            };
            let token = take_token(next_token);
            let recorded = called.recorded;
            frames.push(Frame { token, span: CurrentSpan::Call(called), otel_span });
            Some(Ok(PushedCall { token: Token(token), recorded }))
        });
        match (decided, decide) {
            (Ok(Some(decided)), _) => decided,
            (_, Some(decide)) => Err(decide(None, current)),
            (_, None) => unreachable!("`decide` runs once, and its value is returned"),
        }
    })
}

/// The parent of a span started now, and what `read` takes from
/// OpenTelemetry's current `Context` (read once for both).
pub(crate) fn current_parent<T>(read: impl FnOnce(&Context) -> T) -> (Parent, T) {
    with_current_frame(|local, current| {
        let value = read(current);
        match local {
            Some(state) => (Parent::local(state), value),
            None => (Parent::in_context(current.clone()), value),
        }
    })
}

/// Whether `ids` name a span of this process (not remote, not none).
pub(crate) fn is_local(ids: &SpanContext) -> bool {
    ids.is_valid() && !ids.is_remote()
}

/// The ids of the span current here: tracekit's, or OpenTelemetry's.
pub(crate) fn current_ids() -> Option<SpanContext> {
    let ids = current_parent(|_| ()).0.ids;
    ids.is_valid().then_some(ids)
}

/// OpenTelemetry's current `Context` with tracekit's current span as its
/// span: what is sent on to other services, and what code that wants a
/// `Context` gets.
pub(crate) fn current_context() -> Context {
    let parent = current_parent(|_| ()).0;
    match parent.context {
        Some(context) => context,
        None => context_of(parent.ids, parent.local_trace),
    }
}

/// OpenTelemetry's current `Context` with the span of `ids` as its span,
/// and its local trace: a parent given by its ids.
pub(crate) fn context_of(ids: SpanContext, local_trace: Option<LocalTraceRef>) -> Context {
    let span_id = ids.span_id();
    let context = Context::current().with_span(MirroredSpan(ids));
    match local_trace {
        Some(trace) => context.with_value(LocalTraceOf { span_id, trace }),
        None => context,
    }
}

/// The local trace of the span a `Context` was made from, so that spans
/// started under that `Context` join it.
struct LocalTraceOf {
    span_id: SpanId,
    trace: LocalTraceRef,
}

/// A tracekit span as OpenTelemetry code sees it in a `Context`: its ids,
/// and what is recorded on it reaches the span while it is current on the
/// thread that records.
#[derive(Debug)]
struct MirroredSpan(SpanContext);

impl opentelemetry::trace::Span for MirroredSpan {
    fn add_event_with_timestamp<T>(
        &mut self,
        name: T,
        timestamp: std::time::SystemTime,
        attributes: Vec<opentelemetry::KeyValue>,
    ) where
        T: Into<std::borrow::Cow<'static, str>>,
    {
        let name = name.into();
        with_live_span(self.0.span_id(), |live| live.add_event_with_timestamp(name, timestamp, attributes));
    }

    fn span_context(&self) -> &SpanContext {
        &self.0
    }

    fn is_recording(&self) -> bool {
        with_live_span(self.0.span_id(), |live| live.is_recording()).unwrap_or(false)
    }

    fn set_attribute(&mut self, attribute: opentelemetry::KeyValue) {
        with_live_span(self.0.span_id(), |live| live.set_attribute(attribute));
    }

    fn set_status(&mut self, status: opentelemetry::trace::Status) {
        with_live_span(self.0.span_id(), |live| live.set_status(status));
    }

    fn update_name<T>(&mut self, new_name: T)
    where
        T: Into<std::borrow::Cow<'static, str>>,
    {
        let name = new_name.into();
        with_live_span(self.0.span_id(), |live| live.update_name(name));
    }

    fn add_link(&mut self, span_context: SpanContext, attributes: Vec<opentelemetry::KeyValue>) {
        with_live_span(self.0.span_id(), |live| live.add_link(span_context, attributes));
    }

    /// Ended by tracekit, when its own guard ends it.
    fn end_with_timestamp(&mut self, _timestamp: std::time::SystemTime) {}
}
