//! Every HTTP and gRPC request traced by one layer (feature `tower`): a
//! server span for each request an axum, tonic or hyper server answers
//! ([`ServerLayer`]), a client span for each request a tower client sends,
//! with the trace in its headers ([`ClientLayer`]), and for reqwest a
//! middleware that does the same ([`reqwest`], feature `reqwest`).
//!
//! Spans follow the stable HTTP semantic conventions (and the gRPC ones for
//! tonic), use the installed pipeline's sampler and propagators, and cost
//! two atomic loads per request while tracing is not installed. Installed
//! with tracing off, they carry the incoming trace through, as received.
//!
//! ```
//! use axum::{routing::get, Router};
//!
//! let app: Router = Router::new()
//!     .route("/health", get(|| async { "ok" }))
//!     .layer(tracekit::http::ServerLayer::new());
//! # let _ = app;
//! ```

mod body;
mod client;
pub(crate) mod exchange;
mod future;
pub(crate) mod head;
#[cfg(feature = "reqwest")]
pub mod reqwest;
mod server;

pub use body::TracedBody;
pub use client::{ClientLayer, TraceClient};
pub use future::ResponseFuture;
pub use server::{ServerLayer, TraceServer};
