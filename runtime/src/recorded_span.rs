//! tracekit's own span: the exported form (`SpanData`) filled in place while
//! the span runs, and handed to its pipeline's processor when it ends.
//!
//! It does what the SDK's span does for a span tracekit starts, minus what
//! tracekit's pipelines never need per span: a tracer clone, processors
//! called at start, a second copy of the data at the end. It enforces the
//! same limits the same way, so what is exported is identical.

use crate::pipeline::Pipeline;
use opentelemetry::trace::{Event, Link, SpanContext, Status};
use opentelemetry::KeyValue;
use opentelemetry_sdk::trace::SpanData;
use std::borrow::Cow;
use std::sync::Arc;
use std::time::SystemTime;

/// A recorded span of a tracekit pipeline; ends (and is exported) on
/// `end` or when dropped, whichever comes first.
pub(crate) struct RecordedSpan {
    context: SpanContext,
    /// `None` once ended.
    data: Option<SpanData>,
    pipeline: Arc<Pipeline>,
}

impl RecordedSpan {
    pub(crate) fn new(data: SpanData, pipeline: Arc<Pipeline>) -> Self {
        RecordedSpan { context: data.span_context.clone(), data: Some(data), pipeline }
    }

    fn finish(&mut self, end_time: SystemTime) {
        if let Some(mut data) = self.data.take() {
            data.end_time = end_time;
            self.pipeline.finish(data);
        }
    }
}

impl opentelemetry::trace::Span for RecordedSpan {
    fn add_event_with_timestamp<T>(&mut self, name: T, timestamp: SystemTime, mut attributes: Vec<KeyValue>)
    where
        T: Into<Cow<'static, str>>,
    {
        let limits = self.pipeline.limits();
        let Some(data) = self.data.as_mut() else { return };
        if data.events.len() < limits.max_events_per_span as usize {
            let dropped = attributes.len().saturating_sub(limits.max_attributes_per_event as usize);
            attributes.truncate(limits.max_attributes_per_event as usize);
            data.events.events.push(Event::new(name, timestamp, attributes, dropped as u32));
        } else {
            data.events.dropped_count += 1;
        }
    }

    fn span_context(&self) -> &SpanContext {
        &self.context
    }

    fn is_recording(&self) -> bool {
        self.data.is_some()
    }

    fn set_attribute(&mut self, attribute: KeyValue) {
        let limit = self.pipeline.limits().max_attributes_per_span as usize;
        let Some(data) = self.data.as_mut() else { return };
        if data.attributes.len() < limit {
            data.attributes.push(attribute);
        } else {
            data.dropped_attributes_count += 1;
        }
    }

    fn set_status(&mut self, status: Status) {
        // Ok > Error > Unset: a status never goes back down, as in the SDK.
        if let Some(data) = self.data.as_mut() {
            if status > data.status {
                data.status = status;
            }
        }
    }

    fn update_name<T>(&mut self, new_name: T)
    where
        T: Into<Cow<'static, str>>,
    {
        if let Some(data) = self.data.as_mut() {
            data.name = new_name.into();
        }
    }

    fn add_link(&mut self, span_context: SpanContext, mut attributes: Vec<KeyValue>) {
        let limits = self.pipeline.limits();
        let Some(data) = self.data.as_mut() else { return };
        if data.links.links.len() < limits.max_links_per_span as usize {
            let dropped = attributes.len().saturating_sub(limits.max_attributes_per_link as usize);
            attributes.truncate(limits.max_attributes_per_link as usize);
            data.links.links.push(Link::new(span_context, attributes, dropped as u32));
        } else {
            data.links.dropped_count += 1;
        }
    }

    fn end_with_timestamp(&mut self, timestamp: SystemTime) {
        self.finish(timestamp);
    }
}

impl Drop for RecordedSpan {
    fn drop(&mut self) {
        if self.data.is_some() {
            self.finish(opentelemetry::time::now());
        }
    }
}
