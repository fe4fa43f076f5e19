//! tracekit's own span while it runs: it does what the SDK's span does for a
//! span tracekit starts, minus what tracekit's pipelines never need per
//! span (a tracer clone, processors called at start, the instrumentation
//! scope and code location copied into every span). It enforces the same
//! limits the same way, so what is exported is identical. Its record sits
//! in a box of its own, so that what moves into the `Context` is small.

use super::delivery::Delivery;
use super::span_record::{FinishedSpan, SpanRecord};
use opentelemetry::trace::{Event, Link, SpanContext, Status};
use opentelemetry::KeyValue;
use std::borrow::Cow;
use std::sync::Arc;
use std::time::SystemTime;

/// A recorded span of a tracekit pipeline; ends (and is exported) on
/// `end` or when dropped, whichever comes first.
pub(crate) struct RecordedSpan {
    context: SpanContext,
    /// `None` once ended.
    record: Option<Box<SpanRecord>>,
    delivery: Arc<Delivery>,
}

impl RecordedSpan {
    pub(crate) fn new(context: SpanContext, record: SpanRecord, delivery: Arc<Delivery>) -> Self {
        RecordedSpan { context, record: Some(super::span_record::take_record(record)), delivery }
    }

    fn finish(&mut self, end_time: SystemTime) {
        if let Some(mut record) = self.record.take() {
            record.end_time = end_time;
            self.delivery.finish(FinishedSpan::new(self.context.clone(), record));
        }
    }
}

impl opentelemetry::trace::Span for RecordedSpan {
    fn add_event_with_timestamp<T>(&mut self, name: T, timestamp: SystemTime, mut attributes: Vec<KeyValue>)
    where
        T: Into<Cow<'static, str>>,
    {
        let limits = self.delivery.limits();
        let Some(record) = self.record.as_mut() else { return };
        let events = &mut record.extras().events;
        if events.len() < limits.max_events_per_span as usize {
            let dropped = attributes.len().saturating_sub(limits.max_attributes_per_event as usize);
            attributes.truncate(limits.max_attributes_per_event as usize);
            events.events.push(Event::new(name, timestamp, attributes, dropped as u32));
        } else {
            events.dropped_count += 1;
        }
    }

    fn span_context(&self) -> &SpanContext {
        &self.context
    }

    fn is_recording(&self) -> bool {
        self.record.is_some()
    }

    fn set_attribute(&mut self, attribute: KeyValue) {
        let limit = self.delivery.limits().max_attributes_per_span as usize;
        let Some(record) = self.record.as_mut() else { return };
        if record.attributes.len() + record.code_attributes() < limit {
            if record.attributes.capacity() == 0 {
                record.attributes = crate::facade::recycle::take();
            }
            record.attributes.push(attribute);
        } else {
            record.dropped_attributes_count += 1;
        }
    }

    fn set_status(&mut self, status: Status) {
        // Ok > Error > Unset: a status never goes back down, as in the SDK.
        if let Some(record) = self.record.as_mut() {
            if status > record.status {
                record.status = status;
            }
        }
    }

    fn update_name<T>(&mut self, new_name: T)
    where
        T: Into<Cow<'static, str>>,
    {
        if let Some(record) = self.record.as_mut() {
            record.name = new_name.into();
        }
    }

    fn add_link(&mut self, span_context: SpanContext, mut attributes: Vec<KeyValue>) {
        let limits = self.delivery.limits();
        let Some(record) = self.record.as_mut() else { return };
        let links = &mut record.extras().links;
        if links.links.len() < limits.max_links_per_span as usize {
            let dropped = attributes.len().saturating_sub(limits.max_attributes_per_link as usize);
            attributes.truncate(limits.max_attributes_per_link as usize);
            links.links.push(Link::new(span_context, attributes, dropped as u32));
        } else {
            links.dropped_count += 1;
        }
    }

    fn end_with_timestamp(&mut self, timestamp: SystemTime) {
        self.finish(timestamp);
    }
}

impl Drop for RecordedSpan {
    fn drop(&mut self) {
        if self.record.is_some() {
            self.finish(crate::facade::clock::now());
        }
    }
}
