use tracekit::trace_operation;

#[trace_operation(crate = "tracekit")]
fn quoted_crate() {}

#[trace_operation(parent)]
fn parent_without_value() {}

#[trace_operation(parent = 42)]
fn parent_not_a_context() {}

fn main() {}
