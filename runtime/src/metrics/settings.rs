//! What the metrics record and where they go (`OTEL_METRICS_*`, the
//! Prometheus variables, `Config::metrics`).

use super::MetricsExporter;
use crate::error::ConfigError;
use crate::export::otlp::{is_endpoint_url, Endpoint, OtlpTarget, Signal};
use std::time::Duration;

/// Bucket boundaries, in seconds, for latencies from 100 µs to 60 s.
const DEFAULT_BOUNDARIES: [f64; 18] =
    [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0];

/// The metrics' settings: where they go, how often, and the duration
/// histograms' buckets. Set in [`Config::metrics`](crate::Config::metrics),
/// over what the `OTEL_METRICS_*` and Prometheus variables said. Metrics
/// over OTLP use the settings of [`Config::otlp`](crate::Config::otlp).
///
/// ```
/// use std::time::Duration;
/// use tracekit::MetricsExporter;
///
/// let config = tracekit::Config::new().metrics(|metrics| {
///     metrics.exporters(&[MetricsExporter::Prometheus]).prometheus_address("0.0.0.0", 9464).interval(Duration::from_secs(10))
/// });
/// # let _ = config;
/// ```
#[derive(Clone, Debug)]
pub struct MetricsSettings {
    /// Empty: no metrics (`none`, the default).
    pub(crate) exporters: Vec<MetricsExporter>,
    pub(crate) interval: Duration,
    pub(crate) otlp: OtlpTarget,
    pub(crate) prometheus_host: String,
    pub(crate) prometheus_port: u16,
    /// In seconds.
    pub(crate) boundaries: Vec<f64>,
}

impl Default for MetricsSettings {
    fn default() -> Self {
        MetricsSettings {
            exporters: Vec::new(),
            interval: Duration::from_secs(60),
            otlp: OtlpTarget { signal: Signal::Metrics, ..OtlpTarget::default() },
            prometheus_host: "localhost".to_owned(),
            prometheus_port: 9464,
            boundaries: DEFAULT_BOUNDARIES.to_vec(),
        }
    }
}

impl MetricsSettings {
    /// Records metrics and sends them to `exporters` (`OTEL_METRICS_EXPORTER`,
    /// default none): the duration of every annotated call, manual span and
    /// HTTP/gRPC request, sampled or not, and the sampler's decisions.
    ///
    /// ```
    /// use tracekit::{Config, Exporter, MetricsExporter};
    /// let config = Config::new().exporters(&[Exporter::None]).metrics(|metrics| metrics.exporters(&[MetricsExporter::Console]));
    /// # let _ = config;
    /// ```
    pub fn exporters(mut self, exporters: &[MetricsExporter]) -> Self {
        self.exporters = exporters.to_vec();
        self
    }

    /// How often metrics are exported over OTLP or to the console
    /// (`OTEL_METRIC_EXPORT_INTERVAL`, default 60 s); more than zero.
    /// Prometheus scrapes at its own pace.
    ///
    /// ```
    /// let config = tracekit::Config::new().metrics(|metrics| metrics.interval(std::time::Duration::from_secs(10)));
    /// # let _ = config;
    /// ```
    pub fn interval(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self
    }

    /// Sends OTLP metrics to `url` rather than where spans go
    /// (`OTEL_EXPORTER_OTLP_METRICS_ENDPOINT`: used as it is, no path appended).
    ///
    /// ```
    /// let config = tracekit::Config::new().metrics(|metrics| metrics.otlp_endpoint("http://localhost:4318/v1/metrics"));
    /// # let _ = config;
    /// ```
    pub fn otlp_endpoint(mut self, url: impl Into<String>) -> Self {
        self.otlp.endpoint = Some(Endpoint::Signal(url.into()));
        self
    }

    /// Serves the Prometheus scrape endpoint on `host:port`
    /// (`OTEL_EXPORTER_PROMETHEUS_HOST` and `_PORT`, default `localhost:9464`).
    ///
    /// ```
    /// let config = tracekit::Config::new().metrics(|metrics| metrics.prometheus_address("0.0.0.0", 9464));
    /// # let _ = config;
    /// ```
    pub fn prometheus_address(mut self, host: impl Into<String>, port: u16) -> Self {
        self.prometheus_host = host.into();
        self.prometheus_port = port;
        self
    }

    /// The duration histograms' bucket boundaries, in seconds (default:
    /// 100 µs to 60 s in 18 buckets); finite and increasing.
    ///
    /// ```
    /// let config = tracekit::Config::new().metrics(|metrics| metrics.boundaries(&[0.001, 0.01, 0.1, 1.0]));
    /// # let _ = config;
    /// ```
    pub fn boundaries(mut self, boundaries: &[f64]) -> Self {
        self.boundaries = boundaries.to_vec();
        self
    }

    /// Checks what the builder set; `setting` names it in errors.
    pub(crate) fn check(&self, setting: &'static str) -> Result<(), ConfigError> {
        check_boundaries(setting, &self.boundaries)?;
        check_interval(setting, self.interval)?;
        check_prometheus_host(setting, &self.prometheus_host)?;
        for exporter in &self.exporters {
            exporter.check_compiled(setting, &format!("{exporter:?}"))?;
        }
        if self.exporters.contains(&MetricsExporter::Otlp) {
            self.otlp.check(setting)?;
        }
        Ok(())
    }
}

/// Bucket boundaries: finite, increasing.
fn check_boundaries(setting: &'static str, boundaries: &[f64]) -> Result<(), ConfigError> {
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

/// An export interval: more than zero.
pub(crate) fn check_interval(setting: &'static str, interval: Duration) -> Result<(), ConfigError> {
    if !interval.is_zero() {
        return Ok(());
    }
    Err(ConfigError::InvalidValue {
        variable: setting,
        value: format!("{}", interval.as_millis()),
        expected: "a whole number of milliseconds, more than 0",
    })
}

/// A host to serve the scrape endpoint on.
pub(crate) fn check_prometheus_host(setting: &'static str, host: &str) -> Result<(), ConfigError> {
    if is_endpoint_url(&format!("http://{host}")) {
        return Ok(());
    }
    Err(ConfigError::InvalidValue {
        variable: setting,
        value: host.to_owned(),
        expected: "a host name or IP address to listen on",
    })
}
