//! The facade alone, as a library compiled with `default-features = false`
//! sees it: annotated calls, manual spans, the current span and context
//! across threads and tasks all work and change nothing, with no backend.
//! Run with `cargo test -p tracekit --no-default-features --test facade`.
#![cfg(not(feature = "pipeline"))]

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use tracekit::{trace_async, trace_operation, trace_performance, CarrySpan};

#[trace_operation(include_args, include_result)]
fn double(x: u64) -> u64 {
    x * 2
}

#[trace_operation]
fn fails() -> Result<(), std::io::Error> {
    Err(std::io::Error::other("broken"))
}

#[trace_performance(threshold_ms = 1000)]
fn quick() -> &'static str {
    "fast"
}

#[trace_async]
async fn later(x: u64) -> u64 {
    x + 1
}

fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut context = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return output;
        }
    }
}

#[test]
fn annotated_calls_return_what_they_return_and_record_nothing() {
    assert_eq!(double(21), 42);
    assert!(fails().is_err());
    assert_eq!(quick(), "fast");
    assert_eq!(block_on(later(1).carry_current_span()), 2);
    assert!(!tracekit::current_span().is_recording());
}

#[test]
fn manual_spans_and_the_current_span_are_no_ops_without_a_backend() {
    let inside = tracekit::span("job").attribute("k", 1_i64).in_scope(|| {
        let current = tracekit::current_span();
        current.set_attribute("more", true);
        current.record_error(&std::io::Error::other("noted"));
        (current.is_recording(), current.trace_id())
    });
    assert_eq!(inside, (false, None));
    let handle = tracekit::context::spawn(|| double(2));
    assert_eq!(handle.join().unwrap(), 4);
}
