//! The sampler's decisions for root spans, counted while metrics are on, so
//! that the sampled share can be graphed against the configured one.
//!
//! Each thread counts in cells of its own (only it writes them, so a count
//! is a load and a store, no atomic read-modify-write, and no two threads
//! contend for a cache line); the metrics sum the cells when they are
//! collected. A thread that ends leaves its cells to the next thread, so the
//! sums keep its counts and the cells stay as many as threads ever ran at
//! once.

#[cfg(feature = "metrics")]
use crate::metered;
#[cfg(feature = "metrics")]
use std::sync::atomic::{AtomicU64, Ordering};
#[cfg(feature = "metrics")]
use std::sync::Mutex;
#[cfg(feature = "metrics")]
use thread_local::ThreadLocal;

/// One thread's counts: not sampled, sampled. Aligned to two cache lines,
/// as the threads' counts sit side by side and each is written on every root.
#[cfg(feature = "metrics")]
#[derive(Default)]
#[repr(align(128))]
struct Counts([AtomicU64; 2]);

#[cfg(feature = "metrics")]
static COUNTS: ThreadLocal<Counts> = ThreadLocal::new();
/// The sums when metrics were last installed: each installation counts
/// from zero.
#[cfg(feature = "metrics")]
static SINCE: Mutex<[u64; 2]> = Mutex::new([0, 0]);

/// Counts a root span's decision, while metrics are on.
#[inline]
pub(crate) fn count(sampled: bool) {
    #[cfg(feature = "metrics")]
    if metered::is_on() {
        let count = &COUNTS.get_or_default().0[usize::from(sampled)];
        count.store(count.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
    }
    // Without metrics nothing is counted.
    #[cfg(not(feature = "metrics"))]
    let _ = sampled;
}

#[cfg(feature = "metrics")]
fn sums() -> [u64; 2] {
    COUNTS.iter().fold([0, 0], |[not_sampled, sampled], counts| {
        [not_sampled + counts.0[0].load(Ordering::Relaxed), sampled + counts.0[1].load(Ordering::Relaxed)]
    })
}

/// Counts from zero, for a new installation of the metrics.
#[cfg(feature = "metrics")]
pub(crate) fn restart() {
    let sums = sums();
    *crate::support::locks::recover(SINCE.lock()) = sums;
}

/// The decisions counted since the metrics were installed: (not sampled,
/// sampled). After they are uninstalled, still those of the last
/// installation, for its last collection.
#[cfg(feature = "metrics")]
pub(crate) fn counted() -> (u64, u64) {
    let [not_sampled, sampled] = sums();
    let [not_sampled_before, sampled_before] = *crate::support::locks::recover(SINCE.lock());
    // Saturating: a count made between the sums and a new installation's
    // restart must not wrap.
    (not_sampled.saturating_sub(not_sampled_before), sampled.saturating_sub(sampled_before))
}

#[cfg(all(test, feature = "metrics"))]
mod tests {
    use super::*;

    #[test]
    fn threads_count_apart_and_the_sums_keep_what_ended_threads_counted() {
        // `count` counts only while metrics are on: the cells are used here
        // directly, as `count` does.
        let add = |sampled: bool, times: u64| {
            let count = &COUNTS.get_or_default().0[usize::from(sampled)];
            for _ in 0..times {
                count.store(count.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
            }
        };
        let before = sums();
        std::thread::scope(|scope| {
            for _ in 0..4 {
                scope.spawn(|| {
                    add(false, 1000);
                    add(true, 10);
                });
            }
        });
        add(true, 5);
        let after = sums();
        assert_eq!([after[0] - before[0], after[1] - before[1]], [4000, 45]);
    }
}
