//! Counts of what the keep policy decided, readable while the program runs.

use std::sync::atomic::{AtomicU64, Ordering};

/// What the [`KeepPolicy`](crate::KeepPolicy) did with the local traces
/// head sampling dropped, counted since the process started.
///
/// ```
/// let stats = tracekit::keep_stats();
/// if stats.spans_dropped > 0 {
///     eprintln!("{} spans did not fit the keep policy's bounds", stats.spans_dropped);
/// }
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct KeepStats {
    /// Local traces kept by a rule, and exported.
    pub kept: u64,
    /// Local traces no rule kept, forgotten as head sampling decided.
    pub discarded: u64,
    /// Windows of long-running local roots judged at the policy's timeout
    /// (the traces themselves are counted kept or discarded when their
    /// root ends).
    pub timed_out: u64,
    /// Spans held for a decision and lost: past the bounds (per trace, or
    /// held at once), held by a local trace still open at shutdown that no
    /// rule kept, or ended after shutdown. A kept trace that lost spans says
    /// how many on its local root (`tracekit.spans_dropped`).
    pub spans_dropped: u64,
}

/// The counts of what the keep policy decided, since the process started.
///
/// ```
/// let stats = tracekit::keep_stats();
/// println!("{} local traces kept, {} discarded", stats.kept, stats.discarded);
/// ```
pub fn keep_stats() -> KeepStats {
    KeepStats {
        kept: COUNTS.kept.load(Ordering::Relaxed),
        discarded: COUNTS.discarded.load(Ordering::Relaxed),
        timed_out: COUNTS.timed_out.load(Ordering::Relaxed),
        spans_dropped: COUNTS.spans_dropped.load(Ordering::Relaxed),
    }
}

pub(crate) struct Counts {
    pub(crate) kept: AtomicU64,
    pub(crate) discarded: AtomicU64,
    pub(crate) timed_out: AtomicU64,
    pub(crate) spans_dropped: AtomicU64,
}

pub(crate) static COUNTS: Counts = Counts {
    kept: AtomicU64::new(0),
    discarded: AtomicU64::new(0),
    timed_out: AtomicU64::new(0),
    spans_dropped: AtomicU64::new(0),
};

/// Adds `n` to `counter`.
pub(crate) fn add(counter: &AtomicU64, n: u64) {
    if n > 0 {
        counter.fetch_add(n, Ordering::Relaxed);
    }
}
