#![deny(warnings)]
use std::future::Future;
use std::pin::Pin;
use tracekit::{trace_async, trace_operation, trace_performance};

#[trace_operation(include_args, include_result)]
fn borrowed<'a>(text: &'a str) -> impl Future<Output = usize> + Send + 'a {
    async move { text.len() }
}

#[trace_async]
fn boxed_local<'a>(text: &'a str) -> Pin<Box<dyn Future<Output = Result<usize, String>> + 'a>> {
    Box::pin(async move { Ok(text.len()) })
}

#[trace_performance(threshold_ms = 100)]
fn generic<F: Future<Output = u8>>(inner: F) -> impl Future<Output = u8> {
    inner
}

#[async_trait::async_trait(?Send)]
trait Local {
    async fn run(&self, times: u32) -> u32;
}

struct Runner;

#[async_trait::async_trait(?Send)]
#[trace_async(include_args)]
impl Local for Runner {
    async fn run(&self, times: u32) -> u32 {
        times
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    runtime.block_on(async {
        assert_eq!(borrowed("four").await, 4);
        assert_eq!(boxed_local("two").await, Ok(3));
        assert_eq!(generic(async { 5 }).await, 5);
        assert_eq!(Runner.run(2).await, 2);
    });
}
