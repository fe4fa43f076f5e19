use tracekit::trace_operation;

#[trace_operation]
struct Config {
    port: u16,
}

fn main() {}
