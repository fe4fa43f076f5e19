use opentelemetry::{Context, KeyValue, StringValue, Value};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{Span, SpanData, SpanProcessor};
use opentelemetry_sdk::Resource;
use std::time::Duration;

/// `OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT`, which the SDK does not apply: string
/// values of span and event attributes are cut to the limit (in characters)
/// before the spans go on to `inner`.
#[derive(Debug)]
pub(crate) struct ValueLengthLimit<P> {
    inner: P,
    limit: Option<usize>,
}

impl<P> ValueLengthLimit<P> {
    pub(crate) fn new(inner: P, limit: Option<usize>) -> Self {
        ValueLengthLimit { inner, limit }
    }
}

fn truncate(attributes: &mut [KeyValue], limit: usize) {
    for attribute in attributes {
        if let Value::String(text) = &attribute.value {
            if let Some((cut, _)) = text.as_str().char_indices().nth(limit) {
                attribute.value = Value::String(StringValue::from(text.as_str()[..cut].to_owned()));
            }
        }
    }
}

impl<P: SpanProcessor> SpanProcessor for ValueLengthLimit<P> {
    fn on_start(&self, span: &mut Span, cx: &Context) {
        self.inner.on_start(span, cx);
    }

    fn on_end(&self, mut span: SpanData) {
        if let Some(limit) = self.limit {
            truncate(&mut span.attributes, limit);
            for event in span.events.events.iter_mut() {
                truncate(&mut event.attributes, limit);
            }
        }
        self.inner.on_end(span);
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.inner.set_resource(resource);
    }
}
