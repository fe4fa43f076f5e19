//! A pipeline tracekit built: sampler, limits and the way finished spans
//! reach the exporter. Spans of such a pipeline are tracekit's own
//! ([`RecordedSpan`]); the SDK's sampler, id generator, processors and
//! exporters do the rest.

use crate::__private::{Callsite, Recorder};
use crate::config::Sampler;
use crate::dispatch::Sampling;
use crate::exporter::{limit_value_lengths, BatchProcessor, Exportable};
use crate::open::{OpenSpan, SpanStart};
use crate::recorded_span::{FinishedSpan, RecordedSpan, SpanRecord};
use opentelemetry::trace::{SpanContext, SpanId, Status, TraceContextExt, TraceFlags};
use opentelemetry::Context;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{
    IdGenerator, RandomIdGenerator, Sampler as SdkSampler, SamplingDecision, SamplingResult, ShouldSample, SpanLimits,
    SpanProcessor,
};
use opentelemetry_sdk::Resource;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Where the spans of one installation (or one test capture) go.
pub(crate) struct Pipeline {
    sampler: SdkSampler,
    /// What the sampler decides before a span is built ([`dispatch::skips`]).
    known_decision: Sampling,
    /// Every span [`dispatch::skips`] lets through is sampled: the SDK's
    /// sampler is not asked.
    samples_the_rest: bool,
    limits: SpanLimits,
    /// `OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT`, applied as spans are exported.
    value_length: Option<usize>,
    export: Export,
    /// Spans that end after shutdown are not exported, as with the SDK's provider.
    shut_down: AtomicBool,
}

/// How finished spans reach the exporter.
pub(crate) enum Export {
    /// Exported as each span ends, on the thread that ends it (console, memory).
    EachSpan(Box<dyn SpanProcessor>),
    /// Queued for tracekit's batch processor, which makes the exported form
    /// on its own thread.
    Batch(BatchProcessor<FinishedSpan>),
}

impl Pipeline {
    pub(crate) fn new(
        mut export: Export,
        sampler: Sampler,
        limits: SpanLimits,
        value_length: Option<usize>,
        resource: &Resource,
    ) -> Arc<Pipeline> {
        match &mut export {
            Export::EachSpan(processor) => processor.set_resource(resource),
            Export::Batch(batch) => batch.set_resource(resource),
        }
        Arc::new(Pipeline {
            sampler: sampler.to_sdk(),
            known_decision: sampler.known_decision(),
            samples_the_rest: sampler.samples_the_rest(),
            limits,
            value_length,
            export,
            shut_down: AtomicBool::new(false),
        })
    }

    pub(crate) fn known_decision(&self) -> Sampling {
        self.known_decision
    }

    pub(crate) fn limits(&self) -> &SpanLimits {
        &self.limits
    }

    /// Starts a span under `parent`, which [`dispatch::skips`] let through,
    /// as the SDK's tracer would: the parent's trace or a new one, the
    /// sampler's decision, the limits; `record` runs if it is recorded. A
    /// span dropped by sampling leaves its unsampled context current, so that
    /// what starts under it, and what is sent on from it, carries the decision.
    pub(crate) fn start(
        self: &Arc<Self>,
        parent: &Context,
        mut start: SpanStart,
        record: impl FnOnce(&mut Recorder),
    ) -> OpenSpan {
        let parent_span = parent.span();
        let parent_context = parent_span.span_context();
        let has_parent = parent_context.is_valid();
        let trace_id = if has_parent { parent_context.trace_id() } else { RandomIdGenerator::default().new_trace_id() };
        let sampling = if self.samples_the_rest {
            // As the SDK's always-on samplers decide: the parent's trace state.
            let trace_state = parent_context.trace_state().clone();
            SamplingResult { decision: SamplingDecision::RecordAndSample, attributes: Vec::new(), trace_state }
        } else {
            self.sampler.should_sample(Some(parent), trace_id, &start.name, &start.kind, &start.attributes, &[])
        };
        let flags = match sampling.decision {
            SamplingDecision::Drop | SamplingDecision::RecordOnly => TraceFlags::default(),
            SamplingDecision::RecordAndSample => TraceFlags::SAMPLED,
        };
        let span_context =
            SpanContext::new(trace_id, RandomIdGenerator::default().new_span_id(), flags, false, sampling.trace_state);
        if sampling.decision == SamplingDecision::Drop {
            return OpenSpan { cx: parent.with_remote_span_context(span_context), recording: false };
        }
        let limit = self.limits.max_attributes_per_span as usize;
        // The code location is added on export, off the calling thread, when
        // it fits the limit; otherwise now, to be cut by the limit.
        let code = start.code.take_if(|_| limit >= Callsite::CODE_ATTRIBUTES);
        let limit = limit - code.map_or(0, |_| Callsite::CODE_ATTRIBUTES);
        let mut attributes = start.attributes();
        if !sampling.attributes.is_empty() {
            attributes.extend(sampling.attributes);
        }
        // Arguments are recorded straight into the span's attributes.
        let mut recorder = Recorder::with_attributes(attributes);
        record(&mut recorder);
        let mut attributes = recorder.into_attributes();
        let dropped_attributes_count = attributes.len().saturating_sub(limit) as u32;
        attributes.truncate(limit);
        let start_time = crate::clock::now();
        let span_record = SpanRecord {
            parent_span_id: if has_parent { parent_context.span_id() } else { SpanId::INVALID },
            parent_span_is_remote: has_parent && parent_context.is_remote(),
            kind: start.kind,
            name: start.name,
            code,
            start_time,
            end_time: start_time,
            attributes,
            dropped_attributes_count,
            extras: None,
            status: Status::Unset,
        };
        let span = RecordedSpan::new(span_context, span_record, self.clone());
        OpenSpan { cx: parent.with_span(span), recording: true }
    }

    /// Takes a finished span on to the exporter.
    pub(crate) fn finish(&self, span: FinishedSpan) {
        if self.shut_down.load(Ordering::Relaxed) {
            return;
        }
        match &self.export {
            Export::EachSpan(processor) => {
                let mut span = span.into_span_data();
                limit_value_lengths(&mut span, self.value_length);
                processor.on_end(span);
            }
            Export::Batch(batch) => batch.push(span),
        }
    }

    pub(crate) fn force_flush(&self) -> OTelSdkResult {
        match &self.export {
            Export::EachSpan(processor) => processor.force_flush(),
            Export::Batch(batch) => batch.force_flush(),
        }
    }

    /// Exports what is pending, within `timeout`; spans ending later are not exported.
    pub(crate) fn shutdown(&self, timeout: Duration) -> OTelSdkResult {
        self.shut_down.store(true, Ordering::Relaxed);
        match &self.export {
            Export::EachSpan(processor) => processor.shutdown_with_timeout(timeout),
            Export::Batch(batch) => batch.shutdown_with_timeout(timeout),
        }
    }
}
