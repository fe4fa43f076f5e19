//! The exporters a program chooses among, by name or in code.

use crate::error::ConfigError;

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
