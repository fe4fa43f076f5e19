// `links` needs a value: an iterable of contexts.
use tracekit::trace_operation;

#[trace_operation(links())]
fn consume() {}

fn main() {}
