//! One local trace held for the keep decision: the spans that ended under
//! its local root, until the root ends and the policy says whether they
//! are exported or forgotten. A held span's record points here instead of
//! at the pipeline's processors, and the spans started under it join it.
//!
//! A root that runs past the policy's timeout (a long-lived connection) is
//! judged in windows: at each timeout what its trace holds is exported if a
//! rule holds, forgotten otherwise, and a new window begins. Its root is
//! exported when it ends if any window was kept or the last one is.

use super::stats::{self, COUNTS};
use super::{Keeper, Reasons};
use crate::facade::live::{CallSink, CallSpan, LocalTraceRef, Recording};
use crate::keys::{KEPT_BY, SPANS_DROPPED};
use crate::pipeline::queued::QueuedSpan;
use crate::pipeline::span_record::{call_record, FinishedSpan, SpanSink};
use crate::support::clock::Reading;
use crate::support::locks::recover;
use opentelemetry::trace::SpanId;
use opentelemetry::KeyValue;
use opentelemetry_sdk::trace::SpanLimits;
use std::sync::{Arc, Mutex, MutexGuard, Weak};

pub(crate) struct LocalTrace {
    /// The local root: the first span of this process in the trace.
    pub(super) root: SpanId,
    /// The trace itself, for the keeper's list of traces that hold spans.
    me: Weak<LocalTrace>,
    keeper: Arc<Keeper>,
    held: Mutex<Held>,
}

enum Held {
    /// Not decided yet: the spans of the current window and the rules they
    /// met; the rules of earlier windows that were kept; how many spans
    /// the bounds dropped; when the window began.
    /// `listed`: the keeper lists the trace, as one that holds spans.
    Open { spans: Vec<QueuedSpan>, met: Reasons, kept_before: Reasons, dropped: u64, since: Reading, listed: bool },
    /// Kept when the root ended: what ends from now on is exported.
    Kept,
    /// Not kept. `counted`: decided at shutdown, before the root ended, so
    /// what ends later was never judged, and counts as dropped.
    Forgotten { counted: bool },
}

/// Why a local trace is judged.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Judged {
    /// Its root ended: the decision is final.
    RootEnded,
    /// Its root has run a whole timeout: this window is judged, and
    /// another begins.
    TimedOut,
    /// The pipeline shuts down: the decision is final.
    ShutDown,
}

impl LocalTrace {
    pub(super) fn new(root: SpanId, started: Reading, keeper: Arc<Keeper>) -> Arc<Self> {
        let held = match keeper.is_shut_down() {
            true => Held::Forgotten { counted: true },
            false => Held::Open {
                spans: Vec::new(),
                met: Reasons::NONE,
                kept_before: Reasons::NONE,
                dropped: 0,
                since: started,
                listed: false,
            },
        };
        Arc::new_cyclic(|me| LocalTrace { root, me: me.clone(), keeper, held: Mutex::new(held) })
    }

    /// This trace, shared.
    pub(super) fn shared(&self) -> Option<Arc<LocalTrace>> {
        self.me.upgrade()
    }

    /// Whether the trace belongs to `keeper`'s pipeline.
    pub(crate) fn belongs_to(&self, keeper: &Arc<Keeper>) -> bool {
        Arc::ptr_eq(&self.keeper, keeper)
    }

    /// Whether the current window has run a whole timeout.
    pub(super) fn is_due(&self, now: Reading) -> bool {
        let held = recover(self.held.lock());
        matches!(&*held, Held::Open { since, .. } if now.since(*since) >= self.keeper.policy.timeout)
    }

    /// Judges the trace before its root ended, on what it holds.
    pub(super) fn judge_early(&self, why: Judged) {
        let held = recover(self.held.lock());
        let running = match &*held {
            Held::Open { since, .. } => Reading::now().since(*since),
            _ => return,
        };
        let long = self.keeper.policy.longer_than.is_some_and(|limit| running > limit);
        self.judge(held, if long { Reasons::LONG } else { Reasons::NONE }, None, why);
    }

    /// Judges the open trace on the rules met (`also` with what the held
    /// spans met), under the lock that found it open; then processors or
    /// forgets what it holds, and the root if it ended.
    fn judge(&self, mut held: MutexGuard<'_, Held>, also: Reasons, root: Option<QueuedSpan>, why: Judged) {
        let Held::Open { spans, met, kept_before, dropped, listed, .. } = &mut *held else { return };
        let spans = std::mem::take(spans);
        let (met, kept_before, dropped, listed) = (*met | also, *kept_before, *dropped, *listed);
        let kept = met.any() || (root.is_some() && kept_before.any());
        let reasons = met | kept_before;
        *held = match why {
            Judged::TimedOut => Held::Open {
                spans: Vec::new(),
                met: Reasons::NONE,
                kept_before: if kept { reasons } else { kept_before },
                dropped,
                since: Reading::now(),
                listed: false,
            },
            Judged::RootEnded if kept => Held::Kept,
            Judged::RootEnded => Held::Forgotten { counted: false },
            Judged::ShutDown if kept => Held::Kept,
            Judged::ShutDown => Held::Forgotten { counted: true },
        };
        drop(held);
        self.keeper.released(self, spans.len(), listed);
        match why {
            Judged::TimedOut => stats::add(&COUNTS.timed_out, 1),
            _ => stats::add(if kept { &COUNTS.kept } else { &COUNTS.discarded }, 1),
        }
        if kept {
            // The root says why; spans exported before it has ended (at a
            // timeout or shutdown) say it themselves.
            let early = root.is_none();
            let spans = spans.into_iter().map(|span| if early { with_reasons(span, reasons, dropped) } else { span });
            spans.chain(root.map(|root| with_reasons(root, reasons, dropped))).for_each(|span| {
                self.keeper.export(span);
            });
        } else {
            if why == Judged::ShutDown {
                self.keeper.dropped(spans.len() as u64);
            }
            spans.into_iter().chain(root).for_each(QueuedSpan::recycle);
        }
    }
}

/// A span of a kept trace that says which rules kept it, and how many of
/// its trace's spans the bounds dropped.
fn with_reasons(span: QueuedSpan, met: Reasons, dropped: u64) -> QueuedSpan {
    let mut span = span.into_record();
    span.push_attribute(KEPT_BY, met.names().into());
    if dropped > 0 {
        span.push_attribute(SPANS_DROPPED, i64::try_from(dropped).unwrap_or(i64::MAX).into());
    }
    QueuedSpan::Record(span)
}

impl SpanSink for LocalTrace {
    fn limits(&self) -> &SpanLimits {
        self.keeper.processors.limits()
    }

    fn call_sink(self: Arc<Self>) -> Option<Arc<dyn CallSink>> {
        Some(self)
    }

    fn finish(&self, span: FinishedSpan) {
        let met = self.keeper.reasons_in(&span, span.span_id() == self.root);
        self.hold(QueuedSpan::Record(span), met);
    }
}

impl LocalTrace {
    /// Holds `span`, which met the rules `met`, until the trace is judged;
    /// judges the trace if it is the root.
    fn hold(&self, span: QueuedSpan, met: Reasons) {
        let keeper = &self.keeper;
        keeper.processors.ended(|| span.span_id());
        let is_root = span.span_id() == self.root;
        let mut held = recover(self.held.lock());
        match &mut *held {
            // The common case, a trace that holds nothing: decided on the root alone.
            Held::Open { spans, kept_before, listed: false, dropped: 0, .. }
                if is_root && spans.is_empty() && !kept_before.any() && !met.any() =>
            {
                *held = Held::Forgotten { counted: false };
                drop(held);
                stats::add(&COUNTS.discarded, 1);
                span.recycle();
            }
            Held::Open { .. } if is_root => self.judge(held, met, Some(span), Judged::RootEnded),
            Held::Open { spans, met: so_far, dropped, listed, .. } => {
                *so_far |= met;
                if spans.len() < keeper.policy.max_spans_per_trace && keeper.hold_one() {
                    spans.push(span);
                    // Only a trace that holds spans can time out or be left
                    // open at shutdown: it is listed for those.
                    let first = !std::mem::replace(listed, true);
                    drop(held);
                    if first {
                        keeper.holds(self);
                    }
                } else {
                    *dropped += 1;
                    drop(held);
                    keeper.dropped(1);
                    span.recycle();
                }
            }
            Held::Kept => {
                drop(held);
                keeper.export(span);
            }
            Held::Forgotten { counted } => {
                let counted = *counted;
                drop(held);
                if counted {
                    keeper.dropped(1);
                }
                span.recycle();
            }
        }
    }
}

/// Calls under a held span start on its lane and are held here as well.
impl CallSink for LocalTrace {
    fn started(&self, call: &CallSpan) {
        self.keeper.processors.call_started(call);
    }

    fn record(self: Arc<Self>, call: &mut CallSpan) -> Box<dyn Recording> {
        call_record(self, call)
    }

    fn end_with(&self, call: &CallSpan, attributes: &mut Vec<KeyValue>, ended: Reading) -> bool {
        // A call with nothing but attributes recorded on it meets no rule:
        // no error, no threshold, and it is never the local root.
        let held = QueuedSpan::ended_call(call, attributes, ended, self.limits());
        held.map(|span| self.hold(span, Reasons::NONE)).is_some()
    }

    fn local_trace(&self) -> Option<LocalTraceRef> {
        self.shared().map(|trace| trace as LocalTraceRef)
    }
}
