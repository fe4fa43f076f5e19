//! tracekit's own span while it runs: it does what the SDK's span does for a
//! span tracekit starts, minus what tracekit's pipelines never need per
//! span (a tracer clone, processors called at start, the instrumentation
//! scope and code location copied into every span). It enforces the same
//! limits the same way, so what is exported is identical. Its record sits
//! in a box of its own, so that what moves into the `Context` is small.

use super::delivery::Delivery;
use super::span_record::{FinishedSpan, SpanRecord};
use crate::facade::live::Recording;
use crate::facade::recycle::Pool;
use opentelemetry::trace::{Event, Link, SpanContext, Status};
use opentelemetry::KeyValue;
use opentelemetry_sdk::trace::SpanLimits;
use std::borrow::Cow;
use std::cell::RefCell;
use std::sync::Arc;
use std::time::SystemTime;

/// A recorded span of a tracekit pipeline; ends (and is exported) on
/// `end` or when dropped, whichever comes first. Its box is recycled.
pub(crate) struct RecordedSpan {
    context: SpanContext,
    /// `None` once ended.
    record: Option<Box<SpanRecord>>,
    /// `None` once ended, so that a recycled box keeps no pipeline alive.
    delivery: Option<Arc<Delivery>>,
}

thread_local! {
    #[allow(clippy::vec_box, reason = "the boxes themselves are what is recycled")]
    static LOCAL_SPANS: RefCell<Vec<Box<RecordedSpan>>> = const { RefCell::new(Vec::new()) };
}

static SPANS: Pool<Box<RecordedSpan>> = Pool::new(&LOCAL_SPANS);

impl RecordedSpan {
    /// A span recording into `record`, in a box reused where one is left.
    pub(crate) fn start(context: SpanContext, record: SpanRecord, delivery: Arc<Delivery>) -> Box<Self> {
        let record = Some(super::span_record::take_record(record));
        match SPANS.take() {
            Some(mut span) => {
                *span = RecordedSpan { context, record, delivery: Some(delivery) };
                span
            }
            None => Box::new(RecordedSpan { context, record, delivery: Some(delivery) }),
        }
    }

    fn finish(&mut self, end_time: SystemTime) {
        if let (Some(mut record), Some(delivery)) = (self.record.take(), self.delivery.take()) {
            record.end_time = end_time;
            delivery.finish(FinishedSpan::new(self.context.clone(), record));
        }
    }

    /// The record and the limits it is held to, while the span runs.
    fn recording(&mut self) -> Option<(&mut SpanRecord, &SpanLimits)> {
        Some((self.record.as_deref_mut()?, self.delivery.as_deref()?.limits()))
    }
}

impl Recording for RecordedSpan {
    fn add_event(&mut self, name: Cow<'static, str>, timestamp: SystemTime, mut attributes: Vec<KeyValue>) {
        let Some((record, limits)) = self.recording() else { return };
        let (max_events, max_attributes) = (limits.max_events_per_span, limits.max_attributes_per_event);
        let events = &mut record.extras().events;
        if events.len() < max_events as usize {
            let dropped = attributes.len().saturating_sub(max_attributes as usize);
            attributes.truncate(max_attributes as usize);
            events.events.push(Event::new(name, timestamp, attributes, dropped as u32));
        } else {
            events.dropped_count += 1;
        }
    }

    fn is_recording(&self) -> bool {
        self.record.is_some()
    }

    fn set_attribute(&mut self, attribute: KeyValue) {
        let Some((record, limits)) = self.recording() else { return };
        let limit = limits.max_attributes_per_span as usize;
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

    fn update_name(&mut self, new_name: Cow<'static, str>) {
        if let Some(record) = self.record.as_mut() {
            record.name = new_name;
        }
    }

    fn add_link(&mut self, span_context: SpanContext, mut attributes: Vec<KeyValue>) {
        let Some((record, limits)) = self.recording() else { return };
        let (max_links, max_attributes) = (limits.max_links_per_span, limits.max_attributes_per_link);
        let links = &mut record.extras().links;
        if links.links.len() < max_links as usize {
            let dropped = attributes.len().saturating_sub(max_attributes as usize);
            attributes.truncate(max_attributes as usize);
            links.links.push(Link::new(span_context, attributes, dropped as u32));
        } else {
            links.dropped_count += 1;
        }
    }

    fn end(mut self: Box<Self>, at: SystemTime) {
        self.finish(at);
        SPANS.give(self);
    }
}

impl Drop for RecordedSpan {
    fn drop(&mut self) {
        if self.record.is_some() {
            self.finish(crate::facade::clock::now());
        }
    }
}
