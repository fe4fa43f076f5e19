//! What a batch processor queues: a span's record, or the compact record
//! of a call started on a lane (see `facade::lane`) on which nothing was
//! recorded.
//!
//! Such a call is its ids, its callsite and two clock readings. Written
//! into its thread's ring as it is, rather than filled into a record box
//! that the ring points to, it costs the calling thread no record to take
//! and fill, and the export thread reads it where the ring holds it, next
//! to the calls before and after it, instead of following a pointer into
//! memory last written on another core.

use super::span_record::{take_record, FinishedSpan};
use crate::export::batch::{Slot, Slotted};
use crate::export::{scope, IntoSpanData, IntoSpanParts, SpanParts};
use crate::facade::callsite::Callsite;
use crate::facade::code_location::CodeLocation;
use crate::facade::live::CallSpan;
use crate::support::clock::{Reading, Timestamp};
use opentelemetry::trace::{SpanContext, SpanId, Status, TraceFlags, TraceId, TraceState};
use opentelemetry::KeyValue;
use opentelemetry_sdk::trace::{SpanData, SpanLimits};
use std::borrow::Cow;

/// A call that ended on a lane with nothing recorded on it: its span is
/// the callsite's name, kind and code location, and these. Its ids are
/// kept without a trace state, so that it fills one cache line.
#[derive(Clone)]
pub(crate) struct EndedCall {
    trace_id: TraceId,
    span_id: SpanId,
    parent: SpanId,
    /// The trace flags' byte in a whole word: the span is copied into its
    /// ring a word at a time, and a word read just after one byte of it
    /// was written waits for that write to land.
    flags: u64,
    callsite: &'static Callsite,
    started: Reading,
    ended: Reading,
}

/// A finished span on its way to a batch processor.
#[derive(Clone)]
pub(crate) enum QueuedSpan {
    Record(FinishedSpan),
    Call(EndedCall),
}

impl EndedCall {
    /// Whether `call`, with `recorded` attributes, fits a compact record:
    /// not when it has a trace state, or when `limits` cut its code
    /// location and the attributes that go with it; only a full record
    /// holds those.
    #[inline]
    pub(crate) fn fits(call: &CallSpan, recorded: usize, limits: &SpanLimits) -> bool {
        // The code location is added on export; with the attributes, it
        // must fit the limit.
        let attributes = CodeLocation::of(call.callsite).len() + recorded;
        attributes <= limits.max_attributes_per_span as usize && *call.ids.trace_state() == TraceState::NONE
    }

    /// `call`, ended at `ended`, as a compact record (when it
    /// [`fits`](EndedCall::fits) one).
    #[inline(always)]
    pub(crate) fn of(call: &CallSpan, ended: Reading) -> EndedCall {
        let ids = &call.ids;
        EndedCall {
            trace_id: ids.trace_id(),
            span_id: ids.span_id(),
            parent: call.parent,
            flags: u64::from(ids.trace_flags().to_u8()),
            callsite: call.callsite,
            started: call.started,
            ended,
        }
    }

    /// The call's ids: calls on a lane are never remote, and these have no
    /// trace state.
    fn ids(&self) -> SpanContext {
        SpanContext::new(self.trace_id, self.span_id, self.flags(), false, TraceState::NONE)
    }

    /// The call's trace flags, from the byte its word holds (always set
    /// from a `u8`, so nothing is cut).
    fn flags(&self) -> TraceFlags {
        TraceFlags::new(self.flags as u8)
    }

    /// The call as a full record, with `attributes` after its code
    /// location (within the limit with it: see [`EndedCall::new`]).
    fn into_record(self, attributes: Vec<KeyValue>) -> FinishedSpan {
        let mut record = take_record();
        let (kind, name) = (self.callsite.kind.clone(), Cow::Borrowed(self.callsite.name));
        record.start(self.ids(), None, (self.parent, false), kind, name, Timestamp::Read(self.started));
        record.end_time = Timestamp::Read(self.ended);
        record.set_start_attributes(Some(CodeLocation::of(self.callsite)), attributes, 0);
        FinishedSpan::new(record)
    }
}

impl QueuedSpan {
    /// `call`, ended at `ended` with the `attributes` recorded on it, made
    /// at once what is queued: its compact record, or with attributes a
    /// record filled from it (taking them), without the recording a record
    /// taken while the call runs goes through. `None` when it needs that
    /// (see [`EndedCall::fits`]), the attributes left as they were.
    pub(crate) fn ended_call(
        call: &CallSpan,
        attributes: &mut Vec<KeyValue>,
        ended: Reading,
        limits: &SpanLimits,
    ) -> Option<QueuedSpan> {
        if !EndedCall::fits(call, attributes.len(), limits) {
            return None;
        }
        let ended_call = EndedCall::of(call, ended);
        Some(match attributes.is_empty() {
            true => QueuedSpan::Call(ended_call),
            false => QueuedSpan::Record(ended_call.into_record(std::mem::take(attributes))),
        })
    }

    pub(crate) fn span_id(&self) -> SpanId {
        match self {
            QueuedSpan::Record(span) => span.span_id(),
            QueuedSpan::Call(call) => call.span_id,
        }
    }

    /// Marks the span sampled: recorded and exported after all.
    pub(crate) fn mark_sampled(&mut self) {
        match self {
            QueuedSpan::Record(span) => span.mark_sampled(),
            QueuedSpan::Call(call) => call.flags = u64::from(call.flags().with_sampled(true).to_u8()),
        }
    }

    /// The span as a full record, to add attributes to.
    pub(crate) fn into_record(self) -> FinishedSpan {
        match self {
            QueuedSpan::Record(span) => span,
            QueuedSpan::Call(call) => call.into_record(Vec::new()),
        }
    }

    /// Lets go of a span that is not exported.
    pub(crate) fn recycle(self) {
        if let QueuedSpan::Record(span) = self {
            span.recycle();
        }
    }
}

impl IntoSpanData for QueuedSpan {
    fn is_sampled(&self) -> bool {
        match self {
            QueuedSpan::Record(span) => span.is_sampled(),
            QueuedSpan::Call(call) => call.flags().is_sampled(),
        }
    }

    #[inline]
    fn into_span_data(self) -> SpanData {
        match self {
            QueuedSpan::Record(span) => span.into_span_data(),
            QueuedSpan::Call(call) => call.into_span_data(),
        }
    }

    fn discard(self) {
        self.recycle();
    }
}

crate::export::batch::ring_item!(EndedCall, FinishedSpan);

/// A call is queued in place, a record by its box.
impl Slotted for QueuedSpan {
    type InPlace = EndedCall;
    type Boxed = FinishedSpan;

    #[inline]
    fn into_slot(self) -> Slot<EndedCall, FinishedSpan> {
        match self {
            QueuedSpan::Record(span) => Slot::Boxed(span),
            QueuedSpan::Call(call) => Slot::InPlace(call),
        }
    }

    #[inline]
    fn from_slot(slot: Slot<EndedCall, FinishedSpan>) -> Self {
        match slot {
            Slot::Boxed(span) => QueuedSpan::Record(span),
            Slot::InPlace(call) => QueuedSpan::Call(call),
        }
    }
}

impl IntoSpanParts for QueuedSpan {
    #[inline]
    fn into_parts(self) -> SpanParts {
        match self {
            QueuedSpan::Record(span) => span.into_parts(),
            QueuedSpan::Call(call) => call.into_parts(),
        }
    }
}

impl EndedCall {
    /// The SDK's form, made directly: the call has nothing but its ids,
    /// callsite and times to take apart.
    #[inline]
    fn into_span_data(self) -> SpanData {
        let ids = self.ids();
        let EndedCall { parent, callsite, started, ended, .. } = self;
        let (start_time, end_time) = Timestamp::Read(started).wall_times(Timestamp::Read(ended));
        let attributes = CodeLocation::of(callsite).into_attributes();
        SpanData {
            span_context: ids,
            parent_span_id: parent,
            parent_span_is_remote: false,
            span_kind: callsite.kind.clone(),
            name: Cow::Borrowed(callsite.name),
            start_time,
            end_time,
            attributes,
            dropped_attributes_count: 0,
            events: Default::default(),
            links: Default::default(),
            status: Status::Unset,
            instrumentation_scope: scope(),
        }
    }

    #[inline]
    fn into_parts(self) -> SpanParts {
        let ids = self.ids();
        let EndedCall { parent, callsite, started, ended, .. } = self;
        let (start_time, end_time) = Timestamp::Read(started).wall_times(Timestamp::Read(ended));
        SpanParts {
            context: ids,
            parent_span_id: parent,
            parent_span_is_remote: false,
            kind: callsite.kind.clone(),
            name: Cow::Borrowed(callsite.name),
            start_time,
            end_time,
            code: Some(CodeLocation::of(callsite)),
            attributes: Vec::new(),
            dropped_attributes_count: 0,
            events: Default::default(),
            links: Default::default(),
            status: Status::Unset,
        }
    }
}

impl From<FinishedSpan> for QueuedSpan {
    fn from(span: FinishedSpan) -> Self {
        QueuedSpan::Record(span)
    }
}
