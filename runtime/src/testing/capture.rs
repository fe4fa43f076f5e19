use super::Spans;
use crate::dispatch::{CaptureTracer, RecorderToken};
use crate::exporter::{MemoryExporter, SpanStore};
use opentelemetry::context::FutureExt as _;
use opentelemetry::Context;
use opentelemetry_sdk::trace::SdkTracerProvider;
use std::future::Future;

/// Runs `f` and returns its value with the spans that finished inside it.
///
/// Spans go to a tracer of the capture's own, carried in the OpenTelemetry
/// `Context`; spans on other threads or tasks are captured too when they run
/// under that context (see `opentelemetry::context::FutureExt`).
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
    provider: SdkTracerProvider,
    store: SpanStore,
    _token: RecorderToken,
}

impl Session {
    fn start() -> Session {
        let store = SpanStore::default();
        let provider = SdkTracerProvider::builder().with_simple_exporter(MemoryExporter::new(store.clone())).build();
        let tracer = crate::install::tracer(&provider);
        Session {
            cx: Context::current().with_value(CaptureTracer(tracer)),
            provider,
            store,
            _token: RecorderToken::acquire(),
        }
    }

    fn finish(self) -> Spans {
        // The simple processor exports as each span ends; nothing is pending.
        let spans = self.store.take();
        let _ = self.provider.shutdown();
        Spans::new(spans)
    }
}
