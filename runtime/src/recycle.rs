//! Attribute vectors handed back to the threads that record.
//!
//! A span's attributes are recorded on the program's thread and exported on
//! tracekit's export thread. Were each vector freed where it is exported,
//! glibc's allocator would take the recording thread's arena lock for every
//! span, contended by that thread's next allocation. Instead the export
//! thread empties the vectors and gives them back: each thread keeps a few,
//! and a shared pool, locked once per [`BATCH`] vectors, moves them between
//! threads.

use opentelemetry::KeyValue;
use std::cell::RefCell;
use std::sync::{Mutex, MutexGuard};

/// How many vectors move between a thread and the pool at once.
const BATCH: usize = 64;
/// Bounds the memory kept: at most this many vectors in the pool...
const POOL_LIMIT: usize = 1024;
/// ...each of at most this capacity; larger ones are freed.
const MAX_CAPACITY: usize = 16;

static POOL: Mutex<Vec<Vec<KeyValue>>> = Mutex::new(Vec::new());

thread_local! {
    static LOCAL: RefCell<Vec<Vec<KeyValue>>> = const { RefCell::new(Vec::new()) };
}

fn pool() -> MutexGuard<'static, Vec<Vec<KeyValue>>> {
    POOL.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// An empty vector to record attributes into, with room for a few.
pub(crate) fn take() -> Vec<KeyValue> {
    let recycled = LOCAL.try_with(|local| {
        let mut local = local.try_borrow_mut().ok()?;
        if local.is_empty() {
            let mut pool = pool();
            let keep = pool.len().saturating_sub(BATCH);
            local.extend(pool.drain(keep..));
        }
        local.pop()
    });
    recycled.ok().flatten().unwrap_or_default()
}

/// Gives back a vector whose attributes have been moved out or are no longer needed.
pub(crate) fn give(mut attributes: Vec<KeyValue>) {
    if attributes.capacity() == 0 || attributes.capacity() > MAX_CAPACITY {
        return;
    }
    attributes.clear();
    let _ = LOCAL.try_with(|local| {
        let Ok(mut local) = local.try_borrow_mut() else { return };
        local.push(attributes);
        if local.len() >= 2 * BATCH {
            let mut pool = pool();
            let room = POOL_LIMIT.saturating_sub(pool.len()).min(BATCH);
            let from = local.len() - room;
            pool.extend(local.drain(from..));
            local.truncate(BATCH);
        }
    });
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

    #[test]
    fn large_or_empty_vectors_are_not_kept() {
        give(Vec::with_capacity(MAX_CAPACITY + 1));
        give(Vec::new());
        LOCAL.with(|local| assert!(local.borrow().iter().all(|v| v.capacity() > 0 && v.capacity() <= MAX_CAPACITY)));
    }
}
