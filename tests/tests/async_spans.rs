//! Spans of async functions: parents across `.await` and threads, and
//! cancellation.

use std::time::Duration;
use tracekit::testing::capture_async;
use tracekit::CarrySpan as _;
use tracekit::{trace_async, trace_operation};

#[trace_async]
async fn parent() -> u32 {
    let a = child(1).await;
    tokio::task::yield_now().await;
    let b = child(2).await;
    // Spawned on another worker thread, carrying this span's context.
    let c = tokio::spawn(child(3).carry_current_span()).await.unwrap();
    a + b + c
}

#[trace_async(include_args)]
async fn child(n: u32) -> u32 {
    tokio::time::sleep(Duration::from_millis(1)).await;
    grandchild(n)
}

#[trace_operation]
fn grandchild(n: u32) -> u32 {
    n * 10
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn children_link_to_their_parent_across_awaits_and_threads() {
    let (total, spans) = capture_async(parent()).await;
    assert_eq!(total, 60);
    let parent = spans.get("parent");
    let children = spans.children(parent);
    assert_eq!(children.iter().map(|c| c.i64_attribute("arg.n").unwrap()).collect::<Vec<_>>(), [1, 2, 3]);
    for child in &children {
        let grandchildren = spans.children(child);
        assert_eq!(grandchildren.len(), 1);
        assert_eq!(grandchildren[0].name(), "grandchild");
        assert_eq!(grandchildren[0].trace_id(), parent.trace_id());
    }
    assert_eq!(spans.roots().len(), 1);
    // The span covers the whole future, children included.
    assert!(parent.duration() >= children.iter().map(|c| c.duration()).sum());
}

#[trace_operation]
async fn operation_on_async_fn() -> u32 {
    child(4).await
}

#[tokio::test]
async fn trace_operation_on_an_async_fn_behaves_like_trace_async() {
    let (value, spans) = capture_async(operation_on_async_fn()).await;
    assert_eq!(value, 40);
    spans.assert_child_of("child", "operation_on_async_fn");
}

#[trace_async]
async fn never_finishes() {
    std::future::pending::<()>().await;
}

#[trace_async]
async fn slow() {
    tokio::time::sleep(Duration::from_secs(60)).await;
}

#[tokio::test]
async fn a_future_dropped_before_completion_ends_its_span_as_cancelled() {
    let ((), spans) = capture_async(async {
        let timed_out = tokio::time::timeout(Duration::from_millis(5), slow()).await;
        assert!(timed_out.is_err());
        let mut pending = Box::pin(never_finishes());
        assert!(futures_poll_once(pending.as_mut()).await.is_pending());
        drop(pending);
    })
    .await;
    for name in ["slow", "never_finishes"] {
        let span = spans.get(name);
        assert_eq!(span.bool_attribute("tracekit.cancelled"), Some(true), "{name}");
        assert!(!span.is_error(), "cancellation is not an error");
    }
}

#[trace_async]
async fn completes() {}

#[tokio::test]
async fn a_completed_future_is_not_marked_cancelled() {
    let ((), spans) = capture_async(completes()).await;
    assert_eq!(spans.get("completes").attribute("tracekit.cancelled"), None);
}

/// Gives up on two calls under its own span, and finishes a third.
#[trace_async]
async fn gives_up() {
    let timed_out = tokio::time::timeout(Duration::from_millis(5), slow()).await;
    assert!(timed_out.is_err());
    let mut pending = Box::pin(never_finishes());
    assert!(futures_poll_once(pending.as_mut()).await.is_pending());
    drop(pending);
    completes().await;
}

#[tokio::test]
async fn calls_under_a_span_dropped_before_completion_end_as_cancelled_under_it() {
    let ((), spans) = capture_async(gives_up()).await;
    let parent = spans.get("gives_up");
    for name in ["slow", "never_finishes", "completes"] {
        let span = spans.get(name);
        assert_eq!(span.parent_span_id(), Some(parent.span_id()), "{name}");
        assert_eq!(span.trace_id(), parent.trace_id(), "{name}");
        assert!(!span.is_error(), "{name}: cancellation is not an error");
    }
    for name in ["slow", "never_finishes"] {
        assert_eq!(spans.get(name).bool_attribute("tracekit.cancelled"), Some(true), "{name}");
    }
    assert_eq!(spans.get("completes").attribute("tracekit.cancelled"), None);
    // The span of the call that timed out covers its 5 ms.
    assert!(spans.get("slow").duration() >= Duration::from_millis(5));
}

/// Polls a future once, so that it has started before it is dropped.
async fn futures_poll_once<F: std::future::Future + Unpin>(mut future: F) -> std::task::Poll<F::Output> {
    std::future::poll_fn(move |cx| std::task::Poll::Ready(std::pin::Pin::new(&mut future).poll(cx))).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_calls_each_get_their_own_span() {
    let ((), spans) = capture_async(async {
        let handles: Vec<_> = (0..8).map(|n| tokio::spawn(child(n).carry_current_span())).collect();
        for handle in handles {
            handle.await.unwrap();
        }
    })
    .await;
    let children = spans.all("child");
    assert_eq!(children.len(), 8);
    let mut trace_ids: Vec<_> = children.iter().map(|c| c.trace_id()).collect();
    trace_ids.dedup();
    assert_eq!(trace_ids.len(), 8, "spawned without a parent, each child is its own trace");
    for child in children {
        assert_eq!(spans.children(child).len(), 1);
    }
}

mod named_futures {
    use std::future::Future;
    use std::pin::Pin;
    use std::task::{Context, Poll};
    use tracekit::trace_async;

    pub type BoxFut<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

    #[tracekit::trace_operation]
    pub async fn step() {}

    /// A future under an alias.
    #[trace_async]
    pub fn through_alias(n: u32) -> BoxFut<'static, u32> {
        Box::pin(async move {
            step().await;
            n + 1
        })
    }

    /// One of several boxed async blocks, by early return, `if` and `match`:
    /// each exit keeps the declared type.
    #[trace_async]
    pub fn branches(which: u8) -> Pin<Box<dyn Future<Output = u8> + Send>> {
        if which == 0 {
            return Box::pin(async { 0 });
        }
        let future: Pin<Box<dyn Future<Output = u8> + Send>> = match which {
            1 => Box::pin(async { 1 }),
            _ => Box::pin(async move {
                step().await;
                which
            }),
        };
        if which > 10 {
            Box::pin(async { 10 })
        } else {
            future
        }
    }

    /// A tower `Service` whose `call` returns `Self::Future`.
    pub struct Doubler;

    impl tower::Service<u32> for Doubler {
        type Response = u32;
        type Error = std::convert::Infallible;
        type Future = BoxFut<'static, Result<u32, Self::Error>>;

        fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
            Poll::Ready(Ok(()))
        }

        #[trace_async(name = "Doubler::call", include_args)]
        fn call(&mut self, request: u32) -> Self::Future {
            Box::pin(async move {
                step().await;
                Ok(request * 2)
            })
        }
    }
}

/// The same shapes under `#[trace_operation]`, whose tokens cannot tell a
/// future: the type decides, so the span still covers the future.
mod named_futures_as_operations {
    use super::named_futures::{step, BoxFut};
    use std::task::{Context, Poll};
    use tracekit::trace_operation;

    #[trace_operation]
    pub fn through_alias(n: u32) -> BoxFut<'static, Result<u32, String>> {
        Box::pin(async move {
            step().await;
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            if n == 0 {
                return Err("zero".to_owned());
            }
            Ok(n + 1)
        })
    }

    /// A value whose type is a path too: its span ends with the call.
    #[derive(Debug)]
    pub struct Ticket(pub u32);

    #[trace_operation(include_result)]
    pub fn ticket(n: u32) -> Ticket {
        Ticket(n)
    }

    macro_rules! returning {
        ($ret:ty) => {
            #[trace_operation]
            pub fn through_fragment(n: u32) -> $ret {
                Box::pin(async move {
                    step().await;
                    n * 3
                })
            }
        };
    }
    returning!(BoxFut<'static, u32>);

    pub struct Tripler;

    impl tower::Service<u32> for Tripler {
        type Response = u32;
        type Error = std::convert::Infallible;
        type Future = BoxFut<'static, Result<u32, Self::Error>>;

        fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
            Poll::Ready(Ok(()))
        }

        #[trace_operation(name = "Tripler::call")]
        fn call(&mut self, request: u32) -> Self::Future {
            Box::pin(async move {
                step().await;
                Ok(request * 3)
            })
        }
    }
}

#[tokio::test]
async fn a_future_under_another_name_is_traced_to_its_end_by_trace_operation() {
    use named_futures_as_operations as ops;
    use tower::Service as _;
    let (values, spans) = tracekit::testing::capture_async(async {
        let ok = ops::through_alias(1).await;
        let failed = ops::through_alias(0).await;
        let fragment = ops::through_fragment(2).await;
        let tripled = ops::Tripler.call(3).await.unwrap();
        let ticket = ops::ticket(7).0;
        (ok, failed, fragment, tripled, ticket)
    })
    .await;
    assert_eq!(values, (Ok(2), Err("zero".to_owned()), 6, 9, 7));
    let steps = spans.all("step");
    assert_eq!(steps.len(), 4);
    let alias = spans.all("through_alias");
    assert_eq!(steps[0].parent_span_id(), Some(alias[0].span_id()), "the future's spans are its children");
    assert_eq!(steps[1].parent_span_id(), Some(alias[1].span_id()));
    assert!(alias[0].duration() >= std::time::Duration::from_millis(20), "the span lasts as long as the future");
    assert!(!alias[0].is_error());
    assert_eq!(alias[1].error_message(), Some("zero"), "the future's output is its outcome");
    assert_eq!(steps[2].parent_span_id(), Some(spans.get("through_fragment").span_id()));
    assert_eq!(steps[3].parent_span_id(), Some(spans.get("Tripler::call").span_id()));
    assert_eq!(spans.get("ticket").str_attribute("result"), Some("Ticket(7)"), "a value is recorded as one");
}

/// A future returned under any name (an alias, `Self::Future`, one of
/// several boxed branches) is traced to its end, its spans inside it.
#[tokio::test]
async fn a_future_under_any_name_is_traced_to_its_end() {
    use tower::Service as _;
    let (values, spans) = tracekit::testing::capture_async(async {
        let alias = named_futures::through_alias(1).await;
        let branches = [
            named_futures::branches(0).await,
            named_futures::branches(1).await,
            named_futures::branches(5).await,
            named_futures::branches(20).await,
        ];
        let doubled = named_futures::Doubler.call(21).await.unwrap();
        (alias, branches, doubled)
    })
    .await;
    assert_eq!(values, (2, [0, 1, 5, 10], 42));
    let steps = spans.all("step");
    assert_eq!(steps.len(), 3);
    let alias = spans.get("through_alias");
    assert_eq!(steps[0].parent_span_id(), Some(alias.span_id()), "the future's spans are its children");
    let call = spans.get("Doubler::call");
    assert_eq!(call.i64_attribute("arg.request"), Some(21));
    assert_eq!(steps[2].parent_span_id(), Some(call.span_id()));
    assert_eq!(spans.all("branches").len(), 4);
}
