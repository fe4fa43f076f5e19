use tracekit::{trace_operation, trace_performance};

#[trace_operation(include_argz)]
fn misspelled(x: u32) -> u32 {
    x
}

#[trace_operation(threshold_ms = 10)]
fn threshold_on_operation() {}

// One error: the misspelt option, not also a missing threshold.
#[trace_performance(threshhold_ms = 10)]
fn misspelt_threshold() {}

#[trace_operation(5)]
fn not_an_option() {}

fn main() {}
