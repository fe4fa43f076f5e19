//! A batch processor's export threads. One export thread builds a span's
//! `SpanData` (or its protobuf) at about what a recording thread spends
//! recording it, so a process whose threads all record at once exports
//! about one thread's rate whatever its cores. A pool spreads the export
//! over several threads, each serving a share of the recording threads
//! (each recording thread keeps to one, so its rings stay its own), all in
//! front of one exporter that they take turns to send to.

use super::exporter::BatchExporter;
use super::turns::InTurn;
use super::{BatchProcessor, BatchSettings, Slotted, Tally, NAP};
use crate::export::IntoSpanData;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::Resource;
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The export threads of a batch processor, at least one.
pub(crate) struct ExportPool<T: Slotted> {
    threads: Box<[BatchProcessor<T>]>,
    /// How long a flush waits.
    export_timeout: Duration,
}

static NEXT_ORDINAL: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// This thread's number among the threads that recorded, in the order
    /// they first did, plus one; zero until it first records. Recording
    /// threads are dealt to export threads in turn.
    static ORDINAL: Cell<usize> = const { Cell::new(0) };
}

/// This thread's share in a pool of `size` export threads.
#[inline]
fn this_thread_s_share(size: usize) -> usize {
    let mut ordinal = ORDINAL.get();
    if ordinal == 0 {
        ordinal = NEXT_ORDINAL.fetch_add(1, Ordering::Relaxed) + 1;
        ORDINAL.set(ordinal);
    }
    (ordinal - 1) % size
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
        let tally = Tally::new(destination, settings.export_threads);
        let export_timeout = settings.export_timeout;
        let threads = match settings.export_threads {
            // The exporter as it is: it needs no turns.
            1 => vec![BatchProcessor::start(exporter, settings, value_length, tally, NAP)?],
            threads => InTurn::share(exporter, threads)
                .into_iter()
                .map(|exporter| BatchProcessor::start(exporter, settings.clone(), value_length, tally.clone(), NAP))
                .collect::<std::io::Result<_>>()?,
        };
        Ok(ExportPool { threads: threads.into_boxed_slice(), export_timeout })
    }

    /// Queues a finished span for the export thread that serves this thread.
    #[inline(always)]
    pub(crate) fn push(&self, span: T) {
        match &*self.threads {
            [only] => only.push(span),
            threads => push_to_this_thread_s_share(threads, span),
        }
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
}

/// Queues `span` for the export thread of `threads` that serves this
/// thread. Apart, so that the way to a pool of one export thread stays as
/// short as it was.
#[inline(never)]
fn push_to_this_thread_s_share<T: IntoSpanData + Slotted>(threads: &[BatchProcessor<T>], span: T) {
    threads[this_thread_s_share(threads.len())].push(span);
}

impl<T: Slotted> std::fmt::Debug for ExportPool<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExportPool").field("threads", &self.threads.len()).finish_non_exhaustive()
    }
}

#[cfg(all(test, feature = "testing"))]
mod tests {
    use super::super::tests::{settings, span, Gate};
    use super::*;
    use crate::export::stats::ExportStats;
    use opentelemetry_sdk::error::OTelSdkError;
    use opentelemetry_sdk::trace::{SpanData, SpanExporter};
    use std::collections::{HashMap, HashSet};
    use std::sync::atomic::AtomicBool;
    use std::sync::{Arc, Mutex};
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

    /// Records `spans` spans on each of `threads` new threads: each
    /// thread's share of the pool, by thread.
    fn record_on_threads(pool: &Arc<ExportPool<SpanData>>, threads: u64, spans: u64) -> Vec<usize> {
        let recording: Vec<_> = (0..threads)
            .map(|thread| {
                let pool = pool.clone();
                std::thread::spawn(move || {
                    (0..spans).for_each(|index| pool.push(span(thread * SPANS_APART + index)));
                    this_thread_s_share(pool.threads.len())
                })
            })
            .collect();
        recording.into_iter().map(|thread| thread.join().unwrap()).collect()
    }

    impl<T: IntoSpanData + Slotted> ExportPool<T> {
        /// What the pool's threads exported and lost, together.
        fn stats(&self) -> ExportStats {
            self.threads[0].stats()
        }
    }

    #[test]
    fn export_threads_share_the_recording_threads_and_send_to_the_exporter_in_turn() {
        let witness = Witness::default();
        let pool = pool(&witness, 3);
        let shares = record_on_threads(&pool, 6, 2_000);
        pool.force_flush().unwrap();

        let sent_by = witness.sent_by.lock().unwrap().clone();
        assert_eq!(sent_by.len(), 12_000, "every span of every thread, by one flush");
        assert!(!witness.overlapped.load(Ordering::Relaxed), "two exports overlapped");
        // Threads are dealt in the order they first record, which other
        // tests share: each share is served by an export thread of its own.
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
        assert!(export_threads.len() >= 2, "six threads dealt in turn reach more than one export thread");
        assert_eq!(pool.stats(), ExportStats { exported: 12_000, dropped: 0, failed: 0, yielded: 0 });
    }

    #[test]
    fn shutdown_exports_what_each_export_thread_holds_and_shuts_the_exporter_down_once() {
        let witness = Witness::default();
        let pool = pool(&witness, 2);
        // Fewer than a batch a thread: nothing is exported before shutdown.
        record_on_threads(&pool, 4, 50);
        assert_eq!(witness.sent_by.lock().unwrap().len(), 0);
        pool.shutdown_with_timeout(Duration::from_secs(10)).unwrap();
        assert_eq!(witness.sent_by.lock().unwrap().len(), 200);
        assert_eq!(witness.shutdowns.load(Ordering::Relaxed), 1, "the exporter shuts down once, after the last thread");
        assert!(matches!(pool.shutdown_with_timeout(Duration::from_secs(1)), Err(OTelSdkError::AlreadyShutdown)));
        assert!(matches!(pool.force_flush(), Err(OTelSdkError::AlreadyShutdown)));
        pool.push(span(1));
        assert_eq!(pool.stats().dropped, 1, "a span that ends after shutdown is dropped and counted");
    }

    #[test]
    fn a_batch_waiting_for_its_turn_is_not_sent_once_shutdown_gave_up() {
        let hung = Gate::default();
        let settings = BatchSettings { export_threads: 2, ..settings(8192, 64) };
        let pool = Arc::new(ExportPool::new(hung.clone(), settings, None, "hung".into()).unwrap());
        // A batch a thread: each wakes its export thread.
        record_on_threads(&pool, 4, 64);
        while hung.entered.load(Ordering::Acquire) == 0 {
            std::thread::sleep(Duration::from_millis(1));
        }
        // The other export thread prepares its batch and waits for its turn.
        std::thread::sleep(Duration::from_millis(50));
        assert!(matches!(pool.shutdown_with_timeout(Duration::from_millis(100)), Err(OTelSdkError::Timeout(_))));
        let stats = pool.stats();
        assert_eq!((stats.exported, stats.failed + stats.dropped), (0, 256), "shutdown counted every span it gave up");

        hung.open.store(true, Ordering::Release);
        std::thread::sleep(Duration::from_millis(200));
        assert_eq!(hung.entered.load(Ordering::Acquire), 1, "only the export under way when shutdown gave up was sent");
        assert_eq!(pool.stats().exported, 0, "nothing is counted twice");
    }
}
