use tracekit::trace_operation;

#[trace_operation(include_argz)]
fn misspelled(x: u32) -> u32 {
    x
}

#[trace_operation(threshold_ms = 10)]
fn threshold_on_operation() {}

fn main() {}
