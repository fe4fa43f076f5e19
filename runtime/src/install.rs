//! The process-wide installation: configuration → tracer provider →
//! exporter, and the guard that shuts it down.

use crate::config::{Config, Exporter};
use crate::dispatch::{self, RecorderToken, Tracer};
use crate::error::InitError;
use crate::exporter::{BatchProcessor, ConsoleExporter, MemoryExporter, OtlpExporter, SpanStore};
use crate::pipeline::{Export, Pipeline};
use crate::render::Style;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::{SdkTracerProvider, SimpleSpanProcessor, SpanLimits};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

struct Installed {
    /// Which installation this is, so that a guard outliving its own
    /// installation (after an explicit `shutdown()`) cannot end a later one.
    generation: u64,
    /// `None` when installed disabled: nothing records, but a second
    /// installation is still refused.
    provider: Option<Provider>,
    store: Option<SpanStore>,
    _token: Option<RecorderToken>,
}

static INSTALLED: Mutex<Option<Installed>> = Mutex::new(None);
static GENERATION: AtomicU64 = AtomicU64::new(0);

fn installed() -> MutexGuard<'static, Option<Installed>> {
    INSTALLED.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
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
    crate::propagation::set(config.propagators.as_deref());
    if let Some(level) = config.log_level {
        crate::diagnostics::set_level(level);
    }
    crate::text::set_limit(config.limits.attribute_value_length);
    *slot = Some(if config.is_recording() {
        let (provider, store) = build_provider(&config)?;
        dispatch::set_global_tracer(Some(provider.tracer()));
        Installed { generation, provider: Some(provider), store, _token: Some(RecorderToken::acquire()) }
    } else {
        Installed { generation, provider: None, store: None, _token: None }
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
/// let _guard = tracekit::Config::new().exporter(tracekit::Exporter::InMemory).install().unwrap();
/// tracekit::span("job").in_scope(|| ());
/// assert!(tracekit::flush());
/// ```
pub fn flush() -> bool {
    // Flushing can take a while: not under the installation's lock.
    let provider = installed().as_ref().and_then(|installed| installed.provider.clone());
    provider.is_none_or(|provider| provider.flush())
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
            Some(current) if generation.is_none_or(|generation| generation == current.generation) => slot.take(),
            _ => None,
        }
    };
    let Some(installed) = installed else { return };
    dispatch::set_global_tracer(None);
    crate::propagation::set(None);
    crate::text::set_limit(None);
    if let Some(provider) = installed.provider {
        provider.close();
    }
}

/// The spans kept by [`Exporter::InMemory`], if that is what is installed.
pub(crate) fn memory_store() -> Option<SpanStore> {
    installed().as_ref().and_then(|installed| installed.store.clone())
}

/// What an installation records into, and how to let go of it.
#[derive(Clone)]
enum Provider {
    /// Built by tracekit from the configuration, and shut down with it.
    Pipeline {
        pipeline: Arc<Pipeline>,
        /// How long shutdown may take: flushing waits at most this long for
        /// a collector, so a program never hangs on exit.
        shutdown_timeout: Duration,
    },
    /// A provider the program built stays the program's: flushed, not shut down.
    Program(SdkTracerProvider),
}

impl Provider {
    fn tracer(&self) -> Tracer {
        match self {
            Provider::Pipeline { pipeline, .. } => Tracer::Pipeline(pipeline.clone()),
            Provider::Program(provider) => Tracer::Sdk(provider.tracer_with_scope(crate::recorded_span::SCOPE.clone())),
        }
    }

    fn flush(&self) -> bool {
        match self {
            Provider::Pipeline { pipeline, .. } => pipeline.force_flush().is_ok(),
            Provider::Program(provider) => provider.force_flush().is_ok(),
        }
    }

    fn close(self) {
        // Errors mean spans could not be delivered in time, or the provider
        // was shut down already; the program goes on either way.
        match self {
            Provider::Pipeline { pipeline, shutdown_timeout } => {
                let _ = pipeline.shutdown(shutdown_timeout);
            }
            Provider::Program(provider) => {
                let _ = provider.force_flush();
            }
        }
    }
}

fn build_provider(config: &Config) -> Result<(Provider, Option<SpanStore>), InitError> {
    if let Some(provider) = &config.provider {
        return Ok((Provider::Program(provider.clone()), None));
    }
    let limits = SpanLimits {
        max_attributes_per_span: config.limits.attribute_count,
        max_events_per_span: config.limits.event_count,
        ..SpanLimits::default()
    };
    let resource = crate::resource::build(config);
    let value_length = config.limits.attribute_value_length;
    let pipeline = |export| Pipeline::new(export, config.sampler, limits, value_length, &resource);
    let mut store = None;
    let mut shutdown_timeout = Duration::from_secs(5);
    if let Some(given) = &config.span_exporter {
        let processor = given
            .start(config.batch.clone(), value_length)
            .ok_or_else(|| {
                InitError::Exporter("the exporter given to Config::span_exporter is installed already".into())
            })?
            .map_err(export_thread_error)?;
        let pipeline = pipeline(Export::Batch(processor));
        return Ok((Provider::Pipeline { pipeline, shutdown_timeout }, store));
    }
    let pipeline = match config.exporter {
        Exporter::Console => {
            let exporter = match &config.console_writer {
                Some(writer) => ConsoleExporter::new(config.console_format, Style::PLAIN, Box::new(writer.clone())),
                None => ConsoleExporter::new(config.console_format, Style::for_stderr(), Box::new(std::io::stderr())),
            };
            pipeline(Export::EachSpan(Box::new(SimpleSpanProcessor::new(exporter))))
        }
        Exporter::InMemory => {
            let memory = SpanStore::default();
            store = Some(memory.clone());
            pipeline(Export::EachSpan(Box::new(SimpleSpanProcessor::new(MemoryExporter::new(memory)))))
        }
        Exporter::Otlp => {
            let batch = &config.batch;
            let exporter = OtlpExporter::new(&config.otlp, batch.export_timeout)?;
            shutdown_timeout = batch.export_timeout.min(config.otlp.timeout) + Duration::from_secs(1);
            let destination = crate::config::otlp::shown_url(&config.otlp.url());
            let processor =
                BatchProcessor::new(exporter, batch.clone(), value_length, destination).map_err(export_thread_error)?;
            pipeline(Export::Batch(processor))
        }
        Exporter::None => unreachable!("a configuration that records nothing builds no provider"),
    };
    Ok((Provider::Pipeline { pipeline, shutdown_timeout }, store))
}

fn export_thread_error(error: std::io::Error) -> InitError {
    InitError::Exporter(format!("cannot start the export thread: {error}"))
}
