//! Uses what a service would: an attribute, `init`, and the layer of each
//! feature built.

#[tracekit::trace_operation]
fn work() -> u32 {
    1
}

fn main() {
    let _guard = tracekit::init();
    work();
    #[cfg(feature = "tower")]
    let _ = tracekit::http::ServerLayer::new();
    #[cfg(feature = "reqwest")]
    let _ = tracekit::reqwest::TraceMiddleware::default();
    #[cfg(feature = "tracing")]
    let _ = tracekit::subscriber::layer();
}
