//! A finished span taken apart, whatever recorded it: what each exporter
//! makes its own form of (the SDK's `SpanData`, OTLP's protobuf).

use super::{scope, IntoSpanData};
use crate::facade::code_location::CodeLocation;
use opentelemetry::trace::{SpanContext, SpanId, SpanKind, Status};
use opentelemetry::KeyValue;
use opentelemetry_sdk::trace::{SpanData, SpanEvents, SpanLinks};
use std::borrow::Cow;
use std::time::SystemTime;

/// A queued span that can be taken apart, rather than only made `SpanData`.
pub(crate) trait IntoSpanParts: IntoSpanData {
    fn into_parts(self) -> SpanParts;
}

pub(crate) struct SpanParts {
    pub(crate) context: SpanContext,
    pub(crate) parent_span_id: SpanId,
    pub(crate) parent_span_is_remote: bool,
    pub(crate) kind: SpanKind,
    pub(crate) name: Cow<'static, str>,
    pub(crate) start_time: SystemTime,
    pub(crate) end_time: SystemTime,
    /// Where the span's code is; its attributes (function, file and line,
    /// those known) come before the others. Kept as a reference until the
    /// span is written, as its attributes are large to move.
    pub(crate) code: Option<CodeLocation>,
    pub(crate) attributes: Vec<KeyValue>,
    pub(crate) dropped_attributes_count: u32,
    pub(crate) events: SpanEvents,
    pub(crate) links: SpanLinks,
    pub(crate) status: Status,
}

impl SpanParts {
    /// The SDK's form, of tracekit's instrumentation scope.
    #[inline]
    pub(crate) fn into_span_data(self) -> SpanData {
        let attributes = match self.code {
            Some(code) => code_then(code, self.attributes),
            None => self.attributes,
        };
        SpanData {
            span_context: self.context,
            parent_span_id: self.parent_span_id,
            parent_span_is_remote: self.parent_span_is_remote,
            span_kind: self.kind,
            name: self.name,
            start_time: self.start_time,
            end_time: self.end_time,
            attributes,
            dropped_attributes_count: self.dropped_attributes_count,
            events: self.events,
            links: self.links,
            status: self.status,
            instrumentation_scope: scope(),
        }
    }
}

/// The attributes of `code`, then the `recorded` ones, in one vector of
/// their length; `recorded`'s memory is recycled.
#[inline]
fn code_then(code: CodeLocation, mut recorded: Vec<KeyValue>) -> Vec<KeyValue> {
    if recorded.is_empty() {
        crate::support::recycle::give(recorded);
        return code.into_attributes();
    }
    let mut attributes = Vec::with_capacity(code.len() + recorded.len());
    code.push_attributes(&mut attributes);
    attributes.append(&mut recorded);
    crate::support::recycle::give(recorded);
    attributes
}
