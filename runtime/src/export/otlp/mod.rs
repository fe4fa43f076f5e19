//! OTLP: the span exporter (feature `otlp`), which encodes tracekit's
//! spans itself and sends them with its own transport; `opentelemetry-otlp`'s
//! clients for metrics; and the settings, which configuration reads in
//! every build.

#[cfg(feature = "otlp")]
mod encode;
#[cfg(feature = "otlp")]
mod export_runtime;
#[cfg(feature = "otlp")]
mod exporter;
#[cfg(all(feature = "otlp", feature = "metrics"))]
mod sdk_client;
mod settings;
#[cfg(feature = "tls")]
mod tls;
#[cfg(feature = "otlp")]
mod transport;
#[cfg(feature = "otlp")]
mod wire;

#[cfg(all(feature = "otlp", feature = "metrics"))]
pub(crate) use export_runtime::ExportRuntime;
#[cfg(feature = "otlp")]
pub(crate) use exporter::OtlpExporter;
#[cfg(all(feature = "otlp", feature = "metrics"))]
pub(crate) use sdk_client::{connect, OtlpClient};
#[cfg(feature = "otlp")]
pub(crate) use settings::shown_url;
pub(crate) use settings::OtlpTarget;
pub(crate) use settings::{
    check_jaeger_port, check_scheme_compiled, is_endpoint_url, Endpoint, PemFile, Secret, Signal, ENDPOINT_EXPECTED,
};
pub use settings::{Compression, OtlpSettings, Protocol};
