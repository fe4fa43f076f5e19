//! What the console exporter prints, and where.

use crate::support::locks::recover;
use std::io::Write;
use std::sync::{Arc, Mutex};

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

/// The console exporter's settings: its format, and where it writes. Set in
/// [`Config::console`](crate::Config::console), over what
/// `TRACING_CONSOLE_FORMAT` said. Console metrics are written to the same
/// place.
///
/// ```
/// use tracekit::ConsoleFormat;
/// let config = tracekit::Config::new().console(|console| console.format(ConsoleFormat::Line).writer(std::io::stdout()));
/// # let _ = config;
/// ```
#[derive(Clone, Debug, Default)]
pub struct ConsoleSettings {
    pub(crate) format: ConsoleFormat,
    /// `None`: stderr, in colour when it is a terminal.
    pub(crate) writer: Option<SharedWriter>,
}

impl ConsoleSettings {
    /// Chooses the output format (`TRACING_CONSOLE_FORMAT`, default [`ConsoleFormat::Tree`]).
    ///
    /// ```
    /// let config = tracekit::Config::new().console(|console| console.format(tracekit::ConsoleFormat::Json));
    /// # let _ = config;
    /// ```
    pub fn format(mut self, format: ConsoleFormat) -> Self {
        self.format = format;
        self
    }

    /// Writes to `writer` instead of stderr, without colours: a log file, or
    /// a buffer in a test.
    ///
    /// ```
    /// let log = std::fs::File::create(std::env::temp_dir().join("traces.log")).unwrap();
    /// let guard = tracekit::Config::new().console(|console| console.writer(log)).install().unwrap();
    /// tracekit::span("job").in_scope(|| ());
    /// drop(guard);
    /// ```
    pub fn writer(mut self, writer: impl Write + Send + 'static) -> Self {
        self.writer = Some(SharedWriter(Arc::new(Mutex::new(writer))));
        self
    }
}

/// A writer shared by the console exporters of spans and metrics.
#[derive(Clone)]
pub(crate) struct SharedWriter(Arc<Mutex<dyn Write + Send>>);

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
