//! Log lines joined to traces: `tracing` events carry the trace and span ids
//! of the current tracekit span, so a backend can go from a log line to its
//! trace and back.
//!
//! With `tracing-subscriber` (feature `logs`, on by default), use
//! [`text`] or [`json`] as the event format:
//!
//! ```
//! tracing_subscriber::fmt().event_format(tracekit::logs::text()).init();
//! ```
//!
//! ```text
//! 2026-11-21T22:41:22.123456Z  INFO shop::orders: order accepted items=3 trace_id=4bf92f3577b34da6a3ce929d0e0e4736 span_id=00f067aa0ba902b7
//! ```
//!
//! Other loggers can add the ids themselves with [`current_ids`].

use opentelemetry::trace::{SpanId, TraceId};

/// The trace and span ids of the current span, if there is one.
///
/// ```
/// assert_eq!(tracekit::logs::current_ids(), None); // no span here
/// let ((ids, spans)) = tracekit::testing::capture(|| {
///     tracekit::span("job").in_scope(tracekit::logs::current_ids)
/// });
/// let (trace_id, span_id) = ids.unwrap();
/// assert_eq!(span_id, spans.get("job").span_id());
/// # let _ = trace_id;
/// ```
pub fn current_ids() -> Option<(TraceId, SpanId)> {
    crate::facade::stack::current_ids().map(|ids| (ids.trace_id(), ids.span_id()))
}

#[cfg(feature = "logs")]
pub use format::{json, text, TraceIdFormat};

#[cfg(feature = "logs")]
mod format {
    use super::current_ids;
    use std::fmt;
    use tracing::field::{Field, Visit};
    use tracing::{Event, Subscriber};
    use tracing_subscriber::fmt::format::Writer;
    use tracing_subscriber::fmt::time::{FormatTime, SystemTime};
    use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
    use tracing_subscriber::registry::LookupSpan;

    /// A `tracing-subscriber` event format that ends each line with the
    /// current `trace_id` and `span_id`; made by [`text`] or [`json`].
    #[derive(Clone, Copy, Debug)]
    pub struct TraceIdFormat {
        json: bool,
    }

    /// One readable line per event: time, level, target, message and fields,
    /// then `trace_id=.. span_id=..` when a span is current. Field names
    /// are coloured only when the output is a terminal and `NO_COLOR` is
    /// not set.
    ///
    /// ```
    /// let subscriber = tracing_subscriber::fmt().event_format(tracekit::logs::text()).finish();
    /// tracing::subscriber::with_default(subscriber, || tracing::info!("hello"));
    /// ```
    pub fn text() -> TraceIdFormat {
        TraceIdFormat { json: false }
    }

    /// One JSON object per event, with `timestamp`, `level`, `target`,
    /// `message`, the event's fields, and `trace_id` and `span_id` when a
    /// span is current.
    ///
    /// ```
    /// let subscriber = tracing_subscriber::fmt().event_format(tracekit::logs::json()).finish();
    /// tracing::subscriber::with_default(subscriber, || tracing::info!(items = 3, "hello"));
    /// ```
    pub fn json() -> TraceIdFormat {
        TraceIdFormat { json: true }
    }

    impl<S, N> FormatEvent<S, N> for TraceIdFormat
    where
        S: Subscriber + for<'a> LookupSpan<'a>,
        N: for<'a> FormatFields<'a> + 'static,
    {
        fn format_event(&self, ctx: &FmtContext<'_, S, N>, mut writer: Writer<'_>, event: &Event<'_>) -> fmt::Result {
            let metadata = event.metadata();
            let ids = current_ids();
            if self.json {
                let mut timestamp = String::new();
                SystemTime.format_time(&mut Writer::new(&mut timestamp))?;
                let mut fields = JsonFields(serde_json::Map::new());
                event.record(&mut fields);
                let mut object = serde_json::Map::new();
                object.insert("timestamp".into(), timestamp.into());
                object.insert("level".into(), metadata.level().as_str().into());
                object.insert("target".into(), metadata.target().into());
                object.extend(fields.0);
                if let Some((trace_id, span_id)) = ids {
                    object.insert("trace_id".into(), trace_id.to_string().into());
                    object.insert("span_id".into(), span_id.to_string().into());
                }
                writeln!(writer, "{}", serde_json::Value::Object(object))
            } else {
                SystemTime.format_time(&mut writer)?;
                write!(writer, " {:>5} {}: ", metadata.level().as_str(), metadata.target())?;
                if writer.has_ansi_escapes() && colours_allowed() {
                    ctx.format_fields(writer.by_ref(), event)?;
                } else {
                    // A writer of its own has ANSI off, whatever the subscriber's setting.
                    ctx.format_fields(Writer::new(&mut writer), event)?;
                }
                if let Some((trace_id, span_id)) = ids {
                    write!(writer, " trace_id={trace_id} span_id={span_id}")?;
                }
                writeln!(writer)
            }
        }
    }

    /// `tracing-subscriber` turns ANSI on by default even when its output is a
    /// file or a pipe; this format colours only on a terminal, without `NO_COLOR`.
    fn colours_allowed() -> bool {
        static ALLOWED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        *ALLOWED.get_or_init(|| crate::support::terminal::Style::for_terminal_logs().color)
    }

    struct JsonFields(serde_json::Map<String, serde_json::Value>);

    impl Visit for JsonFields {
        fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
            self.0.insert(field.name().into(), format!("{value:?}").into());
        }
        fn record_str(&mut self, field: &Field, value: &str) {
            self.0.insert(field.name().into(), value.into());
        }
        fn record_i64(&mut self, field: &Field, value: i64) {
            self.0.insert(field.name().into(), value.into());
        }
        fn record_u64(&mut self, field: &Field, value: u64) {
            self.0.insert(field.name().into(), value.into());
        }
        fn record_f64(&mut self, field: &Field, value: f64) {
            self.0.insert(field.name().into(), value.into());
        }
        fn record_bool(&mut self, field: &Field, value: bool) {
            self.0.insert(field.name().into(), value.into());
        }
    }
}
