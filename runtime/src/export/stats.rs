//! Counts of what the batch exporter did with finished spans, readable while
//! the program runs: losses are counted, not only logged.

use std::sync::atomic::{AtomicU64, Ordering};
use thread_local::ThreadLocal;

/// What happened to the spans handed to the batch exporter (OTLP), counted
/// since the process started, across installations.
///
/// Every span that reached the exporter's queue ends up counted once:
/// `exported`, `failed` (the collector refused it, rejected it in a partial
/// success, or did not answer within the export timeout) or `dropped` (the
/// queue was full, or shutdown ran out of time). Spans still queued are not
/// counted yet.
///
/// ```
/// let stats = tracekit::export_stats();
/// if stats.lost() > 0 {
///     eprintln!("{} spans lost so far", stats.lost());
/// }
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExportStats {
    /// Spans the collector accepted.
    pub exported: u64,
    /// Spans dropped before export: the queue (`OTEL_BSP_MAX_QUEUE_SIZE`)
    /// was full, or shutdown's time ran out.
    pub dropped: u64,
    /// Spans whose export failed after the OTLP retries, or timed out, and
    /// those the collector took but rejected (OTLP's partial success).
    pub failed: u64,
    /// Times a thread that records gave its core to the export thread
    /// (`std::thread::yield_now`) because half its queue or more was
    /// waiting: spans came faster than they were exported, and the thread
    /// slowed down to keep them rather than drop them (from three quarters
    /// full, it gives way until the export thread makes room, for as long
    /// as that thread takes spans). Not a loss.
    pub yielded: u64,
}

impl ExportStats {
    /// Spans that will never reach the collector: `dropped + failed`.
    ///
    /// ```
    /// assert_eq!(tracekit::ExportStats::default().lost(), 0);
    /// ```
    pub fn lost(&self) -> u64 {
        self.dropped + self.failed
    }
}

/// The counts of what the batch exporter did, since the process started.
/// Reading them costs a few atomic loads, one more for each thread that
/// ever dropped a span. A queued span is counted when its batch is exported
/// or lost; a span dropped at a full queue, in a cell its thread alone
/// writes.
///
/// ```
/// let before = tracekit::export_stats();
/// // ... run the program ...
/// let after = tracekit::export_stats();
/// assert!(after.dropped >= before.dropped);
/// ```
pub fn export_stats() -> ExportStats {
    PROCESS.snapshot()
}

/// Counters of one batch processor, or of the whole process.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    exported: AtomicU64,
    dropped: AtomicU64,
    failed: AtomicU64,
    yielded: AtomicU64,
    /// Spans dropped by the threads that recorded them (their ring was
    /// full), each thread counting in a cell of its own, summed when read:
    /// while a collector is down every span is dropped so, and an atomic
    /// addition on a line all threads share cost each one more than the
    /// rest of its drop.
    dropped_by_threads: ThreadLocal<ThreadCount>,
}

/// One thread's count, written only by that thread; aligned to two cache
/// lines, as the threads' counts sit side by side.
#[derive(Debug, Default)]
#[repr(align(128))]
struct ThreadCount(AtomicU64);

/// What happened to some spans.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Outcome {
    Exported,
    Dropped,
    Failed,
}

static PROCESS: Counters = Counters::new();

impl Counters {
    pub(crate) const fn new() -> Self {
        Counters {
            exported: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            yielded: AtomicU64::new(0),
            dropped_by_threads: ThreadLocal::new(),
        }
    }

    /// Counts `spans` here and in the process-wide totals.
    pub(crate) fn add(&self, outcome: Outcome, spans: u64) {
        for counters in [self, &PROCESS] {
            let counter = match outcome {
                Outcome::Exported => &counters.exported,
                Outcome::Dropped => &counters.dropped,
                Outcome::Failed => &counters.failed,
            };
            counter.fetch_add(spans, Ordering::Relaxed);
        }
    }

    /// Counts one span dropped by the thread that recorded it, here and in
    /// the process-wide totals, in this thread's cells.
    pub(crate) fn add_dropped_here(&self) {
        for counters in [self, &PROCESS] {
            // Only this thread writes its cell: a load and a store.
            let count = &counters.dropped_by_threads.get_or_default().0;
            count.store(count.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
        }
    }

    /// Counts a thread's yield to the export thread, here and in the
    /// process-wide totals: a shared count is cheap beside the yield.
    pub(crate) fn add_yielded(&self, times: u64) {
        for counters in [self, &PROCESS] {
            counters.yielded.fetch_add(times, Ordering::Relaxed);
        }
    }

    pub(crate) fn snapshot(&self) -> ExportStats {
        ExportStats {
            exported: self.exported.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed)
                + self.dropped_by_threads.iter().map(|count| count.0.load(Ordering::Relaxed)).sum::<u64>(),
            failed: self.failed.load(Ordering::Relaxed),
            yielded: self.yielded.load(Ordering::Relaxed),
        }
    }
}
