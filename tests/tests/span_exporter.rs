//! `Config::span_exporter`: any `SpanExporter`, behind tracekit's batch
//! processor, gets the spans, resource, limits and accounting the OTLP
//! exporter gets.

use opentelemetry::trace::Status;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{SpanData, SpanExporter};
use opentelemetry_sdk::Resource;
use std::sync::{Arc, Mutex, MutexGuard};
use tracekit::{trace_operation, Config, InitError, Value};

/// Installations are process-wide: one test at a time.
fn installing() -> MutexGuard<'static, ()> {
    static INSTALL: Mutex<()> = Mutex::new(());
    INSTALL.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Keeps the spans and the resource it is given.
#[derive(Clone, Debug, Default)]
struct Keep {
    spans: Arc<Mutex<Vec<SpanData>>>,
    resource: Arc<Mutex<Option<Resource>>>,
}

impl SpanExporter for Keep {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        self.spans.lock().unwrap().extend(batch);
        Ok(())
    }

    fn set_resource(&mut self, resource: &Resource) {
        *self.resource.lock().unwrap() = Some(resource.clone());
    }
}

impl Keep {
    fn span(&self, name: &str) -> SpanData {
        let spans = self.spans.lock().unwrap();
        spans.iter().find(|span| span.name == name).unwrap_or_else(|| panic!("no span {name}")).clone()
    }
}

fn string(span: &SpanData, key: &str) -> Option<String> {
    span.attributes.iter().find(|kv| kv.key.as_str() == key).map(|kv| kv.value.to_string())
}

#[trace_operation(include_args)]
fn charge(customer: &str, cents: i64) -> Result<i64, String> {
    validate(cents)?;
    Ok(cents)
}

#[trace_operation]
fn validate(cents: i64) -> Result<(), String> {
    if cents < 0 {
        return Err("negative amount".to_owned());
    }
    Ok(())
}

#[test]
fn spans_reach_the_given_exporter_with_their_parent_code_location_and_status() {
    let _lock = installing();
    let keep = Keep::default();
    let before = tracekit::export_stats();
    let guard = Config::new().service_name("billing").span_exporter(keep.clone()).install().unwrap();
    assert_eq!(charge("ada", -5), Err("negative amount".to_owned()));
    drop(guard); // flushes

    let (outer, inner) = (keep.span("charge"), keep.span("validate"));
    assert_eq!(inner.parent_span_id, outer.span_context.span_id());
    assert_eq!(inner.span_context.trace_id(), outer.span_context.trace_id());
    assert_eq!(outer.status, Status::error("negative amount"));
    assert_eq!(string(&outer, "arg.customer").as_deref(), Some("ada"));
    assert!(string(&outer, "code.function.name").is_some_and(|name| name.ends_with("::charge")));
    assert!(string(&outer, "code.file.path").is_some_and(|path| path.ends_with("span_exporter.rs")));
    // The code location comes first, as when the SDK records it at start.
    assert_eq!(outer.attributes[0].key.as_str(), "code.function.name");
    assert_eq!(outer.instrumentation_scope.name(), "tracekit");

    let resource = keep.resource.lock().unwrap().clone().expect("the exporter was given the resource");
    assert_eq!(resource.get(&"service.name".into()), Some(Value::from("billing")));
    let stats = tracekit::export_stats();
    assert_eq!(stats.exported - before.exported, 2, "both spans counted as exported");
    assert_eq!(stats.lost(), before.lost());
}

#[test]
fn several_export_threads_deliver_every_thread_s_traces_whole_with_the_resource() {
    let _lock = installing();
    let keep = Keep::default();
    let before = tracekit::export_stats();
    let guard = Config::new()
        .service_name("billing")
        .batch(|batch| batch.export_threads(3).max_export_batch_size(16))
        .span_exporter(keep.clone())
        .install()
        .unwrap();
    let threads: Vec<_> = (0..6)
        .map(|thread| {
            std::thread::spawn(move || {
                for cents in 0..100 {
                    assert_eq!(charge(&format!("customer-{thread}"), cents), Ok(cents));
                }
            })
        })
        .collect();
    threads.into_iter().for_each(|thread| thread.join().unwrap());
    drop(guard); // flushes every export thread

    let spans = keep.spans.lock().unwrap().clone();
    assert_eq!(spans.len(), 1_200, "every span of the six threads, once");
    let charges: Vec<&SpanData> = spans.iter().filter(|span| span.name == "charge").collect();
    assert_eq!(charges.len(), 600);
    for outer in &charges {
        let children: Vec<&SpanData> =
            spans.iter().filter(|span| span.parent_span_id == outer.span_context.span_id()).collect();
        assert_eq!(children.len(), 1, "each charge's validate, once");
        assert_eq!(children[0].name, "validate");
        assert_eq!(children[0].span_context.trace_id(), outer.span_context.trace_id());
    }
    let resource = keep.resource.lock().unwrap().clone().expect("the exporter was given the resource");
    assert_eq!(resource.get(&"service.name".into()), Some(Value::from("billing")));
    let stats = tracekit::export_stats();
    assert_eq!(stats.exported - before.exported, 1_200);
    assert_eq!(stats.lost(), before.lost());
}

#[test]
fn a_call_with_nothing_recorded_reaches_the_exporter_within_its_parent() {
    let _lock = installing();
    let keep = Keep::default();
    let guard = Config::new().span_exporter(keep.clone()).install().unwrap();
    assert_eq!(charge("ada", 5), Ok(5));
    drop(guard);

    // `validate` recorded nothing: it went to the export thread as a call's
    // compact record, and comes out as a whole span.
    let (outer, inner) = (keep.span("charge"), keep.span("validate"));
    assert_eq!(inner.parent_span_id, outer.span_context.span_id());
    assert_eq!(inner.span_context.trace_id(), outer.span_context.trace_id());
    assert!(inner.span_context.is_sampled() && !inner.parent_span_is_remote);
    assert_eq!(inner.span_kind, tracekit::SpanKind::Internal);
    assert_eq!(inner.status, Status::Unset);
    let keys: Vec<&str> = inner.attributes.iter().map(|kv| kv.key.as_str()).collect();
    assert_eq!(keys, ["code.function.name", "code.file.path", "code.line.number"]);
    assert!(string(&inner, "code.function.name").is_some_and(|name| name.ends_with("::validate")));
    assert_eq!(inner.dropped_attributes_count, 0);
    assert!(inner.events.is_empty() && inner.links.is_empty());
    assert_eq!(inner.instrumentation_scope.name(), "tracekit");
    assert!(outer.start_time <= inner.start_time && inner.start_time <= inner.end_time);
    assert!(inner.end_time <= outer.end_time, "ended before its parent");
}

#[test]
fn a_root_call_with_nothing_recorded_reaches_the_exporter_as_a_trace_of_its_own() {
    let _lock = installing();
    let keep = Keep::default();
    let before = tracekit::export_stats();
    let guard = Config::new().span_exporter(keep.clone()).install().unwrap();
    validate(1).unwrap();
    validate(2).unwrap();
    drop(guard);

    // Started as a call is, with no span above it: a compact record too.
    let spans = keep.spans.lock().unwrap().clone();
    assert_eq!(spans.len(), 2);
    for span in &spans {
        assert_eq!(span.name, "validate");
        assert_eq!(span.parent_span_id, opentelemetry::trace::SpanId::INVALID, "a root");
        assert!(span.span_context.is_valid() && span.span_context.is_sampled());
        assert!(!span.span_context.is_remote() && !span.parent_span_is_remote);
        let keys: Vec<&str> = span.attributes.iter().map(|kv| kv.key.as_str()).collect();
        assert_eq!(keys, ["code.function.name", "code.file.path", "code.line.number"]);
        assert!(span.start_time <= span.end_time);
    }
    assert_ne!(spans[0].span_context.trace_id(), spans[1].span_context.trace_id(), "a trace each");
    let stats = tracekit::export_stats();
    assert_eq!(stats.exported - before.exported, 2);
}

#[test]
fn a_root_call_follows_the_sampler_of_each_installation_in_turn() {
    let _lock = installing();
    // Every root sampled (a lane for roots), then none, then a share, then
    // every one again: each installation decides its own roots.
    let samplers = [
        (tracekit::Sampler::ParentBasedAlwaysOn, 3),
        (tracekit::Sampler::AlwaysOff, 0),
        (tracekit::Sampler::ParentBasedTraceIdRatio(0.0), 0),
        (tracekit::Sampler::AlwaysOn, 3),
    ];
    for (sampler, expected) in samplers {
        let keep = Keep::default();
        let guard = Config::new().sampler(sampler).span_exporter(keep.clone()).install().unwrap();
        for cents in 0..3 {
            validate(cents).unwrap();
        }
        drop(guard);
        let spans = keep.spans.lock().unwrap();
        assert_eq!(spans.len(), expected, "{sampler:?}");
        assert!(spans.iter().all(|span| span.parent_span_id == opentelemetry::trace::SpanId::INVALID));
    }
}

#[test]
fn the_limits_apply_on_the_export_thread_as_at_the_start() {
    let _lock = installing();
    let keep = Keep::default();
    // Four attributes: the three of the code location, then one argument.
    let guard = Config::new()
        .span_limits(|limits| limits.attributes(4).events(8).value_length(Some(3)))
        .span_exporter(keep.clone())
        .install()
        .unwrap();
    charge("grace", 7).unwrap();
    drop(guard);

    let span = keep.span("charge");
    let keys: Vec<&str> = span.attributes.iter().map(|kv| kv.key.as_str()).collect();
    assert_eq!(keys, ["code.function.name", "code.file.path", "code.line.number", "arg.customer"]);
    assert_eq!(span.dropped_attributes_count, 1, "arg.cents is dropped");
    assert_eq!(string(&span, "arg.customer").as_deref(), Some("gra"), "cut to the value length limit");
    assert_eq!(string(&span, "code.file.path").map(|path| path.chars().count()), Some(3));
    // A call with nothing recorded is held to the same limits.
    let call = keep.span("validate");
    assert_eq!(call.attributes.len(), 3);
    assert_eq!(string(&call, "code.file.path").map(|path| path.chars().count()), Some(3));
}

#[test]
fn a_limit_smaller_than_the_code_location_cuts_it_too() {
    let _lock = installing();
    let keep = Keep::default();
    let guard = Config::new()
        .span_limits(|limits| limits.attributes(2).events(8).value_length(None))
        .span_exporter(keep.clone())
        .install()
        .unwrap();
    charge("lin", 1).unwrap();
    drop(guard);

    let span = keep.span("charge");
    let keys: Vec<&str> = span.attributes.iter().map(|kv| kv.key.as_str()).collect();
    assert_eq!(keys, ["code.function.name", "code.file.path"]);
    assert_eq!(span.dropped_attributes_count, 3, "code.line.number and both arguments");
    let call = keep.span("validate");
    let keys: Vec<&str> = call.attributes.iter().map(|kv| kv.key.as_str()).collect();
    assert_eq!(keys, ["code.function.name", "code.file.path"]);
    assert_eq!(call.dropped_attributes_count, 1, "code.line.number");
}

#[test]
fn the_given_exporter_is_installed_once() {
    let _lock = installing();
    let config = Config::new().span_exporter(Keep::default());
    drop(config.clone().install().unwrap());
    let error = config.install().unwrap_err();
    assert!(matches!(&error, InitError::Exporter(reason) if reason.contains("installed already")), "{error}");
}
