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
//! bounds spans are dropped and counted ([`keep_stats`]). A root that runs
//! past the timeout is judged in windows (see `local_trace`); traces still
//! open at shutdown are decided on what they hold. Timeouts are looked for
//! whenever a local trace opens, and at each flush.

mod local_trace;
mod policy;
mod stats;

use local_trace::Judged;
pub(crate) use local_trace::LocalTrace;
pub use policy::KeepPolicy;
pub(crate) use policy::RULES;
pub use stats::{keep_stats, KeepStats};

use super::processors::Processors;
use super::queued::QueuedSpan;
use super::span_record::FinishedSpan;
use crate::keys::{CANCELLED, THRESHOLD_EXCEEDED};
use crate::support::clock::Reading;
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
    processors: Arc<Processors>,
    /// The open traces that hold spans, by root span id: those a timeout
    /// or shutdown may have to judge.
    open: Mutex<HashMap<SpanId, Arc<LocalTrace>>>,
    /// How many traces `open` lists: with none, there is nothing to sweep.
    listed: AtomicUsize,
    /// Spans held across the open traces.
    held: AtomicUsize,
    /// When timeouts are next looked for, in milliseconds since `epoch`.
    next_sweep: AtomicU64,
    epoch: Instant,
    /// Whether the first drop was said already.
    warned: AtomicBool,
    /// Set as shutdown begins: traces opened later are never judged.
    shutting_down: AtomicBool,
    /// Set once shutdown has exported what it kept: spans kept later
    /// cannot be exported any more, and are counted.
    shut_down: AtomicBool,
}

impl Keeper {
    pub(crate) fn new(policy: KeepPolicy, processors: Arc<Processors>) -> Arc<Keeper> {
        Arc::new(Keeper {
            policy,
            processors,
            open: Mutex::new(HashMap::new()),
            listed: AtomicUsize::new(0),
            held: AtomicUsize::new(0),
            next_sweep: AtomicU64::new(0),
            epoch: Instant::now(),
            warned: AtomicBool::new(false),
            shutting_down: AtomicBool::new(false),
            shut_down: AtomicBool::new(false),
        })
    }

    /// A new local trace, rooted at the span `root`.
    pub(crate) fn open_trace(self: &Arc<Self>, root: SpanId, started: Reading) -> Arc<LocalTrace> {
        self.sweep_if_due();
        LocalTrace::new(root, started, self.clone())
    }

    fn is_shut_down(&self) -> bool {
        self.shutting_down.load(Ordering::Relaxed)
    }

    /// Notes that `trace` holds spans.
    fn holds(&self, trace: &LocalTrace) {
        if let Some(trace) = trace.shared() {
            let mut open = recover(self.open.lock());
            open.insert(trace.root, trace);
            self.listed.store(open.len(), Ordering::Relaxed);
        }
    }

    /// The rules `span` meets; `is_root`: it is its trace's local root.
    fn reasons_in(&self, span: &FinishedSpan, is_root: bool) -> Reasons {
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
        let long = |limit| is_root && span.duration() > limit;
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

    /// A judged trace holds its spans no more; `listed`: it was listed.
    fn released(&self, trace: &LocalTrace, spans: usize, listed: bool) {
        self.held.fetch_sub(spans, Ordering::Relaxed);
        if listed {
            let mut open = recover(self.open.lock());
            open.remove(&trace.root);
            self.listed.store(open.len(), Ordering::Relaxed);
        }
    }

    fn export(&self, mut span: QueuedSpan) {
        if self.shut_down.load(Ordering::Relaxed) {
            self.dropped(1);
            return span.recycle();
        }
        // Exported as recorded spans are: the batch processor leaves
        // unsampled ones out.
        span.mark_sampled();
        self.processors.queue(span);
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
                         {at_once} at once), or left at shutdown; tracekit::keep_stats() counts them"
                    )
                },
                |message| tracing::warn!(target: "tracekit::keep", per_trace, at_once, "{message}"),
            );
        }
    }

    /// Judges the traces whose window has run a whole timeout. Looked for
    /// when a trace opens and at each flush, at most once per half timeout
    /// (or per second, if shorter).
    fn sweep_if_due(&self) {
        if self.listed.load(Ordering::Relaxed) == 0 {
            return;
        }
        let now = self.epoch.elapsed().as_millis() as u64;
        let next = self.next_sweep.load(Ordering::Relaxed);
        let every = (self.policy.timeout / 2).min(Duration::from_secs(1)).as_millis().max(1) as u64;
        if now < next
            || self.next_sweep.compare_exchange(next, now + every, Ordering::Relaxed, Ordering::Relaxed).is_err()
        {
            return;
        }
        let now = Reading::now();
        self.judge_open(Judged::TimedOut, |trace| trace.is_due(now));
    }

    /// Judges the open traces that `due` picks, outside the map's lock.
    fn judge_open(&self, why: Judged, due: impl Fn(&LocalTrace) -> bool) {
        let open: Vec<Arc<LocalTrace>> = recover(self.open.lock()).values().cloned().collect();
        for trace in open.into_iter().filter(|trace| due(trace)) {
            trace.judge_early(why);
        }
    }

    /// At each flush: the timeouts that are due. Open traces stay open.
    pub(crate) fn flush(&self) {
        self.next_sweep.store(0, Ordering::Relaxed);
        self.sweep_if_due();
    }

    /// At shutdown, before the exporters: every open trace is decided on
    /// what it holds, kept ones exported, the rest counted as dropped; so
    /// are the spans of traces opened or kept from then on.
    pub(crate) fn shutdown(&self) {
        self.shutting_down.store(true, Ordering::Relaxed);
        self.judge_open(Judged::ShutDown, |_| true);
        self.shut_down.store(true, Ordering::Relaxed);
    }
}
