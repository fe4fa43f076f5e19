//! Carrying the current span into other tasks and threads, so that spans
//! made there are its children.

use opentelemetry::context::{FutureExt as _, WithContext};
use opentelemetry::Context;
use std::future::Future;

/// Makes a future run inside a span's context wherever it is polled, as
/// `tokio::spawn` and executors do on other threads.
///
/// ```
/// use tracekit::Instrument;
///
/// #[tracekit::trace_async]
/// async fn child() {}
///
/// #[tracekit::trace_async]
/// async fn parent() {
///     tokio::spawn(child().in_current_span()).await.unwrap();
/// }
///
/// # tokio::runtime::Builder::new_multi_thread().build().unwrap().block_on(async {
/// let ((), spans) = tracekit::testing::capture_async(parent()).await;
/// spans.assert_child_of("child", "parent");
/// # });
/// ```
pub trait Instrument: Future + Sized {
    /// Runs the future in the context current now: its spans become
    /// children of the current span.
    fn in_current_span(self) -> WithContext<Self> {
        self.with_current_context()
    }

    /// Runs the future in `context`.
    ///
    /// ```
    /// use tracekit::Instrument;
    /// let context = tracekit::opentelemetry::Context::current();
    /// let future = async {}.in_context(context);
    /// # drop(future);
    /// ```
    fn in_context(self, context: Context) -> WithContext<Self> {
        self.with_context(context)
    }
}

impl<F: Future> Instrument for F {}

/// Wraps a closure so that it runs in the context current now, on whichever
/// thread calls it: for `std::thread::spawn`, thread pools and callbacks.
///
/// ```
/// #[tracekit::trace_operation]
/// fn work() {}
///
/// let ((), spans) = tracekit::testing::capture(|| {
///     tracekit::span("batch").in_scope(|| {
///         std::thread::spawn(tracekit::context::in_current_span(work)).join().unwrap();
///     })
/// });
/// spans.assert_child_of("work", "batch");
/// ```
pub fn in_current_span<R>(f: impl FnOnce() -> R) -> impl FnOnce() -> R {
    let context = Context::current();
    move || {
        let _attached = context.attach();
        f()
    }
}

/// `std::thread::spawn`, with the new thread inside the current span.
///
/// ```
/// let handle = tracekit::context::spawn(|| 1 + 1);
/// assert_eq!(handle.join().unwrap(), 2);
/// ```
pub fn spawn<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> std::thread::JoinHandle<R> {
    std::thread::spawn(in_current_span(f))
}
