//! What the export thread hands its batches to: an SDK `SpanExporter`,
//! given each span as `SpanData`, or an exporter that takes the spans as
//! they were queued (OTLP, which encodes tracekit's records itself).

use crate::export::value_length::limit_value_lengths;
use crate::export::IntoSpanData;
use crate::support::panic::message_of;
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::trace::{SpanData, SpanExporter};
use opentelemetry_sdk::Resource;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::MutexGuard;
use std::time::Duration;

/// What the receiver of a batch it took said it rejected of it (OTLP's
/// partial success); an SDK exporter cannot say, and rejects nothing.
#[derive(Debug, Default)]
pub(crate) struct Rejected {
    pub(crate) spans: u64,
    /// Why, for the warnings.
    pub(crate) reason: Option<String>,
}

/// An export in two steps: a batch is made into what the exporter sends
/// (`prepare`), then sent (`send`). Export threads that share an exporter
/// prepare their batches at once, and send them one at a time: the
/// OpenTelemetry specification has an exporter's exports never overlap.
pub(crate) trait BatchExporter<T>: Send + Sync + 'static {
    /// A batch as the exporter sends it.
    type Prepared: Send;

    /// Makes a batch into what is sent. String values longer than
    /// `value_length` characters are cut (`OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT`).
    fn prepare(&self, batch: std::vec::Drain<'_, T>, value_length: Option<usize>) -> Self::Prepared;

    /// Waits until this thread may send, where the exporter is shared: the
    /// turn is held until the guard is dropped. An exporter of one export
    /// thread has no turns.
    fn wait_for_turn(&self) -> Option<MutexGuard<'_, ()>> {
        None
    }

    /// Sends one prepared batch, within this thread's turn if the exporter
    /// has turns, returning when it is done: exporters bound their own time.
    fn send(&self, batch: Self::Prepared) -> Result<Rejected, OTelSdkError>;

    fn set_resource(&mut self, resource: &Resource);
    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult;
}

impl<T: IntoSpanData, E: SpanExporter + 'static> BatchExporter<T> for E {
    type Prepared = Vec<SpanData>;

    fn prepare(&self, batch: std::vec::Drain<'_, T>, value_length: Option<usize>) -> Vec<SpanData> {
        let mut batch: Vec<SpanData> = batch.map(IntoSpanData::into_span_data).collect();
        if value_length.is_some() {
            batch.iter_mut().for_each(|span| limit_value_lengths(span, value_length));
        }
        batch
    }

    fn send(&self, batch: Vec<SpanData>) -> Result<Rejected, OTelSdkError> {
        unless_it_panics(|| futures_executor::block_on(self.export(batch)))?.map(|()| Rejected::default())
    }

    fn set_resource(&mut self, resource: &Resource) {
        // A resource the exporter could not take: its spans go without.
        let _ = unless_it_panics(|| SpanExporter::set_resource(self, resource));
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        unless_it_panics(|| SpanExporter::shutdown_with_timeout(self, timeout))?
    }
}

/// What a call into a program's exporter returned, or the error its panic
/// makes. A panic fails that call only, not the export thread, which goes
/// on with the next batches, flushes and shutdown; the panic hook has told
/// of it already. (Where panics abort the process, nothing can.)
fn unless_it_panics<R>(call: impl FnOnce() -> R) -> Result<R, OTelSdkError> {
    catch_unwind(AssertUnwindSafe(call))
        .map_err(|payload| OTelSdkError::InternalFailure(format!("the exporter panicked: {}", message_of(&*payload))))
}
