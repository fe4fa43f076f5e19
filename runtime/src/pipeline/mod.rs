//! The SDK-backed recording pipeline: the sampler's decision, limits, the
//! keep policy, and the processors that take finished spans to the
//! exporters. Spans of such a pipeline are tracekit's own (`SpanRecord`);
//! the SDK's sampler, id generator, processors and exporters do the rest.
//! It knows neither configuration nor installation: those build it from
//! settings and make it a backend.

mod keep;
mod lease;
mod limits;
mod processors;
mod program_tracer;
mod queued;
mod recorded_span;
mod sampling;
mod span_record;

pub(crate) use keep::RULES as KEEP_RULES;
pub use keep::{keep_stats, KeepPolicy, KeepStats};
pub use limits::SpanLimitSettings;
pub(crate) use processors::Processor;
pub(crate) use program_tracer::ProgramTracer;
pub(crate) use queued::QueuedSpan;
pub use sampling::Sampler;
pub(crate) use sampling::{check_ratio, parse_ratio};
use span_record::SpanSink;

use crate::facade::dispatch::Backend;
use crate::facade::live::{Lane, LiveSpan, LocalTraceRef, Recording as _, RootDecision, RootLane};
use crate::facade::open::{OpenSpan, SpanStart};
use crate::facade::recorder::Recorder;
use crate::facade::stack::Parent;
use crate::facade::trace_flags;
use crate::metered::{self, root_decisions};
use crate::support::clock::{Reading, Timestamp};
use crate::support::ids::new_ids;
use keep::{Keeper, LocalTrace};
use opentelemetry::trace::{SpanContext, SpanId, SpanKind, TraceFlags, TraceId, TraceState};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{Sampler as SdkSampler, SamplingDecision, SamplingResult, ShouldSample};
use opentelemetry_sdk::Resource;
use processors::Processors;
use sampling::KnownDecision;
use std::sync::Arc;
use std::time::Duration;

/// Where the spans of one installation (or one test capture) go.
pub(crate) struct Pipeline {
    sampler: SdkSampler,
    /// What the sampler decides before a span is built ([`Backend::skips`]).
    known_decision: KnownDecision,
    /// How roots are decided on the lane for roots. Where every root is
    /// sampled, so is every span [`Backend::skips`] lets through (the
    /// always-on samplers): the SDK's sampler is never asked.
    roots: RootDecision,
    processors: Arc<Processors>,
    /// With a keep policy on: the local traces held for its decision.
    keeper: Option<Arc<Keeper>>,
}

impl Pipeline {
    pub(crate) fn new(
        processors: Vec<Processor>,
        sampler: Sampler,
        keep: &KeepPolicy,
        limits: &SpanLimitSettings,
        resource: &Resource,
    ) -> Arc<Pipeline> {
        let processors = Processors::new(processors, limits.to_sdk(), limits.attribute_value_length, resource);
        Self::with_processors(processors, sampler, keep)
    }

    /// A pipeline for a test capture, which can tell the spans that had
    /// not ended when the capture returned.
    #[cfg(feature = "testing")]
    pub(crate) fn for_capture(
        processors: Vec<Processor>,
        sampler: Sampler,
        keep: &KeepPolicy,
        limits: &SpanLimitSettings,
    ) -> Arc<Pipeline> {
        let resource = Resource::builder().build();
        let mut processors = Processors::new(processors, limits.to_sdk(), limits.attribute_value_length, &resource);
        processors.track_unfinished();
        Self::with_processors(processors, sampler, keep)
    }

    fn with_processors(processors: Processors, sampler: Sampler, keep: &KeepPolicy) -> Arc<Pipeline> {
        let processors = Arc::new(processors);
        Arc::new(Pipeline {
            sampler: sampler.to_sdk(),
            known_decision: sampler.known_decision(),
            roots: sampler.root_decision(),
            keeper: keep.is_on().then(|| Keeper::new(keep.clone(), processors.clone())),
            processors,
        })
    }

    /// The names of the spans started and not yet ended ([`Pipeline::for_capture`] only).
    #[cfg(feature = "testing")]
    pub(crate) fn unfinished(&self) -> Vec<String> {
        self.processors.unfinished()
    }

    pub(crate) fn force_flush(&self) -> OTelSdkResult {
        if let Some(keeper) = &self.keeper {
            keeper.flush();
        }
        self.processors.force_flush()
    }

    /// Exports what is pending, within `timeout`; spans ending later are not
    /// exported. Local traces still open are decided first.
    pub(crate) fn shutdown(&self, timeout: Duration) -> OTelSdkResult {
        if let Some(keeper) = &self.keeper {
            keeper.shutdown();
        }
        self.processors.shutdown(timeout)
    }
}

impl Drop for Pipeline {
    /// A pipeline let go without a shutdown (a capture that panicked)
    /// still judges its open local traces, which also frees them.
    fn drop(&mut self) {
        if let Some(keeper) = &self.keeper {
            keeper.shutdown();
        }
    }
}

impl Backend for Pipeline {
    fn skips(&self, parent: &SpanContext) -> bool {
        // A keep policy records what head sampling drops.
        let skipped = self.keeper.is_none() && self.known_decision.skips(parent);
        if skipped && metered::is_on() && !parent.is_valid() {
            root_decisions::count(false);
        }
        skipped
    }

    /// Starts a span as the SDK's tracer would: the parent's trace or a new
    /// one, the sampler's decision, the limits; `record` runs if it is
    /// recorded. A span dropped by sampling leaves its unsampled ids
    /// current, so that what starts under it, and what is sent on from it,
    /// carries the decision.
    fn start(&self, parent: &Parent, mut start: SpanStart, record: &mut dyn FnMut(&mut Recorder)) -> OpenSpan {
        let parent_context = &parent.ids;
        let has_parent = parent_context.is_valid();
        let (trace_id, span_id) = new_ids(has_parent.then(|| parent_context.trace_id()));
        // The decision, the trace state, and what the sampler adds to the
        // attributes (`None` when it was not asked).
        let (decision, trace_state, sampler_attributes) = if self.keeper.is_some()
            && self.known_decision.skips(parent_context)
        {
            // Known dropped before the sampler is asked ([`Backend::skips`]
            // let it through only for the keep policy to hold it).
            (SamplingDecision::Drop, parent_context.trace_state().clone(), None)
        } else if self.roots == RootDecision::Sampled {
            // As the SDK's always-on samplers decide: the parent's trace state.
            (SamplingDecision::RecordAndSample, parent_context.trace_state().clone(), None)
        } else {
            // A root is decided without a parent: no `Context` is built.
            let parent = has_parent.then(|| parent.to_context());
            let SamplingResult { decision, attributes, trace_state } =
                self.sampler.should_sample(parent.as_ref(), trace_id, &start.name, &start.kind, &start.attributes, &[]);
            (decision, trace_state, Some(attributes))
        };
        let sampled = decision == SamplingDecision::RecordAndSample;
        if !has_parent {
            root_decisions::count(sampled);
        }
        let flags = inherited_flags(parent_context).with_sampled(sampled);
        let span_context = SpanContext::new(trace_id, span_id, flags, false, trace_state);
        let (mut local_trace, mut lane) = (None, None);
        let sink: Arc<dyn SpanSink> = match (decision, &self.keeper) {
            (SamplingDecision::Drop, None) => return OpenSpan::not_recorded(span_context),
            (SamplingDecision::Drop, Some(keeper)) => {
                // Held for the keep decision, in the parent's local trace or
                // as the root of a new one.
                let parents = parent.local_trace.clone().and_then(|trace| trace.downcast::<LocalTrace>().ok());
                let trace = match parents.filter(|trace| trace.belongs_to(keeper)) {
                    Some(trace) => trace,
                    None => {
                        // Its window starts with the root: the root's start reading.
                        let started = *start.started.get_or_insert_with(Reading::now);
                        keeper.open_trace(span_context.span_id(), started)
                    }
                };
                local_trace = Some(trace.clone() as LocalTraceRef);
                // The children of a held span are all held in its trace, as
                // known without the sampler: they start on its lane.
                if self.known_decision.skips(&span_context) {
                    let flags = inherited_flags(&span_context).with_sampled(false);
                    lane = Some(Lane::new(flags, self.processors.notes_starts()));
                }
                trace
            }
            _ => match lease::leased(&self.processors) {
                Some(lease) => {
                    // The children of a sampled span are all recorded and
                    // sampled, whatever the sampler: the parent-based ones
                    // follow it, and a trace-id ratio gives its children,
                    // in the same trace, its own decision. They start on
                    // its lane, without asking the sampler.
                    if sampled {
                        let flags = inherited_flags(&span_context).with_sampled(true);
                        lane = Some(Lane::new(flags, lease.notes_starts()));
                    }
                    lease
                }
                None => self.processors.clone(),
            },
        };
        let limit = self.processors.limits().max_attributes_per_span as usize;
        // Taken apart, so that nothing empty is left behind to drop.
        let SpanStart { name, kind, code, attributes: given, started } = start;
        let (code, mut attributes, room) = span_record::place_code(code, given, limit);
        if let Some(added) = sampler_attributes.filter(|added| !added.is_empty()) {
            attributes.extend(added);
        }
        // Arguments are recorded straight into the span's attributes.
        let mut recorder = Recorder::with_attributes(attributes);
        record(&mut recorder);
        let (mut attributes, links) = recorder.into_start();
        let dropped_attributes_count = span_record::cut(&mut attributes, room);
        let start_time = Timestamp::from(started.unwrap_or_else(Reading::now));
        self.processors.started(span_context.span_id(), &name);
        let mut span = span_record::take_record();
        let parent_span =
            if has_parent { (parent_context.span_id(), parent_context.is_remote()) } else { (SpanId::INVALID, false) };
        span.start(span_context.clone(), Some(sink), parent_span, kind, name, start_time);
        span.set_start_attributes(code, attributes, dropped_attributes_count);
        for (link, attributes) in links.into_iter().flatten() {
            span.add_link(link, attributes);
        }
        let mut open = OpenSpan::recorded(span_context, LiveSpan::Recorded(span));
        open.set_local_trace(local_trace);
        if let Some(lane) = lane {
            open.set_lane(lane);
        }
        open
    }

    fn has_root_lane(&self) -> bool {
        // A keep policy holds what head sampling drops: its roots each open
        // a local trace, through the backend.
        self.keeper.is_none()
    }

    fn set_root_lane(&self, lane: &mut Option<Lane>) -> Option<RootLane> {
        if !self.has_root_lane() {
            return None;
        }
        lease::with_lease(&self.processors, |lease| {
            Lane::set_for_roots(lane, lease, TraceFlags::SAMPLED, lease.notes_starts());
        })?;
        // Those by trace id are counted as `samples_root` decides them.
        Some(RootLane { decision: self.roots, count: root_decisions::count })
    }

    fn samples_root(&self, trace_id: TraceId) -> bool {
        // Asked as for any root: with no parent, so no `Context` is built.
        let decided = self.sampler.should_sample(None, trace_id, "", &SpanKind::Internal, &[], &[]);
        let sampled = decided.decision == SamplingDecision::RecordAndSample;
        root_decisions::count(sampled);
        sampled
    }

    /// A span of this process that is not recorded, as the SDK's tracer
    /// makes for a dropped span: the parent's trace (or a new one), a new
    /// span id, sampled off, the parent's trace state.
    fn not_recorded(&self, parent_context: &SpanContext) -> Option<OpenSpan> {
        Some(OpenSpan::not_recorded(not_recorded_ids(parent_context)))
    }

    fn set_not_recorded_ids(&self, parent: &SpanContext, ids: &mut SpanContext) -> bool {
        *ids = not_recorded_ids(parent);
        true
    }
}

/// The ids of a span of this process that is not recorded, under
/// `parent` (invalid for a root).
#[inline]
fn not_recorded_ids(parent: &SpanContext) -> SpanContext {
    let has_parent = parent.is_valid();
    let (trace_id, span_id) = new_ids(has_parent.then(|| parent.trace_id()));
    let trace_state = if has_parent { parent.trace_state().clone() } else { TraceState::NONE };
    SpanContext::new(trace_id, span_id, inherited_flags(parent), false, trace_state)
}

/// The flags a span takes from its parent, before its own sampling
/// decision: `random` says how the trace id was made, so it holds along
/// the trace.
fn inherited_flags(parent: &SpanContext) -> TraceFlags {
    match parent.is_valid() {
        true => TraceFlags::new(parent.trace_flags().to_u8() & trace_flags::RANDOM),
        false => TraceFlags::default(),
    }
}
