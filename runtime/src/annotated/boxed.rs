//! How a traced body runs: a closure called once, or a future boxed for a
//! function that returns a boxed one.

/// Runs the wrapped body of a synchronous function. Passing the closure
/// through an `FnOnce` bound lets the body move out of its captures (such as
/// returning `&mut self.field`), exactly as the original function could.
#[inline(always)]
pub fn call_once<R>(body: impl FnOnce() -> R) -> R {
    body()
}

/// Boxes the traced future of a function that returns a boxed one
/// (`Pin<Box<dyn Future ..>>`, as `#[async_trait]` methods do); the caller's
/// return type makes it a trait object.
#[inline(always)]
pub fn boxed<F: core::future::Future>(future: F) -> core::pin::Pin<Box<F>> {
    Box::pin(future)
}
