//! Shared pieces of the benchmarks: exporters and reporters that count what
//! they receive, so that every benchmark can check that nothing was dropped.

use opentelemetry_sdk::trace::{
    BatchConfigBuilder, BatchSpanProcessor, Sampler, SdkTracerProvider, SpanData, SpanExporter,
};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

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

/// A counting exporter that can be held: while it is, an export waits at
/// its gate, so that the export thread sleeps and takes no core. A
/// benchmark times the threads that record alone this way, then lets the
/// export go and drains what they queued.
#[derive(Clone, Debug, Default)]
pub struct HeldExporter {
    counter: CountingExporter,
    gate: Arc<Gate>,
}

/// Whether exports are held, and whether one waits at the gate.
#[derive(Debug, Default)]
struct Gate {
    state: Mutex<GateState>,
    changed: Condvar,
}

#[derive(Debug, Default)]
struct GateState {
    held: bool,
    /// Counts the releases: an export waits for the release after it came,
    /// even if the gate is held again before it wakes.
    releases: u64,
    /// The releases counted when the export waiting at the gate came.
    waiting: Option<u64>,
}

impl Gate {
    fn state(&self) -> MutexGuard<'_, GateState> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Waits for the next change of `state`.
    fn wait<'a>(&self, state: MutexGuard<'a, GateState>) -> MutexGuard<'a, GateState> {
        self.changed.wait(state).unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl HeldExporter {
    /// Holds the exports that start from now on.
    pub fn hold(&self) {
        self.gate.state().held = true;
    }

    /// Waits until an export is held at the gate: the export thread is
    /// asleep until [`HeldExporter::release`].
    pub fn wait_until_held(&self) {
        let mut state = self.gate.state();
        while state.waiting != Some(state.releases) {
            state = self.gate.wait(state);
        }
    }

    /// Lets the held export, and those after it, go.
    pub fn release(&self) {
        let mut state = self.gate.state();
        state.held = false;
        state.releases += 1;
        drop(state);
        self.gate.changed.notify_all();
    }

    /// Spans counted so far.
    pub fn count(&self) -> u64 {
        self.counter.count()
    }
}

impl SpanExporter for HeldExporter {
    async fn export(&self, batch: Vec<SpanData>) -> opentelemetry_sdk::error::OTelSdkResult {
        {
            let mut state = self.gate.state();
            if state.held {
                let came_at = state.releases;
                state.waiting = Some(came_at);
                self.gate.changed.notify_all();
                while state.releases == came_at {
                    state = self.gate.wait(state);
                }
                if state.waiting == Some(came_at) {
                    state.waiting = None;
                }
            }
        }
        self.counter.export(batch).await
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
