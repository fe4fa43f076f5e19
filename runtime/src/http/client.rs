//! The client layer: a span for every request a tower client sends, with
//! the trace carried in the request's headers.

use super::exchange::{is_active, Exchange, Side};
use super::future::ResponseFuture;
use super::head::RequestHead;
use crate::propagation::passes_through;
use http::request::Parts;
use std::task::{Context, Poll};
use tower_service::Service;

/// A [`tower::Layer`](tower_layer::Layer) that traces every request a tower
/// client sends: a tonic `Channel`, a hyper-util `Client`.
///
/// Each request gets a client span, child of the current span, whose
/// context goes out in the request's headers with the configured
/// propagators; the span ends when the response body is complete or
/// dropped. HTTP spans are named `{method}`, gRPC ones `{service}/{method}`.
/// A 4xx or 5xx, a gRPC status other than OK, or a transport error is an
/// Error. Under an unsampled trace nothing is recorded and the headers carry
/// the trace on, unsampled. With metrics on, durations go to
/// `http.client.request.duration` (or `rpc.client.call.duration`).
///
/// ```
/// use tower_layer::Layer as _;
/// use tower_service::Service as _;
///
/// // Any tower service taking `http::Request`s: here, one answering 204.
/// let send = tower::service_fn(|_request: http::Request<String>| async {
///     Ok::<_, std::convert::Infallible>(http::Response::builder().status(204).body(String::new()).unwrap())
/// });
/// let mut client = tracekit::http::ClientLayer::new().layer(send);
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async move {
/// let (status, spans) = tracekit::testing::capture_async(async move {
///     let request = http::Request::delete("http://inventory.local/items/3").body(String::new()).unwrap();
///     // The span ends with the response's body, dropped here.
///     client.call(request).await.unwrap().status()
/// }).await;
/// assert_eq!(status, 204);
/// assert_eq!(spans.get("DELETE").attribute("http.response.status_code").unwrap().to_string(), "204");
/// # });
/// ```
#[derive(Clone, Debug, Default)]
pub struct ClientLayer {
    _private: (),
}

impl ClientLayer {
    /// A client layer.
    ///
    /// ```
    /// let layer = tracekit::http::ClientLayer::new();
    /// # let _ = layer;
    /// ```
    pub fn new() -> Self {
        Self::default()
    }
}

impl<S> tower_layer::Layer<S> for ClientLayer {
    type Service = TraceClient<S>;

    fn layer(&self, inner: S) -> TraceClient<S> {
        TraceClient { inner }
    }
}

/// The service made by [`ClientLayer`]: the inner client, with a span for
/// each request it sends.
///
/// ```
/// use tower_layer::Layer as _;
///
/// let send = tower::service_fn(|_request: http::Request<String>| async {
///     Ok::<_, std::convert::Infallible>(http::Response::new(String::new()))
/// });
/// let client: tracekit::http::TraceClient<_> = tracekit::http::ClientLayer::new().layer(send);
/// # let _ = client;
/// ```
#[derive(Clone, Debug)]
pub struct TraceClient<S> {
    inner: S,
}

impl<S> TraceClient<S> {
    /// Traces the requests `inner` sends, as [`ClientLayer`] does, without
    /// `tower`'s `ServiceBuilder`: wrap a tonic `Channel` with it and hand
    /// it to the generated client.
    ///
    /// ```
    /// let send = tower::service_fn(|_request: http::Request<String>| async {
    ///     Ok::<_, std::convert::Infallible>(http::Response::new(String::new()))
    /// });
    /// let client = tracekit::http::TraceClient::new(send);
    /// // With tonic: `GreeterClient::new(TraceClient::new(channel))`.
    /// # let _ = client;
    /// ```
    pub fn new(inner: S) -> Self {
        TraceClient { inner }
    }
}

impl<S, RequestBody, ResponseBody> Service<http::Request<RequestBody>> for TraceClient<S>
where
    S: Service<http::Request<RequestBody>, Response = http::Response<ResponseBody>>,
    S::Error: std::fmt::Display,
{
    type Response = http::Response<super::TracedBody<ResponseBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<RequestBody>) -> Self::Future {
        if !is_active() {
            if passes_through() {
                crate::propagation::inject(request.headers_mut());
            }
            return ResponseFuture::new(self.inner.call(request), None, false);
        }
        let (mut parts, body) = request.into_parts();
        let exchange = client_exchange(&mut parts);
        let future = self.inner.call(http::Request::from_parts(parts, body));
        ResponseFuture::new(future, exchange, false)
    }
}

/// Starts the client span of a request and writes its context (or the
/// current one, when the span is skipped) into the request's headers.
fn client_exchange(request: &mut Parts) -> Option<Exchange> {
    let exchange = {
        let head = RequestHead::of(request);
        start_client_span(&head, head.grpc().is_some())
    };
    send_context(exchange, &mut request.headers)
}

/// Starts the client span of the request `head` describes, for this layer
/// and the reqwest middleware alike.
pub(crate) fn start_client_span(head: &RequestHead<'_>, grpc: bool) -> Option<Exchange> {
    Exchange::start(Side::Client, grpc, || head.client_start(), None, || head.metric_attributes(Side::Client, None))
}

/// Writes the client span's context into `headers`, or the current one when
/// the span is skipped, so that the trace goes on either way.
pub(crate) fn send_context(mut exchange: Option<Exchange>, headers: &mut http::HeaderMap) -> Option<Exchange> {
    match exchange.as_mut() {
        Some(exchange) => exchange.in_span(|| crate::propagation::inject(headers)),
        None => crate::propagation::inject(headers),
    }
    exchange
}
