//! A response body that carries its request's span to the end: the span
//! ends when the body is complete or dropped, after its trailers (where gRPC
//! sends its status) have been read.

use super::exchange::Exchange;
use http_body::{Body, Frame, SizeHint};
use std::pin::Pin;
use std::task::{Context, Poll};

pin_project_lite::pin_project! {
    /// The body of a response traced by [`ServerLayer`](super::ServerLayer)
    /// or [`ClientLayer`](super::ClientLayer): the inner body, unchanged,
    /// with the request's span ending when it is complete or dropped.
    ///
    /// ```
    /// use http_body::Body as _;
    /// use tower_layer::Layer as _;
    /// use tower_service::Service as _;
    ///
    /// let answer = tower::service_fn(|_request: http::Request<String>| async {
    ///     Ok::<_, std::convert::Infallible>(http::Response::new(String::from("hello")))
    /// });
    /// let mut service = tracekit::http::ServerLayer::new().layer(answer);
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async move {
    /// let response = service.call(http::Request::new(String::new())).await.unwrap();
    /// let body: tracekit::http::TracedBody<String> = response.into_body();
    /// assert_eq!(body.size_hint().exact(), Some(5)); // the inner body's, unchanged
    /// # });
    /// ```
    pub struct TracedBody<B> {
        #[pin]
        inner: B,
        exchange: Option<Exchange>,
    }
}

impl<B> TracedBody<B> {
    pub(crate) fn new(inner: B, exchange: Option<Exchange>) -> Self {
        TracedBody { inner, exchange }
    }
}

impl<B: std::fmt::Debug> std::fmt::Debug for TracedBody<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TracedBody").field("inner", &self.inner).field("traced", &self.exchange.is_some()).finish()
    }
}

impl<B> Body for TracedBody<B>
where
    B: Body,
    B::Error: std::fmt::Display,
{
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = self.project();
        let Some(exchange) = this.exchange else {
            return this.inner.poll_frame(cx);
        };
        let inner = this.inner;
        let polled = exchange.poll_in(|| inner.poll_frame(cx));
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(trailers) = frame.trailers_ref() {
                    exchange.trailers(trailers);
                }
            }
            Poll::Ready(Some(Err(error))) => {
                exchange.failed(error);
                *this.exchange = None;
            }
            Poll::Ready(None) => *this.exchange = None,
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
