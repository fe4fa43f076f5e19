//! A batch processor's export threads. One export thread builds a span's
//! `SpanData` (or its protobuf) at about what a recording thread spends
//! recording it, so a process whose threads all record at once exports
//! about one thread's rate whatever its cores. A pool spreads the export
//! over several threads, each emptying the rings of a share of the
//! recording threads (each recording thread's rings are dealt to one, so
//! that its spans stay in order), all in front of one exporter that they
//! take turns to send to.

use super::exporter::BatchExporter;
use super::turns::InTurn;
use super::{BatchProcessor, BatchSettings, Intake, Slotted, NAP};
use crate::export::IntoSpanData;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::Resource;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The export threads of a batch processor, at least one, and the rings
/// they empty.
pub(crate) struct ExportPool<T: Slotted> {
    intake: Arc<Intake<T>>,
    threads: Box<[BatchProcessor<T>]>,
    /// How long a flush waits.
    export_timeout: Duration,
}

impl<T: IntoSpanData + Slotted> ExportPool<T> {
    /// Starts `settings.export_threads` export threads in front of
    /// `exporter`. `destination` names where spans go, for the loss
    /// warnings.
    pub(crate) fn new<E: BatchExporter<T>>(
        exporter: E,
        settings: BatchSettings,
        value_length: Option<usize>,
        destination: String,
    ) -> std::io::Result<Self> {
        Self::start(exporter, settings, value_length, destination, NAP)
    }

    /// [`ExportPool::new`], with export threads that nap `nap` under load.
    pub(super) fn start<E: BatchExporter<T>>(
        exporter: E,
        settings: BatchSettings,
        value_length: Option<usize>,
        destination: String,
        nap: Duration,
    ) -> std::io::Result<Self> {
        let intake = Arc::new(Intake::new(&settings, destination));
        let export_timeout = settings.export_timeout;
        let threads = match settings.export_threads {
            // The exporter as it is: it needs no turns.
            1 => vec![BatchProcessor::start(exporter, settings, value_length, (intake.clone(), 0), nap)?],
            threads => InTurn::share(exporter, threads)
                .into_iter()
                .enumerate()
                .map(|(share, exporter)| {
                    BatchProcessor::start(exporter, settings.clone(), value_length, (intake.clone(), share), nap)
                })
                .collect::<std::io::Result<_>>()?,
        };
        Ok(ExportPool { intake, threads: threads.into_boxed_slice(), export_timeout })
    }

    /// Queues a finished span in its thread's ring, for the export thread
    /// that empties it.
    #[inline(always)]
    pub(crate) fn push(&self, span: T) {
        self.intake.push(span, &self.threads);
    }

    /// [`ExportPool::push`] for a compact span, `sampled` or not, made by
    /// `make` where it is queued (see [`Intake::push_in_place`]).
    #[inline(always)]
    pub(crate) fn push_in_place(&self, sampled: bool, make: impl FnOnce() -> T::InPlace) {
        self.intake.push_in_place(sampled, make, &self.threads);
    }

    /// Exports every span queued now, each export thread its share, within
    /// the export timeout.
    pub(crate) fn force_flush(&self) -> OTelSdkResult {
        let deadline = Instant::now() + self.export_timeout;
        let asked = self.threads.iter().map(BatchProcessor::ask_flush).collect::<Result<Vec<_>, _>>()?;
        self.threads.iter().zip(asked).try_for_each(|(thread, asked)| thread.wait_for_flush(asked, deadline))
    }

    /// Exports what is queued and stops the export threads, within `timeout`.
    pub(crate) fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        let deadline = Instant::now() + timeout;
        self.threads.iter().try_for_each(|thread| thread.ask_shutdown(deadline))?;
        // Every thread is waited for, so that each counts what it could
        // not export by the deadline; the first error is returned.
        let waited: Vec<OTelSdkResult> =
            self.threads.iter().map(|thread| thread.wait_for_shutdown(deadline, timeout)).collect();
        waited.into_iter().collect()
    }

    /// Given to the exporter before the first export.
    pub(crate) fn set_resource(&self, resource: &Resource) {
        self.threads.iter().for_each(|thread| thread.set_resource(resource));
    }

    /// The rings and counts the export threads share, for the tests.
    #[cfg(all(test, feature = "testing"))]
    pub(super) fn intake(&self) -> &Intake<T> {
        &self.intake
    }

    /// Export thread `share`, for the tests.
    #[cfg(all(test, feature = "testing"))]
    pub(super) fn export_thread(&self, share: usize) -> &BatchProcessor<T> {
        &self.threads[share]
    }
}

impl<T: Slotted> std::fmt::Debug for ExportPool<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExportPool").field("threads", &self.threads.len()).finish_non_exhaustive()
    }
}

#[cfg(all(test, feature = "testing"))]
mod tests {
    use super::super::rings::{number_this_thread, this_thread_s_share};
    use super::super::tests::{settings, span, Flaky, Gate};
    use super::*;
    use crate::export::stats::ExportStats;
    use opentelemetry_sdk::error::OTelSdkError;
    use opentelemetry_sdk::trace::{SpanData, SpanExporter};
    use std::collections::{HashMap, HashSet};
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::Mutex;
    use std::thread::ThreadId;

    /// Spans a recording thread numbered `thread` makes are numbered from
    /// `thread * SPANS_APART`.
    const SPANS_APART: u64 = 100_000;

    /// An exporter that notes which export thread sent each span, and
    /// whether two exports ever overlapped.
    #[derive(Debug, Clone, Default)]
    struct Witness {
        sent_by: Arc<Mutex<HashMap<u64, ThreadId>>>,
        exporting: Arc<AtomicBool>,
        overlapped: Arc<AtomicBool>,
        shutdowns: Arc<AtomicUsize>,
    }

    impl SpanExporter for Witness {
        async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
            if self.exporting.swap(true, Ordering::AcqRel) {
                self.overlapped.store(true, Ordering::Relaxed);
            }
            // Long enough for another export thread's batch to come.
            std::thread::sleep(Duration::from_millis(2));
            let mut sent_by = self.sent_by.lock().unwrap();
            for span in batch {
                let number = u64::from_be_bytes(span.span_context.span_id().to_bytes()) - 1;
                assert!(sent_by.insert(number, std::thread::current().id()).is_none(), "span {number} sent twice");
            }
            drop(sent_by);
            self.exporting.store(false, Ordering::Release);
            Ok(())
        }

        fn shutdown_with_timeout(&self, _timeout: Duration) -> OTelSdkResult {
            self.shutdowns.fetch_add(1, Ordering::Relaxed);
            Ok(())
        }
    }

    fn pool(witness: &Witness, threads: usize) -> Arc<ExportPool<SpanData>> {
        let settings = BatchSettings { export_threads: threads, ..settings(8192, 64) };
        Arc::new(ExportPool::new(witness.clone(), settings, None, "witness".into()).unwrap())
    }

    /// Records `spans` spans on each of `threads` new threads at once,
    /// numbered from 1 in order, so dealt to the pool's shares in turn:
    /// each thread's share of the pool, by thread.
    fn record_on_threads(pool: &Arc<ExportPool<SpanData>>, threads: u64, spans: u64) -> Vec<usize> {
        let recording: Vec<_> = (0..threads)
            .map(|thread| {
                let pool = pool.clone();
                std::thread::spawn(move || {
                    number_this_thread(thread as usize + 1);
                    (0..spans).for_each(|index| pool.push(span(thread * SPANS_APART + index)));
                    this_thread_s_share(pool.threads.len())
                })
            })
            .collect();
        recording.into_iter().map(|thread| thread.join().unwrap()).collect()
    }

    #[test]
    fn export_threads_share_the_recording_threads_and_send_to_the_exporter_in_turn() {
        let witness = Witness::default();
        let pool = pool(&witness, 3);
        let shares = record_on_threads(&pool, 6, 2_000);
        assert_eq!(shares, [0, 1, 2, 0, 1, 2], "threads are dealt to the shares in turn");
        pool.force_flush().unwrap();

        let sent_by = witness.sent_by.lock().unwrap().clone();
        assert_eq!(sent_by.len(), 12_000, "every span of every thread, by one flush");
        assert!(!witness.overlapped.load(Ordering::Relaxed), "two exports overlapped");
        // Each share is served by an export thread of its own.
        let mut serving_share: HashMap<usize, ThreadId> = HashMap::new();
        for (thread, share) in shares.iter().enumerate() {
            let serving: HashSet<ThreadId> = sent_by
                .iter()
                .filter(|(number, _)| *number / SPANS_APART == thread as u64)
                .map(|(_, export_thread)| *export_thread)
                .collect();
            assert_eq!(serving.len(), 1, "recording thread {thread}'s spans went through one export thread");
            let serving = serving.into_iter().next().unwrap();
            assert_eq!(*serving_share.entry(*share).or_insert(serving), serving, "share {share} has one export thread");
        }
        let export_threads: HashSet<ThreadId> = serving_share.values().copied().collect();
        assert_eq!(export_threads.len(), serving_share.len(), "each share its own export thread");
        assert_eq!(export_threads.len(), 3, "six threads dealt in turn reach every export thread");
        assert_eq!(pool.intake.stats(), ExportStats { exported: 12_000, dropped: 0, failed: 0, yielded: 0 });
    }

    #[test]
    fn a_batch_in_a_ring_wakes_the_export_thread_that_empties_it() {
        let witness = Witness::default();
        let pool = pool(&witness, 3);
        // A batch on each of three threads, one in each share; the schedule
        // is an hour away, and nothing flushes: only the wake-ups export.
        let shares: HashSet<usize> = record_on_threads(&pool, 3, 64).into_iter().collect();
        assert_eq!(shares, HashSet::from([0, 1, 2]));
        wait_for(|| witness.sent_by.lock().unwrap().len() == 3 * 64);
        let sent_by = witness.sent_by.lock().unwrap().clone();
        assert_eq!(sent_by.len(), 3 * 64, "a batch waited for the schedule");
        let export_threads: HashSet<ThreadId> = sent_by.values().copied().collect();
        assert_eq!(export_threads.len(), 3, "each share's batch went through its own export thread");
    }

    #[test]
    fn shutdown_exports_what_each_export_thread_holds_and_shuts_the_exporter_down_once() {
        let witness = Witness::default();
        let pool = pool(&witness, 2);
        // Fewer than a batch a thread, on both shares: nothing is exported
        // before shutdown.
        assert_eq!(record_on_threads(&pool, 4, 50), [0, 1, 0, 1]);
        assert_eq!(witness.sent_by.lock().unwrap().len(), 0);
        pool.shutdown_with_timeout(Duration::from_secs(10)).unwrap();
        assert_eq!(witness.sent_by.lock().unwrap().len(), 200);
        assert_eq!(witness.shutdowns.load(Ordering::Relaxed), 1, "the exporter shuts down once, after the last thread");
        assert!(matches!(pool.shutdown_with_timeout(Duration::from_secs(1)), Err(OTelSdkError::AlreadyShutdown)));
        assert!(matches!(pool.force_flush(), Err(OTelSdkError::AlreadyShutdown)));
        pool.push(span(1));
        assert_eq!(pool.intake.stats().dropped, 1, "a span that ends after shutdown is dropped and counted");
    }

    /// Waits up to ten seconds for `condition`, which the test then asserts.
    fn wait_for(condition: impl Fn() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !condition() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// Records `spans` spans from `first` on a new thread numbered `thread`.
    fn record_on_thread(pool: &Arc<ExportPool<SpanData>>, thread: usize, first: u64, spans: u64) {
        let pool = pool.clone();
        std::thread::spawn(move || {
            number_this_thread(thread);
            (first..first + spans).for_each(|index| pool.push(span(index)));
        })
        .join()
        .unwrap();
    }

    /// A pool of two export threads, on the schedule `schedule_delay`,
    /// whose exporter fails until told otherwise, once a batch in share 0
    /// woke its export thread and that export failed: the pool holds off.
    fn holding_off_pool(schedule_delay: Duration) -> (Flaky, Arc<ExportPool<SpanData>>) {
        let exporter = Flaky::default();
        exporter.fail.store(true, Ordering::Relaxed);
        let settings = BatchSettings { export_threads: 2, schedule_delay, ..settings(64, 8) };
        let pool = Arc::new(ExportPool::<SpanData>::new(exporter.clone(), settings, None, "flaky".into()).unwrap());
        record_on_thread(&pool, 1, 0, 8);
        // The hold-off begins within the turn, before the batch is counted.
        wait_for(|| pool.intake.hold_off.is_on() && pool.intake.stats().failed == 8);
        assert_eq!(pool.intake.stats(), ExportStats { exported: 0, dropped: 0, failed: 8, yielded: 0 });
        (exporter, pool)
    }

    #[test]
    fn after_an_export_fails_every_export_thread_of_the_pool_waits_for_the_schedule() {
        let (exporter, pool) = holding_off_pool(Duration::from_secs(3600));
        // A batch in share 1 wakes the other export thread, which holds
        // off too: the collector is the same, and the schedule an hour away.
        record_on_thread(&pool, 2, 100, 8);
        std::thread::sleep(Duration::from_millis(200));
        assert_eq!(exporter.exports.load(Ordering::Relaxed), 1, "the other export thread asked the collector again");
        // The collector is back: a flush tries what waits, and once that
        // goes through, a batch wakes its export thread again.
        exporter.fail.store(false, Ordering::Relaxed);
        pool.force_flush().unwrap();
        assert_eq!(pool.intake.stats(), ExportStats { exported: 8, dropped: 0, failed: 8, yielded: 0 });
        assert!(!pool.intake.hold_off.is_on(), "the pool still holds off");
        record_on_thread(&pool, 1, 200, 8);
        wait_for(|| pool.intake.stats().exported == 16);
        assert_eq!(pool.intake.stats(), ExportStats { exported: 16, dropped: 0, failed: 8, yielded: 0 });
    }

    #[test]
    fn a_pool_that_holds_off_tries_again_at_its_schedule_and_exports_once_the_collector_is_back() {
        let (exporter, pool) = holding_off_pool(Duration::from_millis(200));
        exporter.fail.store(false, Ordering::Relaxed);
        record_on_thread(&pool, 2, 100, 8);
        // No flush: share 1's export thread tries at the schedule, and its
        // export goes through; then share 0's exports again without one.
        wait_for(|| pool.intake.stats().exported == 8);
        assert_eq!(pool.intake.stats(), ExportStats { exported: 8, dropped: 0, failed: 8, yielded: 0 });
        record_on_thread(&pool, 1, 200, 8);
        wait_for(|| pool.intake.stats().exported == 16);
        assert_eq!(pool.intake.stats(), ExportStats { exported: 16, dropped: 0, failed: 8, yielded: 0 });
    }

    #[test]
    fn a_pool_whose_export_thread_the_system_refuses_fails_and_still_shuts_its_exporter_down() {
        let witness = Witness::default();
        super::super::refuse_to_start(Some(2));
        let settings = BatchSettings { export_threads: 3, ..settings(8192, 64) };
        let refused = ExportPool::<SpanData>::new(witness.clone(), settings, None, "witness".into()).unwrap_err();
        super::super::refuse_to_start(None);
        assert_eq!(refused.to_string(), "the test refused the thread");
        // The two threads started stop as the pool is dropped; the last of
        // them shuts the exporter down, once.
        wait_for(|| witness.shutdowns.load(Ordering::Relaxed) > 0);
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(witness.shutdowns.load(Ordering::Relaxed), 1, "the exporter shut down once");
    }

    #[test]
    fn a_batch_waiting_for_its_turn_is_not_sent_once_shutdown_gave_up() {
        let hung = Gate::default();
        let settings = BatchSettings { export_threads: 2, ..settings(8192, 64) };
        let pool = Arc::new(ExportPool::new(hung.clone(), settings, None, "hung".into()).unwrap());
        // A batch a thread, on both shares: each wakes its export thread.
        assert_eq!(record_on_threads(&pool, 4, 64), [0, 1, 0, 1]);
        while hung.entered.load(Ordering::Acquire) == 0 {
            std::thread::sleep(Duration::from_millis(1));
        }
        // The other export thread prepares its batch and waits for its turn.
        std::thread::sleep(Duration::from_millis(50));
        assert!(matches!(pool.shutdown_with_timeout(Duration::from_millis(100)), Err(OTelSdkError::Timeout(_))));
        // The batch under way failed (sent, not confirmed); the batch that
        // waited for its turn was never sent, and is dropped with the rest.
        let stats = pool.intake.stats();
        assert_eq!(
            stats,
            ExportStats { exported: 0, failed: 64, dropped: 192, yielded: 0 },
            "shutdown counted every span it gave up"
        );

        hung.open.store(true, Ordering::Release);
        std::thread::sleep(Duration::from_millis(200));
        assert_eq!(hung.entered.load(Ordering::Acquire), 1, "only the export under way when shutdown gave up was sent");
        assert_eq!(pool.intake.stats().exported, 0, "nothing is counted twice");
    }
}
