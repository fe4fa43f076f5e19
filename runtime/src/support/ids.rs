//! The ids of the spans tracekit starts: random, from `fastrand`'s
//! generator of this thread (wyrand, seeded per thread from the standard
//! library's randomly keyed hasher). The SDK's `RandomIdGenerator` keeps a
//! `SmallRng` in a `RefCell`, whose borrow and wider state cost a call on
//! a lane a fifth more for its ids; drawn here, where the lanes and the
//! pipeline both reach, they take no call through the lane's sink either.

use opentelemetry::trace::{SpanId, TraceId};

/// A new span's trace id (`trace_id`, the parent's, or a new one) and its
/// span id.
#[inline]
pub(crate) fn new_ids(trace_id: Option<TraceId>) -> (TraceId, SpanId) {
    let trace_id = trace_id.unwrap_or_else(|| TraceId::from(fastrand::u128(..)));
    (trace_id, SpanId::from(fastrand::u64(..)))
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
}
