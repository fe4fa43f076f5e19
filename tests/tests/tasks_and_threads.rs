//! The current span carried into spawned tasks and threads.

use tracekit::context::{carry_current_span, spawn};
use tracekit::testing::{capture, capture_async};
use tracekit::{trace_async, trace_operation, CarrySpan};

#[trace_operation(include_args)]
fn leaf(n: u32) -> u32 {
    n
}

#[trace_async(include_args)]
async fn task(n: u32) -> u32 {
    tokio::task::yield_now().await;
    leaf(n)
}

#[trace_async]
async fn fan_out() -> u32 {
    let handles: Vec<_> = (0..6).map(|n| tokio::spawn(task(n).carry_current_span())).collect();
    let mut total = 0;
    for handle in handles {
        total += handle.await.unwrap();
    }
    total
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn spawned_tasks_on_other_workers_are_children() {
    let (total, spans) = capture_async(fan_out()).await;
    assert_eq!(total, 15);
    let parent = spans.get("fan_out");
    let tasks = spans.children(parent);
    assert_eq!(tasks.len(), 6);
    for task in tasks {
        assert_eq!(task.trace_id(), parent.trace_id());
        assert_eq!(spans.children(task)[0].name(), "leaf");
    }
}

#[test]
fn threads_and_pools_get_the_span_through_a_closure_wrapper() {
    let ((), spans) = capture(|| {
        tracekit::span("batch").in_scope(|| {
            let handles: Vec<_> = (0..4).map(|n| spawn(move || leaf(n))).collect();
            for handle in handles {
                handle.join().unwrap();
            }
            // A hand-rolled pool: jobs are closures sent to worker threads.
            let (sender, receiver) = std::sync::mpsc::channel::<Box<dyn FnOnce() + Send>>();
            let worker = std::thread::spawn(move || receiver.into_iter().for_each(|job| job()));
            sender
                .send(Box::new(carry_current_span(|| {
                    leaf(9);
                })))
                .unwrap();
            drop(sender);
            worker.join().unwrap();
        })
    });
    let batch = spans.get("batch");
    let children = spans.children(batch);
    assert_eq!(children.len(), 5);
    assert!(children.iter().all(|child| child.name() == "leaf"));
}

#[tokio::test]
async fn a_future_can_run_in_a_given_context() {
    let ((), spans) = capture_async(async {
        let context = tracekit::span("owner").in_scope(tracekit::context::current);
        task(1).carry_context(context).await;
    })
    .await;
    spans.assert_child_of("task", "owner");
}
