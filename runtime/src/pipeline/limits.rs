//! How much one span may hold (`OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT`,
//! `OTEL_SPAN_EVENT_COUNT_LIMIT`, `OTEL_SPAN_LINK_COUNT_LIMIT`,
//! `OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT`).

use opentelemetry_sdk::trace::SpanLimits;

/// Span limits, as the pipeline enforces them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Limits {
    pub(crate) attribute_count: u32,
    pub(crate) event_count: u32,
    pub(crate) link_count: u32,
    /// Applied as spans are exported, and as values are formatted.
    pub(crate) attribute_value_length: Option<usize>,
}

impl Default for Limits {
    /// The SDK's defaults.
    fn default() -> Self {
        Limits { attribute_count: 128, event_count: 128, link_count: 128, attribute_value_length: None }
    }
}

impl Limits {
    pub(crate) fn to_sdk(&self) -> SpanLimits {
        SpanLimits {
            max_attributes_per_span: self.attribute_count,
            max_events_per_span: self.event_count,
            max_links_per_span: self.link_count,
            ..SpanLimits::default()
        }
    }
}
