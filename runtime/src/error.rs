//! The errors of configuration and installation.

use std::fmt;

/// A configuration value that tracekit cannot use.
///
/// ```
/// let error = tracekit::Config::from_lookup(|name| {
///     (name == "TRACING_EXPORTER").then(|| "jaegar".to_owned())
/// })
/// .unwrap_err();
/// assert_eq!(
///     error.to_string(),
///     "TRACING_EXPORTER=\"jaegar\" is not valid: expected none, or a comma-separated list of console, otlp, jaeger, in_memory, each once"
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// An environment variable holds a value outside the accepted ones.
    InvalidValue {
        /// The variable, such as `TRACING_EXPORTER`.
        variable: &'static str,
        /// The value found, as written (lossily decoded if not UTF-8).
        value: String,
        /// What the variable accepts.
        expected: &'static str,
    },
    /// A setting asks for what this build of tracekit left out: an exporter,
    /// a propagator or TLS whose cargo feature is off.
    NotCompiled {
        /// The variable or builder method, such as `TRACING_EXPORTER`.
        variable: &'static str,
        /// The value found.
        value: String,
        /// The cargo feature of `tracekit` to enable.
        feature: &'static str,
    },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::InvalidValue { variable, value, expected } => {
                write!(f, "{variable}={value:?} is not valid: expected {expected}")
            }
            ConfigError::NotCompiled { variable, value, feature } => write!(
                f,
                "{variable}={value:?} needs tracekit's `{feature}` cargo feature, which this build does not have"
            ),
        }
    }
}

impl std::error::Error for ConfigError {}

impl ConfigError {
    /// Refuses `value` of `setting` when it needs `missing`, a cargo feature
    /// this build lacks: never a silent fallback to something else.
    pub(crate) fn unless_compiled(
        setting: &'static str,
        value: impl FnOnce() -> String,
        missing: Option<&'static str>,
    ) -> Result<(), ConfigError> {
        match missing {
            Some(feature) => Err(ConfigError::NotCompiled { variable: setting, value: value(), feature }),
            None => Ok(()),
        }
    }
}

/// Why [`init`](crate::init) or [`Config::install`](crate::Config::install) failed.
/// Nothing was installed, and any earlier installation is left as it was.
///
/// ```
/// let _first = tracekit::Config::new().exporters(&[tracekit::Exporter::None]).install().unwrap();
/// let second = tracekit::Config::new().install();
/// assert!(matches!(second, Err(tracekit::InitError::AlreadyInitialized)));
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum InitError {
    /// The configuration is invalid.
    Config(ConfigError),
    /// tracekit is installed already; the earlier [`TracingGuard`](crate::TracingGuard)
    /// must be dropped (or [`shutdown`](crate::shutdown) called) first.
    AlreadyInitialized,
    /// The exporter could not be built (for example, a TLS set-up failed).
    Exporter(String),
}

impl fmt::Display for InitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InitError::Config(error) => write!(f, "invalid tracing configuration: {error}"),
            InitError::AlreadyInitialized => f.write_str(
                "tracekit is already initialized: drop the first TracingGuard \
                 (or call tracekit::shutdown()) before initializing again",
            ),
            InitError::Exporter(reason) => write!(f, "cannot build the span exporter: {reason}"),
        }
    }
}

impl std::error::Error for InitError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            InitError::Config(error) => Some(error),
            InitError::AlreadyInitialized | InitError::Exporter(_) => None,
        }
    }
}

impl From<ConfigError> for InitError {
    fn from(error: ConfigError) -> Self {
        InitError::Config(error)
    }
}
