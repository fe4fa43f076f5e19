//! Spans made by hand, and the current span.

use crate::facade::clock::Reading;
use crate::facade::failure::mark_error;
use crate::facade::metered::Stopwatch;
use crate::facade::open::{OpenSpan, SpanStart};
use opentelemetry::trace::{SpanId, SpanKind, TraceContextExt, TraceId};
use opentelemetry::{Context, ContextGuard, Key, KeyValue, Value};
use std::borrow::Cow;

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
    NewSpan { name: name.into(), kind: SpanKind::Internal, attributes: Vec::new(), parent: None }
}

/// A span not yet started; made by [`span`].
#[derive(Debug)]
#[must_use = "a span starts with `.in_scope(..)` or `.entered()`"]
pub struct NewSpan {
    name: Cow<'static, str>,
    kind: SpanKind,
    attributes: Vec<KeyValue>,
    parent: Option<Context>,
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
        let NewSpan { name, kind, attributes, parent } = self;
        let timed = Stopwatch::start().map(|stopwatch| Timed { stopwatch, name: name.clone(), kind: kind.clone() });
        let started = timed.as_ref().map(|timed| timed.stopwatch.started());
        let open =
            OpenSpan::start(|| SpanStart { name, kind, code: None, attributes, started }, || parent, &mut |_| {});
        let _attached = open.as_ref().map(|open| open.cx.clone().attach());
        EnteredSpan { open, timed, _attached }
    }
}

/// A started, current span; dropping it ends the span and restores the
/// previous current span. Made by [`NewSpan::entered`].
#[must_use = "the span ends as soon as this guard is dropped"]
pub struct EnteredSpan {
    open: Option<OpenSpan>,
    /// The span's clock for the metrics, while they are on.
    timed: Option<Timed>,
    // Declared last so the span ends while it is still current.
    _attached: Option<ContextGuard>,
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
        // One reading ends both the span and, while metrics are on, its duration.
        let ended = self.timed.as_ref().map(|_| Reading::now());
        if let (Some(Timed { stopwatch, name, kind }), Some(ended)) = (self.timed.take(), ended) {
            stopwatch.stop_span(name, &kind, ended, std::thread::panicking().then_some("panic"));
        }
        if let Some(open) = &self.open {
            open.end(false, ended);
        }
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
    CurrentSpan { cx: Context::current() }
}

/// A handle on the span that was current when [`current_span`] was called.
/// Every method does nothing when there is no span or it is not recorded.
#[derive(Debug)]
pub struct CurrentSpan {
    cx: Context,
}

impl CurrentSpan {
    /// Sets an attribute.
    ///
    /// ```
    /// tracekit::current_span().set_attribute("user.id", 42_i64);
    /// ```
    pub fn set_attribute(&self, key: impl Into<Key>, value: impl Into<Value>) {
        self.cx.span().set_attribute(KeyValue::new(key, value));
    }

    /// Adds an event with attributes.
    ///
    /// ```
    /// use tracekit::KeyValue;
    /// tracekit::current_span().add_event("cache.miss", [KeyValue::new("key", "user:42")]);
    /// ```
    pub fn add_event(&self, name: impl Into<Cow<'static, str>>, attributes: impl IntoIterator<Item = KeyValue>) {
        self.cx.span().add_event(name, attributes.into_iter().collect());
    }

    /// Marks the span failed: status Error, an `exception` event and `error.type`.
    ///
    /// ```
    /// let error = std::io::Error::other("disk full");
    /// tracekit::current_span().record_error(&error);
    /// ```
    pub fn record_error<E: std::error::Error + ?Sized>(&self, error: &E) {
        mark_error(&self.cx.span(), std::any::type_name::<E>(), error.to_string());
    }

    /// The trace id, if there is a current span.
    ///
    /// ```
    /// let id = tracekit::span("job").in_scope(|| tracekit::current_span().trace_id());
    /// # let _ = id;
    /// ```
    pub fn trace_id(&self) -> Option<TraceId> {
        let context = self.cx.span().span_context().clone();
        context.is_valid().then(|| context.trace_id())
    }

    /// The span id, if there is a current span.
    ///
    /// ```
    /// assert_eq!(tracekit::current_span().span_id(), None); // no span here
    /// ```
    pub fn span_id(&self) -> Option<SpanId> {
        let context = self.cx.span().span_context().clone();
        context.is_valid().then(|| context.span_id())
    }

    /// Whether the span is being recorded (it exists and was sampled).
    ///
    /// ```
    /// assert!(!tracekit::current_span().is_recording());
    /// ```
    pub fn is_recording(&self) -> bool {
        self.cx.span().is_recording()
    }
}
