//! `OTEL_METRICS_EXPORTER=otlp`: the SDK's metrics encoded with
//! `opentelemetry-proto`'s conversion and sent by tracekit's own OTLP
//! transport, set up as the span exporter's is (endpoint, protocol,
//! headers, TLS, timeout, compression, from `OTEL_EXPORTER_OTLP_METRICS_*`
//! and the general variables, or the builder): the same retries, and
//! nothing read from the process that the configuration did not read.

use crate::error::InitError;
use crate::export::otlp::{OtlpClient, OtlpTarget};
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::metrics::data::ResourceMetrics;
use opentelemetry_sdk::metrics::exporter::PushMetricExporter;
use opentelemetry_sdk::metrics::Temporality;
use prost::Message as _;
use std::time::Duration;

pub(crate) struct OtlpMetricExporter {
    client: OtlpClient,
    timeout: Duration,
}

impl OtlpMetricExporter {
    pub(crate) fn new(settings: &OtlpTarget) -> Result<Self, InitError> {
        Ok(OtlpMetricExporter { client: OtlpClient::new(settings)?, timeout: settings.timeout })
    }

    /// The request for `metrics`, as the transport sends it.
    fn request(&self, metrics: &ResourceMetrics) -> Result<Vec<u8>, String> {
        let request = ExportMetricsServiceRequest::from(metrics);
        if self.client.speaks_json() {
            return serde_json::to_vec(&request).map_err(|error| format!("cannot encode the metrics as JSON: {error}"));
        }
        Ok(request.encode_to_vec())
    }
}

impl PushMetricExporter for OtlpMetricExporter {
    async fn export(&self, metrics: &ResourceMetrics) -> OTelSdkResult {
        // Called on the periodic reader's own thread, which waits for it.
        self.client.send(self.request(metrics), self.timeout)
    }

    fn force_flush(&self) -> OTelSdkResult {
        // Each export is sent before `export` returns: nothing is held.
        Ok(())
    }

    fn shutdown_with_timeout(&self, _timeout: Duration) -> OTelSdkResult {
        // Connections close with the runtime.
        Ok(())
    }

    fn temporality(&self) -> Temporality {
        Temporality::Cumulative
    }
}
