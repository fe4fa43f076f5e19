//! What the console exporter prints, in each format.

mod common;

use common::Buffer;
use std::sync::Mutex;
use tracekit::{trace_operation, trace_performance, Config, ConsoleFormat};

static INSTALL: Mutex<()> = Mutex::new(());

/// Installs the console exporter into a buffer, runs `f`, shuts down, and
/// returns what was printed.
fn printed(format: ConsoleFormat, f: impl FnOnce()) -> String {
    let _lock = INSTALL.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let buffer = Buffer::default();
    let guard = Config::new()
        .service_name("shop")
        .console(|console| console.format(format).writer(buffer.clone()))
        .install()
        .unwrap();
    f();
    drop(guard);
    buffer.text()
}

#[trace_operation(include_args)]
fn checkout(cart: u32) -> Result<(), String> {
    price(cart);
    pay(cart)
}

#[trace_operation]
fn price(cart: u32) -> u32 {
    cart * 3
}

#[trace_performance(threshold_ms = 1)]
fn pay(cart: u32) -> Result<(), String> {
    std::thread::sleep(std::time::Duration::from_millis(5));
    Err(format!("card declined for cart {cart}"))
}

#[test]
fn the_tree_shows_the_hierarchy_durations_bars_status_and_attributes() {
    let output = printed(ConsoleFormat::Tree, || {
        let _ = checkout(2);
    });
    let lines: Vec<&str> = output.lines().collect();
    assert!(lines[0].starts_with("shop trace "), "{output}");
    assert!(lines[0].contains("3 spans"), "{output}");
    assert!(lines[1].starts_with("checkout  "), "{output}");
    assert!(lines[1].contains("ERROR: card declined for cart 2"), "{output}");
    assert!(lines[1].contains("arg.cart=2"), "{output}");
    assert!(lines[2].starts_with("├─ price"), "{output}");
    assert!(lines[2].contains("UNSET"), "{output}");
    assert!(lines[3].starts_with("└─ pay"), "{output}");
    assert!(lines[3].contains("⚠ slow: "), "{output}");
    assert!(lines[3].contains("> 1 ms"), "{output}");
    // The root's bar is full; `pay`, which ran last, ends at the right edge.
    assert!(lines[1].contains(&"█".repeat(24)), "{output}");
    assert!(lines[3].contains("█  ERROR"), "{output}");
    assert!(!output.contains('\x1b'), "no colours when not writing to a terminal");
    assert!(!output.contains("code.function.name"), "the code location is left out as noise");
}

#[test]
fn the_line_format_prints_one_line_per_span() {
    let output = printed(ConsoleFormat::Line, || {
        price(1);
    });
    let line = output.trim_end();
    assert!(line.starts_with("TRACE: price ("), "{line}");
    assert!(line.contains(") status=UNSET"), "{line}");
    assert!(line.contains(" µs)") || line.contains(" ms)"), "the duration: {line}");
    assert_eq!(output.lines().count(), 1);
}

#[test]
fn the_json_format_prints_one_object_per_span() {
    let output = printed(ConsoleFormat::Json, || {
        let _ = checkout(4);
    });
    let spans: Vec<serde_json::Value> = output.lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    assert_eq!(spans.len(), 3);
    let root = spans.iter().find(|s| s["name"] == "checkout").unwrap();
    assert_eq!(root["status"]["code"], "ERROR");
    assert_eq!(root["status"]["description"], "card declined for cart 4");
    assert_eq!(root["attributes"]["arg.cart"], 4);
    assert_eq!(root["parent_span_id"], serde_json::Value::Null);
    let pay = spans.iter().find(|s| s["name"] == "pay").unwrap();
    assert_eq!(pay["parent_span_id"], root["span_id"]);
    assert_eq!(pay["trace_id"], root["trace_id"]);
    let events: Vec<&str> = pay["events"].as_array().unwrap().iter().map(|e| e["name"].as_str().unwrap()).collect();
    assert_eq!(events, ["exception", "performance.threshold_exceeded"]);
}

#[test]
fn a_trace_whose_root_never_ends_is_printed_at_shutdown() {
    let output = printed(ConsoleFormat::Tree, || {
        let root = tracekit::span("daemon").entered();
        price(5);
        std::mem::forget(root);
    });
    assert!(output.starts_with("shop (root span never ended) trace "), "{output}");
    assert!(output.contains("price"), "{output}");
}

#[test]
fn header_values_never_reach_the_console() {
    let _lock = INSTALL.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    for format in [ConsoleFormat::Tree, ConsoleFormat::Line, ConsoleFormat::Json] {
        let buffer = Buffer::default();
        let config =
            Config::from_lookup(|name| (name == "OTEL_EXPORTER_OTLP_HEADERS").then(|| "x-api-key=hunter2".to_owned()))
                .unwrap()
                .otlp(|otlp| otlp.header("authorization", "Bearer swordfish"))
                .console(|console| console.format(format).writer(buffer.clone()));
        let guard = config.install().unwrap();
        let _ = checkout(2);
        drop(guard);
        let text = buffer.text();
        assert!(text.contains("checkout"), "{format:?}: {text}");
        assert!(!text.contains("hunter2") && !text.contains("swordfish"), "{format:?}: {text}");
    }
}
