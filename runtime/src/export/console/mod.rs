//! The console exporter (feature `console`) and its output format, which
//! configuration reads in every build.

#[cfg(feature = "console")]
mod exporter;

#[cfg(feature = "console")]
pub(crate) use exporter::ConsoleExporter;

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
