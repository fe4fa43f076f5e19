//! Every request a reqwest client sends, traced by one middleware (feature
//! `reqwest`): a client span per request with the HTTP semantic
//! conventions' attributes, the trace carried in the request's headers, and
//! Error for a 4xx, a 5xx or a failed send.
//!
//! ```
//! let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
//!     .with(tracekit::reqwest::TraceMiddleware::default())
//!     .build();
//! # let _ = client;
//! ```

use crate::http::client::{send_context, start_client_span};
use crate::http::exchange::is_active;
use crate::http::head::RequestHead;
use ::reqwest::{Request, Response};
use reqwest_middleware::{Middleware, Next};

/// A `reqwest-middleware` middleware that traces each request: the span is
/// a child of the current span, named `{method}`, and ends when the
/// response's headers have arrived (reading the body is the caller's part).
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
///     .with(tracekit::reqwest::TraceMiddleware::default())
///     .build();
/// let (sent, spans) = tracekit::testing::capture_async(async {
///     client.get("http://127.0.0.1:9/").send().await // nothing listens on port 9
/// }).await;
/// assert!(sent.is_err());
/// let span = spans.get("GET");
/// assert!(span.is_error());
/// assert_eq!(span.str_attribute("url.full"), Some("http://127.0.0.1:9/"));
/// # });
/// ```
#[derive(Clone, Debug, Default)]
pub struct TraceMiddleware {
    _private: (),
}

#[async_trait::async_trait]
impl Middleware for TraceMiddleware {
    async fn handle(
        &self,
        mut request: Request,
        extensions: &mut http::Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<Response> {
        if !is_active() {
            if crate::propagation::passes_through() {
                crate::propagation::inject(request.headers_mut());
            }
            return next.run(request, extensions).await;
        }
        let exchange = {
            let url = request.url();
            let head = RequestHead {
                method: request.method(),
                scheme: Some(url.scheme()),
                host: url.host_str(),
                port: url.port(),
                path: url.path(),
                query: url.query(),
                version: request.version(),
                headers: request.headers(),
            };
            start_client_span(&head, false)
        };
        let exchange = send_context(exchange, request.headers_mut());
        let Some(mut exchange) = exchange else {
            return next.run(request, extensions).await;
        };
        let mut sending = next.run(request, extensions);
        let sent = std::future::poll_fn(|cx| exchange.poll_in(|| sending.as_mut().poll(cx))).await;
        match &sent {
            Ok(response) => exchange.response(response.status(), response.headers()),
            Err(reqwest_middleware::Error::Reqwest(error)) => exchange.failed(error),
            Err(reqwest_middleware::Error::Middleware(error)) => exchange.failed(error),
        }
        sent
    }
}
