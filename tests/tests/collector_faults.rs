//! A collector that is down, goes down, comes back, stalls, refuses or
//! answers nonsense: the program goes on, every span is accounted for in
//! `export_stats()`, losses are reported in few warnings, and shutdown ends
//! within its bound.

mod common;

use common::receiver::{spans, Behaviour, Receiver, Refusal};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tracekit::{trace_operation, Config, ExportStats, Protocol, TracingGuard};

/// Installation is process-wide: one test at a time.
static INSTALL: Mutex<()> = Mutex::new(());

const WAIT: Duration = Duration::from_secs(20);

#[trace_operation]
fn while_down(step: u32) -> u32 {
    step + 1
}

#[trace_operation]
fn while_up(step: u32) -> u32 {
    step + 2
}

fn install(receiver: &Receiver, protocol: Protocol, queue: usize, batch: usize) -> TracingGuard {
    Config::new()
        .otlp(|otlp| otlp.endpoint(receiver.endpoint(protocol)).protocol(protocol).timeout(Duration::from_millis(500)))
        .batch(|settings| {
            settings.schedule_delay(Duration::from_millis(20)).max_queue_size(queue).max_export_batch_size(batch)
        })
        .install()
        .unwrap()
}

/// The counts since `before`.
fn since(before: ExportStats) -> ExportStats {
    let now = tracekit::export_stats();
    let mut delta = ExportStats::default();
    delta.exported = now.exported - before.exported;
    delta.dropped = now.dropped - before.dropped;
    delta.failed = now.failed - before.failed;
    delta
}

fn wait_until(what: &str, condition: impl Fn() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn arrived_named(receiver: &Receiver, name: &str) -> usize {
    spans(&receiver.exports()).iter().filter(|span| span.name == name).count()
}

/// The loss warnings about `endpoint`: (failed, dropped) of each.
fn loss_warnings(endpoint: &str) -> Vec<(u64, u64)> {
    loss_warnings_after(endpoint, 0)
}

/// [`loss_warnings`], of the events logged after the first `logged`.
fn loss_warnings_after(endpoint: &str, logged: usize) -> Vec<(u64, u64)> {
    common::warnings_about_after("tracekit::export", endpoint, logged)
        .into_iter()
        .map(|event| {
            let count = |field| event.field(field).and_then(|value| value.parse().ok()).unwrap_or(0);
            (count("failed"), count("dropped"))
        })
        .collect()
}

fn outage_and_recovery(protocol: Protocol) {
    let _lock = INSTALL.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let receiver = Receiver::start();
    receiver.stop(); // down before the program starts
    let before = tracekit::export_stats();
    let guard = install(&receiver, protocol, 64, 16);

    // Down at start: calls go on, the spans are lost and counted. (The
    // queue holds 64; what it held when the collector came back would be
    // sent then, so the test waits until every span is settled.)
    for step in 0..300 {
        assert_eq!(while_down(step), step + 1);
    }
    wait_until("every span of the first outage counted", || since(before).lost() == 300);

    // Back: what is made now arrives.
    receiver.restart();
    for step in 0..40 {
        while_up(step);
    }
    wait_until("the spans made after the collector came back", || arrived_named(&receiver, "while_up") == 40);

    // Down in the middle of the run, then back again.
    receiver.stop();
    for step in 0..300 {
        while_down(step);
    }
    wait_until("every span of the second outage counted", || since(before).lost() == 600);
    receiver.restart();
    for step in 40..80 {
        while_up(step);
    }
    wait_until("the spans after the second recovery", || arrived_named(&receiver, "while_up") == 80);
    drop(guard);

    // Every span made is counted exactly once, and what was counted as
    // exported is what the collector received.
    let counted = since(before);
    assert_eq!(counted.exported + counted.lost(), 680, "{counted:?}");
    assert_eq!(counted.exported, receiver.span_count(), "{counted:?}");
    assert_eq!(counted.lost(), 600, "{counted:?}");
    assert!(counted.dropped > 0 && counted.failed > 0, "the queue overflowed and batches failed: {counted:?}");
}

#[test]
fn grpc_export_survives_a_collector_that_is_down_at_start_and_mid_run() {
    outage_and_recovery(Protocol::Grpc);
}

#[test]
fn http_export_survives_a_collector_that_is_down_at_start_and_mid_run() {
    outage_and_recovery(Protocol::HttpProtobuf);
}

#[test]
fn losses_are_reported_in_one_warning_per_interval_with_their_counts() {
    let _lock = INSTALL.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    common::global_log(); // from now on
    let receiver = Receiver::start();
    receiver.stop();
    let before = tracekit::export_stats();
    let guard = install(&receiver, Protocol::Grpc, 8, 4);
    for step in 0..2_000 {
        while_down(step);
    }
    drop(guard);
    // Shutdown returns on time (1.5 s here) while up to three batches fail
    // one after the other, each within the 500 ms export timeout; a batch
    // still failing then is counted as shutdown returns.
    let lost = since(before);
    assert_eq!((lost.exported, lost.lost()), (0, 2_000), "nothing arrives while the collector is down: {lost:?}");
    assert!(lost.dropped > 0, "a queue of 8 overflows: {lost:?}");

    // The run is shorter than the 10 s interval: one warning when the first
    // loss happens, one final count when the export thread ends; their
    // counts add up.
    let sums = |warnings: &[(u64, u64)]| {
        warnings.iter().fold((0, 0), |(failed, dropped), warning| (failed + warning.0, dropped + warning.1))
    };
    let warnings = loss_warnings(&receiver.grpc_endpoint);
    assert!((1..=2).contains(&warnings.len()), "{warnings:?}");
    assert_eq!(sums(&warnings), (lost.failed, lost.dropped), "{warnings:?}");
}

fn retried_until_accepted(protocol: Protocol, refusal: Refusal) {
    let _lock = INSTALL.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let receiver = Receiver::start();
    receiver.refuse_next(2, refusal);
    let guard = Config::new()
        .otlp(|otlp| otlp.endpoint(receiver.endpoint(protocol)).protocol(protocol).timeout(Duration::from_secs(10)))
        .install()
        .unwrap();
    for step in 0..5 {
        while_up(step);
    }
    drop(guard); // flushes: one batch, refused twice, then accepted
    assert_eq!(receiver.attempts(), 3, "{refusal:?} over {protocol:?} is retried");
    assert_eq!(arrived_named(&receiver, "while_up"), 5);
}

#[test]
fn grpc_unavailable_is_retried_with_backoff_until_accepted() {
    retried_until_accepted(Protocol::Grpc, Refusal::Unavailable);
}

#[test]
fn http_503_is_retried_with_backoff_until_accepted() {
    retried_until_accepted(Protocol::HttpProtobuf, Refusal::Unavailable);
}

#[test]
fn http_429_is_retried_with_backoff_until_accepted() {
    retried_until_accepted(Protocol::HttpProtobuf, Refusal::TooManyRequests);
}

#[test]
fn a_request_refused_as_bad_is_not_retried_and_its_spans_are_counted_failed() {
    for protocol in [Protocol::Grpc, Protocol::HttpProtobuf, Protocol::HttpJson] {
        let _lock = INSTALL.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let receiver = Receiver::start();
        receiver.behave(Behaviour::Refuse(Refusal::BadRequest));
        let before = tracekit::export_stats();
        let guard = install(&receiver, protocol, 64, 16);
        for step in 0..4 {
            while_up(step);
        }
        drop(guard);
        assert_eq!(receiver.attempts(), 1, "{protocol:?}: no retry of a request the collector calls bad");
        let counted = since(before);
        assert_eq!((counted.exported, counted.failed, counted.dropped), (0, 4, 0), "{protocol:?}: {counted:?}");
    }
}

#[test]
fn a_collector_that_never_answers_costs_the_timeout_and_shutdown_still_ends_in_time() {
    for protocol in [Protocol::Grpc, Protocol::HttpProtobuf] {
        let _lock = INSTALL.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let receiver = Receiver::start();
        receiver.behave(Behaviour::Stall);
        let before = tracekit::export_stats();
        let guard = install(&receiver, protocol, 64, 16);
        for step in 0..16 {
            while_up(step);
        }
        wait_until("the export thread to be stuck in a request", || receiver.attempts() > 0);
        // The export thread is stuck; the program is not.
        for step in 0..1_000 {
            assert_eq!(while_down(step), step + 1);
        }
        let started = Instant::now();
        drop(guard);
        // Shutdown waits at most the OTLP timeout (500 ms) and a second.
        let took = started.elapsed();
        assert!(took < Duration::from_secs(5), "{protocol:?}: shutdown took {took:?}");
        assert_eq!(receiver.span_count(), 0);
        // Every span made is lost, and counted by the time shutdown returns.
        let counted = since(before);
        assert_eq!(counted.lost(), 1_016, "{protocol:?}: {counted:?}");
        assert_eq!(counted.exported, 0, "{protocol:?}: {counted:?}");
        assert!(counted.failed >= 16, "the stuck batch failed: {counted:?}");
    }
}

#[test]
fn a_malformed_answer_is_survived_and_the_next_export_goes_through() {
    for protocol in [Protocol::HttpProtobuf, Protocol::HttpJson] {
        let _lock = INSTALL.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let receiver = Receiver::start();
        receiver.behave(Behaviour::Malformed);
        let guard = install(&receiver, protocol, 64, 16);
        while_down(1);
        wait_until("the malformed answer", || receiver.attempts() > 0);
        receiver.behave(Behaviour::Accept);
        while_up(1);
        wait_until("the next span", || arrived_named(&receiver, "while_up") == 1);
        drop(guard);
    }
}

#[test]
fn credentials_in_the_endpoint_stay_out_of_the_loss_warnings() {
    let _lock = INSTALL.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    common::global_log(); // from now on
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    for protocol in [Protocol::Grpc, Protocol::HttpProtobuf] {
        let guard = Config::new()
            .otlp(|otlp| {
                otlp.endpoint(format!("http://collector-user:hunter2@{closed}"))
                    .protocol(protocol)
                    .timeout(Duration::from_millis(300))
            })
            .install()
            .unwrap();
        while_down(1);
        drop(guard);
    }
    let shown_endpoint = format!("http://{closed}");
    let warnings = common::warnings_about("tracekit::export", &shown_endpoint);
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    for warning in warnings {
        let shown = format!("{warning:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains(&shown_endpoint), "the endpoint is named: {shown}");
    }
}

#[test]
fn spans_the_collector_takes_but_rejects_are_counted_failed_reported_with_its_reason_and_not_sent_again() {
    for protocol in [Protocol::Grpc, Protocol::HttpProtobuf, Protocol::HttpJson] {
        let _lock = INSTALL.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        // From now on; this protocol's warnings are those logged after these.
        let logged = common::global_log().len();
        let receiver = Receiver::start();
        receiver.behave(Behaviour::PartiallyReject(1));
        let before = tracekit::export_stats();
        let guard = install(&receiver, protocol, 64, 16);
        for step in 0..6 {
            while_up(step);
        }
        drop(guard);
        // One span of each request rejected; a partial success is not retried.
        let requests = receiver.attempts();
        assert!(requests >= 1, "{protocol:?}");
        assert_eq!(receiver.span_count(), 6, "{protocol:?}: each span sent once");
        let counted = since(before);
        assert_eq!((counted.exported, counted.failed, counted.dropped), (6 - requests, requests, 0), "{protocol:?}");
        // One warning, or two if the spans went in requests either side of
        // the first warning: together they count every span rejected.
        let endpoint = receiver.endpoint(protocol);
        let failed: u64 = loss_warnings_after(&endpoint, logged).iter().map(|(failed, _)| failed).sum();
        assert_eq!(failed, requests, "{protocol:?}");
        let reason = format!("failed to export (rejected by the collector: {})", common::receiver::REJECTION_REASON);
        let warnings = common::warnings_about_after("tracekit::export", &endpoint, logged);
        assert!(warnings.iter().all(|warning| warning.message.contains(&reason)), "{protocol:?}: {warnings:?}");
    }
}
