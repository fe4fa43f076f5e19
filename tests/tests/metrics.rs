//! Metrics from the same attributes: what the loopback OTLP receiver gets
//! over gRPC and HTTP (instrument names, units, bucket bounds, counts,
//! attributes), that every call counts whatever the sampler decides, the
//! HTTP layers' standard instruments, and the console exporter's lines.

mod common;

use axum::extract::Path;
use axum::routing::get;
use opentelemetry_proto::tonic::common::v1::any_value::Value as AnyValue;
use opentelemetry_proto::tonic::common::v1::KeyValue as ProtoKeyValue;
use opentelemetry_proto::tonic::metrics::v1::metric::Data;
use opentelemetry_proto::tonic::metrics::v1::number_data_point::Value as NumberValue;
use opentelemetry_proto::tonic::metrics::v1::{HistogramDataPoint, Metric};
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;
use tracekit::{trace_async, trace_operation, Config, Exporter, MetricsExporter, Protocol, Sampler};
use tracekit_tests::receiver::{Behaviour, MetricsExport, Receiver, Transport, REJECTION_REASON};

/// Installation is process-wide: one test at a time.
static INSTALL: Mutex<()> = Mutex::new(());

fn lock() -> std::sync::MutexGuard<'static, ()> {
    INSTALL.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[derive(Debug)]
struct Declined;

impl std::fmt::Display for Declined {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("declined")
    }
}

impl std::error::Error for Declined {}

/// Fails for odd numbers.
#[trace_operation]
fn charge(cents: u32) -> Result<u32, Declined> {
    if cents % 2 == 1 {
        Err(Declined)
    } else {
        Ok(cents)
    }
}

/// [`charge`] as an `async fn` that yields once before it answers.
#[trace_async]
async fn charge_later(cents: u32) -> Result<u32, Declined> {
    tokio::task::yield_now().await;
    charge(cents)
}

#[trace_async(kind = "client")]
async fn fetch(ms: u64) {
    tokio::time::sleep(Duration::from_millis(ms)).await;
}

/// Metrics only, over OTLP to `receiver` with `protocol`, exported at shutdown.
fn metrics_over_otlp(receiver: &Receiver, protocol: Protocol) -> Config {
    Config::new()
        .otlp(|otlp| otlp.endpoint(receiver.endpoint(protocol)).protocol(protocol))
        .exporters(&[Exporter::None])
        .metrics(|metrics| metrics.exporters(&[MetricsExporter::Otlp]).interval(Duration::from_secs(3600)))
}

/// Metrics over gRPC to `receiver`, and spans to memory under `sampler`.
fn metrics_and_spans_in_memory(receiver: &Receiver, sampler: Sampler) -> tracekit::TracingGuard {
    metrics_over_otlp(receiver, Protocol::Grpc).exporters(&[Exporter::InMemory]).sampler(sampler).install().unwrap()
}

/// The metric named `name` in the last export (they are cumulative).
fn metric(exports: &[MetricsExport], name: &str) -> Metric {
    let last = exports.last().unwrap_or_else(|| panic!("no metrics exported"));
    last.request
        .resource_metrics
        .iter()
        .flat_map(|resource| &resource.scope_metrics)
        .flat_map(|scope| &scope.metrics)
        .find(|metric| metric.name == name)
        .cloned()
        .unwrap_or_else(|| panic!("no metric {name} in {:#?}", last.request))
}

fn text(attributes: &[ProtoKeyValue]) -> BTreeMap<String, String> {
    attributes
        .iter()
        .map(|kv| {
            let value = match kv.value.as_ref().and_then(|value| value.value.as_ref()) {
                Some(AnyValue::StringValue(text)) => text.clone(),
                Some(AnyValue::IntValue(number)) => number.to_string(),
                Some(AnyValue::BoolValue(flag)) => flag.to_string(),
                other => format!("{other:?}"),
            };
            (kv.key.clone(), value)
        })
        .collect()
}

fn histogram_points(metric: &Metric) -> Vec<HistogramDataPoint> {
    match &metric.data {
        Some(Data::Histogram(histogram)) => histogram.data_points.clone(),
        other => panic!("{} is not a histogram: {other:?}", metric.name),
    }
}

/// The point whose attributes are exactly `attributes`.
fn point(metric: &Metric, attributes: &[(&str, &str)]) -> HistogramDataPoint {
    let wanted: BTreeMap<String, String> = attributes.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    histogram_points(metric).into_iter().find(|point| text(&point.attributes) == wanted).unwrap_or_else(|| {
        let seen: Vec<_> = histogram_points(metric).iter().map(|point| text(&point.attributes)).collect();
        panic!("no point {wanted:?} in {}: {seen:#?}", metric.name)
    })
}

#[test]
fn metrics_requests_carry_the_configured_headers_and_name_the_exporter_over_each_protocol() {
    let _lock = lock();
    for (protocol, transport) in [
        (Protocol::Grpc, Transport::Grpc),
        (Protocol::HttpProtobuf, Transport::HttpProtobuf),
        (Protocol::HttpJson, Transport::HttpJson),
    ] {
        let receiver = Receiver::start();
        let config = metrics_over_otlp(&receiver, protocol).otlp(|otlp| otlp.header("x-api-key", "key-123"));
        let guard = config.install().unwrap();
        let _ = charge(2);
        drop(guard);
        let exports = receiver.metrics();
        assert!(!exports.is_empty() && exports.iter().all(|export| export.transport == transport), "{protocol:?}");
        let headers = &exports[0].headers;
        assert_eq!(headers.get("x-api-key").map(|value| value.to_str().unwrap()), Some("key-123"), "{protocol:?}");
        let user_agent = headers.get("user-agent").map(|value| value.to_str().unwrap()).unwrap_or_default();
        assert!(user_agent.contains("tracekit/"), "{protocol:?}: {user_agent:?}");
        let durations = metric(&exports, "tracekit.operation.duration");
        assert_eq!(point(&durations, &[("operation.name", "charge"), ("span.kind", "internal")]).count, 1);
    }
}

#[test]
fn durations_reach_the_collector_over_grpc_and_http_with_their_bounds_counts_and_attributes() {
    let _lock = lock();
    for (protocol, transport) in [(Protocol::Grpc, Transport::Grpc), (Protocol::HttpProtobuf, Transport::HttpProtobuf)]
    {
        let receiver = Receiver::start();
        let guard = metrics_over_otlp(&receiver, protocol).install().unwrap();
        for cents in 0..10 {
            let _ = charge(cents);
        }
        drop(guard); // exports what was recorded
        let exports = receiver.metrics();
        assert!(exports.iter().all(|export| export.transport == transport), "{protocol:?}");
        let durations = metric(&exports, "tracekit.operation.duration");
        assert_eq!(durations.unit, "s");
        let ok = point(&durations, &[("operation.name", "charge"), ("span.kind", "internal")]);
        assert_eq!(ok.count, 5, "{protocol:?}");
        let failed = point(
            &durations,
            &[("operation.name", "charge"), ("span.kind", "internal"), ("error.type", "metrics::Declined")],
        );
        assert_eq!(failed.count, 5);
        assert_eq!(
            ok.explicit_bounds,
            [
                0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
                30.0, 60.0
            ]
        );
        assert_eq!(ok.bucket_counts.iter().sum::<u64>(), 5);
        assert!(ok.sum.unwrap() < 0.01, "five trivial calls take less than 10 ms");
    }
}

#[test]
fn a_recorded_span_and_its_duration_in_the_metrics_are_the_same_clock_readings() {
    let _lock = lock();
    let receiver = Receiver::start();
    // A root on the lane for roots, and one the backend starts: roots the
    // sampler is asked about start through it.
    for sampler in [Sampler::ParentBasedAlwaysOn, Sampler::TraceIdRatio(1.0)] {
        let mut alike = 0;
        for _ in 0..5 {
            let guard = metrics_and_spans_in_memory(&receiver, sampler);
            let _ = charge(2);
            tracekit::span("step").in_scope(|| std::thread::sleep(Duration::from_micros(200)));
            let spans = tracekit::testing::take_recorded();
            drop(guard);
            let durations = metric(&receiver.metrics(), "tracekit.operation.duration");
            let same = ["charge", "step"].iter().all(|name| {
                let span = spans.get(name).duration().as_secs_f64();
                let metric = point(&durations, &[("operation.name", name), ("span.kind", "internal")]).sum.unwrap();
                // One reading at each end serves both: they differ only by the
                // rounding of two conversions. Separate readings would differ by
                // what runs between them, hundreds of nanoseconds at least.
                (span - metric).abs() < 100e-9
            });
            alike += usize::from(same);
        }
        // A thread renews its clock anchor every second; a renewal between a
        // span's two readings may move its timestamps by the clock's drift.
        assert!(alike >= 4, "{sampler:?}: {alike} of 5 installations had the span's duration in the metrics");
    }
}

#[test]
fn calls_of_threads_that_ended_before_the_export_all_count() {
    let _lock = lock();
    let receiver = Receiver::start();
    let guard = metrics_over_otlp(&receiver, Protocol::HttpProtobuf).install().unwrap();
    // More calls per thread than a thread keeps pending, and fewer.
    std::thread::scope(|scope| {
        for thread in 0..4_u32 {
            scope.spawn(move || {
                for cents in 0..(1000 + thread * 7) {
                    let _ = charge(cents * 2);
                }
            });
        }
        scope.spawn(|| {
            for cents in 0..5 {
                let _ = charge(cents * 2);
            }
        });
    });
    // A thread still running when the metrics are exported.
    let (stop, stopped) = std::sync::mpsc::channel::<()>();
    let running = std::thread::spawn(move || {
        for cents in 0..300 {
            let _ = charge(cents * 2);
        }
        let _ = stopped.recv();
    });
    std::thread::sleep(Duration::from_millis(20));
    drop(guard);
    let _ = stop.send(());
    running.join().unwrap();

    let durations = metric(&receiver.metrics(), "tracekit.operation.duration");
    let ok = point(&durations, &[("operation.name", "charge"), ("span.kind", "internal")]);
    assert_eq!(ok.count, 4000 + 7 * 6 + 5 + 300);
    assert_eq!(ok.bucket_counts.iter().sum::<u64>(), ok.count);
}

#[test]
fn a_periodic_export_has_every_call_made_before_it() {
    let _lock = lock();
    let receiver = Receiver::start();
    let guard = metrics_over_otlp(&receiver, Protocol::Grpc)
        .metrics(|metrics| metrics.interval(Duration::from_millis(100)))
        .install()
        .unwrap();
    // Fewer calls than a thread keeps pending: only the collection records them.
    for cents in 0..10 {
        let _ = charge(cents * 2);
    }
    let counted = || {
        let exports = receiver.metrics();
        let last = exports.last()?;
        let has_durations = last
            .request
            .resource_metrics
            .iter()
            .flat_map(|resource| &resource.scope_metrics)
            .any(|scope| scope.metrics.iter().any(|metric| metric.name == "tracekit.operation.duration"));
        has_durations.then(|| {
            point(
                &metric(&exports, "tracekit.operation.duration"),
                &[("operation.name", "charge"), ("span.kind", "internal")],
            )
            .count
        })
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while counted() != Some(10) && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(counted(), Some(10), "an export while installed has the ten calls");
    drop(guard);
}

/// Runs `body` on a tokio runtime of its own (the receiver, which has its
/// own, cannot start inside one).
fn on_runtime(body: impl std::future::Future<Output = ()>) {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap().block_on(body);
}

#[test]
fn async_calls_panics_cancellations_and_manual_spans_are_timed_with_their_outcome() {
    let _lock = lock();
    let receiver = Receiver::start();
    let config =
        metrics_over_otlp(&receiver, Protocol::Grpc).metrics(|metrics| metrics.boundaries(&[0.005, 0.02, 0.1]));
    on_runtime(async {
        let guard = config.install().unwrap();
        fetch(30).await;
        // Dropped before it finishes: cancelled.
        let _ = tokio::time::timeout(Duration::from_millis(5), fetch(1000)).await;
        let _ = std::panic::catch_unwind(|| {
            tracekit::span("batch").in_scope(|| panic!("batch failed"));
        });
        tracekit::span("batch").in_scope(|| ());
        // Shut down inside the runtime, as `#[tokio::main]` programs do.
        drop(guard);
    });

    let durations = metric(&receiver.metrics(), "tracekit.operation.duration");
    let done = point(&durations, &[("operation.name", "fetch"), ("span.kind", "client")]);
    assert_eq!(done.count, 1);
    assert_eq!(done.explicit_bounds, [0.005, 0.02, 0.1]);
    assert_eq!(done.bucket_counts, [0, 0, 1, 0], "30 ms falls in (0.02, 0.1]");
    let cancelled =
        point(&durations, &[("operation.name", "fetch"), ("span.kind", "client"), ("error.type", "cancelled")]);
    assert_eq!(cancelled.count, 1);
    let batch = point(&durations, &[("operation.name", "batch"), ("span.kind", "internal")]);
    assert_eq!(batch.count, 1);
    let panicked =
        point(&durations, &[("operation.name", "batch"), ("span.kind", "internal"), ("error.type", "panic")]);
    assert_eq!(panicked.count, 1);
}

/// Charges each amount under one span: the calls start on its lane.
#[trace_operation]
fn checkout(amounts: &[u32]) -> usize {
    amounts.iter().filter(|&&cents| charge(cents).is_ok()).count()
}

#[trace_operation]
fn out_of_stock() {
    panic!("out of stock");
}

#[trace_async]
async fn ship(ms: u64) {
    tokio::time::sleep(Duration::from_millis(ms)).await;
}

/// Two shipments under one span: each `async` call starts on its lane.
#[trace_async]
async fn deliver() {
    ship(2).await;
    ship(3).await;
}

#[test]
fn calls_under_a_recorded_span_are_timed_by_the_span_s_readings_with_their_outcome() {
    let _lock = lock();
    let receiver = Receiver::start();
    let guard = metrics_over_otlp(&receiver, Protocol::Grpc).exporters(&[Exporter::InMemory]).install().unwrap();
    assert_eq!(checkout(&[2, 3, 4, 5, 6]), 3);
    tracekit::span("order").in_scope(|| std::panic::catch_unwind(out_of_stock)).unwrap_err();
    on_runtime(deliver());
    let spans = tracekit::testing::take_recorded();
    drop(guard);

    let durations = metric(&receiver.metrics(), "tracekit.operation.duration");
    let charged = point(&durations, &[("operation.name", "charge"), ("span.kind", "internal")]);
    let declined = point(
        &durations,
        &[("operation.name", "charge"), ("span.kind", "internal"), ("error.type", "metrics::Declined")],
    );
    let panicked =
        point(&durations, &[("operation.name", "out_of_stock"), ("span.kind", "internal"), ("error.type", "panic")]);
    let shipped = point(&durations, &[("operation.name", "ship"), ("span.kind", "internal")]);
    assert_eq!((charged.count, declined.count, panicked.count, shipped.count), (3, 2, 1, 2));
    for name in ["charge", "out_of_stock", "ship"] {
        assert!(spans.all(name).iter().all(|span| spans.parent(span).is_some()), "{name}: under its caller's span");
    }
    // The calls' durations are their spans': one reading at each end
    // serves both, so they differ only by the rounding of the conversions.
    let span_seconds = |name: &str, failed: bool| -> f64 {
        let calls = spans.all(name);
        calls.iter().filter(|span| span.is_error() == failed).map(|span| span.duration().as_secs_f64()).sum()
    };
    for (point, name, failed) in [
        (&charged, "charge", false),
        (&declined, "charge", true),
        (&shipped, "ship", false),
        (&panicked, "out_of_stock", true),
    ] {
        let (spans, metric) = (span_seconds(name, failed), point.sum.unwrap());
        assert!((spans - metric).abs() < 500e-9, "{name}, failed {failed}: spans {spans} s, metric {metric} s");
    }
}

#[test]
fn every_call_counts_when_traces_are_sampled_at_ten_percent() {
    let _lock = lock();
    let receiver = Receiver::start();
    let guard = metrics_and_spans_in_memory(&receiver, Sampler::TraceIdRatio(0.1));
    for cents in 0..1000 {
        let _ = charge(cents * 2);
    }
    let recorded = tracekit::testing::take_recorded().len() as u64;
    drop(guard);

    let exports = receiver.metrics();
    let durations = metric(&exports, "tracekit.operation.duration");
    assert_eq!(point(&durations, &[("operation.name", "charge"), ("span.kind", "internal")]).count, 1000);
    // The sampler's decisions: every call was a root; the sampled ones are
    // the spans recorded, about a tenth.
    let (sampled, not_sampled) = root_decisions(&exports);
    assert_eq!(sampled + not_sampled, 1000);
    assert_eq!(sampled, recorded);
    assert!((40..=200).contains(&recorded), "about a tenth sampled: {recorded}");
}

/// The sampler's decisions for roots the metrics counted: (sampled, not).
fn root_decisions(exports: &[MetricsExport]) -> (u64, u64) {
    let decisions = metric(exports, "tracekit.sampler.decisions");
    let Some(Data::Sum(sum)) = &decisions.data else { panic!("{decisions:?}") };
    let count = |sampled: &str| {
        sum.data_points
            .iter()
            .find(|point| text(&point.attributes).get("sampled").map(String::as_str) == Some(sampled))
            .map_or(0, |point| match point.value {
                Some(NumberValue::AsInt(count)) => count as u64,
                Some(NumberValue::AsDouble(count)) => count as u64,
                None => 0,
            })
    };
    (count("true"), count("false"))
}

/// A root on the lane for roots, whose decision needs no sampler (every
/// root kept, or none), is counted once, whether its box was set by the
/// backend or kept from the thread's root before.
#[test]
fn every_root_is_counted_once_when_every_root_or_none_is_sampled() {
    let _lock = lock();
    for (sampler, expected) in [(Sampler::AlwaysOn, (300, 0)), (Sampler::AlwaysOff, (0, 300))] {
        let receiver = Receiver::start();
        let guard = metrics_and_spans_in_memory(&receiver, sampler);
        for cents in 0..300 {
            let _ = charge(cents * 2);
        }
        let recorded = tracekit::testing::take_recorded().len() as u64;
        drop(guard);
        assert_eq!(root_decisions(&receiver.metrics()), expected, "{sampler:?}");
        assert_eq!(recorded, expected.0, "{sampler:?}: the spans recorded");
    }
}

#[test]
fn a_call_that_is_not_sampled_is_timed_from_its_own_start() {
    let _lock = lock();
    // Every root on the lane for roots, not sampled; then every call under
    // an unsampled remote parent OpenTelemetry has current. Each call is
    // timed all the same, from its own start.
    let unsampled_caller = std::collections::HashMap::from([(
        "traceparent".to_owned(),
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00".to_owned(),
    )]);
    for (sampler, under_caller) in [(Sampler::AlwaysOff, false), (Sampler::ParentBasedAlwaysOn, true)] {
        let receiver = Receiver::start();
        let guard = metrics_and_spans_in_memory(&receiver, sampler);
        let _attached = under_caller.then(|| tracekit::propagation::extract(&unsampled_caller).attach());
        const CALLS: u64 = 50;
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let started = std::time::Instant::now();
        for cents in 0..CALLS as u32 {
            let _ = charge(cents * 2);
            // The same, `async`, polled on this thread.
            let _ = runtime.block_on(charge_later(cents * 2));
            // Between calls: no part of a call's duration.
            std::thread::sleep(Duration::from_millis(2));
        }
        let elapsed = started.elapsed().as_secs_f64();
        assert!(tracekit::testing::take_recorded().is_empty(), "{sampler:?}");
        drop(guard);

        let durations = metric(&receiver.metrics(), "tracekit.operation.duration");
        let sleeps = CALLS as f64 * 0.002;
        // `charge` runs inside `charge_later` too.
        for (name, count) in [("charge", 2 * CALLS), ("charge_later", CALLS)] {
            let timed = point(&durations, &[("operation.name", name), ("span.kind", "internal")]);
            assert_eq!(timed.count, count, "{sampler:?}: {name}");
            let sum = timed.sum.unwrap();
            assert!(sum > 0.0 && sum < elapsed - sleeps, "{sampler:?}: {name}: {sum} s of calls in {elapsed} s");
        }
    }
}

async fn user(Path(id): Path<u32>) -> String {
    format!("user {id}")
}

#[test]
fn the_http_layers_record_the_standard_request_instruments() {
    let _lock = lock();
    let receiver = Receiver::start();
    let guard = metrics_and_spans_in_memory(&receiver, Sampler::AlwaysOff);
    let address = std::sync::OnceLock::new();
    on_runtime(async {
        let app = axum::Router::new().route("/users/{id}", get(user)).layer(tracekit::http::ServerLayer::new());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let bound = *address.get_or_init(|| listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
            .with(tracekit::reqwest::TraceMiddleware::default())
            .build();
        for id in 0..3 {
            client.get(format!("http://{bound}/users/{id}")).send().await.unwrap().text().await.unwrap();
        }
        assert_eq!(client.get(format!("http://{bound}/nowhere")).send().await.unwrap().status(), 404);
        // The server's spans end when hyper lets go of the bodies.
        tokio::time::sleep(Duration::from_millis(200)).await;
    });
    drop(guard);
    let address = address.get().unwrap();

    let exports = receiver.metrics();
    let server = metric(&exports, "http.server.request.duration");
    assert_eq!(server.unit, "s");
    let routed = point(
        &server,
        &[
            ("http.request.method", "GET"),
            ("network.protocol.version", "1.1"),
            ("url.scheme", "http"),
            ("http.route", "/users/{id}"),
            ("http.response.status_code", "200"),
        ],
    );
    assert_eq!(routed.count, 3, "one series for the route, whatever the id: nothing sampled, all counted");
    let missing = point(
        &server,
        &[
            ("http.request.method", "GET"),
            ("network.protocol.version", "1.1"),
            ("url.scheme", "http"),
            ("http.response.status_code", "404"),
        ],
    );
    assert_eq!(missing.count, 1, "a 404 is no error on the server");
    let client = metric(&exports, "http.client.request.duration");
    let port = address.port().to_string();
    let failed = point(
        &client,
        &[
            ("http.request.method", "GET"),
            ("network.protocol.version", "1.1"),
            ("server.address", "127.0.0.1"),
            ("server.port", port.as_str()),
            ("http.response.status_code", "404"),
            ("error.type", "404"),
        ],
    );
    assert_eq!(failed.count, 1);
}

#[test]
fn the_console_prints_a_line_per_series_with_its_quantiles() {
    let _lock = lock();
    let out = common::Buffer::default();
    let guard = Config::new()
        .exporters(&[Exporter::None])
        .metrics(|metrics| metrics.exporters(&[MetricsExporter::Console]).interval(Duration::from_secs(3600)))
        .console(|console| console.writer(out.clone()))
        .install()
        .unwrap();
    for cents in 0..4 {
        let _ = charge(cents);
    }
    assert!(tracekit::flush());
    drop(guard);
    let text = out.text();
    let line = text
        .lines()
        .find(|line| {
            line.starts_with("metric tracekit.operation.duration{operation.name=\"charge\",span.kind=\"internal\"}")
        })
        .unwrap_or_else(|| panic!("{text}"));
    assert!(line.contains(" count=2 "), "{line}");
    assert!(line.contains(" p95≈"), "{line}");
    assert!(
        text.contains("{error.type=\"metrics::Declined\",operation.name=\"charge\",span.kind=\"internal\"} count=2 "),
        "{text}"
    );
}

#[test]
fn bad_boundaries_and_a_taken_port_are_errors_that_say_so() {
    let _lock = lock();
    let error = Config::new()
        .metrics(|metrics| metrics.exporters(&[MetricsExporter::Console]).boundaries(&[0.1, 0.01]))
        .install()
        .unwrap_err();
    assert!(error.to_string().contains("Config::metrics"), "{error}");
    assert!(error.to_string().contains("in increasing order"), "{error}");

    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let error = Config::new()
        .exporters(&[Exporter::None])
        .metrics(|metrics| metrics.exporters(&[MetricsExporter::Prometheus]).prometheus_address("127.0.0.1", port))
        .install()
        .unwrap_err();
    assert!(error.to_string().contains(&format!("cannot serve Prometheus metrics on 127.0.0.1:{port}")), "{error}");
    // Nothing stays installed after the error.
    let guard = Config::new().exporters(&[Exporter::None]).install().unwrap();
    drop(guard);
}

/// tracekit's warnings about metrics sent to `endpoint`.
fn metrics_warnings(endpoint: &str) -> Vec<String> {
    common::warnings_about("tracekit::metrics", endpoint).into_iter().map(|event| event.message).collect()
}

#[test]
fn data_points_the_collector_rejects_are_reported_in_a_warning_with_its_reason() {
    let _lock = lock();
    common::global_log(); // from now on
    for protocol in [Protocol::Grpc, Protocol::HttpProtobuf, Protocol::HttpJson] {
        let receiver = Receiver::start();
        receiver.behave(Behaviour::PartiallyReject(2));
        let guard = metrics_over_otlp(&receiver, protocol).install().unwrap();
        let _ = charge(2);
        drop(guard); // exports what was recorded
        assert!(!receiver.metrics().is_empty(), "{protocol:?}: the request itself was taken");
        let warnings = metrics_warnings(&receiver.endpoint(protocol));
        let expected = format!("2 data points rejected by the collector: {REJECTION_REASON}");
        assert!(warnings.iter().any(|warning| warning.contains(&expected)), "{protocol:?}: {warnings:?}");
    }
}

#[test]
fn metrics_that_cannot_reach_the_collector_are_reported_in_one_warning_that_names_the_endpoint() {
    let _lock = lock();
    common::global_log(); // from now on
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let endpoint = format!("http://{closed}");
    let guard = Config::new()
        .otlp(|otlp| otlp.endpoint(&endpoint).protocol(Protocol::HttpProtobuf).timeout(Duration::from_millis(300)))
        .exporters(&[Exporter::None])
        .metrics(|metrics| metrics.exporters(&[MetricsExporter::Otlp]).interval(Duration::from_millis(50)))
        .install()
        .unwrap();
    let _ = charge(2);
    // Several exports fail in this time; the warning is not repeated for each.
    std::thread::sleep(Duration::from_millis(1_200));
    drop(guard);
    let warnings = metrics_warnings(&endpoint);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("an export failed"), "{warnings:?}");
}
