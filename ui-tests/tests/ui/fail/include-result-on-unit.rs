use tracekit::trace_operation;

#[trace_operation(include_result)]
fn nothing() {}

fn main() {}
