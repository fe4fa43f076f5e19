//! What a recorded span can cost in the design the recording-path issue
//! asks for, measured in turn with fastrace's span and tracekit's.
//!
//! ```text
//! cargo run --release -p tracekit-bench --bin flat_floor
//! ```
//!
//! The floor is a sketch, not tracekit: a synchronous call's span is one
//! slot of a per-thread stack, filled in place (OpenTelemetry's trace and
//! span ids, the parent's id, the callsite, a TSC reading); at its end a
//! record from the thread's spare ones is filled from the slot and handed
//! to an export thread through a single-producer ring, which gives the
//! record back through a second ring once read. It has none of what
//! tracekit also does for a span (captures, the keep policy, a program's
//! own tracer, OpenTelemetry's current `Context`, attributes, limits,
//! metrics, thresholds, panics), and its export thread only reads each
//! record. It says how far the parts of tracekit's path are from what the
//! design can reach ("The design's floor, measured" in `BENCHMARKS.md`).
//!
//! Each round times 1,000,000 calls of each, under a root span made every
//! 1,000 calls; the rounds take turns, and the medians are printed with
//! their ratios and the spans each delivered.

use opentelemetry::trace::{SpanContext, SpanId, SpanKind, Status, TraceFlags, TraceId, TraceState};
use rand::rngs::SmallRng;
use rand::{Rng as _, SeedableRng as _};
use std::cell::RefCell;
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::LocalKey;
use std::time::{Duration, Instant};
use tracekit_bench::{CountingExporter, CountingReporter};

const CALLS: u64 = 1_000_000;
/// Calls between two untimed drains: the queues are larger, so that no
/// span is dropped.
const CHUNK: u64 = 20_000;
const ROUNDS: usize = 5;
const PER_ROOT: u64 = 1_000;
const QUEUE: usize = 1 << 16;

fn main() {
    let floor = floor::Pipeline::start();
    let reporter = CountingReporter::default();
    fastrace::set_reporter(reporter.clone(), fastrace::collector::Config::default());
    let exporter = CountingExporter::default();
    let _installed = tracekit::Config::new()
        .span_exporter(exporter.clone())
        .batch(|batch| batch.max_queue_size(QUEUE))
        .install()
        .expect("tracekit installs");

    let mut times: [Vec<f64>; 3] = Default::default();
    for _ in 0..ROUNDS {
        times[0].push(timed(floor_requests, || floor.drain()));
        times[1].push(timed(fastrace_requests, fastrace::flush));
        times[2].push(timed(tracekit_requests, || {
            tracekit::flush();
        }));
    }
    println!("rounds, ns a call: floor {:.1?}, fastrace {:.1?}, tracekit {:.1?}", times[0], times[1], times[2]);
    let [floor_ns, fastrace_ns, tracekit_ns] = times.map(median);
    let delivered = |count: u64| count as f64 / (ROUNDS as u64 * CALLS) as f64;
    println!("ns a recorded call (median of {ROUNDS} rounds of {CALLS} calls, in turn):");
    println!("  the flat design's floor  {floor_ns:6.1}  ({:.2}× fastrace)", floor_ns / fastrace_ns);
    println!("  fastrace                 {fastrace_ns:6.1}");
    println!(
        "  tracekit                 {tracekit_ns:6.1}  ({:.2}× fastrace, {:.2}× the floor)",
        tracekit_ns / fastrace_ns,
        tracekit_ns / floor_ns
    );
    println!(
        "spans delivered a call (the roots included): floor {:.3} (lost {}), fastrace {:.3}, tracekit {:.3} ({:?})",
        delivered(floor.exported()),
        floor.lost(),
        delivered(reporter.0.load(Ordering::Relaxed)),
        delivered(exporter.count()),
        tracekit::export_stats()
    );
}

/// Nanoseconds a call of `call` over [`CALLS`] calls, numbered from 0,
/// with `drain` run untimed after every [`CHUNK`].
fn timed(call: impl Fn(u64), drain: impl Fn()) -> f64 {
    let mut spent = Duration::ZERO;
    for chunk in (0..CALLS).step_by(CHUNK as usize) {
        let started = Instant::now();
        for i in chunk..chunk + CHUNK {
            call(i);
        }
        spent += started.elapsed();
        drain();
    }
    spent.as_nanos() as f64 / CALLS as f64
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Ends the root in `roots` and starts another every [`PER_ROOT`] calls:
/// the old root ends before the new one starts.
fn under_root<R: 'static>(roots: &'static LocalKey<RefCell<Option<R>>>, i: u64, new_root: impl FnOnce() -> Option<R>) {
    if i.is_multiple_of(PER_ROOT) {
        roots.with_borrow_mut(|root| {
            *root = None;
            *root = new_root();
        });
    }
}

thread_local! {
    static FLOOR_ROOT: RefCell<Option<floor::Entered>> = const { RefCell::new(None) };
    static FASTRACE_ROOT: RefCell<Option<FastraceRoot>> = const { RefCell::new(None) };
    static TRACEKIT_ROOT: RefCell<Option<tracekit::EnteredSpan>> = const { RefCell::new(None) };
}

#[inline(never)]
fn floor_requests(i: u64) {
    under_root(&FLOOR_ROOT, i, || floor::enter(&floor::ROOT));
    black_box(with_floor(black_box(i)));
}

#[inline(never)]
fn with_floor(i: u64) -> u64 {
    let _span = floor::enter(&floor::WORK);
    i.wrapping_mul(3)
}

/// A fastrace root, made the local parent. The guard is dropped first, as
/// its fields are in order, which sends the spans on.
struct FastraceRoot {
    _guard: fastrace::local::LocalParentGuard,
    _span: fastrace::Span,
}

#[inline(never)]
fn fastrace_requests(i: u64) {
    under_root(&FASTRACE_ROOT, i, || {
        let span = fastrace::Span::root("root", fastrace::prelude::SpanContext::random());
        Some(FastraceRoot { _guard: span.set_local_parent(), _span: span })
    });
    black_box(with_fastrace(black_box(i)));
}

#[fastrace::trace]
#[inline(never)]
fn with_fastrace(i: u64) -> u64 {
    i.wrapping_mul(3)
}

#[inline(never)]
fn tracekit_requests(i: u64) {
    under_root(&TRACEKIT_ROOT, i, || Some(tracekit::span("root").entered()));
    black_box(with_tracekit(black_box(i)));
}

#[tracekit::trace_operation]
#[inline(never)]
fn with_tracekit(i: u64) -> u64 {
    i.wrapping_mul(3)
}

/// The sketch of the flat design.
mod floor {
    use super::*;

    /// What the floor keeps of a callsite.
    pub(super) struct Callsite {
        pub(super) name: &'static str,
        pub(super) kind: SpanKind,
    }

    pub(super) static ROOT: Callsite = Callsite { name: "root", kind: SpanKind::Internal };
    pub(super) static WORK: Callsite = Callsite { name: "work", kind: SpanKind::Internal };

    /// A span while it runs: one slot of its thread's stack.
    struct Slot {
        trace_id: TraceId,
        span_id: SpanId,
        parent: SpanId,
        flags: TraceFlags,
        callsite: &'static Callsite,
        started: fastant::Instant,
        token: u64,
    }

    /// An ended span, as OpenTelemetry's types hold it, on its way out.
    struct Record {
        context: SpanContext,
        parent: SpanId,
        kind: SpanKind,
        callsite: Option<&'static Callsite>,
        started: fastant::Instant,
        ended: fastant::Instant,
        status: Status,
    }

    impl Record {
        fn empty() -> Self {
            Record {
                context: SpanContext::NONE,
                parent: SpanId::INVALID,
                kind: SpanKind::Internal,
                callsite: None,
                started: fastant::Instant::ZERO,
                ended: fastant::Instant::ZERO,
                status: Status::Unset,
            }
        }
    }

    /// A recording thread's stack, generator and ends of the rings.
    struct Lane {
        slots: Vec<Slot>,
        depth: usize,
        tokens: u64,
        ids: SmallRng,
        out: rtrb::Producer<Box<Record>>,
        back: rtrb::Consumer<Box<Record>>,
        #[allow(clippy::vec_box, reason = "the boxes themselves are what goes out and comes back")]
        spare: Vec<Box<Record>>,
    }

    thread_local! {
        static LANE: RefCell<Option<Lane>> = const { RefCell::new(None) };
    }

    static LOST: AtomicU64 = AtomicU64::new(0);

    /// The export thread, which reads each record and gives it back.
    pub(super) struct Pipeline {
        exported: Arc<AtomicU64>,
        stop: Arc<AtomicBool>,
    }

    impl Pipeline {
        /// The pipeline of the calling thread (the only one that records).
        pub(super) fn start() -> Pipeline {
            let (out, mut inbox) = rtrb::RingBuffer::<Box<Record>>::new(QUEUE);
            let (mut give_back, back) = rtrb::RingBuffer::<Box<Record>>::new(QUEUE);
            let (exported, stop) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicBool::new(false)));
            let (counted, stopping) = (exported.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stopping.load(Ordering::Relaxed) {
                    // In batches, as an export thread takes them.
                    if inbox.slots() < 512 {
                        std::thread::sleep(Duration::from_micros(200));
                        continue;
                    }
                    while let Ok(record) = inbox.pop() {
                        black_box((record.callsite.map(|callsite| callsite.name), &record.kind, &record.status));
                        black_box((record.ended.duration_since(record.started), record.context.span_id()));
                        black_box(record.parent);
                        counted.fetch_add(1, Ordering::Relaxed);
                        let _ = give_back.push(record);
                    }
                }
            });
            let ids = SmallRng::from_os_rng();
            let lane = Lane { slots: Vec::new(), depth: 0, tokens: 0, ids, out, back, spare: Vec::new() };
            LANE.with_borrow_mut(|current| *current = Some(lane));
            Pipeline { exported, stop }
        }

        /// Waits for the export thread to take what waits in the ring,
        /// but for less than a batch.
        pub(super) fn drain(&self) {
            let waiting = || LANE.with_borrow(|lane| lane.as_ref().map_or(0, |lane| QUEUE - lane.out.slots()));
            let deadline = Instant::now() + Duration::from_secs(5);
            while waiting() >= 512 && Instant::now() < deadline {
                std::thread::sleep(Duration::from_micros(100));
            }
        }

        pub(super) fn exported(&self) -> u64 {
            self.exported.load(Ordering::Relaxed)
        }

        pub(super) fn lost(&self) -> u64 {
            LOST.load(Ordering::Relaxed)
        }
    }

    impl Drop for Pipeline {
        fn drop(&mut self) {
            self.stop.store(true, Ordering::Relaxed);
        }
    }

    /// A span current until dropped.
    pub(super) struct Entered {
        token: u64,
    }

    /// Starts a span of `callsite` under the current one (a root under
    /// none) and makes it current.
    #[inline(never)]
    pub(super) fn enter(callsite: &'static Callsite) -> Option<Entered> {
        LANE.with_borrow_mut(|lane| {
            let lane = lane.as_mut()?;
            let (trace_id, parent, flags) = match lane.slots[..lane.depth].last() {
                Some(top) => (top.trace_id, top.span_id, top.flags),
                None => (TraceId::from(lane.ids.random::<u128>()), SpanId::INVALID, TraceFlags::SAMPLED),
            };
            let span_id = SpanId::from(lane.ids.random::<u64>());
            lane.tokens += 1;
            let token = lane.tokens;
            let slot = Slot { trace_id, span_id, parent, flags, callsite, started: fastant::Instant::now(), token };
            match lane.slots.get_mut(lane.depth) {
                Some(kept) => *kept = slot,
                None => lane.slots.push(slot),
            }
            lane.depth += 1;
            Some(Entered { token })
        })
    }

    impl Drop for Entered {
        #[inline(never)]
        fn drop(&mut self) {
            let ended = fastant::Instant::now();
            LANE.with_borrow_mut(|lane| {
                let Some(lane) = lane.as_mut() else { return };
                if lane.slots[..lane.depth].last().is_none_or(|top| top.token != self.token) {
                    return;
                }
                lane.depth -= 1;
                let slot = &lane.slots[lane.depth];
                let mut record =
                    lane.spare.pop().or_else(|| lane.back.pop().ok()).unwrap_or_else(|| Box::new(Record::empty()));
                record.context = SpanContext::new(slot.trace_id, slot.span_id, slot.flags, false, TraceState::NONE);
                record.parent = slot.parent;
                record.kind = slot.callsite.kind.clone();
                record.callsite = Some(slot.callsite);
                record.started = slot.started;
                record.ended = ended;
                record.status = Status::Unset;
                if let Err(rtrb::PushError::Full(record)) = lane.out.push(record) {
                    LOST.fetch_add(1, Ordering::Relaxed);
                    lane.spare.push(record);
                }
            });
        }
    }
}
