//! `tracekit::span(..)` and `tracekit::current_span()`.

use tracekit::testing::capture;
use tracekit::{current_span, span, trace_operation, KeyValue, SpanKind, Status};

#[test]
fn in_scope_makes_a_span_with_kind_and_attributes_around_the_closure() {
    let (value, spans) = capture(|| {
        span("GET /users")
            .kind(SpanKind::Server)
            .attribute("http.request.method", "GET")
            .in_scope(|| span("load").in_scope(|| 7))
    });
    assert_eq!(value, 7);
    let server = spans.get("GET /users");
    assert_eq!(server.kind(), &SpanKind::Server);
    assert_eq!(server.str_attribute("http.request.method"), Some("GET"));
    spans.assert_child_of("load", "GET /users");
}

#[test]
fn an_entered_guard_keeps_the_span_current_until_dropped() {
    let ((), spans) = capture(|| {
        let guard = span("batch").entered();
        span("item").in_scope(|| ());
        drop(guard);
        span("after").in_scope(|| ());
    });
    spans.assert_child_of("item", "batch");
    assert_eq!(spans.get("after").parent_span_id(), None);
}

#[trace_operation]
fn enriches() {
    let current = current_span();
    current.set_attribute("cache.hit", false);
    current.add_event("cache.miss", [KeyValue::new("key", "user:1")]);
    current.record_error(&std::io::Error::other("stale entry"));
}

#[test]
fn current_span_adds_attributes_events_and_errors_to_the_annotated_span() {
    let ((), spans) = capture(enriches);
    let span = spans.get("enriches");
    assert_eq!(span.bool_attribute("cache.hit"), Some(false));
    assert_eq!(span.event_str_attribute("cache.miss", "key"), Some("user:1"));
    assert_eq!(span.status(), &Status::error("stale entry"));
    assert_eq!(span.str_attribute("error.type"), Some("std::io::error::Error"));
}

#[test]
fn current_span_ids_match_the_exported_span() {
    let ((trace_id, span_id), spans) =
        capture(|| span("job").in_scope(|| (current_span().trace_id().unwrap(), current_span().span_id().unwrap())));
    assert_eq!(spans.get("job").trace_id(), trace_id);
    assert_eq!(spans.get("job").span_id(), span_id);
}

#[test]
fn without_a_span_current_span_does_nothing() {
    let current = current_span();
    assert_eq!(current.trace_id(), None);
    assert_eq!(current.span_id(), None);
    current.set_attribute("ignored", 1_i64);
    current.record_error(&std::io::Error::other("ignored"));
    assert!(!current.is_recording());
}
