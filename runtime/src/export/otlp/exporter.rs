//! OTLP export through `opentelemetry-otlp`, over gRPC or HTTP.
//!
//! The OTLP clients (tonic, hyper) need a tokio runtime. Rather than
//! depend on the program's (there may be none, or it may be shutting down
//! when the last spans are flushed), exports run on a small runtime of
//! tracekit's own, driven by the batch processor's export thread.

use super::settings::{credentials, Compression, OtlpSettings, Protocol, TlsPem};
use crate::error::InitError;
use opentelemetry_otlp::{WithExportConfig, WithHttpConfig, WithTonicConfig};
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::trace::{SpanData, SpanExporter};
use opentelemetry_sdk::Resource;
use std::collections::HashMap;
use std::time::Duration;

#[derive(Debug)]
pub(crate) struct OtlpExporter {
    exporter: opentelemetry_otlp::SpanExporter,
    /// `OTEL_BSP_EXPORT_TIMEOUT`: the SDK's thread-based batch processor does
    /// not bound an export itself.
    export_timeout: Duration,
    /// The `user:password@` of the endpoint, if any, kept out of errors.
    credentials: Option<String>,
    /// Always `Some` until dropped.
    runtime: Option<tokio::runtime::Runtime>,
}

impl OtlpExporter {
    pub(crate) fn new(settings: &OtlpSettings, export_timeout: Duration) -> Result<Self, InitError> {
        let tls = settings.tls.load()?;
        // Driven by the batch processor's thread, which blocks on each export.
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|error| InitError::Exporter(format!("cannot start the OTLP export thread: {error}")))?;
        // The gRPC channel is created lazily, on the runtime that will drive it.
        let exporter = {
            let _context = runtime.enter();
            build(settings, &tls).map_err(InitError::Exporter)?
        };
        let credentials = credentials(&settings.url()).map(str::to_owned);
        Ok(OtlpExporter { exporter, export_timeout, credentials, runtime: Some(runtime) })
    }

    fn runtime(&self) -> &tokio::runtime::Runtime {
        self.runtime.as_ref().expect("the runtime lives until the exporter is dropped")
    }
}

#[cfg_attr(not(feature = "tls"), allow(unused_variables))]
fn build(settings: &OtlpSettings, tls: &TlsPem) -> Result<opentelemetry_otlp::SpanExporter, String> {
    let url = settings.url();
    #[cfg(feature = "tls")]
    let https = url.starts_with("https://");
    let result = match settings.protocol {
        Protocol::Grpc => {
            let mut headers = http::HeaderMap::new();
            for (key, value) in &settings.headers {
                let name = key.parse::<http::HeaderName>().map_err(|_| format!("invalid header name {key:?}"))?;
                // The value is a secret: the error names only its header.
                let value = value.0.parse().map_err(|_| format!("invalid value for header {key:?}"))?;
                headers.insert(name, value);
            }
            let metadata = opentelemetry_otlp::tonic_types::metadata::MetadataMap::from_headers(headers);
            let builder = opentelemetry_otlp::SpanExporter::builder()
                .with_tonic()
                .with_endpoint(url)
                .with_timeout(settings.timeout)
                .with_metadata(metadata);
            #[cfg(feature = "tls")]
            let builder = if https { builder.with_tls_config(super::tls::grpc(tls)) } else { builder };
            match settings.compression {
                Compression::Gzip => builder.with_compression(opentelemetry_otlp::Compression::Gzip).build(),
                Compression::None => builder.build(),
            }
        }
        Protocol::HttpProtobuf | Protocol::HttpJson => {
            let protocol = match settings.protocol {
                Protocol::HttpJson => opentelemetry_otlp::Protocol::HttpJson,
                _ => opentelemetry_otlp::Protocol::HttpBinary,
            };
            let headers: HashMap<String, String> =
                settings.headers.iter().map(|(key, value)| (key.clone(), value.0.clone())).collect();
            let builder = opentelemetry_otlp::SpanExporter::builder()
                .with_http()
                .with_endpoint(url)
                .with_protocol(protocol)
                .with_timeout(settings.timeout)
                .with_headers(headers)
                .with_http_client(http_client(settings.timeout, tls)?);
            match settings.compression {
                Compression::Gzip => builder.with_compression(opentelemetry_otlp::Compression::Gzip).build(),
                Compression::None => builder.build(),
            }
        }
    };
    result.map_err(|error| error.to_string())
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
        let export = async { tokio::time::timeout(self.export_timeout, self.exporter.export(batch)).await };
        let result = self.runtime().block_on(export).unwrap_or(Err(OTelSdkError::Timeout(self.export_timeout)));
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

impl Drop for OtlpExporter {
    fn drop(&mut self) {
        // Dropping a runtime blocks, which panics inside an async context;
        // nothing is left to wait for once the exporter goes.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}
