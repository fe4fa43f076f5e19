//! `OTEL_METRICS_EXPORTER=console`: every export interval, one line per time
//! series on stderr (or the console writer): a histogram's count, sum and
//! estimated P50/P95/P99, a counter's value.

use crate::support::locks::recover;
use opentelemetry::KeyValue;
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::metrics::data::{AggregatedMetrics, HistogramDataPoint, MetricData, ResourceMetrics};
use opentelemetry_sdk::metrics::exporter::PushMetricExporter;
use opentelemetry_sdk::metrics::Temporality;
use std::io::Write;
use std::sync::Mutex;
use std::time::Duration;

pub(crate) struct ConsoleMetricExporter {
    out: Mutex<Box<dyn Write + Send>>,
}

impl ConsoleMetricExporter {
    pub(crate) fn new(out: Box<dyn Write + Send>) -> Self {
        ConsoleMetricExporter { out: Mutex::new(out) }
    }
}

impl PushMetricExporter for ConsoleMetricExporter {
    async fn export(&self, metrics: &ResourceMetrics) -> OTelSdkResult {
        let text = render(metrics);
        if text.is_empty() {
            return Ok(());
        }
        let mut out = recover(self.out.lock());
        out.write_all(text.as_bytes())
            .and_then(|()| out.flush())
            .map_err(|error| OTelSdkError::InternalFailure(error.to_string()))
    }

    fn force_flush(&self) -> OTelSdkResult {
        Ok(())
    }

    fn shutdown_with_timeout(&self, _timeout: Duration) -> OTelSdkResult {
        Ok(())
    }

    fn temporality(&self) -> Temporality {
        Temporality::Cumulative
    }
}

fn render(metrics: &ResourceMetrics) -> String {
    let mut text = String::new();
    for metric in metrics.scope_metrics().flat_map(|scope| scope.metrics()) {
        let name = metric.name();
        match metric.data() {
            AggregatedMetrics::F64(MetricData::Histogram(histogram)) => {
                for point in histogram.data_points() {
                    text.push_str(&histogram_line(name, point));
                }
            }
            AggregatedMetrics::U64(MetricData::Sum(sum)) => {
                for point in sum.data_points() {
                    text.push_str(&format!("metric {name}{} {}\n", labels(point.attributes()), point.value()));
                }
            }
            _ => {}
        }
    }
    text
}

fn histogram_line(name: &str, point: &HistogramDataPoint<f64>) -> String {
    let quantiles = [0.5, 0.95, 0.99]
        .map(|q| quantile(point, q).map_or_else(|| "-".to_owned(), |seconds| format!("{:.2} ms", seconds * 1000.0)));
    format!(
        "metric {name}{} count={} sum={:.3} s p50≈{} p95≈{} p99≈{}\n",
        labels(point.attributes()),
        point.count(),
        point.sum(),
        quantiles[0],
        quantiles[1],
        quantiles[2],
    )
}

fn labels<'a>(attributes: impl Iterator<Item = &'a KeyValue>) -> String {
    // Sorted, so that a series always reads the same.
    let mut pairs: Vec<String> = attributes.map(|kv| format!("{}={:?}", kv.key, kv.value.to_string())).collect();
    pairs.sort();
    format!("{{{}}}", pairs.join(","))
}

/// The `q` quantile as Prometheus's `histogram_quantile` estimates it: by
/// linear interpolation inside the bucket that holds it.
pub(crate) fn quantile(point: &HistogramDataPoint<f64>, q: f64) -> Option<f64> {
    let bounds: Vec<f64> = point.bounds().collect();
    let counts: Vec<u64> = point.bucket_counts().collect();
    let total = point.count();
    if total == 0 {
        return None;
    }
    let rank = q * total as f64;
    let mut below = 0u64;
    for (index, &count) in counts.iter().enumerate() {
        if (below + count) as f64 >= rank && count > 0 {
            let lower = if index == 0 { 0.0 } else { bounds[index - 1] };
            let Some(&upper) = bounds.get(index) else { return Some(lower) };
            return Some(lower + (upper - lower) * (rank - below as f64) / count as f64);
        }
        below += count;
    }
    bounds.last().copied()
}
