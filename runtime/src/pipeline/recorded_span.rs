//! tracekit's own span while it runs: its [`SpanRecord`], filled in place.
//! It does what the SDK's span does for a span tracekit starts, minus what
//! tracekit's pipelines never need per span (a tracer clone, processors
//! called at start, the instrumentation scope and code location copied
//! into every span). It enforces the same limits the same way, so what is
//! exported is identical. The record's box is the span: started, filled,
//! sent to the exporter and given back, it is never copied.

use super::span_record::{FinishedSpan, SpanRecord};
use crate::facade::live::{CallSink, Recording};
use crate::support::clock::Timestamp;
use opentelemetry::trace::{Event, Link, SpanContext, Status};
use opentelemetry::KeyValue;
use opentelemetry_sdk::trace::SpanLimits;
use std::borrow::Cow;
use std::sync::Arc;
use std::time::SystemTime;

impl SpanRecord {
    /// The limits the span is held to, while it runs.
    fn limits(&self) -> Option<&SpanLimits> {
        self.sink.as_deref().map(|sink| sink.limits())
    }

    /// Ends the span at `end_time` and sends it on; does nothing once ended.
    fn finish(self: Box<Self>, end_time: Timestamp) {
        let mut record = self;
        if let Some(sink) = record.sink.take() {
            record.end_time = end_time;
            sink.finish(FinishedSpan::new(record));
        }
    }
}

impl Recording for SpanRecord {
    fn add_event(&mut self, name: Cow<'static, str>, timestamp: SystemTime, mut attributes: Vec<KeyValue>) {
        let Some(limits) = self.limits() else { return };
        let (max_events, max_attributes) = (limits.max_events_per_span, limits.max_attributes_per_event);
        let events = &mut self.extras().events;
        if events.len() < max_events as usize {
            let dropped = attributes.len().saturating_sub(max_attributes as usize);
            attributes.truncate(max_attributes as usize);
            events.events.push(Event::new(name, timestamp, attributes, dropped as u32));
        } else {
            events.dropped_count += 1;
        }
    }

    fn is_recording(&self) -> bool {
        self.sink.is_some()
    }

    fn set_attribute(&mut self, attribute: KeyValue) {
        let Some(limits) = self.limits() else { return };
        let limit = limits.max_attributes_per_span as usize;
        if self.attributes.len() + self.code_attributes() < limit {
            if self.attributes.capacity() == 0 {
                self.attributes = crate::support::recycle::take();
            }
            self.attributes.push(attribute);
        } else {
            self.dropped_attributes_count += 1;
        }
    }

    fn set_status(&mut self, status: Status) {
        // Ok > Error > Unset: a status never goes back down, as in the SDK.
        if self.sink.is_some() && status > self.status {
            self.status = status;
        }
    }

    fn update_name(&mut self, new_name: Cow<'static, str>) {
        if self.sink.is_some() {
            self.name = new_name;
        }
    }

    fn add_link(&mut self, span_context: SpanContext, mut attributes: Vec<KeyValue>) {
        let Some(limits) = self.limits() else { return };
        let (max_links, max_attributes) = (limits.max_links_per_span, limits.max_attributes_per_link);
        let links = &mut self.extras().links;
        if links.links.len() < max_links as usize {
            let dropped = attributes.len().saturating_sub(max_attributes as usize);
            attributes.truncate(max_attributes as usize);
            links.links.push(Link::new(span_context, attributes, dropped as u32));
        } else {
            links.dropped_count += 1;
        }
    }

    fn end(self: Box<Self>, at: Timestamp) {
        self.finish(at);
    }

    fn call_sink(&self) -> Option<Arc<dyn CallSink>> {
        self.sink.clone()?.call_sink()
    }
}

impl Drop for SpanRecord {
    /// A span dropped without being ended ends now, as the SDK's does.
    fn drop(&mut self) {
        if self.sink.is_some() {
            let record = std::mem::replace(self, SpanRecord::empty());
            Box::new(record).finish(Timestamp::now());
        }
    }
}
