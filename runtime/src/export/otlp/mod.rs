//! OTLP: the span exporter (feature `otlp`), which encodes tracekit's
//! spans itself; the client that sends them, and the metrics too, with
//! tracekit's own transport; and the settings, which configuration reads
//! in every build.

#[cfg(feature = "otlp")]
mod client;
#[cfg(feature = "otlp")]
mod encode;
#[cfg(feature = "otlp")]
mod export_runtime;
#[cfg(feature = "otlp")]
mod exporter;
#[cfg(feature = "otlp")]
mod partial_success;
mod settings;
#[cfg(feature = "tls")]
mod tls;
#[cfg(feature = "otlp")]
mod transport;
#[cfg(feature = "otlp")]
mod wire;

#[cfg(all(feature = "otlp", feature = "metrics"))]
pub(crate) use client::OtlpClient;
#[cfg(feature = "otlp")]
pub(crate) use exporter::OtlpExporter;
#[cfg(feature = "otlp")]
pub(crate) use settings::shown_url;
pub(crate) use settings::OtlpTarget;
pub(crate) use settings::{
    check_jaeger_port, check_scheme_compiled, is_endpoint_url, Endpoint, PemFile, Secret, Signal, ENDPOINT_EXPECTED,
};
pub use settings::{Compression, OtlpSettings, Protocol};
