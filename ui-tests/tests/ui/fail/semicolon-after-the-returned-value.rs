// A stray semicolon after the value: rustc's own error at the signature,
// with its "remove this semicolon" help, as without the attribute.
use tracekit::trace_operation;

#[trace_operation]
fn answer() -> u32 {
    42;
}

fn main() {}
