//! What a batch processor queues: a finished span, turned into the SDK's
//! `SpanData` on the export thread.

use opentelemetry_sdk::trace::SpanData;

pub(crate) trait IntoSpanData: Send + 'static {
    fn is_sampled(&self) -> bool;
    fn into_span_data(self) -> SpanData;

    /// Lets go of a span that is not exported (its queue was full, or the
    /// processor shut down): its memory goes back to be filled again where
    /// there is a way to.
    fn discard(self)
    where
        Self: Sized,
    {
        drop(self);
    }
}

impl IntoSpanData for SpanData {
    fn is_sampled(&self) -> bool {
        self.span_context.is_sampled()
    }

    fn into_span_data(self) -> SpanData {
        self
    }
}
