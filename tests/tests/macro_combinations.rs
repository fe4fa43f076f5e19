//! The attributes beside the macros and signatures real services use:
//! `#[tokio::test]` in either order, `#[async_trait]` impls, functions that
//! return futures, destructured arguments, `#[track_caller]`, cfg-removed
//! parameters and impl blocks over types of every shape.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;
use tracekit::testing::{capture, capture_async, Spans};
use tracekit::{trace_async, trace_operation, trace_performance};

#[trace_operation]
fn child() {}

async fn pause() {
    tokio::time::sleep(Duration::from_millis(20)).await;
}

/// The span covered the awaited body: it lasted the 20 ms pause and the
/// child made after it hangs under it.
fn assert_covers_the_body(spans: &Spans, name: &str) {
    let span = spans.get(name);
    assert!(span.duration() >= Duration::from_millis(20), "{name} lasted {:?}", span.duration());
    spans.assert_child_of("child", name);
}

mod runtime_entries {
    //! The runtime attribute applied first: tracekit sees its expansion.
    use super::*;

    #[tokio::test]
    #[trace_async]
    async fn below_tokio_test() -> Result<(), String> {
        pause().await;
        child();
        Ok(())
    }

    #[tokio::test]
    #[trace_operation(include_result)]
    async fn operation_below_tokio_test() -> Result<(), String> {
        pause().await;
        child();
        Ok(())
    }

    #[trace_async]
    #[tokio::test]
    async fn tokio_test_below() {
        pause().await;
        child();
    }

    #[test]
    fn each_order_traces_the_body_of_the_test() {
        for (test, name) in [
            (below_tokio_test as fn() -> Result<(), String>, "below_tokio_test"),
            (operation_below_tokio_test, "operation_below_tokio_test"),
            (
                || {
                    tokio_test_below();
                    Ok(())
                },
                "tokio_test_below",
            ),
        ] {
            let (result, spans) = capture(test);
            assert_eq!(result, Ok(()));
            assert_covers_the_body(&spans, name);
        }
    }
}

/// Functions returning futures: the span covers the future, not the
/// moment it takes to build it, and records its output. It starts when the
/// function is called, so each is called inside the capture.
#[trace_operation(include_result)]
fn returns_impl_future(x: u32) -> impl Future<Output = u32> {
    child_outside_the_future();
    async move {
        pause().await;
        child();
        x * 2
    }
}

#[trace_operation]
fn child_outside_the_future() {}

#[trace_async(include_result)]
#[allow(clippy::type_complexity)]
fn returns_boxed_future(fail: bool) -> Pin<Box<dyn Future<Output = Result<u32, String>> + Send>> {
    Box::pin(async move {
        pause().await;
        child();
        if fail {
            Err("refused".to_owned())
        } else {
            Ok(3)
        }
    })
}

#[tokio::test]
async fn a_function_returning_a_future_is_traced_until_the_future_completes() {
    let (value, spans) = capture_async(async { returns_impl_future(21).await }).await;
    assert_eq!(value, 42);
    assert_covers_the_body(&spans, "returns_impl_future");
    spans.assert_child_of("child_outside_the_future", "returns_impl_future");
    assert_eq!(spans.get("returns_impl_future").i64_attribute("result"), Some(42));

    let (value, spans) = capture_async(async { returns_boxed_future(false).await }).await;
    assert_eq!(value, Ok(3));
    assert_covers_the_body(&spans, "returns_boxed_future");
    assert_eq!(spans.get("returns_boxed_future").i64_attribute("result"), Some(3));
    let (_, spans) = capture_async(async { returns_boxed_future(true).await }).await;
    assert_eq!(spans.get("returns_boxed_future").error_message(), Some("refused"));
}

/// The span starts when the function is called, under the caller's span,
/// even if the future is polled later elsewhere.
#[tokio::test]
async fn the_future_keeps_the_parent_of_its_call() {
    let ((), spans) = capture_async(async {
        let future = tracekit::span("caller").in_scope(|| returns_impl_future(1));
        future.await;
    })
    .await;
    spans.assert_child_of("returns_impl_future", "caller");
}

#[async_trait::async_trait]
trait Store {
    async fn load(&self, id: u32) -> Result<u32, String>;
    async fn save(&self, id: u32);
}

struct MethodLevel;

#[async_trait::async_trait]
impl Store for MethodLevel {
    #[trace_async(include_args, include_result)]
    async fn load(&self, id: u32) -> Result<u32, String> {
        pause().await;
        child();
        Ok(id + 1)
    }

    #[trace_operation]
    async fn save(&self, _id: u32) {
        pause().await;
        child();
    }
}

struct BlockAbove;

#[trace_async(include_args)]
#[async_trait::async_trait]
impl Store for BlockAbove {
    async fn load(&self, id: u32) -> Result<u32, String> {
        pause().await;
        child();
        Err(format!("no {id}"))
    }

    async fn save(&self, _id: u32) {
        pause().await;
        child();
    }
}

struct BlockBelow;

#[async_trait::async_trait]
#[trace_operation(include_args)]
impl Store for BlockBelow {
    async fn load(&self, id: u32) -> Result<u32, String> {
        pause().await;
        child();
        Ok(id)
    }

    async fn save(&self, _id: u32) {
        pause().await;
        child();
    }
}

#[tokio::test]
async fn async_trait_methods_are_traced_over_their_awaited_body_in_every_order() {
    let stores: [(&dyn Store, &str); 3] =
        [(&MethodLevel, "load"), (&BlockAbove, "BlockAbove::load"), (&BlockBelow, "BlockBelow::load")];
    for (store, load) in stores {
        let (_, spans) = capture_async(async { store.load(4).await }).await;
        assert_covers_the_body(&spans, load);
        assert_eq!(spans.get(load).i64_attribute("arg.id"), Some(4), "{load}");
        let save = load.replace("load", "save");
        let ((), spans) = capture_async(async { store.save(4).await }).await;
        assert_covers_the_body(&spans, &save);
    }
    let (_, spans) = capture_async(async { MethodLevel.load(1).await }).await;
    assert_eq!(spans.get("load").i64_attribute("result"), Some(2));
    let (_, spans) = capture_async(async { BlockAbove.load(9).await }).await;
    assert_eq!(spans.get("BlockAbove::load").error_message(), Some("no 9"));
}

#[derive(Debug)]
struct Point {
    x: i64,
    y: i64,
}

struct Meters(f64);

#[trace_operation(include_args)]
fn destructured((a, b): (u32, u32), Point { x, y }: Point, Meters(m): Meters, [first, ..]: [u8; 3]) -> i64 {
    i64::from(a + b) + x + y + m as i64 + i64::from(first)
}

#[test]
fn destructured_arguments_are_recorded_by_the_names_they_bind() {
    let (value, spans) = capture(|| destructured((1, 2), Point { x: 3, y: 4 }, Meters(5.5), [6, 7, 8]));
    assert_eq!(value, 21);
    let span = spans.get("destructured");
    for (key, expected) in [("arg.a", 1), ("arg.b", 2), ("arg.x", 3), ("arg.y", 4), ("arg.first", 6)] {
        assert_eq!(span.i64_attribute(key), Some(expected), "{key}");
    }
    assert_eq!(span.f64_attribute("arg.m"), Some(5.5));
}

#[track_caller]
#[trace_operation(include_result)]
fn caller_line() -> u32 {
    std::panic::Location::caller().line()
}

#[track_caller]
#[trace_operation]
fn caller_line_or_error(fail: bool) -> Result<u32, std::num::ParseIntError> {
    if fail {
        let parsed: u32 = "x".parse()?;
        return Ok(parsed);
    }
    Ok(std::panic::Location::caller().line())
}

#[track_caller]
#[trace_operation]
fn caller_line_unit(lines: &mut Vec<u32>) {
    lines.push(std::panic::Location::caller().line());
}

#[test]
// Each closure is the caller whose line the function must report.
#[allow(clippy::redundant_closure)]
fn track_caller_still_reports_the_caller_and_the_outcome_is_recorded() {
    let expected = line!() + 1;
    let (line, spans) = capture(|| caller_line());
    assert_eq!(line, expected);
    assert_eq!(spans.get("caller_line").i64_attribute("result"), Some(i64::from(line)));

    let expected = line!() + 1;
    let (line, _) = capture(|| caller_line_or_error(false));
    assert_eq!(line, Ok(expected));
    let (result, spans) = capture(|| caller_line_or_error(true));
    assert!(result.is_err());
    assert_eq!(spans.get("caller_line_or_error").error_message(), Some("invalid digit found in string"));

    let mut lines = Vec::new();
    caller_line_unit(&mut lines);
    assert_eq!(lines, [line!() - 1]);
}

struct Pool<Item>(Vec<Item>);

#[trace_operation]
impl<Item> Pool<Item> {
    /// Uses none of the block's parameters: its body runs in a nested fn,
    /// out of which a macro's `return` leaves too.
    #[track_caller]
    fn check(size: usize) -> anyhow::Result<usize> {
        anyhow::ensure!(size > 0, "an empty pool");
        Ok(size)
    }

    /// Uses `Item`: its body stays in the function, and compiles.
    #[track_caller]
    fn take(items: Vec<Item>) -> Result<Pool<Item>, String> {
        Ok(Pool(items))
    }
}

#[test]
fn a_track_caller_fn_of_a_generic_block_records_the_error_of_a_macro_exit() {
    let (result, spans) = capture(|| Pool::<u8>::check(0));
    assert!(result.is_err());
    assert_eq!(spans.get("Pool::check").error_message(), Some("an empty pool"));
    let (pool, spans) = capture(|| Pool::take(vec![1_u8]));
    assert_eq!(pool.map(|pool| pool.0), Ok(vec![1]));
    assert!(!spans.get("Pool::take").is_error());
}

struct Service;

#[trace_operation(include_args, skip(self))]
impl Service {
    fn handle(&self, id: u32, #[cfg(any())] configured_away: u32) -> u32 {
        id
    }

    #[cfg_attr(all(), no_trace)]
    fn untraced_here(&self) -> u32 {
        1
    }

    #[cfg_attr(any(), no_trace)]
    fn traced_here(&self) -> u32 {
        2
    }

    #[tracekit::no_trace]
    fn untraced_by_path(&self) -> u32 {
        3
    }
}

#[trace_performance(threshold_ms = 10_000u32)]
fn suffixed_threshold() {}

#[trace_performance(threshold_ms = 0x64)]
fn hex_threshold() {}

#[test]
fn skip_self_cfg_and_integer_forms_of_the_threshold_are_accepted() {
    let ((), spans) = capture(|| {
        Service.handle(5);
        Service.untraced_here();
        Service.traced_here();
        Service.untraced_by_path();
        suffixed_threshold();
        hex_threshold();
    });
    assert_eq!(spans.names(), ["Service::handle", "Service::traced_here", "suffixed_threshold", "hex_threshold"]);
    assert_eq!(spans.get("Service::handle").i64_attribute("arg.id"), Some(5));
    assert_eq!(spans.get("Service::handle").attribute("arg.configured_away"), None);
}

trait Describe {
    fn describe(&self) -> usize;
}

#[trace_operation]
impl Describe for dyn std::fmt::Debug {
    fn describe(&self) -> usize {
        1
    }
}

#[trace_operation]
impl Describe for (u8, u8) {
    fn describe(&self) -> usize {
        2
    }
}

#[trace_operation]
impl Describe for [u8] {
    fn describe(&self) -> usize {
        self.len()
    }
}

#[trace_operation]
impl<T> Describe for Vec<T> {
    fn describe(&self) -> usize {
        self.len()
    }
}

#[test]
fn impl_blocks_name_their_spans_as_the_type_is_written() {
    let ((), spans) = capture(|| {
        (&1_u8 as &dyn std::fmt::Debug).describe();
        (1_u8, 2_u8).describe();
        [1_u8, 2][..].describe();
        vec![1_u8].describe();
    });
    assert_eq!(spans.names(), ["dyn Debug::describe", "(u8, u8)::describe", "[u8]::describe", "Vec::describe"]);
}
