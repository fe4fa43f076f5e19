// `parent = None` makes a root span, as `tracing` writes it.
use tracekit::trace_operation;

#[trace_operation(parent = None)]
fn detached() {}

fn main() {
    detached();
}
