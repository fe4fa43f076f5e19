//! What to trace and where to send it, gathered from the environment and
//! the builder, and checked before it is installed.
//!
//! Precedence: builder methods > `TRACING_*` variables > `OTEL_*` variables >
//! defaults. Values are checked when the configuration is read or installed;
//! every problem is a [`ConfigError`] naming the setting, the value and what
//! is accepted.

mod env;
mod key_values;
mod vars;

use crate::error::{ConfigError, InitError};
use crate::export::batch::{BatchSettings, GivenExporter, SizeSettings};
use crate::export::console::ConsoleSettings;
use crate::export::otlp::OtlpSettings;
use crate::export::Exporter;
use crate::install::{Settings, TracingGuard};
use crate::metrics::MetricsSettings;
use crate::pipeline::{check_ratio, KeepPolicy, Sampler, SpanLimitSettings};
use crate::propagation::Propagator;
use crate::support::diagnostics::LogLevel;
use opentelemetry_sdk::trace::{SdkTracerProvider, SpanExporter};

/// Tracing configuration: read from the environment with [`Config::from_env`],
/// set in code with the builder methods, then [`install`](Config::install)ed.
/// Each component has its own settings type, set through a closure:
/// [`Config::console`], [`Config::otlp`], [`Config::batch`],
/// [`Config::span_limits`] and [`Config::metrics`].
///
/// ```
/// use tracekit::{Config, ConsoleFormat, Exporter};
///
/// let guard = Config::new()
///     .service_name("billing")
///     .exporters(&[Exporter::Console])
///     .console(|console| console.format(ConsoleFormat::Line))
///     .install()
///     .expect("tracing starts");
/// // ... the program runs; dropping the guard flushes and shuts down.
/// drop(guard);
/// ```
///
#[doc = include_str!("../../docs/configuration.md")]
#[derive(Clone, Debug)]
pub struct Config {
    settings: Settings,
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
        Config { settings: Settings::default() }
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
        Ok(Config { settings: env::read(&vars::Vars::new(&lookup))? })
    }

    /// Sets `service.name` (default: `OTEL_SERVICE_NAME`, else the executable's name).
    ///
    /// ```
    /// let config = tracekit::Config::new().service_name("checkout");
    /// # let _ = config;
    /// ```
    pub fn service_name(mut self, name: impl Into<String>) -> Self {
        self.settings.service_name = Some(name.into());
        self
    }

    /// Sets `service.version`.
    ///
    /// ```
    /// let config = tracekit::Config::new().service_version(env!("CARGO_PKG_VERSION"));
    /// # let _ = config;
    /// ```
    pub fn service_version(mut self, version: impl Into<String>) -> Self {
        self.settings.service_version = Some(version.into());
        self
    }

    /// Adds a resource attribute, such as `deployment.environment.name`.
    ///
    /// ```
    /// let config = tracekit::Config::new().resource_attribute("deployment.environment.name", "staging");
    /// # let _ = config;
    /// ```
    pub fn resource_attribute(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.settings.resource_attributes.push((key.into(), value.into()));
        self
    }

    /// Turns tracing on or off; off behaves as [`Exporter::None`].
    ///
    /// ```
    /// let config = tracekit::Config::new().enabled(false);
    /// assert!(!config.is_recording());
    /// ```
    pub fn enabled(mut self, enabled: bool) -> Self {
        self.settings.enabled = enabled;
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
        self.settings.opentelemetry_context = on;
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
        self.settings.exporters = if exporters == [Exporter::None] { Vec::new() } else { exporters.to_vec() };
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
        &self.settings.exporters
    }

    /// Whether installing this configuration records spans at all.
    ///
    /// ```
    /// let off = tracekit::Config::new().exporters(&[tracekit::Exporter::None]);
    /// assert!(!off.is_recording());
    /// ```
    pub fn is_recording(&self) -> bool {
        self.settings.is_recording()
    }

    /// Sets the console exporter's format and writer (see [`ConsoleSettings`]):
    /// `set` changes what `TRACING_CONSOLE_FORMAT` (or the default) said.
    ///
    /// ```
    /// use tracekit::ConsoleFormat;
    /// let config = tracekit::Config::new().console(|console| console.format(ConsoleFormat::Json));
    /// # let _ = config;
    /// ```
    pub fn console(mut self, set: impl FnOnce(ConsoleSettings) -> ConsoleSettings) -> Self {
        self.settings.console = set(self.settings.console);
        self
    }

    /// Sets the OTLP exporter's endpoint, transport, headers, timeout,
    /// compression and TLS files (see [`OtlpSettings`]): `set` changes what
    /// the `OTEL_EXPORTER_OTLP_*` variables (or the defaults) said, for
    /// spans and metrics alike, as the general variables do. When `set`
    /// gives an endpoint, OTLP becomes the exporter, unless it is among the
    /// exporters already.
    ///
    /// ```
    /// use tracekit::{Config, Exporter, Protocol};
    /// let config = Config::new().otlp(|otlp| otlp.endpoint("http://collector:4318").protocol(Protocol::HttpProtobuf));
    /// assert_eq!(config.chosen_exporters(), [Exporter::Otlp]);
    /// ```
    pub fn otlp(mut self, set: impl FnOnce(OtlpSettings) -> OtlpSettings) -> Self {
        let changes = set(OtlpSettings::default());
        if changes.sets_endpoint() && !self.settings.exporters.contains(&Exporter::Otlp) {
            self.settings.exporters = vec![Exporter::Otlp];
        }
        changes.apply_to(&mut self.settings.otlp);
        changes.apply_to(&mut self.settings.metrics.otlp);
        self
    }

    /// Chooses which traces are recorded (default: parent-based, always on).
    ///
    /// ```
    /// let config = tracekit::Config::new().sampler(tracekit::Sampler::TraceIdRatio(0.1));
    /// # let _ = config;
    /// ```
    pub fn sampler(mut self, sampler: Sampler) -> Self {
        self.settings.sampler = sampler;
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
        self.settings.keep = policy;
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
        self.settings.batch = set(self.settings.batch);
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
        self.settings.limits = set(self.settings.limits);
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
        self.settings.provider = Some(provider);
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
        self.settings.span_exporter = Some(GivenExporter::new(exporter, "the exporter given to Config::span_exporter"));
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
        self.settings.propagators = Some(propagators.to_vec());
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
        self.settings.log_level = Some(level);
        self
    }

    /// Records metrics (see [`MetricsSettings`]; off by default): `set`
    /// changes what the `OTEL_METRICS_*` and Prometheus variables (or the
    /// defaults) said. Metrics over OTLP go where [`Config::otlp`] says,
    /// unless [`MetricsSettings::otlp_endpoint`] says otherwise.
    ///
    /// ```
    /// use tracekit::{Config, Exporter, MetricsExporter};
    /// let config = Config::new().exporters(&[Exporter::None]).metrics(|metrics| metrics.exporters(&[MetricsExporter::Console]));
    /// # let _ = config;
    /// ```
    pub fn metrics(mut self, set: impl FnOnce(MetricsSettings) -> MetricsSettings) -> Self {
        self.settings.metrics = set(self.settings.metrics);
        self
    }

    /// Installs this configuration for the whole process, after checking
    /// it. The returned guard flushes and shuts tracing down when dropped.
    /// A second installation while the first is live is an error.
    ///
    /// ```
    /// let guard = tracekit::Config::new().exporters(&[tracekit::Exporter::None]).install().unwrap();
    /// drop(guard);
    /// ```
    pub fn install(self) -> Result<TracingGuard, InitError> {
        self.check()?;
        crate::install::install(self.settings)
    }

    /// Checks what the builder methods set; values from the environment were
    /// checked as they were read.
    pub(crate) fn check(&self) -> Result<(), ConfigError> {
        let settings = &self.settings;
        settings.metrics.check("Config::metrics")?;
        let exporters = &settings.exporters;
        if !Exporter::each_once(exporters) || (exporters.len() > 1 && exporters.contains(&Exporter::None)) {
            return Err(ConfigError::InvalidValue {
                variable: "Config::exporters",
                value: format!("{exporters:?}"),
                expected: "each exporter at most once, and None only alone",
            });
        }
        if settings.is_recording() && settings.provider.is_none() && settings.span_exporter.is_none() {
            for exporter in exporters {
                exporter.check_compiled("Config::exporters", &format!("{exporter:?}"))?;
            }
        }
        if exporters.contains(&Exporter::Otlp) {
            settings.otlp.check("Config::otlp")?;
        }
        if let Sampler::TraceIdRatio(ratio) | Sampler::ParentBasedTraceIdRatio(ratio) = settings.sampler {
            check_ratio("Config::sampler", ratio)?;
        }
        settings.keep.check("Config::keep")?;
        if settings.keep.is_on() && settings.provider.is_some() {
            return Err(ConfigError::InvalidValue {
                variable: "Config::keep",
                value: format!("{:?}", settings.keep),
                expected: "no keep policy with Config::tracer_provider: the program's own provider samples its spans",
            });
        }
        for propagator in settings.propagators.iter().flatten() {
            propagator.check_compiled("Config::propagators", &format!("{propagator:?}"))?;
        }
        settings.batch.check(&SizeSettings::BUILDER)
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
        assert_eq!(Exporter::DEFAULT.check_compiled("TRACING_EXPORTER", "default"), Ok(()));
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
        let built = Config::new().otlp(|otlp| otlp.endpoint("https://collector:4317")).check().unwrap_err();
        assert_eq!(built, not_compiled("Config::otlp", "https://collector:4317", tls));
        let built = Config::new()
            .otlp(|otlp| otlp.endpoint("http://collector:4317").certificate("/etc/ca.pem"))
            .check()
            .unwrap_err();
        assert_eq!(built, not_compiled("OtlpSettings::certificate", "/etc/ca.pem", tls));
        // Plain text still works.
        assert!(Config::new().otlp(|otlp| otlp.endpoint("http://collector:4317")).check().is_ok());
    }
}
