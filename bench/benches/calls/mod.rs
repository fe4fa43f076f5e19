//! The function every peer's case calls: the same trivial body, plain or
//! under each peer's attribute, kept out of line so that each call is a
//! call. Compiled into each benchmark, as the code that calls it is.

#![allow(dead_code, reason = "each benchmark calls those of the peers it measures")]

use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

/// No span at all.
#[inline(never)]
pub fn plain(x: u64) -> u64 {
    black_box(x).wrapping_add(1)
}

/// A span of tracekit's own.
#[inline(never)]
#[tracekit::trace_operation]
pub fn with_tracekit(x: u64) -> u64 {
    black_box(x).wrapping_add(1)
}

/// A span of tracekit's own watched by a threshold it stays under.
#[inline(never)]
#[tracekit::trace_performance(threshold_ms = 1000)]
pub fn with_tracekit_threshold(x: u64) -> u64 {
    black_box(x).wrapping_add(1)
}

/// A span of tracekit's own with three scalar arguments recorded.
#[inline(never)]
#[tracekit::trace_operation(include_args)]
pub fn with_tracekit_args(x: u64, y: i32, flag: bool) -> u64 {
    black_box(x).wrapping_add(u64::from(flag)).wrapping_add(y as u64)
}

/// A `tracing` span, recorded by whichever subscriber is current.
#[inline(never)]
#[tracing::instrument(skip_all)]
pub fn with_tracing(x: u64) -> u64 {
    black_box(x).wrapping_add(1)
}

/// A fastrace span, recorded under a local parent.
#[inline(never)]
#[fastrace::trace]
pub fn with_fastrace(x: u64) -> u64 {
    black_box(x).wrapping_add(1)
}

/// An `async` function's span of tracekit's own.
#[tracekit::trace_async]
pub async fn with_tracekit_async(x: u64) -> u64 {
    black_box(x).wrapping_add(1)
}

/// An `async` function's fastrace span, under a local parent.
#[fastrace::trace]
pub async fn with_fastrace_async(x: u64) -> u64 {
    black_box(x).wrapping_add(1)
}

/// Runs `future`, which never waits, with one poll: an `async` call as it
/// costs where nothing makes it wait.
pub fn poll_once<F: Future<Output = u64>>(future: F) -> u64 {
    match pin!(future).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(value) => value,
        Poll::Pending => unreachable!("the future never waits"),
    }
}

/// [`with_tracekit_async`], polled once.
#[inline(never)]
pub fn with_tracekit_async_polled(x: u64) -> u64 {
    poll_once(with_tracekit_async(x))
}

/// [`with_fastrace_async`], polled once.
#[inline(never)]
pub fn with_fastrace_async_polled(x: u64) -> u64 {
    poll_once(with_fastrace_async(x))
}
