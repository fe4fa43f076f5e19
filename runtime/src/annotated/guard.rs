//! The span of one call of an annotated function: [`SyncSpan`] for a
//! synchronous body, [`AsyncSpan`] for an `async` one.

use crate::facade::callsite::Callsite;
use crate::facade::code_location::CodeLocation;
use crate::facade::lane;
use crate::facade::live::CallSpan;
use crate::facade::open::{end_call, OpenSpan, SpanStart};
use crate::facade::recorder::Recorder;
use crate::facade::stack::{self, PushedCall};
use crate::facade::start::{start_call_span, start_span};
use crate::keys::CANCELLED;
use crate::metered::Stopwatch;
use crate::support::clock::Reading;
use opentelemetry::{Context, ContextGuard, KeyValue};
use std::borrow::Cow;
use std::cell::Cell;
use std::future::{poll_fn, Future};
use std::mem::ManuallyDrop;
use std::pin::pin;
use std::time::Duration;

/// Where the span of a call of `callsite`'s function starts.
#[inline(always)]
fn call_start(callsite: &'static Callsite, started: Option<Reading>) -> SpanStart {
    SpanStart {
        name: Cow::Borrowed(callsite.name),
        kind: callsite.kind.clone(),
        code: Some(CodeLocation::Function(callsite)),
        attributes: Vec::new(),
        started,
    }
}

/// The parent of a span without `parent = ..`: the current context.
#[inline(always)]
pub fn current_parent() -> Option<Context> {
    None
}

/// What the expansion records on a span at one end of its call: a closure
/// over the arguments (or the outcome), or [`NothingToRecord`].
pub trait WhatToRecord {
    /// Whether nothing is ever recorded: then a call on a lane makes no
    /// [`Recorder`] as it starts, and no call makes one as it ends.
    const NOTHING: bool = false;

    /// Records into `recorder`.
    fn record(self, recorder: &mut Recorder);
}

impl<F: FnOnce(&mut Recorder)> WhatToRecord for F {
    #[inline(always)]
    fn record(self, recorder: &mut Recorder) {
        self(recorder);
    }
}

/// What a span records where the attribute asks for nothing (no
/// arguments, or an outcome that cannot fail and is not asked for): known
/// by its type, so that the call makes no recorder for it.
pub struct NothingToRecord;

impl WhatToRecord for NothingToRecord {
    const NOTHING: bool = true;

    fn record(self, _: &mut Recorder) {}
}

/// What `parent = ..` accepts: a `Context` (such as one returned by
/// `tracekit::propagation::extract`), by value or by reference, or an
/// `Option<Context>` whose `None` makes the span a root, as `tracing`'s
/// `parent = None` does.
#[diagnostic::on_unimplemented(
    message = "`parent = ..` takes an OpenTelemetry `Context`, not `{Self}`",
    label = "not a `Context`",
    note = "extract one from the incoming request: `parent = tracekit::propagation::extract(&headers)`; \
            for a root span, `parent = None` or `parent = tracekit::opentelemetry::Context::new()`"
)]
pub trait IntoParent {
    /// The context to continue.
    fn into_parent(self) -> Context;
}

impl IntoParent for Context {
    fn into_parent(self) -> Context {
        self
    }
}

impl IntoParent for &Context {
    fn into_parent(self) -> Context {
        self.clone()
    }
}

/// `None`: no parent, a new trace (test captures still see it).
impl IntoParent for Option<Context> {
    fn into_parent(self) -> Context {
        self.unwrap_or_default()
    }
}

/// A recording closure with its type erased, so that the code behind it is
/// compiled once in tracekit rather than once per annotated function, and
/// whether it records nothing (then a call on a lane makes no recorder).
struct Record<'a> {
    closure: &'a mut dyn FnMut(&mut Recorder),
    nothing: bool,
}

/// Lets `record` be passed as a [`Record`] of its closure; it runs at most once.
#[inline(always)]
fn erased(record: impl WhatToRecord) -> impl FnMut(&mut Recorder) {
    let mut record = Some(record);
    move |recorder| {
        if let Some(record) = record.take() {
            record.record(recorder);
        }
    }
}

/// What both kinds of call spans hold: the span, if it is recorded, and
/// when the call started, if its duration is wanted (`trace_performance`'s
/// threshold, the metrics).
struct Call {
    callsite: &'static Callsite,
    open: Option<OpenSpan>,
    /// Read when the call starts if a threshold or the metrics time it; the
    /// one reading at each end serves the threshold, the metrics and the span.
    started: Option<Reading>,
    /// The metrics' clock, while metrics are on.
    stopwatch: Option<Stopwatch>,
    /// The `error.type` of the outcome, once known: for the metrics.
    failure: Option<&'static str>,
}

impl Call {
    /// `None` when there is nothing to do: no span and no clock.
    fn start(
        callsite: &'static Callsite,
        parent: impl FnOnce() -> Option<Context>,
        record: Record<'_>,
    ) -> Option<Call> {
        let stopwatch = Stopwatch::start();
        // The threshold's clock runs whether or not anything records, so the
        // warning is never lost to sampling.
        let started = stopwatch.map(Stopwatch::started).or_else(|| callsite.threshold.map(|_| Reading::now()));
        let open = start_span(|| call_start(callsite, started), parent, record.closure);
        (open.is_some() || started.is_some()).then_some(Call { callsite, open, started, stopwatch, failure: None })
    }

    /// The call of a span started with no clock running.
    fn untimed(callsite: &'static Callsite, open: OpenSpan) -> Call {
        Call { callsite, open: Some(open), started: None, stopwatch: None, failure: None }
    }

    /// The call of `open` (`None`: not recorded), timed from `started`,
    /// the span's start if it has one: for its threshold, and for the
    /// metrics while they are on.
    fn timed(callsite: &'static Callsite, open: Option<OpenSpan>, started: Reading) -> Call {
        let stopwatch = crate::metered::is_on().then(|| Stopwatch::since(started));
        Call { callsite, open, started: Some(started), stopwatch, failure: None }
    }

    /// Records the result or error, if the span is recorded; learns only
    /// whether it failed, formatting nothing, if the call is just timed.
    #[inline]
    fn record_outcome(&mut self, record: impl FnOnce(&mut Recorder)) {
        if let Some(mut recorder) = self.outcome_recorder() {
            record(&mut recorder);
            self.apply_outcome(recorder);
        }
    }

    /// What the outcome is recorded into: everything while the span is
    /// recorded, only the failure while the call is just timed.
    #[inline]
    fn outcome_recorder(&self) -> Option<Recorder> {
        if self.open.as_ref().is_some_and(|open| open.recording) {
            Some(Recorder::default())
        } else if self.stopwatch.is_some() {
            Some(Recorder::outcome_only())
        } else {
            None
        }
    }

    fn apply_outcome(&mut self, recorder: Recorder) {
        self.failure = recorder.failure();
        // Most calls succeed with no result recorded: the span is not looked up.
        if recorder.is_empty() {
            return;
        }
        if let Some(open) = self.open.as_mut().filter(|open| open.recording) {
            open.with_live(|live| recorder.apply_to(live));
        }
    }

    fn end(&mut self, panic_recorded: bool, cancelled: bool) {
        let Call { callsite, open, started, stopwatch, failure } = self;
        end_call(open.as_mut(), started.is_some(), panic_recorded, |ended, open| {
            if let (Some(threshold), Some(started)) = (callsite.threshold, *started) {
                let elapsed = ended.since(started);
                if elapsed > threshold {
                    let at = ended.wall_time();
                    crate::annotated::performance::threshold_exceeded(callsite, elapsed, threshold, open, at);
                }
            }
            if let Some(stopwatch) = stopwatch {
                stopwatch.stop_operation(callsite, ended, outcome_type(panic_recorded, cancelled, *failure));
            }
        });
    }
}

/// The `error.type` of a future dropped before it finished.
const CANCELLED_OUTCOME: &str = "cancelled";

/// The `error.type` the metrics record for a call that ended: a panic (one
/// recorded already, or under way), a cancellation, else the outcome's.
fn outcome_type(panicked: bool, cancelled: bool, failure: Option<&'static str>) -> Option<&'static str> {
    if panicked || std::thread::panicking() {
        Some("panic")
    } else if cancelled {
        Some(CANCELLED_OUTCOME)
    } else {
        failure
    }
}

/// The span of a synchronous call, current while the body runs; dropping it
/// ends the span (on `return`, `?` and panics alike).
pub struct SyncSpan {
    // Ended by `Drop for SyncSpan`, which takes the call out: no drop glue
    // of its own, so the annotated function has none to call.
    inner: ManuallyDrop<Option<SyncCall>>,
}

enum SyncCall {
    /// Started on its parent's lane, or on the lane for roots: the frame of
    /// the thread's stack that the [`PushedCall`] names holds the span.
    OnLane(PushedCall),
    /// The same, timed (a threshold, the metrics) by the span's own two
    /// readings, with the outcome's `error.type` once known.
    OnLaneTimed(PushedCall, Option<&'static str>),
    /// Started by the backend. `None` once the call went on as a future's
    /// ([`SyncSpan::into_async`]).
    Started(Option<Call>),
}

impl SyncSpan {
    /// Starts the span and makes it current. `record` runs only if the span
    /// is recorded.
    #[inline(always)]
    pub fn enter<R: WhatToRecord>(
        callsite: &'static Callsite,
        parent: impl FnOnce() -> Option<Context>,
        record: R,
    ) -> Self {
        // The threshold is a constant of the callsite: for most functions
        // this is the single check of an annotated call.
        if callsite.threshold.is_none() && !crate::facade::dispatch::is_active() {
            return SyncSpan { inner: ManuallyDrop::new(None) };
        }
        // Inline up to the choice of start, each out of line: a function
        // with no `parent = ..` (whose `parent` is a constant `None`) goes
        // straight to its start, with no frame between.
        // The out-of-line starts take the closure and `nothing` apart, in
        // registers: a `Record` is passed by address, and its closure, read
        // back whole just after its two halves were stored, waited for the
        // stores to land (2 to 3% of a call's time).
        let closure = &mut erased(record);
        match parent() {
            Some(given) => Self::start_under(callsite, given, Record { closure, nothing: R::NOTHING }),
            None if callsite.threshold.is_some() || crate::metered::is_on() => {
                Self::start_timed(callsite, closure, R::NOTHING)
            }
            None => Self::start_untimed(callsite, closure, R::NOTHING),
        }
    }

    /// Starts the span of a call under the `parent = ..` it was given.
    #[inline(never)]
    fn start_under(callsite: &'static Callsite, given: Context, record: Record<'_>) -> Self {
        Self::start(callsite, || Some(given), record)
    }

    /// Starts the span of a call with neither a parent given nor a clock
    /// to run: on the lane of the span it runs under, if that span has one.
    /// Not generic, so compiled once, in tracekit.
    #[inline(never)]
    fn start_untimed(callsite: &'static Callsite, closure: &mut dyn FnMut(&mut Recorder), nothing: bool) -> Self {
        let record = Record { closure, nothing };
        match start_call_span(callsite, || call_start(callsite, None), &mut *record.closure) {
            Ok(pushed) => {
                record_on_lane(pushed, record);
                SyncSpan { inner: ManuallyDrop::new(Some(SyncCall::OnLane(pushed))) }
            }
            Err(open) => {
                SyncSpan { inner: ManuallyDrop::new(open.map(|open| Self::entered(Call::untimed(callsite, open)))) }
            }
        }
    }

    /// [`SyncSpan::start_untimed`], for a call timed (a threshold, the
    /// metrics) by its span's own readings: on a lane, those the lane
    /// takes; started by the backend, the one its start is given. A call
    /// not recorded reads the clock once its span is known not to start:
    /// its threshold is still watched.
    #[inline(never)]
    fn start_timed(callsite: &'static Callsite, closure: &mut dyn FnMut(&mut Recorder), nothing: bool) -> Self {
        let record = Record { closure, nothing };
        let inner = match start_call_without_parent(callsite, true, record) {
            Ok(pushed) => Some(SyncCall::OnLaneTimed(pushed, None)),
            Err(call) => call.map(Self::entered),
        };
        SyncSpan { inner: ManuallyDrop::new(inner) }
    }

    /// `call`, its span (if any) made current.
    fn entered(mut call: Call) -> SyncCall {
        if let Some(open) = &mut call.open {
            open.enter();
        }
        SyncCall::Started(Some(call))
    }

    /// Starts the span through the backend.
    fn start(callsite: &'static Callsite, parent: impl FnOnce() -> Option<Context>, record: Record<'_>) -> Self {
        let inner = Call::start(callsite, parent, record).map(|mut call| {
            if let Some(open) = &mut call.open {
                open.enter();
            }
            SyncCall::Started(Some(call))
        });
        SyncSpan { inner: ManuallyDrop::new(inner) }
    }

    /// Records the outcome, then ends the span.
    #[inline]
    pub fn finish<R: WhatToRecord>(mut self, record: R) {
        if R::NOTHING {
            return;
        }
        let record = Record { closure: &mut erased(record), nothing: false };
        match self.inner.as_mut() {
            Some(SyncCall::OnLane(pushed)) => record_on_lane(*pushed, record),
            // Out of line, so that an annotated function keeps one small
            // match for what ends its call.
            Some(call) => call.record_outcome(record),
            None => {}
        }
    }

    /// The span goes on with the future the body returned: no longer
    /// current here, it is current at each poll of the future, and ends
    /// with it.
    pub(crate) fn into_async(mut self) -> AsyncSpan {
        let on_lane = match self.inner.as_mut() {
            Some(SyncCall::OnLane(pushed) | SyncCall::OnLaneTimed(pushed, _)) => Some(*pushed),
            _ => None,
        };
        let inner = match on_lane {
            Some(pushed) => {
                // Not ended here: the span goes on as the future's, which
                // may be polled anywhere, later.
                std::mem::forget(self.inner.take());
                going_on(pushed, false)
            }
            None => match self.inner.as_mut() {
                Some(SyncCall::Started(call)) => call.take().map(|mut call| {
                    if let Some(open) = &mut call.open {
                        open.exit();
                    }
                    carrying(call)
                }),
                _ => None,
            },
        };
        AsyncSpan { inner: inner.map(AsyncCall::new) }
    }
}

/// Starts the span of a call of `callsite` with no parent given, on a
/// lane where it can (`Ok`, its arguments recorded); otherwise through
/// the backend. `timed`, a span the backend starts is given the
/// reading that starts its call's clock, so that both share it.
fn start_call_without_parent(
    callsite: &'static Callsite,
    timed: bool,
    record: Record<'_>,
) -> Result<PushedCall, Option<Call>> {
    let span_started = Cell::new(None);
    let start = || {
        let now = timed.then(Reading::now);
        span_started.set(now);
        call_start(callsite, now)
    };
    match start_call_span(callsite, start, &mut *record.closure) {
        // A root whose trace is not sampled reads no clock on the lane.
        Ok(pushed) if !pushed.recorded => {
            if timed {
                lane::read_start(pushed.token);
            }
            Ok(pushed)
        }
        Ok(pushed) => {
            record_on_lane(pushed, record);
            Ok(pushed)
        }
        Err(open) if timed => Err(Some(Call::timed(callsite, open, span_started.get().unwrap_or_else(Reading::now)))),
        Err(open) => Err(open.map(|open| Call::untimed(callsite, open))),
    }
}

/// A call on a lane past its threshold at `ended`: its span marked, and
/// how long it took against the threshold, to say so once it has left
/// the stack.
fn mark_if_slow(call: &mut CallSpan, ended: Reading) -> Option<(Duration, Duration)> {
    let threshold = call.callsite.threshold?;
    let elapsed = ended.since(call.started);
    if elapsed <= threshold {
        return None;
    }
    if let Some(live) = call.live() {
        crate::annotated::performance::mark_slow(live, elapsed, threshold, ended.wall_time());
    }
    Some((elapsed, threshold))
}

impl SyncCall {
    /// Records the outcome of a call that is timed or that the backend
    /// started; a timed call on a lane keeps the `error.type` of a failure
    /// recorded, for the metrics.
    #[inline(never)]
    fn record_outcome(&mut self, record: Record<'_>) {
        match self {
            SyncCall::OnLane(pushed) => record_on_lane(*pushed, record),
            SyncCall::OnLaneTimed(pushed, failure) => {
                *failure = record_on_lane_then(*pushed, record, Recorder::failure)
            }
            SyncCall::Started(Some(call)) => call.record_outcome(record.closure),
            SyncCall::Started(None) => {}
        }
    }
}

impl Drop for SyncCall {
    // Inlined into `end_out_of_line`, its one caller on the hot path.
    #[inline]
    fn drop(&mut self) {
        match self {
            SyncCall::OnLane(pushed) => lane::end_call(pushed.token, false),
            SyncCall::OnLaneTimed(pushed, failure) => {
                let failure = if std::thread::panicking() { Some("panic") } else { *failure };
                let ended = lane::end_timed_call(pushed.token, false, mark_if_slow);
                if let Some((slow, callsite, started, ended)) = ended {
                    if let Some((elapsed, threshold)) = slow {
                        crate::annotated::performance::say_slow(callsite, elapsed, threshold);
                    }
                    if crate::metered::is_on() {
                        Stopwatch::since(started).stop_operation(callsite, ended, failure);
                    }
                }
            }
            SyncCall::Started(Some(call)) => call.end(false, false),
            SyncCall::Started(None) => {}
        }
    }
}

/// Runs `record` for a call on a lane, whose span is recorded; takes the
/// span's record only if something other than attributes was recorded.
/// Nothing runs for a call that records nothing, or where nothing is
/// asked: a test in the caller, not a call.
#[inline(always)]
fn record_on_lane(call: PushedCall, record: Record<'_>) {
    if call.recorded && !record.nothing {
        record_on_recorded_lane(call, record);
    }
}

/// [`record_on_lane`]'s call out, kept out of line so that the test in
/// front of it stays small where it is inlined.
#[inline(never)]
fn record_on_recorded_lane(call: PushedCall, record: Record<'_>) {
    record_on_lane_then(call, record, |_| ());
}

/// [`record_on_lane`], keeping what `keep` reads of the recorder first; for
/// a call that records nothing, only whether it failed is learnt.
#[inline(always)]
fn record_on_lane_then<R>(call: PushedCall, record: Record<'_>, keep: impl FnOnce(&Recorder) -> R) -> R {
    let mut recorder = match call.recorded {
        true => Recorder::default(),
        false => Recorder::outcome_only(),
    };
    (record.closure)(&mut recorder);
    let kept = keep(&recorder);
    if call.recorded && !recorder.is_empty() {
        stack::with_call(call.token, |span| recorder.apply_to_call(span));
    }
    kept
}

impl Drop for SyncSpan {
    // Inlined, so that a call with no span costs a test here rather than a
    // call into the drop code; the span itself ends out of line.
    #[inline(always)]
    fn drop(&mut self) {
        if self.inner.is_some() {
            end_out_of_line(&mut self.inner);
        }
    }
}

/// Ends the call where it lies: moving it out first would copy it.
#[inline(never)]
fn end_out_of_line(call: &mut Option<SyncCall>) {
    *call = None;
}

/// The span of an `async` call. It becomes current each time the wrapped
/// future is polled, on whichever thread polls it.
pub struct AsyncSpan {
    inner: Option<AsyncCall>,
}

struct AsyncCall {
    call: AsyncInner,
    finished: bool,
    panicked: bool,
}

/// An async call's span between its polls.
enum AsyncInner {
    /// Started by the backend (a parent given, a span OpenTelemetry code
    /// made current), or by a threshold's clock alone.
    Started(Call),
    /// Started on a lane and kept in its box, as a synchronous call's span
    /// is: no record unless something other than attributes is recorded on
    /// it, and a compact one at its end; nothing at all if not recorded.
    OnLane(LaneCall),
}

/// An async call's span kept in its box from a lane (its parent's, or the
/// lane for roots), recorded or not.
struct LaneCall {
    /// `None` while a poll has it current on the stack.
    call: Option<Box<CallSpan>>,
    /// Where it was left on the stack when it started, until the first
    /// poll (or the build of the future) takes it up there: made current
    /// again at once, it is not taken off in between.
    left_on_stack: Option<stack::Token>,
    /// What OpenTelemetry had current at the call (a test capture,
    /// baggage): current again at each poll, under the span.
    carried: Context,
    /// Whether the metrics time the call, from the span's own readings (its
    /// threshold, if any, is watched from the same readings whatever this
    /// says).
    timed: bool,
    /// The `error.type` of the outcome, once known: for the metrics.
    failure: Option<&'static str>,
}

impl AsyncSpan {
    /// Starts the span, without making it current. `record` runs only if the
    /// span is recorded.
    #[inline(always)]
    pub fn start<R: WhatToRecord>(
        callsite: &'static Callsite,
        parent: impl FnOnce() -> Option<Context>,
        record: R,
    ) -> Self {
        if callsite.threshold.is_none() && !crate::facade::dispatch::is_active() {
            return AsyncSpan { inner: None };
        }
        Self::start_slow(callsite, parent, Record { closure: &mut erased(record), nothing: R::NOTHING })
    }

    #[inline(never)]
    fn start_slow(callsite: &'static Callsite, parent: impl FnOnce() -> Option<Context>, record: Record<'_>) -> Self {
        let inner = match parent() {
            Some(given) => Call::start(callsite, || Some(given), record).map(carrying),
            None => Self::start_without_parent(callsite, record),
        };
        AsyncSpan { inner: inner.map(AsyncCall::new) }
    }

    /// Starts the span of a call with no parent given as a synchronous
    /// call starts, on the lane of the span it runs under if that span has
    /// one, or as a root on the backend's lane for roots, its clock running
    /// if a threshold or the metrics time it. Recorded or not, it goes on in
    /// its box as the future's ([`going_on`]), the box left on the stack for
    /// the first [`Entered`], which the generated code makes next, on this
    /// thread. Not generic, so compiled once, in tracekit.
    #[inline(never)]
    fn start_without_parent(callsite: &'static Callsite, record: Record<'_>) -> Option<AsyncInner> {
        let clocked = crate::metered::is_on() || callsite.threshold.is_some();
        match start_call_without_parent(callsite, clocked, record) {
            Ok(pushed) => going_on(pushed, true),
            Err(call) => call.map(carrying),
        }
    }

    /// Runs `build` with this span current: the synchronous part of a
    /// function that returns a future, so that what it starts while building
    /// the future is the span's child too.
    pub fn in_scope<R>(&mut self, build: impl FnOnce() -> R) -> R {
        let _entered = self.inner.as_mut().map(Entered::new);
        build()
    }

    /// Runs `future` with this span current during every poll.
    pub async fn instrument<F: Future>(&mut self, future: F) -> F::Output {
        let Some(inner) = self.inner.as_mut() else {
            return future.await;
        };
        let mut future = pin!(future);
        poll_fn(|task| {
            let _entered = Entered::new(inner);
            future.as_mut().poll(task)
        })
        .await
    }

    /// Records the outcome, then ends the span.
    pub fn finish<R: WhatToRecord>(mut self, record: R) {
        if let Some(inner) = &mut self.inner {
            inner.finished = true;
            if R::NOTHING {
                return;
            }
            let record = |recorder: &mut Recorder| record.record(recorder);
            match &mut inner.call {
                AsyncInner::Started(call) => call.record_outcome(record),
                AsyncInner::OnLane(call) => call.record_outcome(record),
            }
        }
    }
}

/// The call `pushed` on a lane, going on as a future's in its box, recorded
/// or not (then its ids carry the decision, and its clock runs only if a
/// threshold or the metrics time it): left on the stack for the
/// [`Entered`] the generated code makes next where `left_on_stack`, taken
/// off now otherwise.
fn going_on(pushed: PushedCall, left_on_stack: bool) -> Option<AsyncInner> {
    let (call, left_on_stack) = match left_on_stack {
        true => (None, Some(pushed.token)),
        false => (Some(stack::take_call_box(pushed.token)?), None),
    };
    let timed = crate::metered::is_on();
    Some(AsyncInner::OnLane(LaneCall { call, left_on_stack, carried: Context::current(), timed, failure: None }))
}

/// `call` going on as a future's: whatever polls it sees what was current
/// at the call (a test capture, baggage).
fn carrying(mut call: Call) -> AsyncInner {
    if let Some(open) = &mut call.open {
        open.carry(Context::current);
    }
    AsyncInner::Started(call)
}

impl AsyncCall {
    fn new(call: AsyncInner) -> Self {
        AsyncCall { call, finished: false, panicked: false }
    }
}

impl LaneCall {
    /// The call's box, taken off the stack if it was left there when the
    /// call started and no poll has taken it up.
    fn settled(&mut self) -> Option<&mut CallSpan> {
        if let Some(token) = self.left_on_stack.take() {
            self.call = stack::take_call_box(token);
        }
        self.call.as_deref_mut()
    }

    /// Records the result or error on the span, as a synchronous call on a
    /// lane does; keeps the `error.type` for the metrics.
    fn record_outcome(&mut self, record: impl FnOnce(&mut Recorder)) {
        let timed = self.timed;
        let Some(call) = self.settled() else { return };
        let mut recorder = match (call.recorded, timed) {
            (true, _) => Recorder::default(),
            (false, true) => Recorder::outcome_only(),
            (false, false) => return,
        };
        record(&mut recorder);
        let failure = recorder.failure();
        if call.recorded && !recorder.is_empty() {
            recorder.apply_to_call(call);
        }
        self.failure = failure;
    }

    /// Marks the span failed with the message of the panic under way.
    fn mark_panicked(&mut self) {
        if let Some(live) = self.settled().and_then(CallSpan::live) {
            crate::facade::failure::mark_panicked(live);
        }
    }

    /// Ends the span, warns if it ran past its threshold, and times the
    /// call for the metrics.
    fn end(&mut self, panicked: bool, cancelled: bool) {
        self.settled();
        let Some(mut call) = self.call.take() else { return };
        if !call.recorded && !self.timed && call.callsite.threshold.is_none() {
            // Nothing recorded, nothing timed: no clock to read.
            stack::recycle_call(call);
            return;
        }
        if cancelled {
            if let Some(live) = call.live() {
                live.set_attribute(KeyValue::new(CANCELLED, true));
            }
        }
        let (slow, callsite, started, ended) = lane::end_call_box(call, panicked, mark_if_slow);
        if let Some((elapsed, threshold)) = slow {
            crate::annotated::performance::say_slow(callsite, elapsed, threshold);
        }
        if self.timed {
            Stopwatch::since(started).stop_operation(callsite, ended, outcome_type(panicked, cancelled, self.failure));
        }
    }
}

/// The span of an async call made current, for one poll or while the
/// future is built: a call kept in its box is pushed on the stack, under
/// what was current at the call. A panic under way when it is dropped
/// marks the span: the future may be dropped much later, when the panic is
/// no longer visible.
struct Entered<'a> {
    call: &'a mut AsyncCall,
    /// A call's box on the stack, and what was current at the call made
    /// current again (`None` where it still is: the box was left on the
    /// stack when the call started).
    on_lane: Option<(stack::Token, Option<ContextGuard>)>,
}

impl<'a> Entered<'a> {
    fn new(call: &'a mut AsyncCall) -> Self {
        let on_lane = match &mut call.call {
            AsyncInner::Started(started) => {
                if let Some(open) = &mut started.open {
                    open.enter();
                }
                None
            }
            AsyncInner::OnLane(on_lane) => match on_lane.left_on_stack.take() {
                Some(token) => Some((token, None)),
                None => on_lane.call.take().and_then(|span| {
                    let carried = on_lane.carried.clone().attach();
                    match stack::push_call(span) {
                        Ok(token) => Some((token, Some(carried))),
                        Err(span) => {
                            on_lane.call = Some(span);
                            None
                        }
                    }
                }),
            },
        };
        Entered { call, on_lane }
    }
}

impl Drop for Entered<'_> {
    fn drop(&mut self) {
        match (&mut self.call.call, self.on_lane.take()) {
            (AsyncInner::Started(started), _) => {
                if let Some(open) = &mut started.open {
                    open.exit();
                }
            }
            (AsyncInner::OnLane(on_lane), Some((token, carried))) => {
                on_lane.call = stack::take_call_box(token);
                // Once the span is off the stack, as it was attached before.
                drop(carried);
            }
            (AsyncInner::OnLane(_), None) => {}
        }
        // Marked once the span is off the stack: a call's box is back in
        // the call by then.
        if std::thread::panicking() && !self.call.panicked {
            self.call.panicked = true;
            match &mut self.call.call {
                AsyncInner::Started(started) => {
                    if let Some(open) = &mut started.open {
                        open.mark_panicked();
                    }
                }
                AsyncInner::OnLane(on_lane) => on_lane.mark_panicked(),
            }
        }
    }
}

impl Drop for AsyncCall {
    fn drop(&mut self) {
        let panicked = self.panicked;
        let cancelled = !self.finished && !panicked && !std::thread::panicking();
        match &mut self.call {
            AsyncInner::Started(call) => {
                if cancelled {
                    if let Some(open) = &mut call.open {
                        open.with_live(|live| live.set_attribute(KeyValue::new(CANCELLED, true)));
                    }
                }
                call.end(panicked, cancelled);
            }
            AsyncInner::OnLane(call) => call.end(panicked, cancelled),
        }
    }
}
