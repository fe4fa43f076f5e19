//! The keep policy: local traces that head sampling dropped are exported
//! when one of their spans failed or ran slow, or their root ran long, and
//! forgotten otherwise; what waits for the decision is bounded and counted.

use std::collections::HashMap;
use std::future::Future as _;
use std::thread;
use std::time::Duration;
use tracekit::opentelemetry::Context;
use tracekit::testing::{Capture, Spans};
use tracekit::{propagation, trace_operation, trace_performance, KeepPolicy, Sampler};

/// One test at a time: `keep_stats()` counts for the whole process, and
/// each test checks exactly what it added.
fn serial() -> std::sync::MutexGuard<'static, ()> {
    static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    SERIAL.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// What the keep policy counted since `before`.
fn counted_since(before: tracekit::KeepStats) -> [u64; 4] {
    let now = tracekit::keep_stats();
    [
        now.kept - before.kept,
        now.discarded - before.discarded,
        now.timed_out - before.timed_out,
        now.spans_dropped - before.spans_dropped,
    ]
}

/// Head sampling drops every trace; the policy alone decides.
fn dropping(policy: KeepPolicy) -> Capture {
    Capture::new().sampler(Sampler::AlwaysOff).keep(policy)
}

#[trace_operation(include_args)]
fn handle(fail: bool) -> Result<u32, String> {
    let rows = load();
    if fail {
        return Err(format!("{rows} rows, none usable"));
    }
    Ok(rows)
}

#[trace_operation]
fn load() -> u32 {
    query();
    3
}

#[trace_operation]
fn query() {}

fn the_whole_local_trace_with_its_parents(spans: &Spans) {
    assert_eq!(spans.names(), ["query", "load", "handle"], "children first, as they ended");
    spans.assert_child_of("query", "load");
    spans.assert_child_of("load", "handle");
    assert_eq!(spans.roots().len(), 1);
    let trace = spans.get("handle").trace_id();
    assert!(spans.iter().all(|span| span.trace_id() == trace));
    // Exported as recorded spans are: sampled.
    assert!(spans.iter().all(|span| span.data().span_context.is_sampled()));
}

#[test]
fn a_failed_trace_is_kept_whole_and_its_root_says_why() {
    let _one_at_a_time = serial();
    let (result, spans) = dropping(KeepPolicy::new().errors()).run(|| handle(true));
    assert!(result.is_err());
    the_whole_local_trace_with_its_parents(&spans);
    let root = spans.get("handle");
    assert_eq!(root.kept_by(), Some("error"));
    assert!(root.is_error());
    assert_eq!(root.bool_attribute("arg.fail"), Some(true), "recorded like any span: arguments and all");
    assert_eq!(spans.get("load").kept_by(), None, "only the local root says why");
    assert_eq!(root.attribute(tracekit::keys::SPANS_DROPPED), None, "nothing was lost");
}

#[trace_operation(include_args, include_result)]
fn price(sku: u64, quantity: u32) -> u64 {
    sku * u64::from(quantity)
}

#[trace_operation]
fn order(in_stock: bool) -> Result<u64, String> {
    let total = price(7, 3);
    if !in_stock {
        return Err("out of stock".to_owned());
    }
    Ok(total)
}

#[test]
fn a_held_call_keeps_its_arguments_and_result_until_its_trace_is_judged() {
    let _one_at_a_time = serial();
    let (_, kept) = dropping(KeepPolicy::new().errors()).run(|| order(false));
    assert_eq!(kept.names(), ["price", "order"]);
    kept.assert_child_of("price", "order");
    let price = kept.get("price");
    let keys: Vec<String> = price.data().attributes.iter().map(|kv| kv.key.to_string()).collect();
    let code = ["code.function.name", "code.file.path", "code.line.number"];
    assert_eq!(keys, [&code[..], &["arg.sku", "arg.quantity", "result"]].concat());
    assert_eq!(price.i64_attribute("arg.sku"), Some(7));
    assert_eq!(price.i64_attribute("arg.quantity"), Some(3));
    assert_eq!(price.i64_attribute("result"), Some(21));
    assert!(price.data().span_context.is_sampled(), "exported as recorded spans are");
    assert_eq!(price.kept_by(), None);

    let (_, forgotten) = dropping(KeepPolicy::new().errors()).run(|| order(true));
    assert!(forgotten.is_empty(), "{}", forgotten.tree());
}

#[test]
fn a_trace_without_failure_is_forgotten() {
    let _one_at_a_time = serial();
    let (result, spans) = dropping(KeepPolicy::new().errors()).run(|| handle(false));
    assert_eq!(result, Ok(3));
    assert!(spans.is_empty(), "{}", spans.tree());
}

#[test]
fn without_a_policy_head_sampling_alone_decides() {
    let _one_at_a_time = serial();
    let ((), spans) = Capture::new().sampler(Sampler::AlwaysOff).run(|| {
        let _ = handle(true);
    });
    assert!(spans.is_empty(), "{}", spans.tree());
}

#[test]
fn an_error_deep_down_keeps_the_trace() {
    let _one_at_a_time = serial();
    #[trace_operation]
    fn outer() {
        inner();
    }
    #[trace_operation]
    fn inner() {
        tracekit::span("step").in_scope(|| {
            tracekit::current_span().record_error(&std::io::Error::other("disk full"));
        });
    }
    let ((), spans) = dropping(KeepPolicy::new().errors()).run(outer);
    assert_eq!(spans.names(), ["step", "inner", "outer"]);
    assert_eq!(spans.get("outer").kept_by(), Some("error"));
    assert!(!spans.get("outer").is_error(), "the root did not fail: it is kept for its child");
}

#[test]
fn a_panic_keeps_the_trace() {
    let _one_at_a_time = serial();
    #[trace_operation]
    fn boom() {
        panic!("no more rows");
    }
    let ((), spans) = dropping(KeepPolicy::new().errors()).run(|| {
        let _ = std::panic::catch_unwind(boom);
    });
    assert_eq!(spans.get("boom").kept_by(), Some("error"));
    assert_eq!(spans.get("boom").error_message(), Some("no more rows"));
}

#[trace_performance(threshold_ms = 5)]
fn render(ms: u64) {
    thread::sleep(Duration::from_millis(ms));
}

#[trace_operation]
fn page(ms: u64) {
    render(ms);
}

#[test]
fn a_call_past_its_threshold_keeps_the_trace() {
    let _one_at_a_time = serial();
    let policy = KeepPolicy::new().slow_calls();
    let ((), spans) = dropping(policy.clone()).run(|| page(20));
    assert_eq!(spans.names(), ["render", "page"]);
    assert_eq!(spans.get("page").kept_by(), Some("slow"));
    assert!(spans.get("render").event("performance.threshold_exceeded").is_some());
    let ((), spans) = dropping(policy).run(|| page(0));
    assert!(spans.is_empty(), "a fast call keeps nothing");
}

#[test]
fn a_root_that_runs_long_keeps_the_trace() {
    let _one_at_a_time = serial();
    let policy = KeepPolicy::new().longer_than(Duration::from_millis(20));
    let ((), spans) = dropping(policy.clone()).run(|| tracekit::span("batch").in_scope(|| page(30)));
    assert_eq!(spans.names(), ["render", "page", "batch"]);
    assert_eq!(spans.get("batch").kept_by(), Some("long"));
    let ((), spans) = dropping(policy).run(|| tracekit::span("batch").in_scope(|| page(0)));
    assert!(spans.is_empty());
}

#[tracekit::trace_async]
async fn waits_forever() {
    std::future::pending::<()>().await
}

#[test]
fn a_cancelled_future_keeps_the_trace_when_cancellations_are_a_rule() {
    let _one_at_a_time = serial();
    let cancel_one = || {
        tracekit::span("request").in_scope(|| {
            let mut context = std::task::Context::from_waker(std::task::Waker::noop());
            let mut waiting = Box::pin(waits_forever());
            assert!(waiting.as_mut().poll(&mut context).is_pending());
            // Dropped before it completed: a timeout, a client gone.
        })
    };
    let ((), spans) = dropping(KeepPolicy::new().cancellations()).run(cancel_one);
    assert_eq!(spans.names(), ["waits_forever", "request"]);
    assert_eq!(spans.get("request").kept_by(), Some("cancelled"));
    assert_eq!(spans.get("waits_forever").bool_attribute(tracekit::keys::CANCELLED), Some(true));
    let ((), spans) = dropping(KeepPolicy::new().errors()).run(cancel_one);
    assert!(spans.is_empty(), "a cancellation is no error: {}", spans.tree());
}

#[test]
fn a_trace_meeting_several_rules_names_them_all() {
    let _one_at_a_time = serial();
    let policy = KeepPolicy::new().errors().slow_calls().longer_than(Duration::from_millis(10));
    let ((), spans) = dropping(policy).run(|| {
        tracekit::span("job").in_scope(|| {
            page(20);
            let _ = handle(true);
        })
    });
    assert_eq!(spans.get("job").kept_by(), Some("error,slow,long"));
}

#[test]
fn a_rule_not_chosen_keeps_nothing() {
    let _one_at_a_time = serial();
    let ((), spans) = dropping(KeepPolicy::new().slow_calls()).run(|| {
        let _ = handle(true);
    });
    assert!(spans.is_empty(), "errors are not a rule here: {}", spans.tree());
}

#[test]
fn traces_head_sampling_kept_are_exported_once_and_say_nothing() {
    let _one_at_a_time = serial();
    let capture = Capture::new().sampler(Sampler::AlwaysOn).keep(KeepPolicy::new().errors());
    let (_, spans) = capture.run(|| handle(true));
    the_whole_local_trace_with_its_parents(&spans);
    assert_eq!(spans.get("handle").kept_by(), None);
}

#[test]
fn the_ids_sent_on_are_those_of_the_kept_span() {
    let _one_at_a_time = serial();
    let ((headers, span_id), spans) = dropping(KeepPolicy::new().errors()).run(|| {
        tracekit::span("client").in_scope(|| {
            let mut headers = HashMap::new();
            propagation::inject(&mut headers);
            tracekit::current_span().record_error(&std::io::Error::other("refused"));
            (headers, tracekit::current_span().span_id().unwrap())
        })
    });
    let sent = &headers["traceparent"];
    let client = spans.get("client");
    assert_eq!(client.span_id(), span_id);
    assert_eq!(sent, &format!("00-{}-{}-00", client.trace_id(), client.span_id()));
}

#[test]
fn spans_past_the_bound_of_one_trace_are_dropped_and_counted() {
    let _one_at_a_time = serial();
    let before = tracekit::keep_stats();
    let policy = KeepPolicy::new().errors().max_spans_per_trace(3);
    let ((), spans) = dropping(policy).run(|| {
        tracekit::span("import").in_scope(|| {
            for _ in 0..10 {
                query();
            }
            tracekit::current_span().record_error(&std::io::Error::other("bad row"));
        })
    });
    assert_eq!(spans.all("query").len(), 3);
    let root = spans.get("import");
    assert_eq!(root.kept_by(), Some("error"));
    assert_eq!(root.i64_attribute(tracekit::keys::SPANS_DROPPED), Some(7), "the trace says it is incomplete");
    assert_eq!(counted_since(before), [1, 0, 0, 7], "kept, discarded, timed out, spans dropped");
}

#[test]
fn spans_past_the_bound_across_open_traces_are_dropped_and_counted() {
    let _one_at_a_time = serial();
    let before = tracekit::keep_stats();
    let policy = KeepPolicy::new().errors().max_held_spans(4);
    let ((), spans) = dropping(policy).run(|| {
        // A first local trace holds the 4 spans the bound allows, and stays open...
        let first = tracekit::span("connection").entered();
        for _ in 0..4 {
            query();
        }
        // ...while a second one, a root of its own, fails.
        tracekit::span("request").parent(Context::new()).in_scope(|| {
            query();
            query();
            tracekit::current_span().record_error(&std::io::Error::other("timeout"));
        });
        drop(first);
    });
    let request = spans.get("request");
    assert_eq!(request.kept_by(), Some("error"));
    assert_eq!(request.i64_attribute(tracekit::keys::SPANS_DROPPED), Some(2));
    assert!(spans.children(request).is_empty(), "its spans did not fit: {}", spans.tree());
    assert!(spans.find("connection").is_none(), "the first trace did not fail");
    assert_eq!(counted_since(before), [1, 1, 0, 2], "kept, discarded, timed out, spans dropped");
}

#[test]
fn a_root_that_never_ends_is_judged_at_each_timeout() {
    let _one_at_a_time = serial();
    let before = tracekit::keep_stats();
    let policy = KeepPolicy::new().errors().timeout(Duration::from_millis(50));
    let ((), spans) = dropping(policy).run(|| {
        let connection = tracekit::span("connection").entered();
        tracekit::span("message").in_scope(|| {
            tracekit::current_span().record_error(&std::io::Error::other("malformed"));
        });
        // A call held with nothing recorded on it.
        query();
        thread::sleep(Duration::from_millis(120));
        // Timeouts are looked for when a local trace opens.
        tracekit::span("next").parent(Context::new()).in_scope(|| ());
        // This window failed: what it held is exported now, and says why.
        tracekit::span("later").in_scope(|| ());
        drop(connection);
    });
    assert_eq!(spans.names(), ["message", "query", "later", "connection"], "{}", spans.tree());
    assert_eq!(spans.get("message").kept_by(), Some("error"), "exported before its root ended, it says why");
    let query = spans.get("query");
    assert_eq!(query.kept_by(), Some("error"));
    assert!(query.str_attribute("code.function.name").is_some_and(|name| name.ends_with("::query")));
    assert!(query.data().span_context.is_sampled());
    spans.assert_child_of("query", "connection");
    assert_eq!(spans.get("connection").kept_by(), Some("error"), "a kept window keeps the root");
    spans.assert_child_of("later", "connection");
    assert_eq!(counted_since(before), [1, 1, 1, 0], "kept, discarded (next), timed out, spans dropped");
}

#[test]
fn a_long_lived_root_forgets_a_quiet_window_and_keeps_a_later_failure() {
    let _one_at_a_time = serial();
    let before = tracekit::keep_stats();
    let policy = KeepPolicy::new().errors().timeout(Duration::from_millis(50));
    let ((), spans) = dropping(policy).run(|| {
        let connection = tracekit::span("connection").entered();
        query();
        thread::sleep(Duration::from_millis(120));
        tracekit::span("next").parent(Context::new()).in_scope(|| ());
        // The first window met no rule: its query is forgotten. This one fails.
        tracekit::span("late").in_scope(|| {
            tracekit::current_span().record_error(&std::io::Error::other("too late"));
        });
        drop(connection);
    });
    assert_eq!(spans.names(), ["late", "connection"], "{}", spans.tree());
    assert_eq!(spans.get("connection").kept_by(), Some("error"));
    assert_eq!(counted_since(before), [1, 1, 1, 0], "kept, discarded (next), timed out, spans dropped");
}

#[test]
fn work_a_held_call_hands_on_joins_its_trace() {
    let _one_at_a_time = serial();
    #[trace_operation]
    fn request(fail: bool) -> Result<(), String> {
        dispatch(fail)
    }
    // Held on the lane of `request`, with nothing recorded until it fails.
    #[trace_operation]
    fn dispatch(fail: bool) -> Result<(), String> {
        let on_thread = tracekit::context::spawn(worker).join().unwrap();
        let in_future = block_on(fetch());
        let deferred = block_on(deferred());
        if fail {
            return Err(format!("{on_thread}, {in_future} and {deferred}, then failed"));
        }
        Ok(())
    }
    #[trace_operation]
    fn worker() -> u32 {
        1
    }
    #[tracekit::trace_async]
    async fn fetch() -> u32 {
        2
    }
    // Started on the lane, then going on as the future it returns.
    #[trace_operation]
    fn deferred() -> Deferred {
        Box::pin(async { inside().await })
    }
    // Under a name of its own, the future is known for one only when the
    // call returns: the call starts on the lane.
    type Deferred = std::pin::Pin<Box<dyn std::future::Future<Output = u32> + Send>>;
    // Started by the backend, under the span the future carries.
    #[tracekit::trace_async]
    async fn inside() -> u32 {
        3
    }
    for fail in [true, false] {
        let before = tracekit::keep_stats();
        let (result, spans) = dropping(KeepPolicy::new().errors()).run(|| request(fail));
        assert_eq!(result.is_err(), fail);
        if !fail {
            assert!(spans.is_empty(), "{}", spans.tree());
            assert_eq!(counted_since(before), [0, 1, 0, 0], "one trace discarded");
            continue;
        }
        assert_eq!(spans.roots().len(), 1, "{}", spans.tree());
        spans.assert_child_of("dispatch", "request");
        spans.assert_child_of("worker", "dispatch");
        spans.assert_child_of("fetch", "dispatch");
        spans.assert_child_of("deferred", "dispatch");
        spans.assert_child_of("inside", "deferred");
        let trace = spans.get("request").trace_id();
        assert!(spans.iter().all(|span| span.trace_id() == trace));
        assert_eq!(spans.get("request").kept_by(), Some("error"));
        assert_eq!(counted_since(before), [1, 0, 0, 0], "one trace kept, nothing dropped");
    }
}

/// Polls `future` to its end on this thread.
fn block_on<F: std::future::Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let waker = std::task::Waker::noop();
    let mut context = std::task::Context::from_waker(waker);
    loop {
        if let std::task::Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return output;
        }
    }
}

#[test]
fn a_span_that_outlives_its_root_follows_the_decision() {
    let _one_at_a_time = serial();
    let run = |fail: bool| {
        dropping(KeepPolicy::new().errors()).run(|| {
            let (started, release) = (std::sync::mpsc::channel(), std::sync::mpsc::channel::<()>());
            let worker = tracekit::span("request").in_scope(|| {
                let (started_tx, release_rx) = (started.0, release.1);
                let worker = tracekit::context::spawn(move || {
                    tracekit::span("background").in_scope(|| {
                        started_tx.send(()).unwrap();
                        release_rx.recv().unwrap();
                    })
                });
                started.1.recv().unwrap();
                if fail {
                    tracekit::current_span().record_error(&std::io::Error::other("failed"));
                }
                worker
            });
            // The root has ended and been decided; the task ends after it.
            release.0.send(()).unwrap();
            worker.join().unwrap();
        })
    };
    let ((), spans) = run(true);
    assert_eq!(spans.names(), ["request", "background"]);
    spans.assert_child_of("background", "request");
    let ((), spans) = run(false);
    assert!(spans.is_empty(), "{}", spans.tree());
}

#[tracekit::trace_async]
async fn stream(fail: bool) {
    tracekit::span("step").in_scope(|| {
        if fail {
            tracekit::current_span().record_error(&std::io::Error::other("bad frame"));
        }
    });
    std::future::pending::<()>().await
}

#[test]
fn local_traces_open_at_shutdown_are_decided_and_counted() {
    let _one_at_a_time = serial();
    let before = tracekit::keep_stats();
    // Each stream runs up to its first wait: its root is still open when
    // the capture ends (and shuts its pipeline down).
    let mut streams = Vec::new();
    let ((), spans) = dropping(KeepPolicy::new().errors()).run(|| {
        let mut context = std::task::Context::from_waker(std::task::Waker::noop());
        for fail in [true, false] {
            let mut stream = Box::pin(stream(fail));
            assert!(stream.as_mut().poll(&mut context).is_pending());
            streams.push(stream);
        }
    });
    assert_eq!(spans.names(), ["step"], "kept, with its root still running: {}", spans.tree());
    assert!(spans.get("step").is_error());
    assert_eq!(spans.get("step").kept_by(), Some("error"));
    assert_eq!(counted_since(before), [1, 1, 0, 1], "the quiet stream's step is counted");
    // The roots end after shutdown: neither can be exported, both are counted.
    drop(streams);
    assert_eq!(counted_since(before), [1, 1, 0, 3]);
}

#[test]
fn a_context_made_from_a_held_span_carries_its_local_trace() {
    let _one_at_a_time = serial();
    let run = |child_fails: bool, root_fails: bool| {
        dropping(KeepPolicy::new().errors()).run(|| {
            tracekit::span("request").in_scope(|| {
                // A parent given as a `Context`, as code that wants one passes it.
                let context = tracekit::context::current();
                tracekit::span("child").parent(context).in_scope(|| {
                    if child_fails {
                        tracekit::current_span().record_error(&std::io::Error::other("child failed"));
                    }
                });
                if root_fails {
                    tracekit::current_span().record_error(&std::io::Error::other("request failed"));
                }
            })
        })
    };
    for (child_fails, root_fails) in [(true, false), (false, true)] {
        let ((), spans) = run(child_fails, root_fails);
        assert_eq!(spans.names(), ["child", "request"], "{}", spans.tree());
        spans.assert_child_of("child", "request");
        assert_eq!(spans.get("request").kept_by(), Some("error"));
    }
    let ((), spans) = run(false, false);
    assert!(spans.is_empty(), "{}", spans.tree());
}

/// Where the console writes, to read back.
#[derive(Clone, Default)]
struct Written(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Written {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn installed_from_the_environment_the_console_and_memory_show_kept_traces_and_a_flush_keeps_open_ones() {
    let _one_at_a_time = serial();
    // The only installation in this file: the other tests capture.
    let vars = HashMap::from([
        ("OTEL_TRACES_SAMPLER", "always_off"),
        ("TRACING_KEEP", "errors"),
        ("TRACING_EXPORTER", "in_memory,console"),
        ("TRACING_CONSOLE_FORMAT", "line"),
    ]);
    let written = Written::default();
    let guard = tracekit::Config::from_lookup(|name| vars.get(name).map(|value| value.to_string()))
        .unwrap()
        .console(|console| console.writer(written.clone()))
        .install()
        .unwrap();
    let _ = handle(false);
    let _ = handle(true);
    let kept = tracekit::testing::take_recorded();
    assert_eq!(kept.names(), ["query", "load", "handle"]);
    assert_eq!(kept.get("handle").kept_by(), Some("error"));
    let console = String::from_utf8(written.0.lock().unwrap().clone()).unwrap();
    assert!(console.contains("tracekit.kept_by") && console.contains("error"), "{console}");

    // A flush exports what is decided; an open local trace stays open, and
    // is exported whole when its root ends.
    let root = tracekit::span("job").entered();
    tracekit::span("step").in_scope(|| tracekit::current_span().record_error(&std::io::Error::other("bad")));
    tracekit::flush();
    assert!(tracekit::testing::take_recorded().is_empty());
    drop(root);
    assert_eq!(tracekit::testing::take_recorded().names(), ["step", "job"]);
    drop(guard);
}

#[test]
fn under_the_default_sampler_an_unsampled_caller_is_held_not_sampled() {
    let _one_at_a_time = serial();
    let remote = tracekit::opentelemetry::trace::SpanContext::new(
        tracekit::TraceId::from(0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736_u128),
        tracekit::SpanId::from(0x00f0_67aa_0ba9_02b7_u64),
        tracekit::opentelemetry::trace::TraceFlags::default(),
        true,
        Default::default(),
    );
    use tracekit::opentelemetry::trace::TraceContextExt as _;
    let caller = Context::new().with_remote_span_context(remote.clone());
    // `parentbased_always_on`, the default: the caller's decision holds.
    let capture = Capture::new().keep(KeepPolicy::new().errors());
    let (sent, spans) = capture.clone().run(|| {
        tracekit::span("request").parent(caller.clone()).in_scope(|| {
            let _ = handle(false);
            let mut headers = HashMap::new();
            propagation::inject(&mut headers);
            headers
        })
    });
    assert!(spans.is_empty(), "{}", spans.tree());
    assert!(sent["traceparent"].ends_with("-00"), "{sent:?}");
    let ((), spans) = capture.run(|| {
        tracekit::span("request").parent(caller.clone()).in_scope(|| {
            let _ = handle(true);
        })
    });
    assert_eq!(spans.names(), ["query", "load", "handle", "request"]);
    assert_eq!(spans.get("request").kept_by(), Some("error"));
    assert_eq!(spans.get("request").parent_span_id(), Some(remote.span_id()), "under the remote caller");
}
