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
mod settings;

#[cfg(feature = "metrics")]
pub(crate) use installed::Metrics;
pub use settings::MetricsSettings;
pub(crate) use settings::{check_interval, check_prometheus_host};

use crate::error::ConfigError;

/// Where metrics go (`OTEL_METRICS_EXPORTER`); several may be chosen.
///
/// ```
/// use tracekit::{Config, Exporter, MetricsExporter};
///
/// #[tracekit::trace_operation]
/// fn step() {}
///
/// # // The console's metrics need the features `metrics` and `console`.
/// # #[cfg(all(feature = "metrics", feature = "console"))]
/// # fn main() {
/// let out = std::env::temp_dir().join("tracekit-metrics-example.log");
/// let guard = Config::new()
///     .exporters(&[Exporter::None])
///     .metrics(|metrics| metrics.exporters(&[MetricsExporter::Console]))
///     .console(|console| console.writer(std::fs::File::create(&out).unwrap()))
///     .install()
///     .unwrap();
/// step();
/// drop(guard); // exports what was recorded
/// let printed = std::fs::read_to_string(&out).unwrap();
/// assert!(printed.contains("tracekit.operation.duration{operation.name=\"step\",span.kind=\"internal\"} count=1"));
/// # }
/// # #[cfg(not(all(feature = "metrics", feature = "console")))]
/// # fn main() {}
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
