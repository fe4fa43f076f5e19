//! A failed span, as OpenTelemetry's conventions describe it.

use super::live::LiveSpan;
use crate::support::conventions::{ERROR_TYPE, EXCEPTION_MESSAGE, EXCEPTION_TYPE};
use opentelemetry::trace::Status;
use opentelemetry::KeyValue;

/// Marks a span failed the way OpenTelemetry's conventions describe: status
/// Error with the message, an `exception` event, and `error.type`.
pub(crate) fn mark_error(span: &mut LiveSpan, type_name: &'static str, message: String) {
    if !span.is_recording() {
        return;
    }
    span.set_attribute(KeyValue::new(ERROR_TYPE, type_name));
    // Stamped on tracekit's clock, as the span's start and end are, so that
    // the event falls inside the span.
    span.add_event_with_timestamp(
        "exception",
        crate::support::clock::now(),
        vec![KeyValue::new(EXCEPTION_TYPE, type_name), KeyValue::new(EXCEPTION_MESSAGE, message.clone())],
    );
    span.set_status(Status::error(message));
}

/// Marks a span failed by the panic under way, with its message.
pub(crate) fn mark_panicked(span: &mut LiveSpan) {
    mark_error(span, "panic", crate::support::panic::current_message());
}
