//! What `?` in an annotated function's body becomes: the same early exit,
//! with the same conversions, through a trait whose error speaks of the
//! function the user wrote rather than of the closure or async block the
//! expansion wraps the body in.

use core::ops::ControlFlow;
use core::task::Poll;

/// `expr?` as the standard library's `Try` does it for its own types: the
/// value to go on with, or what the function returns early (`R`).
#[diagnostic::on_unimplemented(
    message = "the `?` operator can only be used in a function that returns `Result` or `Option` (or another type that implements `FromResidual`)",
    label = "cannot use the `?` operator in a function that returns `{R}`"
)]
pub trait QuestionMark<R> {
    /// The value `expr?` gives when it goes on.
    type Output;
    /// Goes on with the value, or breaks with the function's early return.
    fn __tracekit_branch(self) -> ControlFlow<R, Self::Output>;
}

/// What an error of a `?` becomes in the function's return type, as the
/// standard library's `FromResidual` impls say: `Result<U, F>`, and for
/// `poll` fns `Poll<Result<U, F>>` and `Poll<Option<Result<U, F>>>`, each
/// with `F: From<E>`.
#[diagnostic::on_unimplemented(
    message = "the `?` operator can only be used in a function that returns `Result` or `Option` (or another type that implements `FromResidual`)",
    label = "cannot use the `?` operator in a function that returns `{Self}`"
)]
pub trait FromError<E> {
    /// The early return for `error`.
    fn __tracekit_from_error(error: E) -> Self;
}

impl<E, U, F: From<E>> FromError<E> for Result<U, F> {
    #[inline(always)]
    fn __tracekit_from_error(error: E) -> Self {
        Err(From::from(error))
    }
}

impl<E, U, F: From<E>> FromError<E> for Poll<Result<U, F>> {
    #[inline(always)]
    fn __tracekit_from_error(error: E) -> Self {
        Poll::Ready(Err(From::from(error)))
    }
}

impl<E, U, F: From<E>> FromError<E> for Poll<Option<Result<U, F>>> {
    #[inline(always)]
    fn __tracekit_from_error(error: E) -> Self {
        Poll::Ready(Some(Err(From::from(error))))
    }
}

impl<T, E, R: FromError<E>> QuestionMark<R> for Result<T, E> {
    type Output = T;
    #[inline(always)]
    fn __tracekit_branch(self) -> ControlFlow<R, T> {
        match self {
            Ok(value) => ControlFlow::Continue(value),
            Err(error) => ControlFlow::Break(R::__tracekit_from_error(error)),
        }
    }
}

impl<T, U> QuestionMark<Option<U>> for Option<T> {
    type Output = T;
    #[inline(always)]
    fn __tracekit_branch(self) -> ControlFlow<Option<U>, T> {
        match self {
            Some(value) => ControlFlow::Continue(value),
            None => ControlFlow::Break(None),
        }
    }
}

impl<T, E, R: FromError<E>> QuestionMark<R> for Poll<Result<T, E>> {
    type Output = Poll<T>;
    #[inline(always)]
    fn __tracekit_branch(self) -> ControlFlow<R, Poll<T>> {
        match self {
            Poll::Ready(Ok(value)) => ControlFlow::Continue(Poll::Ready(value)),
            Poll::Ready(Err(error)) => ControlFlow::Break(R::__tracekit_from_error(error)),
            Poll::Pending => ControlFlow::Continue(Poll::Pending),
        }
    }
}

impl<T, E, R: FromError<E>> QuestionMark<R> for Poll<Option<Result<T, E>>> {
    type Output = Poll<Option<T>>;
    #[inline(always)]
    fn __tracekit_branch(self) -> ControlFlow<R, Poll<Option<T>>> {
        match self {
            Poll::Ready(Some(Ok(value))) => ControlFlow::Continue(Poll::Ready(Some(value))),
            Poll::Ready(Some(Err(error))) => ControlFlow::Break(R::__tracekit_from_error(error)),
            Poll::Ready(None) => ControlFlow::Continue(Poll::Ready(None)),
            Poll::Pending => ControlFlow::Continue(Poll::Pending),
        }
    }
}

impl<B, C, D> QuestionMark<ControlFlow<B, D>> for ControlFlow<B, C> {
    type Output = C;
    #[inline(always)]
    fn __tracekit_branch(self) -> ControlFlow<ControlFlow<B, D>, C> {
        match self {
            ControlFlow::Continue(value) => ControlFlow::Continue(value),
            ControlFlow::Break(value) => ControlFlow::Break(ControlFlow::Break(value)),
        }
    }
}
