//! The console exporter (feature `console`) and its settings, which
//! configuration reads in every build.

#[cfg(feature = "console")]
mod exporter;
mod settings;

#[cfg(feature = "console")]
pub(crate) use exporter::ConsoleExporter;
pub use settings::{ConsoleFormat, ConsoleSettings};
