//! Shared pieces of the benchmarks: exporters and reporters that count what
//! they receive, so that every benchmark can check that nothing was dropped.

use opentelemetry_sdk::trace::{
    BatchConfigBuilder, BatchSpanProcessor, Sampler, SdkTracerProvider, SpanData, SpanExporter,
};
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

/// The SDK's provider with its batch processor into `counter`: queues of
/// `queue` spans (larger than what a benchmark makes between two drains,
/// so that nothing is dropped), batches of 512, exports every 50 ms.
pub fn batch_provider(sampler: Sampler, counter: &CountingExporter, queue: usize) -> SdkTracerProvider {
    let config = BatchConfigBuilder::default()
        .with_max_queue_size(queue)
        .with_max_export_batch_size(512)
        .with_scheduled_delay(std::time::Duration::from_millis(50))
        .build();
    let processor = BatchSpanProcessor::builder(counter.clone()).with_batch_config(config).build();
    SdkTracerProvider::builder().with_sampler(sampler).with_span_processor(processor).build()
}
