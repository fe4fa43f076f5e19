//! An OTLP trace request written straight to protobuf's wire format from
//! the spans' parts, the messages' layout as `trace.proto` and
//! `common.proto` give it, with prost's primitives. The messages of
//! `opentelemetry-proto` own every string and id they hold, so building
//! them costs each span an allocation per name, id, key and string value;
//! here nothing is allocated per span. The rare parts (events, links)
//! still go through those messages. The test below checks what prost
//! decodes from these bytes against the messages themselves.

use super::encode::{event, link, status, RequestFrame};
use crate::export::SpanParts;
use opentelemetry::trace::SpanId;
use opentelemetry::{Array, KeyValue, Value};
use prost::encoding::{encode_key, encode_varint, encoded_len_varint, WireType};
use prost::Message as _;

/// The field numbers of the messages written here.
mod field {
    pub(super) const REQUEST_RESOURCE_SPANS: u32 = 1;
    pub(super) const RESOURCE_SPANS_RESOURCE: u32 = 1;
    pub(super) const RESOURCE_SPANS_SCOPE_SPANS: u32 = 2;
    pub(super) const RESOURCE_SPANS_SCHEMA_URL: u32 = 3;
    pub(super) const SCOPE_SPANS_SCOPE: u32 = 1;
    pub(super) const SCOPE_SPANS_SPANS: u32 = 2;
    pub(super) const SPAN_TRACE_ID: u32 = 1;
    pub(super) const SPAN_SPAN_ID: u32 = 2;
    pub(super) const SPAN_TRACE_STATE: u32 = 3;
    pub(super) const SPAN_PARENT_SPAN_ID: u32 = 4;
    pub(super) const SPAN_NAME: u32 = 5;
    pub(super) const SPAN_KIND: u32 = 6;
    pub(super) const SPAN_START_TIME: u32 = 7;
    pub(super) const SPAN_END_TIME: u32 = 8;
    pub(super) const SPAN_ATTRIBUTES: u32 = 9;
    pub(super) const SPAN_DROPPED_ATTRIBUTES: u32 = 10;
    pub(super) const SPAN_EVENTS: u32 = 11;
    pub(super) const SPAN_DROPPED_EVENTS: u32 = 12;
    pub(super) const SPAN_LINKS: u32 = 13;
    pub(super) const SPAN_DROPPED_LINKS: u32 = 14;
    pub(super) const SPAN_STATUS: u32 = 15;
    pub(super) const SPAN_FLAGS: u32 = 16;
    pub(super) const KEY_VALUE_KEY: u32 = 1;
    pub(super) const KEY_VALUE_VALUE: u32 = 2;
    pub(super) const ANY_STRING: u32 = 1;
    pub(super) const ANY_BOOL: u32 = 2;
    pub(super) const ANY_INT: u32 = 3;
    pub(super) const ANY_DOUBLE: u32 = 4;
    pub(super) const ANY_ARRAY: u32 = 5;
    pub(super) const ARRAY_VALUES: u32 = 1;
}

/// A request being written: the spans so far, each framed as a field of
/// its scope's message, and one span's scratch space.
pub(crate) struct WireRequest {
    spans: Vec<u8>,
    scratch: Vec<u8>,
}

impl WireRequest {
    pub(crate) fn with_capacity(spans: usize) -> Self {
        WireRequest { spans: Vec::with_capacity(spans * 160), scratch: Vec::with_capacity(256) }
    }

    /// Adds a span, string values cut to `value_length` characters.
    pub(crate) fn push(&mut self, span: &SpanParts, value_length: Option<usize>) {
        self.scratch.clear();
        write_span(span, value_length, &mut self.scratch);
        length_delimited(field::SCOPE_SPANS_SPANS, &self.scratch, &mut self.spans);
    }

    /// The whole request: the spans in `frame`'s resource and scope, which
    /// prost wrote once per exporter.
    pub(crate) fn finish(self, frame: &RequestFrame) -> Vec<u8> {
        let (resource, scope, resource_schema) = (frame.resource_bytes(), frame.scope_bytes(), frame.resource_schema());
        let scope_field = field_len(scope.len());
        let scope_spans = scope_field + self.spans.len();
        let resource_spans = field_len(resource.len()) + field_len(scope_spans) + string_field_len(resource_schema);
        let mut out = Vec::with_capacity(field_len(resource_spans));
        encode_key(field::REQUEST_RESOURCE_SPANS, WireType::LengthDelimited, &mut out);
        encode_varint(resource_spans as u64, &mut out);
        length_delimited(field::RESOURCE_SPANS_RESOURCE, resource, &mut out);
        encode_key(field::RESOURCE_SPANS_SCOPE_SPANS, WireType::LengthDelimited, &mut out);
        encode_varint(scope_spans as u64, &mut out);
        length_delimited(field::SCOPE_SPANS_SCOPE, scope, &mut out);
        out.extend_from_slice(&self.spans);
        string_field(field::RESOURCE_SPANS_SCHEMA_URL, resource_schema, &mut out);
        out
    }
}

fn write_span(span: &SpanParts, value_length: Option<usize>, out: &mut Vec<u8>) {
    let context = &span.context;
    length_delimited(field::SPAN_TRACE_ID, &context.trace_id().to_bytes(), out);
    length_delimited(field::SPAN_SPAN_ID, &context.span_id().to_bytes(), out);
    string_field(field::SPAN_TRACE_STATE, &context.trace_state().header(), out);
    if span.parent_span_id != SpanId::INVALID {
        length_delimited(field::SPAN_PARENT_SPAN_ID, &span.parent_span_id.to_bytes(), out);
    }
    string_field(field::SPAN_NAME, &span.name, out);
    varint_field(field::SPAN_KIND, span.kind_number() as u64, out);
    fixed64_field(field::SPAN_START_TIME, super::encode::nanos(span.start_time), out);
    fixed64_field(field::SPAN_END_TIME, super::encode::nanos(span.end_time), out);
    let code = span.code_attributes();
    for attribute in span.all_attributes(&code) {
        key_value(field::SPAN_ATTRIBUTES, attribute, value_length, out);
    }
    varint_field(field::SPAN_DROPPED_ATTRIBUTES, u64::from(span.dropped_attributes_count), out);
    for each in &span.events.events {
        prost::encoding::message::encode(field::SPAN_EVENTS, &event(each, value_length), out);
    }
    varint_field(field::SPAN_DROPPED_EVENTS, u64::from(span.events.dropped_count), out);
    for each in &span.links.links {
        prost::encoding::message::encode(field::SPAN_LINKS, &link(each), out);
    }
    varint_field(field::SPAN_DROPPED_LINKS, u64::from(span.links.dropped_count), out);
    // Always present, as the SDK's conversion makes it.
    let status = status(&span.status);
    encode_key(field::SPAN_STATUS, WireType::LengthDelimited, out);
    encode_varint(status.encoded_len() as u64, out);
    status.encode_raw(out);
    encode_key(field::SPAN_FLAGS, WireType::ThirtyTwoBit, out);
    out.extend_from_slice(&span.flags().to_le_bytes());
}

fn key_value(tag: u32, attribute: &KeyValue, value_length: Option<usize>, out: &mut Vec<u8>) {
    let key = attribute.key.as_str();
    let value = any_value_len(&attribute.value, value_length);
    encode_key(tag, WireType::LengthDelimited, out);
    encode_varint((string_field_len(key) + field_len(value)) as u64, out);
    string_field(field::KEY_VALUE_KEY, key, out);
    encode_key(field::KEY_VALUE_VALUE, WireType::LengthDelimited, out);
    encode_varint(value as u64, out);
    any_value(&attribute.value, value_length, out);
}

/// The length of an `AnyValue`'s body: its one field, written even when it
/// holds a default (a oneof says which it is).
fn any_value_len(value: &Value, value_length: Option<usize>) -> usize {
    match value {
        Value::Bool(_) => 1 + 1,
        Value::I64(number) => 1 + encoded_len_varint(*number as u64),
        Value::F64(_) => 1 + 8,
        Value::String(text) => field_len(cut(text.as_str(), value_length).len()),
        Value::Array(array) => field_len(array_len(array)),
        _ => 0,
    }
}

fn array_len(array: &Array) -> usize {
    match array {
        Array::Bool(values) => values.len() * field_len(2),
        Array::I64(values) => values.iter().map(|number| field_len(1 + encoded_len_varint(*number as u64))).sum(),
        Array::F64(values) => values.len() * field_len(9),
        Array::String(values) => values.iter().map(|text| field_len(field_len(text.as_str().len()))).sum(),
        _ => 0,
    }
}

fn any_value(value: &Value, value_length: Option<usize>, out: &mut Vec<u8>) {
    match value {
        Value::Bool(flag) => {
            encode_key(field::ANY_BOOL, WireType::Varint, out);
            encode_varint(u64::from(*flag), out);
        }
        Value::I64(number) => {
            encode_key(field::ANY_INT, WireType::Varint, out);
            encode_varint(*number as u64, out);
        }
        Value::F64(number) => {
            encode_key(field::ANY_DOUBLE, WireType::SixtyFourBit, out);
            out.extend_from_slice(&number.to_le_bytes());
        }
        Value::String(text) => length_delimited(field::ANY_STRING, cut(text.as_str(), value_length).as_bytes(), out),
        Value::Array(array) => {
            encode_key(field::ANY_ARRAY, WireType::LengthDelimited, out);
            encode_varint(array_len(array) as u64, out);
            array_values(array, out);
        }
        _ => {}
    }
}

/// An array's values, each an `AnyValue`; arrays are not cut to the value
/// length, as the SDK's path leaves them.
fn array_values(array: &Array, out: &mut Vec<u8>) {
    let mut each = |value: &Value| {
        encode_key(field::ARRAY_VALUES, WireType::LengthDelimited, out);
        encode_varint(any_value_len(value, None) as u64, out);
        any_value(value, None, out);
    };
    match array {
        Array::Bool(values) => values.iter().for_each(|flag| each(&Value::Bool(*flag))),
        Array::I64(values) => values.iter().for_each(|number| each(&Value::I64(*number))),
        Array::F64(values) => values.iter().for_each(|number| each(&Value::F64(*number))),
        Array::String(values) => values.iter().for_each(|text| {
            encode_key(field::ARRAY_VALUES, WireType::LengthDelimited, out);
            encode_varint(field_len(text.as_str().len()) as u64, out);
            length_delimited(field::ANY_STRING, text.as_str().as_bytes(), out);
        }),
        _ => {}
    }
}

fn cut(text: &str, value_length: Option<usize>) -> &str {
    match value_length.and_then(|limit| crate::export::value_length::cut_at(text, limit)) {
        Some(at) => &text[..at],
        None => text,
    }
}

/// The bytes a length-delimited field of `len` bytes takes, key included
/// (every field here has a one-byte key).
fn field_len(len: usize) -> usize {
    1 + encoded_len_varint(len as u64) + len
}

/// A string field's bytes; an empty string is the default, not written.
fn string_field_len(text: &str) -> usize {
    if text.is_empty() {
        0
    } else {
        field_len(text.len())
    }
}

fn length_delimited(tag: u32, bytes: &[u8], out: &mut Vec<u8>) {
    encode_key(tag, WireType::LengthDelimited, out);
    encode_varint(bytes.len() as u64, out);
    out.extend_from_slice(bytes);
}

fn string_field(tag: u32, text: &str, out: &mut Vec<u8>) {
    if !text.is_empty() {
        length_delimited(tag, text.as_bytes(), out);
    }
}

fn varint_field(tag: u32, value: u64, out: &mut Vec<u8>) {
    if value != 0 {
        encode_key(tag, WireType::Varint, out);
        encode_varint(value, out);
    }
}

fn fixed64_field(tag: u32, value: u64, out: &mut Vec<u8>) {
    if value != 0 {
        encode_key(tag, WireType::SixtyFourBit, out);
        out.extend_from_slice(&value.to_le_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facade::callsite::Callsite;
    use crate::facade::code_location::CodeLocation;
    use opentelemetry::trace::{Event, Link, SpanContext, SpanKind, Status, TraceFlags, TraceId, TraceState};
    use opentelemetry::{Key, StringValue};
    use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
    use std::time::{Duration, SystemTime};

    /// Every kind of value, and the defaults protobuf leaves out.
    fn values() -> Vec<KeyValue> {
        vec![
            KeyValue::new("flag.true", true),
            KeyValue::new("flag.false", false),
            KeyValue::new("count.zero", 0),
            KeyValue::new("count.negative", -42),
            KeyValue::new("ratio", 0.25),
            KeyValue::new("ratio.zero", 0.0),
            KeyValue::new("text", "a-rather-long-value-é-with-more"),
            KeyValue::new("text.empty", ""),
            KeyValue::new(Key::from_static_str("flags"), Value::Array(Array::Bool(vec![true, false]))),
            KeyValue::new(Key::from_static_str("counts"), Value::Array(Array::I64(vec![0, -1, 300]))),
            KeyValue::new(Key::from_static_str("ratios"), Value::Array(Array::F64(vec![0.0, 1.5]))),
            KeyValue::new(
                Key::from_static_str("texts"),
                Value::Array(Array::String(vec![
                    StringValue::from("a long string in an array"),
                    StringValue::from(""),
                ])),
            ),
        ]
    }

    fn nested() -> &'static str {
        "shop::checkout::__TRACEKIT_CALLSITE"
    }

    static CHECKOUT: Callsite = Callsite::new("checkout", nested, "src/shop.rs", 42, SpanKind::Consumer, None);

    fn everything() -> SpanParts {
        let state = TraceState::from_key_value([("vendor", "7")]).unwrap();
        let mut events = opentelemetry_sdk::trace::SpanEvents::default();
        events.events.push(Event::new("retry", SystemTime::UNIX_EPOCH + Duration::from_nanos(5), values(), 1));
        events.dropped_count = 2;
        let mut links = opentelemetry_sdk::trace::SpanLinks::default();
        let linked =
            SpanContext::new(TraceId::from(1u128), SpanId::from(2u64), TraceFlags::SAMPLED, true, TraceState::NONE);
        links.links.push(Link::new(linked, vec![KeyValue::new("link", true)], 3));
        links.dropped_count = 4;
        SpanParts {
            context: SpanContext::new(
                TraceId::from(u128::MAX - 7),
                SpanId::from(8u64),
                TraceFlags::SAMPLED,
                false,
                state,
            ),
            parent_span_id: SpanId::from(9u64),
            parent_span_is_remote: true,
            kind: SpanKind::Consumer,
            name: "checkout".into(),
            start_time: SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000),
            end_time: SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_001),
            code: Some(CodeLocation::Function(&CHECKOUT)),
            attributes: values(),
            dropped_attributes_count: 5,
            events,
            links,
            status: Status::error("declined"),
        }
    }

    /// A root with nothing but its name and times.
    fn bare() -> SpanParts {
        SpanParts {
            context: SpanContext::new(
                TraceId::from(3u128),
                SpanId::from(4u64),
                TraceFlags::default(),
                false,
                TraceState::NONE,
            ),
            parent_span_id: SpanId::INVALID,
            parent_span_is_remote: false,
            kind: SpanKind::Internal,
            name: "".into(),
            start_time: SystemTime::UNIX_EPOCH,
            end_time: SystemTime::UNIX_EPOCH + Duration::from_nanos(1),
            code: None,
            attributes: Vec::new(),
            dropped_attributes_count: 0,
            events: Default::default(),
            links: Default::default(),
            status: Status::Unset,
        }
    }

    #[test]
    fn the_bytes_written_decode_to_the_messages_of_the_same_spans() {
        let mut frame = RequestFrame::new();
        let resource = opentelemetry_sdk::Resource::builder_empty()
            .with_schema_url([KeyValue::new("service.name", "shop")], "https://opentelemetry.io/schemas/1.26.0")
            .build();
        frame.set_resource(&resource);
        for value_length in [None, Some(4)] {
            let mut written = WireRequest::with_capacity(2);
            for span in [everything(), bare()] {
                written.push(&span, value_length);
            }
            let bytes = written.finish(&frame);
            let decoded = ExportTraceServiceRequest::decode(bytes.as_slice()).expect("valid protobuf");
            let expected = frame.request(vec![everything().into_span(value_length), bare().into_span(value_length)]);
            assert_eq!(decoded, expected, "limit {value_length:?}");
        }
    }
}
