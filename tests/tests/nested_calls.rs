//! Synchronous calls under a recorded span start on its lane, in place on
//! the thread's stack, rather than through the backend, and so do those
//! that start a trace while every root is sampled: these tests hold that
//! such a call records what a call through the backend records, and that
//! it steps aside whenever something else is current.

use std::collections::HashMap;
use std::future::Future;
use tracekit::opentelemetry::trace::{SpanContext, TraceContextExt as _, TraceFlags, TraceState};
use tracekit::opentelemetry::Context;
use tracekit::testing::{capture, Capture, CapturedSpan, Spans};
use tracekit::{current_span, trace_operation, Sampler, SpanId, SpanKind, Status, TraceId, Value};

#[derive(Debug)]
struct Declined;

impl std::fmt::Display for Declined {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("card declined")
    }
}

impl std::error::Error for Declined {}

#[trace_operation(include_args, include_result, kind = "client")]
fn charge(cents: u64) -> Result<u64, Declined> {
    if cents > 1_000 {
        return Err(Declined);
    }
    Ok(cents)
}

#[trace_operation]
fn checkout(cents: u64) -> Result<u64, Declined> {
    let charged = charge(cents)?;
    current_span().set_attribute("checkout.items", 2);
    current_span().add_event("paid", []);
    Ok(charged)
}

/// Everything a span records but its ids and times, to compare two spans.
fn recorded(span: &CapturedSpan) -> (String, SpanKind, Status, Vec<(String, Value)>, Vec<String>) {
    let data = span.data();
    let mut attributes: Vec<_> = data.attributes.iter().map(|kv| (kv.key.to_string(), kv.value.clone())).collect();
    attributes.sort_by(|a, b| a.0.cmp(&b.0));
    let events = data.events.iter().map(|event| event.name.to_string()).collect();
    (data.name.to_string(), data.span_kind.clone(), data.status.clone(), attributes, events)
}

#[test]
fn a_call_under_a_span_records_what_the_same_call_as_a_root_records() {
    for cents in [250, 5_000] {
        let (_, alone) = capture(|| charge(cents));
        let (_, nested) = capture(|| checkout(cents));
        assert_eq!(recorded(alone.get("charge")), recorded(nested.get("charge")), "{cents} cents");
        let charge = nested.get("charge");
        assert!(charge.str_attribute("code.function.name").is_some_and(|name| name.ends_with("::charge")));
        assert_eq!(charge.i64_attribute("arg.cents"), Some(cents as i64));
        nested.assert_child_of("charge", "checkout");
        let checkout = nested.get("checkout");
        assert_eq!(charge.trace_id(), checkout.trace_id());
        assert!(charge.data().span_context.trace_flags().is_sampled());
        assert_eq!(checkout.is_error(), cents > 1_000, "the error went up through `?`");
    }
}

/// `charge`, started by the backend: a parent given by hand is never a lane's.
#[trace_operation(include_args, include_result, kind = "client", parent = None)]
fn charge_as_a_given_root(cents: u64) -> Result<u64, Declined> {
    charge(cents)
}

#[test]
fn a_root_call_records_what_a_root_the_backend_starts_records() {
    // Everything but the name and the function's own name.
    let compared = |span: &CapturedSpan| {
        let (_, kind, status, mut attributes, events) = recorded(span);
        attributes.retain(|(key, _)| key != "code.function.name");
        (kind, status, attributes, events, span.data().dropped_attributes_count)
    };
    for cents in [250, 5_000] {
        let (_, on_lane) = capture(|| charge(cents));
        let (_, started) = capture(|| charge_as_a_given_root(cents));
        let (on_lane, started) = (on_lane.get("charge"), started.get("charge_as_a_given_root"));
        let mut expected = compared(started);
        // The line of the function differs; its file does not.
        expected.2.retain(|(key, _)| key != "code.line.number");
        let mut got = compared(on_lane);
        got.2.retain(|(key, _)| key != "code.line.number");
        assert_eq!(got, expected, "{cents} cents");
        for root in [on_lane, started] {
            let ids = &root.data().span_context;
            assert_eq!(root.parent_span_id(), None, "a root");
            assert!(ids.is_valid() && ids.is_sampled() && !ids.is_remote());
            assert_eq!(ids.trace_state().header(), "");
        }
    }
}

#[test]
fn each_root_call_starts_a_trace_of_its_own_with_its_calls_under_it() {
    let (_, spans) = capture(|| (calls_leaf(), calls_leaf()));
    let (roots, leaves) = (spans.all("calls_leaf"), spans.all("leaf"));
    assert_eq!((roots.len(), leaves.len()), (2, 2));
    assert_ne!(roots[0].trace_id(), roots[1].trace_id(), "a new trace each time");
    for root in &roots {
        assert_eq!(root.parent_span_id(), None);
        let leaf = leaves.iter().find(|leaf| leaf.trace_id() == root.trace_id()).expect("its call, in its trace");
        assert_eq!(leaf.parent_span_id(), Some(root.span_id()));
    }
}

#[test]
fn under_a_ratio_sampler_the_calls_under_a_sampled_span_record_what_they_record_under_the_default_one() {
    const ROOTS: usize = 400;
    for sampler in [Sampler::TraceIdRatio(0.5), Sampler::ParentBasedTraceIdRatio(0.5)] {
        let (_, spans) = Capture::new().sampler(sampler).run(|| {
            for request in 0..ROOTS {
                let _ = checkout(if request % 2 == 0 { 250 } else { 5_000 });
            }
        });
        let (roots, calls) = (spans.all("checkout"), spans.all("charge"));
        assert!((100..=300).contains(&roots.len()), "{sampler:?}: about half the traces: {}", roots.len());
        assert_eq!(calls.len(), roots.len(), "{sampler:?}: a call under each sampled root, none elsewhere");
        for root in &roots {
            let call = calls.iter().find(|call| call.parent_span_id() == Some(root.span_id())).expect("its call");
            assert_eq!(call.trace_id(), root.trace_id());
            assert!(call.data().span_context.is_sampled(), "{sampler:?}: sampled as its parent is");
            let cents = call.i64_attribute("arg.cents").expect("its argument") as u64;
            let (_, default) = capture(|| checkout(cents));
            assert_eq!(recorded(call), recorded(default.get("charge")), "{sampler:?}, {cents} cents");
            assert_eq!(root.is_error(), cents > 1_000, "the error went up through `?`");
        }
    }
}

/// A request's own root, which sends its trace on: its ids as it sees
/// them, and the `traceparent` it sends.
#[trace_operation]
fn request_sending_on(cents: u64) -> (Option<TraceId>, Option<SpanId>, bool, String) {
    let _ = charge(cents);
    let mut headers = HashMap::new();
    tracekit::propagation::inject(&mut headers);
    let span = current_span();
    (span.trace_id(), span.span_id(), span.is_recording(), headers.remove("traceparent").unwrap_or_default())
}

#[test]
fn under_a_ratio_sampler_each_root_call_is_decided_by_its_trace_id_as_the_sdk_s_sampler_decides() {
    use opentelemetry_sdk::trace::{Sampler as SdkSampler, SamplingDecision, ShouldSample as _};
    const ROOTS: usize = 400;
    for sampler in [Sampler::TraceIdRatio(0.5), Sampler::ParentBasedTraceIdRatio(0.5)] {
        let (seen, spans) =
            Capture::new().sampler(sampler).run(|| (0..ROOTS).map(|_| request_sending_on(250)).collect::<Vec<_>>());
        let by_the_sdk = SdkSampler::TraceIdRatioBased(0.5);
        let mut sampled = 0;
        for (trace_id, span_id, recording, sent) in &seen {
            let (trace_id, span_id) = (trace_id.expect("a trace"), span_id.expect("a span of its own"));
            let decided = by_the_sdk.should_sample(None, trace_id, "", &SpanKind::Internal, &[], &[]).decision;
            let expected = decided == SamplingDecision::RecordAndSample;
            assert_eq!(*recording, expected, "{sampler:?}: trace {trace_id}");
            // Sent on with its own span as the parent, sampled or not.
            let flags = if expected { "01" } else { "00" };
            assert_eq!(*sent, format!("00-{trace_id}-{span_id}-{flags}"), "{sampler:?}");
            let exported = spans.all("request_sending_on");
            let root = exported.iter().find(|root| root.trace_id() == trace_id);
            assert_eq!(root.is_some(), expected, "{sampler:?}: exported only when sampled: {trace_id}");
            if let Some(root) = root {
                sampled += 1;
                assert_eq!((root.span_id(), root.parent_span_id()), (span_id, None), "{sampler:?}");
                let call = spans.all("charge").into_iter().find(|call| call.trace_id() == trace_id).expect("its call");
                assert_eq!(call.parent_span_id(), Some(span_id), "{sampler:?}");
            }
        }
        let traces: std::collections::HashSet<_> = seen.iter().map(|seen| seen.0).collect();
        assert_eq!(traces.len(), ROOTS, "{sampler:?}: a new trace each time");
        assert!((100..=300).contains(&sampled), "{sampler:?}: about half the traces: {sampled}");
        assert_eq!(spans.all("request_sending_on").len(), sampled, "{sampler:?}");
        assert_eq!(spans.all("charge").len(), sampled, "{sampler:?}: no call of an unsampled trace");
    }
}

/// Counts how often it is formatted: nothing is, for a span not recorded.
#[derive(Clone)]
struct Counted;

static FORMATTED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

impl std::fmt::Debug for Counted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        FORMATTED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        f.write_str("Counted")
    }
}

/// What a root saw of its own span: its ids, whether it records, the
/// `traceparent` it sends.
#[derive(Debug)]
struct Seen(Option<TraceId>, Option<SpanId>, bool, String);

/// Makes a call, then looks at the current span and sends it on.
fn call_then_look() -> Seen {
    let _ = charge(250);
    let mut headers = HashMap::new();
    tracekit::propagation::inject(&mut headers);
    let span = current_span();
    Seen(span.trace_id(), span.span_id(), span.is_recording(), headers.remove("traceparent").unwrap_or_default())
}

#[trace_operation(include_args, include_result)]
fn counted_root(counted: &Counted) -> (Counted, Seen) {
    (counted.clone(), call_then_look())
}

/// Roots made by each run of [`ROOTS`] runs of `root` under `sampler`:
/// what each saw, and the spans captured. Checks that the argument and
/// the result (see [`Counted`]) were formatted for the recorded roots
/// (named `name`) only, and that only those have their call under them.
fn roots_under(sampler: Sampler, name: &str, root: impl Fn() -> Seen) -> (Vec<Seen>, Spans) {
    use std::sync::atomic::Ordering;
    FORMATTED.store(0, Ordering::Relaxed);
    let (seen, spans) = Capture::new().sampler(sampler).run(|| (0..ROOTS).map(|_| root()).collect::<Vec<_>>());
    let roots = spans.all(name).len();
    assert_eq!(FORMATTED.load(Ordering::Relaxed), 2 * roots, "{sampler:?}: recorded roots only");
    assert_eq!(spans.all("charge").len(), roots, "{sampler:?}: no call of an unsampled trace");
    (seen, spans)
}

/// Roots each test of a sampler makes.
const ROOTS: usize = 200;

#[test]
fn a_root_its_sampler_does_not_keep_carries_its_own_unsampled_ids_and_formats_nothing() {
    let samplers = [Sampler::AlwaysOff, Sampler::ParentBasedAlwaysOff, Sampler::ParentBasedTraceIdRatio(0.5)];
    for sampler in samplers {
        let (seen, spans) = roots_under(sampler, "counted_root", || counted_root(&Counted).1);
        let roots = spans.all("counted_root");
        let unsampled: Vec<_> = seen.iter().filter(|Seen(.., recording, _)| !recording).collect();
        assert_eq!(unsampled.len(), ROOTS - roots.len(), "{sampler:?}");
        if sampler == Sampler::ParentBasedTraceIdRatio(0.5) {
            assert!((50..=150).contains(&roots.len()), "{sampler:?}: about half: {}", roots.len());
        } else {
            assert!(roots.is_empty(), "{sampler:?}");
        }
        for Seen(trace_id, span_id, _, sent) in unsampled {
            let (trace_id, span_id) = (trace_id.expect("a trace of its own"), span_id.expect("a span of its own"));
            assert_eq!(*sent, format!("00-{trace_id}-{span_id}-00"), "{sampler:?}: sent on unsampled");
            assert!(roots.iter().all(|root| root.trace_id() != trace_id), "{sampler:?}: not exported");
        }
    }
}

/// Waits once: a future that is polled again before it completes.
struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();
    fn poll(mut self: std::pin::Pin<&mut Self>, task: &mut std::task::Context<'_>) -> std::task::Poll<()> {
        if std::mem::replace(&mut self.0, true) {
            return std::task::Poll::Ready(());
        }
        task.waker().wake_by_ref();
        std::task::Poll::Pending
    }
}

/// [`counted_root`] as an `async fn` that waits once before it looks.
#[tracekit::trace_async(include_args, include_result)]
async fn counted_async_root(counted: &Counted) -> (Counted, Seen) {
    YieldOnce(false).await;
    (counted.clone(), call_then_look())
}

#[test]
fn an_async_root_carries_its_ids_across_its_polls_whether_or_not_its_sampler_keeps_it() {
    let samplers = [Sampler::AlwaysOn, Sampler::AlwaysOff, Sampler::ParentBasedTraceIdRatio(0.5)];
    for sampler in samplers {
        let async_root = || futures_executor_lite(counted_async_root(&Counted)).1;
        let (seen, spans) = roots_under(sampler, "counted_async_root", async_root);
        let roots = spans.all("counted_async_root");
        match sampler {
            Sampler::AlwaysOn => assert_eq!(roots.len(), ROOTS),
            Sampler::AlwaysOff => assert!(roots.is_empty()),
            _ => assert!((50..=150).contains(&roots.len()), "{sampler:?}: about half: {}", roots.len()),
        }
        for Seen(trace_id, span_id, recording, sent) in &seen {
            let (trace_id, span_id) = (trace_id.expect("a trace of its own"), span_id.expect("a span of its own"));
            let recorded = roots.iter().find(|root| root.span_id() == span_id);
            assert_eq!(recorded.is_some(), *recording, "{sampler:?}: recorded as it said, after its wait");
            let flags = if *recording { "01" } else { "00" };
            assert_eq!(*sent, format!("00-{trace_id}-{span_id}-{flags}"), "{sampler:?}: its own ids sent on");
            if let Some(root) = recorded {
                assert_eq!(root.trace_id(), trace_id);
                assert_eq!(root.parent_span_id(), None, "{sampler:?}: a root");
                assert_eq!(spans.all("charge").iter().filter(|c| c.parent_span_id() == Some(span_id)).count(), 1);
                assert!(root.attribute("arg.counted").is_some() && root.attribute("result").is_some());
            }
        }
    }
}

/// What [`sends_on_later`] sees inside its future: its ids and the
/// `traceparent` it sends.
type SentLater = (Option<TraceId>, Option<SpanId>, String);

/// A boxed future under a name of its own: the function's span starts as
/// a synchronous call's, and goes on with the future it returns.
type Later = std::pin::Pin<Box<dyn Future<Output = SentLater> + Send>>;

/// Sends its trace on from inside the future it returns.
#[trace_operation]
fn sends_on_later() -> Later {
    Box::pin(async {
        let _ = charge(250);
        let mut headers = HashMap::new();
        tracekit::propagation::inject(&mut headers);
        let span = current_span();
        (span.trace_id(), span.span_id(), headers.remove("traceparent").unwrap_or_default())
    })
}

#[test]
fn an_unsampled_root_that_returns_a_future_goes_on_unsampled_with_it() {
    for sampler in [Sampler::ParentBasedAlwaysOff, Sampler::AlwaysOff] {
        let ((trace_id, span_id, sent), spans) =
            Capture::new().sampler(sampler).run(|| futures_executor_lite(sends_on_later()));
        let (trace_id, span_id) = (trace_id.expect("the root's trace"), span_id.expect("the root's span"));
        assert_eq!(sent, format!("00-{trace_id}-{span_id}-00"), "{sampler:?}");
        assert!(spans.is_empty(), "{sampler:?}: nothing recorded, the call under it skipped");
    }
}

/// A handler continuing the caller's trace, as a service's does.
#[trace_operation(kind = "server", parent = tracekit::propagation::extract(headers))]
fn handle(headers: &HashMap<String, String>) -> Result<u64, Declined> {
    checkout(250)
}

#[test]
fn under_a_ratio_sampler_calls_under_a_sampled_remote_parent_carry_its_trace_state() {
    let headers = HashMap::from([
        ("traceparent".to_owned(), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".to_owned()),
        ("tracestate".to_owned(), "vendor=abc".to_owned()),
    ]);
    // Sampled by the ratio, and by the remote parent's decision.
    for sampler in [Sampler::TraceIdRatio(1.0), Sampler::ParentBasedTraceIdRatio(0.0)] {
        let (_, spans) = Capture::new().sampler(sampler).run(|| handle(&headers));
        spans.assert_child_of("checkout", "handle");
        spans.assert_child_of("charge", "checkout");
        for name in ["handle", "checkout", "charge"] {
            let ids = &spans.get(name).data().span_context;
            assert_eq!(ids.trace_id().to_string(), "4bf92f3577b34da6a3ce929d0e0e4736", "{sampler:?}: {name}");
            assert!(ids.is_sampled(), "{sampler:?}: {name}");
            assert_eq!(ids.trace_state().header(), "vendor=abc", "{sampler:?}: {name}");
        }
    }
}

#[test]
fn what_is_recorded_on_the_current_span_inside_a_call_lands_on_that_call() {
    let (_, spans) = capture(|| checkout(10));
    let checkout = spans.get("checkout");
    assert_eq!(checkout.i64_attribute("checkout.items"), Some(2));
    assert!(checkout.event("paid").is_some());
    assert_eq!(spans.get("charge").attribute("checkout.items"), None);
}

#[trace_operation(include_args, include_result)]
fn discount(cents: u64, percent: u64) -> u64 {
    if percent > 50 {
        current_span().set_attribute("discount.capped", true);
        return cents / 2;
    }
    cents - cents * percent / 100
}

#[trace_operation]
fn prices() -> (u64, u64) {
    (discount(1_000, 10), discount(1_000, 90))
}

/// The attribute keys of `span`, in the order they are exported.
fn keys(span: &CapturedSpan) -> Vec<String> {
    span.data().attributes.iter().map(|kv| kv.key.to_string()).collect()
}

#[test]
fn a_call_s_arguments_come_first_then_what_its_body_and_its_result_record() {
    let (_, spans) = capture(prices);
    let code = ["code.function.name", "code.file.path", "code.line.number"];
    let calls = spans.all("discount");
    assert_eq!(calls.len(), 2);
    let plain = calls.iter().find(|call| call.i64_attribute("arg.percent") == Some(10)).unwrap();
    assert_eq!(keys(plain), [&code[..], &["arg.cents", "arg.percent", "result"]].concat());
    assert_eq!(plain.i64_attribute("result"), Some(900));
    let capped = calls.iter().find(|call| call.i64_attribute("arg.percent") == Some(90)).unwrap();
    assert_eq!(keys(capped), [&code[..], &["arg.cents", "arg.percent", "discount.capped", "result"]].concat());
    assert_eq!(capped.i64_attribute("result"), Some(500));
    let parent = spans.get("prices");
    for call in calls {
        assert_eq!(call.parent_span_id(), Some(parent.span_id()));
        assert_eq!(call.trace_id(), parent.trace_id());
        assert_eq!(call.data().dropped_attributes_count, 0);
    }
}

#[trace_operation]
fn deepest() -> (Option<(TraceId, SpanId)>, HashMap<String, String>) {
    let mut headers = HashMap::new();
    tracekit::propagation::inject(&mut headers);
    (tracekit::logs::current_ids(), headers)
}

#[trace_operation]
fn middle() -> (Option<(TraceId, SpanId)>, HashMap<String, String>) {
    deepest()
}

#[test]
fn log_ids_and_headers_sent_on_name_the_innermost_call() {
    let ((ids, headers), spans) = capture(middle);
    let deepest = spans.get("deepest");
    assert_eq!(ids, Some((deepest.trace_id(), deepest.span_id())));
    let traceparent = &headers["traceparent"];
    assert_eq!(traceparent, &format!("00-{}-{}-01", deepest.trace_id(), deepest.span_id()));
    spans.assert_child_of("deepest", "middle");
}

#[trace_operation]
fn leaf() -> u32 {
    7
}

#[trace_operation]
fn calls_leaf() -> u32 {
    leaf()
}

#[test]
fn a_call_with_nothing_recorded_under_a_span_records_what_it_records_as_a_root() {
    let (_, alone) = capture(leaf);
    let (_, nested) = capture(calls_leaf);
    assert_eq!(recorded(alone.get("leaf")), recorded(nested.get("leaf")));
    nested.assert_child_of("leaf", "calls_leaf");
    let (leaf, parent) = (nested.get("leaf").data(), nested.get("calls_leaf").data());
    assert_eq!(leaf.span_context.trace_id(), parent.span_context.trace_id());
    assert!(leaf.span_context.is_sampled());
    assert!(parent.start_time <= leaf.start_time && leaf.start_time <= leaf.end_time);
    assert!(leaf.end_time <= parent.end_time);
}

#[trace_operation]
fn opens_a_capture_inside() -> (u32, tracekit::testing::Spans) {
    capture(leaf)
}

#[test]
fn a_capture_opened_inside_a_call_takes_the_calls_made_in_it() {
    let ((value, inner), outer) = capture(opens_a_capture_inside);
    assert_eq!(value, 7);
    assert_eq!(inner.names(), ["leaf"]);
    assert_eq!(outer.names(), ["opens_a_capture_inside"]);
    let parent = outer.get("opens_a_capture_inside");
    assert_eq!(inner.get("leaf").parent_span_id(), Some(parent.span_id()));
    assert_eq!(inner.get("leaf").trace_id(), parent.trace_id());
}

#[trace_operation]
fn under_another_context() -> SpanContext {
    // OpenTelemetry code makes a span current inside this call.
    let remote = SpanContext::new(
        TraceId::from(0x0af7651916cd43dd8448eb211c80319cu128),
        SpanId::from(0xb7ad6b7169203331u64),
        TraceFlags::SAMPLED,
        true,
        TraceState::NONE,
    );
    let _current = Context::current().with_remote_span_context(remote.clone()).attach();
    leaf();
    remote
}

#[test]
fn a_span_opentelemetry_code_made_current_inside_a_call_is_the_parent_of_the_next_call() {
    let (remote, spans) = capture(under_another_context);
    let leaf = spans.get("leaf");
    assert_eq!(leaf.trace_id(), remote.trace_id());
    assert_eq!(leaf.parent_span_id(), Some(remote.span_id()));
}

#[trace_operation]
fn returns_a_future() -> impl Future<Output = u32> {
    async { leaf() + 1 }
}

#[trace_operation]
fn builds_a_future() -> impl Future<Output = u32> {
    returns_a_future()
}

#[test]
fn a_call_that_returns_a_future_under_a_span_goes_on_with_the_future() {
    let (value, spans) = capture(|| {
        let future = builds_a_future();
        futures_executor_lite(future)
    });
    assert_eq!(value, 8);
    spans.assert_child_of("returns_a_future", "builds_a_future");
    spans.assert_child_of("leaf", "returns_a_future");
    assert!(spans.get("returns_a_future").duration() >= spans.get("leaf").duration());
}

/// Polls `future` to its end on this thread.
fn futures_executor_lite<F: Future>(future: F) -> F::Output {
    let waker = std::task::Waker::noop();
    let mut task = std::task::Context::from_waker(waker);
    let mut future = std::pin::pin!(future);
    loop {
        if let std::task::Poll::Ready(value) = future.as_mut().poll(&mut task) {
            return value;
        }
    }
}

#[trace_operation]
fn on_another_thread() -> u32 {
    leaf()
}

#[trace_operation]
fn hands_work_to_a_thread() -> u32 {
    tracekit::context::spawn(on_another_thread).join().expect("the thread ends")
}

#[test]
fn a_call_on_a_thread_spawned_from_a_call_is_its_child() {
    let (value, spans) = capture(hands_work_to_a_thread);
    assert_eq!(value, 7);
    spans.assert_child_of("on_another_thread", "hands_work_to_a_thread");
    spans.assert_child_of("leaf", "on_another_thread");
}

/// The two ends of a call that waits: it says it started, then waits to be let go.
struct Gate {
    started: std::sync::mpsc::Sender<()>,
    release: std::sync::mpsc::Receiver<()>,
}

#[trace_operation]
fn waits(gate: Gate) {
    gate.started.send(()).expect("the test waits for the start");
    let _ = gate.release.recv();
}

#[trace_operation]
fn starts_waiting(gate: Gate) {
    waits(gate);
}

#[test]
fn a_capture_names_the_calls_still_running_when_it_returns() {
    let (release, waiting) = std::sync::mpsc::channel();
    let (started, has_started) = std::sync::mpsc::channel();
    let gate = Gate { started, release: waiting };
    let (thread, spans) = capture(|| {
        let thread = tracekit::context::spawn(move || starts_waiting(gate));
        has_started.recv().expect("the call starts");
        thread
    });
    let failure = std::panic::catch_unwind(|| spans.get("waits").name().to_owned()).expect_err("not ended");
    let message = failure.downcast_ref::<String>().expect("a message");
    assert!(message.contains(r#"["starts_waiting", "waits"]"#), "{message}");
    release.send(()).expect("the thread waits");
    thread.join().expect("the thread ends");
}

#[tracekit::trace_async(include_args, include_result, kind = "client")]
async fn fetch(id: u64) -> Result<u64, Declined> {
    if id > 10 {
        return Err(Declined);
    }
    Ok(id)
}

#[trace_operation]
fn fetches(id: u64) -> Result<u64, Declined> {
    futures_executor_lite(fetch(id))
}

#[test]
fn an_async_call_under_a_span_records_what_the_same_call_as_a_root_records() {
    for id in [3, 30] {
        let (_, alone) = capture(|| futures_executor_lite(fetch(id)));
        let (_, nested) = capture(|| fetches(id));
        assert_eq!(recorded(alone.get("fetch")), recorded(nested.get("fetch")), "{id}");
        nested.assert_child_of("fetch", "fetches");
        let (fetch, parent) = (nested.get("fetch"), nested.get("fetches"));
        assert_eq!(fetch.trace_id(), parent.trace_id());
        assert_eq!(fetch.i64_attribute("arg.id"), Some(id as i64));
        assert_eq!(fetch.is_error(), id > 10);
        assert!(fetch.data().span_context.is_sampled());
    }
}

#[tracekit::trace_async]
async fn waits_forever() {
    std::future::pending::<()>().await;
}

#[trace_operation]
fn polls_once_and_drops() {
    let mut future = std::pin::pin!(waits_forever());
    let mut context = std::task::Context::from_waker(std::task::Waker::noop());
    assert!(future.as_mut().poll(&mut context).is_pending());
}

#[test]
fn an_async_call_under_a_span_dropped_unfinished_ends_cancelled_under_it() {
    let ((), spans) = capture(polls_once_and_drops);
    spans.assert_child_of("waits_forever", "polls_once_and_drops");
    assert_eq!(spans.get("waits_forever").bool_attribute("tracekit.cancelled"), Some(true));
}
