//! The fields of a `tracing` span or event, read as tracekit records them:
//! typed attributes, and the `otel.*` conventions.

use crate::facade::live::LiveSpan;
use opentelemetry::trace::{SpanKind, Status};
use opentelemetry::{Key, KeyValue, Value};
use std::borrow::Cow;
use std::fmt;
use tracing::field::{Field, Visit};

/// Reads the fields of a span or an event: typed attributes, and the
/// `otel.*` conventions.
pub(super) struct Fields {
    /// Whether the `otel.*` fields are read (on spans).
    conventions: bool,
    pub(super) attributes: Vec<KeyValue>,
    pub(super) name: Option<String>,
    pub(super) kind: Option<SpanKind>,
    pub(super) status: Option<Status>,
    status_description: Option<String>,
    /// An event's `message`.
    pub(super) message: Option<String>,
}

impl Fields {
    pub(super) fn new(conventions: bool) -> Self {
        Fields {
            conventions,
            // One the exporter gave back, if any: a span's code location
            // goes in without an allocation.
            attributes: crate::support::recycle::take(),
            name: None,
            kind: None,
            status: None,
            status_description: None,
            message: None,
        }
    }

    /// Records what was read on a running span.
    pub(super) fn apply(mut self, live: &mut LiveSpan) {
        if let Some(name) = self.name.take() {
            live.update_name(Cow::Owned(name));
        }
        if let Some(status) = self.status.take() {
            live.set_status(status);
        }
        live.set_attributes(self.attributes);
    }

    fn text(&mut self, field: &Field, value: Cow<'_, str>) {
        match field.name() {
            "message" if !self.conventions => self.message = Some(value.into_owned()),
            "otel.name" if self.conventions => self.name = Some(value.into_owned()),
            "otel.kind" if self.conventions => self.kind = crate::support::span_kind::parse(&value),
            "otel.status_code" if self.conventions => {
                self.status = match value.to_ascii_lowercase().as_str() {
                    "ok" => Some(Status::Ok),
                    "error" => Some(Status::error(self.status_description.clone().unwrap_or_default())),
                    _ => None,
                };
            }
            "otel.status_description" | "otel.status_message" if self.conventions => {
                if let Some(Status::Error { description }) = &mut self.status {
                    *description = Cow::Owned(value.to_string());
                }
                self.status_description = Some(value.into_owned());
            }
            name => self.push(name, Value::String(value.into_owned().into())),
        }
    }

    fn push(&mut self, name: &'static str, value: Value) {
        self.attributes.push(KeyValue::new(Key::from_static_str(name), value));
    }
}

impl Visit for Fields {
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.push(field.name(), Value::I64(value));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        // Past `i64::MAX`, as text: OpenTelemetry has no unsigned integer.
        match i64::try_from(value) {
            Ok(value) => self.push(field.name(), Value::I64(value)),
            Err(_) => self.push(field.name(), Value::String(value.to_string().into())),
        }
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.push(field.name(), Value::F64(value));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.push(field.name(), Value::Bool(value));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.text(field, Cow::Borrowed(value));
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.text(field, Cow::Owned(value.to_string()));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.text(field, Cow::Owned(format!("{value:?}")));
    }
}
