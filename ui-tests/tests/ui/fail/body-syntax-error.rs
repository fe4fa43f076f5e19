use tracekit::trace_operation;

// The compiler's own error, at the user's token: the attribute does not need
// the body to parse.
#[trace_operation]
fn broken() -> u32 {
    let x = 1 +;
    x
}

fn main() {}
