//! Traces that cross process boundaries through headers.

use std::collections::HashMap;
use std::sync::Mutex;
use tracekit::opentelemetry::baggage::BaggageExt;
use tracekit::opentelemetry::trace::TraceContextExt;
use tracekit::propagation::{self, Propagator};
use tracekit::testing::capture;
use tracekit::{trace_async, trace_operation, Config, Exporter};

/// The propagators are process-wide, and some tests here install others:
/// every test takes this lock.
static INSTALL: Mutex<()> = Mutex::new(());

fn lock() -> std::sync::MutexGuard<'static, ()> {
    INSTALL.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

fn headers(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

#[trace_operation(kind = "client")]
fn outgoing() -> HashMap<String, String> {
    let mut headers = HashMap::new();
    propagation::inject(&mut headers);
    headers
}

#[trace_operation(kind = "server", parent = propagation::extract(headers))]
fn incoming(headers: &HashMap<String, String>) -> Option<tracekit::TraceId> {
    tracekit::current_span().trace_id()
}

#[test]
fn inject_writes_w3c_trace_context_that_extract_continues() {
    let _lock = lock();
    let (_, spans) = capture(|| incoming(&outgoing()));
    let (client, server) = (spans.get("outgoing"), spans.get("incoming"));
    assert_eq!(server.trace_id(), client.trace_id());
    assert_eq!(server.parent_span_id(), Some(client.span_id()));
    assert!(server.data().parent_span_is_remote, "the parent came from headers");
}

#[test]
fn the_injected_header_is_a_w3c_traceparent() {
    let _lock = lock();
    let (headers, spans) = capture(outgoing);
    let client = spans.get("outgoing");
    assert_eq!(headers["traceparent"], format!("00-{}-{}-01", client.trace_id(), client.span_id()));
}

#[test]
fn a_remote_parent_from_headers_is_continued() {
    let _lock = lock();
    let remote = headers(&[("traceparent", TRACEPARENT), ("tracestate", "vendor=x")]);
    let (trace_id, spans) = capture(|| incoming(&remote));
    assert_eq!(trace_id.unwrap().to_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
    let span = spans.get("incoming");
    assert_eq!(span.parent_span_id().unwrap().to_string(), "00f067aa0ba902b7");
    assert_eq!(span.data().span_context.trace_state().header(), "vendor=x");
}

#[trace_operation]
fn step_inside() {}

#[trace_operation(kind = "server", parent = propagation::extract(headers))]
fn incoming_with_a_step(headers: &HashMap<String, String>) {
    step_inside();
}

#[test]
fn the_trace_state_from_headers_reaches_the_calls_under_the_span() {
    let _lock = lock();
    let remote = headers(&[("traceparent", TRACEPARENT), ("tracestate", "vendor=x")]);
    let ((), spans) = capture(|| incoming_with_a_step(&remote));
    spans.assert_child_of("step_inside", "incoming_with_a_step");
    let step = spans.get("step_inside").data();
    assert_eq!(step.span_context.trace_state().header(), "vendor=x");
    assert_eq!(step.span_context.trace_id().to_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
}

#[test]
fn malformed_or_missing_headers_start_a_new_trace() {
    let _lock = lock();
    let cases = [
        headers(&[]),
        headers(&[("traceparent", "garbage")]),
        headers(&[("traceparent", "00-00000000000000000000000000000000-00f067aa0ba902b7-01")]),
        headers(&[("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01")]),
        headers(&[("traceparent", "zz-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")]),
        headers(&[("traceparent", &"0".repeat(10_000))]),
    ];
    for remote in cases {
        let (_, spans) = capture(|| incoming(&remote));
        let span = spans.get("incoming");
        assert_eq!(span.parent_span_id(), None, "{remote:?}");
        assert_ne!(span.trace_id().to_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
    }
}

#[test]
fn malformed_tracestate_and_baggage_are_dropped_and_the_trace_continues() {
    let _lock = lock();
    let long_state = "k=v,".repeat(1_000);
    let long_baggage = "k=v,".repeat(1_500);
    let cases = [
        ("tracestate", "=,==,a=b=c,\u{7f}=\u{0}"),
        ("tracestate", long_state.as_str()),
        ("baggage", "=;;,%%%,key,=value;prop"),
        ("baggage", long_baggage.as_str()),
    ];
    for (header, value) in cases {
        let remote = headers(&[("traceparent", TRACEPARENT), (header, value)]);
        let (_, spans) = capture(|| incoming(&remote));
        let span = spans.get("incoming");
        assert_eq!(span.trace_id().to_string(), "4bf92f3577b34da6a3ce929d0e0e4736", "{header}: {value:.40}");
        assert!(span.parent_span_id().is_some());
    }
}

#[test]
fn baggage_travels_with_the_trace() {
    let _lock = lock();
    let remote = headers(&[("traceparent", TRACEPARENT), ("baggage", "tenant=acme,plan=pro")]);
    let context = propagation::extract(&remote);
    assert_eq!(context.baggage().get("tenant").map(|v| v.to_string()), Some("acme".to_owned()));
    let mut forwarded = HashMap::new();
    propagation::inject_context(&context, &mut forwarded);
    assert!(forwarded["baggage"].contains("tenant=acme"));
    assert_eq!(forwarded["traceparent"], TRACEPARENT);
}

#[test]
fn http_header_maps_are_carriers_too() {
    let _lock = lock();
    let mut map = http::HeaderMap::new();
    map.insert("traceparent", TRACEPARENT.parse().unwrap());
    let context = propagation::extract(&map);
    assert_eq!(context.span().span_context().trace_id().to_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
    let (sent, spans) = capture(|| {
        tracekit::span("call").in_scope(|| {
            let mut out = http::HeaderMap::new();
            propagation::inject(&mut out);
            out
        })
    });
    let value = sent.get("traceparent").unwrap().to_str().unwrap();
    assert!(value.contains(&spans.get("call").span_id().to_string()));
}

/// The natural forms of a handler: the headers by reference or by value,
/// `extract(headers)` or `extract(&headers)`.
#[trace_operation(kind = "server", parent = propagation::extract(&headers))]
fn header_map_by_reference(headers: &http::HeaderMap) -> Option<tracekit::TraceId> {
    tracekit::current_span().trace_id()
}

#[trace_async(kind = "server", parent = propagation::extract(&headers))]
async fn header_map_by_value(headers: http::HeaderMap) -> Option<tracekit::TraceId> {
    tracekit::current_span().trace_id()
}

/// A carrier of the program's own, such as gRPC metadata.
struct Metadata(Vec<(String, String)>);

impl propagation::Extractor for Metadata {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.iter().find(|(name, _)| name == key).map(|(_, value)| value.as_str())
    }
    fn keys(&self) -> Vec<&str> {
        self.0.iter().map(|(name, _)| name.as_str()).collect()
    }
}

impl propagation::Injector for Metadata {
    fn set(&mut self, key: &str, value: String) {
        self.0.push((key.to_owned(), value));
    }
}

#[test]
fn extract_and_inject_take_header_maps_hash_maps_and_any_extractor_or_injector() {
    let _lock = lock();
    let mut map = http::HeaderMap::new();
    map.insert("traceparent", TRACEPARENT.parse().unwrap());
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let (ids, spans) = capture(|| {
        let by_reference = header_map_by_reference(&map);
        let by_value = runtime.block_on(header_map_by_value(map.clone()));
        (by_reference, by_value)
    });
    let expected = Some("4bf92f3577b34da6a3ce929d0e0e4736".to_owned());
    assert_eq!((ids.0.map(|id| id.to_string()), ids.1.map(|id| id.to_string())), (expected.clone(), expected));
    for name in ["header_map_by_reference", "header_map_by_value"] {
        assert_eq!(spans.get(name).parent_span_id().unwrap().to_string(), "00f067aa0ba902b7", "{name}");
    }

    let metadata = Metadata(vec![("traceparent".to_owned(), TRACEPARENT.to_owned())]);
    let context = propagation::extract(&metadata as &dyn propagation::Extractor);
    assert_eq!(context.span().span_context().trace_id().to_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
    let by_reference: &HashMap<String, String> = &headers(&[("traceparent", TRACEPARENT)]);
    assert!(propagation::extract(&by_reference).has_active_span(), "a reference to a carrier is one too");

    let mut sent = Metadata(Vec::new());
    propagation::inject_context(&context, &mut sent as &mut dyn propagation::Injector);
    assert_eq!(propagation::Extractor::get(&sent, "traceparent"), Some(TRACEPARENT));
}

#[trace_async(kind = "server", parent = &remote)]
async fn async_handler(remote: tracekit::opentelemetry::Context) -> u8 {
    tokio::task::yield_now().await;
    1
}

#[test]
fn async_functions_and_manual_spans_continue_remote_parents() {
    let _lock = lock();
    let remote = propagation::extract(&headers(&[("traceparent", TRACEPARENT)]));
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let (_, spans) = runtime.block_on(tracekit::testing::capture_async(async_handler(remote.clone())));
    assert_eq!(spans.get("async_handler").parent_span_id().unwrap().to_string(), "00f067aa0ba902b7");
    let ((), spans) = capture(|| tracekit::span("manual").parent(remote).in_scope(|| ()));
    assert_eq!(spans.get("manual").trace_id().to_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
}

#[test]
fn the_remote_sampled_flag_is_respected_by_parent_based_sampling() {
    let _lock = lock();
    let guard = Config::new().exporters(&[Exporter::InMemory]).install().unwrap();
    let sampled = headers(&[("traceparent", TRACEPARENT)]);
    let not_sampled = headers(&[("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00")]);
    incoming(&sampled);
    incoming(&not_sampled);
    let recorded = tracekit::testing::take_recorded();
    drop(guard);
    assert_eq!(recorded.len(), 1, "only the sampled request is recorded: {recorded:?}");
}

#[test]
fn otel_propagators_selects_b3_single_and_multi_header() {
    let _lock = lock();
    for (variable, header) in [("b3", "b3"), ("b3multi", "x-b3-traceid")] {
        let vars = HashMap::from([("OTEL_PROPAGATORS".to_owned(), variable.to_owned())]);
        let config = Config::from_lookup(|name| vars.get(name).cloned()).unwrap().exporters(&[Exporter::InMemory]);
        let guard = config.install().unwrap();
        let sent = outgoing();
        assert!(sent.contains_key(header), "{variable}: {sent:?}");
        assert!(!sent.contains_key("traceparent"), "{variable}: only B3 is sent");
        let recorded = tracekit::testing::take_recorded();
        // ... and the other side reads it back.
        let remote = propagation::extract(&sent);
        assert_eq!(remote.span().span_context().trace_id(), recorded.get("outgoing").trace_id());
        drop(guard);
    }
}

#[test]
fn otel_propagators_none_sends_nothing_and_bad_names_are_refused() {
    let _lock = lock();
    let guard = Config::new().exporters(&[Exporter::InMemory]).propagators(&[]).install().unwrap();
    assert!(outgoing().is_empty());
    drop(guard);
    let error = Config::from_lookup(|name| (name == "OTEL_PROPAGATORS").then(|| "tracecontext,jaeger".to_owned()));
    let message = error.unwrap_err().to_string();
    assert!(message.starts_with("OTEL_PROPAGATORS=\"tracecontext,jaeger\" is not valid"), "{message}");
    let _ = Propagator::Baggage;
}
