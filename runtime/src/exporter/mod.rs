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
pub(crate) use value_length::ValueLengthLimit;
