//! Where spans go: the backend of the enclosing test capture, or the one
//! installed for the process. Also the single check that keeps annotated
//! calls cheap while nothing records.
//!
//! The facade knows backends only through [`Backend`], so that a library
//! compiled without the SDK-backed pipeline records into whichever pipeline
//! the program that links it installs.

use super::live::{Lane, RootLane};
use super::open::{OpenSpan, SpanStart};
use super::recorder::Recorder;
use super::stack::Parent;
use crate::support::installed::{Installed, ThreadCopy};
use opentelemetry::trace::{SpanContext, TraceId};
use opentelemetry::Context;
use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

/// What records spans: a pipeline tracekit built (for an installation or a
/// test capture), or the SDK tracer of a provider the program gave.
pub(crate) trait Backend: Send + Sync + 'static {
    /// Whether a span under the span of `parent` (invalid for a root) is
    /// certain not to be recorded, decided on borrowed ids before anything
    /// is built.
    fn skips(&self, parent: &SpanContext) -> bool;

    /// Starts a span under `parent` (which [`Backend::skips`] let through);
    /// `record` runs only for a span that is recorded.
    fn start(&self, parent: &Parent, start: SpanStart, record: &mut dyn FnMut(&mut Recorder)) -> OpenSpan;

    /// The span that [`Backend::skips`] makes current when it is its
    /// process's first under `parent` (a root, or the child of a remote
    /// span): a span of its own that is not recorded, so that what is sent
    /// on names this process's span, unsampled. `None`: the parent's. Made
    /// here whole, not from ids handed back: each move of the ids through
    /// the caller's layers waited on their write.
    fn not_recorded(&self, parent: &SpanContext) -> Option<OpenSpan> {
        let _ = parent;
        None
    }

    /// The ids of [`Backend::not_recorded`]'s span, written into `ids` (a
    /// call's, in its box); `false`, with `ids` as they were, where the
    /// backend makes no span of its own.
    fn set_not_recorded_ids(&self, parent: &SpanContext, ids: &mut SpanContext) -> bool {
        let _ = (parent, ids);
        false
    }

    /// Whether the backend decides every root without building anything
    /// (no keep policy; a sampler that samples every root, none, or decides
    /// by the trace id alone), so that it has a lane for roots to set
    /// ([`set_root_lane`](Backend::set_root_lane)).
    #[cfg_attr(not(feature = "pipeline"), allow(dead_code, reason = "asked when a pipeline is installed"))]
    fn has_root_lane(&self) -> bool {
        false
    }

    /// Sets `lane` (a call's box's, as the call before left it) to the lane
    /// a synchronous call with no parent at all starts on, as the root of a
    /// new trace, when the backend [has one](Backend::has_root_lane), and
    /// says how a root on it is decided and counted. `None`: the backend
    /// starts each root itself.
    fn set_root_lane(&self, _lane: &mut Option<Lane>) -> Option<RootLane> {
        None
    }

    /// Whether a root on the lane for roots that is [decided by its trace
    /// id](super::live::RootDecision::ByTraceId) is sampled, in the trace
    /// `trace_id` drawn for it; the decision is counted.
    fn samples_root(&self, _trace_id: TraceId) -> bool {
        true
    }
}

/// How many backends exist: the installed one plus live captures.
static BACKENDS: AtomicUsize = AtomicUsize::new(0);

/// The installed backend; each thread reads its own copy, so that a span
/// costs no lock.
static INSTALLED_BACKEND: Installed<dyn Backend> = Installed::new();

thread_local! {
    static CACHED: RefCell<ThreadCopy<dyn Backend>> = const { RefCell::new(ThreadCopy::new()) };
}

/// A capture's backend, carried in the `Context` so that spans made on other
/// threads or tasks under that context reach the same capture.
#[derive(Clone)]
pub(crate) struct CaptureBackend(Arc<dyn Backend>);

/// Whether a test capture was ever made in this process. Until one is, no
/// `Context` carries one, and a span's start does not look for it there.
/// Relaxed is enough: a `Context` that carries a capture reaches a thread
/// only through what orders the capture's making before it (a spawn, a
/// channel, a lock).
static CAPTURE_MADE: AtomicBool = AtomicBool::new(false);

impl CaptureBackend {
    /// The backend of a test capture, to carry in a `Context`.
    #[cfg(feature = "testing")]
    pub(crate) fn new(backend: Arc<dyn Backend>) -> Self {
        CAPTURE_MADE.store(true, Ordering::Relaxed);
        CaptureBackend(backend)
    }

    /// The capture by address, to tell captures apart.
    pub(crate) fn key(&self) -> usize {
        Arc::as_ptr(&self.0) as *const () as usize
    }
}

/// The test capture `cx` carries, if any; one load while no capture was
/// ever made.
#[inline(always)]
pub(crate) fn capture_in(cx: &Context) -> Option<&CaptureBackend> {
    match CAPTURE_MADE.load(Ordering::Relaxed) {
        true => cx.get::<CaptureBackend>(),
        false => None,
    }
}

/// The hot-path check: false means no span can be recorded anywhere.
#[inline(always)]
pub(crate) fn is_active() -> bool {
    BACKENDS.load(Ordering::Relaxed) != 0
}

/// Counts one backend for as long as the value lives.
#[cfg(feature = "pipeline")]
pub(crate) struct BackendToken(());

#[cfg(feature = "pipeline")]
impl BackendToken {
    pub(crate) fn acquire() -> Self {
        crate::support::panic::install_hook();
        BACKENDS.fetch_add(1, Ordering::Relaxed);
        BackendToken(())
    }
}

#[cfg(feature = "pipeline")]
impl Drop for BackendToken {
    fn drop(&mut self) {
        BACKENDS.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Whether the installed backend [has a lane for roots](Backend::has_root_lane):
/// a root call under no test capture asks it for that lane only then, so
/// that a root it skips costs one look at the backend, as before.
static INSTALLED_ROOT_LANE: AtomicBool = AtomicBool::new(false);

/// Makes `backend` the process's, or removes it.
#[cfg(feature = "pipeline")]
pub(crate) fn set_installed(backend: Option<Arc<dyn Backend>>) {
    // A thread that reads the old value meanwhile only asks in vain, or
    // starts a root through the backend.
    INSTALLED_ROOT_LANE.store(backend.as_ref().is_some_and(|backend| backend.has_root_lane()), Ordering::Relaxed);
    INSTALLED_BACKEND.set(backend);
}

/// Whether a root call under `capture` may start on a lane: the installed
/// backend has one, or a capture is current (its backend is asked).
pub(crate) fn may_have_root_lane(capture: Option<&CaptureBackend>) -> bool {
    capture.is_some() || INSTALLED_ROOT_LANE.load(Ordering::Relaxed)
}

/// Sets `lane` to the lane of a root call under `capture`, if its backend
/// has one (see [`Backend::set_root_lane`]).
pub(crate) fn set_root_lane(capture: Option<&CaptureBackend>, lane: &mut Option<Lane>) -> Option<RootLane> {
    with_backend(capture, |backend| backend.set_root_lane(lane)).flatten()
}

/// Which installation (or its absence) is the process's now: a number that
/// changes each time a backend is installed or removed.
pub(crate) fn installation() -> u64 {
    INSTALLED_BACKEND.version()
}

/// Whether the backend of a root call under `capture` samples it, in the
/// trace `trace_id` (see [`Backend::samples_root`]).
pub(crate) fn samples_root(capture: Option<&CaptureBackend>, trace_id: TraceId) -> bool {
    with_backend(capture, |backend| backend.samples_root(trace_id)).unwrap_or(false)
}

/// Runs `f` with the installed backend, if any.
fn with_installed<R>(f: impl FnOnce(&Arc<dyn Backend>) -> R) -> Option<R> {
    let mut f = Some(f);
    let cached = CACHED.try_with(|cached| {
        if cached.borrow().is_stale(&INSTALLED_BACKEND) {
            // Refreshed only when the installation changed; a span started
            // while another thread's refresh is under way takes the lock below.
            cached.try_borrow_mut().ok()?.refresh(&INSTALLED_BACKEND);
        }
        // A shared borrow: a span started from inside `f` reads the same copy.
        let cached = cached.try_borrow().ok()?;
        Some(cached.value().and_then(|installed| f.take().map(|f| f(installed))))
    });
    match cached {
        Ok(Some(result)) => result,
        // A thread being torn down, or the copy busy being refreshed.
        _ => f.and_then(|f| INSTALLED_BACKEND.read().map(|installed| f(&installed))),
    }
}

/// A context given as a parent (extracted from a request, say) has no
/// capture backend of its own: it joins the capture that is current, so that
/// spans continuing a remote trace inside a test are still captured.
pub(crate) fn adopt(given: Context) -> Context {
    if capture_in(&given).is_some() {
        return given;
    }
    match Context::map_current(|current| capture_in(current).cloned()) {
        Some(capture) => given.with_value(capture),
        None => given,
    }
}

/// Runs `f` with the backend that applies: the capture's, if any, else the
/// installed one; `None` when there is neither.
pub(crate) fn with_backend<R>(capture: Option<&CaptureBackend>, f: impl FnOnce(&dyn Backend) -> R) -> Option<R> {
    match capture {
        Some(CaptureBackend(capture)) => Some(f(&**capture)),
        None => with_installed(|installed| f(&**installed)),
    }
}
