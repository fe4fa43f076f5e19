//! What `trace_performance` reports when a call runs past its threshold.

use super::diagnostics::{self, LogLevel};
use super::open::OpenSpan;
use crate::keys::{DURATION_MS, THRESHOLD_EXCEEDED, THRESHOLD_MS};
use opentelemetry::KeyValue;
use std::time::{Duration, SystemTime};

/// `at` is the end of the call, when the event is stamped: at the span's
/// end, not after it.
pub(crate) fn threshold_exceeded(
    operation: &str,
    elapsed: Duration,
    threshold: Duration,
    open: Option<&OpenSpan>,
    at: SystemTime,
) {
    let duration_ms = elapsed.as_secs_f64() * 1000.0;
    let threshold_ms = i64::try_from(threshold.as_millis()).unwrap_or(i64::MAX);
    diagnostics::say(
        LogLevel::Warn,
        "tracekit::performance",
        || format!("{operation} took {duration_ms:.1} ms, over its {threshold_ms} ms threshold"),
        |message| {
            // The field as a person would write it: to the hundredth of a millisecond.
            let duration_ms = (duration_ms * 100.0).round() / 100.0;
            tracing::warn!(target: "tracekit::performance", operation, duration_ms, threshold_ms, "{message}");
        },
    );
    if let Some(open) = open {
        let span = open.span();
        if span.is_recording() {
            let attributes = vec![KeyValue::new(THRESHOLD_MS, threshold_ms), KeyValue::new(DURATION_MS, duration_ms)];
            span.set_attributes(attributes.clone());
            span.add_event_with_timestamp(THRESHOLD_EXCEEDED, at, attributes);
        }
    }
}
