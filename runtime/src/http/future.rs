//! The future of a traced request: the inner service's, polled inside the
//! request's span, handing the span on to the response body.

use super::body::TracedBody;
use super::exchange::Exchange;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

pin_project_lite::pin_project! {
    /// The response future of [`TraceServer`](super::TraceServer) and
    /// [`TraceClient`](super::TraceClient): the inner service's future,
    /// polled inside the request's span.
    ///
    /// ```
    /// use tower_layer::Layer as _;
    /// use tower_service::Service as _;
    ///
    /// let answer = tower::service_fn(|_request: http::Request<String>| async {
    ///     Ok::<_, std::convert::Infallible>(http::Response::new(String::new()))
    /// });
    /// let mut service = tracekit::http::ServerLayer::new().layer(answer);
    /// let future: tracekit::http::ResponseFuture<_> = service.call(http::Request::new(String::new()));
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async move {
    /// assert_eq!(future.await.unwrap().status(), 200);
    /// # });
    /// ```
    pub struct ResponseFuture<F> {
        #[pin]
        inner: F,
        exchange: Option<Exchange>,
        trace_response: bool,
    }
}

impl<F> ResponseFuture<F> {
    pub(crate) fn new(inner: F, exchange: Option<Exchange>, trace_response: bool) -> Self {
        ResponseFuture { inner, exchange, trace_response }
    }
}

impl<F> std::fmt::Debug for ResponseFuture<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseFuture").field("traced", &self.exchange.is_some()).finish_non_exhaustive()
    }
}

impl<F, B, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<http::Response<B>, E>>,
    E: std::fmt::Display,
{
    type Output = Result<http::Response<TracedBody<B>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let Some(exchange) = this.exchange else {
            return this.inner.poll(cx).map_ok(|response| response.map(|body| TracedBody::new(body, None)));
        };
        let inner = this.inner;
        let outcome = match exchange.poll_in(|| inner.poll(cx)) {
            Poll::Ready(outcome) => outcome,
            Poll::Pending => return Poll::Pending,
        };
        let mut exchange = this.exchange.take();
        Poll::Ready(match outcome {
            Ok(mut response) => {
                if let Some(exchange) = &mut exchange {
                    exchange.response(response.status(), response.headers());
                    if *this.trace_response {
                        if let Some(value) = exchange.trace_response() {
                            response.headers_mut().insert("traceresponse", value);
                        }
                    }
                }
                Ok(response.map(|body| TracedBody::new(body, exchange)))
            }
            Err(error) => {
                if let Some(exchange) = &mut exchange {
                    exchange.failed(&error);
                }
                Err(error)
            }
        })
    }
}
