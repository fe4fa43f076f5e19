//! One exporter shared by the export threads of a pool: each prepares its
//! batches on its own, and they send in turn, as the OpenTelemetry
//! specification has an exporter's exports never overlap.

use super::exporter::{BatchExporter, Rejected};
use crate::support::locks::recover;
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::Resource;
use std::sync::{Arc, Mutex, MutexGuard, Once, RwLock, TryLockError};
use std::time::{Duration, Instant};

/// A handle on the shared exporter, one per export thread.
pub(super) struct InTurn<E> {
    shared: Arc<Turns<E>>,
}

struct Turns<E> {
    /// Written only to give it the resource, once.
    exporter: RwLock<E>,
    /// Each export thread passes the resource on at its first round: the
    /// first gives it to the exporter, the others wait for that.
    resource_given: Once,
    /// Held by the thread whose batch is being sent.
    sending: Mutex<()>,
}

impl<E> InTurn<E> {
    /// `exporter`, shared by `threads` handles.
    pub(super) fn share(exporter: E, threads: usize) -> Vec<Self> {
        let shared =
            Arc::new(Turns { exporter: RwLock::new(exporter), resource_given: Once::new(), sending: Mutex::new(()) });
        (0..threads).map(|_| InTurn { shared: shared.clone() }).collect()
    }
}

/// How long an export thread gives way before it sleeps until its turn to
/// send: a batch of 512 spans is sent in tens of microseconds where the
/// exporter only takes it, less than a sleeping thread takes to be woken
/// on a virtual machine's core; the thread that sent meanwhile prepares
/// its next batch, so a thread woken late finds the turn taken again.
const GIVE_WAY_FOR: Duration = Duration::from_micros(200);

impl<T, E: BatchExporter<T>> BatchExporter<T> for InTurn<E> {
    type Prepared = E::Prepared;

    fn prepare(&self, batch: std::vec::Drain<'_, T>, value_length: Option<usize>) -> Self::Prepared {
        recover(self.shared.exporter.read()).prepare(batch, value_length)
    }

    fn wait_for_turn(&self) -> Option<MutexGuard<'_, ()>> {
        let started = Instant::now();
        loop {
            match self.shared.sending.try_lock() {
                Ok(turn) => return Some(turn),
                Err(TryLockError::Poisoned(poisoned)) => return Some(poisoned.into_inner()),
                Err(TryLockError::WouldBlock) if started.elapsed() < GIVE_WAY_FOR => std::thread::yield_now(),
                Err(TryLockError::WouldBlock) => return Some(recover(self.shared.sending.lock())),
            }
        }
    }

    /// Called within the thread's turn (`export_in_batches`).
    fn send(&self, batch: Self::Prepared) -> Result<Rejected, OTelSdkError> {
        recover(self.shared.exporter.read()).send(batch)
    }

    fn set_resource(&mut self, resource: &Resource) {
        let shared = &self.shared;
        shared.resource_given.call_once(|| recover(shared.exporter.write()).set_resource(resource));
    }

    /// Called by the pool's last export thread to stop.
    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        recover(self.shared.exporter.read()).shutdown_with_timeout(timeout)
    }
}
