//! Programs already using `tracing` with `tracing-opentelemetry`: spans of
//! `#[tracing::instrument]` and of tracekit join one trace, in both nestings.

use opentelemetry::trace::TracerProvider as _;
mod common;

use common::Collect;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracekit::{trace_operation, Config};
use tracing_subscriber::layer::SubscriberExt;

#[tracing::instrument]
fn tracing_outer() {
    tracekit_middle();
}

#[trace_operation]
fn tracekit_middle() {
    tracing_inner();
}

#[tracing::instrument]
fn tracing_inner() {}

#[test]
fn instrument_and_tracekit_spans_nest_in_one_trace() {
    let collected = Collect::default();
    let provider = SdkTracerProvider::builder().with_simple_exporter(collected.clone()).build();
    let layer = tracing_opentelemetry::layer().with_tracer(provider.tracer("app"));
    let subscriber = tracing_subscriber::registry().with(layer);
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
