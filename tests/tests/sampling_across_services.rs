//! A sampling decision taken at the edge holds in every service after it:
//! under an unsampled remote parent nothing is recorded, yet the body runs
//! in the remote trace and sends it on unsampled; under a sampled one every
//! hop is recorded with its parent. Each "service" here is an installation
//! of its own, one after the other, exchanging only headers.

use std::collections::HashMap;
use std::sync::Mutex;
use tracekit::propagation;
use tracekit::testing::{take_recorded, Spans};
use tracekit::{trace_async, trace_operation, CarrySpan, Config, Exporter, Sampler, TraceId, TracingGuard};

/// Installation is process-wide: one test at a time.
static INSTALL: Mutex<()> = Mutex::new(());

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const REMOTE_SPAN_ID: &str = "00f067aa0ba902b7";

type Headers = HashMap<String, String>;

fn install(sampler: Sampler) -> TracingGuard {
    Config::new().exporters(&[Exporter::InMemory]).sampler(sampler).install().unwrap()
}

fn remote(flags: &str) -> Headers {
    Headers::from([("traceparent".to_owned(), format!("00-{TRACE_ID}-{REMOTE_SPAN_ID}-{flags}"))])
}

/// What a handler saw of its trace: the current trace id and the ids of
/// the log correlation.
#[derive(Debug, PartialEq)]
struct Seen {
    trace_id: Option<TraceId>,
    log_trace_id: Option<TraceId>,
}

fn seen() -> Seen {
    Seen {
        trace_id: tracekit::current_span().trace_id(),
        log_trace_id: tracekit::logs::current_ids().map(|(trace_id, _)| trace_id),
    }
}

/// The first service's handler: continues the caller's trace, calls on.
#[trace_operation(kind = "server", parent = propagation::extract(headers))]
fn server(headers: &Headers) -> (Seen, Headers) {
    (seen(), call_downstream())
}

/// Its child, which sends the trace on to the next service.
#[trace_operation(kind = "client")]
fn call_downstream() -> Headers {
    let mut headers = Headers::new();
    propagation::inject(&mut headers);
    headers
}

/// The second service's handler, in the "process" after it.
#[trace_operation(kind = "server", parent = propagation::extract(headers))]
fn downstream(headers: &Headers) -> Seen {
    seen()
}

/// The trace id and flags of a `traceparent` sent on.
fn trace_and_flags(headers: &Headers) -> (&str, &str) {
    let fields: Vec<&str> = headers["traceparent"].split('-').collect();
    (fields[1], fields[3])
}

/// Runs the three hops: the first service, then the second with the headers
/// the first sent. Returns what each service recorded and what was sent.
fn three_hops(incoming: &Headers) -> (Spans, Spans, Headers) {
    let guard = install(Sampler::ParentBasedAlwaysOn);
    let (seen_first, sent) = server(incoming);
    let first = take_recorded();
    drop(guard);

    let guard = install(Sampler::ParentBasedAlwaysOn);
    let seen_second = downstream(&sent);
    let second = take_recorded();
    drop(guard);

    for seen in [seen_first, seen_second] {
        let expected = Some(TraceId::from_hex(TRACE_ID).unwrap());
        assert_eq!(seen, Seen { trace_id: expected, log_trace_id: expected }, "each body runs in the remote trace");
    }
    (first, second, sent)
}

#[test]
fn an_unsampled_remote_parent_stays_unsampled_through_every_hop() {
    let _lock = INSTALL.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let (first, second, sent) = three_hops(&remote("00"));
    assert!(first.is_empty(), "nothing recorded in the first service: {first:?}");
    assert!(second.is_empty(), "nothing recorded in the second service: {second:?}");
    assert_eq!(trace_and_flags(&sent), (TRACE_ID, "00"), "the same trace travels on, unsampled");
}

#[test]
fn a_sampled_remote_parent_is_recorded_in_every_hop_with_its_parents() {
    let _lock = INSTALL.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let (first, second, sent) = three_hops(&remote("01"));
    assert_eq!(first.names(), ["call_downstream", "server"]);
    assert_eq!(second.names(), ["downstream"]);
    let (server, client, downstream) = (first.get("server"), first.get("call_downstream"), second.get("downstream"));
    for span in [server, client, downstream] {
        assert_eq!(span.trace_id().to_string(), TRACE_ID, "{}", span.name());
    }
    assert_eq!(server.parent_span_id().unwrap().to_string(), REMOTE_SPAN_ID);
    assert_eq!(client.parent_span_id(), Some(server.span_id()));
    assert_eq!(downstream.parent_span_id(), Some(client.span_id()));
    assert_eq!(trace_and_flags(&sent), (TRACE_ID, "01"));
}

#[test]
fn under_an_unsampled_parent_opentelemetry_made_current_a_call_sends_on_a_span_of_its_own() {
    let _lock = INSTALL.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let _guard = install(Sampler::ParentBasedAlwaysOn);
    // The caller's context made current by OpenTelemetry code (a
    // framework's middleware, say), rather than given as `parent`.
    let _attached = propagation::extract(&remote("00")).attach();
    let sent = edge();
    assert_eq!(trace_and_flags(&sent), (TRACE_ID, "00"), "the same trace travels on, unsampled");
    let parent_id = sent["traceparent"].split('-').nth(2).unwrap().to_owned();
    assert_ne!(parent_id, REMOTE_SPAN_ID, "the handler's own spans are sent on, not its caller's");
    assert!(take_recorded().is_empty(), "nothing recorded");
}

/// A handler with no `parent = ..`, under whatever OpenTelemetry has
/// current: what it sent on itself, what its child sent on, what it saw,
/// and whether its span records.
#[trace_operation(kind = "server")]
fn handler() -> (Headers, Headers, Seen, bool) {
    let mut sent = Headers::new();
    propagation::inject(&mut sent);
    (sent, call_downstream(), seen(), tracekit::current_span().is_recording())
}

/// The parent id a `traceparent` sent on names.
fn parent_of(headers: &Headers) -> &str {
    headers["traceparent"].split('-').nth(2).unwrap()
}

#[test]
fn each_call_under_an_unsampled_parent_opentelemetry_made_current_is_a_span_of_its_own_in_that_trace() {
    let _lock = INSTALL.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let _guard = install(Sampler::ParentBasedAlwaysOn);
    let mut incoming = remote("00");
    incoming.insert("tracestate".to_owned(), "congo=t61rcWkgMzE".to_owned());
    let _attached = propagation::extract(&incoming).attach();
    let mut own_ids = std::collections::HashSet::new();
    for _ in 0..3 {
        let (sent, below, seen, recording) = handler();
        assert!(!recording, "the handler's span records nothing");
        assert_eq!(trace_and_flags(&sent), (TRACE_ID, "00"), "the caller's trace travels on, unsampled");
        assert_ne!(parent_of(&sent), REMOTE_SPAN_ID, "the handler's own span is sent on, not its caller's");
        assert_eq!(sent.get("tracestate").map(String::as_str), Some("congo=t61rcWkgMzE"), "the trace state too");
        assert_eq!(below, sent, "its child, skipped, sends on the handler's span");
        let expected = Some(TraceId::from_hex(TRACE_ID).unwrap());
        assert_eq!(seen, Seen { trace_id: expected, log_trace_id: expected }, "logs join the caller's trace");
        own_ids.insert(parent_of(&sent).to_owned());
        // Once the handler returns, the caller's span is current again.
        assert_eq!(tracekit::current_span().span_id().map(|id| id.to_string()).as_deref(), Some(REMOTE_SPAN_ID));
    }
    assert_eq!(own_ids.len(), 3, "each call is a span of its own: {own_ids:?}");
    assert!(take_recorded().is_empty(), "nothing recorded");
}

#[test]
fn a_sampler_that_ignores_the_parent_records_a_call_under_an_unsampled_one() {
    let _lock = INSTALL.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let _guard = install(Sampler::AlwaysOn);
    let _attached = propagation::extract(&remote("00")).attach();
    let (sent, below, _, recording) = handler();
    assert!(recording, "always_on records every span, whatever its parent decided");
    assert_eq!(trace_and_flags(&sent), (TRACE_ID, "01"));
    let spans = take_recorded();
    assert_eq!(spans.names(), ["call_downstream", "handler"]);
    let handler = spans.get("handler");
    assert_eq!(handler.trace_id().to_string(), TRACE_ID);
    assert_eq!(handler.parent_span_id().unwrap().to_string(), REMOTE_SPAN_ID);
    assert_eq!(parent_of(&sent), handler.span_id().to_string());
    assert_eq!(parent_of(&below), spans.get("call_downstream").span_id().to_string());
}

#[trace_async(kind = "server", parent = propagation::extract(&headers))]
async fn async_server(headers: Headers) -> (Seen, Headers) {
    tokio::task::yield_now().await;
    // Sent on from a spawned task and from a thread, both carrying the context.
    let from_task = tokio::spawn(async { call_downstream() }.carry_current_span()).await.unwrap();
    let from_thread = tracekit::context::spawn(call_downstream).join().unwrap();
    assert_eq!(from_task["traceparent"].split('-').nth(1), from_thread["traceparent"].split('-').nth(1));
    (seen(), from_task)
}

#[test]
fn the_decision_holds_for_async_fns_manual_spans_tasks_and_threads() {
    let _lock = INSTALL.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap();
    // Recorded under a sampled parent: async_server and its two calls, the
    // manual span and its call.
    for (flags, recorded) in [("00", 0), ("01", 5)] {
        let guard = install(Sampler::ParentBasedAlwaysOn);
        let (seen_async, sent_async) = runtime.block_on(async_server(remote(flags)));
        let (seen_manual, sent_manual) = tracekit::span("manual")
            .parent(propagation::extract(&remote(flags)))
            .in_scope(|| (seen(), tracekit::context::spawn(call_downstream).join().unwrap()));
        let spans = take_recorded();
        drop(guard);
        assert_eq!(spans.len(), recorded, "flags {flags}: {spans:?}");
        for (seen, sent) in [(seen_async, sent_async), (seen_manual, sent_manual)] {
            assert_eq!(seen.trace_id.unwrap().to_string(), TRACE_ID, "flags {flags}");
            assert_eq!(trace_and_flags(&sent), (TRACE_ID, flags));
        }
        if flags == "01" {
            let parents: Vec<&str> = spans
                .all("call_downstream")
                .into_iter()
                .map(|call| spans.parent(call).expect("each call has its parent").name())
                .collect();
            assert_eq!(parents.iter().filter(|name| **name == "async_server").count(), 2, "{parents:?}");
            assert_eq!(parents.iter().filter(|name| **name == "manual").count(), 1, "{parents:?}");
            assert_eq!(spans.get("manual").parent_span_id().unwrap().to_string(), REMOTE_SPAN_ID);
        }
    }
}

/// A handler with a child that calls on, with no `parent = ..`: the edge
/// service's root, or a handler under whatever context is current.
#[trace_operation(kind = "server")]
fn edge() -> Headers {
    call_downstream()
}

#[test]
fn a_ratio_at_the_root_gives_traces_complete_or_absent_downstream() {
    let _lock = INSTALL.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    const REQUESTS: usize = 1_000;
    let guard = install(Sampler::TraceIdRatio(0.3));
    let sent: Vec<Headers> = (0..REQUESTS).map(|_| edge()).collect();
    let at_edge = take_recorded();
    drop(guard);

    let sampled_at_edge: std::collections::HashSet<TraceId> =
        at_edge.roots().iter().map(|span| span.trace_id()).collect();
    assert!((200..=400).contains(&sampled_at_edge.len()), "about 30% sampled: {}", sampled_at_edge.len());
    for trace_id in &sampled_at_edge {
        let trace: Vec<_> = at_edge.filter(|span| span.trace_id() == *trace_id);
        assert_eq!(trace.len(), 2, "edge and its child, together");
    }
    assert_eq!(at_edge.len(), sampled_at_edge.len() * 2, "no child without its root at the edge");

    for downstream_sampler in
        [Sampler::ParentBasedAlwaysOn, Sampler::ParentBasedAlwaysOff, Sampler::ParentBasedTraceIdRatio(0.1)]
    {
        let guard = install(downstream_sampler);
        for headers in &sent {
            let seen = downstream(headers);
            assert_eq!(seen.trace_id.map(|id| id.to_string()).as_deref(), Some(trace_and_flags(headers).0));
        }
        let below = take_recorded();
        drop(guard);
        let recorded: std::collections::HashSet<TraceId> = below.iter().map(|span| span.trace_id()).collect();
        assert_eq!(
            recorded, sampled_at_edge,
            "{downstream_sampler:?}: downstream records exactly the traces the edge sampled"
        );
        for span in below.iter() {
            let parent = at_edge.filter(|edge_span| Some(edge_span.span_id()) == span.parent_span_id());
            assert_eq!(parent.len(), 1, "each downstream span hangs under the edge's call");
            assert_eq!(parent[0].name(), "call_downstream");
        }
    }
}
