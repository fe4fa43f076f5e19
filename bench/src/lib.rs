//! Shared pieces of the benchmarks: exporters and reporters that count what
//! they receive, so that every benchmark can check that nothing was dropped.

use opentelemetry_sdk::trace::{SpanData, SpanExporter};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// An exporter that only counts spans.
#[derive(Clone, Debug, Default)]
pub struct CountingExporter(pub Arc<AtomicU64>);

impl SpanExporter for CountingExporter {
    async fn export(&self, batch: Vec<SpanData>) -> opentelemetry_sdk::error::OTelSdkResult {
        self.0.fetch_add(batch.len() as u64, Ordering::Relaxed);
        Ok(())
    }
}

impl CountingExporter {
    /// Spans counted so far.
    pub fn count(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// A fastrace reporter that only counts spans.
#[derive(Clone, Debug, Default)]
pub struct CountingReporter(pub Arc<AtomicU64>);

impl fastrace::collector::Reporter for CountingReporter {
    fn report(&mut self, spans: Vec<fastrace::collector::SpanRecord>) {
        self.0.fetch_add(spans.len() as u64, Ordering::Relaxed);
    }
}
