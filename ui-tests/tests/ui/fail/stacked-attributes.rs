use tracekit::{trace_async, trace_operation, trace_performance};

#[trace_performance(threshold_ms = 10)]
#[trace_operation]
fn performance_then_operation() {}

#[trace_operation]
#[trace_performance(threshold_ms = 10)]
fn operation_then_performance() {}

#[trace_async]
#[tracekit::trace_operation]
async fn two_spans() {}

fn main() {}
