//! Each recording thread's own hold on a pipeline's processors, which its
//! recorded spans share. A span keeps what it will end into alive; were
//! that the processors' `Arc` itself, every span on every thread would
//! count up and down the same atomic, and threads recording at once would
//! pass its cache line back and forth twice a span. A thread's lease is
//! counted only by that thread's spans (and by those that end elsewhere).

use super::processors::Processors;
use super::queued::QueuedSpan;
use super::span_record::{call_record, FinishedSpan, SpanSink};
use crate::facade::live::{CallSink, CallSpan, Recording};
use crate::support::clock::Reading;
use opentelemetry::KeyValue;
use opentelemetry_sdk::trace::SpanLimits;
use std::cell::RefCell;
use std::sync::Arc;

/// A thread's hold on one pipeline's processors.
pub(super) struct Lease {
    processors: Arc<Processors>,
}

impl SpanSink for Lease {
    fn limits(&self) -> &SpanLimits {
        self.processors.limits()
    }

    fn finish(&self, span: FinishedSpan) {
        self.processors.finish(span);
    }

    fn call_sink(self: Arc<Self>) -> Option<Arc<dyn CallSink>> {
        Some(self)
    }
}

/// How many pipelines a thread keeps a lease on; more are rare (test
/// captures, one after another), and a lease let go only costs a new one.
const KEPT: usize = 4;

thread_local! {
    static LEASES: RefCell<Vec<Arc<Lease>>> = const { RefCell::new(Vec::new()) };
}

/// Where a span started on this thread ends: this thread's lease on
/// `processors`, taken on its first span. Leases on pipelines shut down
/// since are let go when a new one is taken. `None` on a thread being
/// torn down: the span then holds the processors themselves.
pub(super) fn leased(processors: &Arc<Processors>) -> Option<Arc<Lease>> {
    with_lease(processors, Arc::clone)
}

/// What `f` makes of this thread's lease on `processors` (see [`leased`]),
/// without counting it again.
pub(super) fn with_lease<R>(processors: &Arc<Processors>, f: impl FnOnce(&Arc<Lease>) -> R) -> Option<R> {
    let leased = LEASES.try_with(|leases| {
        let mut leases = leases.try_borrow_mut().ok()?;
        if let Some(lease) = leases.iter().find(|lease| Arc::ptr_eq(&lease.processors, processors)) {
            return Some(f(lease));
        }
        leases.retain(|lease| !lease.processors.is_shut_down());
        if leases.len() >= KEPT {
            leases.remove(0);
        }
        leases.push(Arc::new(Lease { processors: processors.clone() }));
        leases.last().map(f)
    });
    leased.ok().flatten()
}

impl Lease {
    /// Whether the processors note each span's start (a test capture).
    pub(super) fn notes_starts(&self) -> bool {
        self.processors.notes_starts()
    }
}

impl CallSink for Lease {
    fn started(&self, call: &CallSpan) {
        self.processors.call_started(call);
    }

    fn record(self: Arc<Self>, call: &mut CallSpan) -> Box<dyn Recording> {
        call_record(self, call)
    }

    fn end(&self, call: &CallSpan, ended: Reading) -> bool {
        self.processors.queue_call(call, ended)
    }

    fn end_with(&self, call: &CallSpan, attributes: &mut Vec<KeyValue>, ended: Reading) -> bool {
        let queued = QueuedSpan::ended_call(call, attributes, ended, self.limits());
        queued.map(|span| self.processors.queue(span)).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry_sdk::Resource;

    fn processors() -> Arc<Processors> {
        Arc::new(Processors::new(Vec::new(), SpanLimits::default(), None, &Resource::builder().build()))
    }

    #[test]
    fn the_spans_of_a_thread_share_its_lease_and_another_thread_has_its_own() {
        let processors = processors();
        let first = leased(&processors).unwrap();
        let second = leased(&processors).unwrap();
        assert!(Arc::ptr_eq(&first, &second), "one lease per thread");
        let elsewhere = std::thread::scope(|scope| scope.spawn(|| leased(&processors).unwrap()).join().unwrap());
        assert!(!Arc::ptr_eq(&first, &elsewhere), "each thread its own");
        // The processors are counted once per lease, not once per span.
        assert_eq!(Arc::strong_count(&processors), 1 + 2);
    }

    #[test]
    fn leases_on_pipelines_shut_down_are_let_go() {
        let old = processors();
        drop(leased(&old));
        let _ = old.shutdown(std::time::Duration::from_millis(10));
        assert_eq!(Arc::strong_count(&old), 2, "held by this thread's lease");
        let new = processors();
        drop(leased(&new));
        assert_eq!(Arc::strong_count(&old), 1, "let go when the next lease was taken");
    }
}
