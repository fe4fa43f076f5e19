//! Generated code raises no lint in the user's crate, even under strict
//! settings; `cargo clippy --all-targets -- -D warnings` checks this file.
#![deny(warnings, clippy::all, clippy::pedantic)]
#![allow(clippy::unnecessary_wraps, clippy::unused_async)] // the example fns themselves

use tracekit::{trace_async, trace_operation, trace_performance};

#[derive(Debug)]
struct Item {
    id: u64,
}

#[trace_operation(include_args, include_result, attributes("item.id" = item.id))]
fn sync_everything(item: &Item, count: u32) -> Result<u64, String> {
    if count == 0 {
        return Err("empty".into());
    }
    Ok(item.id * u64::from(count))
}

#[trace_operation]
fn unit(item: &Item) {
    let _ = item.id;
}

#[trace_async(include_args, include_result, kind = "client")]
async fn async_everything(count: u32) -> Result<u32, String> {
    Ok(count)
}

#[trace_performance(threshold_ms = 100)]
async fn measured_async() {}

#[trace_performance(threshold_ms = 100, include_args)]
fn measured(value: u8) -> u8 {
    value
}

#[test]
fn annotated_code_compiles_under_strict_lints() {
    let ((), spans) = tracekit::testing::capture(|| {
        sync_everything(&Item { id: 2 }, 3).unwrap();
        unit(&Item { id: 1 });
        measured(1);
    });
    assert_eq!(spans.get("sync_everything").i64_attribute("result"), Some(6));
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let (value, spans) = runtime.block_on(tracekit::testing::capture_async(async {
        measured_async().await;
        async_everything(4).await
    }));
    assert_eq!(value, Ok(4));
    assert_eq!(spans.names(), ["measured_async", "async_everything"]);
}
