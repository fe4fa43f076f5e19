//! How much one span may hold (`OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT`,
//! `OTEL_SPAN_EVENT_COUNT_LIMIT`, `OTEL_SPAN_LINK_COUNT_LIMIT`,
//! `OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT`).

use opentelemetry_sdk::trace::SpanLimits;

/// How much one span may hold: attributes, events and links (past them,
/// more are dropped and counted on the span), and the length of string
/// attribute values (longer ones are cut). Set in
/// [`Config::span_limits`](crate::Config::span_limits), over what the
/// `OTEL_SPAN_*_LIMIT` and `OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT` variables said.
///
/// ```
/// let config = tracekit::Config::new().span_limits(|limits| limits.attributes(64).value_length(Some(1024)));
/// # let _ = config;
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpanLimitSettings {
    pub(crate) attribute_count: u32,
    pub(crate) event_count: u32,
    pub(crate) link_count: u32,
    /// Applied as spans are exported, and as values are formatted.
    pub(crate) attribute_value_length: Option<usize>,
}

impl Default for SpanLimitSettings {
    /// The SDK's defaults.
    fn default() -> Self {
        SpanLimitSettings { attribute_count: 128, event_count: 128, link_count: 128, attribute_value_length: None }
    }
}

impl SpanLimitSettings {
    /// Attributes per span (`OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT`, default 128).
    ///
    /// ```
    /// let config = tracekit::Config::new().span_limits(|limits| limits.attributes(32));
    /// # let _ = config;
    /// ```
    pub fn attributes(mut self, count: u32) -> Self {
        self.attribute_count = count;
        self
    }

    /// Events per span (`OTEL_SPAN_EVENT_COUNT_LIMIT`, default 128).
    ///
    /// ```
    /// let config = tracekit::Config::new().span_limits(|limits| limits.events(16));
    /// # let _ = config;
    /// ```
    pub fn events(mut self, count: u32) -> Self {
        self.event_count = count;
        self
    }

    /// Links per span (`OTEL_SPAN_LINK_COUNT_LIMIT`, default 128).
    ///
    /// ```
    /// let config = tracekit::Config::new().span_limits(|limits| limits.links(16));
    /// # let _ = config;
    /// ```
    pub fn links(mut self, count: u32) -> Self {
        self.link_count = count;
        self
    }

    /// Characters per string attribute value, longer ones cut; `None` for
    /// no limit (`OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT`, default none).
    ///
    /// ```
    /// let config = tracekit::Config::new().span_limits(|limits| limits.value_length(Some(4096)));
    /// # let _ = config;
    /// ```
    pub fn value_length(mut self, characters: Option<usize>) -> Self {
        self.attribute_value_length = characters;
        self
    }
}

impl SpanLimitSettings {
    pub(crate) fn to_sdk(&self) -> SpanLimits {
        SpanLimits {
            max_attributes_per_span: self.attribute_count,
            max_events_per_span: self.event_count,
            max_links_per_span: self.link_count,
            ..SpanLimits::default()
        }
    }
}
