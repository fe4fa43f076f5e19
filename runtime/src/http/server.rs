//! The server layer: a span for every request a service answers.

use super::exchange::{is_active, Exchange, Side};
use super::future::ResponseFuture;
use super::head::{RequestHead, ServerFacts};
use crate::propagation::passes_through;
use http::request::Parts;
use std::sync::Arc;
use std::task::{Context, Poll};
use tower_service::Service;

/// Headers that carry credentials: never recorded, even when asked for.
const SECRET_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
    "x-api-key",
    "api-key",
    "x-auth-token",
    "x-csrf-token",
    "x-xsrf-token",
];

type RequestTest = dyn Fn(&Parts) -> bool + Send + Sync;
type RequestName = dyn Fn(&Parts) -> String + Send + Sync;

#[derive(Clone, Default)]
struct ServerOptions {
    headers: Vec<String>,
    record_query: bool,
    trace_response: bool,
    filter: Option<Arc<RequestTest>>,
    name: Option<Arc<RequestName>>,
}

/// A [`tower::Layer`](tower_layer::Layer) that traces every request a server
/// answers: axum `Router`s, tonic servers, hyper services.
///
/// Each request gets a server span that continues the caller's trace (read
/// from its headers with the configured propagators), is current while the
/// service runs (so annotated handlers are its children) and ends when the
/// response body is complete or dropped. HTTP spans are named
/// `{method} {route}` (the route from axum's `MatchedPath`, feature `axum`)
/// and carry the HTTP semantic conventions' attributes; gRPC spans are named
/// `{service}/{method}` and carry `rpc.*` and `rpc.grpc.status_code`. A 5xx,
/// a service error or a panic is an Error; a 4xx is the caller's and stays
/// Unset. With tracing not installed, a request costs two atomic loads. With
/// metrics on (feature `metrics`), each request's duration also goes to
/// `http.server.request.duration` (or `rpc.server.call.duration`), sampled or not.
///
/// ```
/// use axum::{routing::get, Router};
/// use tower_service::Service as _;
///
/// #[tracekit::trace_async]
/// async fn load_user() -> &'static str {
///     "ada"
/// }
///
/// let app: Router = Router::new()
///     .route("/users/{id}", get(|| load_user()))
///     .layer(tracekit::http::ServerLayer::new());
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async move {
/// let request = http::Request::get("/users/7").body(axum::body::Body::empty()).unwrap();
/// let (_, spans) = tracekit::testing::capture_async(async move {
///     let response = app.clone().call(request).await.unwrap();
///     axum::body::to_bytes(response.into_body(), 1024).await.unwrap();
/// }).await;
/// spans.assert_child_of("load_user", "GET /users/{id}");
/// # });
/// ```
#[derive(Clone, Default)]
pub struct ServerLayer {
    options: Arc<ServerOptions>,
}

impl std::fmt::Debug for ServerLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerLayer")
            .field("headers", &self.options.headers)
            .field("record_query", &self.options.record_query)
            .field("trace_response", &self.options.trace_response)
            .finish_non_exhaustive()
    }
}

impl ServerLayer {
    /// A layer with the defaults: no headers, no query, every request.
    ///
    /// ```
    /// let layer = tracekit::http::ServerLayer::new();
    /// # let _ = layer;
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// The options to change: this layer's own, even if it was cloned.
    fn options(&mut self) -> &mut ServerOptions {
        Arc::make_mut(&mut self.options)
    }

    /// Records these request headers as `http.request.header.<name>` (the
    /// name lowercase, the values a list). Off by default.
    ///
    /// # Panics
    /// On a header that carries credentials (`authorization`, `cookie`,
    /// `x-api-key` and the like): those are never recorded.
    ///
    /// ```
    /// let layer = tracekit::http::ServerLayer::new().record_headers(["x-request-id", "accept"]);
    /// # let _ = layer;
    /// ```
    pub fn record_headers<I>(mut self, names: I) -> Self
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        for name in names {
            let name = name.as_ref().to_ascii_lowercase();
            assert!(
                !SECRET_HEADERS.contains(&name.as_str()),
                "tracekit: the `{name}` header carries credentials and is never recorded; remove it from `record_headers`"
            );
            self.options().headers.push(name);
        }
        self
    }

    /// Records the query string as `url.query`. Off by default: queries
    /// often carry tokens and make every span different.
    ///
    /// ```
    /// let layer = tracekit::http::ServerLayer::new().record_query(true);
    /// # let _ = layer;
    /// ```
    pub fn record_query(mut self, record: bool) -> Self {
        self.options().record_query = record;
        self
    }

    /// Answers with a `traceresponse` header (W3C Trace Context Level 2)
    /// that names the trace and the server span. Off by default.
    ///
    /// ```
    /// let layer = tracekit::http::ServerLayer::new().trace_response(true);
    /// # let _ = layer;
    /// ```
    pub fn trace_response(mut self, answer: bool) -> Self {
        self.options().trace_response = answer;
        self
    }

    /// Traces only the requests `keep` says yes to: health checks and
    /// metrics scrapes can be left out. A request left out runs in the
    /// caller's context as it came.
    ///
    /// ```
    /// let layer = tracekit::http::ServerLayer::new().filter(|request| request.uri.path() != "/health");
    /// # let _ = layer;
    /// ```
    pub fn filter(mut self, keep: impl Fn(&Parts) -> bool + Send + Sync + 'static) -> Self {
        self.options().filter = Some(Arc::new(keep));
        self
    }

    /// Names spans with `name` instead of `{method} {route}`. Keep names of
    /// low cardinality: a name per path or id defeats grouping.
    ///
    /// ```
    /// let layer = tracekit::http::ServerLayer::new().span_name(|request| format!("api {}", request.method));
    /// # let _ = layer;
    /// ```
    pub fn span_name(mut self, name: impl Fn(&Parts) -> String + Send + Sync + 'static) -> Self {
        self.options().name = Some(Arc::new(name));
        self
    }
}

impl<S> tower_layer::Layer<S> for ServerLayer {
    type Service = TraceServer<S>;

    fn layer(&self, inner: S) -> TraceServer<S> {
        TraceServer { inner, options: Arc::clone(&self.options) }
    }
}

/// The service made by [`ServerLayer`]: the inner service, with a span for
/// each request it answers.
///
/// ```
/// use tower_layer::Layer as _;
///
/// let answer = tower::service_fn(|_request: http::Request<String>| async {
///     Ok::<_, std::convert::Infallible>(http::Response::new(String::from("hello")))
/// });
/// let service: tracekit::http::TraceServer<_> = tracekit::http::ServerLayer::new().layer(answer);
/// # let _ = service;
/// ```
#[derive(Clone)]
pub struct TraceServer<S> {
    inner: S,
    options: Arc<ServerOptions>,
}

impl<S: std::fmt::Debug> std::fmt::Debug for TraceServer<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TraceServer").field("inner", &self.inner).finish_non_exhaustive()
    }
}

impl<S, RequestBody, ResponseBody> Service<http::Request<RequestBody>> for TraceServer<S>
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
        let exchange = match is_active() {
            true => {
                let (parts, body) = request.into_parts();
                let exchange = self.exchange(&parts);
                request = http::Request::from_parts(parts, body);
                exchange
            }
            false => passes_through().then(|| Exchange::carrying(crate::propagation::extract(request.headers()))),
        };
        let Some(mut exchange) = exchange else {
            return ResponseFuture::new(self.inner.call(request), None, false);
        };
        let future = exchange.in_span(|| self.inner.call(request));
        ResponseFuture::new(future, Some(exchange), self.options.trace_response)
    }
}

impl<S> TraceServer<S> {
    fn exchange(&self, request: &Parts) -> Option<Exchange> {
        let options = &*self.options;
        let parent = crate::propagation::extract(&request.headers);
        if options.filter.as_ref().is_some_and(|keep| !keep(request)) {
            // No span, but the caller's trace goes on through what it calls.
            return Some(Exchange::carrying(parent));
        }
        let head = RequestHead::of(request);
        Exchange::start(
            Side::Server,
            head.grpc().is_some(),
            || {
                head.server_start(ServerFacts {
                    route: route(request),
                    peer: peer(request),
                    record_query: options.record_query,
                    headers: &options.headers,
                    name: options.name.as_ref().map(|name| name(request)),
                })
            },
            Some(parent),
            || head.metric_attributes(Side::Server, route(request)),
        )
    }
}

/// The route template axum matched (0.8 with feature `axum`, 0.7 with `axum07`).
fn route(request: &Parts) -> Option<&str> {
    #[cfg(feature = "axum")]
    if let Some(path) = request.extensions.get::<axum::extract::MatchedPath>() {
        return Some(path.as_str());
    }
    #[cfg(feature = "axum07")]
    if let Some(path) = request.extensions.get::<axum07::extract::MatchedPath>() {
        return Some(path.as_str());
    }
    let _ = request;
    None
}

/// The peer of axum's `ConnectInfo`, when the server was built with it.
fn peer(request: &Parts) -> Option<String> {
    #[cfg(any(feature = "axum", feature = "axum07"))]
    type Address = std::net::SocketAddr;
    #[cfg(feature = "axum")]
    if let Some(axum::extract::ConnectInfo(address)) = request.extensions.get::<axum::extract::ConnectInfo<Address>>() {
        return Some(address.ip().to_string());
    }
    #[cfg(feature = "axum07")]
    if let Some(axum07::extract::ConnectInfo(address)) =
        request.extensions.get::<axum07::extract::ConnectInfo<Address>>()
    {
        return Some(address.ip().to_string());
    }
    let _ = request;
    None
}
