//! What to trace and where to send it, from the environment or from code.

use crate::env::{self, Vars};
use crate::error::{ConfigError, InitError};
use crate::install::{self, TracingGuard};
use std::io::Write;
use std::sync::{Arc, Mutex};

/// Where finished spans go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Exporter {
    /// Readable output on stderr (`TRACING_EXPORTER=console`, the default).
    Console,
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
    pub(crate) service_name: Option<String>,
    pub(crate) enabled: bool,
    pub(crate) exporter: Exporter,
    pub(crate) console_format: ConsoleFormat,
    pub(crate) console_writer: Option<SharedWriter>,
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
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .flush()
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
            service_name: None,
            enabled: true,
            exporter: Exporter::Console,
            console_format: ConsoleFormat::Tree,
            console_writer: None,
        }
    }

    /// Reads `TRACING_ENABLED`, `TRACING_EXPORTER`, `TRACING_CONSOLE_FORMAT`
    /// and `OTEL_SERVICE_NAME` from the process environment. Unset variables
    /// keep the defaults of [`Config::new`].
    ///
    /// ```
    /// let config = tracekit::Config::from_env().expect("valid environment");
    /// # let _ = config;
    /// ```
    pub fn from_env() -> Result<Self, ConfigError> {
        Config::from_lookup(env::process_env)
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
        let vars = Vars::new(&lookup);
        let defaults = Config::new();
        Ok(Config {
            service_name: vars.get("OTEL_SERVICE_NAME"),
            enabled: vars.flag("TRACING_ENABLED")?.unwrap_or(defaults.enabled),
            exporter: vars
                .choice(
                    "TRACING_EXPORTER",
                    "one of console, in_memory, none",
                    &[
                        ("console", Exporter::Console),
                        ("in_memory", Exporter::InMemory),
                        ("in-memory", Exporter::InMemory),
                        ("none", Exporter::None),
                    ],
                )?
                .unwrap_or(defaults.exporter),
            console_format: vars
                .choice(
                    "TRACING_CONSOLE_FORMAT",
                    "one of tree, line, json",
                    &[
                        ("tree", ConsoleFormat::Tree),
                        ("line", ConsoleFormat::Line),
                        ("json", ConsoleFormat::Json),
                    ],
                )?
                .unwrap_or(defaults.console_format),
            console_writer: None,
        })
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
        self.enabled && self.exporter != Exporter::None
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
        install::install(self)
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
