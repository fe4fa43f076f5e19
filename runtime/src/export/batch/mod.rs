//! tracekit's batch span processor: bounded queues that the program's
//! threads fill, two rings each (see `queue`), and a pool of export threads
//! empties, each its share of the rings, all sending to one exporter (see
//! `pool`).
//!
//! The SDK's own batch processor drops spans silently once its queue is full
//! and tells the count only at shutdown. This one counts every span it loses
//! (read with [`export_stats`](crate::export_stats)) and reports losses in
//! one warning per interval, however many spans are lost, so that a
//! collector that is down never floods the program's logs.

mod exporter;
mod given;
mod hold_off;
mod pool;
mod queue;
mod rings;
mod settings;
mod turns;

pub(crate) use exporter::{BatchExporter, Rejected};
pub(crate) use given::GivenExporter;
pub(crate) use pool::ExportPool;
pub(crate) use queue::{Slot, Slotted};
pub(crate) use rings::{ring_item, RingItem, ThreadEnd};
pub use settings::BatchSettings;
pub(crate) use settings::{SizeSettings, SIZE_EXPECTED, THREADS_EXPECTED};

use super::into_span_data::IntoSpanData;
use super::stats::{Counters, ExportStats, Outcome};
use crate::support::diagnostics::{self, LogLevel};
use hold_off::{Gate, HoldOff};
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::Resource;
use queue::{Queue, Quotas};
use rings::Pushed;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Lost spans are reported at most once per interval (and once at shutdown).
pub(crate) const WARNING_INTERVAL: Duration = Duration::from_secs(10);

/// One export thread of a pool, which empties its share of the pool's rings.
pub(super) struct BatchProcessor<T: Slotted> {
    shared: Arc<Shared<T>>,
    worker: Mutex<Option<JoinHandle<()>>>,
}

struct Shared<T: Slotted> {
    /// What the pool's export threads share: the rings among them.
    intake: Arc<Intake<T>>,
    /// Which rings of the intake are this export thread's to empty.
    share: usize,
    /// Set by a thread whose ring holds a batch, to wake the export thread
    /// once rather than at every span; kept set by the export thread while
    /// it naps or holds off, so that no thread wakes it.
    wake: AtomicBool,
    /// Set by a thread whose ring is half full, to wake the export thread
    /// once, from a nap too.
    crowded: AtomicBool,
    /// How long the export thread naps under load ([`NAP`]; longer in tests).
    nap: Duration,
    state: Mutex<State>,
    /// The export thread waits here for a full batch, a flush or shutdown.
    work: Condvar,
    /// Callers of flush and shutdown wait here for the export thread.
    progress: Condvar,
    settings: BatchSettings,
    /// `OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT`, applied on the export thread.
    value_length: Option<usize>,
}

#[derive(Default)]
struct State {
    /// Spans in the export under way.
    in_flight: usize,
    /// Set once those spans are being sent, rather than prepared or
    /// waiting for their turn: a shutdown that gives up counts them as
    /// failed (sent, not confirmed) then, as dropped before.
    sending: bool,
    /// Set by a shutdown that ran out of time: it has counted every span
    /// the export thread still had, which then counts nothing more.
    abandoned: bool,
    /// Flushes asked for and flushes done, as running numbers: a flush is
    /// done once every span queued when it was asked for has been exported.
    flushes_asked: u64,
    flushes_done: u64,
    /// Set by shutdown: what is queued is exported until then, later spans are dropped.
    shutdown_by: Option<Instant>,
    stopped: bool,
    /// Given by the provider before the first span; applied on the export thread.
    resource: Option<Resource>,
}

impl State {
    /// Whether a flush or shutdown waits on the export thread.
    fn asked(&self) -> bool {
        self.flushes_asked > self.flushes_done || self.shutdown_by.is_some()
    }
}

impl<T: Slotted> Shared<T> {
    fn lock(&self) -> MutexGuard<'_, State> {
        crate::support::locks::recover(self.state.lock())
    }

    /// Empties this export thread's rings, counting what they held as
    /// dropped: for a shutdown that gave up, and for spans that ended as
    /// shutdown began, after the last round.
    fn drop_waiting(&self) {
        self.intake.counters.add(Outcome::Dropped, self.intake.rings.clear(self.share) as u64);
    }

    /// Counts a batch's outcomes, unless shutdown counted them already.
    fn settle(&self, outcomes: &[(Outcome, u64)]) -> bool {
        let mut state = self.lock();
        state.in_flight = 0;
        state.sending = false;
        if !state.abandoned {
            for &(outcome, count) in outcomes {
                self.intake.counters.add(outcome, count);
            }
        }
        !state.abandoned
    }

    /// Wakes the export thread, unless `flag` says a thread did already
    /// (or the export thread naps, for [`Shared::wake`]); the export thread
    /// clears the flags as it starts a round.
    fn wake_once(&self, flag: &AtomicBool) {
        // Paired with the fence after the export thread clears the flags:
        // either it sees this thread's span, or this thread sees the flag
        // cleared and wakes it.
        std::sync::atomic::fence(Ordering::SeqCst);
        if !flag.load(Ordering::Relaxed) && !flag.swap(true, Ordering::AcqRel) {
            // Taking the lock waits out an export thread between its check
            // of the flags and its wait, so the wake-up cannot fall there;
            // it is let go before the wake-up, so the woken thread does not
            // wait on it again.
            drop(self.lock());
            self.work.notify_one();
        }
    }

    /// Waits on `condvar` until `deadline` at the latest.
    fn wait_until<'a>(
        &self,
        condvar: &Condvar,
        state: MutexGuard<'a, State>,
        deadline: Instant,
    ) -> MutexGuard<'a, State> {
        let timeout = deadline.saturating_duration_since(Instant::now());
        crate::support::locks::recover(condvar.wait_timeout(state, timeout)).0
    }
}

/// What the export threads of one pool share: the recording threads'
/// rings, each dealt to one of them, and the count of the spans exported
/// and lost, with the warnings about the lost ones.
pub(super) struct Intake<T: Slotted> {
    /// The spans waiting for the export threads, in rings per recording thread.
    rings: Queue<T>,
    /// Set by shutdown: spans that end later are dropped.
    closed: AtomicBool,
    /// `OTEL_BSP_MAX_EXPORT_BATCH_SIZE`: a ring that holds as many wakes
    /// its export thread.
    batch: usize,
    counters: Counters,
    /// Set after a failed export, for every export thread of the pool, as
    /// they send to one collector.
    hold_off: HoldOff,
    /// Shared with shutdown, which reports what it counts when an export
    /// thread cannot finish in time, so that the warnings tell of the spans
    /// lost on the way to one destination.
    reporter: Mutex<LossReporter>,
    /// Export threads started that have not made their last round: the
    /// last of them warns of what is lost whatever the interval, once for
    /// the pool, and shuts the exporter down, after every other thread's
    /// last send. Counted as each starts, so that a pool whose later thread
    /// the system refused still shuts its exporter down.
    running: AtomicUsize,
}

impl<T: Slotted> Intake<T> {
    /// For the export threads `settings` asks for; `destination` names
    /// where spans go, for the loss warnings.
    pub(super) fn new(settings: &BatchSettings, destination: String) -> Self {
        Intake {
            rings: Queue::new(settings.max_queue_size, settings.export_threads),
            closed: AtomicBool::new(false),
            batch: settings.max_export_batch_size,
            counters: Counters::new(),
            hold_off: HoldOff::default(),
            reporter: Mutex::new(LossReporter::new(destination)),
            running: AtomicUsize::new(0),
        }
    }

    fn reporter(&self) -> MutexGuard<'_, LossReporter> {
        crate::support::locks::recover(self.reporter.lock())
    }

    /// What the pool has exported and lost so far; its yields apart
    /// ([`Intake::yields`]), as they depend on the export threads' pace.
    #[cfg(all(test, feature = "testing"))]
    pub(super) fn stats(&self) -> ExportStats {
        ExportStats { yielded: 0, ..self.counters.snapshot() }
    }

    /// How many times the threads that record gave way to an export thread.
    #[cfg(all(test, feature = "testing"))]
    pub(super) fn yields(&self) -> u64 {
        self.counters.snapshot().yielded
    }
}

impl<T: IntoSpanData + Slotted> BatchProcessor<T> {
    /// Starts the export thread that empties the rings of `intake` dealt
    /// to `share`, which napping under load waits `nap`.
    pub(super) fn start<E: BatchExporter<T>>(
        exporter: E,
        settings: BatchSettings,
        value_length: Option<usize>,
        (intake, share): (Arc<Intake<T>>, usize),
        nap: Duration,
    ) -> std::io::Result<Self> {
        let shared = Arc::new(Shared {
            intake,
            share,
            wake: AtomicBool::new(false),
            crowded: AtomicBool::new(false),
            nap,
            state: Mutex::new(State::default()),
            work: Condvar::new(),
            progress: Condvar::new(),
            settings,
            value_length,
        });
        let pool = &shared.intake;
        pool.running.fetch_add(1, Ordering::AcqRel);
        let spawned = match refused_by_the_tests(share) {
            Some(refused) => Err(refused),
            None => {
                let shared = shared.clone();
                std::thread::Builder::new().name("tracekit-export".into()).spawn(move || export_loop(&shared, exporter))
            }
        };
        match spawned {
            Ok(worker) => Ok(BatchProcessor { shared, worker: Mutex::new(Some(worker)) }),
            Err(refused) => {
                pool.running.fetch_sub(1, Ordering::AcqRel);
                Err(refused)
            }
        }
    }
}

#[cfg(all(test, feature = "testing"))]
thread_local! {
    /// The export thread that the system refuses to start on this thread,
    /// for the tests.
    static REFUSED_SHARE: std::cell::Cell<Option<usize>> = const { std::cell::Cell::new(None) };
}

/// Has the system refuse to start export thread `share` of the pools this
/// thread starts, or none, for the tests.
#[cfg(all(test, feature = "testing"))]
fn refuse_to_start(share: Option<usize>) {
    REFUSED_SHARE.set(share);
}

/// The error a test has the system give for export thread `share`.
#[cfg(all(test, feature = "testing"))]
fn refused_by_the_tests(share: usize) -> Option<std::io::Error> {
    (REFUSED_SHARE.get() == Some(share)).then(|| std::io::Error::other("the test refused the thread"))
}

#[cfg(not(all(test, feature = "testing")))]
#[inline(always)]
fn refused_by_the_tests(_share: usize) -> Option<std::io::Error> {
    None
}

impl<T: Slotted> std::fmt::Debug for BatchProcessor<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BatchProcessor").field("settings", &self.shared.settings).finish_non_exhaustive()
    }
}

impl<T: IntoSpanData + Slotted> Intake<T> {
    /// Queues a finished span in its thread's ring of its kind, and wakes
    /// the export thread of `threads` that empties that ring when a batch
    /// waits there; drops and counts the span when the ring is full or the
    /// pool shut down. A call of its own: inlined, its ring's push was
    /// not, and a call's span took more instructions. A span queued with
    /// nothing more to do is one test; the rest is out of line
    /// ([`Intake::after_push`]).
    #[inline(never)]
    pub(super) fn push(&self, span: T, threads: &[BatchProcessor<T>]) {
        if span.is_sampled() {
            self.push_unless_closed(span, T::discard, |span| self.rings.push(span, self.batch, T::discard), threads);
        }
    }

    /// [`Intake::push`] for a compact span, `sampled` or not, that `make`
    /// makes where its ring's slot is written ([`Rings::push_made`]).
    #[inline(never)]
    pub(super) fn push_in_place(
        &self,
        sampled: bool,
        make: impl FnOnce() -> T::InPlace,
        threads: &[BatchProcessor<T>],
    ) {
        if sampled {
            self.push_unless_closed(make, drop, |make| self.rings.push_in_place(make, self.batch, T::discard), threads);
        }
    }

    /// What both pushes do with their `span`: `push` it, then what its
    /// answer asks; once the pool shut down, `discard` it, counted.
    #[inline(always)]
    fn push_unless_closed<S>(
        &self,
        span: S,
        discard: impl FnOnce(S),
        push: impl FnOnce(S) -> Pushed,
        threads: &[BatchProcessor<T>],
    ) {
        if self.closed.load(Ordering::Acquire) {
            self.counters.add_dropped_here();
            discard(span);
            return;
        }
        match push(span) {
            Pushed::Queued => {}
            pushed => self.after_push(pushed, threads),
        }
    }

    /// What follows a push that did more than queue its span: a wake-up,
    /// a drop counted, or giving way to the export thread.
    #[cold]
    #[inline(never)]
    fn after_push(&self, pushed: Pushed, threads: &[BatchProcessor<T>]) {
        match pushed {
            Pushed::Queued => {}
            Pushed::Full | Pushed::Dropped => self.counters.add_dropped_here(),
            Pushed::Batch(share) => threads[share].shared.wake_once(&threads[share].shared.wake),
            Pushed::Crowded(share) | Pushed::Pressed(share) => {
                let export_thread = &*threads[share].shared;
                export_thread.wake_once(&export_thread.crowded);
                // This thread records faster than its spans are exported:
                // it gives way to the export thread (which may be waiting
                // for this core), and so slows to the export's pace,
                // rather than fill its ring and drop spans; from three
                // quarters full, for as long as the export thread takes
                // spans, within a budget of its time (`Rings::wait_for_room`).
                // It never blocks: an export that takes no spans (a slow
                // collector) costs a wait of `PATIENCE` at most for each
                // batch it takes, and the yields of the ring's upper half,
                // and a full ring drops without yielding.
                let holding_off = || self.hold_off.is_on();
                if !holding_off() {
                    let waited = match pushed {
                        Pushed::Pressed(_) => self.rings.wait_for_room(&holding_off),
                        _ => 0,
                    };
                    if waited == 0 {
                        std::thread::yield_now();
                    }
                    self.counters.add_yielded(waited.max(1));
                }
            }
        }
    }
}

impl<T: IntoSpanData + Slotted> BatchProcessor<T> {
    /// Asks the export thread to export every span queued now: the
    /// flush's number, for [`BatchProcessor::wait_for_flush`].
    pub(super) fn ask_flush(&self) -> Result<u64, OTelSdkError> {
        let asked = {
            let mut state = self.shared.lock();
            if state.shutdown_by.is_some() {
                return Err(OTelSdkError::AlreadyShutdown);
            }
            state.flushes_asked += 1;
            state.flushes_asked
        };
        self.shared.work.notify_one();
        Ok(asked)
    }

    /// Waits until the flush numbered `asked` is done, or `deadline`.
    pub(super) fn wait_for_flush(&self, asked: u64, deadline: Instant) -> OTelSdkResult {
        let mut state = self.shared.lock();
        while state.flushes_done < asked && !state.stopped {
            if Instant::now() >= deadline {
                return Err(OTelSdkError::Timeout(self.shared.settings.export_timeout));
            }
            state = self.shared.wait_until(&self.shared.progress, state, deadline);
        }
        Ok(())
    }

    /// Closes the queue and asks the export thread to export what it holds
    /// by `deadline`, then stop.
    pub(super) fn ask_shutdown(&self, deadline: Instant) -> OTelSdkResult {
        {
            let mut state = self.shared.lock();
            if state.shutdown_by.is_some() {
                return Err(OTelSdkError::AlreadyShutdown);
            }
            state.shutdown_by = Some(deadline);
            self.shared.intake.closed.store(true, Ordering::Release);
        }
        self.shared.work.notify_one();
        Ok(())
    }

    /// Waits until the export thread has stopped; at `deadline`, the end
    /// of shutdown's `timeout`, counts what it still has as lost and returns.
    pub(super) fn wait_for_shutdown(&self, deadline: Instant, timeout: Duration) -> OTelSdkResult {
        let mut state = self.shared.lock();
        while !state.stopped {
            if Instant::now() >= deadline {
                // The export thread is stuck in an export; it ends on its
                // own once that times out. The program does not wait for it,
                // but learns now what it will not deliver.
                self.abandon(state);
                return Err(OTelSdkError::Timeout(timeout));
            }
            state = self.shared.wait_until(&self.shared.progress, state, deadline);
        }
        drop(state);
        let worker = crate::support::locks::recover(self.worker.lock()).take();
        if let Some(worker) = worker {
            let _ = worker.join();
        }
        Ok(())
    }

    /// Counts every span the export thread still has, so that a program
    /// that exits when shutdown returns has them all in `export_stats()` and
    /// in the final warning: the batch being sent as failed (not confirmed),
    /// the rest, a batch not yet sent included, as dropped.
    fn abandon(&self, mut state: MutexGuard<'_, State>) {
        state.abandoned = true;
        let in_flight = std::mem::take(&mut state.in_flight) as u64;
        let (failed, unsent) = match std::mem::take(&mut state.sending) {
            true => (in_flight, 0),
            false => (0, in_flight),
        };
        drop(state);
        self.shared.drop_waiting();
        let intake = &self.shared.intake;
        intake.counters.add(Outcome::Dropped, unsent);
        let mut reporter = intake.reporter();
        if failed > 0 {
            intake.counters.add(Outcome::Failed, failed);
            reporter.last_error.get_or_insert_with(|| "no answer before shutdown's time ran out".to_owned());
        }
        reporter.report(&intake.counters, true);
    }

    /// Given to the exporter on the export thread, before the first export.
    pub(super) fn set_resource(&self, resource: &Resource) {
        self.shared.lock().resource = Some(resource.clone());
    }
}

impl<T: Slotted> Drop for BatchProcessor<T> {
    fn drop(&mut self) {
        // Normally shut down already by the provider; otherwise the export
        // thread gets the export timeout to deliver what is queued, unwaited.
        let mut state = self.shared.lock();
        if state.stopped {
            // A span that ended as shutdown began, after the export thread's
            // last look: counted, not lost unseen.
            drop(state);
            self.shared.drop_waiting();
            return;
        }
        if state.shutdown_by.is_none() {
            state.shutdown_by = Some(Instant::now() + self.shared.settings.export_timeout);
            self.shared.intake.closed.store(true, Ordering::Release);
            drop(state);
            self.shared.work.notify_one();
        }
    }
}

/// How long the export thread naps between rounds under load.
pub(super) const NAP: Duration = Duration::from_millis(1);

/// The export thread: waits for a full batch, the schedule delay, a flush
/// or shutdown, then exports every span waiting at that moment, in batches.
///
/// Under load it naps instead: a round that exported a batch or more, and
/// left less than a batch waiting, is followed by a short timed wait with
/// the wake flag kept set. The threads that record then never pay for a
/// wake-up, which costs the waking thread microseconds where a core is a
/// virtual machine's. A ring that gets half full wakes it from the nap.
///
/// After an export of the pool failed, it holds off ([`wait_out_hold_off`]),
/// and a round that a flush or shutdown did not ask for stops at a failed
/// export ([`RoundKind`]).
fn export_loop<T: IntoSpanData + Slotted, E: BatchExporter<T>>(shared: &Shared<T>, mut exporter: E) {
    // What the exporter's own client records (hyper's and tonic's `tracing`
    // spans) is not traced, so that exporting never makes more to export.
    let _suppressed = opentelemetry::Context::enter_telemetry_suppressed_scope();
    let (settings, intake, share) = (&shared.settings, &*shared.intake, shared.share);
    let mut next_export = Instant::now() + settings.schedule_delay;
    // Kept between batches, so that taking spans allocates nothing.
    let mut taken = Vec::with_capacity(intake.batch);
    let mut nap = false;
    loop {
        let mut state = shared.lock();
        if intake.hold_off.is_on() {
            // Waited out below.
        } else if nap {
            shared.wake.store(true, Ordering::Release);
            if !state.asked() && !shared.crowded.load(Ordering::Acquire) {
                state = shared.wait_until(&shared.work, state, next_export.min(Instant::now() + shared.nap));
            }
        } else {
            state = wait_for_work(shared, state, next_export);
        }
        // Also when woken by a batch: the pool may have begun to hold off
        // while this thread waited.
        let mut kind = RoundKind::Scheduled;
        let mut claim = None;
        if intake.hold_off.is_on() {
            let gate;
            (state, gate) = wait_out_hold_off(shared, state);
            match gate {
                Gate::Try => {
                    kind = RoundKind::Try;
                    claim = Some(intake.hold_off.claimed_try());
                }
                Gate::Idle => {
                    // Nothing to try with: woken by a batch or the schedule,
                    // as when the pool exports, to ask again.
                    clear_wake_flags(shared);
                    next_export = Instant::now() + settings.schedule_delay;
                    drop(wait_for_work(shared, state, next_export));
                    continue;
                }
                Gate::Open => {}
                Gate::WaitUntil(_) => unreachable!("waited out in `wait_out_hold_off`"),
            }
        }
        clear_wake_flags(shared);
        let resource = state.resource.take();
        let flush = (state.flushes_asked > state.flushes_done).then_some(state.flushes_asked);
        let shutdown_by = state.shutdown_by;
        drop(state);
        // Not under the lock: an exporter shared by a pool may make this
        // wait for another export thread's export.
        if let Some(resource) = resource {
            exporter.set_resource(&resource);
        }

        // What waits now in each ring, and no more: spans that keep coming
        // under load wait for the next round, so that a flush ends, and
        // covers every span its caller had recorded.
        let mut waiting = intake.rings.waiting(share);
        let batch = intake.batch;
        if flush.is_some() || shutdown_by.is_some() {
            kind = RoundKind::Asked;
        }
        let exported = export_in_batches(shared, &exporter, &mut waiting, &mut taken, kind);
        drop(claim);
        nap = exported >= batch && intake.rings.waiting(share).total() < batch;
        intake.rings.prune(share);
        next_export = Instant::now() + settings.schedule_delay;
        // The pool's last thread to stop warns of what is lost at once, and
        // shuts the exporter down; the others warn as at any round, so that
        // a pool warns once at shutdown.
        let last = shutdown_by.is_some() && intake.running.fetch_sub(1, Ordering::AcqRel) == 1;
        intake.reporter().report(&intake.counters, last);

        let mut state = shared.lock();
        if let Some(asked) = flush {
            state.flushes_done = state.flushes_done.max(asked);
            shared.progress.notify_all();
        }
        if let Some(deadline) = shutdown_by {
            drop(state);
            if last {
                let _ = exporter.shutdown_with_timeout(deadline.saturating_duration_since(Instant::now()));
            }
            // A span that ended as shutdown began, after the last round;
            // under the lock, so that a drop of the pool that finds this
            // thread stopped finds every span that came later.
            let mut state = shared.lock();
            shared.drop_waiting();
            state.stopped = true;
            drop(state);
            shared.progress.notify_all();
            return;
        }
    }
}

/// Waits until a thread's ring holds a batch or is crowded, a flush or
/// shutdown is asked, or `until`.
fn wait_for_work<'a, T: Slotted>(
    shared: &'a Shared<T>,
    mut state: MutexGuard<'a, State>,
    until: Instant,
) -> MutexGuard<'a, State> {
    while !shared.wake.load(Ordering::Acquire)
        && !shared.crowded.load(Ordering::Acquire)
        && !state.asked()
        && Instant::now() < until
    {
        state = shared.wait_until(&shared.work, state, until);
    }
    state
}

/// Lets the threads that record wake the export thread again.
fn clear_wake_flags<T: Slotted>(shared: &Shared<T>) {
    shared.wake.store(false, Ordering::Release);
    shared.crowded.store(false, Ordering::Release);
    // Paired with the fence of `Shared::wake_once`.
    std::sync::atomic::fence(Ordering::SeqCst);
}

/// After an export of the pool failed, the next waits for the schedule
/// ([`HoldOff`]): a collector that is down is not asked again at once for
/// each batch that fills. The spans that come meanwhile wait in their
/// rings, and those beyond are dropped there, which costs their threads
/// less than a doomed export costs the process. The wake flags stay set
/// meanwhile, so that no thread wakes the export thread; a flush or
/// shutdown does (which ends the wait with [`Gate::Open`]). With
/// [`Gate::Try`], this thread tries; with [`Gate::Idle`], it has nothing
/// to try with.
fn wait_out_hold_off<'a, T: Slotted>(
    shared: &'a Shared<T>,
    mut state: MutexGuard<'a, State>,
) -> (MutexGuard<'a, State>, Gate) {
    let intake = &*shared.intake;
    shared.wake.store(true, Ordering::Release);
    shared.crowded.store(true, Ordering::Release);
    loop {
        if state.asked() {
            return (state, Gate::Open);
        }
        let has_spans = intake.rings.waiting(shared.share).total() > 0;
        match intake.hold_off.gate(has_spans) {
            Gate::WaitUntil(at) => state = shared.wait_until(&shared.work, state, at),
            gate => return (state, gate),
        }
    }
}

/// Which round the export thread makes, and so when it stops.
#[derive(Clone, Copy, PartialEq, Eq)]
enum RoundKind {
    /// A flush or shutdown asked for it: every batch is tried.
    Asked,
    /// The pool's try after a hold-off: its first answer ends the hold-off
    /// or starts another; after a success the round goes on as scheduled.
    Try,
    /// Woken by a batch or the schedule: it stops before a batch once the
    /// pool holds off, after its own failure or another thread's.
    Scheduled,
}

/// Exports the spans `quotas` counts in each ring, a batch at a time, until
/// a shutdown that ran out of time has counted them instead, or `kind`
/// stops the round; returns how many spans it took from the rings.
fn export_in_batches<T: IntoSpanData + Slotted, E: BatchExporter<T>>(
    shared: &Shared<T>,
    exporter: &E,
    quotas: &mut Quotas,
    taken: &mut Vec<T>,
    mut kind: RoundKind,
) -> usize {
    let mut round = 0;
    let intake = &*shared.intake;
    loop {
        if kind == RoundKind::Scheduled && intake.hold_off.is_on() {
            return round;
        }
        intake.rings.take(shared.share, quotas, intake.batch, taken);
        if taken.is_empty() {
            return round;
        }
        round += taken.len();
        let count = taken.len() as u64;
        {
            let mut state = shared.lock();
            if state.abandoned {
                // Taken after the shutdown that gave up counted what it
                // found: these are this thread's to count.
                intake.counters.add(Outcome::Dropped, count);
                taken.clear();
                return round;
            }
            state.in_flight = taken.len();
        }
        let prepared = exporter.prepare(taken.drain(..), shared.value_length);
        let turn = exporter.wait_for_turn();
        {
            // Looked at once the batch is ready and the turn held, as
            // preparing or another thread's send may take past shutdown's
            // time: a shutdown that gave up counted this batch, and one
            // that ran out of time wants no more sent.
            let mut state = shared.lock();
            if state.abandoned {
                return round;
            }
            if state.shutdown_by.is_some_and(|deadline| Instant::now() >= deadline) {
                drop(state);
                shared.settle(&[(Outcome::Dropped, count)]);
                continue;
            }
            state.sending = true;
        }
        // Exporters bound their own time (the OTLP one by the export timeout).
        // A receiver that took the batch may still reject some of it.
        let sent = exporter.send(prepared);
        // Within the turn, so that the pool holds off by the latest answer.
        match &sent {
            Ok(_) => intake.hold_off.after_success(),
            Err(_) => intake.hold_off.after_failure(shared.settings.schedule_delay),
        }
        drop(turn);
        let failed = match sent {
            Ok(Rejected { spans, reason }) => {
                let rejected = spans.min(count);
                if let Some(reason) = reason.filter(|_| rejected > 0) {
                    intake.reporter().last_error = Some(reason);
                }
                rejected
            }
            Err(error) => {
                intake.reporter().last_error = Some(error.to_string());
                count
            }
        };
        if !shared.settle(&[(Outcome::Exported, count - failed), (Outcome::Failed, failed)]) {
            return round;
        }
        if kind == RoundKind::Try {
            // The try's one batch has its answer.
            kind = RoundKind::Scheduled;
        }
    }
}

/// Turns the loss counters into at most one warning per [`WARNING_INTERVAL`].
struct LossReporter {
    destination: String,
    reported: ExportStats,
    last_warning: Option<Instant>,
    last_error: Option<String>,
}

impl LossReporter {
    fn new(destination: String) -> Self {
        LossReporter { destination, reported: ExportStats::default(), last_warning: None, last_error: None }
    }

    /// Warns of the spans lost since the last warning, if the interval has
    /// passed (the first loss is reported at once) or `last` is set.
    fn report(&mut self, counters: &Counters, last: bool) {
        let now = Instant::now();
        let current = counters.snapshot();
        let failed = current.failed - self.reported.failed;
        let dropped = current.dropped - self.reported.dropped;
        if failed + dropped == 0 {
            return;
        }
        if !last && self.last_warning.is_some_and(|at| now.duration_since(at) < WARNING_INTERVAL) {
            return;
        }
        let mut causes = Vec::new();
        if failed > 0 {
            let error = self.last_error.as_deref().unwrap_or("no error given");
            causes.push(format!("{failed} failed to export ({error})"));
        }
        if dropped > 0 {
            causes.push(format!("{dropped} dropped because the export queue was full or shutdown ran out of time"));
        }
        let destination = &self.destination;
        diagnostics::say(
            LogLevel::Warn,
            "tracekit::export",
            || {
                let next = if last { "" } else { "; the next report comes in 10 s at the earliest" };
                format!(
                    "{} spans lost on the way to {destination}: {}; tracekit::export_stats() has the running totals{next}",
                    failed + dropped,
                    causes.join(", "),
                )
            },
            |message| tracing::warn!(target: "tracekit::export", endpoint = %destination, failed, dropped, "{message}"),
        );
        self.reported = current;
        self.last_warning = Some(now);
    }
}

#[cfg(all(test, feature = "testing"))]
mod tests {
    use super::*;
    use crate::export::{MemoryExporter, SpanStore};
    use opentelemetry::trace::{SpanContext, SpanId, TraceFlags, TraceId, TraceState};
    use opentelemetry_sdk::trace::{SpanData, SpanExporter};
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

    pub(super) fn span(index: u64) -> SpanData {
        let context = SpanContext::new(
            TraceId::from(u128::from(index) + 1),
            SpanId::from(index + 1),
            TraceFlags::SAMPLED,
            false,
            TraceState::default(),
        );
        SpanData {
            span_context: context,
            parent_span_id: SpanId::INVALID,
            parent_span_is_remote: false,
            span_kind: opentelemetry::trace::SpanKind::Internal,
            name: format!("span-{index}").into(),
            start_time: std::time::SystemTime::now(),
            end_time: std::time::SystemTime::now(),
            attributes: Vec::new(),
            dropped_attributes_count: 0,
            events: Default::default(),
            links: Default::default(),
            status: opentelemetry::trace::Status::Unset,
            instrumentation_scope: Default::default(),
        }
    }

    pub(super) fn settings(queue: usize, batch: usize) -> BatchSettings {
        BatchSettings {
            schedule_delay: Duration::from_secs(3600),
            max_queue_size: queue,
            max_export_batch_size: batch,
            export_timeout: Duration::from_secs(5),
            export_threads: 1,
        }
    }

    /// A processor exporting into `store`.
    fn memory_processor(store: &SpanStore, queue: usize, batch: usize) -> ExportPool<SpanData> {
        ExportPool::new(MemoryExporter::new(store.clone()), settings(queue, batch), None, "memory".into()).unwrap()
    }

    /// Waits up to ten seconds for `store` to hold `count` spans.
    fn wait_for(store: &SpanStore, count: usize) -> usize {
        let deadline = Instant::now() + Duration::from_secs(10);
        while store.len() < count && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        store.len()
    }

    /// An exporter that blocks until released, then fails or succeeds;
    /// it counts the exports that came.
    #[derive(Debug, Clone, Default)]
    pub(super) struct Gate {
        pub(super) open: Arc<AtomicBool>,
        fail: bool,
        pub(super) entered: Arc<AtomicUsize>,
    }

    impl SpanExporter for Gate {
        async fn export(&self, _batch: Vec<SpanData>) -> OTelSdkResult {
            self.entered.fetch_add(1, Ordering::AcqRel);
            while !self.open.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(1));
            }
            if self.fail {
                Err(OTelSdkError::InternalFailure("refused".into()))
            } else {
                Ok(())
            }
        }
    }

    #[test]
    fn a_full_batch_is_exported_without_waiting_for_the_schedule() {
        let store = SpanStore::default();
        let processor = memory_processor(&store, 100, 10);
        for index in 0..10 {
            processor.push(span(index));
        }
        assert_eq!(wait_for(&store, 10), 10);
        assert_eq!(processor.intake().stats(), ExportStats { exported: 10, dropped: 0, failed: 0, yielded: 0 });
    }

    #[test]
    fn under_load_the_export_thread_naps_until_a_ring_is_half_full() {
        let store = SpanStore::default();
        // A nap far longer than the test: only a half-full ring ends it.
        let nap = Duration::from_secs(3600);
        let processor =
            ExportPool::start(MemoryExporter::new(store.clone()), settings(1024, 16), None, "memory".into(), nap)
                .unwrap();
        // A round that exports a batch and leaves less than one waiting is
        // followed by a nap.
        (0..16).for_each(|index| processor.push(span(index)));
        assert_eq!(wait_for(&store, 16), 16);
        std::thread::sleep(Duration::from_millis(200));
        // Batches that come during the nap wait: no thread wakes it for them.
        (16..400).for_each(|index| processor.push(span(index)));
        std::thread::sleep(Duration::from_millis(200));
        assert_eq!(store.len(), 16, "spans were exported during the nap");
        // A ring half full wakes it. (What comes after the round that wakes
        // it took its spans may wait for the next nap to end, if this thread
        // was slower than the export thread: a flush takes it.)
        (400..600).for_each(|index| processor.push(span(index)));
        assert!(wait_for(&store, 512) >= 512, "a half-full ring did not wake the export thread");
        processor.force_flush().unwrap();
        assert_eq!(processor.intake().stats(), ExportStats { exported: 600, dropped: 0, failed: 0, yielded: 0 });
    }

    #[test]
    fn a_full_queue_drops_and_counts_every_span_it_cannot_keep() {
        let gate = Gate::default();
        let processor = ExportPool::<SpanData>::new(gate.clone(), settings(8, 4), None, "gate".into()).unwrap();
        // The first batch of 4 is taken by the export thread and held there;
        // the queue then holds 8 more, and the rest are dropped.
        for index in 0..4 {
            processor.push(span(index));
        }
        while processor.intake().rings.len() == 4 {
            std::thread::yield_now();
        }
        for index in 4..100 {
            processor.push(span(index));
        }
        assert_eq!(processor.intake().rings.len(), 8, "the queue never grows past its size");
        gate.open.store(true, Ordering::Relaxed);
        processor.shutdown_with_timeout(Duration::from_secs(5)).unwrap();
        assert_eq!(processor.intake().stats(), ExportStats { exported: 12, dropped: 88, failed: 0, yielded: 0 });
    }

    #[test]
    fn a_thread_whose_queue_is_half_full_gives_way_and_keeps_its_spans() {
        on_a_fresh_thread(|| {
            let gate = Gate::default();
            // The first batch is held at the gate: the export thread takes
            // nothing more while the queue fills.
            let processor = holding_its_first_batch(gate.clone());
            // A ring is looked at every batch of 4 spans here. Up to half the
            // queue (31 spans waiting), the thread never gives way.
            (4..35).for_each(|index| processor.push(span(index)));
            assert_eq!(processor.intake().yields(), 0, "gave way with its queue half empty");
            // From half (32 waiting), at each look...
            (35..43).for_each(|index| processor.push(span(index)));
            assert_eq!(processor.intake().yields(), 2, "at 32 and 36 spans waiting");
            // ...and from five eighths (40 waiting), at every span.
            (43..51).for_each(|index| processor.push(span(index)));
            assert_eq!(processor.intake().yields(), 2 + 8, "at each of 40 to 47 spans waiting");
            // From three quarters (48 waiting), the thread waits for the export
            // thread to take spans (`a_thread_waits_for_room_while_the_export_takes_spans`);
            // held at the gate, that takes none, and the thread stops waiting
            // after `PATIENCE`, then gives way once a span to the last the
            // queue holds.
            processor.push(span(51));
            assert_eq!(processor.intake().rings.waits(), 1, "did not wait at three quarters full");
            let after_waiting = processor.intake().yields();
            (52..68).for_each(|index| processor.push(span(index)));
            assert_eq!(processor.intake().yields(), after_waiting + 16, "at each of 49 to 64 spans waiting");
            assert_eq!(processor.intake().rings.len(), 64);
            assert_eq!(processor.intake().stats().dropped, 0, "a span was dropped before the queue was full");
            // A full queue drops without giving way.
            (68..100).for_each(|index| processor.push(span(index)));
            assert_eq!(processor.intake().yields(), after_waiting + 16);
            gate.open.store(true, Ordering::Relaxed);
            processor.shutdown_with_timeout(Duration::from_secs(5)).unwrap();
            assert_eq!(processor.intake().stats(), ExportStats { exported: 68, dropped: 32, failed: 0, yielded: 0 });
            assert!(
                crate::export::stats::export_stats().yielded >= after_waiting + 16,
                "the process counts the yields too"
            );
        });
    }

    /// Lets a batch through for each permit given, waiting for one.
    #[derive(Debug, Clone, Default)]
    struct Turnstile {
        permits: Arc<AtomicU64>,
    }

    impl SpanExporter for Turnstile {
        async fn export(&self, _batch: Vec<SpanData>) -> OTelSdkResult {
            while self.permits.fetch_update(Ordering::AcqRel, Ordering::Acquire, |left| left.checked_sub(1)).is_err() {
                std::thread::sleep(Duration::from_micros(100));
            }
            Ok(())
        }
    }

    /// A processor of a 64-span queue and batches of 4 whose export thread
    /// took a first batch of 4 and is in `exporter` with it.
    fn holding_its_first_batch(exporter: impl SpanExporter + 'static) -> ExportPool<SpanData> {
        let processor = ExportPool::<SpanData>::new(exporter, settings(64, 4), None, "held".into()).unwrap();
        (0..4).for_each(|index| processor.push(span(index)));
        while processor.intake().rings.len() > 0 {
            std::thread::yield_now();
        }
        processor
    }

    /// Runs `f` on a thread of its own: how long a thread has waited for
    /// room is the thread's, and test threads are reused.
    fn on_a_fresh_thread(f: impl FnOnce() + Send) {
        std::thread::scope(|scope| scope.spawn(f).join().unwrap());
    }

    #[test]
    fn a_thread_waits_for_room_while_the_export_takes_spans() {
        on_a_fresh_thread(|| {
            let turnstile = Turnstile::default();
            // The export thread takes a first batch and waits for a permit.
            let processor = holding_its_first_batch(turnstile.clone());
            // The 48th span waiting presses the ring: the thread waits, and
            // stops after `PATIENCE` without a span taken...
            (4..52).for_each(|index| processor.push(span(index)));
            assert_eq!(processor.intake().rings.waits(), 1, "did not wait at three quarters full");
            // ...then waits no more while the export thread takes nothing.
            processor.push(span(52));
            assert_eq!(processor.intake().rings.waits(), 1, "waited again for an export that takes nothing");
            // The export thread takes a batch: the thread waits again once
            // its ring is pressed (after a window, so that its budget is
            // whole whatever the first wait took on a busy machine).
            turnstile.permits.fetch_add(1, Ordering::AcqRel);
            while processor.intake().rings.len() > 45 {
                std::thread::yield_now();
            }
            std::thread::sleep(rings::WAIT_WINDOW);
            (53..56).for_each(|index| processor.push(span(index)));
            assert_eq!(processor.intake().rings.waits(), 2, "did not wait again once spans were taken");
            turnstile.permits.fetch_add(u64::MAX / 2, Ordering::AcqRel);
            processor.shutdown_with_timeout(Duration::from_secs(5)).unwrap();
            assert_eq!(processor.intake().stats(), ExportStats { exported: 56, dropped: 0, failed: 0, yielded: 0 });
        });
    }

    #[test]
    fn a_thread_waits_for_room_within_its_budget_and_until_the_export_gives_up() {
        on_a_fresh_thread(|| {
            let rings = rings::Rings::<Box<SpanData>>::new(8, 1);
            // Six of eight: three quarters full, pressed.
            (0..6)
                .for_each(|index| assert!(matches!(rings.push(Box::new(span(index)), 8, drop), rings::Pushed::Queued)));
            let keep_waiting = || false;
            // Its budget spent in this window, the thread does not wait.
            rings::set_waited(rings::WAIT_BUDGET);
            assert_eq!(rings.wait_for_room(&keep_waiting), 0);
            // With its budget whole, it waits until `PATIENCE` without a
            // span taken...
            rings::set_waited(Duration::ZERO);
            let started = Instant::now();
            assert!(rings.wait_for_room(&keep_waiting) > 0);
            assert!(started.elapsed() >= rings::PATIENCE);
            // ...and not again until the export thread takes a span.
            assert_eq!(rings.wait_for_room(&keep_waiting), 0);
            let mut taken = Vec::new();
            rings.take(0, &mut [1], 1, &mut taken, |span| span);
            rings.push(Box::new(span(6)), 8, drop);
            // (Its budget whole again: a yield can take long on a busy machine.)
            rings::set_waited(Duration::ZERO);
            assert!(rings.wait_for_room(&keep_waiting) > 0, "did not wait again once a span was taken");
            // The export thread holding off after a failed export ends a wait
            // at its first look.
            rings.take(0, &mut [1], 1, &mut taken, |span| span);
            rings.push(Box::new(span(7)), 8, drop);
            rings::set_waited(Duration::ZERO);
            assert_eq!(rings.wait_for_room(&|| true), 1);
        });
    }

    /// Takes a batch in 20 ms: far slower than a thread records.
    #[derive(Debug)]
    struct Slow;

    impl SpanExporter for Slow {
        async fn export(&self, _batch: Vec<SpanData>) -> OTelSdkResult {
            std::thread::sleep(Duration::from_millis(20));
            Ok(())
        }
    }

    #[test]
    fn a_thread_that_outruns_its_export_waits_for_it_and_counts_every_span() {
        on_a_fresh_thread(|| {
            let processor = ExportPool::<SpanData>::new(Slow, settings(64, 4), None, "slow".into()).unwrap();
            // Waiting for every span would take ten seconds here: the thread
            // waits within its budget, then drops what does not fit.
            (0..2_000).for_each(|index| processor.push(span(index)));
            assert!(processor.intake().rings.waits() > 0, "did not wait for the export");
            processor.shutdown_with_timeout(Duration::from_secs(5)).unwrap();
            let stats = processor.intake().stats();
            assert_eq!(stats.exported + stats.dropped, 2_000, "every span exported or counted");
        });
    }

    /// A span of either kind, for the rings of both kinds.
    #[allow(clippy::large_enum_variant, reason = "the compact kind is queued in place, as calls are")]
    enum EitherKind {
        Compact(SpanData),
        Boxed(Box<SpanData>),
    }

    impl IntoSpanData for EitherKind {
        fn is_sampled(&self) -> bool {
            true
        }

        fn into_span_data(self) -> SpanData {
            match self {
                EitherKind::Compact(span) => span,
                EitherKind::Boxed(span) => *span,
            }
        }
    }

    impl Slotted for EitherKind {
        type InPlace = SpanData;
        type Boxed = Box<SpanData>;

        fn into_slot(self) -> Slot<SpanData, Box<SpanData>> {
            match self {
                EitherKind::Compact(span) => Slot::InPlace(span),
                EitherKind::Boxed(span) => Slot::Boxed(span),
            }
        }

        fn from_slot(slot: Slot<SpanData, Box<SpanData>>) -> Self {
            match slot {
                Slot::InPlace(span) => EitherKind::Compact(span),
                Slot::Boxed(span) => EitherKind::Boxed(span),
            }
        }
    }

    #[test]
    fn each_kind_of_span_has_a_ring_of_the_queue_size_and_what_does_not_fit_is_counted() {
        let gate = Gate::default();
        let processor = ExportPool::<EitherKind>::new(gate.clone(), settings(8, 4), None, "gate".into()).unwrap();
        // A first batch, taken by the export thread and held there.
        for index in 0..4 {
            processor.push(EitherKind::Compact(span(index)));
        }
        while processor.intake().rings.len() == 4 {
            std::thread::yield_now();
        }
        for index in 4..100 {
            processor.push(EitherKind::Compact(span(index)));
            processor.push(EitherKind::Boxed(Box::new(span(index))));
        }
        assert_eq!(processor.intake().rings.len(), 16, "eight of each kind");
        assert_eq!(processor.intake().rings.count(), 2, "one ring of each kind for this thread");
        gate.open.store(true, Ordering::Relaxed);
        processor.shutdown_with_timeout(Duration::from_secs(5)).unwrap();
        assert_eq!(
            processor.intake().stats(),
            ExportStats { exported: 4 + 16, dropped: 2 * 96 - 16, failed: 0, yielded: 0 }
        );
    }

    /// An exporter that waits for a permit before each export.
    #[derive(Debug, Clone)]
    struct Permits(Arc<Mutex<std::sync::mpsc::Receiver<()>>>);

    impl SpanExporter for Permits {
        async fn export(&self, _batch: Vec<SpanData>) -> OTelSdkResult {
            let _ = self.0.lock().unwrap().recv();
            Ok(())
        }
    }

    #[test]
    fn spans_wait_in_the_queue_while_a_batch_is_in_flight() {
        let (permit, permits) = std::sync::mpsc::channel();
        let processor =
            ExportPool::<SpanData>::new(Permits(Arc::new(Mutex::new(permits))), settings(8, 2), None, "gate".into())
                .unwrap();
        let wait_for = |waiting: usize| {
            let deadline = Instant::now() + Duration::from_secs(10);
            while processor.intake().rings.len() != waiting {
                assert!(Instant::now() < deadline, "the export thread never got there");
                std::thread::yield_now();
            }
        };
        // The first batch is taken and its export waits; eight more fill the queue.
        processor.push(span(0));
        processor.push(span(1));
        wait_for(0);
        for index in 2..11 {
            processor.push(span(index));
        }
        assert_eq!(processor.intake().stats().dropped, 1);
        // Released, the thread takes the next batch of two: six wait.
        permit.send(()).unwrap();
        wait_for(6);
        for index in 11..14 {
            processor.push(span(index));
        }
        assert_eq!(processor.intake().stats().dropped, 2, "six waiting and two more fill the queue of eight");
        for _ in 0..10 {
            let _ = permit.send(());
        }
        processor.shutdown_with_timeout(Duration::from_secs(5)).unwrap();
        assert_eq!(processor.intake().stats(), ExportStats { exported: 12, dropped: 2, failed: 0, yielded: 0 });
    }

    #[test]
    fn failed_exports_are_counted_per_span() {
        let gate = Gate { open: Arc::new(AtomicBool::new(true)), fail: true, ..Gate::default() };
        let processor = ExportPool::<SpanData>::new(gate, settings(100, 10), None, "gate".into()).unwrap();
        for index in 0..25 {
            processor.push(span(index));
        }
        processor.force_flush().unwrap();
        assert_eq!(processor.intake().stats(), ExportStats { exported: 0, dropped: 0, failed: 25, yielded: 0 });
    }

    /// An exporter that panics when given the resource, at its first
    /// export and at shutdown; it counts its shutdowns.
    #[derive(Debug, Clone, Default)]
    struct Panicky {
        exports: Arc<AtomicU64>,
        shutdowns: Arc<AtomicU64>,
    }

    impl SpanExporter for Panicky {
        async fn export(&self, _batch: Vec<SpanData>) -> OTelSdkResult {
            if self.exports.fetch_add(1, Ordering::Relaxed) == 0 {
                panic!("a bug in the program's exporter");
            }
            Ok(())
        }

        fn set_resource(&mut self, _resource: &Resource) {
            panic!("a resource the exporter cannot take");
        }

        fn shutdown_with_timeout(&self, _timeout: Duration) -> OTelSdkResult {
            self.shutdowns.fetch_add(1, Ordering::Relaxed);
            panic!("a shutdown that fails");
        }
    }

    #[test]
    fn an_exporter_that_panics_fails_its_batch_and_the_export_thread_goes_on() {
        let exporter = Panicky::default();
        let processor =
            ExportPool::<SpanData>::new(exporter.clone(), settings(100, 10), None, "panics".into()).unwrap();
        processor.set_resource(&Resource::builder_empty().build());
        (0..10).for_each(|index| processor.push(span(index)));
        processor.force_flush().unwrap();
        assert_eq!(processor.intake().stats(), ExportStats { exported: 0, dropped: 0, failed: 10, yielded: 0 });
        let reason = processor.intake().reporter().last_error.clone();
        assert_eq!(reason.as_deref(), Some("Operation failed: the exporter panicked: a bug in the program's exporter"));

        (10..20).for_each(|index| processor.push(span(index)));
        processor.force_flush().unwrap();
        assert_eq!(processor.intake().stats(), ExportStats { exported: 10, dropped: 0, failed: 10, yielded: 0 });
        // The export thread stops, though the exporter's shutdown panicked.
        processor.shutdown_with_timeout(Duration::from_secs(5)).unwrap();
        assert_eq!(exporter.shutdowns.load(Ordering::Relaxed), 1, "the exporter is shut down");
    }

    /// An exporter that counts its exports, and fails them while `fail` is set.
    #[derive(Debug, Clone, Default)]
    pub(super) struct Flaky {
        pub(super) fail: Arc<AtomicBool>,
        pub(super) exports: Arc<AtomicU64>,
    }

    impl SpanExporter for Flaky {
        async fn export(&self, _batch: Vec<SpanData>) -> OTelSdkResult {
            self.exports.fetch_add(1, Ordering::Relaxed);
            match self.fail.load(Ordering::Relaxed) {
                true => Err(OTelSdkError::InternalFailure("refused".into())),
                false => Ok(()),
            }
        }
    }

    #[test]
    fn after_a_failed_export_the_next_waits_for_the_schedule_or_a_flush() {
        let exporter = Flaky::default();
        exporter.fail.store(true, Ordering::Relaxed);
        let processor = ExportPool::<SpanData>::new(exporter.clone(), settings(64, 8), None, "flaky".into()).unwrap();
        let settled = |stats: ExportStats| {
            let deadline = Instant::now() + Duration::from_secs(10);
            while processor.intake().stats() != stats {
                assert!(Instant::now() < deadline, "{:?}, not {stats:?}", processor.intake().stats());
                std::thread::sleep(Duration::from_millis(5));
            }
        };
        // A full batch wakes the export thread, and its export fails.
        (0..8).for_each(|index| processor.push(span(index)));
        settled(ExportStats { exported: 0, dropped: 0, failed: 8, yielded: 0 });
        while !processor.intake().hold_off.is_on() {
            std::thread::sleep(Duration::from_millis(1));
        }
        // Full batches no longer wake it: the queue fills, the rest is
        // dropped, and a crowded ring does not give way to it.
        (8..108).for_each(|index| processor.push(span(index)));
        std::thread::sleep(Duration::from_millis(200));
        assert_eq!(exporter.exports.load(Ordering::Relaxed), 1, "asked again before its schedule");
        assert_eq!(processor.intake().stats(), ExportStats { exported: 0, dropped: 36, failed: 8, yielded: 0 });
        assert_eq!(processor.intake().yields(), 0, "gave way to an export thread holding off");
        // A flush does: what waits is tried, a batch at a time.
        processor.force_flush().unwrap();
        assert_eq!(exporter.exports.load(Ordering::Relaxed), 1 + 8);
        assert_eq!(processor.intake().stats(), ExportStats { exported: 0, dropped: 36, failed: 72, yielded: 0 });
        // Once an export goes through, full batches wake it again (a
        // thread looks at its ring every batch it queues).
        exporter.fail.store(false, Ordering::Relaxed);
        processor.push(span(108));
        processor.force_flush().unwrap();
        (109..125).for_each(|index| processor.push(span(index)));
        settled(ExportStats { exported: 17, dropped: 36, failed: 72, yielded: 0 });
    }

    #[test]
    fn a_round_on_the_schedule_stops_at_a_failed_export_and_leaves_the_rest_waiting() {
        let exporter = Flaky::default();
        exporter.fail.store(true, Ordering::Relaxed);
        let settings = BatchSettings { schedule_delay: Duration::from_secs(2), ..settings(64, 8) };
        let processor = ExportPool::<SpanData>::new(exporter.clone(), settings, None, "flaky".into()).unwrap();
        (0..8).for_each(|index| processor.push(span(index)));
        while !processor.intake().hold_off.is_on() {
            std::thread::sleep(Duration::from_millis(1));
        }
        // Three batches wait for the schedule; its round tries the first.
        (8..32).for_each(|index| processor.push(span(index)));
        let deadline = Instant::now() + Duration::from_secs(10);
        while processor.intake().stats().failed < 16 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
        assert_eq!(exporter.exports.load(Ordering::Relaxed), 2, "one export a schedule");
        assert_eq!(processor.intake().stats(), ExportStats { exported: 0, dropped: 0, failed: 16, yielded: 0 });
        assert_eq!(processor.intake().rings.len(), 16, "the rest waits for the next");
    }

    #[test]
    fn past_the_hold_off_a_batch_wakes_the_export_thread_for_its_try() {
        let exporter = Flaky::default();
        exporter.fail.store(true, Ordering::Relaxed);
        let schedule_delay = Duration::from_secs(3);
        let settings = BatchSettings { schedule_delay, ..settings(64, 8) };
        let processor = ExportPool::<SpanData>::new(exporter.clone(), settings, None, "flaky".into()).unwrap();
        (0..8).for_each(|index| processor.push(span(index)));
        while !processor.intake().hold_off.is_on() {
            std::thread::sleep(Duration::from_millis(1));
        }
        // Past the hold-off, with nothing to try with, the export thread
        // waits for spans; its schedule is three seconds away again.
        std::thread::sleep(schedule_delay + Duration::from_millis(300));
        let asked = processor.intake().hold_off.gate_asked();
        std::thread::sleep(Duration::from_millis(500));
        assert!(processor.intake().hold_off.gate_asked() - asked <= 2, "the idle export thread kept asking");
        exporter.fail.store(false, Ordering::Relaxed);
        let woken = Instant::now();
        (8..16).for_each(|index| processor.push(span(index)));
        while processor.intake().stats().exported < 8 && woken.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(1));
        }
        assert_eq!(processor.intake().stats(), ExportStats { exported: 8, dropped: 0, failed: 8, yielded: 0 });
        assert!(woken.elapsed() < Duration::from_millis(2_500), "the batch waited for the schedule, not the wake-up");
        assert!(!processor.intake().hold_off.is_on());
    }

    #[test]
    fn spans_dropped_by_threads_are_counted_at_once_and_kept_after_the_threads_end() {
        let gate = Gate::default();
        let processor = ExportPool::<SpanData>::new(gate.clone(), settings(8, 4), None, "gate".into()).unwrap();
        let before = crate::export::stats::export_stats();
        // A first batch, taken by the export thread and held there: nothing
        // is exported or counted by it meanwhile.
        (0..4).for_each(|index| processor.push(span(index)));
        while processor.intake().rings.len() == 4 {
            std::thread::yield_now();
        }
        // Four threads, each with a ring of its own that keeps 8 of 100.
        std::thread::scope(|threads| {
            for thread in 0..4 {
                let processor = &processor;
                threads.spawn(move || (0..100).for_each(|index| processor.push(span(1_000 * (thread + 1) + index))));
            }
        });
        assert_eq!(processor.intake().stats(), ExportStats { exported: 0, dropped: 4 * 92, failed: 0, yielded: 0 });
        assert!(crate::export::stats::export_stats().dropped - before.dropped >= 4 * 92, "the process's totals too");
        gate.open.store(true, Ordering::Relaxed);
        processor.shutdown_with_timeout(Duration::from_secs(5)).unwrap();
        assert_eq!(
            processor.intake().stats(),
            ExportStats { exported: 4 + 4 * 8, dropped: 4 * 92, failed: 0, yielded: 0 }
        );
    }

    #[test]
    fn flush_exports_everything_queued_in_batches() {
        let store = SpanStore::default();
        let processor = memory_processor(&store, 100, 7);
        for index in 0..20 {
            processor.push(span(index));
        }
        processor.force_flush().unwrap();
        assert_eq!(store.len(), 20);
        assert_eq!(processor.intake().stats().exported, 20);
    }

    #[test]
    fn shutdown_returns_on_time_while_an_export_hangs_and_counts_what_it_could_not_send() {
        let gate = Gate::default();
        let processor = ExportPool::<SpanData>::new(gate.clone(), settings(100, 5), None, "gate".into()).unwrap();
        for index in 0..12 {
            processor.push(span(index));
        }
        let started = Instant::now();
        let result = processor.shutdown_with_timeout(Duration::from_millis(200));
        assert!(matches!(result, Err(OTelSdkError::Timeout(_))), "{result:?}");
        assert!(started.elapsed() < Duration::from_secs(2));
        processor.push(span(99));
        // Counted when shutdown returned: the batch in the hung export as
        // failed, the seven behind it as dropped; then the span after shutdown.
        let counted = processor.intake().stats();
        assert_eq!((counted.exported, counted.failed, counted.dropped), (0, 5, 8), "{counted:?}");
        // Released after its deadline, the export thread counts nothing more.
        gate.open.store(true, Ordering::Relaxed);
        let deadline = Instant::now() + Duration::from_secs(10);
        while !processor.export_thread(0).shared.lock().stopped && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(processor.export_thread(0).shared.lock().stopped);
        assert_eq!(processor.intake().stats(), counted);
    }

    #[test]
    fn spans_of_many_threads_all_reach_the_exporter_by_one_flush() {
        let store = SpanStore::default();
        let processor = Arc::new(memory_processor(&store, 8192, 512));
        let threads: Vec<_> = (0..8)
            .map(|thread| {
                let processor = processor.clone();
                std::thread::spawn(move || {
                    for index in 0..5000 {
                        processor.push(span(thread * 10_000 + index));
                    }
                })
            })
            .collect();
        threads.into_iter().for_each(|thread| thread.join().unwrap());
        processor.force_flush().unwrap();
        assert_eq!(store.len(), 40_000);
        assert_eq!(processor.intake().stats(), ExportStats { exported: 40_000, dropped: 0, failed: 0, yielded: 0 });
        let mut ids: Vec<u64> =
            store.take().iter().map(|span| u64::from_be_bytes(span.span_context.span_id().to_bytes())).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 40_000, "every span once");
    }

    #[test]
    fn the_rings_of_threads_that_ended_are_emptied_then_forgotten() {
        let store = SpanStore::default();
        let processor = Arc::new(memory_processor(&store, 1000, 500));
        for thread in 0..4 {
            let processor = processor.clone();
            std::thread::spawn(move || (0..100).for_each(|index| processor.push(span(thread * 1000 + index))))
                .join()
                .unwrap();
        }
        assert_eq!(processor.intake().rings.len(), 400, "nothing exported yet: no ring holds a batch");
        processor.force_flush().unwrap();
        assert_eq!(store.len(), 400);
        assert_eq!(processor.intake().rings.len(), 0);
        assert_eq!(processor.intake().rings.count(), 0, "the ended threads' rings are forgotten");
        processor.push(span(9999));
        processor.force_flush().unwrap();
        assert_eq!(store.len(), 401, "a ring of this thread is made again after the others were forgotten");
    }

    #[test]
    fn a_flush_exports_every_span_of_its_caller_while_another_thread_keeps_recording() {
        let store = SpanStore::default();
        let processor = Arc::new(memory_processor(&store, 100_000, 64));
        let stop = Arc::new(AtomicBool::new(false));
        let busy = {
            let (processor, stop) = (processor.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut index = 1_000_000;
                while !stop.load(Ordering::Relaxed) {
                    (0..20).for_each(|offset| processor.push(span(index + offset)));
                    index += 20;
                    std::thread::sleep(Duration::from_micros(50));
                }
            })
        };
        for round in 0..50 {
            let mine: Vec<u64> = (0..10).map(|index| round * 100 + index).collect();
            mine.iter().for_each(|&index| processor.push(span(index)));
            processor.force_flush().unwrap();
            let exported: Vec<u64> = store
                .take()
                .iter()
                .map(|span| u64::from_be_bytes(span.span_context.span_id().to_bytes()) - 1)
                .collect();
            for index in mine {
                assert!(exported.contains(&index), "span {index} of round {round} flushed");
            }
        }
        stop.store(true, Ordering::Relaxed);
        busy.join().unwrap();
    }

    #[test]
    fn full_rings_drop_and_count_and_hold_no_more_than_their_size() {
        let gate = Gate::default();
        let processor =
            Arc::new(ExportPool::<SpanData>::new(gate.clone(), settings(16, 8), None, "gate".into()).unwrap());
        let threads: Vec<_> = (0..4)
            .map(|thread| {
                let processor = processor.clone();
                std::thread::spawn(move || {
                    for index in 0..1000 {
                        processor.push(span(thread * 10_000 + index));
                        assert!(processor.intake().rings.len() <= 4 * 16, "each ring holds at most the queue size");
                    }
                })
            })
            .collect();
        threads.into_iter().for_each(|thread| thread.join().unwrap());
        assert!(processor.intake().stats().dropped >= 4 * 1000 - 4 * 16 - 8, "{:?}", processor.intake().stats());
        gate.open.store(true, Ordering::Relaxed);
        processor.shutdown_with_timeout(Duration::from_secs(5)).unwrap();
        let stats = processor.intake().stats();
        assert_eq!(stats.exported + stats.dropped + stats.failed, 4000, "every span is exported or counted: {stats:?}");
    }

    #[test]
    fn unsampled_spans_are_not_exported() {
        let store = SpanStore::default();
        let processor = memory_processor(&store, 10, 5);
        let mut unsampled = span(1);
        unsampled.span_context = SpanContext::new(
            unsampled.span_context.trace_id(),
            unsampled.span_context.span_id(),
            TraceFlags::default(),
            false,
            TraceState::default(),
        );
        processor.push(unsampled);
        processor.force_flush().unwrap();
        assert_eq!(store.len(), 0);
    }
}
