use tracekit::trace_operation;

#[trace_operation]
const fn answer() -> u32 {
    42
}

fn main() {}
