#![deny(warnings)]
// `#[tokio::main]` first: tracekit traces the function it expands to.
use tracekit::{trace_async, trace_operation};

#[trace_operation]
fn child() -> u32 {
    1
}

#[tokio::main(flavor = "current_thread")]
#[trace_async]
async fn main() {
    tokio::task::yield_now().await;
    assert_eq!(child(), 1);
}
