use tracekit::trace_operation;

#[trace_operation(kind = "sever")]
fn typo() {}

#[trace_operation(kind = server)]
fn unquoted() {}

fn main() {}
