//! Helpers shared by the integration tests.
#![allow(dead_code, unused_imports)]

pub use tracekit_tests::receiver;

use opentelemetry_sdk::trace::{SpanData, SpanExporter};
use std::io::Write;

use std::sync::{Arc, Mutex};
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

/// One `tracing` event as the test saw it.
#[derive(Clone, Debug, Default)]
pub struct LoggedEvent {
    pub level: Option<Level>,
    pub target: String,
    pub message: String,
    pub fields: Vec<(String, String)>,
}

impl LoggedEvent {
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str())
    }
}

#[derive(Clone, Default)]
struct Collector(Arc<Mutex<Vec<LoggedEvent>>>);

impl<S: Subscriber> Layer<S> for Collector {
    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        // The OpenTelemetry crates' own debug events (their `internal-logs`,
        // which `opentelemetry-prometheus` turns on) are not tracekit's.
        let metadata = event.metadata();
        if metadata.target().starts_with("opentelemetry") && *metadata.level() >= tracing::Level::DEBUG {
            return;
        }
        let mut logged = LoggedEvent {
            level: Some(*event.metadata().level()),
            target: event.metadata().target().to_owned(),
            ..LoggedEvent::default()
        };
        event.record(&mut logged);
        self.0.lock().unwrap().push(logged);
    }
}

impl Visit for LoggedEvent {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let text = format!("{value:?}");
        if field.name() == "message" {
            self.message = text;
        } else {
            self.fields.push((field.name().to_owned(), text));
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.fields.push((field.name().to_owned(), value.to_owned()));
    }
}

/// Runs `f` with a `tracing` subscriber of its own (this thread only) and
/// returns the events it logged.
pub fn logged<R>(f: impl FnOnce() -> R) -> (R, Vec<LoggedEvent>) {
    let collector = Collector::default();
    let subscriber = tracing_subscriber::registry().with(collector.clone());
    let value = tracing::subscriber::with_default(subscriber, f);
    let events = collector.0.lock().unwrap().clone();
    (value, events)
}

/// Every `tracing` event of every thread, from the first call on: the
/// test binary's global subscriber. Returns the events logged so far.
pub fn global_log() -> Vec<LoggedEvent> {
    static COLLECTOR: std::sync::OnceLock<Collector> = std::sync::OnceLock::new();
    let collector = COLLECTOR.get_or_init(|| {
        let collector = Collector::default();
        tracing::subscriber::set_global_default(tracing_subscriber::registry().with(collector.clone()))
            .expect("the first global subscriber of this test binary");
        collector
    });
    collector.0.lock().unwrap().clone()
}

/// tracekit's warnings of `target` (`tracekit::export`,
/// `tracekit::metrics`) about the collector at `endpoint`, its signal's
/// path included over HTTP, from [`global_log`]. (Other tests' export
/// threads may still be finishing.)
pub fn warnings_about(target: &str, endpoint: &str) -> Vec<LoggedEvent> {
    warnings_about_after(target, endpoint, 0)
}

/// [`warnings_about`], of the events logged after the first `logged`:
/// a receiver started later may be given the port of one closed before.
pub fn warnings_about_after(target: &str, endpoint: &str, logged: usize) -> Vec<LoggedEvent> {
    let about = |shown: &str| shown.strip_prefix(endpoint).is_some_and(|path| path.is_empty() || path.starts_with('/'));
    global_log()
        .into_iter()
        .skip(logged)
        .filter(|event| event.target == target && event.field("endpoint").is_some_and(about))
        .collect()
}

/// A `Write` whose bytes the test reads back.
#[derive(Clone, Default)]
pub struct Buffer(pub Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Buffer {
    pub fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

/// An exporter that keeps what it is given, for a provider the test builds.
#[derive(Clone, Debug, Default)]
pub struct Collect(pub Arc<Mutex<Vec<SpanData>>>);

impl SpanExporter for Collect {
    async fn export(&self, batch: Vec<SpanData>) -> opentelemetry_sdk::error::OTelSdkResult {
        self.0.lock().unwrap().extend(batch);
        Ok(())
    }
}

/// A `tracing` span around a tracekit span around a `tracing` span: how
/// the tests of the two ways `tracing` and tracekit meet nest them.
#[tracing::instrument]
pub fn tracing_outer() {
    tracekit_middle();
}

#[tracekit::trace_operation]
pub fn tracekit_middle() {
    tracing_inner();
}

#[tracing::instrument]
pub fn tracing_inner() {}
