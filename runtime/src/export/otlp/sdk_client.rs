//! The clients of `opentelemetry-otlp`, for the signals tracekit does not
//! encode itself (metrics), set up from the same settings as its spans'.

use super::export_runtime::ExportRuntime;
use super::settings::{Compression, OtlpTarget, Protocol, TlsPem};
use super::transport::{header_map, http_client};
use crate::error::InitError;
use opentelemetry_otlp::{ExporterBuildError, WithExportConfig, WithHttpConfig, WithTonicConfig};
use std::collections::HashMap;

/// A signal's exporter from `opentelemetry-otlp` (metrics), whose builders
/// differ by type but take the same settings.
pub(crate) trait OtlpClient: Sized {
    type Grpc: WithExportConfig + WithTonicConfig;
    type Http: WithExportConfig + WithHttpConfig;
    fn grpc() -> Self::Grpc;
    fn http() -> Self::Http;
    fn build_grpc(builder: Self::Grpc) -> Result<Self, ExporterBuildError>;
    fn build_http(builder: Self::Http) -> Result<Self, ExporterBuildError>;
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

/// An OTLP/gRPC exporter's builder set up with the
/// endpoint, timeout, metadata, TLS and compression of `settings`.
#[cfg_attr(not(feature = "tls"), allow(unused_variables))]
fn grpc_configured<B: WithExportConfig + WithTonicConfig>(
    builder: B,
    settings: &OtlpTarget,
    tls: &TlsPem,
) -> Result<B, String> {
    let url = settings.url();
    let metadata = opentelemetry_otlp::tonic_types::metadata::MetadataMap::from_headers(header_map(settings)?);
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
