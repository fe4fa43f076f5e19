use tracekit::trace_operation;

extern "C" {
    #[trace_operation]
    fn abs(input: i32) -> i32;
}

fn main() {}
