//! Arguments and headers that could hurt the program recording them.

use std::collections::HashMap;
use std::fmt;
use tracekit::testing::capture;
use tracekit::trace_operation;

struct PanicsWhenShown;

impl fmt::Debug for PanicsWhenShown {
    fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
        panic!("Debug of PanicsWhenShown")
    }
}

impl fmt::Display for PanicsWhenShown {
    fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
        panic!("Display of PanicsWhenShown")
    }
}

#[trace_operation(include_args)]
fn takes_hostile(value: PanicsWhenShown, n: u32) -> u32 {
    let _ = value;
    n + 1
}

#[trace_operation]
fn fails_with_hostile_error() -> Result<(), PanicsWhenShown> {
    Err(PanicsWhenShown)
}

#[test]
fn a_panicking_debug_or_display_never_takes_the_program_down() {
    let (value, spans) = capture(|| takes_hostile(PanicsWhenShown, 1));
    assert_eq!(value, 2, "the function runs and returns normally");
    let span = spans.get("takes_hostile");
    assert_eq!(span.str_attribute("arg.value"), Some("<formatting panicked>"));
    assert_eq!(span.i64_attribute("arg.n"), Some(1));

    let (result, spans) = capture(fails_with_hostile_error);
    assert!(result.is_err());
    assert_eq!(spans.get("fails_with_hostile_error").error_message(), Some("<formatting panicked>"));
}

#[trace_operation(include_args)]
fn takes_huge(text: &str, nested: &Vec<Vec<u8>>) -> usize {
    text.len() + nested.len()
}

#[test]
fn huge_arguments_are_cut_while_they_are_formatted() {
    let huge = "x".repeat(10 * 1024 * 1024);
    let nested = vec![vec![7u8; 1024]; 1024];
    let (_, spans) = capture(|| takes_huge(&huge, &nested));
    let span = spans.get("takes_huge");
    let text = span.str_attribute("arg.text").unwrap();
    assert!(text.len() <= 64 * 1024 + '…'.len_utf8(), "{}", text.len());
    assert!(text.ends_with('…'));
    let nested = span.str_attribute("arg.nested").unwrap();
    assert!(nested.len() <= 64 * 1024 + '…'.len_utf8());
}

#[trace_operation(include_args, redact(password, token), skip(session))]
fn login(user: &str, password: &str, token: u64, session: &str) -> bool {
    !user.is_empty() && !password.is_empty() && token > 0 && !session.is_empty()
}

#[test]
fn redact_records_that_an_argument_was_there_but_not_its_value() {
    let (_, spans) = capture(|| login("ada", "hunter2", 42, "s3cr3t"));
    let span = spans.get("login");
    assert_eq!(span.str_attribute("arg.user"), Some("ada"));
    assert_eq!(span.str_attribute("arg.password"), Some("[REDACTED]"));
    assert_eq!(span.str_attribute("arg.token"), Some("[REDACTED]"));
    assert_eq!(span.attribute("arg.session"), None);
    let everything = format!("{:?}", span.data());
    assert!(!everything.contains("hunter2") && !everything.contains("s3cr3t"));
}

#[trace_operation]
fn recurse(depth: u32) -> u32 {
    if depth == 0 {
        0
    } else {
        recurse(depth - 1) + 1
    }
}

#[test]
fn deep_recursion_keeps_every_parent_link() {
    let depth = 300;
    let (value, spans) = capture(|| recurse(depth));
    assert_eq!(value, depth);
    assert_eq!(spans.len(), depth as usize + 1);
    assert_eq!(spans.roots().len(), 1);
    assert!(spans.iter().all(|span| span.parent_span_id().is_none() || spans.parent(span).is_some()));
}

#[test]
fn oversized_propagation_headers_are_ignored_unread() {
    let traceparent = format!("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01{}", " ".repeat(1 << 20));
    let baggage = format!("k={}", "v".repeat(1 << 20));
    let headers = HashMap::from([("traceparent".to_owned(), traceparent), ("baggage".to_owned(), baggage)]);
    let context = tracekit::propagation::extract(&headers);
    use tracekit::opentelemetry::baggage::BaggageExt;
    use tracekit::opentelemetry::trace::TraceContextExt;
    assert!(!context.has_active_span());
    assert_eq!(context.baggage().len(), 0);
}
