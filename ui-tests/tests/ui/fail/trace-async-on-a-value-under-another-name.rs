// #[trace_async] on a fn whose return type, under a name of its own, is not
// a future: the error is at the return type and says what can be traced.
use tracekit::trace_async;

struct Receipt(u32);

#[trace_async]
fn issue() -> Receipt {
    Receipt(1)
}

fn main() {}
