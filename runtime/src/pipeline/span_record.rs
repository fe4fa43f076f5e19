//! What a recorded span holds: a compact record filled in place while the
//! span runs, turned into the SDK's `SpanData` only on the way to the
//! exporter (for batches, on the export thread). Records are recycled as
//! attribute vectors are (see `support::recycle`): filled on the program's
//! thread, emptied on the export thread.

use crate::export::{IntoSpanData, IntoSpanParts, SpanParts};
use crate::facade::code_location::CodeLocation;
use crate::facade::live::{CallSink, CallSpan};
use crate::facade::open::ATTRIBUTE_ROOM;
use crate::support::clock::Timestamp;
use crate::support::recycle::{self, Pool};
use opentelemetry::trace::{SpanContext, SpanId, SpanKind, Status};
use opentelemetry::{KeyValue, Value};
use opentelemetry_sdk::trace::{SpanData, SpanEvents, SpanLimits, SpanLinks};
use std::borrow::Cow;
use std::cell::RefCell;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// What a span has recorded: `SpanData` without what is the same for
/// every span of a callsite or pipeline. While the span runs, it is the
/// span itself (see `recorded_span`), in a box that goes on to the
/// exporter and comes back to be filled again.
#[derive(Clone)]
pub(crate) struct SpanRecord {
    pub(crate) context: SpanContext,
    /// Where the span goes when it ends; `None` once it has ended.
    pub(crate) sink: Option<Arc<dyn SpanSink>>,
    pub(crate) parent_span_id: SpanId,
    pub(crate) parent_span_is_remote: bool,
    pub(crate) kind: SpanKind,
    pub(crate) name: Cow<'static, str>,
    /// Where the span's code is: its attributes are added on export. They
    /// come first and count against the attribute limit, as if recorded
    /// when the span started.
    pub(crate) code: Option<CodeLocation>,
    /// Turned into wall-clock time on export, off the calling thread.
    pub(crate) start_time: Timestamp,
    pub(crate) end_time: Timestamp,
    pub(crate) attributes: Vec<KeyValue>,
    pub(crate) dropped_attributes_count: u32,
    /// Events and links, which most spans never have.
    pub(crate) extras: Option<Box<Extras>>,
    pub(crate) status: Status,
}

#[derive(Clone, Default)]
pub(crate) struct Extras {
    pub(crate) events: SpanEvents,
    pub(crate) links: SpanLinks,
}

/// Where the spans of a pipeline go when they end, and the limits they
/// are held to while they run.
pub(crate) trait SpanSink: Send + Sync {
    fn limits(&self) -> &SpanLimits;
    fn finish(&self, span: FinishedSpan);
    /// The sink as the end of a lane's calls, if it is one.
    fn call_sink(self: Arc<Self>) -> Option<Arc<dyn CallSink>> {
        None
    }
}

/// A span that has ended, on its way to the exporter; cloned only when
/// several exporters take it.
#[derive(Clone)]
pub(crate) struct FinishedSpan {
    record: Box<SpanRecord>,
}

impl SpanRecord {
    /// How many attributes the code location takes.
    pub(crate) fn code_attributes(&self) -> usize {
        self.code.map_or(0, CodeLocation::len)
    }

    pub(crate) fn extras(&mut self) -> &mut Extras {
        self.extras.get_or_insert_with(Box::default)
    }

    /// A record with nothing in it, to fill in place.
    pub(crate) fn empty() -> Self {
        SpanRecord {
            context: SpanContext::empty_context(),
            sink: None,
            parent_span_id: SpanId::INVALID,
            parent_span_is_remote: false,
            kind: SpanKind::Internal,
            name: Cow::Borrowed(""),
            code: None,
            start_time: Timestamp::Given(SystemTime::UNIX_EPOCH),
            end_time: Timestamp::Given(SystemTime::UNIX_EPOCH),
            attributes: Vec::new(),
            dropped_attributes_count: 0,
            extras: None,
            status: Status::Unset,
        }
    }
}

impl IntoSpanData for FinishedSpan {
    fn is_sampled(&self) -> bool {
        self.record.context.is_sampled()
    }

    // Inlined, as are the steps it takes, so that the span is built where
    // the batch keeps it rather than copied there through the stack.
    #[inline]
    fn into_span_data(self) -> SpanData {
        self.into_parts().into_span_data()
    }

    /// A span its full queue turned away is recycled where it ended, so
    /// that a thread outrunning the exporter does not also pay the
    /// allocator for every span it records next.
    fn discard(self) {
        self.recycle();
    }
}

impl IntoSpanParts for FinishedSpan {
    #[inline]
    fn into_parts(self) -> SpanParts {
        let FinishedSpan { mut record } = self;
        let Extras { events, links } = record.extras.take().map(|extras| *extras).unwrap_or_default();
        let (start_time, end_time) = record.start_time.wall_times(record.end_time);
        let parts = SpanParts {
            context: std::mem::replace(&mut record.context, SpanContext::NONE),
            parent_span_id: record.parent_span_id,
            parent_span_is_remote: record.parent_span_is_remote,
            kind: record.kind.clone(),
            name: std::mem::take(&mut record.name),
            start_time,
            end_time,
            code: record.code,
            attributes: std::mem::take(&mut record.attributes),
            dropped_attributes_count: record.dropped_attributes_count,
            events,
            links,
            status: std::mem::take(&mut record.status),
        };
        give_record(record);
        parts
    }
}

thread_local! {
    #[allow(clippy::vec_box, reason = "the boxes themselves are what is recycled")]
    static LOCAL_RECORDS: RefCell<Vec<Box<SpanRecord>>> = const { RefCell::new(Vec::new()) };
}

static RECORDS: Pool<Box<SpanRecord>> = Pool::new(&LOCAL_RECORDS);

impl FinishedSpan {
    pub(crate) fn new(record: Box<SpanRecord>) -> Self {
        FinishedSpan { record }
    }

    pub(crate) fn span_id(&self) -> SpanId {
        self.record.context.span_id()
    }

    pub(crate) fn status(&self) -> &Status {
        &self.record.status
    }

    /// Whether the span has an event named `name`.
    pub(crate) fn has_event(&self, name: &str) -> bool {
        let extras = self.record.extras.as_deref();
        extras.is_some_and(|extras| extras.events.iter().any(|event| event.name == name))
    }

    /// Whether the span has the attribute `key` = `value`.
    pub(crate) fn has_attribute(&self, key: &str, value: &Value) -> bool {
        self.record.attributes.iter().any(|attribute| attribute.key.as_str() == key && attribute.value == *value)
    }

    pub(crate) fn duration(&self) -> Duration {
        self.record.end_time.since(self.record.start_time)
    }

    /// Lets go of a span that is not exported: its record and attribute
    /// vector go back to be filled again, rather than to the allocator.
    pub(crate) fn recycle(self) {
        let FinishedSpan { mut record } = self;
        recycle::give(std::mem::take(&mut record.attributes));
        record.extras = None;
        record.name = Cow::Borrowed("");
        give_record(record);
    }

    /// Marks the span sampled: recorded and exported after all.
    pub(crate) fn mark_sampled(&mut self) {
        let ids = &self.record.context;
        let flags = ids.trace_flags().with_sampled(true);
        self.record.context =
            SpanContext::new(ids.trace_id(), ids.span_id(), flags, ids.is_remote(), ids.trace_state().clone());
    }

    /// Adds an attribute after the span ended, past the limit if need be:
    /// what tracekit says about the span itself.
    pub(crate) fn push_attribute(&mut self, key: &'static str, value: Value) {
        self.record.attributes.push(KeyValue::new(key, value));
    }
}

impl SpanRecord {
    /// Fills a record taken with [`take_record`] for a span that starts at
    /// `start_time` under the parent span `parent` (its id, and whether it is
    /// remote), to end into `sink` (`None`: it has ended). Field by field in
    /// place: a whole record written into the box would be copied through
    /// the stack first.
    #[inline]
    pub(crate) fn start(
        &mut self,
        context: SpanContext,
        sink: Option<Arc<dyn SpanSink>>,
        parent: (SpanId, bool),
        kind: SpanKind,
        name: Cow<'static, str>,
        start_time: Timestamp,
    ) {
        self.context = context;
        self.sink = sink;
        (self.parent_span_id, self.parent_span_is_remote) = parent;
        self.kind = kind;
        self.name = name;
        self.start_time = start_time;
        self.end_time = start_time;
        self.extras = None;
        self.status = Status::Unset;
    }

    /// Sets the attributes a span starts with, `code` added on export, and
    /// how many were dropped.
    #[inline]
    pub(crate) fn set_start_attributes(&mut self, code: Option<CodeLocation>, attributes: Vec<KeyValue>, dropped: u32) {
        self.code = code;
        // A record comes back with its vector taken, which owns no memory.
        recycle::let_go(std::mem::replace(&mut self.attributes, attributes));
        self.dropped_attributes_count = dropped;
    }
}

/// Where a span's code location goes, under `limit` attributes: counted
/// against the limit and added on export, off the calling thread, when it
/// fits; otherwise put among the `given` attributes now, to be cut by the
/// limit. Gives the location kept for export, the attributes, and the
/// room left for them.
#[inline]
pub(crate) fn place_code(
    code: Option<CodeLocation>,
    mut given: Vec<KeyValue>,
    limit: usize,
) -> (Option<CodeLocation>, Vec<KeyValue>, usize) {
    match code {
        Some(code) if limit < code.len() => (None, code.attributes_then(&mut given, ATTRIBUTE_ROOM), limit),
        code => (code, given, limit - code.map_or(0, CodeLocation::len)),
    }
}

/// Cuts `attributes` to `room`; gives how many were dropped.
#[inline]
pub(crate) fn cut(attributes: &mut Vec<KeyValue>, room: usize) -> u32 {
    let dropped = attributes.len().saturating_sub(room) as u32;
    attributes.truncate(room);
    dropped
}

/// The record of a call started on a lane, as far as it has run: what
/// [`Pipeline::start`](super::Pipeline) fills for a span whose attributes
/// are its code location and those recorded on the call so far, taken
/// from it.
pub(crate) fn call_record(sink: Arc<dyn SpanSink>, call: &mut CallSpan) -> Box<SpanRecord> {
    let limit = sink.limits().max_attributes_per_span as usize;
    let recorded = std::mem::take(&mut call.attributes);
    let (code, mut attributes, room) = place_code(Some(CodeLocation::of(call.callsite)), recorded, limit);
    let dropped = cut(&mut attributes, room);
    let mut span = take_record();
    let (kind, name) = (call.callsite.kind.clone(), Cow::Borrowed(call.callsite.name));
    span.start(call.ids.clone(), Some(sink), (call.parent, false), kind, name, Timestamp::Read(call.started));
    span.set_start_attributes(code, attributes, dropped);
    span
}

/// A record to fill in place: one given back, or a new one when none is
/// left to reuse. Its fields hold what the last span left (its strings and
/// vectors taken): the caller sets every one.
pub(crate) fn take_record() -> Box<SpanRecord> {
    RECORDS.take().unwrap_or_else(|| Box::new(SpanRecord::empty()))
}

/// Gives back a record whose contents have been moved out.
fn give_record(record: Box<SpanRecord>) {
    RECORDS.give(record);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A span with every part OTLP sends: a remote parent, trace state,
    /// the code location, a value past the length limit, an event, a link,
    /// an error status and counts of what was dropped.
    #[cfg(feature = "otlp")]
    fn everything_recorded() -> FinishedSpan {
        use crate::facade::callsite::Callsite;
        use opentelemetry::trace::{Event, Link, TraceFlags, TraceId, TraceState};
        fn nested() -> &'static str {
            "shop::Cart::checkout::__TRACEKIT_CALLSITE"
        }
        static CHECKOUT: Callsite = Callsite::new("checkout", nested, "src/cart.rs", 42, SpanKind::Server, None);
        let state = TraceState::from_key_value([("vendor", "7")]).unwrap();
        let mut record = take_record();
        *record = SpanRecord::empty();
        record.context = SpanContext::new(TraceId::from(7u128), SpanId::from(8u64), TraceFlags::SAMPLED, false, state);
        record.parent_span_id = SpanId::from(9u64);
        record.parent_span_is_remote = true;
        record.kind = SpanKind::Server;
        record.name = Cow::Borrowed("checkout");
        record.code = Some(CodeLocation::Function(&CHECKOUT));
        let at = |seconds| Timestamp::Given(SystemTime::UNIX_EPOCH + Duration::from_secs(seconds));
        record.start_time = at(1_700_000_000);
        record.end_time = at(1_700_000_001);
        record.attributes = vec![KeyValue::new("cart.id", "a-rather-long-value"), KeyValue::new("items", 3)];
        record.dropped_attributes_count = 2;
        let extras = record.extras();
        let event = Event::new("retry", SystemTime::UNIX_EPOCH, vec![KeyValue::new("why", "the-reason-given")], 1);
        extras.events.events.push(event);
        extras.events.dropped_count = 4;
        let linked =
            SpanContext::new(TraceId::from(1u128), SpanId::from(2u64), TraceFlags::SAMPLED, true, TraceState::NONE);
        extras.links.links.push(Link::new(linked, vec![KeyValue::new("link", true)], 0));
        record.status = Status::error("declined");
        FinishedSpan::new(record)
    }

    #[cfg(feature = "otlp")]
    #[test]
    fn a_span_encoded_for_otlp_is_what_the_sdks_conversion_makes_of_its_span_data() {
        for value_length in [None, Some(5)] {
            let mut span_data = everything_recorded().into_span_data();
            if let Some(limit) = value_length {
                // The SDK's path cuts values before its conversion.
                for attribute in span_data.attributes.iter_mut().chain(&mut span_data.events.events[0].attributes) {
                    if let Value::String(text) = &attribute.value {
                        let cut: String = text.as_str().chars().take(limit).collect();
                        attribute.value = Value::from(cut);
                    }
                }
            }
            let expected = opentelemetry_proto::tonic::trace::v1::Span::from(span_data);
            assert_eq!(everything_recorded().into_parts().into_span(value_length), expected, "limit {value_length:?}");
        }
    }

    #[test]
    fn a_record_given_back_is_taken_again() {
        let record = take_record();
        let address = &*record as *const SpanRecord as usize;
        give_record(record);
        let taken = take_record();
        assert_eq!(&*taken as *const SpanRecord as usize, address, "the same allocation, not a new one");
    }
}
