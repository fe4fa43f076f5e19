//! How a traced body runs: a closure called once, or a future made the
//! named type its function returns; and how the value a synchronous body
//! returned ends its span, which depends on whether it is a future.

use super::guard::{AsyncSpan, SyncSpan};
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
async fn traced<F: Future>(
    future: F,
    mut span: AsyncSpan,
    finish: impl FnOnce(&F::Output, &mut Recorder),
) -> F::Output {
    let output = span.instrument(future).await;
    span.finish(|recorder: &mut Recorder| finish(&output, recorder));
    output
}

/// The value a `#[trace_operation]` body returned, when its type may be a
/// future under another name (an alias, `Self::Future`): the type decides
/// how the span ends. A boxed future takes the span along, current at each
/// poll, and the span ends with the future, `record` recording its output;
/// any other value is recorded by `record` and the span ends now
/// ([`FinishValue`]). Chosen at compile time: the inherent method applies
/// only where the type is a future of that kind, and the trait's otherwise;
/// the one recording closure takes its argument's type from the method chosen.
pub struct Finishing<R>(pub R);

impl<R: ReturnedFuture> Finishing<R> {
    /// The future, traced to its end; `record` records what it gives.
    #[inline]
    pub fn __tracekit_finish(
        self,
        span: SyncSpan,
        record: impl FnOnce(&R::Output, &mut Recorder) + Send + 'static,
    ) -> R {
        self.0.__tracekit_traced(span.into_async(), record)
    }
}

/// How a value that is not a future ends its span: see [`Finishing`].
pub trait FinishValue<R> {
    /// Records the value with `record`, ends the span, and gives the value back.
    fn __tracekit_finish(self, span: SyncSpan, record: impl FnOnce(&R, &mut Recorder)) -> R;
}

impl<R> FinishValue<R> for Finishing<R> {
    #[inline]
    fn __tracekit_finish(self, span: SyncSpan, record: impl FnOnce(&R, &mut Recorder)) -> R {
        span.finish(|recorder: &mut Recorder| record(&self.0, recorder));
        self.0
    }
}
