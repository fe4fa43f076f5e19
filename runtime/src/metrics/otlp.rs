//! `OTEL_METRICS_EXPORTER=otlp`: `opentelemetry-otlp`'s metrics exporter,
//! set up as the span exporter is (endpoint, protocol, headers, TLS,
//! timeout, compression, from `OTEL_EXPORTER_OTLP_METRICS_*` and the general
//! variables), on a runtime of tracekit's own.

use crate::error::InitError;
use crate::export::otlp::{grpc_configured, http_configured, ExportRuntime, OtlpSettings, Protocol};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::metrics::data::ResourceMetrics;
use opentelemetry_sdk::metrics::exporter::PushMetricExporter;
use opentelemetry_sdk::metrics::Temporality;
use std::time::Duration;

pub(crate) struct OtlpMetricExporter {
    exporter: opentelemetry_otlp::MetricExporter,
    timeout: Duration,
    runtime: ExportRuntime,
}

impl OtlpMetricExporter {
    pub(crate) fn new(settings: &OtlpSettings) -> Result<Self, InitError> {
        let tls = settings.tls.load()?;
        let runtime = ExportRuntime::new()?;
        let builder = || opentelemetry_otlp::MetricExporter::builder();
        let exporter = runtime
            .build(|| {
                let built = match settings.protocol {
                    Protocol::Grpc => grpc_configured(builder().with_tonic(), settings, &tls)?
                        .with_temporality(Temporality::Cumulative)
                        .build(),
                    Protocol::HttpProtobuf | Protocol::HttpJson => {
                        http_configured(builder().with_http(), settings, &tls)?
                            .with_temporality(Temporality::Cumulative)
                            .build()
                    }
                };
                built.map_err(|error| error.to_string())
            })
            .map_err(InitError::Exporter)?;
        Ok(OtlpMetricExporter { exporter, timeout: settings.timeout, runtime })
    }
}

impl PushMetricExporter for OtlpMetricExporter {
    async fn export(&self, metrics: &ResourceMetrics) -> OTelSdkResult {
        // Called on the periodic reader's own thread, which waits for it.
        self.runtime.export(self.timeout, self.exporter.export(metrics))
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.exporter.force_flush()
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.exporter.shutdown_with_timeout(timeout)
    }

    fn temporality(&self) -> Temporality {
        Temporality::Cumulative
    }
}
