//! The backend for a tracer provider the program built itself
//! (`Config::tracer_provider`): spans are the SDK's, and nothing is assumed
//! of its sampler.

use crate::facade::dispatch::Backend;
use crate::facade::live::LiveSpan;
use crate::facade::open::{OpenSpan, SpanStart};
use crate::facade::recorder::Recorder;
use crate::facade::stack::Parent;
use crate::support::clock::Reading;
use opentelemetry::trace::{Span as _, SpanBuilder, TraceContextExt as _, Tracer as _, TracerProvider as _};
use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider};

/// The program's SDK tracer, with tracekit's instrumentation scope.
pub(crate) struct ProgramTracer(SdkTracer);

impl ProgramTracer {
    pub(crate) fn new(provider: &SdkTracerProvider) -> Self {
        ProgramTracer(provider.tracer_with_scope(crate::export::scope()))
    }
}

impl Backend for ProgramTracer {
    fn skips(&self, _parent: &opentelemetry::trace::SpanContext) -> bool {
        // The program's sampler decides each span.
        false
    }

    fn start(&self, parent: &Parent, mut start: SpanStart, record: &mut dyn FnMut(&mut Recorder)) -> OpenSpan {
        let parent = parent.to_context();
        let builder = SpanBuilder::from_name(std::mem::take(&mut start.name))
            .with_kind(start.kind.clone())
            .with_start_time(start.started.unwrap_or_else(Reading::now).wall_time())
            .with_attributes(start.attributes());
        let mut span = self.0.build_with_context(builder, &parent);
        let recording = span.is_recording();
        Recorder::record_on(&mut span, record);
        // The span lives in its `Context`, which is made current with it:
        // the program's own OpenTelemetry code sees it there.
        let context = parent.with_span(span);
        let mut open = match recording {
            true => OpenSpan::recorded(context.span().span_context().clone(), LiveSpan::Context(context.clone())),
            false => OpenSpan::not_recorded(context.span().span_context().clone()),
        };
        open.carry(|| context);
        open
    }
}
