#![deny(warnings)]
// tracekit first: `#[tokio::main]` expands the traced `async fn`.
use tracekit::trace_operation;

#[trace_operation]
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), std::fmt::Error> {
    tokio::task::yield_now().await;
    Ok(())
}
