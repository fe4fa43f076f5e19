//! Many threads and many tasks making nested spans at once: no span lost,
//! every parent link right, no deadlock; over OTLP below the queue's
//! capacity, every span arrives.

mod common;

use common::receiver::{spans, Receiver};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;
use tracekit::testing::{capture, capture_async, CapturedSpan, Spans};
use tracekit::{trace_async, trace_operation, CarrySpan, Config, SpanId};

const THREADS: i64 = 8;
const CALLS: i64 = 250;

#[trace_operation(include_args)]
fn outer(worker: i64, call: i64) -> i64 {
    middle(worker, call) + 1
}

#[trace_operation(include_args)]
fn middle(worker: i64, call: i64) -> i64 {
    inner(worker, call) + inner(worker, call)
}

#[trace_operation(include_args)]
fn inner(worker: i64, call: i64) -> i64 {
    worker * 1_000 + call
}

/// The (worker, call) arguments a span recorded.
fn arguments(span: &CapturedSpan) -> (i64, i64) {
    (span.i64_attribute("arg.worker").unwrap(), span.i64_attribute("arg.call").unwrap())
}

/// Checks that every span named `child` has, as parent, a span named
/// `parent` of the same trace that recorded the same arguments.
fn assert_linked(spans: &Spans, child: &str, parent: &str) {
    let by_id: HashMap<SpanId, &CapturedSpan> = spans.iter().map(|span| (span.span_id(), span)).collect();
    for span in spans.all(child) {
        let id = span.parent_span_id().unwrap_or_else(|| panic!("{child} without a parent"));
        let found = by_id.get(&id).unwrap_or_else(|| panic!("the parent of a {child} was lost"));
        assert_eq!(found.name(), parent);
        assert_eq!(found.trace_id(), span.trace_id());
        assert_eq!(arguments(found), arguments(span), "a {child} nested under another call's {parent}");
    }
}

#[test]
fn many_threads_making_nested_spans_lose_none_and_link_every_parent() {
    let ((), spans) = capture(|| {
        tracekit::span("load").in_scope(|| {
            let workers: Vec<_> = (0..THREADS)
                .map(|worker| {
                    tracekit::context::spawn(move || {
                        for call in 0..CALLS {
                            assert_eq!(outer(worker, call), 2 * (worker * 1_000 + call) + 1);
                        }
                    })
                })
                .collect();
            for worker in workers {
                worker.join().unwrap();
            }
        })
    });
    let calls = (THREADS * CALLS) as usize;
    assert_eq!(spans.all("outer").len(), calls);
    assert_eq!(spans.all("middle").len(), calls);
    assert_eq!(spans.all("inner").len(), 2 * calls);
    assert_linked(&spans, "inner", "middle");
    assert_linked(&spans, "middle", "outer");
    let load = spans.get("load");
    assert!(spans.all("outer").iter().all(|span| span.parent_span_id() == Some(load.span_id())));
}

#[trace_async(include_args)]
async fn request(worker: i64, call: i64) -> i64 {
    let mut total = 0;
    for _ in 0..2 {
        tokio::task::yield_now().await;
        total += step(worker, call).await;
    }
    total
}

#[trace_async(include_args)]
async fn step(worker: i64, call: i64) -> i64 {
    tokio::task::yield_now().await;
    inner(worker, call)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_tasks_on_many_workers_lose_none_and_link_every_parent() {
    const TASKS: i64 = 400;
    let (totals, spans) = capture_async(async {
        let tasks: Vec<_> = (0..TASKS).map(|call| tokio::spawn(request(call % 7, call).carry_current_span())).collect();
        let mut totals = Vec::new();
        for task in tasks {
            totals.push(task.await.unwrap());
        }
        totals
    })
    .await;
    assert_eq!(totals.len(), TASKS as usize);
    assert_eq!(spans.all("request").len(), TASKS as usize);
    assert_eq!(spans.all("step").len(), 2 * TASKS as usize);
    assert_eq!(spans.all("inner").len(), 2 * TASKS as usize);
    assert_linked(&spans, "inner", "step");
    assert_linked(&spans, "step", "request");
    assert_eq!(spans.roots().len(), TASKS as usize, "each request is the root of its own trace");
}

#[test]
fn many_threads_over_otlp_below_the_queue_capacity_deliver_every_span() {
    deliver_every_span_over_otlp(1);
}

#[test]
fn many_threads_over_otlp_through_several_export_threads_deliver_every_span() {
    deliver_every_span_over_otlp(3);
}

/// Every span of [`THREADS`] threads reaches a real OTLP receiver through
/// `export_threads` export threads, with its parent and the resource.
fn deliver_every_span_over_otlp(export_threads: usize) {
    // Installations are process-wide: one of these tests at a time.
    static INSTALL: Mutex<()> = Mutex::new(());
    let _installing = INSTALL.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let receiver = Receiver::start();
    let before = tracekit::export_stats();
    let guard = Config::new()
        .service_name("load")
        .otlp(|otlp| otlp.endpoint(receiver.grpc_endpoint.clone()))
        .batch(|batch| {
            batch
                .schedule_delay(Duration::from_millis(50))
                .max_queue_size(16_384)
                .max_export_batch_size(512)
                .export_threads(export_threads)
        })
        .install()
        .unwrap();
    let workers: Vec<_> = (0..THREADS)
        .map(|worker| std::thread::spawn(move || (0..CALLS).for_each(|call| assert!(outer(worker, call) > 0))))
        .collect();
    for worker in workers {
        worker.join().unwrap();
    }
    drop(guard);

    let calls = (THREADS * CALLS) as usize;
    let exports = receiver.exports();
    for export in &exports {
        for resource in &export.request.resource_spans {
            let attributes = &resource.resource.as_ref().expect("a resource in every request").attributes;
            assert!(
                attributes.iter().any(|attribute| attribute.key == "service.name"
                    && format!("{:?}", attribute.value).contains("\"load\"")),
                "every request names the service: {attributes:?}"
            );
        }
    }
    let arrived = spans(&exports);
    assert_eq!(arrived.len(), 4 * calls, "every span arrives");
    let stats = tracekit::export_stats();
    assert_eq!((stats.dropped - before.dropped, stats.failed - before.failed), (0, 0));
    let by_id: HashMap<&[u8], &opentelemetry_proto::tonic::trace::v1::Span> =
        arrived.iter().map(|span| (span.span_id.as_slice(), span)).collect();
    for span in &arrived {
        let expected_parent = match span.name.as_str() {
            "inner" => "middle",
            "middle" => "outer",
            _ => {
                assert!(span.parent_span_id.is_empty(), "an outer call is a root");
                continue;
            }
        };
        let parent = by_id[span.parent_span_id.as_slice()];
        assert_eq!(parent.name, expected_parent);
        assert_eq!(parent.trace_id, span.trace_id);
    }
}
