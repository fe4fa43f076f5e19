//! OTLP export through `opentelemetry-otlp`, over gRPC or HTTP.
//!
//! The OTLP clients (tonic, hyper) need a tokio runtime. Rather than
//! depend on the program's (there may be none, or it may be shutting down
//! when the last spans are flushed), exports run on a small runtime of
//! tracekit's own ([`ExportRuntime`]), driven by the thread that exports.

use super::settings::{credentials, Compression, OtlpTarget, Protocol, TlsPem};
use crate::error::InitError;
use opentelemetry_otlp::{
    ExporterBuildError, HttpExporterBuilderSet, SpanExporterBuilder, TonicExporterBuilderSet, WithExportConfig,
    WithHttpConfig, WithTonicConfig,
};
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::trace::{SpanData, SpanExporter};
use opentelemetry_sdk::Resource;
use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

#[derive(Debug)]
pub(crate) struct OtlpExporter {
    exporter: opentelemetry_otlp::SpanExporter,
    /// `OTEL_BSP_EXPORT_TIMEOUT`: the SDK's thread-based batch processor does
    /// not bound an export itself.
    export_timeout: Duration,
    /// The `user:password@` of the endpoint, if any, kept out of errors.
    credentials: Option<String>,
    runtime: ExportRuntime,
}

impl OtlpExporter {
    pub(crate) fn new(settings: &OtlpTarget, export_timeout: Duration) -> Result<Self, InitError> {
        let (exporter, runtime) = connect(settings)?;
        let credentials = credentials(&settings.url()).map(str::to_owned);
        Ok(OtlpExporter { exporter, export_timeout, credentials, runtime })
    }
}

/// A signal's exporter from `opentelemetry-otlp` (spans, metrics), whose
/// builders differ by type but take the same settings.
pub(crate) trait OtlpClient: Sized {
    type Grpc: WithExportConfig + WithTonicConfig;
    type Http: WithExportConfig + WithHttpConfig;
    fn grpc() -> Self::Grpc;
    fn http() -> Self::Http;
    fn build_grpc(builder: Self::Grpc) -> Result<Self, ExporterBuildError>;
    fn build_http(builder: Self::Http) -> Result<Self, ExporterBuildError>;
}

impl OtlpClient for opentelemetry_otlp::SpanExporter {
    type Grpc = SpanExporterBuilder<TonicExporterBuilderSet>;
    type Http = SpanExporterBuilder<HttpExporterBuilderSet>;
    fn grpc() -> Self::Grpc {
        Self::builder().with_tonic()
    }
    fn http() -> Self::Http {
        Self::builder().with_http()
    }
    fn build_grpc(builder: Self::Grpc) -> Result<Self, ExporterBuildError> {
        builder.build()
    }
    fn build_http(builder: Self::Http) -> Result<Self, ExporterBuildError> {
        builder.build()
    }
}

/// The client `settings` describe, over the transport they choose, with
/// the runtime that will drive it.
pub(crate) fn connect<C: OtlpClient>(settings: &OtlpTarget) -> Result<(C, ExportRuntime), InitError> {
    let tls = settings.tls.load()?;
    let runtime = ExportRuntime::new()?;
    let client = runtime
        .build(|| {
            let built = match settings.protocol {
                Protocol::Grpc => C::build_grpc(grpc_configured(C::grpc(), settings, &tls)?),
                Protocol::HttpProtobuf | Protocol::HttpJson => {
                    C::build_http(http_configured(C::http(), settings, &tls)?)
                }
            };
            built.map_err(|error| error.to_string())
        })
        .map_err(InitError::Exporter)?;
    Ok((client, runtime))
}

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
    pub(crate) fn export(&self, timeout: Duration, export: impl Future<Output = OTelSdkResult>) -> OTelSdkResult {
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

/// An OTLP/gRPC exporter's builder (for spans or metrics) set up with the
/// endpoint, timeout, metadata, TLS and compression of `settings`.
#[cfg_attr(not(feature = "tls"), allow(unused_variables))]
fn grpc_configured<B: WithExportConfig + WithTonicConfig>(
    builder: B,
    settings: &OtlpTarget,
    tls: &TlsPem,
) -> Result<B, String> {
    let url = settings.url();
    let mut headers = http::HeaderMap::new();
    for (key, value) in &settings.headers {
        let name = key.parse::<http::HeaderName>().map_err(|_| format!("invalid header name {key:?}"))?;
        // The value is a secret: the error names only its header.
        let value = value.0.parse().map_err(|_| format!("invalid value for header {key:?}"))?;
        headers.insert(name, value);
    }
    let metadata = opentelemetry_otlp::tonic_types::metadata::MetadataMap::from_headers(headers);
    #[cfg(feature = "tls")]
    let https = url.starts_with("https://");
    let builder = builder.with_endpoint(url).with_timeout(settings.timeout).with_metadata(metadata);
    #[cfg(feature = "tls")]
    let builder = if https { builder.with_tls_config(super::tls::grpc(tls)) } else { builder };
    Ok(match settings.compression {
        Compression::Gzip => builder.with_compression(opentelemetry_otlp::Compression::Gzip),
        Compression::None => builder,
    })
}

/// An OTLP/HTTP exporter's builder set up likewise, with tracekit's HTTP client.
fn http_configured<B: WithExportConfig + WithHttpConfig>(
    builder: B,
    settings: &OtlpTarget,
    tls: &TlsPem,
) -> Result<B, String> {
    let protocol = match settings.protocol {
        Protocol::HttpJson => opentelemetry_otlp::Protocol::HttpJson,
        _ => opentelemetry_otlp::Protocol::HttpBinary,
    };
    let headers: HashMap<String, String> =
        settings.headers.iter().map(|(key, value)| (key.clone(), value.0.clone())).collect();
    let builder = builder
        .with_endpoint(settings.url())
        .with_protocol(protocol)
        .with_timeout(settings.timeout)
        .with_headers(headers)
        .with_http_client(http_client(settings.timeout, tls)?);
    Ok(match settings.compression {
        Compression::Gzip => builder.with_compression(opentelemetry_otlp::Compression::Gzip),
        Compression::None => builder,
    })
}

/// The HTTP/1 client of a build without TLS (`https://` is refused before this).
#[cfg(not(feature = "tls"))]
fn http_client(timeout: Duration, _tls: &TlsPem) -> Result<impl opentelemetry_http::HttpClient + 'static, String> {
    Ok(opentelemetry_http::hyper::HyperClient::with_default_connector(timeout, None))
}

#[cfg(feature = "tls")]
use super::tls::http_client;

impl SpanExporter for OtlpExporter {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        // Called on the batch processor's own thread, never on a runtime's;
        // the processor counts and reports what fails.
        let result = self.runtime.export(self.export_timeout, self.exporter.export(batch));
        match (result, &self.credentials) {
            (Err(error), Some(credentials)) => {
                Err(OTelSdkError::InternalFailure(error.to_string().replace(credentials.as_str(), "")))
            }
            (result, _) => result,
        }
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.exporter.shutdown_with_timeout(timeout)
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.exporter.force_flush()
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.exporter.set_resource(resource);
    }
}
