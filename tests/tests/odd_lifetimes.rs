//! Spans whose lives do not end the ordinary way: guards leaked with
//! `mem::forget`, futures dropped half-way or leaked, futures finished on
//! another thread, futures polled again after they panicked. None of these
//! crashes, exports a span twice, or leaves another span current.

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::task::Poll;
use tracekit::testing::capture;
use tracekit::{trace_async, trace_operation};

#[trace_operation]
fn leaf(n: u32) -> u32 {
    n
}

/// Pending once, then ready: a future that needs two polls.
#[derive(Default)]
struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<()> {
        if self.0 {
            return Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

fn poll<F: Future>(future: Pin<&mut F>) -> Poll<F::Output> {
    future.poll(&mut std::task::Context::from_waker(std::task::Waker::noop()))
}

#[trace_async]
async fn two_steps(n: u32) -> u32 {
    YieldOnce::default().await;
    leaf(n)
}

#[trace_async]
async fn explodes(n: u32) -> u32 {
    YieldOnce::default().await;
    if n > 0 {
        panic!("exploded at {n}");
    }
    n
}

fn current_span_id() -> tracekit::SpanId {
    tracekit::current_span().span_id().unwrap_or(tracekit::SpanId::INVALID)
}

#[test]
fn a_leaked_guard_leaks_its_own_span_and_nothing_else() {
    let ((), spans) = capture(|| {
        let leaker = tracekit::context::spawn(|| {
            std::mem::forget(tracekit::span("leaked").entered());
            // On its own thread, the leaked span stays current, as a
            // forgotten guard of any context stack does.
            leaf(1);
        });
        leaker.join().unwrap();
        assert_eq!(current_span_id(), tracekit::SpanId::INVALID, "this thread is untouched");
        tracekit::span("after").in_scope(|| leaf(2));
    });
    assert!(spans.find("leaked").is_none(), "a span that never ends is never exported");
    let after = spans.get("after");
    assert!(spans.parent(after).is_none(), "the next span on another thread is a root");
    assert_eq!(spans.children(after).iter().map(|span| span.name()).collect::<Vec<_>>(), ["leaf"]);
    assert_eq!(spans.all("leaf").len(), 2);
}

#[test]
fn a_future_leaked_after_its_first_poll_leaves_no_span_current() {
    let ((), spans) = capture(|| {
        let mut future = Box::pin(two_steps(3));
        assert!(poll(future.as_mut()).is_pending());
        std::mem::forget(future);
        assert_eq!(current_span_id(), tracekit::SpanId::INVALID, "the span is current only while polled");
        leaf(4);
    });
    assert!(spans.find("two_steps").is_none());
    assert!(spans.parent(spans.get("leaf")).is_none());
}

#[test]
fn a_future_dropped_half_way_ends_its_span_as_cancelled_once() {
    let ((), spans) = capture(|| {
        let mut future = Box::pin(two_steps(5));
        assert!(poll(future.as_mut()).is_pending());
        drop(future);
    });
    let cancelled = spans.all("two_steps");
    assert_eq!(cancelled.len(), 1);
    assert_eq!(cancelled[0].bool_attribute("tracekit.cancelled"), Some(true));
    assert!(spans.find("leaf").is_none(), "the body never got that far");
}

#[test]
fn a_span_started_on_one_thread_ends_on_another_with_its_children() {
    let (result, spans) = capture(|| {
        let outer = tracekit::span("outer").entered();
        let mut future = Box::pin(two_steps(6));
        assert!(poll(future.as_mut()).is_pending());
        drop(outer);
        let finisher = std::thread::spawn(move || loop {
            if let Poll::Ready(value) = poll(future.as_mut()) {
                assert_eq!(current_span_id(), tracekit::SpanId::INVALID, "nothing stays current on the other thread");
                break value;
            }
        });
        finisher.join().unwrap()
    });
    assert_eq!(result, 6);
    spans.assert_child_of("two_steps", "outer");
    spans.assert_child_of("leaf", "two_steps");
}

#[test]
fn a_future_polled_again_after_it_panicked_does_not_corrupt_the_context() {
    let ((), spans) = capture(|| {
        let outer = tracekit::span("outer").entered();
        let outer_id = current_span_id();
        let mut future = Box::pin(explodes(7));
        assert!(poll(future.as_mut()).is_pending());
        let first = catch_unwind(AssertUnwindSafe(|| poll(future.as_mut())));
        assert!(first.is_err(), "the body panicked");
        assert_eq!(current_span_id(), outer_id, "the panicking poll restored the current span");
        let again = catch_unwind(AssertUnwindSafe(|| poll(future.as_mut())));
        assert!(again.is_err(), "Rust refuses to resume a panicked async fn");
        assert_eq!(current_span_id(), outer_id);
        drop(future);
        leaf(8);
        drop(outer);
    });
    let exploded = spans.all("explodes");
    assert_eq!(exploded.len(), 1, "ended once: {}", spans.tree());
    assert!(exploded[0].is_error());
    assert!(exploded[0].error_message().unwrap().contains("exploded at 7"), "{:?}", exploded[0].error_message());
    spans.assert_child_of("explodes", "outer");
    spans.assert_child_of("leaf", "outer");
}
