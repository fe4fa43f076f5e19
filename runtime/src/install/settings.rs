//! Everything an installation is built from, each component's settings in
//! its own type; `Config` gathers and checks them.

use crate::export::batch::{BatchSettings, GivenExporter};
use crate::export::console::ConsoleSettings;
use crate::export::otlp::OtlpTarget;
use crate::export::Exporter;
use crate::metrics::MetricsSettings;
use crate::pipeline::{KeepPolicy, QueuedSpan, Sampler, SpanLimitSettings};
use crate::propagation::Propagator;
use crate::support::diagnostics::LogLevel;
use opentelemetry_sdk::trace::SdkTracerProvider;

#[derive(Clone, Debug)]
pub(crate) struct Settings {
    pub(crate) enabled: bool,
    /// Whether each span is also made current in OpenTelemetry's `Context`.
    pub(crate) opentelemetry_context: bool,
    /// Where spans go, each exporter behind its own processor; never holds
    /// `Exporter::None`, which is the empty list.
    pub(crate) exporters: Vec<Exporter>,
    pub(crate) console: ConsoleSettings,
    pub(crate) service_name: Option<String>,
    pub(crate) service_version: Option<String>,
    pub(crate) resource_attributes: Vec<(String, String)>,
    pub(crate) otlp: OtlpTarget,
    pub(crate) sampler: Sampler,
    /// Which local traces head sampling dropped are kept after all.
    pub(crate) keep: KeepPolicy,
    pub(crate) batch: BatchSettings,
    pub(crate) limits: SpanLimitSettings,
    pub(crate) provider: Option<SdkTracerProvider>,
    pub(crate) span_exporter: Option<GivenExporter<QueuedSpan>>,
    /// `None`: the default propagators (Trace Context and Baggage).
    pub(crate) propagators: Option<Vec<Propagator>>,
    /// `OTEL_LOG_LEVEL`: how much tracekit says about itself; `None` keeps what is in force.
    pub(crate) log_level: Option<LogLevel>,
    pub(crate) metrics: MetricsSettings,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            enabled: true,
            opentelemetry_context: false,
            exporters: Exporter::DEFAULT.chosen().to_vec(),
            console: ConsoleSettings::default(),
            service_name: None,
            service_version: None,
            resource_attributes: Vec::new(),
            otlp: OtlpTarget::default(),
            sampler: Sampler::default(),
            keep: KeepPolicy::new(),
            batch: BatchSettings::default(),
            limits: SpanLimitSettings::default(),
            provider: None,
            span_exporter: None,
            propagators: None,
            log_level: None,
            metrics: MetricsSettings::default(),
        }
    }
}

impl Settings {
    /// Whether installing these settings records spans at all.
    pub(crate) fn is_recording(&self) -> bool {
        self.enabled && (!self.exporters.is_empty() || self.provider.is_some() || self.span_exporter.is_some())
    }
}
