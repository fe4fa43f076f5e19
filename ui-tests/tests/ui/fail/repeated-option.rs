use tracekit::trace_operation;

#[trace_operation(name = "a", name = "b")]
fn named() {}

#[trace_operation("a", include_args, include_args)]
fn twice(x: u32) -> u32 {
    x
}

fn main() {}
