use opentelemetry::{KeyValue, StringValue, Value};
use opentelemetry_sdk::trace::SpanData;

/// `OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT`, which the SDK does not apply: string
/// values of span and event attributes are cut to the limit (in characters).
pub(crate) fn limit_value_lengths(span: &mut SpanData, limit: Option<usize>) {
    let Some(limit) = limit else { return };
    truncate(&mut span.attributes, limit);
    for event in span.events.events.iter_mut() {
        truncate(&mut event.attributes, limit);
    }
}

fn truncate(attributes: &mut [KeyValue], limit: usize) {
    for attribute in attributes {
        if let Value::String(text) = &attribute.value {
            if let Some(cut) = cut_at(text.as_str(), limit) {
                attribute.value = Value::String(StringValue::from(text.as_str()[..cut].to_owned()));
            }
        }
    }
}

/// Where `text` is cut to keep `limit` characters, if it is longer.
pub(crate) fn cut_at(text: &str, limit: usize) -> Option<usize> {
    text.char_indices().nth(limit).map(|(at, _)| at)
}
