//! What to trace and where to send it, from the environment or from code.
//!
//! Precedence: builder methods > `TRACING_*` variables > `OTEL_*` variables >
//! defaults. Values are checked when the configuration is read or installed;
//! every problem is a [`ConfigError`] naming the setting, the value and what
//! is accepted.

mod env;
mod key_values;
mod vars;

use crate::error::ConfigError;
use crate::export::batch::{BatchSettings, GivenExporter, SizeSettings};
use crate::export::console::ConsoleFormat;
use crate::export::otlp::{self, Compression, Endpoint, OtlpSettings, PemFile, Protocol, Secret};
use crate::metrics::{check_boundaries, MetricsExporter, MetricsSettings};
use crate::pipeline::{check_ratio, FinishedSpan, KeepPolicy, Sampler, SpanLimitSettings};
use crate::propagation::Propagator;
use crate::support::diagnostics::LogLevel;
use crate::support::locks::recover;
use opentelemetry_sdk::trace::{SdkTracerProvider, SpanExporter};
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Where finished spans go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Exporter {
    /// Readable output on stderr (`TRACING_EXPORTER=console`, the default;
    /// feature `console`).
    Console,
    /// OTLP to a collector, Jaeger, Tempo or a vendor (`TRACING_EXPORTER=otlp`
    /// or `jaeger`, `OTEL_TRACES_EXPORTER=otlp`), through the batch processor
    /// (feature `otlp`; `https://` needs `tls-ring` or `tls-aws-lc`).
    Otlp,
    /// Kept in memory for the whole process, read with
    /// `testing::recorded` (`TRACING_EXPORTER=in_memory`; feature `testing`).
    InMemory,
    /// Nothing is recorded; annotated calls cost one check (`TRACING_EXPORTER=none`).
    None,
}

impl Exporter {
    /// The exporter when none is chosen: the console, or in a build without
    /// it OTLP (the OpenTelemetry default), else memory, else none.
    pub(crate) const DEFAULT: Exporter = if cfg!(feature = "console") {
        Exporter::Console
    } else if cfg!(feature = "otlp") {
        Exporter::Otlp
    } else if cfg!(feature = "testing") {
        Exporter::InMemory
    } else {
        Exporter::None
    };

    /// This exporter as a list of the exporters chosen: empty for `None`.
    pub(crate) fn chosen(self) -> &'static [Exporter] {
        match self {
            Exporter::Console => &[Exporter::Console],
            Exporter::Otlp => &[Exporter::Otlp],
            Exporter::InMemory => &[Exporter::InMemory],
            Exporter::None => &[],
        }
    }

    /// The cargo feature that compiles this exporter in, if this build lacks it.
    fn missing_feature(self) -> Option<&'static str> {
        match self {
            Exporter::Console if !cfg!(feature = "console") => Some("console"),
            Exporter::Otlp if !cfg!(feature = "otlp") => Some("otlp"),
            Exporter::InMemory if !cfg!(feature = "testing") => Some("testing"),
            _ => None,
        }
    }

    /// Whether no exporter of `exporters` is chosen twice.
    pub(crate) fn each_once(exporters: &[Exporter]) -> bool {
        exporters.iter().enumerate().all(|(at, exporter)| !exporters[..at].contains(exporter))
    }

    /// Refuses, for `setting`, an exporter this build does not have: never a
    /// silent fallback to another.
    pub(crate) fn check_compiled(self, setting: &'static str, value: &str) -> Result<(), ConfigError> {
        ConfigError::unless_compiled(setting, || value.to_owned(), self.missing_feature())
    }
}

/// Tracing configuration: read from the environment with [`Config::from_env`],
/// set in code with the builder methods, then [`install`](Config::install)ed.
///
/// ```
/// use tracekit::{Config, ConsoleFormat, Exporter};
///
/// let guard = Config::new()
///     .service_name("billing")
///     .exporters(&[Exporter::Console])
///     .console_format(ConsoleFormat::Line)
///     .install()
///     .expect("tracing starts");
/// // ... the program runs; dropping the guard flushes and shuts down.
/// drop(guard);
/// ```
///
#[doc = include_str!("../../docs/configuration.md")]
#[derive(Clone, Debug)]
pub struct Config {
    pub(crate) enabled: bool,
    /// Whether each span is also made current in OpenTelemetry's `Context`.
    pub(crate) opentelemetry_context: bool,
    /// Where spans go, each exporter behind its own processor; never holds
    /// `Exporter::None`, which is the empty list.
    pub(crate) exporters: Vec<Exporter>,
    pub(crate) console_format: ConsoleFormat,
    pub(crate) console_writer: Option<SharedWriter>,
    pub(crate) service_name: Option<String>,
    pub(crate) service_version: Option<String>,
    pub(crate) resource_attributes: Vec<(String, String)>,
    pub(crate) otlp: OtlpSettings,
    pub(crate) sampler: Sampler,
    /// Which local traces head sampling dropped are kept after all.
    pub(crate) keep: KeepPolicy,
    pub(crate) batch: BatchSettings,
    pub(crate) limits: SpanLimitSettings,
    pub(crate) provider: Option<SdkTracerProvider>,
    pub(crate) span_exporter: Option<GivenExporter<FinishedSpan>>,
    /// `None`: the default propagators (Trace Context and Baggage).
    pub(crate) propagators: Option<Vec<Propagator>>,
    /// `OTEL_LOG_LEVEL`: how much tracekit says about itself; `None` keeps what is in force.
    pub(crate) log_level: Option<LogLevel>,
    pub(crate) metrics: MetricsSettings,
}

/// Where the console exporter writes when not to stderr.
#[derive(Clone)]
pub(crate) struct SharedWriter(pub(crate) Arc<Mutex<dyn Write + Send>>);

impl std::fmt::Debug for SharedWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SharedWriter")
    }
}

impl Write for SharedWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        recover(self.0.lock()).write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        recover(self.0.lock()).flush()
    }
}

impl Default for Config {
    fn default() -> Self {
        Config::new()
    }
}

impl Config {
    /// Tracing enabled, to the console as a tree (in a build without the
    /// `console` feature, over OTLP), named after the executable.
    ///
    /// ```
    /// let config = tracekit::Config::new();
    /// assert_eq!(config.chosen_exporters(), [tracekit::Exporter::Console]);
    /// ```
    pub fn new() -> Self {
        Config {
            enabled: true,
            opentelemetry_context: false,
            exporters: Exporter::DEFAULT.chosen().to_vec(),
            console_format: ConsoleFormat::Tree,
            console_writer: None,
            service_name: None,
            service_version: None,
            resource_attributes: Vec::new(),
            otlp: OtlpSettings::default(),
            sampler: Sampler::default(),
            keep: KeepPolicy::new(),
            batch: BatchSettings::default(),
            limits: SpanLimitSettings::default(),
            provider: None,
            span_exporter: None,
            propagators: None,
            log_level: None,
            metrics: MetricsSettings::default(),
        }
    }

    /// Reads the `TRACING_*` and `OTEL_*` variables (the table under
    /// [`Config`]) from the process environment. Unset or empty
    /// variables keep the defaults of [`Config::new`].
    ///
    /// ```
    /// let config = tracekit::Config::from_env().expect("valid environment");
    /// # let _ = config;
    /// ```
    pub fn from_env() -> Result<Self, ConfigError> {
        Config::from_lookup(vars::process_env)
    }

    /// Like [`Config::from_env`], with variables looked up by `lookup`.
    ///
    /// ```
    /// use std::collections::HashMap;
    /// let vars = HashMap::from([("TRACING_EXPORTER", "none")]);
    /// let config = tracekit::Config::from_lookup(|name| vars.get(name).map(|v| v.to_string())).unwrap();
    /// assert_eq!(config.chosen_exporters(), []);
    /// ```
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        env::read(&vars::Vars::new(&lookup))
    }

    /// Sets `service.name` (default: `OTEL_SERVICE_NAME`, else the executable's name).
    ///
    /// ```
    /// let config = tracekit::Config::new().service_name("checkout");
    /// # let _ = config;
    /// ```
    pub fn service_name(mut self, name: impl Into<String>) -> Self {
        self.service_name = Some(name.into());
        self
    }

    /// Turns tracing on or off; off behaves as [`Exporter::None`].
    ///
    /// ```
    /// let config = tracekit::Config::new().enabled(false);
    /// assert!(!config.is_recording());
    /// ```
    pub fn enabled(mut self, enabled: bool) -> Self {
        self.enabled = enabled;
        self
    }

    /// Also makes each span current in OpenTelemetry's `Context` (default:
    /// `TRACING_OTEL_CONTEXT`, else off), for programs whose OpenTelemetry
    /// code must find tracekit's spans in `Context::current()`: spans of
    /// `tracing-opentelemetry` or of the SDK's own tracers nested under
    /// tracekit's. tracekit itself never needs it: its spans are current on
    /// its own per-thread stack, which costs a fraction of a `Context`
    /// made current; with this on, each span costs that too. Code that only
    /// wants the current span as a `Context` can call
    /// [`context::current`](crate::context::current) instead.
    ///
    /// ```
    /// use tracekit::opentelemetry::trace::TraceContextExt as _;
    ///
    /// let _guard = tracekit::Config::new()
    ///     .exporters(&[tracekit::Exporter::InMemory])
    ///     .opentelemetry_context(true)
    ///     .install()
    ///     .unwrap();
    /// let (seen, ours) = tracekit::span("job").in_scope(|| {
    ///     let seen = tracekit::opentelemetry::Context::current().span().span_context().span_id();
    ///     (seen, tracekit::current_span().span_id())
    /// });
    /// assert_eq!(Some(seen), ours);
    /// ```
    pub fn opentelemetry_context(mut self, on: bool) -> Self {
        self.opentelemetry_context = on;
        self
    }

    /// Chooses where spans go: one exporter, or several at once, each
    /// behind its own processor so that a slow or dead collector never
    /// delays the others (as `OTEL_TRACES_EXPORTER=otlp,console`). Each may
    /// appear once; [`Exporter::None`] only alone.
    ///
    /// ```
    /// use tracekit::{Config, Exporter};
    /// let config = Config::new().exporters(&[Exporter::Otlp, Exporter::Console]);
    /// assert_eq!(config.chosen_exporters(), [Exporter::Otlp, Exporter::Console]);
    /// ```
    pub fn exporters(mut self, exporters: &[Exporter]) -> Self {
        self.exporters = if exporters == [Exporter::None] { Vec::new() } else { exporters.to_vec() };
        self
    }

    /// Makes OTLP one of the exporters: the only one, unless it is chosen already.
    fn choose_otlp(&mut self) {
        if !self.exporters.contains(&Exporter::Otlp) {
            self.exporters = vec![Exporter::Otlp];
        }
    }

    /// Chooses the console exporter's output format.
    ///
    /// ```
    /// let config = tracekit::Config::new().console_format(tracekit::ConsoleFormat::Json);
    /// # let _ = config;
    /// ```
    pub fn console_format(mut self, format: ConsoleFormat) -> Self {
        self.console_format = format;
        self
    }

    /// Sends the console exporter's output to `writer` instead of stderr,
    /// without colours: a log file, or a buffer in a test.
    ///
    /// ```
    /// let log = std::fs::File::create(std::env::temp_dir().join("traces.log")).unwrap();
    /// let guard = tracekit::Config::new().console_writer(log).install().unwrap();
    /// tracekit::span("job").in_scope(|| ());
    /// drop(guard);
    /// ```
    pub fn console_writer(mut self, writer: impl Write + Send + 'static) -> Self {
        self.console_writer = Some(SharedWriter(Arc::new(Mutex::new(writer))));
        self
    }

    /// Sets `service.version`.
    ///
    /// ```
    /// let config = tracekit::Config::new().service_version(env!("CARGO_PKG_VERSION"));
    /// # let _ = config;
    /// ```
    pub fn service_version(mut self, version: impl Into<String>) -> Self {
        self.service_version = Some(version.into());
        self
    }

    /// Adds a resource attribute, such as `deployment.environment.name`.
    ///
    /// ```
    /// let config = tracekit::Config::new().resource_attribute("deployment.environment.name", "staging");
    /// # let _ = config;
    /// ```
    pub fn resource_attribute(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.resource_attributes.push((key.into(), value.into()));
        self
    }

    /// Sends OTLP to `url`: a base URL such as `http://collector:4318`, to
    /// which `/v1/traces` is appended over HTTP (as `OTEL_EXPORTER_OTLP_ENDPOINT`).
    /// Also selects [`Exporter::Otlp`], unless it is among the exporters already.
    ///
    /// ```
    /// let config = tracekit::Config::new().otlp_endpoint("http://localhost:4317");
    /// assert_eq!(config.chosen_exporters(), [tracekit::Exporter::Otlp]);
    /// ```
    pub fn otlp_endpoint(mut self, url: impl Into<String>) -> Self {
        self.choose_otlp();
        let url = url.into();
        self.each_otlp(|otlp| otlp.endpoint = Some(Endpoint::Base(url.clone())));
        self
    }

    /// Sends OTLP to Jaeger's OTLP receiver on `host:port` (4317 for gRPC,
    /// 4318 for HTTP). Also selects [`Exporter::Otlp`].
    ///
    /// ```
    /// let config = tracekit::Config::new().jaeger("jaeger.internal", 4317);
    /// # let _ = config;
    /// ```
    pub fn jaeger(mut self, host: &str, port: u16) -> Self {
        self.choose_otlp();
        self.otlp.endpoint = Some(Endpoint::Base(format!("http://{host}:{port}")));
        self.otlp.protocol = if port == 4318 { Protocol::HttpProtobuf } else { Protocol::Grpc };
        self
    }

    /// Chooses the OTLP transport (default: gRPC).
    ///
    /// ```
    /// let config = tracekit::Config::new().otlp_protocol(tracekit::Protocol::HttpJson);
    /// # let _ = config;
    /// ```
    pub fn otlp_protocol(mut self, protocol: Protocol) -> Self {
        self.each_otlp(|otlp| otlp.protocol = protocol);
        self
    }

    /// Adds a header (gRPC metadata) to every OTLP request, such as an API
    /// key. Its value never appears in `Debug` output, errors or logs.
    ///
    /// ```
    /// let config = tracekit::Config::new().otlp_header("x-api-key", "secret");
    /// assert!(!format!("{config:?}").contains("secret"));
    /// ```
    pub fn otlp_header(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        let (key, value) = (key.into(), Secret(value.into()));
        self.each_otlp(|otlp| otlp.headers.push((key.clone(), value.clone())));
        self
    }

    /// Sets how long one OTLP export may take (default: 10 s).
    ///
    /// ```
    /// let config = tracekit::Config::new().otlp_timeout(std::time::Duration::from_secs(3));
    /// # let _ = config;
    /// ```
    pub fn otlp_timeout(mut self, timeout: Duration) -> Self {
        self.each_otlp(|otlp| otlp.timeout = timeout);
        self
    }

    /// Compresses OTLP payloads (default: none).
    ///
    /// ```
    /// let config = tracekit::Config::new().otlp_compression(tracekit::Compression::Gzip);
    /// # let _ = config;
    /// ```
    pub fn otlp_compression(mut self, compression: Compression) -> Self {
        self.each_otlp(|otlp| otlp.compression = compression);
        self
    }

    /// Trusts the CA certificates of this PEM file, and only them, for an
    /// `https://` OTLP endpoint (as `OTEL_EXPORTER_OTLP_CERTIFICATE`): for a
    /// collector whose certificate a private or self-signed CA issued.
    /// Without it, the system's trusted roots are used. The file is read
    /// when tracing is installed.
    ///
    /// ```
    /// let config = tracekit::Config::new()
    ///     .otlp_endpoint("https://collector.internal:4317")
    ///     .otlp_certificate("/etc/ssl/private-ca.pem");
    /// # let _ = config;
    /// ```
    pub fn otlp_certificate(mut self, path: impl Into<PathBuf>) -> Self {
        let ca = PemFile { path: path.into(), setting: "Config::otlp_certificate" };
        self.each_otlp(|otlp| otlp.tls.ca = Some(ca.clone()));
        self
    }

    /// Presents this client certificate chain and private key (PEM files) to
    /// an `https://` OTLP endpoint that asks for mutual TLS (as
    /// `OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE` and `OTEL_EXPORTER_OTLP_CLIENT_KEY`).
    ///
    /// ```
    /// let config = tracekit::Config::new()
    ///     .otlp_endpoint("https://collector.internal:4317")
    ///     .otlp_client_identity("/etc/tracing/client.pem", "/etc/tracing/client.key");
    /// # let _ = config;
    /// ```
    pub fn otlp_client_identity(mut self, certificate: impl Into<PathBuf>, key: impl Into<PathBuf>) -> Self {
        let setting = "Config::otlp_client_identity";
        let (certificate, key) = (PemFile { path: certificate.into(), setting }, PemFile { path: key.into(), setting });
        self.each_otlp(|otlp| {
            otlp.tls.client_certificate = Some(certificate.clone());
            otlp.tls.client_key = Some(key.clone());
        });
        self
    }

    /// Applies an OTLP setting to the span exporter and the metrics
    /// exporter alike, as the general `OTEL_EXPORTER_OTLP_*` variables do.
    fn each_otlp(&mut self, set: impl Fn(&mut OtlpSettings)) {
        set(&mut self.otlp);
        set(&mut self.metrics.otlp);
    }

    /// Chooses which traces are recorded (default: parent-based, always on).
    ///
    /// ```
    /// let config = tracekit::Config::new().sampler(tracekit::Sampler::TraceIdRatio(0.1));
    /// # let _ = config;
    /// ```
    pub fn sampler(mut self, sampler: Sampler) -> Self {
        self.sampler = sampler;
        self
    }

    /// Keeps the local traces that head sampling dropped when they fail,
    /// run past a `trace_performance` threshold, or run long (see
    /// [`KeepPolicy`]; off by default).
    ///
    /// ```
    /// use tracekit::{Config, KeepPolicy, Sampler};
    /// let config = Config::new().sampler(Sampler::ParentBasedTraceIdRatio(0.1)).keep(KeepPolicy::new().errors());
    /// # let _ = config;
    /// ```
    pub fn keep(mut self, policy: KeepPolicy) -> Self {
        self.keep = policy;
        self
    }

    /// Sets the batch processor's settings, for OTLP and an exporter given
    /// to [`Config::span_exporter`] (see [`BatchSettings`]): `set` changes
    /// what the `OTEL_BSP_*` variables (or the defaults) said.
    ///
    /// ```
    /// use std::time::Duration;
    /// let config = tracekit::Config::new()
    ///     .batch(|batch| batch.schedule_delay(Duration::from_millis(500)).max_queue_size(4096));
    /// # let _ = config;
    /// ```
    pub fn batch(mut self, set: impl FnOnce(BatchSettings) -> BatchSettings) -> Self {
        self.batch = set(self.batch);
        self
    }

    /// Sets how much one span may hold (see [`SpanLimitSettings`]): `set`
    /// changes what the `OTEL_SPAN_*_LIMIT` and `OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT`
    /// variables (or the defaults) said.
    ///
    /// ```
    /// let config = tracekit::Config::new().span_limits(|limits| limits.attributes(64).events(32).links(16));
    /// # let _ = config;
    /// ```
    pub fn span_limits(mut self, set: impl FnOnce(SpanLimitSettings) -> SpanLimitSettings) -> Self {
        self.limits = set(self.limits);
        self
    }

    /// Uses a tracer provider you built, with your own exporters and
    /// processors: the attributes record into it. tracekit flushes it when
    /// its guard is dropped but does not shut it down; it stays yours.
    ///
    /// ```
    /// use tracekit::opentelemetry_sdk::trace::SdkTracerProvider;
    /// let provider = SdkTracerProvider::builder().build();
    /// let guard = tracekit::Config::new().tracer_provider(provider.clone()).install().unwrap();
    /// drop(guard);
    /// provider.shutdown().unwrap();
    /// ```
    pub fn tracer_provider(mut self, provider: SdkTracerProvider) -> Self {
        self.provider = Some(provider);
        self
    }

    /// Exports to `exporter`, any OpenTelemetry `SpanExporter` (a vendor's,
    /// `opentelemetry-stdout`, one of your own), in place of the exporter
    /// chosen by [`exporters`](Config::exporters). It gets what the OTLP
    /// exporter gets: the sampler, limits and resource of this configuration,
    /// and tracekit's batch processor, whose losses
    /// [`export_stats`](crate::export_stats) counts.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    /// use tracekit::opentelemetry_sdk::error::OTelSdkResult;
    /// use tracekit::opentelemetry_sdk::trace::{SpanData, SpanExporter};
    ///
    /// #[derive(Clone, Debug, Default)]
    /// struct Counting(Arc<AtomicUsize>);
    ///
    /// impl SpanExporter for Counting {
    ///     async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
    ///         self.0.fetch_add(batch.len(), Ordering::Relaxed);
    ///         Ok(())
    ///     }
    /// }
    ///
    /// let exported = Counting::default();
    /// let guard = tracekit::Config::new().span_exporter(exported.clone()).install().unwrap();
    /// tracekit::span("job").in_scope(|| ());
    /// drop(guard); // flushes
    /// assert_eq!(exported.0.load(Ordering::Relaxed), 1);
    /// ```
    pub fn span_exporter<E: SpanExporter + 'static>(mut self, exporter: E) -> Self {
        self.span_exporter = Some(GivenExporter::new(exporter, "the exporter given to Config::span_exporter"));
        self
    }

    /// Chooses how traces cross process boundaries (default: W3C Trace
    /// Context and Baggage); see [`propagation`](crate::propagation).
    ///
    /// ```
    /// use tracekit::propagation::Propagator;
    /// let config = tracekit::Config::new().propagators(&[Propagator::TraceContext]);
    /// # let _ = config;
    /// ```
    pub fn propagators(mut self, propagators: &[Propagator]) -> Self {
        self.propagators = Some(propagators.to_vec());
        self
    }

    /// How much tracekit says about itself (default: `OTEL_LOG_LEVEL`, else
    /// [`LogLevel::Warn`]): lost spans and slow calls, through `tracing` when
    /// a subscriber is installed, else on stderr.
    ///
    /// ```
    /// let config = tracekit::Config::new().log_level(tracekit::LogLevel::None);
    /// # let _ = config;
    /// ```
    pub fn log_level(mut self, level: LogLevel) -> Self {
        self.log_level = Some(level);
        self
    }

    /// Records metrics and sends them to `exporters` (default: none, as
    /// `OTEL_METRICS_EXPORTER`): the duration of every annotated call,
    /// manual span and HTTP/gRPC request, sampled or not, and the sampler's
    /// decisions. The OTLP methods above apply to the metrics too.
    ///
    /// ```
    /// use tracekit::{Config, Exporter, MetricsExporter};
    /// let config = Config::new().exporters(&[Exporter::None]).metrics(&[MetricsExporter::Console]);
    /// # let _ = config;
    /// ```
    pub fn metrics(mut self, exporters: &[MetricsExporter]) -> Self {
        self.metrics.exporters = exporters.to_vec();
        self
    }

    /// How often metrics are exported over OTLP or to the console (default:
    /// 60 s, as `OTEL_METRIC_EXPORT_INTERVAL`). Prometheus scrapes at its own pace.
    ///
    /// ```
    /// let config = tracekit::Config::new().metrics_interval(std::time::Duration::from_secs(10));
    /// # let _ = config;
    /// ```
    pub fn metrics_interval(mut self, interval: std::time::Duration) -> Self {
        self.metrics.interval = interval;
        self
    }

    /// Sends OTLP metrics to `url` rather than where spans go (as
    /// `OTEL_EXPORTER_OTLP_METRICS_ENDPOINT`: used as it is, no path appended).
    ///
    /// ```
    /// let config = tracekit::Config::new().metrics_otlp_endpoint("http://localhost:4318/v1/metrics");
    /// # let _ = config;
    /// ```
    pub fn metrics_otlp_endpoint(mut self, url: impl Into<String>) -> Self {
        self.metrics.otlp.endpoint = Some(Endpoint::Signal(url.into()));
        self
    }

    /// Serves the Prometheus scrape endpoint on `host:port` (default
    /// `localhost:9464`, as `OTEL_EXPORTER_PROMETHEUS_HOST` and `_PORT`).
    ///
    /// ```
    /// let config = tracekit::Config::new().prometheus_address("0.0.0.0", 9464);
    /// # let _ = config;
    /// ```
    pub fn prometheus_address(mut self, host: impl Into<String>, port: u16) -> Self {
        self.metrics.prometheus_host = host.into();
        self.metrics.prometheus_port = port;
        self
    }

    /// Sets the duration histograms' bucket boundaries, in seconds
    /// (default: 100 µs to 60 s in 18 buckets); they must increase.
    ///
    /// ```
    /// let config = tracekit::Config::new().metrics_boundaries(&[0.001, 0.01, 0.1, 1.0]);
    /// # let _ = config;
    /// ```
    pub fn metrics_boundaries(mut self, boundaries: &[f64]) -> Self {
        self.metrics.boundaries = boundaries.to_vec();
        self
    }

    /// Every exporter spans will go to, in order; empty for none.
    ///
    /// ```
    /// use tracekit::{Config, Exporter};
    /// assert_eq!(Config::new().chosen_exporters(), [Exporter::Console]);
    /// assert_eq!(Config::new().exporters(&[Exporter::None]).chosen_exporters(), []);
    /// ```
    pub fn chosen_exporters(&self) -> &[Exporter] {
        &self.exporters
    }

    /// Whether installing this configuration records spans at all.
    ///
    /// ```
    /// let off = tracekit::Config::new().exporters(&[tracekit::Exporter::None]);
    /// assert!(!off.is_recording());
    /// ```
    pub fn is_recording(&self) -> bool {
        self.enabled && (!self.exporters.is_empty() || self.provider.is_some() || self.span_exporter.is_some())
    }

    /// Checks what the builder methods set; values from the environment were
    /// checked as they were read.
    pub(crate) fn check(&self) -> Result<(), ConfigError> {
        check_boundaries("Config::metrics_boundaries", &self.metrics.boundaries)?;
        for exporter in &self.metrics.exporters {
            exporter.check_compiled("Config::metrics", &format!("{exporter:?}"))?;
        }
        if self.metrics.exporters.contains(&MetricsExporter::Otlp) {
            let url = self.metrics.otlp.url();
            otlp::check_endpoint("Config::metrics_otlp_endpoint", &url)?;
            otlp::check_scheme_compiled("Config::metrics_otlp_endpoint", &url)?;
            self.metrics.otlp.tls.check_compiled()?;
        }
        let listed = || format!("{:?}", self.exporters);
        let once = Exporter::each_once(&self.exporters);
        if !once || (self.exporters.len() > 1 && self.exporters.contains(&Exporter::None)) {
            return Err(ConfigError::InvalidValue {
                variable: "Config::exporters",
                value: listed(),
                expected: "each exporter at most once, and None only alone",
            });
        }
        if self.is_recording() && self.provider.is_none() && self.span_exporter.is_none() {
            for exporter in &self.exporters {
                exporter.check_compiled("Config::exporters", &format!("{exporter:?}"))?;
            }
        }
        if self.exporters.contains(&Exporter::Otlp) {
            let url = self.otlp.url();
            otlp::check_endpoint("Config::otlp_endpoint", &url)?;
            otlp::check_scheme_compiled("Config::otlp_endpoint", &url)?;
            if let Some(port) = otlp::port_of(&url) {
                otlp::check_jaeger_port("Config::jaeger", port)?;
            }
            self.otlp.tls.check_compiled()?;
        }
        if let Sampler::TraceIdRatio(ratio) | Sampler::ParentBasedTraceIdRatio(ratio) = self.sampler {
            check_ratio("Config::sampler", ratio)?;
        }
        self.keep.check("Config::keep")?;
        if self.keep.is_on() && self.provider.is_some() {
            return Err(ConfigError::InvalidValue {
                variable: "Config::keep",
                value: format!("{:?}", self.keep),
                expected: "no keep policy with Config::tracer_provider: the program's own provider samples its spans",
            });
        }
        for propagator in self.propagators.iter().flatten() {
            propagator.check_compiled("Config::propagators", &format!("{propagator:?}"))?;
        }
        self.batch.check(&SizeSettings::BUILDER)
    }
}

/// What a build without some features says; run with those features off
/// (`.ci/run` does: the defaults, and `console` alone).
#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn from_vars(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let vars: HashMap<_, _> = vars.iter().copied().collect();
        Config::from_lookup(|name| vars.get(name).map(|value| value.to_string()))
    }

    #[allow(dead_code, reason = "used only by the tests of builds without some features")]
    fn not_compiled(variable: &'static str, value: &str, feature: &'static str) -> ConfigError {
        ConfigError::NotCompiled { variable, value: value.to_owned(), feature }
    }

    #[test]
    fn the_default_exporter_is_one_this_build_has() {
        assert_eq!(Exporter::DEFAULT.missing_feature(), None);
        assert!(from_vars(&[]).unwrap().check().is_ok());
    }

    #[cfg(not(feature = "otlp"))]
    #[test]
    fn an_exporter_left_out_of_the_build_is_an_init_error_naming_its_feature() {
        let error = from_vars(&[("TRACING_EXPORTER", "otlp")]).unwrap_err();
        assert_eq!(error, not_compiled("TRACING_EXPORTER", "otlp", "otlp"));
        assert_eq!(
            from_vars(&[("OTEL_TRACES_EXPORTER", "otlp")]).unwrap_err(),
            not_compiled("OTEL_TRACES_EXPORTER", "otlp", "otlp")
        );
        let installed = Config::new().exporters(&[Exporter::Otlp]).install().unwrap_err();
        assert!(matches!(installed, crate::InitError::Config(ConfigError::NotCompiled { feature: "otlp", .. })));
        // The message the README shows, under "Cargo features".
        let readme = include_str!("../../../README.md");
        let message = crate::InitError::Config(error).to_string();
        assert!(readme.contains(&message), "the README shows {message:?}");
        // An OTLP endpoint in the environment does not matter to another exporter.
        assert!(from_vars(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "https://collector:4317")]).is_ok());
    }

    #[cfg(not(feature = "testing"))]
    #[test]
    fn the_in_memory_exporter_needs_the_testing_feature() {
        let error = from_vars(&[("TRACING_EXPORTER", "in_memory")]).unwrap_err();
        assert_eq!(error, not_compiled("TRACING_EXPORTER", "in_memory", "testing"));
    }

    #[cfg(not(feature = "console"))]
    #[test]
    fn the_console_exporter_needs_the_console_feature() {
        let error = from_vars(&[("TRACING_EXPORTER", "console")]).unwrap_err();
        assert_eq!(error, not_compiled("TRACING_EXPORTER", "console", "console"));
    }

    #[cfg(not(feature = "b3"))]
    #[test]
    fn a_b3_propagator_needs_the_b3_feature() {
        let error = from_vars(&[("OTEL_PROPAGATORS", "tracecontext,b3")]).unwrap_err();
        assert_eq!(error, not_compiled("OTEL_PROPAGATORS", "tracecontext,b3", "b3"));
        assert_eq!(
            Config::new().propagators(&[Propagator::B3Multi]).check().unwrap_err(),
            not_compiled("Config::propagators", "B3Multi", "b3")
        );
    }

    #[cfg(all(feature = "otlp", not(feature = "tls")))]
    #[test]
    fn tls_without_a_tls_feature_is_an_init_error_naming_the_features() {
        let tls = "tls-ring` or `tls-aws-lc";
        let error =
            from_vars(&[("TRACING_EXPORTER", "otlp"), ("OTEL_EXPORTER_OTLP_ENDPOINT", "https://collector:4317")])
                .unwrap_err();
        assert_eq!(error, not_compiled("OTEL_EXPORTER_OTLP_ENDPOINT", "https://collector:4317", tls));
        assert!(error.to_string().contains("needs tracekit's `tls-ring` or `tls-aws-lc` cargo feature"), "{error}");
        let error =
            from_vars(&[("TRACING_EXPORTER", "otlp"), ("OTEL_EXPORTER_OTLP_CERTIFICATE", "/etc/ca.pem")]).unwrap_err();
        assert_eq!(error, not_compiled("OTEL_EXPORTER_OTLP_CERTIFICATE", "/etc/ca.pem", tls));
        let built = Config::new().otlp_endpoint("https://collector:4317").check().unwrap_err();
        assert_eq!(built, not_compiled("Config::otlp_endpoint", "https://collector:4317", tls));
        let built =
            Config::new().otlp_endpoint("http://collector:4317").otlp_certificate("/etc/ca.pem").check().unwrap_err();
        assert_eq!(built, not_compiled("Config::otlp_certificate", "/etc/ca.pem", tls));
        // Plain text still works.
        assert!(Config::new().otlp_endpoint("http://collector:4317").check().is_ok());
    }
}
