//! OTLP: the exporter (feature `otlp`) and its settings, which
//! configuration reads in every build.

#[cfg(feature = "otlp")]
mod exporter;
mod settings;
#[cfg(feature = "tls")]
mod tls;

#[cfg(feature = "otlp")]
pub(crate) use exporter::OtlpExporter;
#[cfg(all(feature = "otlp", feature = "metrics"))]
pub(crate) use exporter::{grpc_configured, http_configured, ExportRuntime};
#[cfg(feature = "otlp")]
pub(crate) use settings::shown_url;
pub(crate) use settings::{
    check_endpoint, check_jaeger_port, check_scheme_compiled, is_endpoint_url, port_of, Endpoint, OtlpSettings,
    PemFile, Secret, Signal, ENDPOINT_EXPECTED,
};
pub use settings::{Compression, Protocol};
