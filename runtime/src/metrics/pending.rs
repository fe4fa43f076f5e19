//! Durations waiting to be recorded into the SDK: each thread appends its
//! calls to a ring of its own, and whoever finds it full, or the collection
//! of the metrics, records them into the bound histograms.
//!
//! A record into the SDK's histogram takes the histogram's lock, and every
//! thread that calls one function records into the same histogram: done on
//! each call, threads calling the same function wait on each other, and the
//! record's latency sits on every call. Appended to the thread's ring, a
//! call costs a few stores; the records are made in runs, one thread at a
//! time per ring, from a warm cache. Each value still goes through the SDK
//! and is aggregated there, none is dropped, and what is pending is recorded
//! before the SDK reads its instruments (see [`Pending::record_all`]).

use crate::facade::locks::recover;
use opentelemetry::metrics::BoundHistogram;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, RwLock};
use thread_local::ThreadLocal;

/// Calls a ring holds before its thread records them.
const RING: usize = 256;

/// The pending calls of one installation of the metrics.
#[derive(Default)]
pub(crate) struct Pending {
    rings: ThreadLocal<Ring>,
    /// Each annotated function's histogram, bound to its attributes, by the
    /// index the ring entries carry.
    histograms: RwLock<Vec<BoundHistogram<f64>>>,
}

impl Pending {
    /// Adds a function's bound histogram; the index to append its calls with.
    pub(crate) fn register(&self, histogram: BoundHistogram<f64>) -> usize {
        let mut histograms = recover(self.histograms.write());
        histograms.push(histogram);
        histograms.len() - 1
    }

    /// Appends a call of the function at `index` to this thread's ring, first
    /// recording what the ring holds if it is full.
    #[inline]
    pub(crate) fn append(&self, index: usize, seconds: f64) {
        let ring = self.rings.get_or(Ring::new);
        if !ring.append(index, seconds) {
            self.record(ring);
            let appended = ring.append(index, seconds);
            debug_assert!(appended, "a ring just recorded has room");
        }
    }

    /// Records every thread's pending calls. Run before each collection, so
    /// that the SDK reads them, and at shutdown by the last collection.
    pub(crate) fn record_all(&self) {
        for ring in self.rings.iter() {
            self.record(ring);
        }
    }

    fn record(&self, ring: &Ring) {
        let histograms = recover(self.histograms.read());
        ring.drain(|index, seconds| histograms[index].record(seconds));
    }
}

/// One thread's pending calls: a single-producer ring. Only the thread that
/// owns it appends; recording, by that thread or by a collection, takes
/// `draining`, so that one drainer at a time moves `recorded` on.
// Aligned to two cache lines: the threads' rings sit side by side, and each
// thread writes its own counters on every call.
#[repr(align(128))]
struct Ring {
    indexes: Box<[AtomicUsize]>,
    seconds: Box<[AtomicU64]>,
    /// How many calls were ever appended; written by the owner only.
    appended: AtomicUsize,
    /// How many of them were recorded; written under `draining` only.
    recorded: AtomicUsize,
    draining: Mutex<()>,
}

impl Ring {
    fn new() -> Ring {
        Ring {
            indexes: (0..RING).map(|_| AtomicUsize::new(0)).collect(),
            seconds: (0..RING).map(|_| AtomicU64::new(0)).collect(),
            appended: AtomicUsize::new(0),
            recorded: AtomicUsize::new(0),
            draining: Mutex::new(()),
        }
    }

    /// Appends a call; false when the ring is full. Only the owner calls this.
    #[inline]
    fn append(&self, index: usize, seconds: f64) -> bool {
        let appended = self.appended.load(Ordering::Relaxed);
        // Acquire: a drainer has finished reading the entries it recorded.
        if appended - self.recorded.load(Ordering::Acquire) == RING {
            return false;
        }
        let at = appended % RING;
        self.indexes[at].store(index, Ordering::Relaxed);
        self.seconds[at].store(seconds.to_bits(), Ordering::Relaxed);
        // Release: the entry is written before a drainer can see it counted.
        self.appended.store(appended + 1, Ordering::Release);
        true
    }

    /// Hands every appended call not yet recorded to `record`, in order.
    fn drain(&self, mut record: impl FnMut(usize, f64)) {
        let _one_drainer = recover(self.draining.lock());
        let from = self.recorded.load(Ordering::Relaxed);
        let to = self.appended.load(Ordering::Acquire);
        for position in from..to {
            let at = position % RING;
            record(self.indexes[at].load(Ordering::Relaxed), f64::from_bits(self.seconds[at].load(Ordering::Relaxed)));
        }
        self.recorded.store(to, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ring_gives_back_every_call_in_order_and_refuses_past_its_size() {
        let ring = Ring::new();
        for call in 0..RING {
            assert!(ring.append(call % 3, call as f64));
        }
        assert!(!ring.append(0, 0.5), "full");
        let mut seen = Vec::new();
        ring.drain(|index, seconds| seen.push((index, seconds)));
        assert_eq!(seen, (0..RING).map(|call| (call % 3, call as f64)).collect::<Vec<_>>());
        // Room again, and the positions wrap around.
        for call in 0..10 {
            assert!(ring.append(1, call as f64 + 0.25));
        }
        let mut seen = Vec::new();
        ring.drain(|index, seconds| seen.push((index, seconds)));
        assert_eq!(seen, (0..10).map(|call| (1, call as f64 + 0.25)).collect::<Vec<_>>());
    }

    #[test]
    fn a_drainer_on_another_thread_sees_every_call_once() {
        let ring = std::sync::Arc::new(Ring::new());
        let total = 100_000;
        let drained = std::thread::scope(|scope| {
            let owner = scope.spawn(|| {
                let mut drained_here = Vec::new();
                for call in 0..total {
                    if !ring.append(0, call as f64) {
                        ring.drain(|_, seconds| drained_here.push(seconds));
                        assert!(ring.append(0, call as f64));
                    }
                }
                drained_here
            });
            let mut drained_there = Vec::new();
            while !owner.is_finished() {
                ring.drain(|_, seconds| drained_there.push(seconds));
            }
            let mut all = owner.join().unwrap();
            ring.drain(|_, seconds| drained_there.push(seconds));
            all.extend(drained_there);
            all
        });
        let mut drained: Vec<u64> = drained.into_iter().map(|seconds| seconds as u64).collect();
        drained.sort_unstable();
        assert_eq!(drained, (0..total as u64).collect::<Vec<_>>());
    }
}
