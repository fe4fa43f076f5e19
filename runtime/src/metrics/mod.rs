//! Metrics from the same attributes (feature `metrics`): the duration of
//! every call, span and request, sampled or not, and the sampler's
//! decisions, in the `opentelemetry_sdk` metrics SDK, exported over OTLP,
//! on a Prometheus scrape endpoint or to the console.

//!
//! The settings are in every build with the pipeline, so that a build
//! without the `metrics` feature refuses `OTEL_METRICS_EXPORTER=otlp` by
//! name; the rest needs the feature.

#[cfg(all(feature = "metrics", feature = "console"))]
mod console;
#[cfg(feature = "metrics")]
mod installed;
#[cfg(feature = "metrics")]
mod instruments;
#[cfg(all(feature = "metrics", feature = "otlp"))]
mod otlp;
#[cfg(feature = "prometheus")]
mod prometheus;

#[cfg(feature = "metrics")]
pub(crate) use installed::Metrics;

use crate::error::ConfigError;
use crate::export::otlp::{OtlpSettings, Signal};
use std::time::Duration;

/// Bucket boundaries, in seconds, for latencies from 100 µs to 60 s.
pub(crate) const DEFAULT_BOUNDARIES: [f64; 18] =
    [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0];

/// Where metrics go (`OTEL_METRICS_EXPORTER`); several may be chosen.
///
/// ```
/// use tracekit::{Config, Exporter, MetricsExporter};
///
/// #[tracekit::trace_operation]
/// fn step() {}
///
/// let out = std::env::temp_dir().join("tracekit-metrics-example.log");
/// let guard = Config::new()
///     .exporters(&[Exporter::None])
///     .metrics(&[MetricsExporter::Console])
///     .console_writer(std::fs::File::create(&out).unwrap())
///     .install()
///     .unwrap();
/// step();
/// drop(guard); // exports what was recorded
/// let printed = std::fs::read_to_string(&out).unwrap();
/// assert!(printed.contains("tracekit.operation.duration{operation.name=\"step\",span.kind=\"internal\"} count=1"));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum MetricsExporter {
    /// OTLP to a collector (`otlp`; features `metrics` and `otlp`), with the
    /// `OTEL_EXPORTER_OTLP_METRICS_*` variables or the general ones.
    Otlp,
    /// A Prometheus scrape endpoint served by tracekit (`prometheus`;
    /// feature `prometheus`), on `OTEL_EXPORTER_PROMETHEUS_HOST` and
    /// `OTEL_EXPORTER_PROMETHEUS_PORT` (default `localhost:9464`).
    Prometheus,
    /// One line per time series on stderr at every export interval
    /// (`console`; features `metrics` and `console`).
    Console,
}

impl MetricsExporter {
    /// The names `OTEL_METRICS_EXPORTER` takes.
    pub(crate) const NAMES: [(&'static str, MetricsExporter); 3] = [
        ("otlp", MetricsExporter::Otlp),
        ("prometheus", MetricsExporter::Prometheus),
        ("console", MetricsExporter::Console),
    ];

    /// Refuses, for `setting`, an exporter this build does not have.
    pub(crate) fn check_compiled(self, setting: &'static str, value: &str) -> Result<(), ConfigError> {
        let missing = match self {
            _ if !cfg!(feature = "metrics") => Some("metrics"),
            MetricsExporter::Otlp if !cfg!(feature = "otlp") => Some("otlp"),
            MetricsExporter::Prometheus if !cfg!(feature = "prometheus") => Some("prometheus"),
            MetricsExporter::Console if !cfg!(feature = "console") => Some("console"),
            _ => None,
        };
        ConfigError::unless_compiled(setting, || value.to_owned(), missing)
    }
}

/// Everything the metrics need: chosen by `OTEL_METRICS_*`, the OTLP and
/// Prometheus variables, or the builder.
#[derive(Clone, Debug)]
pub(crate) struct MetricsSettings {
    /// Empty: no metrics (`none`, the default).
    pub(crate) exporters: Vec<MetricsExporter>,
    /// `OTEL_METRIC_EXPORT_INTERVAL` (default 60 s).
    pub(crate) interval: Duration,
    pub(crate) otlp: OtlpSettings,
    pub(crate) prometheus_host: String,
    pub(crate) prometheus_port: u16,
    /// The duration histograms' bucket boundaries, in seconds.
    pub(crate) boundaries: Vec<f64>,
}

impl Default for MetricsSettings {
    fn default() -> Self {
        MetricsSettings {
            exporters: Vec::new(),
            interval: Duration::from_secs(60),
            otlp: OtlpSettings { signal: Signal::Metrics, ..OtlpSettings::default() },
            prometheus_host: "localhost".to_owned(),
            prometheus_port: 9464,
            boundaries: DEFAULT_BOUNDARIES.to_vec(),
        }
    }
}

/// What `boundaries` must be: finite, increasing.
pub(crate) fn check_boundaries(setting: &'static str, boundaries: &[f64]) -> Result<(), ConfigError> {
    let increasing = boundaries.windows(2).all(|pair| pair[0] < pair[1]);
    if boundaries.is_empty() || !increasing || boundaries.iter().any(|bound| !bound.is_finite()) {
        return Err(ConfigError::InvalidValue {
            variable: setting,
            value: format!("{boundaries:?}"),
            expected: "finite bucket boundaries in seconds, in increasing order",
        });
    }
    Ok(())
}
