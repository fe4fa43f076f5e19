//! Calls waiting to be recorded into the metrics: each thread appends the
//! successful calls of annotated functions to a ring of its own, and they
//! are recorded in runs: by the metrics' own thread (`drainer`), woken when
//! a ring fills to its mark; by the calling thread itself when its ring is
//! full all the same; and by every collection of the metrics, for all
//! threads.
//!
//! A record into the SDK's histogram takes the histogram's lock and looks
//! up the value's bucket: done on each call, it costs the call more than
//! the rest of its metrics, and threads calling the same function wait on
//! each other. Appended to the thread's ring, a call costs a few plain
//! stores; each value still goes to the SDK, which aggregates it, on
//! another thread while that one keeps up.

use crate::support::locks::recover;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// Calls a ring holds before its thread records them itself (64 KiB a
/// thread): more than a thread calls while the drainer naps, at 50 ns a
/// call.
const RING: usize = 4096;

/// Calls waiting in a ring when a sleeping drainer is woken: a quarter of
/// the ring, so that a thread pays for a wake-up (microseconds on a
/// virtual machine's core) once per that many calls at most.
pub(super) const MARK: usize = RING / 4;

/// Calls copied out of a ring and handed on at once, on the stack of
/// whichever thread drains.
const RUN: usize = 256;

/// What became of a call appended.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Appended {
    Kept,
    /// Kept, and the ring just reached its mark: time to wake the drainer.
    Mark,
    /// The ring is full: not kept.
    Full,
}

/// Held by the tests that start the metrics' thread or drain every ring,
/// so that one does not drain another's calls.
#[cfg(all(test, feature = "metrics"))]
pub(super) static EXCLUSIVE: Mutex<()> = Mutex::new(());

/// Every thread's ring, so that a collection reaches them all. A ring
/// whose thread has ended is dropped once it has been drained.
static RINGS: Mutex<Vec<Arc<Ring>>> = Mutex::new(Vec::new());

/// One thread's pending calls, as (meter slot, nanoseconds): a single-producer
/// ring. Only the thread that owns it appends; draining, by that thread or
/// by a collection, takes `draining`, so that one drainer at a time moves
/// `drained` on.
// Aligned to two cache lines: threads' rings may sit side by side, and each
// thread writes its own counters on every call.
#[repr(align(128))]
pub(crate) struct Ring {
    slots: Box<[AtomicUsize]>,
    nanos: Box<[AtomicU64]>,
    /// How many calls were ever appended; written by the owner only.
    appended: AtomicUsize,
    /// How many of them were drained; written under `draining` only.
    drained: AtomicUsize,
    draining: Mutex<()>,
}

impl Ring {
    fn new() -> Ring {
        Ring {
            slots: (0..RING).map(|_| AtomicUsize::new(0)).collect(),
            nanos: (0..RING).map(|_| AtomicU64::new(0)).collect(),
            appended: AtomicUsize::new(0),
            drained: AtomicUsize::new(0),
            draining: Mutex::new(()),
        }
    }

    /// A new ring for the calling thread, reachable by [`drain_all`].
    pub(crate) fn registered() -> Arc<Ring> {
        let ring = Arc::new(Ring::new());
        recover(RINGS.lock()).push(Arc::clone(&ring));
        ring
    }

    /// Appends a call, unless the ring is full. Only the owner calls this.
    #[inline]
    pub(crate) fn append(&self, slot: usize, nanos: u64) -> Appended {
        let appended = self.appended.load(Ordering::Relaxed);
        // Acquire: a drainer has finished reading the entries it drained.
        let waiting = appended - self.drained.load(Ordering::Acquire);
        if waiting == RING {
            return Appended::Full;
        }
        let at = appended % RING;
        self.slots[at].store(slot, Ordering::Relaxed);
        self.nanos[at].store(nanos, Ordering::Relaxed);
        // Release: the entry is written before a drainer can see it counted.
        self.appended.store(appended + 1, Ordering::Release);
        match waiting + 1 == MARK {
            true => Appended::Mark,
            false => Appended::Kept,
        }
    }

    /// How many calls wait in the ring.
    #[cfg(any(test, feature = "metrics"))]
    pub(crate) fn waiting(&self) -> usize {
        self.appended.load(Ordering::Acquire) - self.drained.load(Ordering::Acquire)
    }

    /// Hands every call appended and not yet drained to `record`, in order,
    /// as (slot, seconds), in runs of at most [`RUN`]; how many.
    pub(crate) fn drain(&self, mut record: impl FnMut(&[(usize, f64)])) -> usize {
        let _one_drainer = recover(self.draining.lock());
        let from = self.drained.load(Ordering::Relaxed);
        let to = self.appended.load(Ordering::Acquire);
        let mut calls = [(0, 0.0); RUN];
        let mut position = from;
        while position < to {
            let run = (to - position).min(RUN);
            for (offset, call) in calls[..run].iter_mut().enumerate() {
                let at = (position + offset) % RING;
                let nanos = self.nanos[at].load(Ordering::Relaxed);
                *call = (self.slots[at].load(Ordering::Relaxed), nanos as f64 / 1e9);
            }
            position += run;
            // Read before the room is given back to the owner.
            self.drained.store(position, Ordering::Release);
            record(&calls[..run]);
        }
        to - from
    }
}

/// Drains every thread's ring into `record`, and forgets the rings of
/// threads that have ended; how many calls.
#[cfg(feature = "metrics")]
pub(crate) fn drain_all(mut record: impl FnMut(&[(usize, f64)])) -> usize {
    let mut drained = 0;
    recover(RINGS.lock()).retain(|ring| {
        // Held by the registry alone, the ring's thread has ended: nothing
        // more can be appended after this drain, so the ring can go.
        let ended = Arc::strong_count(ring) == 1;
        drained += ring.drain(&mut record);
        !ended
    });
    drained
}

/// Whether any thread's ring holds its mark's worth of calls.
#[cfg(feature = "metrics")]
pub(crate) fn any_at_mark() -> bool {
    recover(RINGS.lock()).iter().any(|ring| ring.waiting() >= MARK)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `seconds` as the nanoseconds a call waits with.
    fn nanos(seconds: f64) -> u64 {
        (seconds * 1e9) as u64
    }

    fn drained(ring: &Ring) -> Vec<(usize, f64)> {
        let mut seen = Vec::new();
        ring.drain(|calls| seen.extend_from_slice(calls));
        seen
    }

    #[test]
    fn a_ring_gives_back_every_call_in_order_and_refuses_past_its_size() {
        let ring = Ring::new();
        for call in 0..RING {
            assert_ne!(ring.append(call % 3, nanos(call as f64)), Appended::Full);
        }
        assert_eq!(ring.append(0, nanos(0.5)), Appended::Full);
        assert_eq!(drained(&ring), (0..RING).map(|call| (call % 3, call as f64)).collect::<Vec<_>>());
        // Room again, and the positions wrap around.
        for call in 0..10 {
            assert_eq!(ring.append(1, nanos(call as f64 + 0.25)), Appended::Kept);
        }
        assert_eq!(drained(&ring), (0..10).map(|call| (1, call as f64 + 0.25)).collect::<Vec<_>>());
    }

    #[test]
    fn a_ring_says_once_when_it_reaches_its_mark_and_again_after_a_drain() {
        let ring = Ring::new();
        let marks = |ring: &Ring, calls: usize| {
            (0..calls).filter(|&call| ring.append(0, nanos(call as f64)) == Appended::Mark).count()
        };
        assert_eq!(marks(&ring, MARK - 1), 0);
        assert_eq!(marks(&ring, RING - MARK + 1), 1, "once, at the mark");
        assert_eq!(ring.waiting(), RING);
        assert_eq!(drained(&ring).len(), RING);
        assert_eq!(ring.waiting(), 0);
        assert_eq!(marks(&ring, MARK), 1, "again, after the drain");
    }

    #[test]
    fn a_drainer_on_another_thread_sees_every_call_once() {
        let ring = Ring::new();
        let total = 100_000;
        let mut all = std::thread::scope(|scope| {
            let owner = scope.spawn(|| {
                let mut drained_here = Vec::new();
                for call in 0..total {
                    if ring.append(0, nanos(call as f64)) == Appended::Full {
                        drained_here.extend(drained(&ring));
                        assert_ne!(ring.append(0, nanos(call as f64)), Appended::Full);
                    }
                }
                drained_here
            });
            let mut drained_there = Vec::new();
            while !owner.is_finished() {
                drained_there.extend(drained(&ring));
            }
            let mut all = owner.join().unwrap();
            all.extend(drained_there);
            all.extend(drained(&ring));
            all
        });
        all.sort_by(|a, b| a.1.total_cmp(&b.1));
        assert_eq!(all, (0..total).map(|call| (0, call as f64)).collect::<Vec<_>>());
    }

    #[test]
    #[cfg(feature = "metrics")]
    fn the_ring_of_an_ended_thread_is_drained_then_forgotten() {
        let _rings = EXCLUSIVE.lock();
        let before = recover(RINGS.lock()).len();
        std::thread::spawn(|| {
            let ring = Ring::registered();
            assert_eq!(ring.append(7, nanos(0.125)), Appended::Kept);
        })
        .join()
        .unwrap();
        let mut seen: Vec<(usize, f64)> = Vec::new();
        drain_all(|calls| seen.extend(calls.iter().filter(|(slot, _)| *slot == 7)));
        assert_eq!(seen, [(7, 0.125)]);
        assert!(recover(RINGS.lock()).len() <= before, "the ended thread's ring is gone");
    }
}
