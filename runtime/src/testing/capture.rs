use super::Spans;
use crate::export::{MemoryExporter, SpanStore};
use crate::facade::dispatch::{BackendToken, CaptureBackend};
use crate::pipeline::{Export, Limits, Pipeline, Sampler};
use opentelemetry::context::FutureExt as _;
use opentelemetry::Context;
use opentelemetry_sdk::trace::SimpleSpanProcessor;
use std::future::Future;
use std::sync::Arc;

/// Runs `f` and returns its value with the spans that finished inside it.
///
/// Spans go to a pipeline of the capture's own; spans on other threads or
/// tasks are captured too when they carry the current span there
/// ([`Instrument`](crate::Instrument), [`context::in_current_span`](crate::context::in_current_span)),
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
    let session = Session::start();
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
    let session = Session::start();
    let value = future.with_context(session.cx.clone()).await;
    (value, session.finish())
}

struct Session {
    cx: Context,
    pipeline: Arc<Pipeline>,
    store: SpanStore,
    _token: BackendToken,
}

impl Session {
    fn start() -> Session {
        let store = SpanStore::default();
        // The SDK's defaults, as a provider built with no configuration has.
        let pipeline = Pipeline::for_capture(
            vec![Export::EachSpan(Box::new(SimpleSpanProcessor::new(MemoryExporter::new(store.clone()))))],
            Sampler::ParentBasedAlwaysOn,
            &Limits::default(),
        );
        Session {
            cx: Context::current().with_value(CaptureBackend(pipeline.clone())),
            pipeline,
            store,
            _token: BackendToken::acquire(),
        }
    }

    fn finish(self) -> Spans {
        // The simple processor exports as each span ends; nothing is pending.
        let spans = self.store.take();
        let unfinished = self.pipeline.unfinished();
        let _ = self.pipeline.shutdown(std::time::Duration::from_secs(5));
        Spans::new(spans).with_unfinished(unfinished)
    }
}
