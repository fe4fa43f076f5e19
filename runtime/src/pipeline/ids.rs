//! The ids of the spans a pipeline starts: random, from the generator the
//! SDK's `RandomIdGenerator` uses (seeded per thread from the operating
//! system), but with one look at this thread's generator for a span's
//! ids rather than one for each id.

use opentelemetry::trace::{SpanId, TraceId};
use rand::rngs::SmallRng;
use rand::{Rng as _, SeedableRng as _};
use std::cell::RefCell;

thread_local! {
    static GENERATOR: RefCell<SmallRng> = RefCell::new(SmallRng::from_os_rng());
}

/// A new span's trace id (`trace_id`, the parent's, or a new one) and its
/// span id.
pub(super) fn new_ids(trace_id: Option<TraceId>) -> (TraceId, SpanId) {
    let drawn = GENERATOR.try_with(|generator| Some(draw(&mut *generator.try_borrow_mut().ok()?, trace_id)));
    match drawn {
        Ok(Some(ids)) => ids,
        // A thread being torn down: a generator of its own.
        _ => draw(&mut SmallRng::from_os_rng(), trace_id),
    }
}

fn draw(generator: &mut SmallRng, trace_id: Option<TraceId>) -> (TraceId, SpanId) {
    let trace_id = trace_id.unwrap_or_else(|| TraceId::from(generator.random::<u128>()));
    (trace_id, SpanId::from(generator.random::<u64>()))
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
}
