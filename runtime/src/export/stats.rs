//! Counts of what the batch exporter did with finished spans, readable while
//! the program runs: losses are counted, not only logged.

use std::sync::atomic::{AtomicU64, Ordering};

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
/// Reading them costs three atomic loads; the hot path never writes them
/// (a queued span is counted when its batch is exported or lost).
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
}

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
        Counters { exported: AtomicU64::new(0), dropped: AtomicU64::new(0), failed: AtomicU64::new(0) }
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

    pub(crate) fn snapshot(&self) -> ExportStats {
        ExportStats {
            exported: self.exported.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
        }
    }
}
