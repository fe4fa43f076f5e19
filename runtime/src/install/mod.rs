//! The process-wide installation: a configuration built into a pipeline
//! and its exporter, made the process's backend, and the guard that shuts
//! it down.

mod provider;
mod resource;
mod settings;

use crate::error::InitError;
use crate::export::SpanStore;
use crate::facade::dispatch::{self, BackendToken};
use crate::support::locks::recover;
use provider::Provider;
pub(crate) use settings::Settings;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

struct Installation {
    /// Which installation this is, so that a guard outliving its own
    /// installation (after an explicit `shutdown()`) cannot end a later one.
    generation: u64,
    /// `None` when installed disabled: nothing records, but a second
    /// installation is still refused.
    provider: Option<Provider>,
    #[cfg_attr(not(feature = "testing"), allow(dead_code, reason = "read by `testing`"))]
    store: Option<SpanStore>,
    #[cfg(feature = "metrics")]
    metrics: Option<crate::metrics::Metrics>,
    _token: Option<BackendToken>,
}

static INSTALLATION: Mutex<Option<Installation>> = Mutex::new(None);
/// How many installations there have been: each one's `generation`.
static INSTALLATIONS: AtomicU64 = AtomicU64::new(0);

fn installation() -> MutexGuard<'static, Option<Installation>> {
    recover(INSTALLATION.lock())
}

/// Keeps tracing installed; dropping it flushes every pending span and
/// shuts tracing down, as [`shutdown`] does.
///
/// ```
/// let guard = tracekit::Config::new().exporters(&[tracekit::Exporter::None]).install().unwrap();
/// drop(guard); // flushed and shut down
/// ```
#[must_use = "tracing shuts down when the guard is dropped; bind it with `let _guard = ..`"]
#[derive(Debug)]
pub struct TracingGuard {
    generation: u64,
}

impl Drop for TracingGuard {
    fn drop(&mut self) {
        uninstall(Some(self.generation));
    }
}

/// Builds `config` and makes it the process's backend.
pub(crate) fn install(config: Settings) -> Result<TracingGuard, InitError> {
    let mut slot = installation();
    if slot.is_some() {
        return Err(InitError::AlreadyInitialized);
    }
    let generation = INSTALLATIONS.fetch_add(1, Ordering::Relaxed);
    crate::propagation::set(config.propagators.as_deref());
    // With tracing off, a service in the middle of a chain still carries
    // the trace on, so that the services around it keep theirs whole.
    let propagates = config.propagators.as_deref().is_none_or(|propagators| !propagators.is_empty());
    crate::propagation::set_passes_through(propagates && !config.is_recording());
    crate::facade::stack::mirror(config.opentelemetry_context);
    if let Some(level) = config.log_level {
        crate::support::diagnostics::set_level(level);
    }
    crate::support::text::set_limit(config.limits.attribute_value_length);
    // Metrics first: a port that cannot be served is an error before any
    // span is recorded.
    #[cfg(feature = "metrics")]
    let metrics = match config.enabled && !config.metrics.exporters.is_empty() {
        true => Some(crate::metrics::Metrics::start(
            &config.metrics,
            &resource::build(&config),
            config.console.writer.clone().map(|writer| Box::new(writer) as Box<dyn std::io::Write + Send>),
        )?),
        false => None,
    };
    #[cfg(feature = "metrics")]
    let metered = metrics.is_some();
    #[cfg(not(feature = "metrics"))]
    let metered = false;
    let (provider, store) = if config.is_recording() {
        let (provider, store) = match provider::provider(&config) {
            Ok(built) => built,
            Err(error) => {
                #[cfg(feature = "metrics")]
                if let Some(metrics) = metrics {
                    metrics.shutdown();
                }
                return Err(error);
            }
        };
        dispatch::set_installed(Some(provider.backend()));
        (Some(provider), store)
    } else {
        (None, None)
    };
    // Annotated calls leave the one cheap check while anything records:
    // spans, or durations for the metrics.
    let token = (provider.is_some() || metered).then(BackendToken::acquire);
    *slot = Some(Installation {
        generation,
        provider,
        store,
        #[cfg(feature = "metrics")]
        metrics,
        _token: token,
    });
    Ok(TracingGuard { generation })
}

/// Exports every span finished so far, now rather than at the next
/// scheduled export, and waits for it: before `std::process::exit`, at the
/// end of a serverless invocation, or in a test. Waits at most the export
/// timeout; returns `false` if that ran out. Spans that could not be
/// delivered are counted in [`export_stats`](crate::export_stats).
///
/// ```
/// let _guard = tracekit::Config::new().exporters(&[tracekit::Exporter::InMemory]).install().unwrap();
/// tracekit::span("job").in_scope(|| ());
/// assert!(tracekit::flush());
/// ```
pub fn flush() -> bool {
    // Flushing can take a while: not under the installation's lock.
    let provider = installation().as_ref().and_then(|installed| installed.provider.clone());
    let flushed = provider.is_none_or(|provider| provider.flush());
    #[cfg(feature = "metrics")]
    let flushed = {
        let metrics = installation().as_ref().and_then(|installed| Some(installed.metrics.as_ref()?.provider()));
        metrics.is_none_or(|metrics| metrics.force_flush().is_ok()) && flushed
    };
    flushed
}

/// Flushes every pending span and uninstalls tracing; a later
/// [`init`](crate::init) may install it again. Does nothing when tracing is
/// not installed.
///
/// ```
/// let _guard = tracekit::Config::new().exporters(&[tracekit::Exporter::None]).install().unwrap();
/// tracekit::shutdown();
/// ```
pub fn shutdown() {
    uninstall(None);
}

/// Uninstalls the current installation, or only the given one.
fn uninstall(generation: Option<u64>) {
    let installed = {
        let mut slot = installation();
        match &*slot {
            Some(current) if generation.is_none_or(|generation| generation == current.generation) => slot.take(),
            _ => None,
        }
    };
    let Some(installed) = installed else { return };
    crate::annotated::performance::say_held_back();
    dispatch::set_installed(None);
    crate::propagation::set(None);
    crate::propagation::set_passes_through(false);
    crate::facade::stack::mirror(false);
    crate::support::text::set_limit(None);
    if let Some(provider) = installed.provider {
        provider.close();
    }
    #[cfg(feature = "metrics")]
    if let Some(metrics) = installed.metrics {
        metrics.shutdown();
    }
}

/// The spans kept by [`Exporter::InMemory`], if that is what is installed.
#[cfg(feature = "testing")]
pub(crate) fn memory_store() -> Option<SpanStore> {
    installation().as_ref().and_then(|installed| installed.store.clone())
}
