// #[trace_async] on a fn that plainly returns a value: one error, at the
// `fn`, saying which attribute to use.
use tracekit::trace_async;

#[trace_async]
fn pair() -> (u32, u32) {
    (1, 2)
}

fn main() {}
