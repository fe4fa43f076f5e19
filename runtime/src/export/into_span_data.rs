//! What a batch processor queues: a finished span, turned into the SDK's
//! `SpanData` on the export thread.

use opentelemetry_sdk::trace::SpanData;

pub(crate) trait IntoSpanData: Send + 'static {
    fn is_sampled(&self) -> bool;
    fn into_span_data(self) -> SpanData;
}

impl IntoSpanData for SpanData {
    fn is_sampled(&self) -> bool {
        self.span_context.is_sampled()
    }

    fn into_span_data(self) -> SpanData {
        self
    }
}
