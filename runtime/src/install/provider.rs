//! Building what a configuration asks for: the exporter, its processor and
//! the pipeline in front of them.

use super::Settings;
use crate::error::InitError;
#[cfg(feature = "console")]
use crate::export::ConsoleExporter;
#[cfg(feature = "otlp")]
use crate::export::ExportPool;
use crate::export::Exporter;
#[cfg(feature = "testing")]
use crate::export::MemoryExporter;
#[cfg(feature = "otlp")]
use crate::export::OtlpExporter;
use crate::export::SpanStore;
use crate::facade::dispatch::Backend;
use crate::pipeline::{Pipeline, Processor, ProgramTracer};
#[cfg(feature = "console")]
use crate::support::terminal::Style;
use opentelemetry_sdk::trace::SdkTracerProvider;
#[cfg(any(feature = "console", feature = "testing"))]
use opentelemetry_sdk::trace::SimpleSpanProcessor;
use std::sync::Arc;
use std::time::Duration;

/// What an installation records into, and how to let go of it.
#[derive(Clone)]
pub(super) enum Provider {
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
    pub(super) fn backend(&self) -> Arc<dyn Backend> {
        match self {
            Provider::Pipeline { pipeline, .. } => pipeline.clone(),
            Provider::Program(provider) => Arc::new(ProgramTracer::new(provider)),
        }
    }

    pub(super) fn flush(&self) -> bool {
        match self {
            Provider::Pipeline { pipeline, .. } => pipeline.force_flush().is_ok(),
            Provider::Program(provider) => provider.force_flush().is_ok(),
        }
    }

    pub(super) fn close(self) {
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

pub(super) fn provider(config: &Settings) -> Result<(Provider, Option<SpanStore>), InitError> {
    if let Some(provider) = &config.provider {
        return Ok((Provider::Program(provider.clone()), None));
    }
    let mut processors = Vec::new();
    let mut store = None;
    let mut shutdown_timeout = Duration::ZERO;
    if let Some(given) = &config.span_exporter {
        let processor = given
            .start(config.batch.clone(), config.limits.attribute_value_length)
            .ok_or_else(|| {
                InitError::Exporter("the exporter given to Config::span_exporter is installed already".into())
            })?
            .map_err(export_thread_error)?;
        processors.push(Processor::Batch(processor));
        shutdown_timeout = AT_ONCE;
    } else {
        for exporter in &config.exporters {
            let (export, timeout) = export(config, *exporter, &mut store)?;
            processors.push(export);
            shutdown_timeout = shutdown_timeout.max(timeout);
        }
    }
    let pipeline =
        Pipeline::new(processors, config.sampler, &config.keep, &config.limits, &super::resource::build(config));
    Ok((Provider::Pipeline { pipeline, shutdown_timeout }, store))
}

/// How long shutdown waits for spans that are exported as they end.
const AT_ONCE: Duration = Duration::from_secs(5);

/// One exporter behind its processor, and how long its shutdown may take.
/// The in-memory exporter's store is put in `store`.
#[cfg_attr(
    not(all(feature = "console", feature = "testing", feature = "otlp")),
    allow(unreachable_code, unused_variables, reason = "a build without an exporter has only the unreachable arm")
)]
fn export(
    config: &Settings,
    exporter: Exporter,
    store: &mut Option<SpanStore>,
) -> Result<(Processor, Duration), InitError> {
    Ok(match exporter {
        #[cfg(feature = "console")]
        Exporter::Console => {
            let console = &config.console;
            let exporter = match &console.writer {
                Some(writer) => ConsoleExporter::new(console.format, Style::PLAIN, Box::new(writer.clone())),
                None => ConsoleExporter::new(console.format, Style::for_stderr(), Box::new(std::io::stderr())),
            };
            (Processor::Simple(Box::new(SimpleSpanProcessor::new(exporter))), AT_ONCE)
        }
        #[cfg(feature = "testing")]
        Exporter::InMemory => {
            let memory = SpanStore::default();
            let processor = SimpleSpanProcessor::new(MemoryExporter::new(memory.clone()));
            *store = Some(memory);
            (Processor::Simple(Box::new(processor)), AT_ONCE)
        }
        #[cfg(feature = "otlp")]
        Exporter::Otlp => {
            let batch = &config.batch;
            let exporter = OtlpExporter::new(&config.otlp, batch.export_timeout)?;
            let destination = crate::export::otlp::shown_url(&config.otlp.url());
            let value_length = config.limits.attribute_value_length;
            let processor =
                ExportPool::new(exporter, batch.clone(), value_length, destination).map_err(export_thread_error)?;
            (Processor::Batch(processor), batch.export_timeout.min(config.otlp.timeout) + Duration::from_secs(1))
        }
        Exporter::None => unreachable!("the list of exporters never holds None"),
        #[allow(unreachable_patterns, reason = "reached only in builds without an exporter's feature")]
        _ => unreachable!("Config::check refuses an exporter this build does not have"),
    })
}

fn export_thread_error(error: std::io::Error) -> InitError {
    InitError::Exporter(format!("cannot start an export thread: {error}"))
}
