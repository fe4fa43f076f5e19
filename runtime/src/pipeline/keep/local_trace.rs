//! One local trace held for the keep decision: the spans that ended under
//! its local root, until the root ends and the policy says whether they
//! are exported or forgotten. A held span's record points here instead of
//! at the pipeline's delivery, and the spans started under it join it.

use super::stats::{self, COUNTS};
use super::{Keeper, Reasons};
use crate::pipeline::span_record::{FinishedSpan, SpanSink};
use crate::support::locks::recover;
use opentelemetry::trace::SpanId;
use opentelemetry_sdk::trace::SpanLimits;
use std::sync::{Arc, Mutex};
use std::time::Instant;

pub(crate) struct LocalTrace {
    /// The local root: the first span of this process in the trace.
    pub(super) root: SpanId,
    pub(super) opened: Instant,
    keeper: Arc<Keeper>,
    held: Mutex<Held>,
}

enum Held {
    /// Not decided yet: the spans that ended, the rules they met so far,
    /// and how many were dropped by the bounds.
    Open { spans: Vec<FinishedSpan>, met: Reasons, dropped: u64 },
    /// Kept: what ends from now on is exported; the root, when it ends,
    /// says why and what was lost.
    Kept { met: Reasons, dropped: u64 },
    /// Not kept. `counted`: decided before the root ended (a timeout,
    /// shutdown), so what ends later was never judged, and counts as dropped.
    Forgotten { counted: bool },
}

/// Why a local trace is decided.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Decided {
    RootEnded,
    TimedOut,
    ShutDown,
}

impl LocalTrace {
    pub(super) fn new(root: SpanId, keeper: Arc<Keeper>) -> Self {
        let held = Held::Open { spans: Vec::new(), met: Reasons::NONE, dropped: 0 };
        LocalTrace { root, opened: Instant::now(), keeper, held: Mutex::new(held) }
    }

    /// Decides the trace before its root ended, on what it holds so far.
    pub(super) fn decide_early(&self, why: Decided) {
        let running = self.keeper.policy.longer_than.is_some_and(|limit| self.opened.elapsed() > limit);
        self.decide(if running { Reasons::LONG } else { Reasons::NONE }, None, why);
    }

    /// Decides on the rules met (`also` with what the held spans met), then
    /// exports or forgets the held spans, and the root if it ended.
    fn decide(&self, also: Reasons, root: Option<FinishedSpan>, why: Decided) {
        let mut held = recover(self.held.lock());
        let Held::Open { spans, met, dropped } = &mut *held else {
            drop(held);
            // Decided already (by a timeout): the root follows.
            return root.into_iter().for_each(|root| self.finish(root));
        };
        let (spans, met, dropped) = (std::mem::take(spans), *met | also, *dropped);
        let kept = met.any();
        *held = match kept {
            true => Held::Kept { met, dropped },
            false => Held::Forgotten { counted: why != Decided::RootEnded },
        };
        drop(held);
        self.keeper.closed(self, spans.len());
        if why == Decided::TimedOut {
            stats::add(&COUNTS.timed_out, 1);
        }
        if kept {
            stats::add(&COUNTS.kept, 1);
            spans.into_iter().chain(root.map(|root| with_reasons(root, met, dropped))).for_each(|span| {
                self.keeper.export(span);
            });
        } else {
            stats::add(&COUNTS.discarded, 1);
            if why != Decided::RootEnded {
                self.keeper.dropped(spans.len() as u64);
            }
            spans.into_iter().chain(root).for_each(FinishedSpan::recycle);
        }
    }
}

/// The local root of a kept trace: which rules kept it, and how many of
/// its spans the bounds dropped.
fn with_reasons(mut root: FinishedSpan, met: Reasons, dropped: u64) -> FinishedSpan {
    root.push_attribute(crate::keys::KEPT_BY, met.names().into());
    if dropped > 0 {
        root.push_attribute(crate::keys::SPANS_DROPPED, i64::try_from(dropped).unwrap_or(i64::MAX).into());
    }
    root
}

impl SpanSink for LocalTrace {
    fn limits(&self) -> &SpanLimits {
        self.keeper.delivery.limits()
    }

    fn finish(&self, span: FinishedSpan) {
        let keeper = &self.keeper;
        keeper.delivery.ended(span.span_id());
        let is_root = span.span_id() == self.root;
        let met = keeper.reasons_in(&span, is_root.then_some(self.opened));
        let mut held = recover(self.held.lock());
        match &mut *held {
            Held::Open { .. } if is_root => {
                drop(held);
                self.decide(met, Some(span), Decided::RootEnded);
            }
            Held::Open { spans, met: so_far, dropped } => {
                *so_far |= met;
                if spans.len() < keeper.policy.max_spans_per_trace && keeper.hold_one() {
                    spans.push(span);
                } else {
                    *dropped += 1;
                    drop(held);
                    keeper.dropped(1);
                    span.recycle();
                }
            }
            Held::Kept { met: kept_for, dropped } => {
                let span = if is_root { with_reasons(span, *kept_for | met, *dropped) } else { span };
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
