//! The process-wide installation: configuration → tracer provider →
//! exporter, and the guard that shuts it down.

use crate::config::{Config, Exporter};
use crate::dispatch::{self, RecorderToken, Sampling};
use crate::error::InitError;
use crate::exporter::{BatchProcessor, ConsoleExporter, MemoryExporter, OtlpExporter, SpanStore, ValueLengthLimit};
use crate::render::Style;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry::InstrumentationScope;
use opentelemetry_sdk::trace::{
    SdkTracer, SdkTracerProvider, SimpleSpanProcessor, SpanProcessor, TracerProviderBuilder,
};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
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
    crate::text::set_limit(config.limits.attribute_value_length);
    *slot = Some(if config.is_recording() {
        let (provider, store) = build_provider(&config)?;
        dispatch::set_global_tracer(Some((tracer(&provider.provider), sampling(&config))));
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
    let provider = installed().as_ref().and_then(|installed| installed.provider.as_ref()).map(|p| p.provider.clone());
    provider.is_none_or(|provider| provider.force_flush().is_ok())
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

/// A tracer provider and how to let go of it.
struct Provider {
    provider: SdkTracerProvider,
    /// A provider the user built stays theirs: flushed, not shut down.
    owned: bool,
    /// How long shutdown may take: flushing waits at most this long for a
    /// collector, so a program never hangs on exit.
    shutdown_timeout: Duration,
}

impl Provider {
    fn close(self) {
        // Errors mean spans could not be delivered in time, or the provider
        // was shut down already; the program goes on either way.
        if self.owned {
            let _ = self.provider.shutdown_with_timeout(self.shutdown_timeout);
        } else {
            let _ = self.provider.force_flush();
        }
    }
}

fn build_provider(config: &Config) -> Result<(Provider, Option<SpanStore>), InitError> {
    if let Some(provider) = &config.provider {
        let provider = Provider { provider: provider.clone(), owned: false, shutdown_timeout: Duration::ZERO };
        return Ok((provider, None));
    }
    let limits = &config.limits;
    let builder = SdkTracerProvider::builder()
        .with_resource(crate::resource::build(config))
        .with_sampler(config.sampler.to_sdk())
        .with_max_attributes_per_span(limits.attribute_count)
        .with_max_events_per_span(limits.event_count);
    let value_length = limits.attribute_value_length;
    let mut store = None;
    let mut shutdown_timeout = Duration::from_secs(5);
    let builder = match config.exporter {
        Exporter::Console => {
            let exporter = match &config.console_writer {
                Some(writer) => ConsoleExporter::new(config.console_format, Style::PLAIN, Box::new(writer.clone())),
                None => ConsoleExporter::new(config.console_format, Style::for_stderr(), Box::new(std::io::stderr())),
            };
            limited(builder, SimpleSpanProcessor::new(exporter), value_length)
        }
        Exporter::InMemory => {
            let memory = SpanStore::default();
            store = Some(memory.clone());
            limited(builder, SimpleSpanProcessor::new(MemoryExporter::new(memory)), value_length)
        }
        Exporter::Otlp => {
            let batch = &config.batch;
            let exporter = OtlpExporter::new(&config.otlp, batch.export_timeout)?;
            shutdown_timeout = batch.export_timeout.min(config.otlp.timeout) + Duration::from_secs(1);
            let processor =
                BatchProcessor::new(exporter, batch.clone(), crate::config::otlp::shown_url(&config.otlp.url()))
                    .map_err(|error| InitError::Exporter(format!("cannot start the export thread: {error}")))?;
            limited(builder, processor, value_length)
        }
        Exporter::None => unreachable!("a configuration that records nothing builds no provider"),
    };
    Ok((Provider { provider: builder.build(), owned: true, shutdown_timeout }, store))
}

/// What tracekit can know of the sampler before building a span.
fn sampling(config: &Config) -> Sampling {
    use crate::config::Sampler;
    if config.provider.is_some() {
        return Sampling::Unknown;
    }
    match config.sampler {
        Sampler::AlwaysOff | Sampler::TraceIdRatio(0.0) => Sampling::AlwaysOff,
        Sampler::ParentBasedAlwaysOn => Sampling::ParentBased { roots_off: false },
        Sampler::ParentBasedAlwaysOff | Sampler::ParentBasedTraceIdRatio(0.0) => {
            Sampling::ParentBased { roots_off: true }
        }
        Sampler::ParentBasedTraceIdRatio(_) => Sampling::ParentBased { roots_off: false },
        Sampler::AlwaysOn | Sampler::TraceIdRatio(_) => Sampling::Unknown,
    }
}

fn limited<P: SpanProcessor + 'static>(
    builder: TracerProviderBuilder,
    processor: P,
    value_length: Option<usize>,
) -> TracerProviderBuilder {
    builder.with_span_processor(ValueLengthLimit::new(processor, value_length))
}

pub(crate) fn tracer(provider: &SdkTracerProvider) -> SdkTracer {
    provider
        .tracer_with_scope(InstrumentationScope::builder("tracekit").with_version(env!("CARGO_PKG_VERSION")).build())
}
