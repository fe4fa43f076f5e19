//! `tracing` log lines carry the ids of the current tracekit span.

mod common;

use common::Buffer;
use tracekit::testing::capture;
use tracekit::{trace_async, trace_operation};

/// Runs `f` with a `tracing` subscriber using `format`, returning the lines logged.
fn logged<R>(format: tracekit::logs::TraceIdFormat, f: impl FnOnce() -> R) -> (R, Vec<String>) {
    let buffer = Buffer::default();
    let writer = buffer.clone();
    let subscriber =
        tracing_subscriber::fmt().with_ansi(false).event_format(format).with_writer(move || writer.clone()).finish();
    let value = tracing::subscriber::with_default(subscriber, f);
    (value, buffer.text().lines().map(str::to_owned).collect())
}

#[trace_operation]
fn accept_order(items: u32) {
    tracing::info!(items, "order accepted");
}

#[test]
fn text_lines_end_with_the_trace_and_span_ids() {
    let (((), spans), lines) = logged(tracekit::logs::text(), || {
        capture(|| {
            tracing::info!("before any span");
            accept_order(3);
        })
    });
    let span = spans.get("accept_order");
    assert_eq!(lines.len(), 2);
    assert!(!lines[0].contains("trace_id="), "{}", lines[0]);
    assert!(lines[1].contains(" INFO log_correlation: order accepted items=3"), "{}", lines[1]);
    assert!(lines[1].ends_with(&format!("trace_id={} span_id={}", span.trace_id(), span.span_id())), "{}", lines[1]);
}

#[test]
fn json_lines_carry_the_ids_as_fields() {
    let (((), spans), lines) = logged(tracekit::logs::json(), || capture(|| accept_order(5)));
    let span = spans.get("accept_order");
    let line: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
    assert_eq!(line["message"], "order accepted");
    assert_eq!(line["items"], 5);
    assert_eq!(line["level"], "INFO");
    assert_eq!(line["target"], "log_correlation");
    assert_eq!(line["trace_id"], span.trace_id().to_string());
    assert_eq!(line["span_id"], span.span_id().to_string());
    assert!(line["timestamp"].as_str().unwrap().ends_with('Z'));
}

#[trace_async]
async fn async_work() {
    tokio::task::yield_now().await;
    tracing::warn!("after an await");
}

#[test]
fn ids_follow_async_functions_across_awaits() {
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let (((), spans), lines) =
        logged(tracekit::logs::text(), || runtime.block_on(tracekit::testing::capture_async(async_work())));
    let span = spans.get("async_work");
    assert!(lines[0].ends_with(&format!("span_id={}", span.span_id())), "{}", lines[0]);
}

#[test]
fn current_ids_serve_other_loggers() {
    let (ids, spans) = capture(|| tracekit::span("job").in_scope(tracekit::logs::current_ids));
    assert_eq!(ids, Some((spans.get("job").trace_id(), spans.get("job").span_id())));
    assert_eq!(tracekit::logs::current_ids(), None);
}

/// `tracing-subscriber` turns ANSI on by default; written to a pipe (here,
/// a child process's stdout), `logs::text()` lines stay plain all the same.
#[test]
fn text_lines_on_a_pipe_carry_no_colour_codes() {
    const CHILD: &str = "TRACEKIT_TEST_LOG_CHILD";
    if std::env::var_os(CHILD).is_some() {
        let subscriber = tracing_subscriber::fmt().event_format(tracekit::logs::text()).finish();
        tracing::subscriber::with_default(subscriber, || accept_order(3));
        return;
    }
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "text_lines_on_a_pipe_carry_no_colour_codes", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .env_remove("NO_COLOR")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout.lines().find(|line| line.contains("order accepted")).expect("the child logged");
    assert!(line.ends_with("order accepted items=3"), "{line:?}");
    assert!(!stdout.contains('\x1b'), "no ANSI escape: {stdout:?}");
}
