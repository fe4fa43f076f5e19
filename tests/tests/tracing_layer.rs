//! `tracekit::subscriber::layer()`: spans and events of code that speaks
//! `tracing`, recorded as tracekit's own and nested with its spans.

mod common;

use common::{tracekit_middle, tracing_outer};
use std::time::Duration;
use tracekit::opentelemetry::trace::{SpanKind, Status};
use tracekit::testing::{capture, Spans};
use tracekit::KeyValue;
use tracing::Instrument as _;
use tracing_subscriber::layer::SubscriberExt as _;

fn subscriber() -> impl tracing::Subscriber + Send + Sync {
    tracing_subscriber::registry().with(tracekit::subscriber::layer())
}

/// Runs `f` under the layer, in a test capture.
fn captured<R>(f: impl FnOnce() -> R) -> (R, Spans) {
    tracing::subscriber::with_default(subscriber(), || capture(f))
}

#[test]
fn tracing_and_tracekit_spans_nest_both_ways_in_one_trace() {
    let ((), spans) = captured(tracing_outer);
    spans.assert_child_of("tracekit_middle", "tracing_outer");
    spans.assert_child_of("tracing_inner", "tracekit_middle");
    let trace_id = spans.get("tracing_outer").trace_id();
    assert!(spans.iter().all(|span| span.trace_id() == trace_id), "one trace");
    assert_eq!(spans.get("tracing_outer").parent_span_id(), None);
}

#[test]
fn fields_are_attributes_of_their_type_and_record_adds_more() {
    let ((), spans) = captured(|| {
        let span = tracing::info_span!(
            "query",
            db.rows = 3_i64,
            big = u64::MAX,
            ratio = 0.5,
            cached = true,
            table = "users",
            shape = ?(1, 2),
            late = tracing::field::Empty,
        );
        span.record("late", 7_i64);
        span.in_scope(|| ());
    });
    let span = spans.get("query");
    assert_eq!(span.i64_attribute("db.rows"), Some(3));
    assert_eq!(span.str_attribute("big"), Some("18446744073709551615"));
    assert_eq!(span.f64_attribute("ratio"), Some(0.5));
    assert_eq!(span.bool_attribute("cached"), Some(true));
    assert_eq!(span.str_attribute("table"), Some("users"));
    assert_eq!(span.str_attribute("shape"), Some("(1, 2)"));
    assert_eq!(span.i64_attribute("late"), Some(7));
    assert!(span.str_attribute("code.file.path").is_some_and(|path| path.ends_with("tracing_layer.rs")));
}

#[test]
fn events_are_span_events_and_an_error_event_fails_the_span() {
    let ((), spans) = captured(|| {
        tracing::info_span!("order").in_scope(|| {
            tracing::info!(items = 3, "order accepted");
            tracing::error!("payment refused");
        });
        // An event inside a tracekit span belongs to it.
        tracekit::span("manual").in_scope(|| tracing::warn!(retry = true, "slow"));
    });
    let order = spans.get("order");
    let accepted = order.event("order accepted").expect("the info event");
    assert!(accepted.attributes.contains(&KeyValue::new("items", 3_i64)));
    assert!(accepted.attributes.contains(&KeyValue::new("level", "INFO")));
    assert!(accepted.attributes.contains(&KeyValue::new("target", "tracing_layer")));
    assert_eq!(order.status(), &Status::error("payment refused"));
    let slow = spans.get("manual").event("slow").expect("the event in the tracekit span");
    assert!(slow.attributes.contains(&KeyValue::new("retry", true)));
}

#[test]
fn the_otel_fields_name_the_span_and_give_its_kind_and_status() {
    let ((), spans) = captured(|| {
        tracing::info_span!("request", otel.name = "GET /users/{id}", otel.kind = "server", otel.status_code = "ok")
            .in_scope(|| ());
        let failing = tracing::info_span!("call", otel.kind = "client", otel.status_code = tracing::field::Empty);
        failing.record("otel.status_code", "error");
        failing.in_scope(|| ());
    });
    let request = spans.get("GET /users/{id}");
    assert_eq!(request.kind(), &SpanKind::Server);
    assert_eq!(request.status(), &Status::Ok);
    assert_eq!(request.attribute("otel.name"), None, "read, not recorded");
    let call = spans.get("call");
    assert_eq!(call.kind(), &SpanKind::Client);
    assert!(call.is_error());
}

#[test]
fn spans_made_on_other_threads_under_an_instrumented_future_are_its_children() {
    let ((), spans) = captured(|| {
        let dispatch = tracing::dispatcher::get_default(Clone::clone);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_time()
            .on_thread_start(move || {
                // Each worker records into the test's subscriber.
                std::mem::forget(tracing::dispatcher::set_default(&dispatch));
            })
            .build()
            .unwrap();
        let context = tracekit::context::current();
        runtime.block_on(tracekit::CarrySpan::carry_context(
            async {
                let task = async {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                    tracekit_middle();
                }
                .instrument(tracing::info_span!("job"));
                tokio::spawn(tracekit::CarrySpan::carry_current_span(task)).await.unwrap();
            },
            context,
        ));
    });
    spans.assert_child_of("tracekit_middle", "job");
    spans.assert_child_of("tracing_inner", "tracekit_middle");
}

#[test]
fn a_span_entered_on_two_threads_at_once_parents_what_starts_on_both() {
    let ((), spans) = captured(|| {
        let span = tracing::info_span!("shared");
        let dispatch = tracing::dispatcher::get_default(Clone::clone);
        let context = tracekit::context::current();
        let _entered = span.enter();
        std::thread::scope(|scope| {
            scope.spawn(|| {
                let _attached = context.attach();
                tracing::dispatcher::with_default(&dispatch, || span.in_scope(tracekit_middle));
            });
        });
        tracekit_middle();
    });
    let shared = spans.get("shared");
    let middles = spans.all("tracekit_middle");
    assert_eq!(middles.len(), 2);
    assert!(middles.iter().all(|middle| middle.parent_span_id() == Some(shared.span_id())));
}

#[tokio::test]
async fn a_library_that_speaks_tracing_records_into_the_trace() {
    use axum::routing::get;
    use tower::ServiceExt as _;

    // tower-http's `TraceLayer` makes a `tracing` span per request.
    let app = axum::Router::new()
        .route(
            "/users",
            get(|| async {
                tracekit_middle();
                "ok"
            }),
        )
        .layer(tower_http::trace::TraceLayer::new_for_http());
    let _default = tracing::subscriber::set_default(subscriber());
    let (body, spans) = tracekit::testing::capture_async(async {
        let request = http::Request::get("/users").body(axum::body::Body::empty()).unwrap();
        let response = app.oneshot(request).await.unwrap();
        // Its span ends with the response body.
        axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap()
    })
    .await;
    assert_eq!(body, "ok");
    let request = spans.get("request");
    assert_eq!(request.str_attribute("method"), Some("GET"));
    assert_eq!(request.str_attribute("uri"), Some("/users"));
    spans.assert_child_of("tracekit_middle", "request");
}

#[test]
fn nothing_is_made_current_while_tracekit_records_nothing() {
    let current = tracing::subscriber::with_default(subscriber(), || {
        tracing_outer();
        tracing::info!("no span, no capture");
        tracing::info_span!("outside").in_scope(|| tracekit::current_span().span_id())
    });
    assert_eq!(current, None);
}

#[test]
fn a_record_and_an_event_reach_a_span_entered_on_another_thread() {
    let ((), spans) = captured(|| {
        let span = tracing::info_span!("shared", status = tracing::field::Empty);
        let dispatch = tracing::dispatcher::get_default(Clone::clone);
        let context = tracekit::context::current();
        let (entered, wait_entered) = std::sync::mpsc::channel();
        let (done, wait_done) = std::sync::mpsc::channel::<()>();
        std::thread::scope(|scope| {
            let (shared, dispatch) = (&span, &dispatch);
            scope.spawn(move || {
                let _attached = context.attach();
                tracing::dispatcher::with_default(dispatch, || {
                    let _entered = shared.enter();
                    entered.send(()).unwrap();
                    wait_done.recv().unwrap();
                });
            });
            wait_entered.recv().unwrap();
            span.record("status", 200_i64);
            tracing::info!(parent: &span, "from here");
            done.send(()).unwrap();
        });
    });
    let shared = spans.get("shared");
    assert_eq!(shared.i64_attribute("status"), Some(200));
    assert!(shared.event("from here").is_some());
}

#[test]
fn a_span_named_as_parent_keeps_its_trace_when_it_is_not_recorded() {
    let ((), spans) = captured(|| {
        // An unsampled trace from upstream: its spans here are not recorded.
        let headers = std::collections::HashMap::from([(
            "traceparent".to_owned(),
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00".to_owned(),
        )]);
        let remote = tracekit::propagation::extract(&headers);
        let skipped = tracekit::span("request").parent(remote).in_scope(|| tracing::info_span!("skipped"));
        tracekit::span("other").in_scope(|| tracing::info_span!(parent: &skipped, "child").in_scope(|| ()));
    });
    assert_eq!(spans.names(), ["other"], "the child stays in the unsampled trace, not in the current one");
}

#[test]
fn a_span_exited_out_of_order_leaves_the_one_entered_after_it_current() {
    let ((), spans) = captured(|| {
        let first = tracing::info_span!("first");
        let first_entered = first.enter();
        let second = tracing::info_span!("second");
        let second_entered = second.enter();
        drop(first_entered);
        tracekit_middle();
        drop(second_entered);
        tracekit::span("after").in_scope(|| ());
    });
    spans.assert_child_of("second", "first");
    spans.assert_child_of("tracekit_middle", "second");
    assert_eq!(spans.get("after").parent_span_id(), None, "neither is current once both exited");
}

#[test]
fn a_tracing_root_its_sampler_does_not_keep_records_nothing_and_sends_its_decision_on() {
    use tracekit::{testing::Capture, Sampler};
    let ((trace_id, traceparent), spans) = tracing::subscriber::with_default(subscriber(), || {
        Capture::new().sampler(Sampler::AlwaysOff).run(|| {
            tracing::info_span!("job", rows = 3).in_scope(|| {
                tracekit_middle();
                let mut headers = std::collections::HashMap::new();
                tracekit::propagation::inject(&mut headers);
                (tracekit::current_span().trace_id(), headers.remove("traceparent"))
            })
        })
    });
    assert!(spans.is_empty(), "{:?}", spans.names());
    let (trace_id, traceparent) = (trace_id.expect("the root's ids are current"), traceparent.expect("sent on"));
    assert!(traceparent.contains(&trace_id.to_string()), "{traceparent}");
    assert!(traceparent.ends_with("-00"), "not sampled downstream either: {traceparent}");
}

#[test]
fn a_tracing_span_that_fails_is_kept_whole_by_the_keep_policy() {
    use tracekit::{testing::Capture, KeepPolicy, Sampler};
    let keeping = || Capture::new().sampler(Sampler::AlwaysOff).keep(KeepPolicy::new().errors());
    let ((), spans) = tracing::subscriber::with_default(subscriber(), || {
        keeping().run(|| tracing::info_span!("job").in_scope(|| tracing::info!("fine")))
    });
    assert!(spans.is_empty(), "nothing failed: {:?}", spans.names());
    let ((), spans) = tracing::subscriber::with_default(subscriber(), || {
        keeping().run(|| {
            tracing::info_span!("job").in_scope(|| {
                tracekit_middle();
                tracing::error!("refused");
            })
        })
    });
    spans.assert_child_of("tracekit_middle", "job");
    spans.assert_child_of("tracing_inner", "tracekit_middle");
    assert_eq!(spans.get("job").kept_by(), Some("error"));
    assert!(spans.get("job").is_error());
}

#[test]
fn a_span_closed_on_another_thread_keeps_what_was_recorded_on_it() {
    let ((), spans) = captured(|| {
        // Nothing but attributes is recorded on it: it ends on the other
        // thread with those that waited in it.
        let span = tracing::info_span!("handed_over", step = 1_i64, done = tracing::field::Empty);
        let dispatch = tracing::dispatcher::get_default(Clone::clone);
        let context = tracekit::context::current();
        std::thread::spawn(move || {
            let _attached = context.attach();
            tracing::dispatcher::with_default(&dispatch, || {
                span.record("done", true);
                span.in_scope(tracekit_middle);
                drop(span);
            });
        })
        .join()
        .unwrap();
    });
    let span = spans.get("handed_over");
    assert_eq!(span.i64_attribute("step"), Some(1));
    assert_eq!(span.bool_attribute("done"), Some(true));
    assert_eq!(span.parent_span_id(), None);
    spans.assert_child_of("tracekit_middle", "handed_over");
}

#[test]
fn a_tracing_span_under_a_tracekit_call_is_its_child_with_its_code_location() {
    let ((), spans) = captured(|| tracekit::span("request").in_scope(tracing_outer));
    spans.assert_child_of("tracing_outer", "request");
    let outer = spans.get("tracing_outer");
    assert!(outer.str_attribute("code.file.path").is_some_and(|path| path.ends_with("common/mod.rs")));
    assert!(outer.i64_attribute("code.line.number").is_some());
    assert_eq!(outer.attribute("code.function.name"), None, "tracing names no function");
}

#[tracing::instrument(fields(depth = 1))]
fn nested_outer() {
    nested_middle(2);
}

#[tracing::instrument]
fn nested_middle(depth: i64) {
    tracekit_middle();
    nested_inner();
}

#[tracing::instrument(fields(depth = 3))]
fn nested_inner() {
    tracing::info!(rows = 7, "found");
}

#[test]
fn tracing_spans_nest_in_each_other_and_in_tracekit_calls_with_their_fields_and_events() {
    let ((), spans) = captured(nested_outer);
    spans.assert_child_of("nested_middle", "nested_outer");
    spans.assert_child_of("nested_inner", "nested_middle");
    spans.assert_child_of("tracekit_middle", "nested_middle");
    spans.assert_child_of("tracing_inner", "tracekit_middle");
    assert_eq!(spans.get("nested_middle").i64_attribute("depth"), Some(2));
    let inner = spans.get("nested_inner");
    assert_eq!(inner.i64_attribute("depth"), Some(3));
    assert!(inner.event("found").is_some_and(|found| found.attributes.contains(&KeyValue::new("rows", 7_i64))));
    let trace_id = spans.get("nested_outer").trace_id();
    assert!(spans.iter().all(|span| span.trace_id() == trace_id), "one trace");
}
