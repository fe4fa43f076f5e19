//! Span links: a batch consumer linking each message's producer with
//! `links = ..`, the manual API, the limit, and what the console and a
//! real OTLP receiver get (with the remote flag).

mod common;

use common::receiver::{spans, Receiver};
use common::Buffer;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;
use tracekit::opentelemetry::trace::{SpanContext, TraceContextExt as _};
use tracekit::opentelemetry::Context;
use tracekit::propagation;
use tracekit::testing::capture;
use tracekit::{trace_async, trace_operation, Config, ConsoleFormat, Exporter, KeyValue};

static INSTALL: Mutex<()> = Mutex::new(());

struct Message {
    headers: HashMap<String, String>,
    body: u32,
}

/// A message as its producer sent it: its trace in the headers.
fn message(trace: u128, span: u64, body: u32) -> Message {
    let traceparent = format!("00-{trace:032x}-{span:016x}-01");
    Message { headers: HashMap::from([("traceparent".to_owned(), traceparent)]), body }
}

/// The consumer of a batch: a root span of its own, linked to each producer.
#[trace_operation(kind = "consumer", links = batch.iter().map(|message| propagation::extract(&message.headers)))]
fn consume(batch: &[Message]) -> u32 {
    batch.iter().map(|message| message.body).sum()
}

#[trace_async(links = [parent_of_retry.clone()])]
async fn retry(parent_of_retry: &Context) {}

#[test]
fn a_batch_consumer_links_every_producer_and_starts_its_own_trace() {
    let batch = [message(1, 11, 1), message(2, 22, 2), message(3, 33, 3)];
    let (total, spans) = capture(|| consume(&batch));
    assert_eq!(total, 6);
    let consumer = spans.get("consume");
    assert_eq!(consumer.parent_span_id(), None, "links are not parents");
    let linked: Vec<(String, String, bool)> = consumer
        .links()
        .iter()
        .map(|link| {
            let context = &link.span_context;
            (context.trace_id().to_string(), context.span_id().to_string(), context.is_remote())
        })
        .collect();
    assert_eq!(
        linked,
        [1u128, 2, 3]
            .into_iter()
            .zip([11u64, 22, 33])
            .map(|(trace, span)| (format!("{trace:032x}"), format!("{span:016x}"), true))
            .collect::<Vec<_>>()
    );
    assert!(linked.iter().all(|(trace, _, _)| *trace != consumer.trace_id().to_string()));
}

#[test]
fn a_message_without_a_trace_links_to_nothing() {
    let batch = [message(1, 11, 1), Message { headers: HashMap::new(), body: 2 }];
    let (_, spans) = capture(|| consume(&batch));
    assert_eq!(spans.get("consume").links().len(), 1);
}

#[test]
fn links_are_evaluated_only_for_a_recorded_span() {
    let _lock = INSTALL.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let evaluated = std::sync::atomic::AtomicBool::new(false);
    #[trace_operation(links = { evaluated.store(true, std::sync::atomic::Ordering::Relaxed); Vec::<Context>::new() })]
    fn noted(evaluated: &std::sync::atomic::AtomicBool) {}
    noted(&evaluated); // nothing installed
    assert!(!evaluated.load(std::sync::atomic::Ordering::Relaxed));
    let ((), _) = capture(|| noted(&evaluated));
    assert!(evaluated.load(std::sync::atomic::Ordering::Relaxed));
}

#[tokio::test]
async fn an_async_fn_links_and_the_manual_api_links_with_attributes() {
    let ((), spans) = tracekit::testing::capture_async(async {
        let attempt = tracekit::span("attempt").in_scope(tracekit::context::current);
        retry(&attempt).await;
        tracekit::span("retry by hand")
            .link_with(&attempt, [KeyValue::new("retry.reason", "timeout")])
            .link(SpanContext::empty_context())
            .in_scope(|| {
                let later = attempt.span().span_context().clone();
                tracekit::current_span().add_link(later, [KeyValue::new("link.note", "added while running")]);
            });
    })
    .await;
    let attempt = spans.get("attempt");
    assert!(spans.get("retry").is_linked_to(attempt));
    let by_hand = spans.get("retry by hand");
    assert_eq!(by_hand.links().len(), 2, "the empty context is left out");
    assert!(by_hand.is_linked_to(attempt));
    assert_eq!(by_hand.links()[0].attributes, [KeyValue::new("retry.reason", "timeout")]);
    assert_eq!(by_hand.links()[1].attributes, [KeyValue::new("link.note", "added while running")]);
    assert!(!by_hand.links()[0].span_context.is_remote());
}

#[test]
fn the_link_limit_drops_and_counts_the_rest() {
    let _lock = INSTALL.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let batch: Vec<Message> = (1..=5).map(|n| message(n, n as u64, 0)).collect();
    let from_env = Config::from_lookup(|name| (name == "OTEL_SPAN_LINK_COUNT_LIMIT").then(|| "3".to_owned())).unwrap();
    for (config, limit) in [(Config::new().span_limits(|limits| limits.links(2)), 2), (from_env, 3)] {
        let guard = config.exporters(&[Exporter::InMemory]).install().unwrap();
        consume(&batch);
        let spans = tracekit::testing::take_recorded();
        drop(guard);
        let links = &spans.get("consume").data().links;
        assert_eq!(links.links.len(), limit);
        assert_eq!(links.dropped_count as usize, 5 - limit);
    }
    let error = Config::from_lookup(|name| (name == "OTEL_SPAN_LINK_COUNT_LIMIT").then(|| "many".to_owned()));
    let message = error.unwrap_err().to_string();
    assert!(message.contains("OTEL_SPAN_LINK_COUNT_LIMIT") && message.contains("many"), "{message}");
}

#[test]
fn the_console_shows_links() {
    let _lock = INSTALL.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let batch = [message(0xabc, 0xdef, 1)];
    let expected = format!("link={:032x}/{:016x}", 0xabc, 0xdef);
    for format in [ConsoleFormat::Tree, ConsoleFormat::Line] {
        let buffer = Buffer::default();
        let guard = Config::new().console(|console| console.format(format).writer(buffer.clone())).install().unwrap();
        consume(&batch);
        drop(guard);
        assert!(buffer.text().contains(&expected), "{format:?}: {}", buffer.text());
    }
    let buffer = Buffer::default();
    let guard =
        Config::new().console(|console| console.format(ConsoleFormat::Json).writer(buffer.clone())).install().unwrap();
    consume(&batch);
    drop(guard);
    let line: serde_json::Value = serde_json::from_str(buffer.text().lines().next().unwrap()).unwrap();
    assert_eq!(line["links"][0]["trace_id"], format!("{:032x}", 0xabc));
    assert_eq!(line["links"][0]["remote"], true);
}

#[test]
fn otlp_carries_links_with_the_remote_flag() {
    let _lock = INSTALL.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let receiver = Receiver::start();
    let guard = Config::new().otlp(|otlp| otlp.endpoint(receiver.grpc_endpoint.clone())).install().unwrap();
    let local = tracekit::span("local").in_scope(tracekit::context::current);
    tracekit::span("consume by hand")
        .link(propagation::extract(&message(7, 77, 0).headers))
        .link(&local)
        .in_scope(|| ());
    drop(guard);
    let exported = spans(&receiver.wait_for_spans(2, Duration::from_secs(10)));
    let consumer = exported.iter().find(|span| span.name == "consume by hand").expect("exported");
    assert_eq!(consumer.links.len(), 2);
    let (remote, local) = (&consumer.links[0], &consumer.links[1]);
    assert_eq!(remote.trace_id, 7u128.to_be_bytes());
    assert_eq!(remote.span_id, 77u64.to_be_bytes());
    // Bits 8 and 9: whether the link's context says if it is remote, and that it is.
    assert_eq!(remote.flags & 0x300, 0x300);
    assert_eq!(remote.flags & 0xff, 0x01, "its trace flags: sampled");
    assert_eq!(local.flags & 0x300, 0x100);
}
