//! The exporters, each with its settings: the console's readable output,
//! memory for tests, and OTLP (encoded and sent by tracekit) on a runtime
//! of its own, behind a batch processor that counts what it loses.

pub(crate) mod batch;
pub(crate) mod console;
mod exporters;
mod into_span_data;
mod memory;
pub(crate) mod otlp;
#[cfg(any(feature = "console", feature = "testing"))]
pub(crate) mod render;
mod scope;
mod span_parts;
pub(crate) mod stats;
mod value_length;

pub(crate) use batch::ExportPool;
#[cfg(feature = "console")]
pub(crate) use console::ConsoleExporter;
pub use exporters::Exporter;
pub(crate) use into_span_data::IntoSpanData;
#[cfg(feature = "testing")]
pub(crate) use memory::MemoryExporter;
pub(crate) use memory::SpanStore;
#[cfg(feature = "otlp")]
pub(crate) use otlp::OtlpExporter;
pub(crate) use scope::scope;
pub(crate) use span_parts::{IntoSpanParts, SpanParts};
#[cfg(any(feature = "console", feature = "testing"))]
pub(crate) use value_length::limit_value_lengths;
