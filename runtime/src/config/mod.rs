//! What to trace and where to send it, from the environment or from code.
//!
//! Precedence: builder methods > `TRACING_*` variables > `OTEL_*` variables >
//! defaults. Values are checked when the configuration is read or installed;
//! every problem is a [`ConfigError`] naming the setting, the value and what
//! is accepted.

mod env;
pub(crate) mod otlp;
mod sampling;
mod vars;

pub use otlp::{Compression, Protocol};
pub use sampling::Sampler;

use crate::diagnostics::LogLevel;
use crate::error::{ConfigError, InitError};
use crate::exporter::BatchProcessor;
use crate::install::{self, TracingGuard};
use crate::propagation::Propagator;
use crate::recorded_span::FinishedSpan;
use opentelemetry_sdk::trace::{SdkTracerProvider, SpanExporter};
use otlp::{Endpoint, OtlpSettings, PemFile, Secret};
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What a B3 propagator asks for when tracekit was built without it.
pub(crate) const B3_NEEDS_FEATURE: &str =
    "a propagator of this build: b3 and b3multi need tracekit's `b3` cargo feature";

/// Where finished spans go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Exporter {
    /// Readable output on stderr (`TRACING_EXPORTER=console`, the default).
    Console,
    /// OTLP to a collector, Jaeger, Tempo or a vendor (`TRACING_EXPORTER=otlp`
    /// or `jaeger`, `OTEL_TRACES_EXPORTER=otlp`), through the batch processor.
    Otlp,
    /// Kept in memory for the whole process, read with
    /// [`testing::recorded`](crate::testing::recorded) (`TRACING_EXPORTER=in_memory`).
    InMemory,
    /// Nothing is recorded; annotated calls cost one check (`TRACING_EXPORTER=none`).
    None,
}

/// How the console exporter prints (`TRACING_CONSOLE_FORMAT`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ConsoleFormat {
    /// Each trace as an indented tree with timing bars, printed when its root span ends (`tree`).
    #[default]
    Tree,
    /// One line per span: `TRACE: name (start-end, duration) status=UNSET` (`line`).
    Line,
    /// One JSON object per span, one per line (`json`).
    Json,
}

/// Tracing configuration: read from the environment with [`Config::from_env`],
/// set in code with the builder methods, then [`install`](Config::install)ed.
///
/// ```
/// use tracekit::{Config, ConsoleFormat, Exporter};
///
/// let guard = Config::new()
///     .service_name("billing")
///     .exporter(Exporter::Console)
///     .console_format(ConsoleFormat::Line)
///     .install()
///     .expect("tracing starts");
/// // ... the program runs; dropping the guard flushes and shuts down.
/// drop(guard);
/// ```
#[derive(Clone, Debug)]
pub struct Config {
    pub(crate) enabled: bool,
    pub(crate) exporter: Exporter,
    pub(crate) console_format: ConsoleFormat,
    pub(crate) console_writer: Option<SharedWriter>,
    pub(crate) service_name: Option<String>,
    pub(crate) service_version: Option<String>,
    pub(crate) resource_attributes: Vec<(String, String)>,
    pub(crate) otlp: OtlpSettings,
    pub(crate) sampler: Sampler,
    pub(crate) batch: BatchSettings,
    pub(crate) limits: Limits,
    pub(crate) provider: Option<SdkTracerProvider>,
    pub(crate) span_exporter: Option<GivenExporter>,
    /// `None`: the default propagators (Trace Context and Baggage).
    pub(crate) propagators: Option<Vec<Propagator>>,
    /// `OTEL_LOG_LEVEL`: how much tracekit says about itself; `None` keeps what is in force.
    pub(crate) log_level: Option<LogLevel>,
}

/// The batch span processor's sizes and timings (`OTEL_BSP_*`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct BatchSettings {
    pub(crate) schedule_delay: Duration,
    pub(crate) max_queue_size: usize,
    pub(crate) max_export_batch_size: usize,
    pub(crate) export_timeout: Duration,
}

impl Default for BatchSettings {
    fn default() -> Self {
        BatchSettings {
            schedule_delay: Duration::from_millis(5000),
            max_queue_size: 2048,
            max_export_batch_size: 512,
            export_timeout: Duration::from_millis(30_000),
        }
    }
}

/// Span limits (`OTEL_SPAN_*_COUNT_LIMIT`, `OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Limits {
    pub(crate) attribute_count: u32,
    pub(crate) event_count: u32,
    pub(crate) attribute_value_length: Option<usize>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { attribute_count: 128, event_count: 128, attribute_value_length: None }
    }
}

/// An exporter the program gave: started behind tracekit's batch processor
/// when the configuration is installed, which can happen once.
#[derive(Clone)]
pub(crate) struct GivenExporter(Arc<Mutex<Option<StartBatch>>>);

type StartBatch = Box<dyn FnOnce(BatchSettings, Option<usize>) -> std::io::Result<BatchProcessor<FinishedSpan>> + Send>;

impl GivenExporter {
    /// The batch processor exporting to it; `None` if a clone of the
    /// configuration installed it already.
    pub(crate) fn start(
        &self,
        settings: BatchSettings,
        value_length: Option<usize>,
    ) -> Option<std::io::Result<BatchProcessor<FinishedSpan>>> {
        let start = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).take()?;
        Some(start(settings, value_length))
    }
}

impl std::fmt::Debug for GivenExporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("GivenExporter")
    }
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
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).flush()
    }
}

impl Default for Config {
    fn default() -> Self {
        Config::new()
    }
}

impl Config {
    /// Tracing enabled, to the console as a tree, named after the executable.
    ///
    /// ```
    /// let config = tracekit::Config::new();
    /// assert_eq!(config.exporter_kind(), tracekit::Exporter::Console);
    /// ```
    pub fn new() -> Self {
        Config {
            enabled: true,
            exporter: Exporter::Console,
            console_format: ConsoleFormat::Tree,
            console_writer: None,
            service_name: None,
            service_version: None,
            resource_attributes: Vec::new(),
            otlp: OtlpSettings::default(),
            sampler: Sampler::default(),
            batch: BatchSettings::default(),
            limits: Limits::default(),
            provider: None,
            span_exporter: None,
            propagators: None,
            log_level: None,
        }
    }

    /// Reads the `TRACING_*` and `OTEL_*` variables (see the README's
    /// configuration table) from the process environment. Unset or empty
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
    /// assert_eq!(config.exporter_kind(), tracekit::Exporter::None);
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

    /// Chooses where spans go.
    ///
    /// ```
    /// let config = tracekit::Config::new().exporter(tracekit::Exporter::InMemory);
    /// assert_eq!(config.exporter_kind(), tracekit::Exporter::InMemory);
    /// ```
    pub fn exporter(mut self, exporter: Exporter) -> Self {
        self.exporter = exporter;
        self
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
    /// Also selects [`Exporter::Otlp`].
    ///
    /// ```
    /// let config = tracekit::Config::new().otlp_endpoint("http://localhost:4317");
    /// assert_eq!(config.exporter_kind(), tracekit::Exporter::Otlp);
    /// ```
    pub fn otlp_endpoint(mut self, url: impl Into<String>) -> Self {
        self.exporter = Exporter::Otlp;
        self.otlp.endpoint = Some(Endpoint::Base(url.into()));
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
        self.exporter = Exporter::Otlp;
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
        self.otlp.protocol = protocol;
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
        self.otlp.headers.push((key.into(), Secret(value.into())));
        self
    }

    /// Sets how long one OTLP export may take (default: 10 s).
    ///
    /// ```
    /// let config = tracekit::Config::new().otlp_timeout(std::time::Duration::from_secs(3));
    /// # let _ = config;
    /// ```
    pub fn otlp_timeout(mut self, timeout: Duration) -> Self {
        self.otlp.timeout = timeout;
        self
    }

    /// Compresses OTLP payloads (default: none).
    ///
    /// ```
    /// let config = tracekit::Config::new().otlp_compression(tracekit::Compression::Gzip);
    /// # let _ = config;
    /// ```
    pub fn otlp_compression(mut self, compression: Compression) -> Self {
        self.otlp.compression = compression;
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
        self.otlp.tls.ca = Some(PemFile { path: path.into(), setting: "Config::otlp_certificate" });
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
        self.otlp.tls.client_certificate = Some(PemFile { path: certificate.into(), setting });
        self.otlp.tls.client_key = Some(PemFile { path: key.into(), setting });
        self
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

    /// Sizes the batch processor used for OTLP: how often it exports, how
    /// many spans it queues (more are dropped, never blocking the program),
    /// and how many go in one request.
    ///
    /// ```
    /// use std::time::Duration;
    /// let config = tracekit::Config::new().batch(Duration::from_millis(500), 4096, 512);
    /// # let _ = config;
    /// ```
    pub fn batch(mut self, schedule_delay: Duration, max_queue_size: usize, max_export_batch_size: usize) -> Self {
        self.batch.schedule_delay = schedule_delay;
        self.batch.max_queue_size = max_queue_size;
        self.batch.max_export_batch_size = max_export_batch_size;
        self
    }

    /// Limits each span's attributes and events (default 128 each) and the
    /// length of string attribute values (default: unlimited).
    ///
    /// ```
    /// let config = tracekit::Config::new().span_limits(64, 32, Some(1024));
    /// # let _ = config;
    /// ```
    pub fn span_limits(
        mut self,
        attribute_count: u32,
        event_count: u32,
        attribute_value_length: Option<usize>,
    ) -> Self {
        self.limits = Limits { attribute_count, event_count, attribute_value_length };
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
    /// chosen by [`exporter`](Config::exporter). It gets what the OTLP
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
        let start: StartBatch = Box::new(move |settings, value_length| {
            let destination = "the exporter given to Config::span_exporter".to_owned();
            BatchProcessor::new(exporter, settings, value_length, destination)
        });
        self.span_exporter = Some(GivenExporter(Arc::new(Mutex::new(Some(start)))));
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

    /// The exporter that will be used.
    ///
    /// ```
    /// assert_eq!(tracekit::Config::new().exporter_kind(), tracekit::Exporter::Console);
    /// ```
    pub fn exporter_kind(&self) -> Exporter {
        self.exporter
    }

    /// Whether installing this configuration records spans at all.
    ///
    /// ```
    /// let off = tracekit::Config::new().exporter(tracekit::Exporter::None);
    /// assert!(!off.is_recording());
    /// ```
    pub fn is_recording(&self) -> bool {
        self.enabled && (self.exporter != Exporter::None || self.provider.is_some() || self.span_exporter.is_some())
    }

    /// Installs this configuration for the whole process. The returned guard
    /// flushes and shuts tracing down when dropped. A second installation
    /// while the first is live is an error.
    ///
    /// ```
    /// let guard = tracekit::Config::new().exporter(tracekit::Exporter::None).install().unwrap();
    /// drop(guard);
    /// ```
    pub fn install(self) -> Result<TracingGuard, InitError> {
        self.check()?;
        install::install(self)
    }

    /// Checks what the builder methods set; values from the environment were
    /// checked as they were read.
    fn check(&self) -> Result<(), ConfigError> {
        let invalid = |setting: &'static str, value: String, expected: &'static str| {
            Err(ConfigError::InvalidValue { variable: setting, value, expected })
        };
        if self.exporter == Exporter::Otlp {
            let url = self.otlp.url();
            if !otlp::is_endpoint_url(&url) {
                return invalid("Config::otlp_endpoint", url, "an http:// or https:// URL");
            }
            let port = url.parse::<http::Uri>().ok().and_then(|uri| uri.port_u16());
            if let Some(port @ (6831 | 6832)) = port {
                return invalid(
                    "Config::jaeger",
                    port.to_string(),
                    "an OTLP port of Jaeger: 4317 (gRPC) or 4318 (HTTP); 6831 and 6832 belong to \
                     Jaeger's retired UDP agent protocol, which tracekit does not speak",
                );
            }
        }
        if let Sampler::TraceIdRatio(ratio) | Sampler::ParentBasedTraceIdRatio(ratio) = self.sampler {
            if !(0.0..=1.0).contains(&ratio) {
                return invalid("Config::sampler", ratio.to_string(), "a ratio from 0.0 to 1.0");
            }
        }
        if !cfg!(feature = "b3") {
            let b3 = [Propagator::B3, Propagator::B3Multi];
            if let Some(propagator) = self.propagators.iter().flatten().find(|p| b3.contains(p)) {
                return invalid("Config::propagators", format!("{propagator:?}"), B3_NEEDS_FEATURE);
            }
        }
        let batch = &self.batch;
        if batch.max_queue_size == 0 || batch.max_export_batch_size == 0 {
            return invalid("Config::batch", "0".to_owned(), "queue and batch sizes greater than zero");
        }
        if batch.max_export_batch_size > batch.max_queue_size {
            return invalid(
                "Config::batch",
                batch.max_export_batch_size.to_string(),
                "a batch size no larger than the queue size",
            );
        }
        Ok(())
    }
}

/// Installs tracing as the environment configures it; see [`Config::from_env`].
///
/// ```
/// let _guard = tracekit::init().expect("valid tracing configuration");
/// ```
pub fn init() -> Result<TracingGuard, InitError> {
    Config::from_env()?.install()
}
