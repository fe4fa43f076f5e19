use tracekit::trace_operation;

#[trace_operation(attributes(db.system = "postgresql"))]
fn unquoted_key() {}

#[trace_operation(name = operation)]
fn unquoted_name() {}

#[trace_operation(include_args = true)]
fn valued_flag() {}

fn main() {}
