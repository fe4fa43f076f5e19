//! The end of a pipeline: the limits its spans are held to, and how each
//! finished span reaches the exporter.

use super::queued::{EndedCall, QueuedSpan};
use super::span_record::{FinishedSpan, SpanSink};
use crate::export::ExportPool;
#[cfg(any(feature = "console", feature = "testing"))]
use crate::export::{limit_value_lengths, IntoSpanData};
use crate::facade::live::CallSpan;
use crate::support::clock::Reading;
use opentelemetry::trace::SpanId;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::SpanLimits;
#[cfg(any(feature = "console", feature = "testing"))]
use opentelemetry_sdk::trace::SpanProcessor;
use opentelemetry_sdk::Resource;
use std::borrow::Cow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// How finished spans reach the exporter.
pub(crate) enum Processor {
    /// Exported as each span ends, on the thread that ends it (console, memory).
    #[cfg(any(feature = "console", feature = "testing"))]
    Simple(Box<dyn SpanProcessor>),
    /// Queued for tracekit's batch processor, which makes the exported form
    /// on its export threads.
    Batch(ExportPool<QueuedSpan>),
}

/// A span started and not yet ended, by id, with its name.
type Started = (SpanId, Cow<'static, str>);

/// Where the spans of one pipeline go once they end: each exporter behind
/// its own processor, so that a slow collector never delays the console.
pub(crate) struct Processors {
    limits: SpanLimits,
    /// `OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT`, applied as spans are exported
    /// (the batch processor holds its own copy).
    #[cfg_attr(
        not(any(feature = "console", feature = "testing")),
        allow(dead_code, reason = "read by the exporters of each span")
    )]
    value_length: Option<usize>,
    processors: Vec<Processor>,
    /// Spans that end after shutdown are not exported, as with the SDK's provider.
    shut_down: AtomicBool,
    /// For a test capture: the spans started and not yet ended, so that a
    /// capture that returns before them can name them.
    unfinished: Option<Mutex<Vec<Started>>>,
}

impl Processors {
    pub(crate) fn new(
        mut processors: Vec<Processor>,
        limits: SpanLimits,
        value_length: Option<usize>,
        resource: &Resource,
    ) -> Self {
        for processor in &mut processors {
            match processor {
                #[cfg(any(feature = "console", feature = "testing"))]
                Processor::Simple(processor) => processor.set_resource(resource),
                Processor::Batch(batch) => batch.set_resource(resource),
            }
        }
        Processors { limits, value_length, processors, shut_down: AtomicBool::new(false), unfinished: None }
    }

    /// Keeps the names of the spans started and not yet ended (for test captures).
    #[cfg(feature = "testing")]
    pub(crate) fn track_unfinished(&mut self) {
        self.unfinished = Some(Mutex::new(Vec::new()));
    }

    /// Whether each span's start is noted (for test captures).
    pub(crate) fn notes_starts(&self) -> bool {
        self.unfinished.is_some()
    }

    /// Notes a span started, when tracking.
    #[allow(clippy::ptr_arg, reason = "a borrowed name is cloned without copying its text")]
    pub(crate) fn started(&self, span_id: SpanId, name: &Cow<'static, str>) {
        if let Some(unfinished) = &self.unfinished {
            crate::support::locks::recover(unfinished.lock()).push((span_id, name.clone()));
        }
    }

    /// Notes a call started on a lane, when tracking.
    pub(crate) fn call_started(&self, call: &CallSpan) {
        self.started(call.ids.span_id(), &Cow::Borrowed(call.callsite.name));
    }

    /// Notes a span ended, when tracking: `span_id` is read only then.
    #[inline]
    pub(crate) fn ended(&self, span_id: impl FnOnce() -> SpanId) {
        if let Some(unfinished) = &self.unfinished {
            let span_id = span_id();
            crate::support::locks::recover(unfinished.lock()).retain(|(id, _)| *id != span_id);
        }
    }

    /// The names of the spans started and not ended, when tracking.
    #[cfg(feature = "testing")]
    pub(crate) fn unfinished(&self) -> Vec<String> {
        let Some(unfinished) = &self.unfinished else { return Vec::new() };
        crate::support::locks::recover(unfinished.lock()).iter().map(|(_, name)| name.to_string()).collect()
    }
}

impl SpanSink for Processors {
    fn limits(&self) -> &SpanLimits {
        &self.limits
    }

    /// Takes a finished span on to the exporter.
    fn finish(&self, span: FinishedSpan) {
        self.queue(QueuedSpan::Record(span));
    }
}

impl Processors {
    /// Takes a finished span, or a call that ended on a lane with nothing
    /// recorded on it, on to the exporter.
    #[inline(always)]
    pub(crate) fn queue(&self, span: QueuedSpan) {
        self.ended(|| span.span_id());
        if self.is_shut_down() {
            return;
        }
        // Most pipelines have one exporter, behind a batch processor: the
        // span goes there from the caller's frame, without one of its own.
        match &self.processors[..] {
            [Processor::Batch(batch)] => batch.push(span),
            _ => self.deliver_to_each(span),
        }
    }

    /// Takes a call that ended on a lane with nothing recorded on it on to
    /// the exporter, as a compact record, if it fits one (then `true`;
    /// see [`EndedCall::fits`]). Behind one batch processor, the record is
    /// made where it is queued ([`ExportPool::push_in_place`]).
    #[inline(always)]
    pub(crate) fn queue_call(&self, call: &CallSpan, ended: Reading) -> bool {
        if !EndedCall::fits(call, 0, &self.limits) {
            return false;
        }
        match &self.processors[..] {
            [Processor::Batch(batch)] if self.unfinished.is_none() && !self.is_shut_down() => {
                batch.push_in_place(call.ids.is_sampled(), || EndedCall::of(call, ended));
            }
            _ => self.queue(QueuedSpan::Call(EndedCall::of(call, ended))),
        }
        true
    }

    /// [`Processors::queue`] with other than one batch processor.
    #[inline(never)]
    fn deliver_to_each(&self, span: QueuedSpan) {
        let Some((last, others)) = self.processors.split_last() else { return };
        // A copy for each exporter but the last, which takes the span itself.
        for processor in others {
            self.deliver(processor, span.clone());
        }
        self.deliver(last, span);
    }

    fn deliver(&self, processor: &Processor, span: QueuedSpan) {
        match processor {
            #[cfg(any(feature = "console", feature = "testing"))]
            Processor::Simple(simple) => {
                let mut span = span.into_span_data();
                limit_value_lengths(&mut span, self.value_length);
                simple.on_end(span);
            }
            Processor::Batch(batch) => batch.push(span),
        }
    }

    /// Whether the pipeline was shut down.
    pub(crate) fn is_shut_down(&self) -> bool {
        self.shut_down.load(Ordering::Relaxed)
    }

    /// Flushes every exporter, each whatever the others did.
    pub(crate) fn force_flush(&self) -> OTelSdkResult {
        let flushed: Vec<OTelSdkResult> = self
            .processors
            .iter()
            .map(|processor| match processor {
                #[cfg(any(feature = "console", feature = "testing"))]
                Processor::Simple(processor) => processor.force_flush(),
                Processor::Batch(batch) => batch.force_flush(),
            })
            .collect();
        flushed.into_iter().find(Result::is_err).unwrap_or(Ok(()))
    }

    /// Exports what is pending, within `timeout` for each exporter; spans
    /// ending later are not exported.
    pub(crate) fn shutdown(&self, timeout: Duration) -> OTelSdkResult {
        self.shut_down.store(true, Ordering::Relaxed);
        let closed: Vec<OTelSdkResult> = self
            .processors
            .iter()
            .map(|processor| match processor {
                #[cfg(any(feature = "console", feature = "testing"))]
                Processor::Simple(processor) => processor.shutdown_with_timeout(timeout),
                Processor::Batch(batch) => batch.shutdown_with_timeout(timeout),
            })
            .collect();
        closed.into_iter().find(Result::is_err).unwrap_or(Ok(()))
    }
}
