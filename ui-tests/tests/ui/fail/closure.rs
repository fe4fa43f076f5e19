use tracekit::trace_operation;

fn main() {
    let double = #[trace_operation] |x: u32| x * 2;
    double(2);
}
