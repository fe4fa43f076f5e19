//! Durations as metrics: every annotated call, manual span and request is
//! timed while metrics are installed, sampled or not, and handed to the
//! installed [`Meters`]. The facade knows no metrics SDK; the pipeline's
//! `metrics` module implements [`Meters`] on top of it.
//!
//! A successful call of an annotated function costs two clock reads (shared
//! with its span, if recorded), a thread-local lookup and an append to the
//! thread's pending calls (`pending.rs`), recorded into the meters in runs
//! by the metrics' own thread (`drainer.rs`): no allocation, no attribute
//! set built per call, no lock shared with other threads.

use crate::facade::callsite::Callsite;
use crate::support::clock::Reading;
use crate::support::installed::{Installed, ThreadCopy};
use crate::support::locks::recover;
use opentelemetry::trace::SpanKind;
use pending::{Appended, Ring};
use std::borrow::Cow;
use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};

#[cfg(feature = "metrics")]
mod drainer;
pub(crate) mod pending;
#[cfg(feature = "pipeline")]
pub(crate) mod root_decisions;

/// What records the durations: installed with the metrics.
pub(crate) trait Meters: Send + Sync {
    /// Successful calls of annotated functions, drained from a thread's
    /// pending calls, as (callsite slot, seconds); `callsite_of` tells the
    /// function of a slot not seen before.
    fn operations(&self, calls: &[(usize, f64)], callsite_of: &dyn Fn(usize) -> Option<&'static Callsite>);
    /// A failed call of an annotated function, with its `error.type`.
    fn failed_operation(&self, callsite: &'static Callsite, seconds: f64, failure: &'static str);
    /// The duration of a manual span; a `'static` name is not copied.
    fn span(&self, name: Cow<'static, str>, kind: &SpanKind, seconds: f64, failure: Option<&'static str>);
    /// An HTTP or gRPC request of the `tower` and `reqwest` integrations,
    /// with the attributes its instrument carries.
    #[cfg(feature = "tower")]
    fn request(&self, instrument: RequestInstrument, seconds: f64, attributes: &[opentelemetry::KeyValue]);
}

/// The standard instruments of requests, named as the semantic conventions
/// name them.
#[cfg(feature = "tower")]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RequestInstrument {
    HttpServer = 0,
    HttpClient = 1,
    RpcServer = 2,
    RpcClient = 3,
}

#[cfg(all(feature = "tower", feature = "metrics"))]
impl RequestInstrument {
    pub(crate) fn name(self) -> &'static str {
        match self {
            RequestInstrument::HttpServer => "http.server.request.duration",
            RequestInstrument::HttpClient => "http.client.request.duration",
            RequestInstrument::RpcServer => "rpc.server.call.duration",
            RequestInstrument::RpcClient => "rpc.client.call.duration",
        }
    }
}

/// The installed meters; each thread reads its own copy.
static INSTALLED: Installed<dyn Meters> = Installed::new();
static ON: AtomicBool = AtomicBool::new(false);
/// The slots handed out to callsites, from 1 (0: none yet).
static SLOTS: AtomicUsize = AtomicUsize::new(0);
/// The callsite of each slot, for the calls drained from the rings.
static CALLSITES: RwLock<Vec<Option<&'static Callsite>>> = RwLock::new(Vec::new());

/// This thread's view of the metrics: the installation's meters, and the
/// thread's pending calls.
struct Cache {
    meters: ThreadCopy<dyn Meters>,
    /// Made on the thread's first call; kept across installations.
    ring: Option<Arc<Ring>>,
}

thread_local! {
    static CACHE: RefCell<Cache> = const { RefCell::new(Cache { meters: ThreadCopy::new(), ring: None }) };
}

/// Whether durations are being recorded: one load, false in a build
/// without the `metrics` feature.
#[inline(always)]
pub(crate) fn is_on() -> bool {
    cfg!(feature = "metrics") && ON.load(Ordering::Relaxed)
}

/// Held while the meters are swapped and the calls timed for the old ones
/// are recorded into them, and while the metrics' thread drains: so that it
/// never records calls into meters they were not timed for.
#[cfg(feature = "metrics")]
static SWAPPING: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Makes `meters` the process's, or removes them. The calls still pending
/// are recorded into the meters they were timed for, before those meters'
/// last collection.
#[cfg(feature = "metrics")]
pub(crate) fn set_installed(meters: Option<Arc<dyn Meters>>) {
    let on = meters.is_some();
    if !on {
        ON.store(false, Ordering::Relaxed);
    }
    let _swapping = recover(SWAPPING.lock());
    let replaced = INSTALLED.set(meters);
    match replaced {
        Some(replaced) => pending::drain_all(|calls| record_calls(&*replaced, calls)),
        // Left from calls that ended after the last installation was removed.
        None => pending::drain_all(|_| {}),
    };
    if on {
        drainer::start(drain_installed, pending::any_at_mark);
        ON.store(true, Ordering::Relaxed);
    }
}

/// What the metrics' thread runs: every thread's pending calls recorded
/// into the meters installed, or let go with none (as an installation lets
/// go of those left from calls that ended after the last one was removed).
#[cfg(feature = "metrics")]
fn drain_installed() -> usize {
    let _swapping = recover(SWAPPING.lock());
    match INSTALLED.read() {
        Some(meters) => pending::drain_all(|calls| record_calls(&*meters, calls)),
        None => pending::drain_all(|_| {}),
    }
}

/// Wakes the metrics' thread for a ring at its mark.
fn wake_drainer() {
    #[cfg(feature = "metrics")]
    drainer::wake();
}

/// Records every thread's pending calls into `meters`: run by each
/// collection of their metrics, first, so that it has them. Calls that end
/// while the metrics are being removed, on a thread that still held them,
/// reach their last collection this way.
#[cfg(feature = "metrics")]
pub(crate) fn record_pending(meters: &dyn Meters) {
    pending::drain_all(|calls| record_calls(meters, calls));
}

/// Hands calls drained from a ring to `meters`.
fn record_calls(meters: &dyn Meters, calls: &[(usize, f64)]) {
    meters.operations(calls, &|slot| recover(CALLSITES.read()).get(slot).copied().flatten());
}

/// Runs `f` with this thread's cache, refreshed if the installation changed.
fn with_cache<R>(f: impl FnOnce(&mut Cache) -> R) -> Option<R> {
    CACHE
        .try_with(|cache| {
            let mut cache = cache.try_borrow_mut().ok()?;
            cache.meters.refresh(&INSTALLED);
            Some(f(&mut cache))
        })
        .ok()
        .flatten()
}

/// `callsite`'s slot, given on first use: what its pending calls carry, and
/// where the meters keep its histogram.
fn meter_slot(callsite: &'static Callsite) -> usize {
    // Acquire, with the Release below: whoever sees the slot sees its
    // callsite in `CALLSITES`.
    match callsite.meter_slot.load(Ordering::Acquire) {
        0 => {
            let mine = SLOTS.fetch_add(1, Ordering::Relaxed) + 1;
            // Known before any call can carry the slot.
            let mut callsites = recover(CALLSITES.write());
            if callsites.len() <= mine {
                callsites.resize(mine + 1, None);
            }
            callsites[mine] = Some(callsite);
            drop(callsites);
            match callsite.meter_slot.compare_exchange(0, mine, Ordering::Release, Ordering::Acquire) {
                Ok(_) => mine,
                Err(theirs) => theirs,
            }
        }
        slot => slot,
    }
}

/// The start of a call's duration, read only while metrics are on. The
/// reading is the span's start too, and the one read at the end is the
/// span's end: the metrics add no clock read to a recorded span.
#[derive(Clone, Copy)]
pub(crate) struct Stopwatch(Reading);

impl Stopwatch {
    #[inline]
    pub(crate) fn start() -> Option<Stopwatch> {
        is_on().then(|| Stopwatch(Reading::now()))
    }

    /// The clock, started at `started`: a reading taken for the span.
    pub(crate) fn since(started: Reading) -> Stopwatch {
        Stopwatch(started)
    }

    /// When the clock started, for the span's start.
    pub(crate) fn started(self) -> Reading {
        self.0
    }

    /// The seconds from the start to `ended`: for the HTTP layers, which
    /// record with attributes of their own.
    pub(crate) fn seconds_until(self, ended: Reading) -> f64 {
        ended.seconds_since(self.0)
    }

    /// Records an annotated function's call, ended at `ended`: appended to
    /// the thread's pending calls if it succeeded, at once if it failed.
    /// A success waits as whole nanoseconds: turned into seconds (a float
    /// division) by whichever thread records it, not by the caller.
    pub(crate) fn stop_operation(self, callsite: &'static Callsite, ended: Reading, failure: Option<&'static str>) {
        let elapsed = ended.since(self.0);
        let _ = with_cache(|Cache { meters, ring, .. }| {
            let meters = meters.value().map(|meters| &**meters)?;
            if let Some(failure) = failure {
                meters.failed_operation(callsite, elapsed.as_secs_f64(), failure);
                return Some(());
            }
            let (slot, nanos) = (meter_slot(callsite), elapsed.as_nanos() as u64);
            let ring = ring.get_or_insert_with(Ring::registered);
            match ring.append(slot, nanos) {
                Appended::Kept => {}
                Appended::Mark => wake_drainer(),
                Appended::Full => {
                    ring.drain(|calls| record_calls(meters, calls));
                    ring.append(slot, nanos);
                }
            }
            Some(())
        });
    }

    /// Records a manual span, ended at `ended`.
    pub(crate) fn stop_span(
        self,
        name: Cow<'static, str>,
        kind: &SpanKind,
        ended: Reading,
        failure: Option<&'static str>,
    ) {
        let seconds = self.seconds_until(ended);
        with_meters(|meters| meters.span(name, kind, seconds, failure));
    }
}

/// Runs `f` with the installed meters, if any.
pub(crate) fn with_meters(f: impl FnOnce(&dyn Meters)) {
    if !is_on() {
        return;
    }
    let _ = with_cache(|cache| cache.meters.value().map(|meters| &**meters).map(f));
}

#[cfg(all(test, feature = "metrics"))]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use std::time::{Duration, Instant};

    /// Meters that note, for each run of calls of one callsite, the thread
    /// that recorded it and how many calls it held.
    struct ByThread {
        callsite: &'static Callsite,
        runs: Mutex<Vec<(Option<String>, usize)>>,
    }

    impl ByThread {
        fn recorded(&self) -> usize {
            recover(self.runs.lock()).iter().map(|(_, calls)| calls).sum()
        }
    }

    impl Meters for ByThread {
        fn operations(&self, calls: &[(usize, f64)], callsite_of: &dyn Fn(usize) -> Option<&'static Callsite>) {
            let mine =
                calls.iter().filter(|(slot, _)| callsite_of(*slot).is_some_and(|c| std::ptr::eq(c, self.callsite)));
            let thread = std::thread::current().name().map(str::to_owned);
            recover(self.runs.lock()).push((thread, mine.count()));
        }
        fn failed_operation(&self, _: &'static Callsite, _: f64, _: &'static str) {}
        fn span(&self, _: Cow<'static, str>, _: &SpanKind, _: f64, _: Option<&'static str>) {}
        #[cfg(feature = "tower")]
        fn request(&self, _: RequestInstrument, _: f64, _: &[opentelemetry::KeyValue]) {}
    }

    #[test]
    fn calls_that_reach_a_ring_s_mark_are_recorded_by_the_metrics_thread_not_by_their_own() {
        static TIMED: Callsite = Callsite::new("timed", || "", "t.rs", 1, SpanKind::Internal, None);
        let _rings = pending::EXCLUSIVE.lock();
        let meters = Arc::new(ByThread { callsite: &TIMED, runs: Mutex::new(Vec::new()) });
        set_installed(Some(meters.clone()));
        let calls = 3 * pending::MARK;
        std::thread::spawn(move || {
            for _ in 0..calls {
                let started = Reading::now();
                Stopwatch::since(started).stop_operation(&TIMED, Reading::now(), None);
            }
        })
        .join()
        .unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while meters.recorded() < calls && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
        set_installed(None);
        let runs = recover(meters.runs.lock()).clone();
        let by_the_metrics_thread: usize =
            runs.iter().filter(|(thread, _)| thread.as_deref() == Some("tracekit-metrics")).map(|(_, n)| n).sum();
        assert_eq!(by_the_metrics_thread, calls, "every call, by the metrics' thread, with no collection: {runs:?}");
        drainer::wait_until_asleep();
    }
}
