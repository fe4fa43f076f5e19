//! A started span and the ways it can end. Shared by the attributes and the
//! manual span API so that both record errors, panics and cancellation alike.

use crate::__private::{Callsite, Recorder};
use crate::dispatch;
use opentelemetry::trace::{SpanKind, SpanRef, Status, TraceContextExt};
use opentelemetry::{Context, KeyValue};
use opentelemetry_semantic_conventions::attribute::{ERROR_TYPE, EXCEPTION_MESSAGE, EXCEPTION_TYPE};
use std::borrow::Cow;

/// A started span, held in a `Context` that makes it the parent of what
/// starts under it.
pub(crate) struct OpenSpan {
    pub(crate) cx: Context,
    /// Whether the span is recorded (not only carried for its context), as
    /// known when it started: nothing is recorded or timed on one that is not.
    pub(crate) recording: bool,
}

/// Where a span starts: its name, kind and the attributes known up front.
pub(crate) struct SpanStart {
    pub(crate) name: Cow<'static, str>,
    pub(crate) kind: SpanKind,
    /// The annotated function, whose code location the span records.
    pub(crate) code: Option<&'static Callsite>,
    pub(crate) attributes: Vec<KeyValue>,
}

/// Room kept in a span's attributes for what is recorded after it starts
/// (arguments, the result), so that recording a few does not reallocate.
const ATTRIBUTE_ROOM: usize = 4;

impl SpanStart {
    /// The attributes a span starts with, the code location first, in one
    /// allocation that has room for what is recorded later.
    pub(crate) fn attributes(&mut self) -> Vec<KeyValue> {
        let mut given = std::mem::take(&mut self.attributes);
        match self.code {
            Some(code) => code.code_attributes_then(&mut given, ATTRIBUTE_ROOM),
            None => given,
        }
    }
}

impl OpenSpan {
    /// Starts a child of the current context. `record` runs only when the
    /// span is recorded (sampled), so its values are never computed otherwise.
    /// `parent` gives the context to continue (such as a remote one
    /// extracted from headers); `None` means the current context.
    #[inline(always)]
    pub(crate) fn start(
        start: impl FnOnce() -> SpanStart,
        parent: impl FnOnce() -> Option<Context>,
        record: impl FnOnce(&mut Recorder),
    ) -> Option<OpenSpan> {
        if !dispatch::is_active() {
            return None;
        }
        Self::start_recording(start, parent, record)
    }

    /// Everything past the one check, kept out of line so that an annotated
    /// call stays small while nothing records.
    #[inline(never)]
    fn start_recording(
        start: impl FnOnce() -> SpanStart,
        parent: impl FnOnce() -> Option<Context>,
        record: impl FnOnce(&mut Recorder),
    ) -> Option<OpenSpan> {
        let parent = match parent() {
            Some(given) => {
                let given = dispatch::adopt(given);
                if dispatch::skips(&given) {
                    // The given context becomes current all the same, so that
                    // what runs under it keeps its trace and its decision
                    // (an unsampled remote parent stays unsampled downstream).
                    return Some(OpenSpan { cx: given, recording: false });
                }
                given
            }
            // Decided on the borrowed context: a skipped span clones nothing.
            // The current context already carries the trace and its decision.
            None if Context::map_current(dispatch::skips) => return None,
            None => Context::current(),
        };
        dispatch::start_span(&parent, start(), record)
    }

    pub(crate) fn span(&self) -> SpanRef<'_> {
        self.cx.span()
    }

    /// Ends the span. During a panic, the span is marked failed with the
    /// panic's message first, unless that was done already.
    pub(crate) fn end(&self, panic_recorded: bool) {
        if !self.recording {
            return;
        }
        if std::thread::panicking() && !panic_recorded {
            self.mark_panicked();
        }
        // tracekit's clock at both ends: spans it starts begin on it too.
        self.span().end_with_timestamp(crate::clock::now());
    }

    pub(crate) fn mark_panicked(&self) {
        mark_error(&self.span(), "panic", crate::panic::current_message());
    }
}

/// Marks a span failed the way OpenTelemetry's conventions describe: status
/// Error with the message, an `exception` event, and `error.type`.
pub(crate) fn mark_error(span: &SpanRef<'_>, type_name: &'static str, message: String) {
    if !span.is_recording() {
        return;
    }
    span.set_attribute(KeyValue::new(ERROR_TYPE, type_name));
    span.add_event(
        "exception",
        vec![KeyValue::new(EXCEPTION_TYPE, type_name), KeyValue::new(EXCEPTION_MESSAGE, message.clone())],
    );
    span.set_status(Status::error(message));
}
