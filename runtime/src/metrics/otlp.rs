//! `OTEL_METRICS_EXPORTER=otlp`: the SDK's metrics encoded with
//! `opentelemetry-proto`'s conversion and sent by tracekit's own OTLP
//! transport, set up as the span exporter's is (endpoint, protocol,
//! headers, TLS, timeout, compression, from `OTEL_EXPORTER_OTLP_METRICS_*`
//! and the general variables, or the builder): the same retries, and
//! nothing read from the process that the configuration did not read. An
//! export that fails, or whose data points the collector partly rejects,
//! is reported as spans lost are: a warning, at most one in ten seconds.

use crate::error::InitError;
use crate::export::otlp::{shown_url, OtlpClient, OtlpTarget};
use crate::support::diagnostics::{self, LogLevel};
use crate::support::locks::recover;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::metrics::data::ResourceMetrics;
use opentelemetry_sdk::metrics::exporter::PushMetricExporter;
use opentelemetry_sdk::metrics::Temporality;
use prost::Message as _;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// At most one warning in this long: a collector that stays down is
/// reported, not repeated at every export.
const WARNING_INTERVAL: Duration = Duration::from_secs(10);

pub(crate) struct OtlpMetricExporter {
    client: OtlpClient,
    timeout: Duration,
    /// The endpoint, without credentials, for the warnings.
    destination: String,
    last_warning: Mutex<Option<Instant>>,
}

impl OtlpMetricExporter {
    pub(crate) fn new(settings: &OtlpTarget) -> Result<Self, InitError> {
        Ok(OtlpMetricExporter {
            client: OtlpClient::new(settings)?,
            timeout: settings.timeout,
            destination: shown_url(&settings.url()),
            last_warning: Mutex::new(None),
        })
    }

    /// Tells the user what became of an export, unless told less than
    /// [`WARNING_INTERVAL`] ago.
    fn warn(&self, what: impl FnOnce() -> String) {
        let now = Instant::now();
        let mut last = recover(self.last_warning.lock());
        if last.is_some_and(|at| now.duration_since(at) < WARNING_INTERVAL) {
            return;
        }
        *last = Some(now);
        let destination = &self.destination;
        diagnostics::say(
            LogLevel::Warn,
            "tracekit::metrics",
            || {
                format!(
                    "metrics not all exported to {destination}: {}; the next report comes in 10 s at the earliest",
                    what()
                )
            },
            |message| tracing::warn!(target: "tracekit::metrics", endpoint = %destination, "{message}"),
        );
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
        match self.client.send(self.request(metrics), self.timeout) {
            Ok(None) => Ok(()),
            Ok(Some(partial)) => {
                self.warn(|| format!("{} data points {}", partial.rejected, partial.reason()));
                Ok(())
            }
            Err(error) => {
                self.warn(|| format!("an export failed ({error})"));
                Err(error)
            }
        }
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
