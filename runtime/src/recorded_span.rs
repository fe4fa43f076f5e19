//! tracekit's own span: a compact record filled in place while the span
//! runs, handed to its pipeline when it ends, and turned into the SDK's
//! `SpanData` only on the way to the exporter (for batches, on the export
//! thread).
//!
//! It does what the SDK's span does for a span tracekit starts, minus what
//! tracekit's pipelines never need per span: a tracer clone, processors
//! called at start, the instrumentation scope and code location copied into
//! every span while it runs. It enforces the same limits the same way, so
//! what is exported is identical. The record sits in a box of its own,
//! recycled (see `recycle`), so that what moves into the `Context` and
//! through the export queue is small.

use crate::__private::Callsite;
use crate::exporter::Exportable;
use crate::pipeline::Pipeline;
use opentelemetry::trace::{Event, Link, SpanContext, SpanId, SpanKind, Status};
use opentelemetry::{InstrumentationScope, KeyValue};
use opentelemetry_sdk::trace::{SpanData, SpanEvents, SpanLinks};
use std::borrow::Cow;
use std::sync::{Arc, LazyLock};
use std::time::SystemTime;

/// A recorded span of a tracekit pipeline; ends (and is exported) on
/// `end` or when dropped, whichever comes first.
pub(crate) struct RecordedSpan {
    context: SpanContext,
    /// `None` once ended.
    record: Option<Box<SpanRecord>>,
    pipeline: Arc<Pipeline>,
}

/// What a span has recorded: `SpanData` without its context and without
/// what is the same for every span of a callsite or pipeline.
pub(crate) struct SpanRecord {
    pub(crate) parent_span_id: SpanId,
    pub(crate) parent_span_is_remote: bool,
    pub(crate) kind: SpanKind,
    pub(crate) name: Cow<'static, str>,
    /// The annotated function, whose code location is added on export. It
    /// comes first and counts against the attribute limit, as if recorded
    /// when the span started.
    pub(crate) code: Option<&'static Callsite>,
    pub(crate) start_time: SystemTime,
    pub(crate) end_time: SystemTime,
    pub(crate) attributes: Vec<KeyValue>,
    pub(crate) dropped_attributes_count: u32,
    /// Events and links, which most spans never have.
    pub(crate) extras: Option<Box<Extras>>,
    pub(crate) status: Status,
}

#[derive(Default)]
pub(crate) struct Extras {
    events: SpanEvents,
    links: SpanLinks,
}

/// A span that has ended, on its way to the exporter.
pub(crate) struct FinishedSpan {
    context: SpanContext,
    record: Box<SpanRecord>,
}

/// The instrumentation scope of every span tracekit makes.
pub(crate) static SCOPE: LazyLock<InstrumentationScope> =
    LazyLock::new(|| InstrumentationScope::builder("tracekit").with_version(env!("CARGO_PKG_VERSION")).build());

impl SpanRecord {
    /// How many attributes the code location takes.
    fn code_attributes(&self) -> usize {
        if self.code.is_some() {
            Callsite::CODE_ATTRIBUTES
        } else {
            0
        }
    }

    fn extras(&mut self) -> &mut Extras {
        self.extras.get_or_insert_with(Box::default)
    }

    /// A record with nothing in it, to fill in place.
    #[cfg(test)]
    pub(crate) fn empty() -> Self {
        SpanRecord {
            parent_span_id: SpanId::INVALID,
            parent_span_is_remote: false,
            kind: SpanKind::Internal,
            name: Cow::Borrowed(""),
            code: None,
            start_time: SystemTime::UNIX_EPOCH,
            end_time: SystemTime::UNIX_EPOCH,
            attributes: Vec::new(),
            dropped_attributes_count: 0,
            extras: None,
            status: Status::Unset,
        }
    }
}

impl Exportable for FinishedSpan {
    fn is_sampled(&self) -> bool {
        self.context.is_sampled()
    }

    fn into_span_data(self) -> SpanData {
        let FinishedSpan { context, mut record } = self;
        let mut recorded = std::mem::take(&mut record.attributes);
        let attributes = match record.code {
            Some(code) => {
                let attributes = code.code_attributes_then(&mut recorded, 0);
                crate::recycle::give(recorded);
                attributes
            }
            None => recorded,
        };
        let Extras { events, links } = record.extras.take().map(|extras| *extras).unwrap_or_default();
        let span = SpanData {
            span_context: context,
            parent_span_id: record.parent_span_id,
            parent_span_is_remote: record.parent_span_is_remote,
            span_kind: record.kind.clone(),
            name: std::mem::take(&mut record.name),
            start_time: record.start_time,
            end_time: record.end_time,
            attributes,
            dropped_attributes_count: record.dropped_attributes_count,
            events,
            links,
            status: std::mem::take(&mut record.status),
            instrumentation_scope: SCOPE.clone(),
        };
        crate::recycle::give_record(record);
        span
    }
}

impl RecordedSpan {
    pub(crate) fn new(context: SpanContext, record: SpanRecord, pipeline: Arc<Pipeline>) -> Self {
        RecordedSpan { context, record: Some(crate::recycle::take_record(record)), pipeline }
    }

    fn finish(&mut self, end_time: SystemTime) {
        if let Some(mut record) = self.record.take() {
            record.end_time = end_time;
            self.pipeline.finish(FinishedSpan { context: self.context.clone(), record });
        }
    }
}

impl opentelemetry::trace::Span for RecordedSpan {
    fn add_event_with_timestamp<T>(&mut self, name: T, timestamp: SystemTime, mut attributes: Vec<KeyValue>)
    where
        T: Into<Cow<'static, str>>,
    {
        let limits = self.pipeline.limits();
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
        let limit = self.pipeline.limits().max_attributes_per_span as usize;
        let Some(record) = self.record.as_mut() else { return };
        if record.attributes.len() + record.code_attributes() < limit {
            if record.attributes.capacity() == 0 {
                record.attributes = crate::recycle::take();
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
        let limits = self.pipeline.limits();
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
            self.finish(crate::clock::now());
        }
    }
}
