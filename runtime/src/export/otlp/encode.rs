//! OTLP's messages made of a span's parts, with no `SpanData` in between:
//! for HTTP/JSON (through `opentelemetry-proto`'s serde mapping), for the
//! rare parts of the protobuf (see `wire`), and for the test that holds
//! both to the SDK's own conversion.

use crate::export::value_length::cut_at;
use crate::export::SpanParts;
use crate::facade::code_location::{CodeAttributes, CodeLocation};
use opentelemetry::trace::{Event, Link, SpanContext, SpanId, Status};
use opentelemetry::KeyValue;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, InstrumentationScope};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{span, status, ResourceSpans, ScopeSpans, Span, SpanFlags};
use opentelemetry_proto::transform::common::tonic::ResourceAttributesWithSchema;
use prost::Message as _;
use std::time::SystemTime;

use opentelemetry_proto::tonic::common::v1::KeyValue as OtlpKeyValue;
use opentelemetry_proto::tonic::trace::v1::span::Event as OtlpEvent;

impl SpanParts {
    /// The attributes of the span's code location, made where they are read.
    #[inline]
    pub(crate) fn code_attributes(&self) -> CodeAttributes {
        self.code.map(CodeLocation::attributes).unwrap_or_default()
    }

    /// The code location's attributes (`code`, from
    /// [`SpanParts::code_attributes`]), then the attributes recorded.
    pub(crate) fn all_attributes<'a>(&'a self, code: &'a CodeAttributes) -> impl Iterator<Item = &'a KeyValue> {
        code.iter().flatten().chain(&self.attributes)
    }

    /// Lets go of the parts once written: the attribute vector goes back
    /// to be filled again.
    pub(crate) fn recycle(self) {
        crate::support::recycle::give(self.attributes);
    }

    pub(crate) fn kind_number(&self) -> i32 {
        span::SpanKind::from(self.kind.clone()) as i32
    }

    /// The W3C flags, and whether the parent is remote, which OTLP sends in
    /// the span's flags (as the SDK's conversion does).
    pub(crate) fn flags(&self) -> u32 {
        flags(&self.context, self.parent_span_is_remote)
    }

    /// The span's message; string values cut to `value_length`. The
    /// attribute vector goes back to be filled again.
    pub(crate) fn into_span(mut self, value_length: Option<usize>) -> Span {
        let code = self.code_attributes();
        let attributes = self.all_attributes(&code).map(|value| attribute(value, value_length)).collect();
        let flags = self.flags();
        let kind = self.kind_number();
        crate::support::recycle::give(std::mem::take(&mut self.attributes));
        let context = &self.context;
        Span {
            trace_id: context.trace_id().to_bytes().to_vec(),
            span_id: context.span_id().to_bytes().to_vec(),
            trace_state: context.trace_state().header(),
            parent_span_id: match self.parent_span_id {
                SpanId::INVALID => Vec::new(),
                parent => parent.to_bytes().to_vec(),
            },
            flags,
            name: self.name.into_owned(),
            kind,
            start_time_unix_nano: nanos(self.start_time),
            end_time_unix_nano: nanos(self.end_time),
            attributes,
            dropped_attributes_count: self.dropped_attributes_count,
            dropped_events_count: self.events.dropped_count,
            events: self.events.events.iter().map(|each| event(each, value_length)).collect(),
            dropped_links_count: self.links.dropped_count,
            links: self.links.links.iter().map(link).collect(),
            status: Some(status(&self.status)),
        }
    }
}

/// What every request of an exporter carries: the resource, and the scope
/// of tracekit's spans, as messages and written once as protobuf.
#[derive(Debug)]
pub(crate) struct RequestFrame {
    resource: Resource,
    resource_schema: String,
    scope: InstrumentationScope,
    resource_bytes: Vec<u8>,
    scope_bytes: Vec<u8>,
}

impl RequestFrame {
    /// A frame with an empty resource until the provider gives one.
    pub(crate) fn new() -> Self {
        let scope = InstrumentationScope::from((&crate::export::scope(), None));
        let scope_bytes = scope.encode_to_vec();
        let resource = Resource::default();
        let resource_bytes = resource.encode_to_vec();
        RequestFrame { resource, resource_schema: String::new(), scope, resource_bytes, scope_bytes }
    }

    pub(crate) fn set_resource(&mut self, resource: &opentelemetry_sdk::Resource) {
        let resource = ResourceAttributesWithSchema::from(resource);
        self.resource =
            Resource { attributes: resource.attributes.0, dropped_attributes_count: 0, entity_refs: vec![] };
        self.resource_bytes = self.resource.encode_to_vec();
        self.resource_schema = resource.schema_url.unwrap_or_default();
    }

    pub(crate) fn resource_schema(&self) -> &str {
        &self.resource_schema
    }

    /// The resource's message, as protobuf.
    pub(crate) fn resource_bytes(&self) -> &[u8] {
        &self.resource_bytes
    }

    /// The scope's message, as protobuf.
    pub(crate) fn scope_bytes(&self) -> &[u8] {
        &self.scope_bytes
    }

    /// One request for `spans`.
    pub(crate) fn request(&self, spans: Vec<Span>) -> ExportTraceServiceRequest {
        ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans {
                resource: Some(self.resource.clone()),
                scope_spans: vec![ScopeSpans { scope: Some(self.scope.clone()), spans, schema_url: String::new() }],
                schema_url: self.resource_schema.clone(),
            }],
        }
    }
}

/// An attribute as OTLP sends it, a string value cut to `value_length` characters.
pub(crate) fn attribute(attribute: &KeyValue, value_length: Option<usize>) -> OtlpKeyValue {
    let mut value = AnyValue::from(attribute.value.clone());
    if let (Some(limit), Some(any_value::Value::StringValue(text))) = (value_length, &mut value.value) {
        if let Some(cut) = cut_at(text, limit) {
            text.truncate(cut);
        }
    }
    OtlpKeyValue { key: attribute.key.as_str().to_owned(), value: Some(value), key_strindex: 0 }
}

/// An event, as the SDK's conversion makes it, its string values cut as
/// the SDK's path cuts them.
pub(crate) fn event(event: &Event, value_length: Option<usize>) -> OtlpEvent {
    OtlpEvent {
        time_unix_nano: nanos(event.timestamp),
        name: event.name.to_string(),
        attributes: event.attributes.iter().map(|value| attribute(value, value_length)).collect(),
        dropped_attributes_count: event.dropped_attributes_count,
    }
}

/// A link, as the SDK's conversion makes it; links' values are not cut.
pub(crate) fn link(link: &Link) -> span::Link {
    span::Link::from(link.clone())
}

fn flags(context: &SpanContext, parent_is_remote: bool) -> u32 {
    let mut flags = u32::from(context.trace_flags().to_u8()) | SpanFlags::ContextHasIsRemoteMask as u32;
    if parent_is_remote {
        flags |= SpanFlags::ContextIsRemoteMask as u32;
    }
    flags
}

pub(crate) fn status(status: &Status) -> opentelemetry_proto::tonic::trace::v1::Status {
    let (code, message) = match status {
        Status::Unset => (status::StatusCode::Unset, String::new()),
        Status::Ok => (status::StatusCode::Ok, String::new()),
        Status::Error { description } => (status::StatusCode::Error, description.to_string()),
    };
    opentelemetry_proto::tonic::trace::v1::Status { code: code as i32, message }
}

pub(crate) fn nanos(time: SystemTime) -> u64 {
    time.duration_since(SystemTime::UNIX_EPOCH).map_or(0, |since| since.as_nanos() as u64)
}
