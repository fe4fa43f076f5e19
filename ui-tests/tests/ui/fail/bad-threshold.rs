use tracekit::trace_performance;

#[trace_performance]
fn missing() {}

#[trace_performance(threshold_ms = 0)]
fn zero() {}

#[trace_performance(threshold_ms = -5)]
fn negative() {}

#[trace_performance(threshold_ms = 1.5)]
fn fractional() {}

#[trace_performance(threshold_ms = "100")]
fn quoted() {}

fn main() {}
