//! `#[trace_performance]`: attributes, event and a `tracing` warning when a
//! call runs past its threshold.

mod common;

use common::LoggedEvent;
use std::time::Duration;
use tracekit::testing::{capture, capture_async, CapturedSpan, Spans};
use tracekit::trace_performance;

#[trace_performance(threshold_ms = 10)]
fn sleeps(ms: u64) {
    std::thread::sleep(Duration::from_millis(ms));
}

#[trace_performance(threshold_ms = 10, name = "async.sleeps", include_args)]
async fn sleeps_async(ms: u64) {
    tokio::time::sleep(Duration::from_millis(ms)).await;
}

#[test]
fn a_slow_call_gets_attributes_an_event_and_a_warning() {
    let (((), spans), events) = common::logged(|| capture(|| sleeps(30)));
    let span = spans.get("sleeps");
    assert_eq!(span.i64_attribute("performance.threshold_ms"), Some(10));
    let took = span.f64_attribute("performance.duration_ms").unwrap();
    assert!(took >= 30.0, "{took}");
    // The same clock readings time the span and the threshold.
    let span_ms = span.duration().as_secs_f64() * 1000.0;
    assert!((span_ms - took).abs() < 0.0005, "the span lasted {span_ms} ms, the threshold measured {took} ms");
    let event = span.event("performance.threshold_exceeded").expect("threshold event");
    assert_eq!(event.timestamp, span.data().end_time, "stamped at the end of the call");
    assert!(event.attributes.iter().any(|kv| kv.key.as_str() == "performance.duration_ms"));

    assert_eq!(events.len(), 1);
    let warning = &events[0];
    assert_eq!(warning.level, Some(tracing::Level::WARN));
    assert_eq!(warning.target, "tracekit::performance");
    assert_eq!(warning.field("operation"), Some("sleeps"));
    assert_eq!(warning.field("threshold_ms"), Some("10"));
    assert!(warning.message.starts_with("sleeps took "), "{}", warning.message);
    assert!(warning.message.ends_with("ms, over its 10 ms threshold"), "{}", warning.message);
}

#[test]
fn a_fast_call_gets_neither() {
    let (((), spans), events) = common::logged(|| capture(|| sleeps(0)));
    let span = spans.get("sleeps");
    assert_eq!(span.attribute("performance.threshold_ms"), None);
    assert!(span.events().is_empty());
    assert!(events.is_empty());
}

/// Calls `sleeps` under a span of its own, where each call starts on the
/// span's lane.
#[tracekit::trace_operation]
fn batch(steps: &[u64]) {
    for &ms in steps {
        sleeps(ms);
    }
}

/// Checks the calls named `name` of a batch of three under the span
/// `batch`, one of which ran 30 ms against a threshold of 10: each under
/// the batch, only the slow one marked, and one warning, for it. Gives the
/// slow call.
fn one_slow_call_of_three<'a>(spans: &'a Spans, events: &[LoggedEvent], name: &str, batch: &str) -> &'a CapturedSpan {
    let calls = spans.all(name);
    assert_eq!(calls.len(), 3);
    let parent = spans.get(batch).span_id();
    assert!(calls.iter().all(|call| call.parent_span_id() == Some(parent)), "each under the batch");
    let (slow, fast): (Vec<&CapturedSpan>, Vec<&CapturedSpan>) =
        calls.iter().partition(|call| call.event("performance.threshold_exceeded").is_some());
    assert_eq!((slow.len(), fast.len()), (1, 2));
    let slow = slow[0];
    assert_eq!(slow.i64_attribute("performance.threshold_ms"), Some(10));
    let took = slow.f64_attribute("performance.duration_ms").unwrap();
    let span_ms = slow.duration().as_secs_f64() * 1000.0;
    assert!(took >= 30.0 && (span_ms - took).abs() < 0.0005, "{took} ms against the span's {span_ms} ms");
    let event = slow.event("performance.threshold_exceeded").unwrap();
    assert_eq!(event.timestamp, slow.data().end_time, "stamped at the end of the call");
    for call in fast {
        assert_eq!(call.attribute("performance.threshold_ms"), None);
        assert!(call.events().is_empty());
    }
    assert_eq!(events.len(), 1, "one warning, for the slow call");
    assert_eq!(events[0].field("operation"), Some(name));
    slow
}

#[test]
fn calls_under_a_span_are_watched_as_a_root_is() {
    let (((), spans), events) = common::logged(|| capture(|| batch(&[0, 30, 1])));
    one_slow_call_of_three(&spans, &events, "sleeps", "batch");
}

#[test]
fn the_warning_is_emitted_even_when_nothing_records() {
    // No capture and no init: no span exists, the warning still does.
    let ((), events) = common::logged(|| sleeps(25));
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].field("operation"), Some("sleeps"));
}

#[test]
fn async_functions_are_measured_from_first_poll_to_completion() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    let (((), spans), events) = common::logged(|| runtime.block_on(capture_async(sleeps_async(30))));
    let span = spans.get("async.sleeps");
    assert_eq!(span.i64_attribute("arg.ms"), Some(30));
    assert!(span.f64_attribute("performance.duration_ms").unwrap() >= 30.0);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].field("operation"), Some("async.sleeps"));
}

/// Awaits `sleeps_async` for each step, under a span of its own, where
/// each call starts on the span's lane.
#[tracekit::trace_async]
async fn async_batch(steps: &[u64]) {
    for &ms in steps {
        sleeps_async(ms).await;
    }
}

#[test]
fn async_calls_are_watched_under_a_span_as_roots_and_when_nothing_records() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    let (((), spans), events) = common::logged(|| runtime.block_on(capture_async(async_batch(&[0, 30, 1]))));
    let slow = one_slow_call_of_three(&spans, &events, "async.sleeps", "async_batch");
    assert_eq!(slow.i64_attribute("arg.ms"), Some(30));

    // A root its sampler does not keep, and a call with nothing installed:
    // no span, the warning still.
    let capture = tracekit::testing::Capture::new().sampler(tracekit::Sampler::AlwaysOff);
    let (((), spans), events) = common::logged(|| runtime.block_on(capture.run_async(sleeps_async(25))));
    assert!(spans.is_empty());
    assert_eq!(events.len(), 1, "warned though not sampled");
    let ((), events) = common::logged(|| runtime.block_on(sleeps_async(25)));
    assert_eq!(events.len(), 1, "warned with nothing installed");
    assert_eq!(events[0].field("operation"), Some("async.sleeps"));
}

#[trace_performance(threshold_ms = 1)]
fn slow_step() {
    std::thread::sleep(Duration::from_millis(2));
}

/// Run in a child process of its own (below), so that stderr is its alone.
const SLOW_LOOP_CHILD: &str = "TRACEKIT_TEST_SLOW_LOOP_CHILD";

/// A loop of slow calls with no subscriber says its first few on stderr,
/// holds the rest back, and says how many at shutdown: not one line each.
#[test]
fn a_loop_of_slow_calls_says_a_few_lines_on_stderr_then_the_count() {
    if std::env::var_os(SLOW_LOOP_CHILD).is_some() {
        let guard = tracekit::Config::new().exporters(&[tracekit::Exporter::None]).install().unwrap();
        for _ in 0..100 {
            slow_step();
        }
        drop(guard);
        return;
    }
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "a_loop_of_slow_calls_says_a_few_lines_on_stderr_then_the_count", "--nocapture"])
        .env(SLOW_LOOP_CHILD, "1")
        .env_remove("OTEL_LOG_LEVEL")
        .output()
        .unwrap();
    assert!(output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr.lines().filter(|line| line.starts_with("WARN tracekit::performance: ")).collect();
    assert_eq!(lines.len(), 4, "{stderr}");
    assert!(lines[..3].iter().all(|line| line.contains("slow_step took ") && line.contains("over its 1 ms threshold")));
    assert_eq!(lines[3], "WARN tracekit::performance: 97 more slow calls of slow_step held back");
}
