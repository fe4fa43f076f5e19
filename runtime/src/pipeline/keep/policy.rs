//! Which local traces head sampling dropped are kept after all
//! (`TRACING_KEEP`, `TRACING_KEEP_*`), and the bounds on what waits for
//! the decision.

use crate::error::ConfigError;
use std::time::Duration;

/// Keeps the traces that matter when head sampling drops them: a local
/// trace (the spans of this process under one local root, such as a server
/// request) is recorded all the same, and exported when its local root
/// ends if one of its spans failed, ran past its `trace_performance`
/// threshold or was cancelled, or the root ran longer than a given time. Off until a rule
/// is set.
///
/// ```
/// use std::time::Duration;
/// use tracekit::{Config, KeepPolicy, Sampler};
///
/// let config = Config::new()
///     .sampler(Sampler::ParentBasedTraceIdRatio(0.1))
///     .keep(KeepPolicy::new().errors().slow_calls().longer_than(Duration::from_secs(2)));
/// # let _ = config;
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeepPolicy {
    pub(crate) errors: bool,
    pub(crate) slow_calls: bool,
    pub(crate) cancellations: bool,
    pub(crate) longer_than: Option<Duration>,
    pub(crate) max_spans_per_trace: usize,
    pub(crate) max_held_spans: usize,
    pub(crate) timeout: Duration,
}

/// The rules, as `TRACING_KEEP` names them.
pub(crate) const RULES: [(&str, Rule); 3] =
    [("errors", Rule::Errors), ("slow", Rule::SlowCalls), ("cancelled", Rule::Cancellations)];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Rule {
    Errors,
    SlowCalls,
    Cancellations,
}

impl Default for KeepPolicy {
    fn default() -> Self {
        KeepPolicy::new()
    }
}

impl KeepPolicy {
    /// No rule (nothing is kept that head sampling drops), with the default
    /// bounds: 1,000 spans per local trace, 10,000 held at once, and what a
    /// local root still running holds judged every 60 seconds.
    ///
    /// ```
    /// assert!(!tracekit::KeepPolicy::new().is_on());
    /// ```
    pub fn new() -> Self {
        KeepPolicy {
            errors: false,
            slow_calls: false,
            cancellations: false,
            longer_than: None,
            max_spans_per_trace: 1_000,
            max_held_spans: 10_000,
            timeout: Duration::from_secs(60),
        }
    }

    /// Keeps a local trace in which a span ended with status `Error` (an
    /// error returned, a panic, a future cancelled when cancellation counts
    /// as an error) (`TRACING_KEEP=errors`).
    ///
    /// ```
    /// assert!(tracekit::KeepPolicy::new().errors().is_on());
    /// ```
    pub fn errors(mut self) -> Self {
        self.errors = true;
        self
    }

    /// Keeps a local trace in which a call ran past its
    /// `#[trace_performance(threshold_ms = ..)]` (`TRACING_KEEP=slow`).
    ///
    /// ```
    /// let policy = tracekit::KeepPolicy::new().slow_calls();
    /// # assert!(policy.is_on());
    /// ```
    pub fn slow_calls(mut self) -> Self {
        self.slow_calls = true;
        self
    }

    /// Keeps a local trace in which an annotated future was dropped before
    /// it completed (`tracekit.cancelled`; its status stays unset, as a
    /// cancellation is not an error by itself) (`TRACING_KEEP=cancelled`).
    ///
    /// ```
    /// let policy = tracekit::KeepPolicy::new().errors().cancellations();
    /// # assert!(policy.is_on());
    /// ```
    pub fn cancellations(mut self) -> Self {
        self.cancellations = true;
        self
    }

    /// Keeps a local trace whose local root ran longer than `duration`
    /// (`TRACING_KEEP_LONGER_THAN_MS`).
    ///
    /// ```
    /// let policy = tracekit::KeepPolicy::new().longer_than(std::time::Duration::from_millis(500));
    /// # assert!(policy.is_on());
    /// ```
    pub fn longer_than(mut self, duration: Duration) -> Self {
        self.longer_than = Some(duration);
        self
    }

    /// At most this many spans are held for one local trace; the rest are
    /// dropped and counted, and the trace, if kept, says how many it lost
    /// (`TRACING_KEEP_MAX_SPANS_PER_TRACE`, default 1,000).
    ///
    /// ```
    /// let policy = tracekit::KeepPolicy::new().errors().max_spans_per_trace(200);
    /// # let _ = policy;
    /// ```
    pub fn max_spans_per_trace(mut self, spans: usize) -> Self {
        self.max_spans_per_trace = spans;
        self
    }

    /// At most this many spans are held across all open local traces
    /// (`TRACING_KEEP_MAX_SPANS`, default 10,000).
    ///
    /// ```
    /// let policy = tracekit::KeepPolicy::new().errors().max_held_spans(50_000);
    /// # let _ = policy;
    /// ```
    pub fn max_held_spans(mut self, spans: usize) -> Self {
        self.max_held_spans = spans;
        self
    }

    /// A local root still running after this long (a long-lived
    /// connection) has what its trace holds judged then: exported if a rule
    /// holds, forgotten otherwise; and again after each such window
    /// (`TRACING_KEEP_TIMEOUT_MS`, default 60 seconds).
    ///
    /// ```
    /// let policy = tracekit::KeepPolicy::new().errors().timeout(std::time::Duration::from_secs(10));
    /// # let _ = policy;
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Whether any rule is set: only then is anything held.
    ///
    /// ```
    /// assert!(tracekit::KeepPolicy::new().errors().is_on());
    /// ```
    pub fn is_on(&self) -> bool {
        self.errors || self.slow_calls || self.cancellations || self.longer_than.is_some()
    }

    pub(crate) fn with_rule(self, rule: Rule) -> Self {
        match rule {
            Rule::Errors => self.errors(),
            Rule::SlowCalls => self.slow_calls(),
            Rule::Cancellations => self.cancellations(),
        }
    }

    /// Refuses bounds that would hold nothing: `setting` names the method.
    pub(crate) fn check(&self, setting: &'static str) -> Result<(), ConfigError> {
        let invalid = |value: String, expected| Err(ConfigError::InvalidValue { variable: setting, value, expected });
        if self.max_spans_per_trace == 0 {
            return invalid("max_spans_per_trace(0)".into(), "at least 1 span per local trace");
        }
        if self.max_held_spans == 0 {
            return invalid("max_held_spans(0)".into(), "at least 1 held span");
        }
        if self.timeout.is_zero() {
            return invalid("timeout(0)".into(), "a timeout of more than 0");
        }
        Ok(())
    }
}
