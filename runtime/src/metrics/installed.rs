//! Metrics installed: the SDK's meter provider with a reader per exporter,
//! its instruments made the facade's meters.

#[cfg(any(feature = "otlp", feature = "console", feature = "prometheus"))]
use super::MetricsExporter;
use super::MetricsSettings;
use crate::error::InitError;
use crate::metered;
use opentelemetry::metrics::MeterProvider as _;
#[cfg(any(feature = "otlp", feature = "console"))]
use opentelemetry_sdk::metrics::PeriodicReader;
use opentelemetry_sdk::metrics::SdkMeterProvider;
use opentelemetry_sdk::Resource;
use std::sync::Arc;

/// Installed metrics: the SDK's provider and what serves it.
pub(crate) struct Metrics {
    provider: SdkMeterProvider,
    /// Kept until the provider's last collection, which records into them
    /// what is still pending.
    instruments: Arc<super::instruments::Instruments>,
    #[cfg(feature = "prometheus")]
    _scrape: Option<super::prometheus::ScrapeEndpoint>,
}

impl Metrics {
    /// Builds the provider with a reader per exporter and makes its
    /// instruments the facade's meters.
    #[cfg_attr(
        not(all(feature = "console", feature = "otlp", feature = "prometheus")),
        allow(
            unreachable_code,
            unused_mut,
            unused_variables,
            clippy::never_loop,
            reason = "a build without an exporter has only the unreachable arm"
        )
    )]
    pub(crate) fn start(
        settings: &MetricsSettings,
        resource: &Resource,
        // Where the console exporter writes instead of stderr.
        mut console_writer: Option<Box<dyn std::io::Write + Send>>,
    ) -> Result<Metrics, InitError> {
        let mut builder = SdkMeterProvider::builder().with_resource(resource.clone());
        #[cfg(feature = "prometheus")]
        let mut scrape = None;
        for exporter in &settings.exporters {
            builder = match exporter {
                #[cfg(feature = "otlp")]
                MetricsExporter::Otlp => builder.with_reader(
                    PeriodicReader::builder(super::otlp::OtlpMetricExporter::new(&settings.otlp)?)
                        .with_interval(settings.interval)
                        .build(),
                ),
                #[cfg(feature = "console")]
                MetricsExporter::Console => {
                    let out = console_writer.take().unwrap_or_else(|| Box::new(std::io::stderr()));
                    builder.with_reader(
                        PeriodicReader::builder(super::console::ConsoleMetricExporter::new(out))
                            .with_interval(settings.interval)
                            .build(),
                    )
                }
                #[cfg(feature = "prometheus")]
                MetricsExporter::Prometheus => {
                    let registry = ::prometheus::Registry::new();
                    let reader = opentelemetry_prometheus::exporter()
                        .with_registry(registry.clone())
                        .build()
                        .map_err(|error| InitError::Exporter(format!("cannot set up Prometheus metrics: {error}")))?;
                    scrape = Some(super::prometheus::ScrapeEndpoint::start(
                        &settings.prometheus_host,
                        settings.prometheus_port,
                        registry,
                    )?);
                    builder.with_reader(reader)
                }
                #[allow(unreachable_patterns, reason = "reached only in builds without an exporter's feature")]
                _ => unreachable!("the configuration refuses an exporter this build does not have"),
            };
        }
        let provider = builder.build();
        let meter = provider.meter("tracekit");
        let instruments = super::instruments::Instruments::new(&meter, &settings.boundaries);
        crate::metered::root_decisions::restart();
        metered::set_installed(Some(instruments.clone()));
        Ok(Metrics {
            provider,
            instruments,
            #[cfg(feature = "prometheus")]
            _scrape: scrape,
        })
    }

    /// The provider, to flush without holding the installation's lock.
    pub(crate) fn provider(&self) -> SdkMeterProvider {
        self.provider.clone()
    }

    /// Stops recording, exports what was recorded and stops the endpoint.
    pub(crate) fn shutdown(self) {
        metered::set_installed(None);
        let _ = self.provider.shutdown();
        drop(self.instruments);
    }
}
