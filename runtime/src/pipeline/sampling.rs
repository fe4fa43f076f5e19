//! Which traces are recorded (`OTEL_TRACES_SAMPLER`, `TRACING_SAMPLE_RATE`).

use crate::error::ConfigError;
use crate::facade::live::RootDecision;
use opentelemetry::trace::SpanContext;
use opentelemetry_sdk::trace::Sampler as SdkSampler;

/// The sampler: one of the six standard ones.
///
/// ```
/// let config = tracekit::Config::new().sampler(tracekit::Sampler::ParentBasedTraceIdRatio(0.25));
/// # let _ = config;
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Default)]
#[non_exhaustive]
pub enum Sampler {
    /// Record every trace (`always_on`).
    AlwaysOn,
    /// Record nothing (`always_off`).
    AlwaysOff,
    /// Record this fraction of traces, by trace id (`traceidratio`).
    TraceIdRatio(f64),
    /// Follow the parent's decision; record every root (`parentbased_always_on`, the default).
    #[default]
    ParentBasedAlwaysOn,
    /// Follow the parent's decision; record no root (`parentbased_always_off`).
    ParentBasedAlwaysOff,
    /// Follow the parent's decision; record this fraction of roots (`parentbased_traceidratio`).
    ParentBasedTraceIdRatio(f64),
}

impl Sampler {
    pub(crate) fn to_sdk(self) -> SdkSampler {
        match self {
            Sampler::AlwaysOn => SdkSampler::AlwaysOn,
            Sampler::AlwaysOff => SdkSampler::AlwaysOff,
            Sampler::TraceIdRatio(ratio) => SdkSampler::TraceIdRatioBased(ratio),
            Sampler::ParentBasedAlwaysOn => SdkSampler::ParentBased(Box::new(SdkSampler::AlwaysOn)),
            Sampler::ParentBasedAlwaysOff => SdkSampler::ParentBased(Box::new(SdkSampler::AlwaysOff)),
            Sampler::ParentBasedTraceIdRatio(ratio) => {
                SdkSampler::ParentBased(Box::new(SdkSampler::TraceIdRatioBased(ratio)))
            }
        }
    }
}

impl Sampler {
    /// What can be decided before building a span, so that a span that will
    /// not be recorded costs nothing.
    pub(crate) fn known_decision(self) -> KnownDecision {
        match self {
            Sampler::AlwaysOff | Sampler::TraceIdRatio(0.0) => KnownDecision::AlwaysOff,
            Sampler::ParentBasedAlwaysOn | Sampler::ParentBasedTraceIdRatio(_) => {
                KnownDecision::ParentBased { roots_off: self == Sampler::ParentBasedTraceIdRatio(0.0) }
            }
            Sampler::ParentBasedAlwaysOff => KnownDecision::ParentBased { roots_off: true },
            Sampler::AlwaysOn | Sampler::TraceIdRatio(_) => KnownDecision::Unknown,
        }
    }

    /// How a root is decided without building anything: every one
    /// sampled, none, or by the trace id drawn for it.
    pub(crate) fn root_decision(self) -> RootDecision {
        match self {
            Sampler::AlwaysOn | Sampler::ParentBasedAlwaysOn => RootDecision::Sampled,
            Sampler::AlwaysOff | Sampler::ParentBasedAlwaysOff => RootDecision::NotSampled,
            Sampler::TraceIdRatio(ratio) | Sampler::ParentBasedTraceIdRatio(ratio) if ratio == 0.0 => {
                RootDecision::NotSampled
            }
            Sampler::TraceIdRatio(_) | Sampler::ParentBasedTraceIdRatio(_) => RootDecision::ByTraceId,
        }
    }
}

/// The sampler's decision when it can be known before building a span, so
/// that a span that will not be recorded costs no allocation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum KnownDecision {
    /// Decided by the SDK's sampler for each span.
    Unknown,
    /// Nothing is recorded.
    AlwaysOff,
    /// The parent's decision is followed; `roots_off`: spans without a
    /// parent are not recorded either.
    ParentBased { roots_off: bool },
}

impl KnownDecision {
    /// Whether a span under `parent` will certainly not be recorded.
    pub(crate) fn skips(self, parent: &SpanContext) -> bool {
        match self {
            KnownDecision::Unknown => false,
            KnownDecision::AlwaysOff => true,
            KnownDecision::ParentBased { roots_off } => {
                let context = parent;
                if context.is_valid() {
                    !context.is_sampled()
                } else {
                    roots_off
                }
            }
        }
    }
}

/// Checks a ratio given to `setting`: from 0 to 1.
pub(crate) fn check_ratio(setting: &'static str, value: f64) -> Result<(), ConfigError> {
    if (0.0..=1.0).contains(&value) {
        return Ok(());
    }
    Err(ConfigError::InvalidValue { variable: setting, value: value.to_string(), expected: "a ratio from 0.0 to 1.0" })
}

/// A ratio between 0 and 1.
pub(crate) fn parse_ratio(text: &str) -> Option<f64> {
    text.parse::<f64>().ok().filter(|ratio| (0.0..=1.0).contains(ratio))
}
