//! What the expansions and manual spans record on a span.

use super::failure::mark_error;
use super::link::LinkTarget;
use super::live::{CallSpan, LiveSpan};
#[cfg(feature = "pipeline")]
use opentelemetry::trace::Span;
use opentelemetry::trace::SpanContext;
use opentelemetry::{Key, KeyValue, Value};

/// The spans a span links to, with the attributes of each link.
pub(crate) type Links = Vec<(SpanContext, Vec<KeyValue>)>;

/// Collects what the expansion records on a span: arguments and extra
/// attributes when the span starts, the result or error when it ends.
#[derive(Default)]
pub struct Recorder {
    // `Option`s, so that a recorder left empty (most calls record no
    // outcome) drops with a test rather than a call into `Vec`'s drop.
    attributes: Option<Vec<KeyValue>>,
    error: Option<(&'static str, String)>,
    /// Only the outcome is wanted (for the metrics of a call whose span is
    /// not recorded): nothing is formatted.
    outcome_only: bool,
    failure: Option<&'static str>,
    /// The spans linked to, with the attributes of each link.
    links: Option<Links>,
}

impl Recorder {
    /// A recorder that notes whether the call failed, and nothing else.
    pub(crate) fn outcome_only() -> Self {
        Recorder { outcome_only: true, ..Recorder::default() }
    }

    /// Whether values are recorded: false when only the outcome is wanted.
    pub fn records_values(&self) -> bool {
        !self.outcome_only
    }

    /// Marks the span failed with an error of this type, and its message if
    /// given: the expansion makes one only when [`Recorder::records_values`].
    pub fn failed(&mut self, type_name: &'static str, message: Option<String>) {
        self.failure = Some(type_name);
        if let Some(message) = message {
            self.error = Some((type_name, message));
        }
    }

    /// The `error.type` of a failure recorded, if any.
    pub(crate) fn failure(&self) -> Option<&'static str> {
        self.failure
    }

    /// Records `key = value`.
    // Inlined into the expansion, so that the value is built where it is
    // stored rather than copied through the stack.
    #[inline]
    pub fn attribute(&mut self, key: &'static str, value: Value) {
        let attributes = self.attributes.get_or_insert_with(crate::support::recycle::take);
        attributes.push(KeyValue::new(Key::from_static_str(key), value));
    }

    /// Links the span to each of `targets` (`links = ..`); targets without
    /// a valid span are left out.
    pub fn link_all<I>(&mut self, targets: I)
    where
        I: IntoIterator,
        I::Item: LinkTarget,
    {
        let links = targets.into_iter().filter_map(|target| target.link_target()).map(|link| (link, Vec::new()));
        self.links.get_or_insert_with(Vec::new).extend(links);
    }

    /// Links the span to `target`, with attributes of the link.
    pub(crate) fn link(&mut self, target: impl LinkTarget, attributes: Vec<KeyValue>) {
        if let Some(link) = target.link_target() {
            self.links.get_or_insert_with(Vec::new).push((link, attributes));
        }
    }

    /// The links recorded, taken out.
    #[cfg(feature = "pipeline")]
    pub(crate) fn take_links(&mut self) -> Links {
        self.links.take().unwrap_or_default()
    }

    /// A recorder that adds to `attributes`.
    #[cfg(feature = "pipeline")]
    pub(crate) fn with_attributes(attributes: Vec<KeyValue>) -> Self {
        // One with no room is left for `attribute` to replace with a recycled one.
        Recorder { attributes: Some(attributes).filter(|given| given.capacity() > 0), ..Recorder::default() }
    }

    /// What was recorded when the span started: the attributes, after
    /// those it started with, and the links, if any.
    #[cfg(feature = "pipeline")]
    pub(crate) fn into_start(self) -> (Vec<KeyValue>, Option<Links>) {
        (self.attributes.unwrap_or_default(), self.links)
    }

    /// Runs `record` on a new span, if it is recorded.
    #[cfg(feature = "pipeline")]
    pub(crate) fn record_on(span: &mut impl Span, record: impl FnOnce(&mut Recorder)) {
        if span.is_recording() {
            let mut recorder = Recorder::default();
            record(&mut recorder);
            for (link, attributes) in recorder.take_links() {
                span.add_link(link, attributes);
            }
            span.set_attributes(recorder.attributes.unwrap_or_default());
        }
    }

    /// Whether nothing was recorded that [`Recorder::apply_to`] would apply.
    pub(crate) fn is_empty(&self) -> bool {
        self.attributes.as_ref().is_none_or(Vec::is_empty) && self.error.is_none() && self.links.is_none()
    }

    /// Applies what was recorded to a call started on a lane, taking it:
    /// attributes alone wait in a call that has no record yet, which takes
    /// none for them. Taken through a reference rather than moved: a
    /// recorder moved just after it was filled is copied in wide loads
    /// that wait for the narrower stores that filled it.
    pub(crate) fn apply_to_call(&mut self, call: &mut CallSpan) {
        if call.live.is_none() && self.error.is_none() && self.links.is_none() {
            if let Some(attributes) = self.attributes.take().filter(|attributes| !attributes.is_empty()) {
                call.wait_with(attributes);
            }
        } else if let Some(live) = call.live() {
            std::mem::take(self).apply_to(live);
        }
    }

    pub(crate) fn apply_to(mut self, span: &mut LiveSpan) {
        if let Some(mut attributes) = self.attributes.take().filter(|attributes| !attributes.is_empty()) {
            span.set_attributes(attributes.drain(..));
            crate::support::recycle::give(attributes);
        }
        if let Some((type_name, message)) = self.error {
            mark_error(span, type_name, message);
        }
        for (link, attributes) in self.links.into_iter().flatten() {
            span.add_link(link, attributes);
        }
    }
}
