//! Spans captured in tests, and queries over them.
//!
//! [`capture`] and [`capture_async`] work without [`init`](crate::init) and
//! see only the spans made inside them, even while other tests run on other
//! threads. [`recorded`] reads the whole process's spans when
//! `TRACING_EXPORTER=in_memory` is installed.

mod capture;
mod spans;

pub use capture::{capture, capture_async, Capture};
pub use spans::{CapturedSpan, Spans};

use crate::export::SpanStore;

fn global_store(function: &str) -> SpanStore {
    crate::install::memory_store().unwrap_or_else(|| {
        panic!(
            "tracekit::testing::{function} reads the in-memory exporter, which is not installed: \
             set TRACING_EXPORTER=in_memory before tracekit::init(), or install \
             Config::new().exporters(&[Exporter::InMemory])"
        )
    })
}

/// Every span the installed in-memory exporter holds, oldest first.
///
/// # Panics
/// When the installed exporter is not [`Exporter::InMemory`](crate::Exporter::InMemory).
///
/// ```
/// use tracekit::{testing, Config, Exporter};
/// let _guard = Config::new().exporters(&[Exporter::InMemory]).install().unwrap();
/// tracekit::span("job").in_scope(|| ());
/// assert_eq!(testing::recorded().get("job").name(), "job");
/// ```
pub fn recorded() -> Spans {
    Spans::new(global_store("recorded").snapshot())
}

/// Like [`recorded`], and empties the exporter in the same step.
///
/// # Panics
/// When the installed exporter is not [`Exporter::InMemory`](crate::Exporter::InMemory).
///
/// ```
/// use tracekit::{testing, Config, Exporter};
/// let _guard = Config::new().exporters(&[Exporter::InMemory]).install().unwrap();
/// tracekit::span("job").in_scope(|| ());
/// assert_eq!(testing::take_recorded().len(), 1);
/// assert!(testing::recorded().is_empty());
/// ```
pub fn take_recorded() -> Spans {
    Spans::new(global_store("take_recorded").take())
}

/// Empties the installed in-memory exporter.
///
/// # Panics
/// When the installed exporter is not [`Exporter::InMemory`](crate::Exporter::InMemory).
///
/// ```
/// use tracekit::{testing, Config, Exporter};
/// let _guard = Config::new().exporters(&[Exporter::InMemory]).install().unwrap();
/// tracekit::span("job").in_scope(|| ());
/// testing::clear_recorded();
/// assert!(testing::recorded().is_empty());
/// ```
pub fn clear_recorded() {
    global_store("clear_recorded").clear();
}
