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

mod fields;
mod sites;

use crate::facade::code_location::CodeLocation;
use crate::facade::dispatch;
use crate::facade::lane;
use crate::facade::live::{CallSpan, Lane, LiveSpan, LocalTraceRef};
use crate::facade::open::{OpenSpan, SpanStart};
use crate::facade::stack::{self, Token};
use crate::facade::start::{start_call_span, start_span};
use fields::Fields;
use opentelemetry::trace::{SpanContext, SpanKind, Status};
use opentelemetry::KeyValue;
use std::borrow::Cow;
use std::cell::RefCell;
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

/// What the layer keeps in a `tracing` span's extensions: the span, which
/// is never entered itself (a thread that enters it makes its ids
/// current), so that its ids and local trace are always at hand in it.
enum Traced {
    /// Started by the backend: under a parent named by hand, or with a
    /// name, kind or status of its own (`otel.*`).
    Started(OpenSpan),
    /// Started as an annotated call is, on the lane of the tracekit span
    /// it was made under or on the lane for roots, in the call's box; it
    /// ends as a compact record unless more than attributes is recorded.
    OnLane(Box<CallSpan>),
}

impl Traced {
    fn ids(&self) -> Option<&SpanContext> {
        match self {
            Traced::Started(open) => open.ids(),
            Traced::OnLane(call) => Some(&call.ids),
        }
    }

    fn local_trace(&self) -> Option<LocalTraceRef> {
        match self {
            Traced::Started(open) => open.local_trace(),
            Traced::OnLane(call) => call.local_trace(),
        }
    }

    /// The lane the calls and spans under the span start on, if it has one.
    fn lane(&self) -> Option<&Lane> {
        match self {
            Traced::Started(_) => None,
            Traced::OnLane(call) => call.lane.as_ref().filter(|_| call.recorded),
        }
    }

    fn is_recorded(&self) -> bool {
        match self {
            Traced::Started(open) => open.recording,
            Traced::OnLane(call) => call.recorded,
        }
    }

    /// Runs `f` on the span, if it is recorded.
    fn with_live<R>(&mut self, f: impl FnOnce(&mut LiveSpan) -> R) -> Option<R> {
        match self {
            Traced::Started(open) => open.with_live(f),
            Traced::OnLane(call) => call.live().map(f),
        }
    }

    /// Records what `Span::record` gave: on a call whose span has no record
    /// yet, attributes alone wait in it.
    fn record(&mut self, fields: Fields) {
        match self {
            Traced::OnLane(call) if call.live.is_none() && fields.name.is_none() && fields.status.is_none() => {
                call.wait_with(fields.attributes);
            }
            traced => {
                traced.with_live(|live| fields.apply(live));
            }
        }
    }

    fn end(self) {
        match self {
            Traced::Started(mut open) => open.end(false, None),
            // Nothing recorded: no clock to read, only the box to keep.
            Traced::OnLane(call) if !call.recorded => stack::recycle_call(call),
            Traced::OnLane(call) => {
                lane::end_call_box(call, false, |_, _| ());
            }
        }
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
        let traced = match (attributes.is_root(), attributes.parent()) {
            (true, _) => start_by_backend(attributes, Some((SpanContext::empty_context(), None))),
            (false, Some(parent)) => {
                let parent = context.span(parent).and_then(|parent| {
                    let extensions = parent.extensions();
                    let traced = extensions.get::<Traced>()?;
                    Some((traced.ids()?.clone(), traced.local_trace()))
                });
                start_by_backend(attributes, Some(parent.unwrap_or_else(|| (SpanContext::empty_context(), None))))
            }
            (false, None) => start_in_context(attributes),
        };
        if traced.ids().is_some() {
            span.extensions_mut().insert(traced);
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, context: LayerContext<'_, S>) {
        let Some(span) = context.span(id) else { return };
        let mut extensions = span.extensions_mut();
        let Some(traced) = extensions.get_mut::<Traced>().filter(|traced| traced.is_recorded()) else { return };
        let mut fields = Fields::new(true);
        values.record(&mut fields);
        traced.record(fields);
    }

    fn on_enter(&self, id: &Id, context: LayerContext<'_, S>) {
        let Some(span) = context.span(id) else { return };
        let extensions = span.extensions();
        let Some(traced) = extensions.get::<Traced>() else { return };
        let Some(ids) = traced.ids() else { return };
        // Only the span's ids (and the local trace it is held in) are
        // current on tracekit's stack: the span itself stays in its
        // extensions, where a record or an event reaches it whichever
        // thread has it entered, on several threads at once too.
        let token = stack::enter_ids(ids, traced.local_trace(), traced.lane());
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
        if let Some(traced) = traced {
            traced.end();
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
                    traced.with_live(record);
                }
            }
            (None, Some(current)) if event.parent().is_none() => {
                stack::with_live_span(current.span_id(), record);
            }
            (None, _) => {}
        }
    }
}

/// Starts a span whose parent is whatever is current here: as an annotated
/// call starts, on a lane where it can, its fields read only if it is
/// recorded; otherwise by the backend.
fn start_in_context(attributes: &Attributes<'_>) -> Traced {
    let site = sites::site_of(attributes.metadata());
    if site.conventions {
        return start_by_backend(attributes, None);
    }
    let started = start_call_span(&site.callsite, || span_start(attributes).0, &mut |_| {});
    let on_lane = started.map(|pushed| (pushed.recorded, stack::take_call_box(pushed.token)));
    match on_lane {
        Ok((recorded, Some(mut call))) => {
            // A span with no field values (`skip_all`) has nothing to read.
            if recorded && !attributes.values().is_empty() {
                let mut fields = Fields::new(true);
                attributes.record(&mut fields);
                call.wait_with(fields.attributes);
            }
            Traced::OnLane(call)
        }
        // Not reached: the box was just pushed on this thread's stack. Were
        // it missing, what is current still stands for the span.
        Ok((_, None)) => Traced::Started(standing_for_current()),
        Err(open) => Traced::Started(open.unwrap_or_else(standing_for_current)),
    }
}

/// Starts a span through the backend, under `explicit` (ids and local
/// trace) if given, else under whatever is current here.
fn start_by_backend(attributes: &Attributes<'_>, explicit: Option<(SpanContext, Option<LocalTraceRef>)>) -> Traced {
    let parent_ids = explicit.as_ref().map(|(ids, _)| ids.clone());
    let parent = explicit.map(|(ids, local_trace)| stack::context_of(ids, local_trace));
    // A status given when the span was made is set once it has started.
    let mut status = None;
    let start = || {
        let (start, given) = span_start(attributes);
        status = given;
        start
    };
    let open = match start_span(start, || parent, &mut |_| {}) {
        Some(mut open) => {
            if let Some(status) = status {
                open.with_live(|live| live.set_status(status));
            }
            open
        }
        None => match parent_ids {
            Some(ids) => OpenSpan::not_recorded(ids),
            None => standing_for_current(),
        },
    };
    Traced::Started(open)
}

/// A span skipped under an unsampled span of this process: it stands for
/// that span, so that what names it as a parent joins it.
fn standing_for_current() -> OpenSpan {
    OpenSpan::not_recorded(stack::current_ids().unwrap_or_else(SpanContext::empty_context))
}

/// Where a `tracing` span starts, from its metadata and fields, with the
/// status its fields give, set once it has started.
fn span_start(attributes: &Attributes<'_>) -> (SpanStart, Option<Status>) {
    let metadata = attributes.metadata();
    let mut fields = Fields::new(true);
    attributes.record(&mut fields);
    let name = fields.name.take().map_or(Cow::Borrowed(metadata.name()), Cow::Owned);
    let kind = fields.kind.unwrap_or(SpanKind::Internal);
    // The file and line are made into attributes on export.
    let code = Some(CodeLocation::Tracing(metadata));
    (SpanStart { name, kind, code, attributes: fields.attributes, started: None }, fields.status.take())
}
