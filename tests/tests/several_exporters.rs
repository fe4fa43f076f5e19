//! Several trace exporters at once (`OTEL_TRACES_EXPORTER=otlp,console`),
//! each behind its own processor: every span reaches each of them, and a
//! collector that hangs never holds up the console.

mod common;

use std::sync::Mutex;
use std::time::Duration;
use tracekit::{trace_operation, Config, Exporter};
use tracekit_tests::receiver::{spans, Behaviour, Receiver};

static INSTALL: Mutex<()> = Mutex::new(());

fn lock() -> std::sync::MutexGuard<'static, ()> {
    INSTALL.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[trace_operation]
fn settle_invoice(number: u32) -> u32 {
    number
}

/// The configuration the environment gives, printing to `out`.
fn from_env(vars: &[(&str, &str)], out: &common::Buffer) -> Config {
    let vars: Vec<(String, String)> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    Config::from_lookup(|name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
        .expect("a valid environment")
        .console(|console| console.format(tracekit::ConsoleFormat::Line).writer(out.clone()))
}

#[test]
fn otlp_and_console_both_get_every_span() {
    let _lock = lock();
    let receiver = Receiver::start();
    let out = common::Buffer::default();
    let config = from_env(
        &[("OTEL_TRACES_EXPORTER", "otlp,console"), ("OTEL_EXPORTER_OTLP_ENDPOINT", &receiver.grpc_endpoint)],
        &out,
    );
    assert_eq!(config.chosen_exporters(), [Exporter::Otlp, Exporter::Console]);
    let guard = config.install().unwrap();
    for number in 0..3 {
        settle_invoice(number);
    }
    drop(guard);
    let arrived = spans(&receiver.wait_for_spans(3, Duration::from_secs(10)));
    assert_eq!(arrived.iter().filter(|span| span.name == "settle_invoice").count(), 3);
    assert_eq!(out.text().matches("settle_invoice").count(), 3, "{}", out.text());
}

#[test]
fn a_hanging_collector_never_holds_up_the_console() {
    let _lock = lock();
    let receiver = Receiver::start();
    receiver.behave(Behaviour::Stall);
    let out = common::Buffer::default();
    let guard = from_env(
        &[
            ("TRACING_EXPORTER", "console,otlp"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &receiver.grpc_endpoint),
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "1000"),
            ("OTEL_BSP_SCHEDULE_DELAY", "10"),
        ],
        &out,
    )
    .install()
    .unwrap();
    settle_invoice(1);
    // The OTLP export is under way and hangs ...
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while receiver.attempts() == 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(receiver.attempts() > 0, "the collector was asked");
    // ... while every span reaches the console as it ends.
    for number in 2..=5 {
        settle_invoice(number);
        assert_eq!(out.text().matches("settle_invoice").count(), number as usize, "{}", out.text());
    }
    drop(guard);
    assert!(spans(&receiver.exports()).is_empty(), "the collector kept nothing");
}

#[test]
fn memory_and_console_together() {
    let _lock = lock();
    let out = common::Buffer::default();
    let guard = Config::new()
        .exporters(&[Exporter::InMemory, Exporter::Console])
        .console(|console| console.writer(out.clone()))
        .install()
        .unwrap();
    settle_invoice(7);
    assert_eq!(tracekit::testing::take_recorded().get("settle_invoice").name(), "settle_invoice");
    assert!(out.text().contains("settle_invoice"), "{}", out.text());
    drop(guard);

    let refused = Config::new().exporters(&[Exporter::Console, Exporter::Console]).install().unwrap_err();
    assert!(refused.to_string().contains("each exporter at most once"), "{refused}");
}
