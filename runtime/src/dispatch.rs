//! Where spans go: the tracer of the enclosing test capture, or the one
//! installed by `init`. Also the single check that keeps annotated calls
//! cheap while nothing records.

use crate::__private::Recorder;
use crate::open::{OpenSpan, SpanStart};
use crate::pipeline::Pipeline;
use opentelemetry::trace::{Span as _, SpanBuilder, TraceContextExt, Tracer as _};
use opentelemetry::Context;
use opentelemetry_sdk::trace::SdkTracer;
use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};

/// How many recorders exist: the installed tracer plus live captures.
static RECORDERS: AtomicUsize = AtomicUsize::new(0);

/// The installed tracer. Each thread keeps its own reference, checked
/// against `GENERATION`, so that a span costs no lock.
static GLOBAL: RwLock<Option<Arc<Installed>>> = RwLock::new(None);
static GENERATION: AtomicU64 = AtomicU64::new(0);

thread_local! {
    static CACHED: RefCell<Option<(u64, Option<Arc<Installed>>)>> = const { RefCell::new(None) };
}

/// The installed tracer.
pub(crate) struct Installed {
    pub(crate) tracer: Tracer,
}

/// What starts spans: a pipeline tracekit built, or the SDK tracer of a
/// provider the program gave (`Config::tracer_provider`).
pub(crate) enum Tracer {
    Pipeline(Arc<Pipeline>),
    Sdk(SdkTracer),
}

/// The sampler's decision when it can be known before building a span, so
/// that a span that will not be recorded costs no allocation. For samplers
/// tracekit did not configure (a user-built provider), nothing is assumed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Sampling {
    /// Decided by the SDK's sampler for each span.
    Unknown,
    /// Nothing is recorded.
    AlwaysOff,
    /// The parent's decision is followed; `roots_off`: spans without a
    /// parent are not recorded either.
    ParentBased { roots_off: bool },
}

impl Sampling {
    /// Whether a span under `parent` will certainly not be recorded.
    fn skips(self, parent: &Context) -> bool {
        match self {
            Sampling::Unknown => false,
            Sampling::AlwaysOff => true,
            Sampling::ParentBased { roots_off } => {
                let span = parent.span();
                let context = span.span_context();
                if context.is_valid() {
                    !context.is_sampled()
                } else {
                    roots_off
                }
            }
        }
    }
}

/// A capture's tracer, carried in the `Context` so that spans made on other
/// threads or tasks under that context reach the same capture.
pub(crate) struct CaptureTracer(pub(crate) Arc<Pipeline>);

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

pub(crate) fn set_global_tracer(tracer: Option<Tracer>) {
    let installed = tracer.map(|tracer| Arc::new(Installed { tracer }));
    *GLOBAL.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = installed;
    GENERATION.fetch_add(1, Ordering::Release);
}

/// Runs `f` with the installed tracer, if any.
fn with_global<R>(f: impl FnOnce(&Installed) -> R) -> Option<R> {
    let read_global = || GLOBAL.read().unwrap_or_else(|poisoned| poisoned.into_inner()).clone();
    let generation = GENERATION.load(Ordering::Acquire);
    let mut f = Some(f);
    let cached = CACHED.try_with(|cached| {
        if cached.borrow().as_ref().is_none_or(|(seen, _)| *seen != generation) {
            // Refreshed only when the installation changed; a span started
            // while another thread's refresh is under way takes the lock below.
            *cached.try_borrow_mut().ok()? = Some((generation, read_global()));
        }
        // A shared borrow: a span started from inside `f` reads the same cache.
        let cached = cached.try_borrow().ok()?;
        let installed = cached.as_ref().and_then(|(_, installed)| installed.as_deref());
        Some(installed.and_then(|installed| f.take().map(|f| f(installed))))
    });
    match cached {
        Ok(Some(result)) => result,
        // A thread being torn down, or the cache busy being refreshed.
        _ => f.and_then(|f| read_global().map(|installed| f(&installed))),
    }
}

/// A context given as a parent (extracted from a request, say) has no
/// capture tracer of its own: it joins the capture that is current, so that
/// spans continuing a remote trace inside a test are still captured.
pub(crate) fn adopt(given: Context) -> Context {
    if given.get::<CaptureTracer>().is_some() {
        return given;
    }
    match Context::map_current(|current| current.get::<CaptureTracer>().map(|capture| capture.0.clone())) {
        Some(pipeline) => given.with_value(CaptureTracer(pipeline)),
        None => given,
    }
}

/// Whether a span under `parent` is certain not to be recorded; checked on
/// the borrowed current context, before anything is cloned or built.
pub(crate) fn skips(parent: &Context) -> bool {
    if let Some(CaptureTracer(pipeline)) = parent.get::<CaptureTracer>() {
        return pipeline.known_decision().skips(parent);
    }
    with_global(|installed| match &installed.tracer {
        Tracer::Pipeline(pipeline) => pipeline.known_decision().skips(parent),
        // Nothing is assumed of a program's own sampler.
        Tracer::Sdk(_) => false,
    })
    .unwrap_or(true)
}

/// Starts a span under `parent` (which [`skips`] let through) with whichever
/// tracer applies. `record` runs only for a span that is recorded.
pub(crate) fn start_span(
    parent: &Context,
    mut start: SpanStart,
    record: impl FnOnce(&mut Recorder),
) -> Option<OpenSpan> {
    if let Some(CaptureTracer(pipeline)) = parent.get::<CaptureTracer>() {
        return Some(pipeline.start(parent, start, record));
    }
    with_global(|installed| match &installed.tracer {
        Tracer::Pipeline(pipeline) => pipeline.start(parent, start, record),
        Tracer::Sdk(tracer) => {
            let builder = SpanBuilder::from_name(std::mem::take(&mut start.name))
                .with_kind(start.kind.clone())
                .with_start_time(crate::clock::now())
                .with_attributes(start.attributes());
            let mut span = tracer.build_with_context(builder, parent);
            let recording = span.is_recording();
            Recorder::record_on(&mut span, record);
            OpenSpan { cx: parent.with_span(span), recording }
        }
    })
}
