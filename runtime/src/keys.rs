//! The attribute and event names tracekit adds to spans, beside the
//! OpenTelemetry semantic conventions (`code.*`, `error.type`, `exception.*`).

/// Attribute set to `true` on the span of a future dropped before it completed.
///
/// ```
/// assert_eq!(tracekit::keys::CANCELLED, "tracekit.cancelled");
/// ```
pub const CANCELLED: &str = "tracekit.cancelled";

/// Attribute: the `threshold_ms` of `#[trace_performance]`, set when a call exceeds it.
///
/// ```
/// assert_eq!(tracekit::keys::THRESHOLD_MS, "performance.threshold_ms");
/// ```
pub const THRESHOLD_MS: &str = "performance.threshold_ms";

/// Attribute: how long a call that exceeded its threshold took, in milliseconds (float).
///
/// ```
/// assert_eq!(tracekit::keys::DURATION_MS, "performance.duration_ms");
/// ```
pub const DURATION_MS: &str = "performance.duration_ms";

/// Event added when a call exceeds its `#[trace_performance]` threshold.
///
/// ```
/// assert_eq!(tracekit::keys::THRESHOLD_EXCEEDED, "performance.threshold_exceeded");
/// ```
pub const THRESHOLD_EXCEEDED: &str = "performance.threshold_exceeded";

/// Prefix of the attributes recorded by `include_args`: `arg.<parameter>`.
///
/// ```
/// assert_eq!(tracekit::keys::ARG_PREFIX, "arg.");
/// ```
pub const ARG_PREFIX: &str = "arg.";

/// Attribute recorded by `include_result`.
///
/// ```
/// assert_eq!(tracekit::keys::RESULT, "result");
/// ```
pub const RESULT: &str = "result";

/// Attribute on the local root of a trace that head sampling dropped and
/// keep policy (`tracekit::KeepPolicy`) kept: the rules it met, of
/// `error`, `slow`, `cancelled` and `long`, comma-separated.
///
/// ```
/// assert_eq!(tracekit::keys::KEPT_BY, "tracekit.kept_by");
/// ```
pub const KEPT_BY: &str = "tracekit.kept_by";

/// Attribute on the local root of a kept trace that lost spans to the keep
/// policy's bounds: how many. A kept trace without it is complete.
///
/// ```
/// assert_eq!(tracekit::keys::SPANS_DROPPED, "tracekit.spans_dropped");
/// ```
pub const SPANS_DROPPED: &str = "tracekit.spans_dropped";
