//! Functions written by `macro_rules!`: their bodies, return types and the
//! attributes' options arrive in the invisible groups of macro fragments
//! (`$body:block`, `$ret:ty`, `$name:literal`), and are read through them.

use tracekit::testing::capture;
use tracekit::{trace_operation, trace_performance};

#[derive(Debug)]
struct Failed;

impl std::fmt::Display for Failed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("failed")
    }
}

macro_rules! traced_fn {
    ($name:ident($arg:ident: $arg_ty:ty), $span:literal, $kind:literal, $ret:ty, $body:block) => {
        #[trace_operation($span, kind = $kind, include_result)]
        fn $name($arg: $arg_ty) -> $ret $body
    };
}

traced_fn!(lookup(fail: bool), "repo.lookup", "client", Result<u32, Failed>, {
    if fail {
        return Err(Failed);
    }
    Ok(7)
});

macro_rules! slow_fn {
    ($name:ident, $threshold:literal, $body:block) => {
        #[trace_performance(threshold_ms = $threshold)]
        fn $name() $body
    };
}

slow_fn!(quick, 1000, {});

macro_rules! future_fn {
    ($name:ident, $ret:ty, $body:block) => {
        #[tracekit::trace_async]
        fn $name() -> $ret $body
    };
}

future_fn!(later, impl std::future::Future<Output = u32>, { async { 5 } });
future_fn!(boxed_later, std::pin::Pin<Box<dyn std::future::Future<Output = u32> + Send>>, { Box::pin(async { 6 }) });

#[tokio::test]
async fn a_future_returned_through_a_type_fragment_is_traced_to_its_end() {
    let (sum, spans) = tracekit::testing::capture_async(async {
        let (first, second) = (later(), boxed_later());
        tracekit::span("between").in_scope(|| ());
        first.await + second.await
    })
    .await;
    assert_eq!(sum, 11);
    let (later, between) = (spans.get("later"), spans.get("between"));
    assert!(spans.get("boxed_later").duration() >= between.duration());
    assert!(later.data().end_time >= between.data().end_time, "the span covers the future, awaited after `between`");
}

struct Repo;

macro_rules! traced_method {
    ($name:ident, $ret:ty, $body:block) => {
        impl Repo {
            #[trace_operation]
            fn $name(&self) -> $ret $body
        }
    };
}

traced_method!(count, u64, { 3 });

#[test]
fn a_body_return_type_and_options_from_macro_fragments_are_traced() {
    let (results, spans) = capture(|| (lookup(false).ok(), lookup(true).is_err(), Repo.count(), quick()));
    assert_eq!(results, (Some(7), true, 3, ()));
    let lookups = spans.all("repo.lookup");
    assert_eq!(lookups.len(), 2);
    assert_eq!(lookups[0].kind(), &tracekit::SpanKind::Client);
    assert_eq!(lookups[0].i64_attribute("result"), Some(7));
    assert!(lookups[1].is_error());
    assert_eq!(lookups[1].error_message(), Some("failed"));
    assert_eq!(spans.get("count").str_attribute("code.function.name"), Some("macro_fragments::Repo::count"));
    assert!(spans.find("quick").is_some());
}
