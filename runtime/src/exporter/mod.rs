//! The exporters: the console's readable output, memory for tests, and
//! OTLP (from `opentelemetry-otlp`) on a runtime of its own, behind a batch
//! processor that counts what it loses.

mod batch;
mod console;
mod memory;
mod otlp;
mod value_length;

pub(crate) use batch::BatchProcessor;
pub(crate) use console::ConsoleExporter;
pub(crate) use memory::{MemoryExporter, SpanStore};
pub(crate) use otlp::OtlpExporter;
pub(crate) use value_length::limit_value_lengths;

use opentelemetry_sdk::trace::SpanData;

/// What a batch processor queues: a finished span, turned into the SDK's
/// `SpanData` on the export thread.
pub(crate) trait Exportable: Send + 'static {
    fn is_sampled(&self) -> bool;
    fn into_span_data(self) -> SpanData;
}

impl Exportable for SpanData {
    fn is_sampled(&self) -> bool {
        self.span_context.is_sampled()
    }

    fn into_span_data(self) -> SpanData {
        self
    }
}
