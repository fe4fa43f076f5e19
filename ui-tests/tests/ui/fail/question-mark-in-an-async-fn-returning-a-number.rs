// `?` in an `async fn` that returns a number: the error speaks of the
// function, not of the async block the attribute runs the body in.
use tracekit::trace_async;

#[trace_async]
async fn count(text: &str) -> usize {
    let count: usize = text.parse()?;
    count
}

fn main() {}
