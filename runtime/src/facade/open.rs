//! A started span and the ways it can end. Shared by the attributes and the
//! manual span API so that both record errors, panics and cancellation alike.
//! Spans are started in `start.rs`, which asks the dispatcher.

use super::callsite::Callsite;
use super::clock::Reading;
use super::failure::mark_error;
use opentelemetry::trace::{SpanKind, SpanRef, TraceContextExt};
use opentelemetry::{Context, KeyValue};
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
#[cfg_attr(not(feature = "pipeline"), allow(dead_code, reason = "read by the pipeline's backends"))]
pub(crate) struct SpanStart {
    pub(crate) name: Cow<'static, str>,
    pub(crate) kind: SpanKind,
    /// The annotated function, whose code location the span records.
    pub(crate) code: Option<&'static Callsite>,
    pub(crate) attributes: Vec<KeyValue>,
    /// When the span started, if the caller read the clock already (for
    /// the metrics); otherwise it is read once the span is known recorded.
    pub(crate) started: Option<Reading>,
}

/// Room kept in a span's attributes for what is recorded after it starts
/// (arguments, the result), so that recording a few does not reallocate.
#[cfg(feature = "pipeline")]
const ATTRIBUTE_ROOM: usize = 4;

impl SpanStart {
    /// The attributes a span starts with, the code location first, in one
    /// allocation that has room for what is recorded later.
    #[cfg(feature = "pipeline")]
    pub(crate) fn attributes(&mut self) -> Vec<KeyValue> {
        let mut given = std::mem::take(&mut self.attributes);
        match self.code {
            Some(code) => code.code_attributes_then(&mut given, ATTRIBUTE_ROOM),
            None => given,
        }
    }
}

impl OpenSpan {
    pub(crate) fn span(&self) -> SpanRef<'_> {
        self.cx.span()
    }

    /// Ends the span, at `ended` if the caller read the clock already.
    /// During a panic, the span is marked failed with the panic's message
    /// first, unless that was done already.
    pub(crate) fn end(&self, panic_recorded: bool, ended: Option<Reading>) {
        if !self.recording {
            return;
        }
        let ended = if std::thread::panicking() && !panic_recorded {
            self.mark_panicked();
            // The panic's event is stamped now: the span ends after it.
            None
        } else {
            ended
        };
        // tracekit's clock at both ends: spans it starts begin on it too.
        self.span().end_with_timestamp(ended.unwrap_or_else(Reading::now).wall_time());
    }

    pub(crate) fn mark_panicked(&self) {
        mark_error(&self.span(), "panic", super::panic::current_message());
    }
}
