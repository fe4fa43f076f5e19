//! The backend for a tracer provider the program built itself
//! (`Config::tracer_provider`): spans are the SDK's, and nothing is assumed
//! of its sampler.

use crate::facade::clock::Reading;
use crate::facade::dispatch::Backend;
use crate::facade::open::{OpenSpan, SpanStart};
use crate::facade::recorder::Recorder;
use opentelemetry::trace::{Span as _, SpanBuilder, TraceContextExt as _, Tracer as _, TracerProvider as _};
use opentelemetry::Context;
use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider};

/// The program's SDK tracer, with tracekit's instrumentation scope.
pub(crate) struct ProgramTracer(SdkTracer);

impl ProgramTracer {
    pub(crate) fn new(provider: &SdkTracerProvider) -> Self {
        ProgramTracer(provider.tracer_with_scope(super::SCOPE.clone()))
    }
}

impl Backend for ProgramTracer {
    fn skips(&self, _parent: &Context) -> bool {
        // The program's sampler decides each span.
        false
    }

    fn start(&self, parent: &Context, mut start: SpanStart, record: &mut dyn FnMut(&mut Recorder)) -> OpenSpan {
        let builder = SpanBuilder::from_name(std::mem::take(&mut start.name))
            .with_kind(start.kind.clone())
            .with_start_time(start.started.unwrap_or_else(Reading::now).wall_time())
            .with_attributes(start.attributes());
        let mut span = self.0.build_with_context(builder, parent);
        let recording = span.is_recording();
        Recorder::record_on(&mut span, record);
        OpenSpan { cx: parent.with_span(span), recording }
    }
}
