//! Spans made by hand, and the current span.

use crate::facade::failure::mark_error;
use crate::facade::link::LinkTarget;
use crate::facade::live::LiveSpan;
use crate::facade::open::{end_call, OpenSpan, SpanStart};
use crate::facade::start::start_span;
use crate::metered::Stopwatch;
use opentelemetry::trace::{SpanContext, SpanId, SpanKind, TraceId};
use opentelemetry::{Context, Key, KeyValue, Value};
use std::borrow::Cow;
use std::marker::PhantomData;

/// Starts describing a span named `name`; finish with
/// [`in_scope`](NewSpan::in_scope) or [`entered`](NewSpan::entered).
///
/// ```
/// let total = tracekit::span("sum_batch")
///     .attribute("batch.size", 3_i64)
///     .in_scope(|| [1, 2, 3].iter().sum::<i32>());
/// assert_eq!(total, 6);
/// ```
pub fn span(name: impl Into<Cow<'static, str>>) -> NewSpan {
    NewSpan { name: name.into(), kind: SpanKind::Internal, attributes: Vec::new(), parent: None, links: Vec::new() }
}

/// A span not yet started; made by [`span`].
#[derive(Debug)]
#[must_use = "a span starts with `.in_scope(..)` or `.entered()`"]
pub struct NewSpan {
    name: Cow<'static, str>,
    kind: SpanKind,
    attributes: Vec<KeyValue>,
    parent: Option<Context>,
    links: Vec<(SpanContext, Vec<KeyValue>)>,
}

impl NewSpan {
    /// Continues `parent` (such as a context extracted from a request's
    /// headers by [`propagation::extract`](crate::propagation::extract))
    /// instead of the current context.
    ///
    /// ```
    /// use std::collections::HashMap;
    /// let headers = HashMap::from([(
    ///     "traceparent".to_owned(),
    ///     "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".to_owned(),
    /// )]);
    /// let remote = tracekit::propagation::extract(&headers);
    /// let (trace_id, spans) = tracekit::testing::capture(|| {
    ///     tracekit::span("handle").parent(remote).in_scope(|| tracekit::current_span().trace_id())
    /// });
    /// assert_eq!(trace_id.unwrap().to_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
    /// # let _ = spans;
    /// ```
    pub fn parent(mut self, parent: Context) -> Self {
        self.parent = Some(parent);
        self
    }

    /// Sets the span kind (default: internal).
    ///
    /// ```
    /// use tracekit::SpanKind;
    /// tracekit::span("GET /users").kind(SpanKind::Server).in_scope(|| ());
    /// ```
    pub fn kind(mut self, kind: SpanKind) -> Self {
        self.kind = kind;
        self
    }

    /// Adds an attribute.
    ///
    /// ```
    /// tracekit::span("query").attribute("db.system", "postgresql").in_scope(|| ());
    /// ```
    pub fn attribute(mut self, key: impl Into<Key>, value: impl Into<Value>) -> Self {
        self.attributes.push(KeyValue::new(key, value));
        self
    }

    /// Links the span to `target`: a span this one follows from without
    /// being its child, such as the producer of a message it consumes (a
    /// `Context` extracted from the message's headers) or a failed attempt
    /// it retries. A target without a valid span is left out.
    ///
    /// ```
    /// use std::collections::HashMap;
    /// let message = HashMap::from([(
    ///     "traceparent".to_owned(),
    ///     "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".to_owned(),
    /// )]);
    /// let producer = tracekit::propagation::extract(&message);
    /// let ((), spans) = tracekit::testing::capture(|| tracekit::span("consume").link(producer).in_scope(|| ()));
    /// let link = &spans.get("consume").links()[0];
    /// assert_eq!(link.span_context.trace_id().to_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
    /// assert!(link.span_context.is_remote());
    /// ```
    pub fn link(self, target: impl LinkTarget) -> Self {
        self.link_with(target, [])
    }

    /// Links the span to `target` with attributes on the link.
    ///
    /// ```
    /// use tracekit::KeyValue;
    /// let attempt = tracekit::span("attempt").in_scope(tracekit::context::current);
    /// tracekit::span("retry").link_with(&attempt, [KeyValue::new("retry.reason", "timeout")]).in_scope(|| ());
    /// ```
    pub fn link_with(mut self, target: impl LinkTarget, attributes: impl IntoIterator<Item = KeyValue>) -> Self {
        if let Some(link) = target.link_target() {
            self.links.push((link, attributes.into_iter().collect()));
        }
        self
    }

    /// Runs `f` inside the span, which ends when `f` returns or panics.
    ///
    /// ```
    /// let answer = tracekit::span("compute").in_scope(|| 6 * 7);
    /// assert_eq!(answer, 42);
    /// ```
    pub fn in_scope<R>(self, f: impl FnOnce() -> R) -> R {
        let _entered = self.entered();
        f()
    }

    /// Starts the span and makes it current until the returned guard is dropped.
    ///
    /// ```
    /// let guard = tracekit::span("step").entered();
    /// tracekit::current_span().set_attribute("step.number", 1_i64);
    /// drop(guard); // the span ends
    /// ```
    pub fn entered(self) -> EnteredSpan {
        let NewSpan { name, kind, attributes, parent, mut links } = self;
        let timed = Stopwatch::start().map(|stopwatch| Timed { stopwatch, name: name.clone(), kind: kind.clone() });
        let started = timed.as_ref().map(|timed| timed.stopwatch.started());
        let open =
            start_span(|| SpanStart { name, kind, code: None, attributes, started }, || parent, &mut |recorder| {
                for (link, attributes) in links.drain(..) {
                    recorder.link(link, attributes);
                }
            });
        let mut open = open;
        if let Some(open) = &mut open {
            open.enter();
        }
        EnteredSpan { open, timed, _not_send: PhantomData }
    }
}

/// A started, current span; dropping it ends the span and restores the
/// previous current span. Made by [`NewSpan::entered`]. It stays on the
/// thread that entered it (across an `.await`, use
/// [`NewSpan::in_scope`] around synchronous parts, or an annotated
/// `async fn`):
///
/// ```compile_fail
/// fn send<T: Send>(_: T) {}
/// send(tracekit::span("step").entered());
/// ```
#[must_use = "the span ends as soon as this guard is dropped"]
pub struct EnteredSpan {
    open: Option<OpenSpan>,
    /// The span's clock for the metrics, while they are on.
    timed: Option<Timed>,
    /// Current on the thread that entered it, the guard stays there, as
    /// `tracing`'s does: held across an `.await`, it would be dropped on
    /// another worker, away from its thread's stack.
    _not_send: PhantomData<*const ()>,
}

/// What the metrics of a manual span need at its end.
struct Timed {
    stopwatch: Stopwatch,
    name: Cow<'static, str>,
    kind: SpanKind,
}

impl std::fmt::Debug for EnteredSpan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnteredSpan")
            .field("recording", &self.open.as_ref().is_some_and(|open| open.recording))
            .finish()
    }
}

impl Drop for EnteredSpan {
    fn drop(&mut self) {
        let timed = self.timed.take();
        end_call(self.open.as_mut(), timed.is_some(), false, |ended, _| {
            if let Some(Timed { stopwatch, name, kind }) = timed {
                stopwatch.stop_span(name, &kind, ended, std::thread::panicking().then_some("panic"));
            }
        });
    }
}

/// The span that is current on this thread (or task), to add to it.
///
/// ```
/// #[tracekit::trace_operation]
/// fn load(id: u64) {
///     tracekit::current_span().set_attribute("cache.hit", id % 2 == 0);
/// }
/// load(7);
/// ```
pub fn current_span() -> CurrentSpan {
    let (ids, context) = crate::facade::stack::current_parent(|_| ()).0.into_parts();
    CurrentSpan { ids, context }
}

/// A handle on the span that was current when [`current_span`] was called.
/// Every method does nothing when there is no span or it is not recorded,
/// and for a tracekit span once it is no longer current on this thread.
#[derive(Debug)]
pub struct CurrentSpan {
    ids: SpanContext,
    /// OpenTelemetry's current `Context`, when its span was the current one
    /// (no tracekit span was current, or OpenTelemetry code made one current
    /// inside it).
    context: Option<Context>,
}

impl CurrentSpan {
    /// Runs `f` on the span, if it is recorded and still current here.
    fn with_span(&self, f: impl FnOnce(&mut LiveSpan)) {
        match &self.context {
            Some(context) => f(&mut LiveSpan::Context(context.clone())),
            None => {
                crate::facade::stack::with_live_span(self.ids.span_id(), f);
            }
        }
    }

    /// Sets an attribute.
    ///
    /// ```
    /// tracekit::current_span().set_attribute("user.id", 42_i64);
    /// ```
    pub fn set_attribute(&self, key: impl Into<Key>, value: impl Into<Value>) {
        let attribute = KeyValue::new(key, value);
        self.with_span(|span| span.set_attribute(attribute));
    }

    /// Adds an event with attributes.
    ///
    /// ```
    /// use tracekit::KeyValue;
    /// tracekit::current_span().add_event("cache.miss", [KeyValue::new("key", "user:42")]);
    /// ```
    pub fn add_event(&self, name: impl Into<Cow<'static, str>>, attributes: impl IntoIterator<Item = KeyValue>) {
        let attributes = attributes.into_iter().collect();
        self.with_span(|span| span.add_event_with_timestamp(name, crate::support::clock::now(), attributes));
    }

    /// Links the span to `target`, with attributes on the link: for what
    /// is learnt only while the span runs, such as the message a consumer
    /// has just received. A target without a valid span is left out.
    ///
    /// ```
    /// use tracekit::KeyValue;
    /// let ((), spans) = tracekit::testing::capture(|| {
    ///     let earlier = tracekit::span("earlier").in_scope(tracekit::context::current);
    ///     tracekit::span("later").in_scope(|| {
    ///         tracekit::current_span().add_link(&earlier, [KeyValue::new("link.reason", "follows")]);
    ///     })
    /// });
    /// let link = &spans.get("later").links()[0];
    /// assert_eq!(link.span_context.span_id(), spans.get("earlier").span_id());
    /// assert_eq!(link.attributes, [KeyValue::new("link.reason", "follows")]);
    /// ```
    pub fn add_link(&self, target: impl LinkTarget, attributes: impl IntoIterator<Item = KeyValue>) {
        if let Some(link) = target.link_target() {
            let attributes = attributes.into_iter().collect();
            self.with_span(|span| span.add_link(link, attributes));
        }
    }

    /// Marks the span failed: status Error, an `exception` event and `error.type`.
    ///
    /// ```
    /// let error = std::io::Error::other("disk full");
    /// tracekit::current_span().record_error(&error);
    /// ```
    pub fn record_error<E: std::error::Error + ?Sized>(&self, error: &E) {
        // Formatted first: the error's `Display` may start spans of its own.
        let message = error.to_string();
        self.with_span(|span| mark_error(span, std::any::type_name::<E>(), message));
    }

    /// The trace id, if there is a current span.
    ///
    /// ```
    /// let id = tracekit::span("job").in_scope(|| tracekit::current_span().trace_id());
    /// # let _ = id;
    /// ```
    pub fn trace_id(&self) -> Option<TraceId> {
        self.ids.is_valid().then(|| self.ids.trace_id())
    }

    /// The span id, if there is a current span.
    ///
    /// ```
    /// assert_eq!(tracekit::current_span().span_id(), None); // no span here
    /// ```
    pub fn span_id(&self) -> Option<SpanId> {
        self.ids.is_valid().then(|| self.ids.span_id())
    }

    /// Whether the span is being recorded (it exists and was sampled).
    ///
    /// ```
    /// assert!(!tracekit::current_span().is_recording());
    /// ```
    pub fn is_recording(&self) -> bool {
        let mut recording = false;
        self.with_span(|span| recording = span.is_recording());
        recording
    }
}
