//! `OTEL_METRICS_EXPORTER=otlp`: `opentelemetry-otlp`'s metrics exporter,
//! set up as the span exporter is (endpoint, protocol, headers, TLS,
//! timeout, compression, from `OTEL_EXPORTER_OTLP_METRICS_*` and the general
//! variables), on a runtime of tracekit's own.

use crate::error::InitError;
use crate::export::otlp::{connect, ExportRuntime, OtlpClient, OtlpTarget};
use opentelemetry_otlp::{
    ExporterBuildError, HttpExporterBuilderSet, MetricExporter, MetricExporterBuilder, TonicExporterBuilderSet,
};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::metrics::data::ResourceMetrics;
use opentelemetry_sdk::metrics::exporter::PushMetricExporter;
use opentelemetry_sdk::metrics::Temporality;
use std::time::Duration;

pub(crate) struct OtlpMetricExporter {
    exporter: MetricExporter,
    timeout: Duration,
    runtime: ExportRuntime,
}

impl OtlpMetricExporter {
    pub(crate) fn new(settings: &OtlpTarget) -> Result<Self, InitError> {
        let (exporter, runtime) = connect(settings)?;
        Ok(OtlpMetricExporter { exporter, timeout: settings.timeout, runtime })
    }
}

impl OtlpClient for MetricExporter {
    type Grpc = MetricExporterBuilder<TonicExporterBuilderSet>;
    type Http = MetricExporterBuilder<HttpExporterBuilderSet>;
    fn grpc() -> Self::Grpc {
        Self::builder().with_tonic().with_temporality(Temporality::Cumulative)
    }
    fn http() -> Self::Http {
        Self::builder().with_http().with_temporality(Temporality::Cumulative)
    }
    fn build_grpc(builder: Self::Grpc) -> Result<Self, ExporterBuildError> {
        builder.build()
    }
    fn build_http(builder: Self::Http) -> Result<Self, ExporterBuildError> {
        builder.build()
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
