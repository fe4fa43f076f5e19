//! Span memory handed back to the threads that record.
//!
//! A span is recorded on the program's thread and exported on tracekit's
//! export thread. Were its memory freed where it is exported, glibc's
//! allocator would take the recording thread's arena lock for every span,
//! contended by that thread's next allocation. Instead the export thread
//! empties what it exports and gives it back: each thread keeps a few, and
//! a shared pool, locked once per [`BATCH`] items, moves them between
//! threads. Attribute vectors are recycled here; the pipeline recycles its span
//! records through a [`Pool`] of its own.

use opentelemetry::KeyValue;
use std::cell::RefCell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::thread::LocalKey;

/// How many items move between a thread and the pool at once.
const BATCH: usize = 64;
/// Bounds the memory kept: at most this many items in a shared pool
/// (about 2 MiB of span records, as much of vectors). It holds what is on
/// its way to the exporter at once: while the export thread naps under
/// load (a millisecond), a thread records thousands of spans. At 1,024,
/// two thirds of roots' records went back to the allocator and were
/// allocated anew...
const POOL_LIMIT: usize = 8192;
/// ...and attribute vectors of at most this capacity; larger ones are freed.
const MAX_CAPACITY: usize = 16;

/// Items of one kind: a shared pool and each thread's own few.
pub(crate) struct Pool<T: 'static> {
    local: &'static LocalKey<RefCell<Vec<T>>>,
    shared: Shared<T>,
}

/// The pool the threads share.
struct Shared<T> {
    items: Mutex<Vec<T>>,
    /// How many items it holds, read without the lock: a thread whose own
    /// are used up does not take the lock to find the pool empty too (as
    /// it is while the export thread falls behind).
    len: AtomicUsize,
}

thread_local! {
    static LOCAL_VECTORS: RefCell<Vec<Vec<KeyValue>>> = const { RefCell::new(Vec::new()) };
}

static VECTORS: Pool<Vec<KeyValue>> = Pool::new(&LOCAL_VECTORS);

impl<T> Pool<T> {
    /// A pool whose items each thread keeps in `local`.
    pub(crate) const fn new(local: &'static LocalKey<RefCell<Vec<T>>>) -> Self {
        Pool { local, shared: Shared { items: Mutex::new(Vec::new()), len: AtomicUsize::new(0) } }
    }

    fn shared(&self) -> MutexGuard<'_, Vec<T>> {
        crate::support::locks::recover(self.shared.items.lock())
    }

    pub(crate) fn take(&self) -> Option<T> {
        self.local
            .try_with(|local| {
                let mut local = local.try_borrow_mut().ok()?;
                if local.is_empty() && self.shared.len.load(Ordering::Relaxed) > 0 {
                    let mut shared = self.shared();
                    let keep = shared.len().saturating_sub(BATCH);
                    local.extend(shared.drain(keep..));
                    self.shared.len.store(shared.len(), Ordering::Relaxed);
                }
                local.pop()
            })
            .ok()
            .flatten()
    }

    pub(crate) fn give(&self, item: T) {
        let _ = self.local.try_with(|local| {
            let Ok(mut local) = local.try_borrow_mut() else { return };
            local.push(item);
            if local.len() >= 2 * BATCH {
                let mut shared = self.shared();
                let room = POOL_LIMIT.saturating_sub(shared.len()).min(BATCH);
                let from = local.len() - room;
                shared.extend(local.drain(from..));
                self.shared.len.store(shared.len(), Ordering::Relaxed);
                local.truncate(BATCH);
            }
        });
    }
}

/// An empty vector to record attributes into, with room for a few.
pub(crate) fn take() -> Vec<KeyValue> {
    VECTORS.take().unwrap_or_default()
}

/// Gives back a vector whose attributes have been moved out or are no longer needed.
pub(crate) fn give(mut attributes: Vec<KeyValue>) {
    if attributes.capacity() == 0 || attributes.capacity() > MAX_CAPACITY {
        return;
    }
    attributes.clear();
    VECTORS.give(attributes);
}

/// Lets go of a vector that may own no memory: one that owns none (taken,
/// or never filled) is forgotten after a test, with no call into the
/// vector's drop, which the hot path would otherwise make.
#[inline(always)]
pub(crate) fn let_go(attributes: Vec<KeyValue>) {
    match attributes.capacity() {
        0 => std::mem::forget(attributes),
        _ => drop(attributes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_vector_given_back_on_one_thread_is_taken_on_another() {
        let given: Vec<usize> = std::thread::spawn(|| {
            (0..2 * BATCH)
                .map(|_| {
                    let mut attributes = Vec::with_capacity(4);
                    attributes.push(KeyValue::new("k", 1_i64));
                    let address = attributes.as_ptr() as usize;
                    give(attributes);
                    address
                })
                .collect()
        })
        .join()
        .unwrap();
        let taken = take();
        assert!(taken.is_empty() && taken.capacity() >= 4);
        assert!(given.contains(&(taken.as_ptr() as usize)), "the same allocation, not a new one");
    }

    thread_local! {
        static LOCAL_NUMBERS: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
    }

    /// The export thread gives back thousands of items after a nap: the
    /// recording thread gets them all back, up to the pool's bound, and
    /// the pool holds no more than that.
    #[test]
    fn what_is_in_flight_comes_back_and_the_pool_stays_bounded() {
        static NUMBERS: Pool<usize> = Pool::new(&LOCAL_NUMBERS);
        // A millisecond's roots, at about 200 ns each.
        let in_flight = 5_000;
        std::thread::spawn(move || (0..in_flight).for_each(|item| NUMBERS.give(item))).join().unwrap();
        let back = (0..in_flight).map_while(|_| NUMBERS.take()).count();
        // The giving thread's own few stay with it, and end with it.
        assert!(back >= in_flight - 2 * BATCH, "{back} of {in_flight} came back");
        std::thread::spawn(|| (0..3 * POOL_LIMIT).for_each(|item| NUMBERS.give(item))).join().unwrap();
        assert!(NUMBERS.shared().len() <= POOL_LIMIT, "{} kept", NUMBERS.shared().len());
    }

    #[test]
    fn large_or_empty_vectors_are_not_kept() {
        give(Vec::with_capacity(MAX_CAPACITY + 1));
        give(Vec::new());
        LOCAL_VECTORS
            .with(|local| assert!(local.borrow().iter().all(|v| v.capacity() > 0 && v.capacity() <= MAX_CAPACITY)));
    }
}
