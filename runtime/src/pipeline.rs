//! A pipeline tracekit built: sampler, limits and the processor that takes
//! finished spans to the exporter. Spans of such a pipeline are tracekit's
//! own ([`RecordedSpan`]); the SDK's sampler, id generator, processors and
//! exporters do the rest.

use crate::open::SpanStart;
use crate::recorded_span::RecordedSpan;
use opentelemetry::trace::{SpanContext, SpanId, Status, TraceContextExt, TraceFlags};
use opentelemetry::{Context, InstrumentationScope};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{
    IdGenerator, RandomIdGenerator, Sampler, SamplingDecision, ShouldSample, SpanData, SpanEvents, SpanLimits, SpanLinks, SpanProcessor,
};
use opentelemetry_sdk::Resource;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Where the spans of one installation (or one test capture) go.
pub(crate) struct Pipeline {
    scope: InstrumentationScope,
    sampler: Sampler,
    limits: SpanLimits,
    processor: Box<dyn SpanProcessor>,
    /// Spans that end after shutdown are not exported, as with the SDK's provider.
    shut_down: AtomicBool,
}

impl Pipeline {
    pub(crate) fn new(
        mut processor: Box<dyn SpanProcessor>,
        sampler: Sampler,
        limits: SpanLimits,
        resource: &Resource,
    ) -> Arc<Pipeline> {
        processor.set_resource(resource);
        Arc::new(Pipeline {
            scope: scope(),
            sampler,
            limits,
            processor,
            shut_down: AtomicBool::new(false),
        })
    }

    pub(crate) fn limits(&self) -> &SpanLimits {
        &self.limits
    }

    /// Starts a span under `parent`, as the SDK's tracer would: the parent's
    /// trace or a new one, the sampler's decision, the limits. `None` when
    /// the span is dropped by sampling under a parent (which stays current);
    /// a dropped root leaves an unsampled span current, so that what starts
    /// under it is dropped alike.
    pub(crate) fn start(self: &Arc<Self>, parent: &Context, mut start: SpanStart) -> StartedSpan {
        let parent_span = parent.span();
        let parent_context = parent_span.span_context();
        let has_parent = parent_context.is_valid();
        let trace_id = if has_parent { parent_context.trace_id() } else { RandomIdGenerator::default().new_trace_id() };
        let sampling =
            self.sampler.should_sample(Some(parent), trace_id, &start.name, &start.kind, &start.attributes, &[]);
        let flags = match sampling.decision {
            SamplingDecision::Drop if has_parent => return StartedSpan::Dropped,
            SamplingDecision::Drop | SamplingDecision::RecordOnly => TraceFlags::default(),
            SamplingDecision::RecordAndSample => TraceFlags::SAMPLED,
        };
        let span_context =
            SpanContext::new(trace_id, RandomIdGenerator::default().new_span_id(), flags, false, sampling.trace_state);
        if sampling.decision == SamplingDecision::Drop {
            return StartedSpan::Unsampled(span_context);
        }
        let mut attributes = start.attributes();
        attributes.extend(sampling.attributes);
        let limit = self.limits.max_attributes_per_span as usize;
        let dropped_attributes_count = attributes.len().saturating_sub(limit) as u32;
        attributes.truncate(limit);
        let start_time = opentelemetry::time::now();
        let data = SpanData {
            span_context,
            parent_span_id: if has_parent { parent_context.span_id() } else { SpanId::INVALID },
            parent_span_is_remote: has_parent && parent_context.is_remote(),
            span_kind: start.kind,
            name: start.name,
            start_time,
            end_time: start_time,
            attributes,
            dropped_attributes_count,
            events: SpanEvents::default(),
            links: SpanLinks::default(),
            status: Status::Unset,
            instrumentation_scope: self.scope.clone(),
        };
        StartedSpan::Recorded(RecordedSpan::new(data, self.clone()))
    }

    /// Takes a finished span to the exporter.
    pub(crate) fn finish(&self, span: SpanData) {
        if !self.shut_down.load(Ordering::Relaxed) {
            self.processor.on_end(span);
        }
    }

    pub(crate) fn force_flush(&self) -> OTelSdkResult {
        self.processor.force_flush()
    }

    /// Exports what is pending, within `timeout`; spans ending later are not exported.
    pub(crate) fn shutdown(&self, timeout: Duration) -> OTelSdkResult {
        self.shut_down.store(true, Ordering::Relaxed);
        self.processor.shutdown_with_timeout(timeout)
    }
}

/// What [`Pipeline::start`] made of a span.
pub(crate) enum StartedSpan {
    /// Dropped by sampling under a parent: the parent stays current.
    Dropped,
    /// A root dropped by sampling: its context is made current, unsampled.
    Unsampled(SpanContext),
    Recorded(RecordedSpan),
}

/// The instrumentation scope of every span tracekit makes.
pub(crate) fn scope() -> InstrumentationScope {
    InstrumentationScope::builder("tracekit").with_version(env!("CARGO_PKG_VERSION")).build()
}
