//! Spans and events of the crates that speak `tracing` (hyper, tower-http,
//! sqlx, reqwest, tokio, your own `#[tracing::instrument]`), recorded by
//! tracekit: a `tracing-subscriber` layer (feature `tracing`).
//!
//! ```
//! use tracing_subscriber::layer::SubscriberExt as _;
//!
//! #[tracing::instrument(fields(user.id = 42))]
//! fn load_user() {
//!     tracing::info!(rows = 1, "user loaded");
//! }
//!
//! #[tracekit::trace_operation]
//! fn handle() {
//!     load_user();
//! }
//!
//! let subscriber = tracing_subscriber::registry().with(tracekit::subscriber::layer());
//! let ((), spans) = tracing::subscriber::with_default(subscriber, || tracekit::testing::capture(handle));
//! spans.assert_child_of("load_user", "handle");
//! let span = spans.get("load_user");
//! assert_eq!(span.i64_attribute("user.id"), Some(42));
//! assert_eq!(span.event("user loaded").unwrap().attributes[0], tracekit::KeyValue::new("rows", 1_i64));
//! ```
//!
//! A `tracing` span becomes a tracekit span where it is created, under the
//! span current there, tracekit's or `tracing`'s, and is current on
//! tracekit's stack while it is entered: spans of either kind nest under
//! the other, in one trace, sampled and exported as tracekit's own are.
//! Its fields are attributes of their own type (integers, floats, booleans,
//! strings; anything else as its `Debug` text), and `Span::record` adds
//! more. An event is an event of the span it belongs to, named by its
//! message, with its fields, `level` and `target`; an `ERROR` event marks
//! the span failed. Events outside any span are left to the other layers.
//!
//! `tracekit::current_span()` inside a `tracing` span sees its ids; what is
//! recorded on it goes through `tracing` (`Span::record`, events). What the
//! exporters' own clients emit (hyper's, tonic's spans) is not recorded.
//!
//! The fields that `tracing-opentelemetry` reads are read the same way:
//! `otel.name` names the span, `otel.kind` is its kind (`server`, `client`,
//! `producer`, `consumer`, `internal`), `otel.status_code` (`ok`, `error`)
//! and `otel.status_description` its status.
//!
//! Programs that keep `tracing-opentelemetry` instead, with its spans
//! nested under tracekit's, turn on
//! [`Config::opentelemetry_context`](crate::Config::opentelemetry_context).

use crate::facade::code_location::CodeLocation;
use crate::facade::dispatch;
use crate::facade::live::LiveSpan;
use crate::facade::open::{OpenSpan, SpanStart};
use crate::facade::stack::{self, Token};
use crate::facade::start::start_span;
use opentelemetry::trace::{SpanContext, SpanKind, Status};
use opentelemetry::{Key, KeyValue, Value};
use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::Context as LayerContext;
use tracing_subscriber::registry::LookupSpan;

/// The layer that records `tracing`'s spans and events as tracekit's;
/// made by [`layer`].
#[derive(Debug, Default, Clone, Copy)]
pub struct Layer {
    _private: (),
}

/// A layer for `tracing_subscriber::registry().with(..)`.
///
/// ```
/// use tracing_subscriber::layer::SubscriberExt as _;
/// use tracing_subscriber::util::SubscriberInitExt as _;
///
/// tracing_subscriber::registry().with(tracekit::subscriber::layer()).init();
/// ```
pub fn layer() -> Layer {
    Layer::default()
}

/// What the layer keeps in a `tracing` span's extensions: the span,
/// which is never entered itself (a thread that enters it makes its ids
/// current), so that its ids and local trace are always at hand in it.
struct Traced {
    open: OpenSpan,
}

impl Traced {
    fn ids(&self) -> Option<&SpanContext> {
        self.open.ids()
    }
}

thread_local! {
    /// The `tracing` spans this thread entered, innermost last, each with
    /// the frame of tracekit's stack its ids are current in.
    static ENTERED: RefCell<Vec<(Id, Token)>> = const { RefCell::new(Vec::new()) };
}

impl<S> tracing_subscriber::Layer<S> for Layer
where
    S: Subscriber + for<'lookup> LookupSpan<'lookup>,
{
    fn on_new_span(&self, attributes: &Attributes<'_>, id: &Id, context: LayerContext<'_, S>) {
        // Spans of the export's own client (hyper, tonic) are not traced.
        if !dispatch::is_active() || opentelemetry::Context::is_current_telemetry_suppressed() {
            return;
        }
        let Some(span) = context.span(id) else { return };
        // An explicit parent is that span; a contextual one is whatever is
        // current on tracekit's stack, where entered `tracing` spans are too.
        let explicit = match (attributes.is_root(), attributes.parent()) {
            (true, _) => Some((SpanContext::empty_context(), None)),
            (false, Some(parent)) => Some(
                context
                    .span(parent)
                    .and_then(|parent| {
                        let extensions = parent.extensions();
                        let traced = extensions.get::<Traced>()?;
                        Some((traced.ids()?.clone(), traced.open.local_trace()))
                    })
                    .unwrap_or_else(|| (SpanContext::empty_context(), None)),
            ),
            (false, None) => None,
        };
        let parent_ids = explicit.as_ref().map(|(ids, _)| ids.clone());
        let parent = explicit.map(|(ids, local_trace)| stack::context_of(ids, local_trace));
        // A status given when the span was made is set once it has started.
        let mut status = None;
        let start = || {
            let metadata = attributes.metadata();
            let mut fields = Fields::new(true);
            attributes.record(&mut fields);
            status = fields.status.take();
            let name = fields.name.take().map_or(Cow::Borrowed(metadata.name()), Cow::Owned);
            let kind = fields.kind.unwrap_or(SpanKind::Internal);
            // The file and line are made into attributes on export.
            let code = Some(CodeLocation::Tracing(metadata));
            SpanStart { name, kind, code, attributes: fields.attributes, started: None }
        };
        let open = match start_span(start, || parent, &mut |_| {}) {
            Some(mut open) => {
                if let Some(status) = status {
                    open.with_live(|live| live.set_status(status));
                }
                open
            }
            // Skipped under an unsampled span of this process: it stands for
            // that span, so that what names it as a parent joins it.
            None => {
                let ids = parent_ids.or_else(stack::current_ids).unwrap_or_else(SpanContext::empty_context);
                OpenSpan::not_recorded(ids)
            }
        };
        if open.ids().is_some() {
            span.extensions_mut().insert(Traced { open });
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, context: LayerContext<'_, S>) {
        let Some(span) = context.span(id) else { return };
        let mut extensions = span.extensions_mut();
        let Some(traced) = extensions.get_mut::<Traced>().filter(|traced| traced.open.recording) else { return };
        let mut fields = Fields::new(true);
        values.record(&mut fields);
        traced.open.with_live(|live| fields.apply(live));
    }

    fn on_enter(&self, id: &Id, context: LayerContext<'_, S>) {
        let Some(span) = context.span(id) else { return };
        let extensions = span.extensions();
        let Some(ids) = extensions.get::<Traced>().and_then(Traced::ids) else { return };
        // Only the span's ids are current on tracekit's stack: the span
        // itself stays in its extensions, where a record or an event reaches
        // it whichever thread has it entered, on several threads at once too.
        let token = stack::enter_ids(ids);
        drop(extensions);
        // A thread being torn down keeps no record: its exit finds none.
        let _ = ENTERED.try_with(|entered| entered.borrow_mut().push((id.clone(), token)));
    }

    fn on_exit(&self, id: &Id, _context: LayerContext<'_, S>) {
        let entry = ENTERED
            .try_with(|entered| {
                let mut entered = entered.borrow_mut();
                let at = entered.iter().rposition(|(entered, _)| entered == id)?;
                Some(entered.remove(at))
            })
            .ok()
            .flatten();
        // Made not current off the borrow.
        if let Some((_, token)) = entry {
            stack::exit_ids(token);
        }
    }

    fn on_close(&self, id: Id, context: LayerContext<'_, S>) {
        let Some(span) = context.span(&id) else { return };
        let traced = span.extensions_mut().remove::<Traced>();
        if let Some(mut traced) = traced {
            traced.open.end(false, None);
        }
    }

    fn on_event(&self, event: &Event<'_>, context: LayerContext<'_, S>) {
        if !dispatch::is_active() || opentelemetry::Context::is_current_telemetry_suppressed() {
            return;
        }
        let mut fields = Fields::new(false);
        event.record(&mut fields);
        let metadata = event.metadata();
        let message = fields.message.take().unwrap_or_else(|| metadata.name().to_owned());
        let failed = (*metadata.level() == Level::ERROR).then(|| message.clone());
        let mut attributes = fields.attributes;
        attributes.push(KeyValue::new("level", metadata.level().as_str()));
        attributes.push(KeyValue::new("target", metadata.target()));
        let record = |live: &mut LiveSpan| {
            live.add_event_with_timestamp(message, crate::support::clock::now(), attributes);
            if let Some(message) = failed {
                live.set_status(Status::error(message));
            }
        };
        // The span named as the event's parent, else the innermost current
        // one: a tracekit span on top of tracekit's stack, or the `tracing`
        // span whose ids are there.
        let current = stack::current_ids();
        let span = match event.parent() {
            Some(parent) => context.span(parent),
            None if event.is_contextual() => context.lookup_current().filter(|span| {
                let ids = span.extensions().get::<Traced>().and_then(|traced| traced.ids().map(SpanContext::span_id));
                current.as_ref().is_none_or(|current| Some(current.span_id()) == ids)
            }),
            None => return,
        };
        match (span, current) {
            (Some(span), _) => {
                if let Some(traced) = span.extensions_mut().get_mut::<Traced>() {
                    traced.open.with_live(record);
                }
            }
            (None, Some(current)) if event.parent().is_none() => {
                stack::with_live_span(current.span_id(), record);
            }
            (None, _) => {}
        }
    }
}

/// Reads the fields of a span or an event: typed attributes, and the
/// `otel.*` conventions.
struct Fields {
    /// Whether the `otel.*` fields are read (on spans).
    conventions: bool,
    attributes: Vec<KeyValue>,
    name: Option<String>,
    kind: Option<SpanKind>,
    status: Option<Status>,
    status_description: Option<String>,
    /// An event's `message`.
    message: Option<String>,
}

impl Fields {
    fn new(conventions: bool) -> Self {
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
    fn apply(mut self, live: &mut LiveSpan) {
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
