use tracekit::trace_operation;

// Every mistake is reported, each at its own token.
#[trace_operation(kind = "sever", colour = "red", skip(nope))]
const fn all_wrong() {}

fn main() {}
