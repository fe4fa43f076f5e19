use tracekit::trace_async;

#[trace_async]
fn not_async() -> u32 {
    1
}

fn main() {}
