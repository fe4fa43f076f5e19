//! An exporter the program gave (`Config::span_exporter`), kept with its
//! type erased until installation starts the batch processor in front of
//! it; the configuration that holds it can be cloned, and installed once.

use super::{BatchSettings, ExportPool, Slotted};
use crate::export::IntoSpanData;
use crate::support::locks::recover;
use opentelemetry_sdk::trace::SpanExporter;
use std::sync::{Arc, Mutex};

type StartBatch<T> = Box<dyn FnOnce(BatchSettings, Option<usize>) -> std::io::Result<ExportPool<T>> + Send>;

/// A program's exporter, waiting for its batch processor.
pub(crate) struct GivenExporter<T: Slotted>(Arc<Mutex<Option<StartBatch<T>>>>);

impl<T: IntoSpanData + Slotted> GivenExporter<T> {
    /// `exporter`, to be named `destination` in the loss warnings.
    pub(crate) fn new<E: SpanExporter + 'static>(exporter: E, destination: &'static str) -> Self {
        let start: StartBatch<T> = Box::new(move |settings, value_length| {
            ExportPool::new(exporter, settings, value_length, destination.to_owned())
        });
        GivenExporter(Arc::new(Mutex::new(Some(start))))
    }
}

impl<T: Slotted> GivenExporter<T> {
    /// The batch processor exporting to it; `None` if a clone of the
    /// configuration installed it already.
    pub(crate) fn start(
        &self,
        settings: BatchSettings,
        value_length: Option<usize>,
    ) -> Option<std::io::Result<ExportPool<T>>> {
        let start = recover(self.0.lock()).take()?;
        Some(start(settings, value_length))
    }
}

impl<T: Slotted> Clone for GivenExporter<T> {
    fn clone(&self) -> Self {
        GivenExporter(self.0.clone())
    }
}

impl<T: Slotted> std::fmt::Debug for GivenExporter<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("GivenExporter")
    }
}
