//! The instruments tracekit records into, and what each carries. One time
//! series per callsite (or span name, or route) and outcome: nothing of high
//! cardinality is an attribute.

use super::pending::Pending;
use crate::facade::callsite::Callsite;
use crate::facade::conventions::ERROR_TYPE;
use crate::facade::locks::recover;
use crate::facade::metered::{Meters, OperationMeter, RequestInstrument};
use opentelemetry::metrics::{Histogram, Meter, ObservableCounter};
use opentelemetry::trace::SpanKind;
use opentelemetry::KeyValue;
use std::sync::{Arc, Mutex};

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
    /// Each annotated function's meter, by its callsite's slot: one for all
    /// threads.
    by_slot: Mutex<Vec<Option<Arc<Operation>>>>,
    /// The successful calls not yet recorded into `operations`.
    pending: Arc<Pending>,
    requests: [Histogram<f64>; 4],
    /// Read from the facade's counts when the metrics are collected.
    _decisions: ObservableCounter<u64>,
}

impl Instruments {
    pub(crate) fn new(meter: &Meter, boundaries: &[f64]) -> Self {
        let histogram = |name: &'static str, description: &'static str| {
            meter
                .f64_histogram(name)
                .with_unit("s")
                .with_description(description)
                .with_boundaries(boundaries.to_vec())
                .build()
        };
        let pending = Arc::new(Pending::default());
        let before_collection = Arc::clone(&pending);
        let decisions = meter
            .u64_observable_counter(SAMPLER_DECISIONS)
            .with_description("Sampling decisions taken for root spans, by whether they sampled")
            // The SDK runs the callbacks before it reads any instrument: the
            // pending calls are recorded first, so that this collection has them.
            .with_callback(move |observer| {
                before_collection.record_all();
                let (not_sampled, sampled) = crate::pipeline::root_decisions::counted();
                observer.observe(sampled, &[KeyValue::new(SAMPLED, true)]);
                observer.observe(not_sampled, &[KeyValue::new(SAMPLED, false)]);
            })
            .build();
        Instruments {
            operations: histogram(OPERATION_DURATION, "Duration of traced operations, sampled or not"),
            by_slot: Mutex::new(Vec::new()),
            pending,
            requests: [
                histogram(RequestInstrument::HttpServer.name(), "Duration of HTTP server requests"),
                histogram(RequestInstrument::HttpClient.name(), "Duration of HTTP client requests"),
                histogram(RequestInstrument::RpcServer.name(), "Duration of RPCs served"),
                histogram(RequestInstrument::RpcClient.name(), "Duration of RPCs made"),
            ],
            _decisions: decisions,
        }
    }
}

fn kind_name(kind: &SpanKind) -> &'static str {
    match kind {
        SpanKind::Client => "client",
        SpanKind::Server => "server",
        SpanKind::Producer => "producer",
        SpanKind::Consumer => "consumer",
        SpanKind::Internal => "internal",
    }
}

/// An annotated function's meter: its successful calls appended to the
/// thread's pending ones, for a histogram bound to its attributes (no
/// attribute set looked up per call); failures, rarer, recorded at once with
/// their `error.type` added.
struct Operation {
    pending: Arc<Pending>,
    /// Where `pending` keeps this function's bound histogram.
    index: usize,
    histogram: Histogram<f64>,
    name: &'static str,
    kind: &'static str,
}

impl OperationMeter for Operation {
    fn record(&self, seconds: f64, failure: Option<&'static str>) {
        match failure {
            None => self.pending.append(self.index, seconds),
            Some(failure) => self.histogram.record(
                seconds,
                &[
                    KeyValue::new(OPERATION_NAME, self.name),
                    KeyValue::new(SPAN_KIND, self.kind),
                    KeyValue::new(ERROR_TYPE, failure),
                ],
            ),
        }
    }
}

impl Meters for Instruments {
    fn operation(&self, callsite: &'static Callsite, slot: usize) -> Arc<dyn OperationMeter> {
        let mut by_slot = recover(self.by_slot.lock());
        if by_slot.len() <= slot {
            by_slot.resize(slot + 1, None);
        }
        let operation = by_slot[slot].get_or_insert_with(|| {
            let kind = kind_name(&callsite.kind);
            let succeeded =
                self.operations.bind(&[KeyValue::new(OPERATION_NAME, callsite.name), KeyValue::new(SPAN_KIND, kind)]);
            Arc::new(Operation {
                index: self.pending.register(succeeded),
                pending: Arc::clone(&self.pending),
                histogram: self.operations.clone(),
                name: callsite.name,
                kind,
            })
        });
        Arc::clone(operation) as Arc<dyn OperationMeter>
    }

    fn span(&self, name: &str, kind: &SpanKind, seconds: f64, failure: Option<&'static str>) {
        let name = KeyValue::new(OPERATION_NAME, name.to_owned());
        let kind = KeyValue::new(SPAN_KIND, kind_name(kind));
        match failure {
            None => self.operations.record(seconds, &[name, kind]),
            Some(failure) => self.operations.record(seconds, &[name, kind, KeyValue::new(ERROR_TYPE, failure)]),
        }
    }

    fn request(&self, instrument: RequestInstrument, seconds: f64, attributes: &[KeyValue]) {
        self.requests[instrument as usize].record(seconds, attributes);
    }
}
