//! The instruments tracekit records into, and what each carries. One time
//! series per callsite (or span name, or route) and outcome: nothing of high
//! cardinality is an attribute.

use crate::facade::callsite::Callsite;
#[cfg(feature = "tower")]
use crate::metered::RequestInstrument;
use crate::metered::{self, Meters};
use crate::support::conventions::ERROR_TYPE;
use crate::support::locks::recover;
use opentelemetry::metrics::{BoundHistogram, Histogram, Meter, ObservableCounter};
use opentelemetry::trace::SpanKind;
use opentelemetry::KeyValue;
use std::borrow::Cow;
use std::sync::{Arc, Mutex, Weak};

/// The duration of every annotated call and manual span.
pub(crate) const OPERATION_DURATION: &str = "tracekit.operation.duration";
/// The span name of the operation.
pub(crate) const OPERATION_NAME: &str = "operation.name";
pub(crate) const SPAN_KIND: &str = "span.kind";
/// The sampler's decisions for root spans, by `sampled`.
pub(crate) const SAMPLER_DECISIONS: &str = "tracekit.sampler.decisions";
pub(crate) const SAMPLED: &str = "sampled";

/// The instruments of one installation.
pub(crate) struct Instruments {
    operations: Histogram<f64>,
    /// Each annotated function's histogram, bound to its attributes (no
    /// attribute set looked up per call), by its callsite's slot; bound on
    /// the function's first call.
    bound: Mutex<Vec<Option<BoundHistogram<f64>>>>,
    #[cfg(feature = "tower")]
    requests: [Histogram<f64>; 4],
    /// Read from the facade's counts when the metrics are collected.
    _decisions: ObservableCounter<u64>,
}

impl Instruments {
    pub(crate) fn new(meter: &Meter, boundaries: &[f64]) -> Arc<Self> {
        let histogram = |name: &'static str, description: &'static str| {
            meter
                .f64_histogram(name)
                .with_unit("s")
                .with_description(description)
                .with_boundaries(boundaries.to_vec())
                .build()
        };
        Arc::new_cyclic(|instruments: &Weak<Instruments>| {
            let instruments = instruments.clone();
            let decisions = meter
                .u64_observable_counter(SAMPLER_DECISIONS)
                .with_description("Sampling decisions taken for root spans, by whether they sampled")
                // The SDK runs the callbacks before it reads any instrument:
                // the pending calls are recorded first, into these
                // instruments, so that this collection has them.
                .with_callback(move |observer| {
                    if let Some(instruments) = instruments.upgrade() {
                        metered::record_pending(&*instruments);
                    }
                    let (not_sampled, sampled) = crate::metered::root_decisions::counted();
                    observer.observe(sampled, &[KeyValue::new(SAMPLED, true)]);
                    observer.observe(not_sampled, &[KeyValue::new(SAMPLED, false)]);
                })
                .build();
            Instruments {
                operations: histogram(OPERATION_DURATION, "Duration of traced operations, sampled or not"),
                bound: Mutex::new(Vec::new()),
                #[cfg(feature = "tower")]
                requests: [
                    histogram(RequestInstrument::HttpServer.name(), "Duration of HTTP server requests"),
                    histogram(RequestInstrument::HttpClient.name(), "Duration of HTTP client requests"),
                    histogram(RequestInstrument::RpcServer.name(), "Duration of RPCs served"),
                    histogram(RequestInstrument::RpcClient.name(), "Duration of RPCs made"),
                ],
                _decisions: decisions,
            }
        })
    }
}

impl Meters for Instruments {
    fn operations(&self, calls: &[(usize, f64)], callsite_of: &dyn Fn(usize) -> Option<&'static Callsite>) {
        let mut bound = recover(self.bound.lock());
        for &(slot, seconds) in calls {
            if bound.len() <= slot {
                bound.resize_with(slot + 1, || None);
            }
            let histogram = match &mut bound[slot] {
                Some(histogram) => histogram,
                unbound => {
                    let Some(callsite) = callsite_of(slot) else { continue };
                    let kind = KeyValue::new(SPAN_KIND, crate::support::span_kind::name(&callsite.kind));
                    unbound.insert(self.operations.bind(&[KeyValue::new(OPERATION_NAME, callsite.name), kind]))
                }
            };
            histogram.record(seconds);
        }
    }

    fn failed_operation(&self, callsite: &'static Callsite, seconds: f64, failure: &'static str) {
        let attributes = [
            KeyValue::new(OPERATION_NAME, callsite.name),
            KeyValue::new(SPAN_KIND, crate::support::span_kind::name(&callsite.kind)),
            KeyValue::new(ERROR_TYPE, failure),
        ];
        self.operations.record(seconds, &attributes);
    }

    fn span(&self, name: Cow<'static, str>, kind: &SpanKind, seconds: f64, failure: Option<&'static str>) {
        let name = KeyValue::new(OPERATION_NAME, name);
        let kind = KeyValue::new(SPAN_KIND, crate::support::span_kind::name(kind));
        match failure {
            None => self.operations.record(seconds, &[name, kind]),
            Some(failure) => self.operations.record(seconds, &[name, kind, KeyValue::new(ERROR_TYPE, failure)]),
        }
    }

    #[cfg(feature = "tower")]
    fn request(&self, instrument: RequestInstrument, seconds: f64, attributes: &[KeyValue]) {
        self.requests[instrument as usize].record(seconds, attributes);
    }
}
