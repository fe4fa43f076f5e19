//! The exporters written for tracekit: the console's readable output, and
//! memory for tests. OTLP comes from `opentelemetry-otlp`.

mod console;
mod memory;

pub(crate) use console::ConsoleExporter;
pub(crate) use memory::{MemoryExporter, SpanStore};
