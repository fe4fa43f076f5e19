use opentelemetry::InstrumentationScope;
use std::sync::LazyLock;

/// The instrumentation scope of every span tracekit makes.
pub(crate) static SCOPE: LazyLock<InstrumentationScope> =
    LazyLock::new(|| InstrumentationScope::builder("tracekit").with_version(env!("CARGO_PKG_VERSION")).build());
