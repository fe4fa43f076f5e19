use crate::export::render;
use crate::support::terminal::Style;
use opentelemetry::trace::{Event, Link, SpanId, SpanKind, Status, TraceId};
use opentelemetry::Value;
use opentelemetry_sdk::trace::SpanData;
use std::fmt;
use std::time::Duration;

/// Captured spans, in the order they ended. Lookups that expect something
/// panic with the whole captured tree, so a failing test shows what was made.
///
/// ```
/// #[tracekit::trace_operation]
/// fn outer() { inner() }
/// #[tracekit::trace_operation]
/// fn inner() {}
///
/// let ((), spans) = tracekit::testing::capture(outer);
/// let outer = spans.get("outer");
/// assert_eq!(spans.parent(spans.get("inner")).map(|p| p.name()), Some("outer"));
/// assert_eq!(spans.children(outer).len(), 1);
/// ```
#[derive(Clone)]
pub struct Spans {
    spans: Vec<CapturedSpan>,
    /// The names of spans that a capture saw start and not end.
    unfinished: Vec<String>,
}

impl Spans {
    pub(crate) fn new(data: Vec<SpanData>) -> Spans {
        Spans { spans: data.into_iter().map(|data| CapturedSpan { data }).collect(), unfinished: Vec::new() }
    }

    pub(crate) fn with_unfinished(self, unfinished: Vec<String>) -> Spans {
        Spans { unfinished, ..self }
    }

    /// How many spans were captured.
    ///
    /// ```
    /// let ((), spans) = tracekit::testing::capture(|| ());
    /// assert_eq!(spans.len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// Whether no span was captured.
    ///
    /// ```
    /// let ((), spans) = tracekit::testing::capture(|| ());
    /// assert!(spans.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// The spans, in the order they ended.
    ///
    /// ```
    /// let ((), spans) = tracekit::testing::capture(|| tracekit::span("a").in_scope(|| ()));
    /// assert_eq!(spans.iter().count(), 1);
    /// ```
    pub fn iter(&self) -> std::slice::Iter<'_, CapturedSpan> {
        self.spans.iter()
    }

    /// The names of the spans, in the order they ended.
    ///
    /// ```
    /// let ((), spans) = tracekit::testing::capture(|| tracekit::span("a").in_scope(|| ()));
    /// assert_eq!(spans.names(), ["a"]);
    /// ```
    pub fn names(&self) -> Vec<&str> {
        self.spans.iter().map(CapturedSpan::name).collect()
    }

    /// The first span named `name`, if any.
    ///
    /// ```
    /// let ((), spans) = tracekit::testing::capture(|| ());
    /// assert!(spans.find("missing").is_none());
    /// ```
    pub fn find(&self, name: &str) -> Option<&CapturedSpan> {
        self.spans.iter().find(|span| span.name() == name)
    }

    /// Every span named `name`.
    ///
    /// ```
    /// let ((), spans) = tracekit::testing::capture(|| {
    ///     for _ in 0..3 { tracekit::span("tick").in_scope(|| ()) }
    /// });
    /// assert_eq!(spans.all("tick").len(), 3);
    /// ```
    pub fn all(&self, name: &str) -> Vec<&CapturedSpan> {
        self.spans.iter().filter(|span| span.name() == name).collect()
    }

    /// The one span named `name`.
    ///
    /// # Panics
    /// When there is no such span or more than one, showing the captured tree.
    ///
    /// ```
    /// let ((), spans) = tracekit::testing::capture(|| tracekit::span("a").in_scope(|| ()));
    /// assert_eq!(spans.get("a").name(), "a");
    /// ```
    #[track_caller]
    pub fn get(&self, name: &str) -> &CapturedSpan {
        match self.all(name).as_slice() {
            [one] => one,
            [] => self.fail(&format!("no span named {name:?}")),
            many => self.fail(&format!("{} spans named {name:?}, expected one", many.len())),
        }
    }

    /// Every span that satisfies `predicate`.
    ///
    /// ```
    /// let ((), spans) = tracekit::testing::capture(|| tracekit::span("a").in_scope(|| ()));
    /// assert_eq!(spans.filter(|span| !span.is_error()).len(), 1);
    /// ```
    pub fn filter(&self, predicate: impl Fn(&CapturedSpan) -> bool) -> Vec<&CapturedSpan> {
        self.spans.iter().filter(|span| predicate(span)).collect()
    }

    /// Every span whose status is Error.
    ///
    /// ```
    /// let ((), spans) = tracekit::testing::capture(|| ());
    /// assert!(spans.errors().is_empty());
    /// ```
    pub fn errors(&self) -> Vec<&CapturedSpan> {
        self.filter(CapturedSpan::is_error)
    }

    /// Every span with attribute `key` equal to `value`.
    ///
    /// ```
    /// let ((), spans) = tracekit::testing::capture(|| {
    ///     tracekit::span("query").attribute("db.system", "postgresql").in_scope(|| ())
    /// });
    /// assert_eq!(spans.with_attribute("db.system", "postgresql").len(), 1);
    /// ```
    pub fn with_attribute(&self, key: &str, value: impl Into<Value>) -> Vec<&CapturedSpan> {
        let value = value.into();
        self.filter(|span| span.attribute(key) == Some(&value))
    }

    /// The spans without a captured parent.
    ///
    /// ```
    /// let ((), spans) = tracekit::testing::capture(|| tracekit::span("a").in_scope(|| ()));
    /// assert_eq!(spans.roots().len(), 1);
    /// ```
    pub fn roots(&self) -> Vec<&CapturedSpan> {
        self.filter(|span| self.parent(span).is_none())
    }

    /// The captured parent of `span`.
    ///
    /// ```
    /// let ((), spans) = tracekit::testing::capture(|| {
    ///     tracekit::span("parent").in_scope(|| tracekit::span("child").in_scope(|| ()))
    /// });
    /// assert_eq!(spans.parent(spans.get("child")).unwrap().name(), "parent");
    /// ```
    pub fn parent(&self, span: &CapturedSpan) -> Option<&CapturedSpan> {
        let parent = span.parent_span_id()?;
        self.spans.iter().find(|candidate| candidate.span_id() == parent)
    }

    /// The captured children of `span`, in the order they started.
    ///
    /// ```
    /// let ((), spans) = tracekit::testing::capture(|| {
    ///     tracekit::span("parent").in_scope(|| tracekit::span("child").in_scope(|| ()))
    /// });
    /// assert_eq!(spans.children(spans.get("parent"))[0].name(), "child");
    /// ```
    pub fn children(&self, span: &CapturedSpan) -> Vec<&CapturedSpan> {
        let mut children = self.filter(|candidate| candidate.parent_span_id() == Some(span.span_id()));
        children.sort_by_key(|child| child.data.start_time);
        children
    }

    /// Asserts that the one span named `child` is a child of the one named `parent`.
    ///
    /// # Panics
    /// When it is not, showing the captured tree.
    ///
    /// ```
    /// let ((), spans) = tracekit::testing::capture(|| {
    ///     tracekit::span("parent").in_scope(|| tracekit::span("child").in_scope(|| ()))
    /// });
    /// spans.assert_child_of("child", "parent");
    /// ```
    #[track_caller]
    pub fn assert_child_of(&self, child: &str, parent: &str) {
        let (child_span, parent_span) = (self.get(child), self.get(parent));
        if child_span.parent_span_id() != Some(parent_span.span_id()) {
            let actual = self.parent(child_span).map_or("no captured parent".to_owned(), |p| format!("{:?}", p.name()));
            self.fail(&format!("{child:?} is not a child of {parent:?}; its parent is {actual}"));
        }
    }

    /// The captured spans drawn as trees, one per trace, without colours.
    ///
    /// ```
    /// let ((), spans) = tracekit::testing::capture(|| tracekit::span("a").in_scope(|| ()));
    /// assert!(spans.tree().contains("a"));
    /// ```
    pub fn tree(&self) -> String {
        if self.spans.is_empty() {
            return "no spans captured\n".to_owned();
        }
        let mut traces: Vec<(TraceId, Vec<SpanData>)> = Vec::new();
        for span in &self.spans {
            let trace_id = span.trace_id();
            match traces.iter_mut().find(|(id, _)| *id == trace_id) {
                Some((_, spans)) => spans.push(span.data.clone()),
                None => traces.push((trace_id, vec![span.data.clone()])),
            }
        }
        traces.iter().map(|(_, spans)| render::tree(spans, "captured", Style::PLAIN)).collect()
    }

    /// The SDK's data of every span, in the order they ended.
    ///
    /// ```
    /// let ((), spans) = tracekit::testing::capture(|| tracekit::span("a").in_scope(|| ()));
    /// assert_eq!(spans.into_span_data()[0].name, "a");
    /// ```
    pub fn into_span_data(self) -> Vec<SpanData> {
        self.spans.into_iter().map(|span| span.data).collect()
    }

    #[track_caller]
    fn fail(&self, problem: &str) -> ! {
        let unfinished = match self.unfinished.as_slice() {
            [] => String::new(),
            names => format!(
                "\n{} span(s) had started and not ended when the capture returned, so they are not here: {names:?}. \
                 A span ends with its guard or future, and a span of `ServerLayer` or `ClientLayer` with its \
                 response body: read or drop the response inside the capture, as in \
                 `capture_async(async {{ let response = app.oneshot(request).await.unwrap(); \
                 axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap() }})`",
                names.len()
            ),
        };
        panic!("{problem}{unfinished}\ncaptured spans:\n{}", self.tree())
    }
}

impl fmt::Debug for Spans {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.tree())
    }
}

impl<'a> IntoIterator for &'a Spans {
    type Item = &'a CapturedSpan;
    type IntoIter = std::slice::Iter<'a, CapturedSpan>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// One captured span.
///
/// ```
/// #[tracekit::trace_operation(kind = "client")]
/// fn call() -> Result<(), std::io::Error> { Err(std::io::Error::other("refused")) }
///
/// let (_, spans) = tracekit::testing::capture(call);
/// let span = spans.get("call");
/// assert!(span.is_error());
/// assert_eq!(span.error_message(), Some("refused"));
/// assert_eq!(span.kind(), &tracekit::SpanKind::Client);
/// ```
#[derive(Clone, Debug)]
pub struct CapturedSpan {
    data: SpanData,
}

impl CapturedSpan {
    /// The span's name.
    ///
    /// ```
    /// let ((), spans) = tracekit::testing::capture(|| tracekit::span("a").in_scope(|| ()));
    /// assert_eq!(spans.get("a").name(), "a");
    /// ```
    pub fn name(&self) -> &str {
        &self.data.name
    }

    /// The span's kind.
    ///
    /// ```
    /// let ((), spans) = tracekit::testing::capture(|| tracekit::span("a").in_scope(|| ()));
    /// assert_eq!(spans.get("a").kind(), &tracekit::SpanKind::Internal);
    /// ```
    pub fn kind(&self) -> &SpanKind {
        &self.data.span_kind
    }

    /// The span's status.
    ///
    /// ```
    /// let ((), spans) = tracekit::testing::capture(|| tracekit::span("a").in_scope(|| ()));
    /// assert_eq!(spans.get("a").status(), &tracekit::Status::Unset);
    /// ```
    pub fn status(&self) -> &Status {
        &self.data.status
    }

    /// Whether the status is Error.
    ///
    /// ```
    /// let ((), spans) = tracekit::testing::capture(|| tracekit::span("a").in_scope(|| ()));
    /// assert!(!spans.get("a").is_error());
    /// ```
    pub fn is_error(&self) -> bool {
        matches!(self.data.status, Status::Error { .. })
    }

    /// The description of an Error status.
    ///
    /// ```
    /// let ((), spans) = tracekit::testing::capture(|| tracekit::span("a").in_scope(|| ()));
    /// assert_eq!(spans.get("a").error_message(), None);
    /// ```
    pub fn error_message(&self) -> Option<&str> {
        match &self.data.status {
            Status::Error { description } => Some(description),
            _ => None,
        }
    }

    /// The value of attribute `key`.
    ///
    /// ```
    /// let ((), spans) = tracekit::testing::capture(|| tracekit::span("a").attribute("n", 1_i64).in_scope(|| ()));
    /// assert_eq!(spans.get("a").attribute("n"), Some(&tracekit::Value::I64(1)));
    /// ```
    pub fn attribute(&self, key: &str) -> Option<&Value> {
        self.data.attributes.iter().rev().find(|kv| kv.key.as_str() == key).map(|kv| &kv.value)
    }

    /// Attribute `key`, if it is a string.
    ///
    /// ```
    /// let ((), spans) = tracekit::testing::capture(|| tracekit::span("a").attribute("s", "x").in_scope(|| ()));
    /// assert_eq!(spans.get("a").str_attribute("s"), Some("x"));
    /// ```
    pub fn str_attribute(&self, key: &str) -> Option<&str> {
        match self.attribute(key)? {
            Value::String(s) => Some(s.as_str()),
            _ => None,
        }
    }

    /// Attribute `key`, if it is an integer.
    ///
    /// ```
    /// let ((), spans) = tracekit::testing::capture(|| tracekit::span("a").attribute("n", 5_i64).in_scope(|| ()));
    /// assert_eq!(spans.get("a").i64_attribute("n"), Some(5));
    /// ```
    pub fn i64_attribute(&self, key: &str) -> Option<i64> {
        match self.attribute(key)? {
            Value::I64(i) => Some(*i),
            _ => None,
        }
    }

    /// Attribute `key`, if it is a float.
    ///
    /// ```
    /// let ((), spans) = tracekit::testing::capture(|| tracekit::span("a").attribute("f", 0.5).in_scope(|| ()));
    /// assert_eq!(spans.get("a").f64_attribute("f"), Some(0.5));
    /// ```
    pub fn f64_attribute(&self, key: &str) -> Option<f64> {
        match self.attribute(key)? {
            Value::F64(f) => Some(*f),
            _ => None,
        }
    }

    /// Attribute `key`, if it is a bool.
    ///
    /// ```
    /// let ((), spans) = tracekit::testing::capture(|| tracekit::span("a").attribute("b", true).in_scope(|| ()));
    /// assert_eq!(spans.get("a").bool_attribute("b"), Some(true));
    /// ```
    pub fn bool_attribute(&self, key: &str) -> Option<bool> {
        match self.attribute(key)? {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The span's links, in the order they were added: each names the span
    /// linked to (`span_context`, remote when it came from another process)
    /// and carries the link's attributes.
    ///
    /// ```
    /// let ((), spans) = tracekit::testing::capture(|| {
    ///     let first = tracekit::span("attempt").in_scope(tracekit::context::current);
    ///     tracekit::span("retry").link(&first).in_scope(|| ());
    /// });
    /// assert!(spans.get("retry").is_linked_to(spans.get("attempt")));
    /// ```
    pub fn links(&self) -> &[Link] {
        &self.data.links.links
    }

    /// Whether this span links to `other`.
    ///
    /// ```
    /// let ((), spans) = tracekit::testing::capture(|| tracekit::span("alone").in_scope(|| ()));
    /// let alone = spans.get("alone");
    /// assert!(!alone.is_linked_to(alone));
    /// ```
    pub fn is_linked_to(&self, other: &CapturedSpan) -> bool {
        let target = &other.data.span_context;
        self.links().iter().any(|link| {
            link.span_context.trace_id() == target.trace_id() && link.span_context.span_id() == target.span_id()
        })
    }

    /// The span's events, in the order they were added.
    ///
    /// ```
    /// let ((), spans) = tracekit::testing::capture(|| tracekit::span("a").in_scope(|| {
    ///     tracekit::current_span().add_event("retry", []);
    /// }));
    /// assert_eq!(spans.get("a").events()[0].name, "retry");
    /// ```
    pub fn events(&self) -> &[Event] {
        &self.data.events
    }

    /// The first event named `name`.
    ///
    /// ```
    /// let ((), spans) = tracekit::testing::capture(|| tracekit::span("a").in_scope(|| ()));
    /// assert!(spans.get("a").event("retry").is_none());
    /// ```
    pub fn event(&self, name: &str) -> Option<&Event> {
        self.events().iter().find(|event| event.name == name)
    }

    /// Attribute `key` of the first event named `event`, if it is a string.
    ///
    /// ```
    /// let (_, spans) = tracekit::testing::capture(|| tracekit::span("a").in_scope(|| {
    ///     tracekit::current_span().record_error(&std::io::Error::other("boom"));
    /// }));
    /// assert_eq!(spans.get("a").event_str_attribute("exception", "exception.message"), Some("boom"));
    /// ```
    pub fn event_str_attribute(&self, event: &str, key: &str) -> Option<&str> {
        self.event(event)?.attributes.iter().find(|kv| kv.key.as_str() == key).and_then(|kv| match &kv.value {
            Value::String(s) => Some(s.as_str()),
            _ => None,
        })
    }

    /// Why the keep policy kept this span's local trace, on its local root
    /// (`tracekit.kept_by`: `error`, `slow`, `cancelled`, `long`,
    /// comma-separated);
    /// `None` for a trace head sampling kept, or another span.
    ///
    /// ```
    /// use tracekit::{testing::Capture, KeepPolicy, Sampler};
    /// let capture = Capture::new().sampler(Sampler::AlwaysOff).keep(KeepPolicy::new().errors());
    /// let ((), spans) = capture.run(|| tracekit::span("job").in_scope(|| {
    ///     tracekit::current_span().record_error(&std::io::Error::other("disk full"));
    /// }));
    /// assert_eq!(spans.get("job").kept_by(), Some("error"));
    /// ```
    pub fn kept_by(&self) -> Option<&str> {
        self.str_attribute(crate::keys::KEPT_BY)
    }

    /// The trace this span belongs to.
    ///
    /// ```
    /// let ((), spans) = tracekit::testing::capture(|| tracekit::span("a").in_scope(|| ()));
    /// assert_ne!(spans.get("a").trace_id(), tracekit::TraceId::INVALID);
    /// ```
    pub fn trace_id(&self) -> TraceId {
        self.data.span_context.trace_id()
    }

    /// The span's id.
    ///
    /// ```
    /// let ((), spans) = tracekit::testing::capture(|| tracekit::span("a").in_scope(|| ()));
    /// assert_ne!(spans.get("a").span_id(), tracekit::SpanId::INVALID);
    /// ```
    pub fn span_id(&self) -> SpanId {
        self.data.span_context.span_id()
    }

    /// The parent's span id; `None` for a root span.
    ///
    /// ```
    /// let ((), spans) = tracekit::testing::capture(|| tracekit::span("a").in_scope(|| ()));
    /// assert_eq!(spans.get("a").parent_span_id(), None);
    /// ```
    pub fn parent_span_id(&self) -> Option<SpanId> {
        (self.data.parent_span_id != SpanId::INVALID).then_some(self.data.parent_span_id)
    }

    /// How long the span lasted.
    ///
    /// ```
    /// let ((), spans) = tracekit::testing::capture(|| tracekit::span("a").in_scope(|| ()));
    /// assert!(spans.get("a").duration() < std::time::Duration::from_secs(60));
    /// ```
    pub fn duration(&self) -> Duration {
        self.data.end_time.duration_since(self.data.start_time).unwrap_or_default()
    }

    /// The SDK's data of this span.
    ///
    /// ```
    /// let ((), spans) = tracekit::testing::capture(|| tracekit::span("a").in_scope(|| ()));
    /// assert_eq!(spans.get("a").data().name, "a");
    /// ```
    pub fn data(&self) -> &SpanData {
        &self.data
    }
}
