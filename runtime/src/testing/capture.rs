use super::Spans;
use crate::export::{MemoryExporter, SpanStore};
use crate::facade::dispatch::{BackendToken, CaptureBackend};
use crate::pipeline::{KeepPolicy, Pipeline, Processor, Sampler, SpanLimitSettings};
use opentelemetry::context::FutureExt as _;
use opentelemetry::Context;
use opentelemetry_sdk::trace::SimpleSpanProcessor;
use std::future::Future;
use std::sync::Arc;

/// Runs `f` and returns its value with the spans that finished inside it.
///
/// Spans go to a pipeline of the capture's own; spans on other threads or
/// tasks are captured too when they carry the current span there
/// ([`CarrySpan`](crate::CarrySpan), [`context::carry_current_span`](crate::context::carry_current_span)),
/// or the OpenTelemetry `Context`, in which the capture travels.
///
/// ```
/// #[tracekit::trace_operation(include_args)]
/// fn double(x: i64) -> i64 { x * 2 }
///
/// let (value, spans) = tracekit::testing::capture(|| double(21));
/// assert_eq!(value, 42);
/// assert_eq!(spans.get("double").i64_attribute("arg.x"), Some(21));
/// ```
pub fn capture<R>(f: impl FnOnce() -> R) -> (R, Spans) {
    Capture::new().run(f)
}

/// Awaits `future` and returns its output with the spans that finished
/// while it ran.
///
/// ```
/// #[tracekit::trace_async]
/// async fn fetch() -> u8 { 7 }
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let (value, spans) = tracekit::testing::capture_async(fetch()).await;
/// assert_eq!(value, 7);
/// assert_eq!(spans.len(), 1);
/// # });
/// ```
pub async fn capture_async<F: Future>(future: F) -> (F::Output, Spans) {
    Capture::new().run_async(future).await
}

/// A capture with a sampler and a keep policy of its own: what
/// [`capture`] does, with the sampling a program configures.
///
/// ```
/// use tracekit::{testing::Capture, KeepPolicy, Sampler};
///
/// #[tracekit::trace_operation]
/// fn charge(amount: u32) -> Result<u32, String> {
///     if amount > 100 { Err("over the limit".into()) } else { Ok(amount) }
/// }
///
/// // Head sampling drops every trace; the policy keeps the failed one.
/// let capture = Capture::new().sampler(Sampler::AlwaysOff).keep(KeepPolicy::new().errors());
/// let (_, spans) = capture.clone().run(|| charge(5));
/// assert!(spans.is_empty());
/// let (_, spans) = capture.run(|| charge(500));
/// assert_eq!(spans.get("charge").kept_by(), Some("error"));
/// ```
#[derive(Clone, Debug)]
pub struct Capture {
    sampler: Sampler,
    keep: KeepPolicy,
}

impl Default for Capture {
    fn default() -> Self {
        Capture::new()
    }
}

impl Capture {
    /// Every span recorded (`parentbased_always_on`), no keep policy: what
    /// [`capture`] uses.
    ///
    /// ```
    /// let ((), spans) = tracekit::testing::Capture::new().run(|| tracekit::span("job").in_scope(|| ()));
    /// assert_eq!(spans.names(), ["job"]);
    /// ```
    pub fn new() -> Self {
        Capture { sampler: Sampler::ParentBasedAlwaysOn, keep: KeepPolicy::new() }
    }

    /// Samples as `sampler` does.
    ///
    /// ```
    /// use tracekit::{testing::Capture, Sampler};
    /// let ((), spans) = Capture::new().sampler(Sampler::AlwaysOff).run(|| tracekit::span("job").in_scope(|| ()));
    /// assert!(spans.is_empty());
    /// ```
    pub fn sampler(mut self, sampler: Sampler) -> Self {
        self.sampler = sampler;
        self
    }

    /// Keeps what head sampling drops as `policy` says.
    ///
    /// ```
    /// use tracekit::{testing::Capture, KeepPolicy, Sampler};
    /// let capture = Capture::new().sampler(Sampler::AlwaysOff).keep(KeepPolicy::new().errors());
    /// # let _ = capture;
    /// ```
    pub fn keep(mut self, policy: KeepPolicy) -> Self {
        self.keep = policy;
        self
    }

    /// Runs `f` and returns its value with the spans that finished inside
    /// it; local traces still open when it returns are decided then.
    ///
    /// ```
    /// let (n, spans) = tracekit::testing::Capture::new().run(|| tracekit::span("job").in_scope(|| 3));
    /// assert_eq!((n, spans.len()), (3, 1));
    /// ```
    pub fn run<R>(self, f: impl FnOnce() -> R) -> (R, Spans) {
        let session = Session::start(self);
        let value = {
            let _attached = session.cx.clone().attach();
            f()
        };
        (value, session.finish())
    }

    /// Awaits `future` and returns its output with the spans that finished
    /// while it ran.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let (n, spans) = tracekit::testing::Capture::new().run_async(async { 3 }).await;
    /// assert_eq!((n, spans.len()), (3, 0));
    /// # });
    /// ```
    pub async fn run_async<F: Future>(self, future: F) -> (F::Output, Spans) {
        let session = Session::start(self);
        let value = future.with_context(session.cx.clone()).await;
        (value, session.finish())
    }
}

struct Session {
    cx: Context,
    pipeline: Arc<Pipeline>,
    store: SpanStore,
    _token: BackendToken,
}

impl Session {
    fn start(settings: Capture) -> Session {
        let store = SpanStore::default();
        // The SDK's limits, as a provider built with no configuration has.
        let pipeline = Pipeline::for_capture(
            vec![Processor::Simple(Box::new(SimpleSpanProcessor::new(MemoryExporter::new(store.clone()))))],
            settings.sampler,
            &settings.keep,
            &SpanLimitSettings::default(),
        );
        Session {
            cx: Context::current().with_value(CaptureBackend::new(pipeline.clone())),
            pipeline,
            store,
            _token: BackendToken::acquire(),
        }
    }

    fn finish(self) -> Spans {
        // The simple processor processors as each span ends; only local traces
        // still open are decided, and exported if kept, at shutdown.
        let unfinished = self.pipeline.unfinished();
        let _ = self.pipeline.shutdown(std::time::Duration::from_secs(5));
        Spans::new(self.store.take()).with_unfinished(unfinished)
    }
}
