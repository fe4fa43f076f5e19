//! The process-wide installation: configuration → tracer provider →
//! exporter, and the guard that shuts it down.

use crate::config::{Config, Exporter};
use crate::dispatch::{self, RecorderToken};
use crate::error::InitError;
use crate::exporter::{ConsoleExporter, MemoryExporter, SpanStore};
use crate::render::Style;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry::InstrumentationScope;
use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider};
use opentelemetry_sdk::Resource;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

struct Installed {
    /// Which installation this is, so that a guard outliving its own
    /// installation (after an explicit `shutdown()`) cannot end a later one.
    generation: u64,
    /// `None` when installed disabled: nothing records, but a second
    /// installation is still refused.
    provider: Option<SdkTracerProvider>,
    store: Option<SpanStore>,
    _token: Option<RecorderToken>,
}

static INSTALLED: Mutex<Option<Installed>> = Mutex::new(None);
static GENERATION: AtomicU64 = AtomicU64::new(0);

fn installed() -> MutexGuard<'static, Option<Installed>> {
    INSTALLED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Keeps tracing installed; dropping it flushes every pending span and
/// shuts tracing down, as [`shutdown`] does.
///
/// ```
/// let guard = tracekit::Config::new().exporter(tracekit::Exporter::None).install().unwrap();
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

pub(crate) fn install(config: Config) -> Result<TracingGuard, InitError> {
    let mut slot = installed();
    if slot.is_some() {
        return Err(InitError::AlreadyInitialized);
    }
    let generation = GENERATION.fetch_add(1, Ordering::Relaxed);
    *slot = Some(if config.is_recording() {
        let (provider, store) = build_provider(&config);
        dispatch::set_global_tracer(Some(tracer(&provider)));
        Installed {
            generation,
            provider: Some(provider),
            store,
            _token: Some(RecorderToken::acquire()),
        }
    } else {
        Installed {
            generation,
            provider: None,
            store: None,
            _token: None,
        }
    });
    Ok(TracingGuard { generation })
}

/// Flushes every pending span and uninstalls tracing; a later
/// [`init`](crate::init) may install it again. Does nothing when tracing is
/// not installed.
///
/// ```
/// let _guard = tracekit::Config::new().exporter(tracekit::Exporter::None).install().unwrap();
/// tracekit::shutdown();
/// ```
pub fn shutdown() {
    uninstall(None);
}

/// Uninstalls the current installation, or only the given one.
fn uninstall(generation: Option<u64>) {
    let installed = {
        let mut slot = installed();
        match &*slot {
            Some(current)
                if generation.is_none_or(|generation| generation == current.generation) =>
            {
                slot.take()
            }
            _ => None,
        }
    };
    let Some(installed) = installed else { return };
    dispatch::set_global_tracer(None);
    if let Some(provider) = installed.provider {
        // Errors here mean the exporter was shut down already; nothing is left to flush.
        let _ = provider.shutdown();
    }
}

/// The spans kept by [`Exporter::InMemory`], if that is what is installed.
pub(crate) fn memory_store() -> Option<SpanStore> {
    installed()
        .as_ref()
        .and_then(|installed| installed.store.clone())
}

fn build_provider(config: &Config) -> (SdkTracerProvider, Option<SpanStore>) {
    let resource = Resource::builder()
        .with_service_name(service_name(config))
        .build();
    let builder = SdkTracerProvider::builder().with_resource(resource);
    match config.exporter {
        Exporter::Console => {
            let exporter = match &config.console_writer {
                Some(writer) => ConsoleExporter::new(
                    config.console_format,
                    Style::PLAIN,
                    Box::new(writer.clone()),
                ),
                None => ConsoleExporter::new(
                    config.console_format,
                    Style::for_stderr(),
                    Box::new(std::io::stderr()),
                ),
            };
            (builder.with_simple_exporter(exporter).build(), None)
        }
        Exporter::InMemory => {
            let store = SpanStore::default();
            (
                builder
                    .with_simple_exporter(MemoryExporter::new(store.clone()))
                    .build(),
                Some(store),
            )
        }
        Exporter::None => unreachable!("a configuration that records nothing builds no provider"),
    }
}

pub(crate) fn tracer(provider: &SdkTracerProvider) -> SdkTracer {
    provider.tracer_with_scope(
        InstrumentationScope::builder("tracekit")
            .with_version(env!("CARGO_PKG_VERSION"))
            .build(),
    )
}

/// The configured name, else the executable's file name: more useful in a
/// backend than the SDK's `unknown_service`.
fn service_name(config: &Config) -> String {
    config.service_name.clone().unwrap_or_else(|| {
        std::env::current_exe()
            .ok()
            .and_then(|path| {
                path.file_stem()
                    .map(|stem| stem.to_string_lossy().into_owned())
            })
            .unwrap_or_else(|| "unknown_service".to_owned())
    })
}
