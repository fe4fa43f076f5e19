//! How a traced body runs: a closure called once, or a future made the
//! named type its function returns.

use super::guard::AsyncSpan;
use crate::facade::recorder::Recorder;
use core::future::Future;
use core::pin::Pin;

/// Runs the wrapped body of a synchronous function. Passing the closure
/// through an `FnOnce` bound lets the body move out of its captures (such as
/// returning `&mut self.field`), exactly as the original function could.
#[inline(always)]
pub fn call_once<R>(body: impl FnOnce() -> R) -> R {
    body()
}

/// A future type that a function can return its traced future as: a boxed
/// future, whatever it is called (`Pin<Box<dyn Future ..>>`, `BoxFuture`,
/// an alias, a `Service`'s `Self::Future` that is one). The type decides,
/// so `#[trace_async]` on a fn returning a future under any name is enough.
#[diagnostic::on_unimplemented(
    message = "tracekit cannot return the traced future as `{Self}`",
    label = "not `impl Future` nor a boxed future",
    note = "#[trace_async] traces a fn returning `impl Future<Output = ..>` or a boxed future \
            (`Pin<Box<dyn Future<Output = ..> + Send + '_>>`, or an alias of one); for a fn that \
            returns a value, use #[trace_operation]"
)]
pub trait ReturnedFuture: Sized {
    /// What the future gives.
    type Output;
    /// This future, run in `span` until it completes; `finish` records its
    /// output on the span.
    fn __tracekit_traced(
        self,
        span: AsyncSpan,
        finish: impl FnOnce(&Self::Output, &mut Recorder) + Send + 'static,
    ) -> Self;
}

impl<'a, T: 'a> ReturnedFuture for Pin<Box<dyn Future<Output = T> + Send + 'a>> {
    type Output = T;
    fn __tracekit_traced(self, span: AsyncSpan, finish: impl FnOnce(&T, &mut Recorder) + Send + 'static) -> Self {
        Box::pin(traced(self, span, finish))
    }
}

impl<'a, T: 'a> ReturnedFuture for Pin<Box<dyn Future<Output = T> + 'a>> {
    type Output = T;
    fn __tracekit_traced(self, span: AsyncSpan, finish: impl FnOnce(&T, &mut Recorder) + Send + 'static) -> Self {
        Box::pin(traced(self, span, finish))
    }
}

/// `future` run in `span` to its end, its output recorded by `finish`.
async fn traced<F: Future>(future: F, span: AsyncSpan, finish: impl FnOnce(&F::Output, &mut Recorder)) -> F::Output {
    let output = span.instrument(future).await;
    span.finish(|recorder| finish(&output, recorder));
    output
}
