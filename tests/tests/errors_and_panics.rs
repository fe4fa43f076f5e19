//! A returned `Err` and a panic both end the span with status Error, the way
//! the OpenTelemetry conventions describe.

use std::panic::{catch_unwind, AssertUnwindSafe};
use tracekit::testing::{capture, capture_async, CapturedSpan};
use tracekit::{trace_async, trace_operation, trace_performance, CarrySpan as _, Status};

#[derive(Debug)]
struct NotFound(u32);

impl std::fmt::Display for NotFound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "user {} not found", self.0)
    }
}

impl std::error::Error for NotFound {}

#[trace_operation]
fn find(id: u32) -> Result<String, NotFound> {
    if id == 0 {
        return Err(NotFound(id));
    }
    Ok("ada".into())
}

fn assert_failed(span: &CapturedSpan, message: &str, type_name: &str) {
    assert_eq!(span.status(), &Status::error(message.to_owned()));
    assert_eq!(span.str_attribute("error.type"), Some(type_name));
    assert_eq!(span.event_str_attribute("exception", "exception.message"), Some(message));
    assert_eq!(span.event_str_attribute("exception", "exception.type"), Some(type_name));
    let stamped = span.event("exception").unwrap().timestamp;
    let (start, end) = (span.data().start_time, span.data().end_time);
    assert!(
        start <= stamped && stamped <= end,
        "the exception at {stamped:?} is outside the span, {start:?} to {end:?}"
    );
}

#[test]
fn an_err_sets_status_error_an_exception_event_and_error_type() {
    let (result, spans) = capture(|| find(0));
    assert!(result.is_err());
    assert_failed(spans.get("find"), "user 0 not found", "errors_and_panics::NotFound");
}

#[test]
fn success_leaves_the_status_unset() {
    let (_, spans) = capture(|| find(1));
    let span = spans.get("find");
    assert_eq!(span.status(), &Status::Unset);
    assert!(span.events().is_empty());
    assert_eq!(span.attribute("error.type"), None);
}

#[trace_operation]
fn read_config(path: &str) -> std::io::Result<String> {
    std::fs::read_to_string(path)
}

#[trace_operation]
fn parse_port(text: &str) -> anyhow::Result<u16> {
    let port: u16 = text.parse()?;
    anyhow::ensure!(port != 0, "port 0 is reserved");
    Ok(port)
}

type AppResult<T> = Result<T, String>;

#[trace_operation]
fn aliased() -> AppResult<()> {
    Err("through an alias".into())
}

#[test]
fn any_type_named_result_counts_including_aliases() {
    let (_, spans) = capture(|| {
        let _ = read_config("/definitely/not/here");
        let _ = parse_port("0");
        let _ = parse_port("x");
        let _ = aliased();
    });
    let io = spans.get("read_config");
    assert!(io.is_error());
    assert_eq!(io.str_attribute("error.type"), Some("std::io::error::Error"));
    let anyhow_spans = spans.all("parse_port");
    assert_eq!(anyhow_spans[0].error_message(), Some("port 0 is reserved"));
    assert_eq!(anyhow_spans[1].error_message(), Some("invalid digit found in string"));
    assert_eq!(anyhow_spans[0].str_attribute("error.type"), Some("anyhow::Error"));
    assert_failed(spans.get("aliased"), "through an alias", "alloc::string::String");
}

#[derive(Debug)]
struct DebugOnly {
    #[allow(dead_code)]
    code: u8,
}

#[trace_operation]
fn debug_only_error() -> Result<(), DebugOnly> {
    Err(DebugOnly { code: 7 })
}

#[test]
fn an_error_without_display_is_described_by_debug() {
    let (_, spans) = capture(debug_only_error);
    assert_eq!(spans.get("debug_only_error").error_message(), Some("DebugOnly { code: 7 }"));
}

#[trace_operation]
fn outer_then_panics() {
    inner_panics(3);
}

#[trace_operation]
fn inner_panics(value: u32) {
    panic!("value {value} is invalid");
}

#[test]
fn a_panic_fails_every_span_it_unwinds_through_and_continues_unchanged() {
    let (outcome, spans) = capture(|| catch_unwind(outer_then_panics));
    let payload = outcome.expect_err("the panic continues");
    assert_eq!(payload.downcast_ref::<String>().map(String::as_str), Some("value 3 is invalid"));
    for name in ["inner_panics", "outer_then_panics"] {
        let span = spans.get(name);
        assert_failed(span, "value 3 is invalid", "panic");
    }
    spans.assert_child_of("inner_panics", "outer_then_panics");
}

#[trace_operation]
fn panics_inside_result() -> Result<u8, String> {
    panic!("boom in a Result fn")
}

#[trace_performance(threshold_ms = 10_000)]
fn performance_panics() {
    panic!("boom under trace_performance")
}

#[test]
fn panics_are_recorded_for_result_functions_and_trace_performance() {
    let (_, spans) = capture(|| {
        let _ = catch_unwind(panics_inside_result);
        let _ = catch_unwind(performance_panics);
    });
    assert_failed(spans.get("panics_inside_result"), "boom in a Result fn", "panic");
    assert_failed(spans.get("performance_panics"), "boom under trace_performance", "panic");
}

#[trace_async]
async fn async_err() -> Result<(), NotFound> {
    tokio::task::yield_now().await;
    Err(NotFound(5))
}

#[trace_async]
async fn async_panics() {
    tokio::task::yield_now().await;
    panic!("async boom");
}

#[tokio::test]
async fn async_errors_and_panics_are_recorded_too() {
    let (_, spans) = capture_async(async_err()).await;
    assert_failed(spans.get("async_err"), "user 5 not found", "errors_and_panics::NotFound");

    // tokio catches the panic, then drops the future later; the span must say
    // "panic", not "cancelled".
    let (joined, spans) = capture_async(async { tokio::spawn(tracekit_context(async_panics())).await }).await;
    assert!(joined.unwrap_err().is_panic());
    let span = spans.get("async_panics");
    assert_failed(span, "async boom", "panic");
    assert_eq!(span.attribute("tracekit.cancelled"), None);
}

/// Carries the current context into a spawned task.
fn tracekit_context<F: std::future::Future>(future: F) -> impl std::future::Future<Output = F::Output> {
    use opentelemetry::context::FutureExt;
    future.with_current_context()
}

/// Calls that fail under its own span: one returns an error, one panics on
/// a task that carries the span.
#[trace_async]
async fn calls_that_fail() {
    assert!(async_err().await.is_err());
    let joined = tokio::spawn(async_panics().carry_current_span()).await;
    assert!(joined.is_err(), "the task panicked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_calls_under_a_span_record_their_errors_and_panics() {
    let ((), spans) = capture_async(calls_that_fail()).await;
    let parent = spans.get("calls_that_fail");
    assert!(!parent.is_error(), "the caller handled both");
    for (name, message, type_name) in
        [("async_err", "user 5 not found", "errors_and_panics::NotFound"), ("async_panics", "async boom", "panic")]
    {
        let span = spans.get(name);
        assert_eq!(span.parent_span_id(), Some(parent.span_id()), "{name}");
        assert_failed(span, message, type_name);
    }
}

/// Panics while it builds the future it returns, before any poll.
#[trace_async]
fn builds_a_future_then_panics(fail: bool) -> impl std::future::Future<Output = u32> {
    assert!(!fail, "build boom");
    async { 7 }
}

#[trace_operation]
fn builds_futures_under_a_span() {
    let built = catch_unwind(|| builds_a_future_then_panics(true));
    assert!(built.is_err(), "the build panicked");
    // The stack is as it was: the next call is this span's child too.
    drop(builds_a_future_then_panics(false));
}

#[test]
fn a_panic_while_a_future_is_built_is_recorded() {
    let (_, spans) = capture(|| catch_unwind(|| builds_a_future_then_panics(true)));
    assert_failed(spans.get("builds_a_future_then_panics"), "build boom", "panic");

    let ((), spans) = capture(builds_futures_under_a_span);
    let parent = spans.get("builds_futures_under_a_span");
    assert!(!parent.is_error(), "the caller caught the panic");
    let calls = spans.all("builds_a_future_then_panics");
    assert_eq!(calls.len(), 2);
    for call in &calls {
        assert_eq!(call.parent_span_id(), Some(parent.span_id()));
    }
    assert_failed(calls[0], "build boom", "panic");
    assert_eq!(calls[1].status(), &Status::Unset, "dropped unpolled, not failed");
    assert_eq!(calls[1].bool_attribute("tracekit.cancelled"), Some(true));
}

#[test]
fn a_panic_inside_a_manual_span_is_recorded() {
    let (_, spans) =
        capture(|| catch_unwind(AssertUnwindSafe(|| tracekit::span("manual").in_scope(|| panic!("manual boom")))));
    assert_failed(spans.get("manual"), "manual boom", "panic");
}

mod polled {
    use std::task::Poll;
    use tracekit::trace_operation;

    #[derive(Debug)]
    pub struct ReadError(pub String);

    impl From<std::num::ParseIntError> for ReadError {
        fn from(error: std::num::ParseIntError) -> Self {
            ReadError(error.to_string())
        }
    }

    impl std::fmt::Display for ReadError {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "read failed: {}", self.0)
        }
    }

    /// `?` on a `Result` and on a `Poll<Result>` in a `poll` fn, as without the attribute.
    #[trace_operation(include_result)]
    pub fn poll_read(text: &str, inner: Poll<Result<u32, ReadError>>) -> Poll<Result<u32, ReadError>> {
        let parsed: u32 = text.parse()?;
        let ready = match inner? {
            Poll::Ready(value) => value,
            Poll::Pending => return Poll::Pending,
        };
        Poll::Ready(Ok(parsed + ready))
    }

    /// The same in a stream's `poll_next`.
    #[trace_operation]
    pub fn poll_next(text: &str) -> Poll<Option<Result<u32, ReadError>>> {
        let parsed: u32 = text.parse()?;
        Poll::Ready(Some(Ok(parsed)))
    }
}

#[test]
fn question_marks_in_poll_fns_exit_and_a_ready_error_fails_the_span() {
    use std::task::Poll;
    let (results, spans) = tracekit::testing::capture(|| {
        (
            polled::poll_read("2", Poll::Ready(Ok(3))),
            polled::poll_read("x", Poll::Ready(Ok(3))),
            polled::poll_read("2", Poll::Ready(Err(polled::ReadError("disk".to_owned())))),
            polled::poll_read("2", Poll::Pending),
            polled::poll_next("x"),
        )
    });
    assert!(matches!(results.0, Poll::Ready(Ok(5))));
    assert!(matches!(&results.1, Poll::Ready(Err(error)) if error.0.contains("invalid digit")));
    assert!(matches!(&results.2, Poll::Ready(Err(error)) if error.0 == "disk"));
    assert!(results.3.is_pending());
    assert!(matches!(results.4, Poll::Ready(Some(Err(_)))));
    let reads = spans.all("poll_read");
    assert!(!reads[0].is_error());
    assert_eq!(reads[0].str_attribute("result"), Some("Ready(Ok(5))"));
    assert_eq!(reads[1].error_message(), Some("read failed: invalid digit found in string"));
    assert_eq!(reads[2].error_message(), Some("read failed: disk"));
    assert!(!reads[3].is_error(), "Pending is not a failure");
    assert!(spans.get("poll_next").is_error());
}

mod iterators {
    #[derive(Debug)]
    pub struct Refused;

    impl std::fmt::Display for Refused {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("refused")
        }
    }

    impl std::error::Error for Refused {}

    /// An `impl Trait` inside the `Result`: the first `return` does not fix
    /// the error type, the declared one does, so the `?` after it converts.
    #[tracekit::trace_operation]
    pub fn evens(limit: &str, refuse: bool) -> Result<impl Iterator<Item = u32>, Box<dyn std::error::Error>> {
        if refuse {
            return Err(Box::new(Refused));
        }
        let limit: u32 = limit.parse()?;
        Ok((0..limit).filter(|n| n % 2 == 0))
    }
}

#[test]
fn a_result_holding_an_impl_trait_keeps_its_declared_error_type() {
    let (results, spans) = tracekit::testing::capture(|| {
        (
            iterators::evens("5", false).map(|evens| evens.collect::<Vec<_>>()).ok(),
            iterators::evens("5", true).is_err(),
            iterators::evens("x", false).is_err(),
        )
    });
    assert_eq!(results, (Some(vec![0, 2, 4]), true, true));
    let calls = spans.all("evens");
    assert!(!calls[0].is_error());
    assert_eq!(calls[1].error_message(), Some("refused"));
    assert_eq!(calls[2].error_message(), Some("invalid digit found in string"));
}

mod located {
    use tracekit::trace_operation;

    /// Exits written by macros in a `#[track_caller]` fn: each one is
    /// recorded, and the caller's location is still the caller's.
    #[track_caller]
    #[trace_operation]
    pub fn checked(value: u32, text: &str) -> anyhow::Result<(u32, u32)> {
        anyhow::ensure!(value > 0, "value must be positive");
        if value > 100 {
            anyhow::bail!("value {value} is too large");
        }
        let echoed = format!("{}", text.parse::<u32>()?);
        Ok((value + echoed.len() as u32, std::panic::Location::caller().line()))
    }

    #[track_caller]
    #[trace_operation]
    pub fn generic<T: Into<u64>>(value: T) -> anyhow::Result<u64> {
        let value = value.into();
        anyhow::ensure!(value != 0, "zero");
        Ok(value)
    }

    /// A destructuring parameter stays in the body's fn, which takes the
    /// whole value.
    #[track_caller]
    #[trace_operation]
    pub fn within((low, high): (u32, u32), Wrapper(value): Wrapper) -> anyhow::Result<u32> {
        anyhow::ensure!(value >= low && value <= high, "{value} is outside {low}..={high}");
        Ok(std::panic::Location::caller().line())
    }

    pub struct Wrapper(pub u32);

    /// Methods with `self`, `Self` and the impl's generics: their bodies
    /// run in a hidden method beside them.
    pub struct Limits<T> {
        pub limit: T,
    }

    #[trace_operation]
    impl<T: Into<u64> + Copy> Limits<T> {
        const FLOOR: u64 = 1;

        #[track_caller]
        pub fn checked(&self, value: u64) -> anyhow::Result<(u64, u32)> {
            anyhow::ensure!(value >= Self::FLOOR, "value must be positive");
            let limit: T = self.limit;
            if value > limit.into() {
                anyhow::bail!("value {value} is over the limit");
            }
            Ok((value, std::panic::Location::caller().line()))
        }

        #[track_caller]
        fn raised(mut self, by: u64) -> anyhow::Result<u64> {
            let _ = &mut self;
            let limit: u64 = self.limit.into();
            anyhow::ensure!(limit + by < 10, "raised past 9");
            Ok(limit + by)
        }

        pub fn raise(self, by: u64) -> anyhow::Result<u64> {
            self.raised(by)
        }
    }

    /// A trait's methods: their bodies run in the impl of a private trait
    /// declared beside the block.
    pub trait Check<'a> {
        type Output;
        const CEILING: u64;
        fn check(&self, value: u64, label: &'a str) -> anyhow::Result<Self::Output>;
        fn spend(self, by: u64) -> anyhow::Result<u64>;
    }

    #[trace_operation]
    impl<'a, T: Into<u64> + Copy> Check<'a> for Limits<T>
    where
        T: std::fmt::Debug,
    {
        type Output = (u64, u32, &'a str);
        const CEILING: u64 = 1_000;

        #[track_caller]
        fn check(&self, value: u64, label: &'a str) -> anyhow::Result<Self::Output> {
            anyhow::ensure!(value < Self::CEILING, "{value} is past the ceiling");
            let limit: T = self.limit;
            if value > limit.into() {
                anyhow::bail!("{label}: {value} is over {limit:?}");
            }
            Ok((value, std::panic::Location::caller().line(), label))
        }

        #[track_caller]
        fn spend(mut self, by: u64) -> anyhow::Result<u64> {
            let _ = &mut self;
            let left = format!("{}", self.limit.into().checked_sub(by).ok_or_else(|| anyhow::anyhow!("overspent"))?);
            Ok(left.parse()?)
        }
    }

    pub struct Parser;

    impl Parser {
        /// A method annotated on its own: its `pub` says the impl is inherent.
        #[track_caller]
        #[trace_operation]
        pub fn parse(&self, text: &str) -> anyhow::Result<u32> {
            let echoed = format!("{}", text.parse::<u32>()?);
            Ok(echoed.len() as u32 + std::panic::Location::caller().line())
        }
    }
}

#[test]
fn exits_written_by_macros_in_a_track_caller_fn_with_destructuring_parameters_are_recorded() {
    let line = line!() + 3;
    let (results, spans) = capture(|| {
        (
            located::within((1, 9), located::Wrapper(5)).map_err(|error| error.to_string()),
            located::within((1, 9), located::Wrapper(10)).map_err(|error| error.to_string()),
        )
    });
    assert_eq!(results.0, Ok(line), "the caller's line");
    let within = spans.all("within");
    assert!(!within[0].is_error());
    assert_eq!(within[1].error_message(), Some("10 is outside 1..=9"));
}

#[test]
fn exits_written_by_macros_in_track_caller_methods_of_a_trait_impl_are_recorded() {
    use located::Check as _;
    let limits = located::Limits { limit: 50u8 };
    let line = line!() + 3;
    let (results, spans) = capture(|| {
        (
            limits.check(5, "five").map_err(|error| error.to_string()),
            limits.check(1_000, "big").map_err(|error| error.to_string()),
            limits.check(51, "over").map_err(|error| error.to_string()),
            located::Limits { limit: 3u16 }.spend(2).map_err(|error| error.to_string()),
            located::Limits { limit: 3u16 }.spend(4).map_err(|error| error.to_string()),
        )
    });
    assert_eq!(results.0, Ok((5, line, "five")), "the caller's line");
    let checked = spans.all("Limits::check");
    assert_eq!(checked.len(), 3);
    assert!(!checked[0].is_error());
    assert_eq!(checked[1].error_message(), Some("1000 is past the ceiling"));
    assert_eq!(checked[2].error_message(), Some("over: 51 is over 50"));
    assert_eq!(results.3, Ok(1));
    assert_eq!(results.4, Err("overspent".to_owned()));
    let spent = spans.all("Limits::spend");
    assert!(!spent[0].is_error());
    assert_eq!(spent[1].error_message(), Some("overspent"));
}

#[test]
fn exits_written_by_macros_in_a_track_caller_fn_are_recorded() {
    let line = line!() + 3;
    let (results, spans) = capture(|| {
        (
            located::checked(1, "42").map_err(|error| error.to_string()),
            located::checked(0, "42").map_err(|error| error.to_string()),
            located::checked(101, "42").map_err(|error| error.to_string()),
            located::checked(1, "x").map_err(|error| error.to_string()),
            located::generic(0u8).map_err(|error| error.to_string()),
        )
    });
    assert_eq!(results.0, Ok((3, line)), "the caller's line");
    let calls = spans.all("checked");
    assert!(!calls[0].is_error());
    assert_eq!(calls[1].error_message(), Some("value must be positive"));
    assert_eq!(calls[2].error_message(), Some("value 101 is too large"));
    assert_eq!(calls[3].error_message(), Some("invalid digit found in string"));
    assert_eq!(spans.get("generic").error_message(), Some("zero"));
}

#[test]
fn exits_written_by_macros_in_track_caller_methods_are_recorded() {
    let line = line!() + 4;
    let limits = located::Limits { limit: 50u8 };
    let (results, spans) = capture(|| {
        (
            limits.checked(5).map_err(|error| error.to_string()),
            limits.checked(0).map_err(|error| error.to_string()),
            limits.checked(51).map_err(|error| error.to_string()),
            located::Limits { limit: 3u32 }.raise(7).map_err(|error| error.to_string()),
            located::Parser.parse("x").map_err(|error| error.to_string()),
            located::Parser.parse("42").map_err(|error| error.to_string()),
        )
    });
    let parse_line = line + 5;
    assert_eq!(results.0, Ok((5, line)), "the caller's line");
    let checked = spans.all("Limits::checked");
    assert_eq!(checked.len(), 3);
    assert!(!checked[0].is_error());
    assert_eq!(checked[1].error_message(), Some("value must be positive"));
    assert_eq!(checked[2].error_message(), Some("value 51 is over the limit"));
    assert_eq!(results.3, Err("raised past 9".to_owned()));
    assert_eq!(spans.get("Limits::raised").error_message(), Some("raised past 9"));
    assert_eq!(spans.get("Limits::raise").error_message(), Some("raised past 9"));
    let parsed = spans.all("parse");
    assert_eq!(parsed[0].error_message(), Some("invalid digit found in string"));
    assert_eq!(results.5, Ok(2 + parse_line), "the caller's line");
    assert!(!parsed[1].is_error());
}
