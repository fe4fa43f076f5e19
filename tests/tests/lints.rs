//! Generated code raises no lint in the user's crate, even under strict
//! settings, and takes away none of the user's own: each `#[expect(..)]`
//! below fails the build if its lint is not raised, on the annotated
//! function as on its plain twin. `cargo clippy --all-targets -- -D
//! warnings` checks this file with clippy's lints, `cargo test` with rustc's.
#![deny(warnings, clippy::all, clippy::pedantic, clippy::nursery)]
#![allow(clippy::unnecessary_wraps, clippy::unused_async)]
// the example fns themselves
// A traced function cannot be `const` (its span exists at run time), so
// only the plain twins would be told to be.
#![allow(clippy::missing_const_for_fn)]

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

// Never called: the user's `dead_code` warning stays, sync and async.
#[expect(dead_code)]
#[trace_operation]
fn never_called() {}

#[expect(dead_code)]
fn never_called_plain() {}

#[expect(dead_code)]
#[trace_async(include_result)]
async fn never_awaited() -> u8 {
    1
}

#[expect(dead_code)]
async fn never_awaited_plain() -> u8 {
    1
}

// A body that is one value: no `unused_braces` from the wrapping.
#[trace_operation]
fn two() -> u32 {
    2
}

// Recording a `_reserved` parameter is the attribute's doing, not a use.
#[trace_operation(include_args)]
fn reserved(_reserved: u32, used: u32) -> u32 {
    used
}

#[test]
fn annotated_code_compiles_under_strict_lints() {
    let ((), spans) = tracekit::testing::capture(|| {
        sync_everything(&Item { id: 2 }, 3).unwrap();
        unit(&Item { id: 1 });
        measured(1);
        assert_eq!(two() + reserved(0, 1), 3);
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
