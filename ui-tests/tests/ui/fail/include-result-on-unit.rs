use tracekit::trace_operation;

#[trace_operation(include_result)]
fn nothing() {}

#[trace_operation(include_result)]
#[allow(clippy::unused_unit)]
fn explicit_unit() -> () {}

fn main() {}
