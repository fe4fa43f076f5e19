//! `OTEL_METRICS_EXPORTER=prometheus`: a scrape endpoint served by tracekit
//! on `OTEL_EXPORTER_PROMETHEUS_HOST:OTEL_EXPORTER_PROMETHEUS_PORT`, in the
//! Prometheus text format (`opentelemetry-prometheus` turns the SDK's
//! metrics into the `prometheus` crate's, which encodes them).

use crate::error::InitError;
use http_body_util::Full;
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use prometheus::{Registry, TextEncoder};
use std::convert::Infallible;
use std::net::TcpListener;

/// The running endpoint; dropping it stops the server.
pub(crate) struct ScrapeEndpoint {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ScrapeEndpoint {
    /// Binds now, so that a taken port is an error of the installation;
    /// serves on a thread of its own.
    pub(crate) fn start(host: &str, port: u16, registry: Registry) -> Result<Self, InitError> {
        let listener = TcpListener::bind((host, port)).map_err(|error| {
            InitError::Exporter(format!("cannot serve Prometheus metrics on {host}:{port}: {error}"))
        })?;
        listener.set_nonblocking(true).map_err(|error| InitError::Exporter(error.to_string()))?;
        let (stop, stopped) = tokio::sync::oneshot::channel();
        let thread = std::thread::Builder::new()
            .name("tracekit-prometheus".into())
            .spawn(move || serve(listener, registry, stopped))
            .map_err(|error| InitError::Exporter(format!("cannot start the Prometheus endpoint's thread: {error}")))?;
        Ok(ScrapeEndpoint { stop: Some(stop), thread: Some(thread) })
    }
}

impl Drop for ScrapeEndpoint {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve(listener: TcpListener, registry: Registry, stopped: tokio::sync::oneshot::Receiver<()>) {
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
    runtime.block_on(async move {
        let Ok(listener) = tokio::net::TcpListener::from_std(listener) else { return };
        let accept = async {
            loop {
                let Ok((stream, _)) = listener.accept().await else { continue };
                let registry = registry.clone();
                let answer = hyper::service::service_fn(move |_request| {
                    let body = TextEncoder::new().encode_to_string(&registry.gather()).unwrap_or_default();
                    let response = hyper::Response::builder()
                        .header("content-type", "text/plain; version=0.0.4; charset=utf-8")
                        .body(Full::new(Bytes::from(body)))
                        .expect("a valid response");
                    async move { Ok::<_, Infallible>(response) }
                });
                let connection =
                    hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), answer);
                tokio::spawn(connection);
            }
        };
        tokio::select! {
            _ = stopped => {}
            () = accept => {}
        }
    });
}
