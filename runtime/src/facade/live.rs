//! A started span's state: its ids, the span being recorded (a
//! pipeline's own behind [`Recording`], or one in an OpenTelemetry
//! `Context`), and the context it carries.

use crate::support::clock::Timestamp;
use opentelemetry::trace::{SpanContext, Status, TraceContextExt as _};
use opentelemetry::{Context, KeyValue};
use std::any::Any;
use std::borrow::Cow;
use std::sync::Arc;
use std::time::SystemTime;

/// The local trace a span belongs to, as the backend that recorded it
/// keeps it (see the pipeline's `keep`): handed on to the spans started
/// under it, on this thread or carried to another. The facade only passes
/// it along.
pub(crate) type LocalTraceRef = Arc<dyn Any + Send + Sync>;

/// What a started span holds, whether it is current or not.
pub(crate) struct SpanState {
    pub(crate) ids: SpanContext,
    /// The span itself, while it is recorded and has not ended.
    pub(crate) live: Option<LiveSpan>,
    /// Made current in OpenTelemetry's `Context` while the span is current
    /// here: the values it continues (a test capture, baggage, a parent
    /// given by hand, a program tracer's span).
    pub(crate) carried: Option<Context>,
    /// The local trace of a span held for a keep decision, if any.
    pub(crate) local_trace: Option<LocalTraceRef>,
}

/// A span being recorded.
pub(crate) enum LiveSpan {
    /// A span of a tracekit pipeline.
    #[cfg_attr(not(feature = "pipeline"), allow(dead_code, reason = "made by the pipeline's backends"))]
    Recorded(Box<dyn Recording>),
    /// A span in an OpenTelemetry `Context`: one of a program's own tracer
    /// provider, or whatever OpenTelemetry code made current.
    Context(Context),
}

/// A span a backend records, as the facade sees it: what can be recorded
/// on it, and its end.
pub(crate) trait Recording: Send + Sync {
    fn is_recording(&self) -> bool;
    fn set_attribute(&mut self, attribute: KeyValue);
    fn add_event(&mut self, name: Cow<'static, str>, at: SystemTime, attributes: Vec<KeyValue>);
    fn set_status(&mut self, status: Status);
    fn update_name(&mut self, name: Cow<'static, str>);
    fn add_link(&mut self, link: SpanContext, attributes: Vec<KeyValue>);
    fn end(self: Box<Self>, at: Timestamp);
}

impl LiveSpan {
    pub(crate) fn is_recording(&self) -> bool {
        match self {
            LiveSpan::Recorded(span) => span.is_recording(),
            LiveSpan::Context(context) => context.span().is_recording(),
        }
    }

    pub(crate) fn set_attribute(&mut self, attribute: KeyValue) {
        match self {
            LiveSpan::Recorded(span) => span.set_attribute(attribute),
            LiveSpan::Context(context) => context.span().set_attribute(attribute),
        }
    }

    pub(crate) fn set_attributes(&mut self, attributes: impl IntoIterator<Item = KeyValue>) {
        for attribute in attributes {
            self.set_attribute(attribute);
        }
    }

    pub(crate) fn add_event_with_timestamp(
        &mut self,
        name: impl Into<Cow<'static, str>>,
        timestamp: SystemTime,
        attributes: Vec<KeyValue>,
    ) {
        match self {
            LiveSpan::Recorded(span) => span.add_event(name.into(), timestamp, attributes),
            LiveSpan::Context(context) => context.span().add_event_with_timestamp(name, timestamp, attributes),
        }
    }

    pub(crate) fn set_status(&mut self, status: Status) {
        match self {
            LiveSpan::Recorded(span) => span.set_status(status),
            LiveSpan::Context(context) => context.span().set_status(status),
        }
    }

    pub(crate) fn update_name(&mut self, name: Cow<'static, str>) {
        match self {
            LiveSpan::Recorded(span) => span.update_name(name),
            LiveSpan::Context(context) => context.span().update_name(name),
        }
    }

    pub(crate) fn add_link(&mut self, link: SpanContext, attributes: Vec<KeyValue>) {
        match self {
            LiveSpan::Recorded(span) => span.add_link(link, attributes),
            LiveSpan::Context(context) => context.span().add_link(link, attributes),
        }
    }

    pub(crate) fn end_with_timestamp(self, at: Timestamp) {
        match self {
            LiveSpan::Recorded(span) => span.end(at),
            LiveSpan::Context(context) => context.span().end_with_timestamp(at.wall_time()),
        }
    }
}
