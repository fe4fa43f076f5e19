//! One exporter shared by the export threads of a pool: each prepares its
//! batches on its own, and they send in turn, as the OpenTelemetry
//! specification has an exporter's exports never overlap.

use super::exporter::{BatchExporter, Rejected};
use crate::support::locks::recover;
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::Resource;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

/// A handle on the shared exporter, one per export thread.
pub(super) struct InTurn<E> {
    shared: Arc<Turns<E>>,
}

struct Turns<E> {
    /// Written only to give it the resource, before the first export.
    exporter: RwLock<E>,
    /// Held by the thread whose batch is being sent.
    sending: Mutex<()>,
    /// Export threads that have not shut down: the last one shuts the
    /// exporter down.
    running: AtomicUsize,
}

impl<E> InTurn<E> {
    /// `exporter`, shared by `threads` handles.
    pub(super) fn share(exporter: E, threads: usize) -> Vec<Self> {
        let shared = Arc::new(Turns {
            exporter: RwLock::new(exporter),
            sending: Mutex::new(()),
            running: AtomicUsize::new(threads),
        });
        (0..threads).map(|_| InTurn { shared: shared.clone() }).collect()
    }
}

impl<T, E: BatchExporter<T>> BatchExporter<T> for InTurn<E> {
    type Prepared = E::Prepared;

    fn prepare(&self, batch: std::vec::Drain<'_, T>, value_length: Option<usize>) -> Self::Prepared {
        recover(self.shared.exporter.read()).prepare(batch, value_length)
    }

    fn send(&self, batch: Self::Prepared) -> Result<Rejected, OTelSdkError> {
        let _turn = recover(self.shared.sending.lock());
        recover(self.shared.exporter.read()).send(batch)
    }

    fn set_resource(&mut self, resource: &Resource) {
        recover(self.shared.exporter.write()).set_resource(resource);
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        match self.shared.running.fetch_sub(1, Ordering::AcqRel) {
            1 => recover(self.shared.exporter.read()).shutdown_with_timeout(timeout),
            _ => Ok(()),
        }
    }
}
