#![deny(warnings)]
use tracekit::{trace_async, trace_operation, trace_performance};

#[trace_async(include_args, include_result)]
async fn free(value: u32) -> u32 {
    tokio::task::yield_now().await;
    value + 1
}

#[trace_async]
async fn borrowed<'a>(text: &'a str, other: &str) -> &'a str {
    let _ = other;
    text
}

#[trace_async]
async fn fallible(text: &str) -> Result<u32, std::num::ParseIntError> {
    let value = text.parse::<u32>()?;
    Ok(value)
}

#[trace_operation]
async fn operation_on_async() -> anyhow::Result<()> {
    free(1).await;
    Ok(())
}

#[trace_performance(threshold_ms = 50)]
async fn measured() {}

struct Service {
    name: String,
}

impl Service {
    #[trace_async]
    async fn name(&self) -> &str {
        &self.name
    }

    #[trace_async]
    async fn rename(&mut self, name: String) -> Result<&mut String, String> {
        self.name = name;
        Ok(&mut self.name)
    }

    #[trace_async]
    async fn consume(self) -> String {
        self.name
    }
}

trait Fetch {
    async fn fetch(&self, id: u32) -> Option<String>;
}

impl Fetch for Service {
    #[trace_async(include_args)]
    async fn fetch(&self, id: u32) -> Option<String> {
        (id == 1).then(|| self.name.clone())
    }
}

fn require_send<T: Send>(value: T) -> T {
    value
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    assert_eq!(require_send(free(1)).await, 2);
    assert_eq!(borrowed("a", "b").await, "a");
    assert_eq!(fallible("7").await.unwrap(), 7);
    operation_on_async().await.unwrap();
    measured().await;
    let mut service = Service { name: "s".into() };
    assert_eq!(service.name().await, "s");
    service.rename("t".into()).await.unwrap().push('!');
    assert_eq!(service.fetch(1).await.as_deref(), Some("t!"));
    assert_eq!(service.consume().await, "t!");
}
