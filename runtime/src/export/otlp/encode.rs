//! OTLP's messages made straight from what tracekit recorded, with no
//! `SpanData` in between: each value is moved into its message once, the
//! batch is not copied, and every span shares one resource and one scope.

use crate::export::value_length::cut_at;
use crate::export::IntoSpanData;
use opentelemetry::trace::{SpanContext, SpanId, SpanKind, Status};
use opentelemetry::KeyValue;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, InstrumentationScope};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{span, status, ResourceSpans, ScopeSpans, Span, SpanFlags};
use opentelemetry_proto::transform::common::tonic::ResourceAttributesWithSchema;
use opentelemetry_sdk::trace::{SpanEvents, SpanLinks};
use std::time::SystemTime;

pub(crate) use opentelemetry_proto::tonic::common::v1::KeyValue as OtlpKeyValue;
pub(crate) use opentelemetry_proto::tonic::trace::v1::Span as OtlpSpan;

/// A span the OTLP exporter encodes itself, of tracekit's scope.
pub(crate) trait IntoOtlpSpan: IntoSpanData {
    /// The span as OTLP sends it, string values cut to `value_length`
    /// characters as the SDK's path cuts them.
    fn into_otlp_span(self, value_length: Option<usize>) -> OtlpSpan;
}

/// What every request of an exporter carries: the resource, and the scope
/// of tracekit's spans.
#[derive(Debug)]
pub(crate) struct RequestFrame {
    resource: Resource,
    resource_schema: String,
    scope: InstrumentationScope,
}

impl RequestFrame {
    /// A frame with an empty resource until the provider gives one.
    pub(crate) fn new() -> Self {
        RequestFrame {
            resource: Resource::default(),
            resource_schema: String::new(),
            scope: InstrumentationScope::from((&*crate::export::SCOPE, None)),
        }
    }

    pub(crate) fn set_resource(&mut self, resource: &opentelemetry_sdk::Resource) {
        let resource = ResourceAttributesWithSchema::from(resource);
        self.resource =
            Resource { attributes: resource.attributes.0, dropped_attributes_count: 0, entity_refs: vec![] };
        self.resource_schema = resource.schema_url.unwrap_or_default();
    }

    /// One request for `spans`.
    pub(crate) fn request(&self, spans: Vec<OtlpSpan>) -> ExportTraceServiceRequest {
        ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans {
                resource: Some(self.resource.clone()),
                scope_spans: vec![ScopeSpans { scope: Some(self.scope.clone()), spans, schema_url: String::new() }],
                schema_url: self.resource_schema.clone(),
            }],
        }
    }
}

/// The parts of a span that are the same whatever recorded it.
pub(crate) struct SpanParts {
    pub(crate) context: SpanContext,
    pub(crate) parent_span_id: SpanId,
    pub(crate) parent_span_is_remote: bool,
    pub(crate) kind: SpanKind,
    pub(crate) name: String,
    pub(crate) start_time: SystemTime,
    pub(crate) end_time: SystemTime,
    pub(crate) attributes: Vec<OtlpKeyValue>,
    pub(crate) dropped_attributes_count: u32,
    pub(crate) events: SpanEvents,
    pub(crate) links: SpanLinks,
    pub(crate) status: Status,
}

impl SpanParts {
    /// The span's message; events' string values cut to `value_length`.
    pub(crate) fn into_span(self, value_length: Option<usize>) -> Span {
        let context = &self.context;
        Span {
            trace_id: context.trace_id().to_bytes().to_vec(),
            span_id: context.span_id().to_bytes().to_vec(),
            trace_state: context.trace_state().header(),
            parent_span_id: match self.parent_span_id {
                SpanId::INVALID => Vec::new(),
                parent => parent.to_bytes().to_vec(),
            },
            flags: flags(context, self.parent_span_is_remote),
            name: self.name,
            kind: span::SpanKind::from(self.kind) as i32,
            start_time_unix_nano: nanos(self.start_time),
            end_time_unix_nano: nanos(self.end_time),
            attributes: self.attributes,
            dropped_attributes_count: self.dropped_attributes_count,
            dropped_events_count: self.events.dropped_count,
            events: self
                .events
                .events
                .into_iter()
                .map(|event| span::Event {
                    time_unix_nano: nanos(event.timestamp),
                    name: event.name.into_owned(),
                    attributes: event.attributes.into_iter().map(|value| attribute(value, value_length)).collect(),
                    dropped_attributes_count: event.dropped_attributes_count,
                })
                .collect(),
            dropped_links_count: self.links.dropped_count,
            links: self.links.links.into_iter().map(span::Link::from).collect(),
            status: Some(status(self.status)),
        }
    }
}

/// An attribute as OTLP sends it, a string value cut to `value_length` characters.
pub(crate) fn attribute(attribute: KeyValue, value_length: Option<usize>) -> OtlpKeyValue {
    let mut value = AnyValue::from(attribute.value);
    if let (Some(limit), Some(any_value::Value::StringValue(text))) = (value_length, &mut value.value) {
        if let Some(cut) = cut_at(text, limit) {
            text.truncate(cut);
        }
    }
    OtlpKeyValue { key: attribute.key.as_str().to_owned(), value: Some(value), key_strindex: 0 }
}

/// The W3C flags, and whether the parent is remote, which OTLP sends in
/// the span's flags (as the SDK's conversion does).
fn flags(context: &SpanContext, parent_is_remote: bool) -> u32 {
    let mut flags = u32::from(context.trace_flags().to_u8()) | SpanFlags::ContextHasIsRemoteMask as u32;
    if parent_is_remote {
        flags |= SpanFlags::ContextIsRemoteMask as u32;
    }
    flags
}

fn status(status: Status) -> opentelemetry_proto::tonic::trace::v1::Status {
    let code = match &status {
        Status::Unset => status::StatusCode::Unset,
        Status::Ok => status::StatusCode::Ok,
        Status::Error { .. } => status::StatusCode::Error,
    };
    let message = match status {
        Status::Error { description } => description.into_owned(),
        _ => String::new(),
    };
    opentelemetry_proto::tonic::trace::v1::Status { code: code as i32, message }
}

fn nanos(time: SystemTime) -> u64 {
    time.duration_since(SystemTime::UNIX_EPOCH).map_or(0, |since| since.as_nanos() as u64)
}
