//! Building what a configuration asks for: the exporter, its processor and
//! the pipeline in front of them.

use crate::config::{Config, Exporter};
use crate::error::InitError;
#[cfg(feature = "console")]
use crate::export::ConsoleExporter;
#[cfg(feature = "testing")]
use crate::export::MemoryExporter;
#[cfg(feature = "otlp")]
use crate::export::OtlpExporter;
use crate::export::{BatchProcessor, SpanStore};
use crate::facade::dispatch::Backend;
#[cfg(feature = "console")]
use crate::facade::terminal::Style;
use crate::pipeline::{Export, Pipeline, ProgramTracer};
use opentelemetry_sdk::trace::{SdkTracerProvider, SimpleSpanProcessor};
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

pub(super) fn provider(config: &Config) -> Result<(Provider, Option<SpanStore>), InitError> {
    if let Some(provider) = &config.provider {
        return Ok((Provider::Program(provider.clone()), None));
    }
    let value_length = config.limits.attribute_value_length;
    // How long shutdown waits for spans that are exported as they end.
    let at_once = Duration::from_secs(5);
    let (export, store, shutdown_timeout) = match (&config.span_exporter, config.exporter) {
        (Some(given), _) => {
            let processor = given
                .start(config.batch.clone(), value_length)
                .ok_or_else(|| {
                    InitError::Exporter("the exporter given to Config::span_exporter is installed already".into())
                })?
                .map_err(export_thread_error)?;
            (Export::Batch(processor), None, at_once)
        }
        #[cfg(feature = "console")]
        (None, Exporter::Console) => {
            let exporter = match &config.console_writer {
                Some(writer) => ConsoleExporter::new(config.console_format, Style::PLAIN, Box::new(writer.clone())),
                None => ConsoleExporter::new(config.console_format, Style::for_stderr(), Box::new(std::io::stderr())),
            };
            (Export::EachSpan(Box::new(SimpleSpanProcessor::new(exporter))), None, at_once)
        }
        #[cfg(feature = "testing")]
        (None, Exporter::InMemory) => {
            let memory = SpanStore::default();
            let processor = SimpleSpanProcessor::new(MemoryExporter::new(memory.clone()));
            (Export::EachSpan(Box::new(processor)), Some(memory), at_once)
        }
        #[cfg(feature = "otlp")]
        (None, Exporter::Otlp) => {
            let batch = &config.batch;
            let exporter = OtlpExporter::new(&config.otlp, batch.export_timeout)?;
            let destination = crate::export::otlp::shown_url(&config.otlp.url());
            let processor =
                BatchProcessor::new(exporter, batch.clone(), value_length, destination).map_err(export_thread_error)?;
            let shutdown_timeout = batch.export_timeout.min(config.otlp.timeout) + Duration::from_secs(1);
            (Export::Batch(processor), None, shutdown_timeout)
        }
        (None, Exporter::None) => unreachable!("a configuration that records nothing builds no provider"),
        #[allow(unreachable_patterns, reason = "reached only in builds without an exporter's feature")]
        _ => unreachable!("Config::check refuses an exporter this build does not have"),
    };
    let pipeline = Pipeline::new(export, config.sampler, &config.limits, &super::resource::build(config));
    Ok((Provider::Pipeline { pipeline, shutdown_timeout }, store))
}

fn export_thread_error(error: std::io::Error) -> InitError {
    InitError::Exporter(format!("cannot start the export thread: {error}"))
}
