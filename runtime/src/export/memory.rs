#[cfg(feature = "testing")]
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::SpanData;
#[cfg(feature = "testing")]
use opentelemetry_sdk::trace::SpanExporter;
use std::sync::{Arc, Mutex, MutexGuard};

/// Finished spans, shared between an exporter and whoever reads them.
///
/// The SDK's `InMemorySpanExporter` can read and reset, but not take the
/// spans in one step; a span ending between the two would be lost.
#[derive(Clone, Debug, Default)]
#[cfg_attr(not(feature = "testing"), allow(dead_code, reason = "filled and read with `testing`"))]
pub(crate) struct SpanStore(Arc<Mutex<Vec<SpanData>>>);

#[cfg_attr(not(feature = "testing"), allow(dead_code, reason = "filled and read with `testing`"))]
impl SpanStore {
    fn lock(&self) -> MutexGuard<'_, Vec<SpanData>> {
        crate::support::locks::recover(self.0.lock())
    }

    pub(crate) fn snapshot(&self) -> Vec<SpanData> {
        self.lock().clone()
    }

    pub(crate) fn take(&self) -> Vec<SpanData> {
        std::mem::take(&mut *self.lock())
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.lock().len()
    }

    pub(crate) fn clear(&self) {
        self.lock().clear();
    }
}

#[cfg(feature = "testing")]
#[derive(Debug)]
pub(crate) struct MemoryExporter {
    store: SpanStore,
}

#[cfg(feature = "testing")]
impl MemoryExporter {
    pub(crate) fn new(store: SpanStore) -> Self {
        MemoryExporter { store }
    }
}

#[cfg(feature = "testing")]
impl SpanExporter for MemoryExporter {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        self.store.lock().extend(batch);
        Ok(())
    }
}
