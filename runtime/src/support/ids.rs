//! The ids of the spans tracekit starts: random, from a wyrand generator
//! (`fastrand`'s) whose one word of state each thread keeps in a `Cell`,
//! seeded from the operating system's randomness (the keys of the standard
//! library's `RandomState`, drawn from the OS for each thread), as the SDK's
//! `RandomIdGenerator` seeds its `SmallRng`. The SDK's generator sits in a
//! `RefCell` with four words of state: of a call's 834 instructions, about
//! 60 went to its ids, through the lane's sink; drawn here, where the lanes
//! and the pipeline both reach, 802. A process that forks keeps its
//! threads' states in the child, as with the SDK's generator.

use opentelemetry::trace::{SpanId, TraceId};
use std::cell::Cell;
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher as _, Hasher as _};

thread_local! {
    static GENERATOR: Cell<u64> = Cell::new(os_seed());
}

/// A seed from the operating system's randomness.
fn os_seed() -> u64 {
    RandomState::new().build_hasher().finish()
}

/// A new span's trace id (`trace_id`, the parent's, or a new one) and its
/// span id.
#[inline]
pub(crate) fn new_ids(trace_id: Option<TraceId>) -> (TraceId, SpanId) {
    let drawn = GENERATOR.try_with(|state| {
        let mut generator = fastrand::Rng::with_seed(state.get());
        let ids = draw(&mut generator, trace_id);
        state.set(generator.get_seed());
        ids
    });
    // A thread being torn down: a generator of its own.
    drawn.unwrap_or_else(|_| draw(&mut fastrand::Rng::with_seed(os_seed()), trace_id))
}

fn draw(generator: &mut fastrand::Rng, trace_id: Option<TraceId>) -> (TraceId, SpanId) {
    let trace_id = trace_id.unwrap_or_else(|| TraceId::from(generator.u128(..)));
    (trace_id, SpanId::from(generator.u64(..)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_new_each_time_and_a_given_trace_id_is_kept() {
        let (first_trace, first_span) = new_ids(None);
        let (second_trace, second_span) = new_ids(None);
        assert_ne!(first_trace, second_trace);
        assert_ne!(first_span, second_span);
        assert!(first_trace != TraceId::INVALID && first_span != SpanId::INVALID);
        let (kept, _) = new_ids(Some(first_trace));
        assert_eq!(kept, first_trace);
    }

    #[test]
    fn threads_draw_different_ids() {
        let on_thread = || std::thread::spawn(|| new_ids(None)).join().expect("drawn");
        let (first, second) = (on_thread(), on_thread());
        assert_ne!(first.0, second.0);
        assert_ne!(first.1, second.1);
    }

    #[test]
    fn each_thread_is_seeded_apart() {
        assert_ne!(os_seed(), os_seed());
        let seed_on_thread = || std::thread::spawn(|| GENERATOR.with(Cell::get)).join().expect("seeded");
        assert_ne!(seed_on_thread(), seed_on_thread());
    }
}
