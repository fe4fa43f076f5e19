//! Durations as metrics: every annotated call, manual span and request is
//! timed while metrics are installed, sampled or not, and handed to the
//! installed [`Meters`]. The facade knows no metrics SDK; the pipeline's
//! `metrics` module implements [`Meters`] on top of it.
//!
//! An annotated function's meter is bound once per callsite and thread (its
//! attributes never change), so a call costs two clock reads (shared with
//! its span, if recorded), a thread-local lookup and the meter's own record:
//! no allocation, no attribute set built per call.

use super::callsite::Callsite;
use super::clock::Reading;
use super::locks::recover;
use opentelemetry::trace::SpanKind;
use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};

/// What records the durations: installed with the metrics.
pub(crate) trait Meters: Send + Sync {
    /// The meter of one annotated function, with its attributes bound: the
    /// same for every thread that asks with the callsite's `slot`.
    fn operation(&self, callsite: &'static Callsite, slot: usize) -> Arc<dyn OperationMeter>;
    /// The duration of a manual span.
    fn span(&self, name: &str, kind: &SpanKind, seconds: f64, failure: Option<&'static str>);
    /// An HTTP or gRPC request of the `tower` and `reqwest` integrations,
    /// with the attributes its instrument carries.
    fn request(&self, instrument: RequestInstrument, seconds: f64, attributes: &[opentelemetry::KeyValue]);
}

/// The standard instruments of requests, named as the semantic conventions
/// name them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RequestInstrument {
    HttpServer = 0,
    HttpClient = 1,
    RpcServer = 2,
    RpcClient = 3,
}

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

/// The meter of one annotated function.
pub(crate) trait OperationMeter: Send + Sync {
    /// One call, `failure` the `error.type` of a failed one.
    fn record(&self, seconds: f64, failure: Option<&'static str>);
}

static INSTALLED: RwLock<Option<Arc<dyn Meters>>> = RwLock::new(None);
/// Bumped at each installation, so that threads drop the meters they cached.
static VERSION: AtomicU64 = AtomicU64::new(0);
static ON: AtomicBool = AtomicBool::new(false);
/// The slots handed out to callsites, from 1 (0: none yet).
static SLOTS: AtomicUsize = AtomicUsize::new(0);

/// This thread's meters: the installation's, and each callsite's by slot.
struct Cache {
    version: u64,
    meters: Option<Arc<dyn Meters>>,
    operations: Vec<Option<Arc<dyn OperationMeter>>>,
}

thread_local! {
    static CACHE: RefCell<Cache> = const { RefCell::new(Cache { version: u64::MAX, meters: None, operations: Vec::new() }) };
}

/// Whether durations are being recorded: one load, false in a build
/// without the `metrics` feature.
#[inline(always)]
pub(crate) fn is_on() -> bool {
    cfg!(feature = "metrics") && ON.load(Ordering::Relaxed)
}

/// Makes `meters` the process's, or removes them.
pub(crate) fn set_installed(meters: Option<Arc<dyn Meters>>) {
    let on = meters.is_some();
    *recover(INSTALLED.write()) = meters;
    VERSION.fetch_add(1, Ordering::Release);
    ON.store(on, Ordering::Relaxed);
}

/// Runs `f` with this thread's cache, refreshed if the installation changed.
fn with_cache<R>(f: impl FnOnce(&mut Cache) -> R) -> Option<R> {
    CACHE
        .try_with(|cache| {
            let mut cache = cache.try_borrow_mut().ok()?;
            let version = VERSION.load(Ordering::Acquire);
            if cache.version != version {
                *cache = Cache { version, meters: recover(INSTALLED.read()).clone(), operations: Vec::new() };
            }
            Some(f(&mut cache))
        })
        .ok()
        .flatten()
}

impl Callsite {
    /// This callsite's slot in the threads' caches, given on first use.
    fn meter_slot(&self) -> usize {
        match self.meter_slot.load(Ordering::Relaxed) {
            0 => {
                let mine = SLOTS.fetch_add(1, Ordering::Relaxed) + 1;
                match self.meter_slot.compare_exchange(0, mine, Ordering::Relaxed, Ordering::Relaxed) {
                    Ok(_) => mine,
                    Err(theirs) => theirs,
                }
            }
            slot => slot,
        }
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

    /// When the clock started, for the span's start.
    pub(crate) fn started(self) -> Reading {
        self.0
    }

    /// The seconds from the start to `ended`: for the HTTP layers, which
    /// record with attributes of their own.
    pub(crate) fn seconds_until(self, ended: Reading) -> f64 {
        ended.seconds_since(self.0)
    }

    /// Records an annotated function's call, ended at `ended`.
    pub(crate) fn stop_operation(self, callsite: &'static Callsite, ended: Reading, failure: Option<&'static str>) {
        let seconds = self.seconds_until(ended);
        let slot = callsite.meter_slot();
        let _ = with_cache(|Cache { meters, operations, .. }| {
            let meters = meters.as_ref()?;
            if operations.len() <= slot {
                operations.resize(slot + 1, None);
            }
            operations[slot].get_or_insert_with(|| meters.operation(callsite, slot)).record(seconds, failure);
            Some(())
        });
    }

    /// Records a manual span, ended at `ended`.
    pub(crate) fn stop_span(self, name: &str, kind: &SpanKind, ended: Reading, failure: Option<&'static str>) {
        let seconds = self.seconds_until(ended);
        with_meters(|meters| meters.span(name, kind, seconds, failure));
    }
}

/// Runs `f` with the installed meters, if any.
pub(crate) fn with_meters(f: impl FnOnce(&dyn Meters)) {
    if !is_on() {
        return;
    }
    let _ = with_cache(|cache| cache.meters.as_deref().map(f));
}
