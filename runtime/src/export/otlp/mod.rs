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
pub(crate) use exporter::{connect, ExportRuntime, OtlpClient};
#[cfg(feature = "otlp")]
pub(crate) use settings::shown_url;
pub(crate) use settings::OtlpTarget;
pub(crate) use settings::{
    check_jaeger_port, check_scheme_compiled, is_endpoint_url, Endpoint, PemFile, Secret, Signal, ENDPOINT_EXPECTED,
};
pub use settings::{Compression, OtlpSettings, Protocol};
