//! Each capture sees only its own spans, while tests run in parallel.

use std::sync::{Arc, Barrier};
use tracekit::testing::capture;
use tracekit::trace_operation;

#[trace_operation(include_args)]
fn work(worker: u32, step: u32) -> u32 {
    worker * 100 + step
}

#[test]
fn parallel_captures_see_only_their_own_spans() {
    let workers = 8;
    let barrier = Arc::new(Barrier::new(workers as usize));
    let threads: Vec<_> = (0..workers)
        .map(|worker| {
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                let ((), spans) = capture(|| {
                    barrier.wait(); // every capture is open at once
                    for step in 0..50 {
                        work(worker, step);
                    }
                    barrier.wait();
                });
                spans
            })
        })
        .collect();
    for (worker, thread) in threads.into_iter().enumerate() {
        let spans = thread.join().unwrap();
        assert_eq!(spans.len(), 50);
        assert!(spans.iter().all(|span| span.i64_attribute("arg.worker") == Some(worker as i64)));
    }
}

#[test]
fn spans_on_another_thread_join_the_capture_that_carries_the_context() {
    let ((), spans) = capture(|| {
        tracekit::span("request").in_scope(|| {
            let context = tracekit::context::current();
            std::thread::spawn(move || {
                let _attached = context.attach();
                work(1, 1);
            })
            .join()
            .unwrap();
            // A thread that does not carry the context is not captured.
            std::thread::spawn(|| work(2, 2)).join().unwrap();
        });
    });
    assert_eq!(spans.names(), ["work", "request"]);
    spans.assert_child_of("work", "request");
}

#[test]
fn nested_captures_keep_their_spans_apart() {
    let ((), outer) = capture(|| {
        work(1, 0);
        let ((), inner) = capture(|| {
            work(2, 0);
        });
        assert_eq!(inner.len(), 1);
        assert_eq!(inner.get("work").i64_attribute("arg.worker"), Some(2));
    });
    assert_eq!(outer.len(), 1);
    assert_eq!(outer.get("work").i64_attribute("arg.worker"), Some(1));
}

#[test]
fn a_capture_works_without_init_and_returns_the_closure_value() {
    let (value, spans) = capture(|| work(3, 4));
    assert_eq!(value, 304);
    assert_eq!(spans.len(), 1);
}

#[test]
#[should_panic(expected = "no span named \"missing\"\ncaptured spans:\ncaptured trace")]
fn a_failed_expectation_prints_the_captured_tree() {
    let (_, spans) = capture(|| work(1, 2));
    spans.get("missing");
}

#[test]
#[should_panic(expected = "\"work\" is not a child of \"other\"")]
fn a_wrong_parent_expectation_fails_with_the_tree() {
    let (_, spans) = capture(|| {
        tracekit::span("other").in_scope(|| ());
        work(1, 2)
    });
    spans.assert_child_of("work", "other");
}

#[test]
fn queries_by_name_attribute_status_kind_and_duration() {
    let (_, spans) = capture(|| {
        work(1, 1);
        work(2, 2);
        tracekit::span("server").kind(tracekit::SpanKind::Server).in_scope(|| {
            tracekit::current_span().record_error(&std::io::Error::other("bad"));
        });
    });
    assert_eq!(spans.all("work").len(), 2);
    assert_eq!(spans.with_attribute("arg.worker", 2_i64).len(), 1);
    assert_eq!(spans.errors().len(), 1);
    assert_eq!(spans.filter(|s| s.kind() == &tracekit::SpanKind::Server).len(), 1);
    assert!(spans.iter().all(|s| s.duration() < std::time::Duration::from_secs(5)));
    assert_eq!(spans.clone().into_span_data().len(), 3);
}

#[trace_operation]
fn step() -> u32 {
    7
}

/// A call's span is filled in a box the thread reuses for its next call,
/// whichever capture that call is made under.
#[test]
fn calls_made_one_capture_after_another_on_a_thread_reach_their_own_capture() {
    for round in 0..3 {
        let ((), spans) = capture(|| {
            tracekit::span("request").in_scope(|| {
                step();
                let (_, inner) = capture(|| tracekit::span("inner request").in_scope(step));
                assert_eq!(inner.names(), ["step", "inner request"], "round {round}");
                inner.assert_child_of("step", "inner request");
                step();
            });
        });
        assert_eq!(spans.names(), ["step", "step", "request"], "round {round}");
        assert!(spans.all("step").iter().all(|call| call.parent_span_id() == Some(spans.get("request").span_id())));
    }
}

/// A root call's box keeps its lane's sink for the next root on the
/// thread: a root made under another capture, or after one, still reaches
/// its own.
#[test]
fn root_calls_made_one_capture_after_another_on_a_thread_reach_their_own_capture() {
    for round in 0..3 {
        let ((), outer) = capture(|| {
            step();
            let ((), inner) = capture(|| {
                step();
                step();
            });
            assert_eq!(inner.names(), ["step", "step"], "round {round}");
            step();
        });
        assert_eq!(outer.names(), ["step", "step"], "round {round}");
        assert!(outer.all("step").iter().all(|call| call.parent_span_id().is_none()), "round {round}: roots");
    }
}
