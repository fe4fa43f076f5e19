//! Keeping the local traces that matter after head sampling dropped them.
//!
//! With a [`KeepPolicy`] on, a span that head sampling drops is recorded
//! all the same, with its unsampled ids (what is sent on keeps the head
//! decision), into its local trace: the spans of this process under one
//! local root. When the root ends, the trace is exported if the policy
//! keeps it, its root saying why (`tracekit.kept_by`), and forgotten
//! otherwise. Spans head sampling kept never come here.
//!
//! What is held is bounded (spans per trace, spans at once): past the
//! bounds spans are dropped and counted ([`keep_stats`]). A root that has
//! not ended within the timeout is decided on what its trace holds so far;
//! traces still open at shutdown are decided the same way. Timeouts are
//! looked for whenever a local trace opens, and at each flush.

mod local_trace;
mod policy;
mod stats;

use local_trace::Decided;
pub(crate) use local_trace::LocalTrace;
pub use policy::KeepPolicy;
pub(crate) use policy::RULES;
pub use stats::{keep_stats, KeepStats};

use super::delivery::Delivery;
use super::span_record::{FinishedSpan, SpanSink as _};
use crate::keys::{CANCELLED, THRESHOLD_EXCEEDED};
use crate::support::diagnostics::{self, LogLevel};
use crate::support::locks::recover;
use opentelemetry::trace::{SpanId, Status};
use opentelemetry::Value;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The rules a local trace met: a small set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Reasons(u8);

impl Reasons {
    const NONE: Reasons = Reasons(0);
    const ERROR: Reasons = Reasons(1);
    const SLOW: Reasons = Reasons(2);
    const LONG: Reasons = Reasons(4);
    const CANCELLED: Reasons = Reasons(8);

    fn any(self) -> bool {
        self.0 != 0
    }

    /// As `tracekit.kept_by` says them: `error`, `slow`, `cancelled`,
    /// `long`, comma-separated.
    fn names(self) -> String {
        let names = [
            (Reasons::ERROR, "error"),
            (Reasons::SLOW, "slow"),
            (Reasons::CANCELLED, "cancelled"),
            (Reasons::LONG, "long"),
        ];
        let met: Vec<&str> = names.iter().filter(|(rule, _)| self.0 & rule.0 != 0).map(|(_, name)| *name).collect();
        met.join(",")
    }
}

impl std::ops::BitOr for Reasons {
    type Output = Reasons;
    fn bitor(self, other: Reasons) -> Reasons {
        Reasons(self.0 | other.0)
    }
}

impl std::ops::BitOrAssign for Reasons {
    fn bitor_assign(&mut self, other: Reasons) {
        self.0 |= other.0;
    }
}

/// The open local traces of one pipeline, and where kept spans go.
pub(crate) struct Keeper {
    policy: KeepPolicy,
    delivery: Arc<Delivery>,
    /// By root span id: open until decided.
    open: Mutex<HashMap<SpanId, Arc<LocalTrace>>>,
    /// Spans held across the open traces.
    held: AtomicUsize,
    /// When timeouts are next looked for, in milliseconds since `epoch`.
    next_sweep: AtomicU64,
    epoch: Instant,
    /// Whether the first drop was said already.
    warned: AtomicBool,
}

impl Keeper {
    pub(crate) fn new(policy: KeepPolicy, delivery: Arc<Delivery>) -> Arc<Keeper> {
        Arc::new(Keeper {
            policy,
            delivery,
            open: Mutex::new(HashMap::new()),
            held: AtomicUsize::new(0),
            next_sweep: AtomicU64::new(0),
            epoch: Instant::now(),
            warned: AtomicBool::new(false),
        })
    }

    /// A new local trace, rooted at the span `root`.
    pub(crate) fn open_trace(self: &Arc<Self>, root: SpanId) -> Arc<LocalTrace> {
        self.sweep_if_due();
        let trace = Arc::new(LocalTrace::new(root, self.clone()));
        recover(self.open.lock()).insert(root, trace.clone());
        trace
    }

    /// The rules `span` meets; `root_opened`, for the local root, when its
    /// trace opened.
    fn reasons_in(&self, span: &FinishedSpan, root_opened: Option<Instant>) -> Reasons {
        let policy = &self.policy;
        let mut met = Reasons::NONE;
        if policy.errors && matches!(span.status(), Status::Error { .. }) {
            met |= Reasons::ERROR;
        }
        if policy.slow_calls && span.has_event(THRESHOLD_EXCEEDED) {
            met |= Reasons::SLOW;
        }
        if policy.cancellations && span.has_attribute(CANCELLED, &Value::Bool(true)) {
            met |= Reasons::CANCELLED;
        }
        let long = |limit| root_opened.is_some() && span.duration() > limit;
        if policy.longer_than.is_some_and(long) {
            met |= Reasons::LONG;
        }
        met
    }

    /// Takes room for one more held span, if the bound allows.
    fn hold_one(&self) -> bool {
        if self.held.fetch_add(1, Ordering::Relaxed) < self.policy.max_held_spans {
            return true;
        }
        self.held.fetch_sub(1, Ordering::Relaxed);
        false
    }

    /// A decided trace is no longer open, and its spans no longer held.
    fn closed(&self, trace: &LocalTrace, spans: usize) {
        self.held.fetch_sub(spans, Ordering::Relaxed);
        recover(self.open.lock()).remove(&trace.root);
    }

    fn export(&self, mut span: FinishedSpan) {
        // Exported as recorded spans are: the batch processor leaves
        // unsampled ones out.
        span.mark_sampled();
        self.delivery.finish(span);
    }

    /// Counts spans dropped; the first time, says so.
    fn dropped(&self, spans: u64) {
        if spans == 0 {
            return;
        }
        stats::add(&stats::COUNTS.spans_dropped, spans);
        if !self.warned.swap(true, Ordering::Relaxed) {
            let (per_trace, at_once) = (self.policy.max_spans_per_trace, self.policy.max_held_spans);
            diagnostics::say(
                LogLevel::Warn,
                "tracekit::keep",
                || {
                    format!(
                        "spans held for the keep policy were dropped: past its bounds ({per_trace} per local trace, \
                         {at_once} at once), or never judged (their trace was open at shutdown or past its \
                         timeout); tracekit::keep_stats() counts them"
                    )
                },
                |message| tracing::warn!(target: "tracekit::keep", per_trace, at_once, "{message}"),
            );
        }
    }

    /// Decides the traces whose root has not ended within the timeout, at
    /// most twice per timeout (and at least once a second).
    fn sweep_if_due(&self) {
        let now = self.epoch.elapsed().as_millis() as u64;
        let next = self.next_sweep.load(Ordering::Relaxed);
        let every = (self.policy.timeout / 2).min(Duration::from_secs(1)).as_millis().max(1) as u64;
        if now < next
            || self.next_sweep.compare_exchange(next, now + every, Ordering::Relaxed, Ordering::Relaxed).is_err()
        {
            return;
        }
        self.decide_open(Decided::TimedOut, |trace| trace.opened.elapsed() >= self.policy.timeout);
    }

    /// Decides the open traces that `due` picks, outside the map's lock.
    fn decide_open(&self, why: Decided, due: impl Fn(&LocalTrace) -> bool) {
        let due: Vec<Arc<LocalTrace>> =
            recover(self.open.lock()).values().filter(|trace| due(trace)).cloned().collect();
        for trace in due {
            trace.decide_early(why);
        }
    }

    /// At each flush: the timeouts that are due. Open traces stay open.
    pub(crate) fn flush(&self) {
        self.next_sweep.store(0, Ordering::Relaxed);
        self.sweep_if_due();
    }

    /// At shutdown, before the exporters: every open trace is decided on
    /// what it holds, kept ones exported, the rest counted as dropped.
    pub(crate) fn shutdown(&self) {
        self.decide_open(Decided::ShutDown, |_| true);
    }
}
