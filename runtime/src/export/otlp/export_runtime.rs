//! The tokio runtime OTLP clients (tonic, hyper) need. Rather than depend
//! on the program's (there may be none, or it may be shutting down when the
//! last spans are flushed), exports run on a small runtime of tracekit's
//! own, driven by the thread that exports.

use crate::error::InitError;
use opentelemetry_sdk::error::OTelSdkError;
use std::future::Future;
use std::time::Duration;

/// The runtime of an OTLP exporter's client, driven by the thread that
/// exports (the batch processor's, the metrics reader's), which blocks on
/// each export.
#[derive(Debug)]
pub(crate) struct ExportRuntime {
    /// Always `Some` until dropped.
    runtime: Option<tokio::runtime::Runtime>,
}

impl ExportRuntime {
    pub(crate) fn new() -> Result<Self, InitError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|error| InitError::Exporter(format!("cannot start the OTLP export thread: {error}")))?;
        Ok(ExportRuntime { runtime: Some(runtime) })
    }

    fn runtime(&self) -> &tokio::runtime::Runtime {
        self.runtime.as_ref().expect("the runtime lives until the exporter is dropped")
    }

    /// Builds a client inside the runtime: the gRPC channel is created
    /// lazily, on the runtime that will drive it.
    pub(crate) fn build<T>(&self, build: impl FnOnce() -> T) -> T {
        let _context = self.runtime().enter();
        build()
    }

    /// Runs an export to its end, or to `timeout`.
    pub(crate) fn export<T>(
        &self,
        timeout: Duration,
        export: impl Future<Output = Result<T, OTelSdkError>>,
    ) -> Result<T, OTelSdkError> {
        let bounded = async { tokio::time::timeout(timeout, export).await };
        // The client's own telemetry is not traced (see the batch processor).
        let _suppressed = opentelemetry::Context::enter_telemetry_suppressed_scope();
        self.runtime().block_on(bounded).unwrap_or(Err(OTelSdkError::Timeout(timeout)))
    }
}

impl Drop for ExportRuntime {
    fn drop(&mut self) {
        // Dropping a runtime blocks, which panics inside an async context;
        // nothing is left to wait for once the exporter goes.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}
