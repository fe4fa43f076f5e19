//! Where spans go: the tracer of the enclosing test capture, or the one
//! installed by `init`. Also the single check that keeps annotated calls
//! cheap while nothing records.

use opentelemetry::trace::{SpanBuilder, Tracer};
use opentelemetry::Context;
use opentelemetry_sdk::trace::{SdkTracer, Span as SdkSpan};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::RwLock;

/// How many recorders exist: the installed tracer plus live captures.
static RECORDERS: AtomicUsize = AtomicUsize::new(0);

static GLOBAL_TRACER: RwLock<Option<SdkTracer>> = RwLock::new(None);

/// A capture's tracer, carried in the `Context` so that spans made on other
/// threads or tasks under that context reach the same capture.
pub(crate) struct CaptureTracer(pub(crate) SdkTracer);

/// The hot-path check: false means no span can be recorded anywhere.
#[inline(always)]
pub(crate) fn is_active() -> bool {
    RECORDERS.load(Ordering::Relaxed) != 0
}

/// Counts one recorder for as long as the value lives.
pub(crate) struct RecorderToken(());

impl RecorderToken {
    pub(crate) fn acquire() -> Self {
        crate::panic::install_hook();
        RECORDERS.fetch_add(1, Ordering::Relaxed);
        RecorderToken(())
    }
}

impl Drop for RecorderToken {
    fn drop(&mut self) {
        RECORDERS.fetch_sub(1, Ordering::Relaxed);
    }
}

pub(crate) fn set_global_tracer(tracer: Option<SdkTracer>) {
    *GLOBAL_TRACER.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = tracer;
}

/// A context given as a parent (extracted from a request, say) has no
/// capture tracer of its own: it joins the capture that is current, so that
/// spans continuing a remote trace inside a test are still captured.
pub(crate) fn adopt(given: Context) -> Context {
    if given.get::<CaptureTracer>().is_some() {
        return given;
    }
    match Context::map_current(|current| current.get::<CaptureTracer>().map(|capture| capture.0.clone())) {
        Some(tracer) => given.with_value(CaptureTracer(tracer)),
        None => given,
    }
}

/// Starts a span under `parent` with whichever tracer applies, if any.
pub(crate) fn start_span(builder: SpanBuilder, parent: &Context) -> Option<SdkSpan> {
    if let Some(CaptureTracer(tracer)) = parent.get::<CaptureTracer>() {
        return Some(tracer.build_with_context(builder, parent));
    }
    let global = GLOBAL_TRACER.read().unwrap_or_else(|poisoned| poisoned.into_inner());
    global.as_ref().map(|tracer| tracer.build_with_context(builder, parent))
}
