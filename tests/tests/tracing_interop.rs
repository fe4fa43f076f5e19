//! Programs already using `tracing` with `tracing-opentelemetry`: spans of
//! `#[tracing::instrument]` and of tracekit join one trace, in both nestings.

use opentelemetry::trace::TracerProvider as _;
mod common;

use common::{tracing_outer, Collect};
use opentelemetry::trace::TraceContextExt as _;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracekit::{Config, Exporter};
use tracing_subscriber::layer::SubscriberExt;

/// Installation is global: the tests of this file take turns.
static INSTALLED: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// `tracing-opentelemetry` over an SDK provider that collects its spans.
fn tracing_opentelemetry_into_a_provider() -> (Collect, SdkTracerProvider, impl tracing::Subscriber + Send + Sync) {
    let collected = Collect::default();
    let provider = SdkTracerProvider::builder().with_simple_exporter(collected.clone()).build();
    let layer = tracing_opentelemetry::layer().with_tracer(provider.tracer("app"));
    (collected, provider, tracing_subscriber::registry().with(layer))
}

#[test]
fn instrument_and_tracekit_spans_nest_in_one_trace() {
    let _turn = INSTALLED.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let (collected, provider, subscriber) = tracing_opentelemetry_into_a_provider();
    let guard = Config::new().tracer_provider(provider.clone()).install().unwrap();

    tracing::subscriber::with_default(subscriber, tracing_outer);
    drop(guard);

    let spans = collected.0.lock().unwrap().clone();
    let find = |name: &str| spans.iter().find(|s| s.name == name).unwrap_or_else(|| panic!("{name}: {spans:#?}"));
    let (outer, middle, inner) = (find("tracing_outer"), find("tracekit_middle"), find("tracing_inner"));
    let trace_id = outer.span_context.trace_id();
    assert!([middle, inner].iter().all(|s| s.span_context.trace_id() == trace_id), "one trace");
    assert_eq!(middle.parent_span_id, outer.span_context.span_id(), "tracekit under tracing");
    assert_eq!(inner.parent_span_id, middle.span_context.span_id(), "tracing under tracekit");
    provider.shutdown().unwrap();
}

#[test]
fn with_the_opentelemetry_context_switch_tracing_opentelemetry_nests_with_tracekits_own_pipeline() {
    let _turn = INSTALLED.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let (collected, provider, subscriber) = tracing_opentelemetry_into_a_provider();
    let guard = Config::new().exporters(&[Exporter::InMemory]).opentelemetry_context(true).install().unwrap();

    tracing::subscriber::with_default(subscriber, tracing_outer);
    let ours = tracekit::testing::take_recorded();
    drop(guard);

    let theirs = collected.0.lock().unwrap().clone();
    let find = |name: &str| theirs.iter().find(|s| s.name == name).unwrap_or_else(|| panic!("{name}: {theirs:#?}"));
    let (outer, inner, middle) = (find("tracing_outer"), find("tracing_inner"), ours.get("tracekit_middle"));
    assert_eq!(middle.trace_id(), outer.span_context.trace_id(), "one trace across both pipelines");
    assert_eq!(middle.parent_span_id(), Some(outer.span_context.span_id()), "tracekit under tracing");
    assert_eq!(inner.parent_span_id, middle.span_id(), "tracing under tracekit");
    provider.shutdown().unwrap();
}

#[test]
fn opentelemetry_code_finds_tracekits_span_in_context_current_only_with_the_switch() {
    let _turn = INSTALLED.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let seen = |switch: bool| {
        let _guard = Config::new().exporters(&[Exporter::InMemory]).opentelemetry_context(switch).install().unwrap();
        tracekit::span("job").in_scope(|| {
            let ours = tracekit::current_span().span_id().unwrap();
            let asked = tracekit::context::current().span().span_context().span_id();
            let current = tracekit::opentelemetry::Context::current().span().span_context().span_id();
            (ours == asked, ours == current)
        })
    };
    assert_eq!(seen(false), (true, false), "tracekit's own stack, a `Context` made on request");
    assert_eq!(seen(true), (true, true), "made current in OpenTelemetry's `Context` too");
}

#[test]
fn with_the_switch_a_span_entered_through_tracekits_layer_is_current_in_context_until_it_exits() {
    let _turn = INSTALLED.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let guard = Config::new().exporters(&[Exporter::InMemory]).opentelemetry_context(true).install().unwrap();
    let subscriber = tracing_subscriber::registry().with(tracekit::subscriber::layer());
    let current = || opentelemetry::Context::current().span().span_context().span_id();
    let (inside, after) = tracing::subscriber::with_default(subscriber, || {
        let inside = tracing::info_span!("entered").in_scope(|| (tracekit::current_span().span_id(), current()));
        (inside, current())
    });
    let spans = tracekit::testing::take_recorded();
    drop(guard);
    let entered = spans.get("entered").span_id();
    assert_eq!(inside, (Some(entered), entered), "current on tracekit's stack and in the `Context`");
    assert_eq!(after, opentelemetry::trace::SpanId::INVALID, "neither once it exited");
}
