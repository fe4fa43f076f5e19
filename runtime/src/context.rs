//! Carrying the current span into other tasks and threads, so that spans
//! made there are its children.

use crate::facade::open::OpenSpan;
use opentelemetry::Context;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

/// The current span as an OpenTelemetry `Context`, for code that wants one:
/// a link target, `propagation::inject_context`, a span of the program's
/// own OpenTelemetry tracer. tracekit's spans are current on tracekit's own
/// stack, not in OpenTelemetry's `Context::current()`, unless
/// [`Config::opentelemetry_context`](crate::Config::opentelemetry_context)
/// asks for both.
///
/// ```
/// use tracekit::opentelemetry::trace::TraceContextExt as _;
///
/// let ((span_id, context), spans) = tracekit::testing::capture(|| {
///     tracekit::span("job").in_scope(|| (tracekit::current_span().span_id(), tracekit::context::current()))
/// });
/// assert_eq!(Some(context.span().span_context().span_id()), span_id);
/// assert_eq!(span_id, Some(spans.get("job").span_id()));
/// ```
pub fn current() -> Context {
    crate::facade::stack::current_context()
}

/// Makes a future run inside a span's context wherever it is polled, as
/// `tokio::spawn` and executors do on other threads.
///
/// ```
/// use tracekit::CarrySpan;
///
/// #[tracekit::trace_async]
/// async fn child() {}
///
/// #[tracekit::trace_async]
/// async fn parent() {
///     tokio::spawn(child().carry_current_span()).await.unwrap();
/// }
///
/// # tokio::runtime::Builder::new_multi_thread().build().unwrap().block_on(async {
/// let ((), spans) = tracekit::testing::capture_async(parent()).await;
/// spans.assert_child_of("child", "parent");
/// # });
/// ```
pub trait CarrySpan: Future + Sized {
    /// Runs the future in the context current now: its spans become
    /// children of the current span.
    fn carry_current_span(self) -> Carried<Self> {
        Carried { inner: self, span: OpenSpan::current() }
    }

    /// Runs the future in `context`.
    ///
    /// ```
    /// use tracekit::CarrySpan;
    /// let context = tracekit::context::current();
    /// let future = async {}.carry_context(context);
    /// # drop(future);
    /// ```
    fn carry_context(self, context: Context) -> Carried<Self> {
        Carried { inner: self, span: OpenSpan::carrying(context) }
    }
}

impl<F: Future> CarrySpan for F {}

pin_project_lite::pin_project! {
    /// A future that runs inside a span wherever it is polled; made by
    /// [`CarrySpan::carry_current_span`] and [`CarrySpan::carry_context`].
    pub struct Carried<F> {
        #[pin]
        inner: F,
        span: OpenSpan,
    }
}

impl<F: Future> Future for Carried<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, task: &mut TaskContext<'_>) -> Poll<F::Output> {
        let this = self.project();
        let _entered = this.span.entered();
        this.inner.poll(task)
    }
}

impl<F> std::fmt::Debug for Carried<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Carried").field("span_id", &self.span.ids().map(|ids| ids.span_id())).finish_non_exhaustive()
    }
}

/// Wraps a closure so that it runs in the context current now, on whichever
/// thread calls it: for `std::thread::spawn`, thread pools and callbacks.
///
/// ```
/// #[tracekit::trace_operation]
/// fn work() {}
///
/// let ((), spans) = tracekit::testing::capture(|| {
///     tracekit::span("batch").in_scope(|| {
///         std::thread::spawn(tracekit::context::carry_current_span(work)).join().unwrap();
///     })
/// });
/// spans.assert_child_of("work", "batch");
/// ```
pub fn carry_current_span<R>(f: impl FnOnce() -> R) -> impl FnOnce() -> R {
    let mut span = OpenSpan::current();
    move || {
        let _entered = span.entered();
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
    std::thread::spawn(carry_current_span(f))
}
