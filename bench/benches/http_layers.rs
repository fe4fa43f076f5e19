//! The cost of tracing a request: one axum request (routed, handled, body
//! read) in process, with no layer, under tracekit's `ServerLayer` in each
//! state, and under the ecosystem's default, `tower-http`'s `TraceLayer`
//! with `tracing-opentelemetry`. The cases of a group run in alternating
//! turns (the order rotated each round) so that a slow spell of this shared
//! machine moves them all; each turn is followed by a drain of the
//! exporters, timed apart, which gives the sustained cost next to the
//! caller's. Every span made is checked exported. Every request carries a
//! sampled `traceparent`, as in a traced mesh (the unsampled case's is
//! unsampled); `tower-http`'s default layer does not read it.
//!
//! ```text
//! cargo bench -p tracekit-bench --bench http_layers
//! # one case alone, for instruction counts that do not depend on the machine:
//! HTTP_LAYERS_CASE=unsampled HTTP_LAYERS_ROUNDS=4 valgrind --tool=callgrind target/release/deps/http_layers-…
//! ```

use axum::body::Body;
use axum::extract::Path;
use axum::routing::get;
use axum::Router;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::SdkTracerProvider;
use std::time::{Duration, Instant};
use tower::ServiceExt as _;
use tower_http::map_response_body::MapResponseBodyLayer;
use tracekit::{Config, Sampler};
use tracekit_bench::CountingExporter;
use tracing_subscriber::layer::SubscriberExt as _;

/// Requests in one turn; the batch queues hold more, so nothing is dropped.
const TURN: u64 = 2_000;
const ROUNDS: usize = 41;
const QUEUE: usize = 1 << 16;

async fn user(Path(id): Path<u32>) -> String {
    format!("user {id}")
}

fn router() -> Router {
    Router::new().route("/users/{id}", get(user))
}

const SAMPLED: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
const UNSAMPLED: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00";

/// A case: the app, the header a request carries, how to drain its
/// exporter (spans counted so far), and how many spans a request makes.
struct Case {
    name: &'static str,
    app: Router,
    traceparent: &'static str,
    drain: Box<dyn Fn() -> u64>,
    spans_per_request: u64,
    caller_ns: Vec<f64>,
    drain_ns: Vec<f64>,
}

impl Case {
    fn new(name: &'static str, app: Router, drain: Box<dyn Fn() -> u64>, spans_per_request: u64) -> Self {
        Case { name, app, traceparent: SAMPLED, drain, spans_per_request, caller_ns: Vec::new(), drain_ns: Vec::new() }
    }

    /// One turn of requests, then the drain; both timed.
    fn turn(&mut self, runtime: &tokio::runtime::Runtime, round: usize) {
        let app = self.app.clone();
        let traceparent = self.traceparent;
        let started = Instant::now();
        runtime.block_on(async move {
            for i in 0..TURN {
                let request = http::Request::get(format!("/users/{}", i % 100))
                    .header("traceparent", traceparent)
                    .body(Body::empty())
                    .unwrap();
                let response = app.clone().oneshot(request).await.unwrap();
                std::hint::black_box(axum::body::to_bytes(response.into_body(), 1024).await.unwrap());
            }
        });
        let caller = started.elapsed();
        let drained = Instant::now();
        (self.drain)();
        let drain = drained.elapsed();
        if round > 0 {
            // Round 0 warms up.
            self.caller_ns.push(caller.as_nanos() as f64 / TURN as f64);
            self.drain_ns.push(drain.as_nanos() as f64 / TURN as f64);
        }
    }
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted[sorted.len() / 2]
}

/// Runs the cases in alternation and checks that every span was exported.
fn run(group: &str, runtime: &tokio::runtime::Runtime, cases: &mut [Case]) -> Vec<(String, f64, f64, u64, u64)> {
    let before: Vec<u64> = cases.iter().map(|case| (case.drain)()).collect();
    for round in 0..=ROUNDS {
        let count = cases.len();
        for offset in 0..count {
            cases[(round + offset) % count].turn(runtime, round);
        }
    }
    cases
        .iter()
        .zip(before)
        .map(|(case, before)| {
            let made = (ROUNDS as u64 + 1) * TURN * case.spans_per_request;
            let exported = (case.drain)() - before;
            (format!("{group}: {}", case.name), median(&case.caller_ns), median(&case.drain_ns), made, exported)
        })
        .collect()
}

fn tracing_opentelemetry_provider(counter: &CountingExporter) -> SdkTracerProvider {
    tracekit_bench::batch_provider(
        opentelemetry_sdk::trace::Sampler::ParentBased(Box::new(opentelemetry_sdk::trace::Sampler::AlwaysOn)),
        counter,
        QUEUE,
    )
}

/// One case alone (`HTTP_LAYERS_CASE`: bare, no-op, off, recorded,
/// unsampled or tower-http) for `HTTP_LAYERS_ROUNDS` turns, to be counted
/// by callgrind.
fn run_alone(case: &str, runtime: &tokio::runtime::Runtime) {
    let rounds: usize =
        std::env::var("HTTP_LAYERS_ROUNDS").map_or(4, |rounds| rounds.parse().expect("a number of rounds"));
    let counter = CountingExporter::default();
    let installed = matches!(case, "recorded" | "unsampled");
    let _guard = installed.then(|| Config::new().span_exporter(counter.clone()).install().unwrap());
    let provider = tracing_opentelemetry_provider(&counter);
    let layer = tracing_opentelemetry::layer().with_tracer(provider.tracer("bench"));
    let _subscriber =
        (case == "tower-http").then(|| tracing::subscriber::set_default(tracing_subscriber::registry().with(layer)));
    let app = match case {
        "bare" => router(),
        "no-op" => router().layer(MapResponseBodyLayer::new(Body::new)),
        "off" | "recorded" | "unsampled" => router().layer(tracekit::http::ServerLayer::new()),
        "tower-http" => router().layer(tower_http::trace::TraceLayer::new_for_http()),
        other => panic!("no case {other:?}: bare, no-op, off, recorded, unsampled or tower-http"),
    };
    let mut alone = Case::new("alone", app, Box::new(|| 0), 0);
    if case == "unsampled" {
        alone.traceparent = UNSAMPLED;
    }
    for round in 0..rounds {
        alone.turn(runtime, round);
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    if let Ok(case) = std::env::var("HTTP_LAYERS_CASE") {
        return run_alone(&case, &runtime);
    }
    let none = || Box::new(|| 0_u64) as Box<dyn Fn() -> u64>;
    let mut rows = Vec::new();

    // Nothing of tracekit installed: the bare app, tracekit's layer doing
    // its one check, and the ecosystem's default recording every request.
    {
        let counter = CountingExporter::default();
        let provider = tracing_opentelemetry_provider(&counter);
        let layer = tracing_opentelemetry::layer().with_tracer(provider.tracer("bench"));
        let _subscriber = tracing::subscriber::set_default(tracing_subscriber::registry().with(layer));
        let drained = {
            let provider = provider.clone();
            Box::new(move || {
                provider.force_flush().expect("flush");
                counter.count()
            })
        };
        let mut cases = [
            Case::new("no layer", router(), none(), 0),
            // What any layer that wraps the body costs in axum (a boxed
            // future and body per request), to tell it from tracekit's part.
            Case::new(
                "a no-op layer wrapping the body",
                router().layer(MapResponseBodyLayer::new(Body::new)),
                none(),
                0,
            ),
            Case::new(
                "tracekit ServerLayer, not installed",
                router().layer(tracekit::http::ServerLayer::new()),
                none(),
                0,
            ),
            Case::new(
                "tower-http TraceLayer + tracing-opentelemetry",
                router().layer(tower_http::trace::TraceLayer::new_for_http()),
                drained,
                1,
            ),
        ];
        rows.extend(run("A", &runtime, &mut cases));
        let _ = provider.shutdown();
    }

    // tracekit installed, exporting to a counting exporter through its
    // batch processor: recorded, and under an unsampled incoming trace.
    {
        let counter = CountingExporter::default();
        let _guard = Config::new()
            .span_exporter(counter.clone())
            .sampler(Sampler::ParentBasedAlwaysOn)
            .batch(|batch| {
                batch.schedule_delay(Duration::from_millis(50)).max_queue_size(QUEUE).max_export_batch_size(512)
            })
            .install()
            .unwrap();
        let drained = || {
            let counter = counter.clone();
            Box::new(move || {
                assert!(tracekit::flush(), "flushed in time");
                counter.count()
            }) as Box<dyn Fn() -> u64>
        };
        let traced = || router().layer(tracekit::http::ServerLayer::new());
        let mut unsampled = Case::new("tracekit ServerLayer, unsampled incoming trace", traced(), none(), 0);
        unsampled.traceparent = UNSAMPLED;
        let mut cases = [
            Case::new("no layer", router(), none(), 0),
            Case::new("tracekit ServerLayer, recorded", traced(), drained(), 1),
            unsampled,
        ];
        rows.extend(run("B", &runtime, &mut cases));
        let stats = tracekit::export_stats();
        assert_eq!(stats.lost(), 0, "no span lost: {stats:?}");
    }

    println!("\n| case | ns/request (caller) | ns/request (sustained, with the drain) | spans made | spans exported |");
    println!("|---|---:|---:|---:|---:|");
    for (name, caller, drain, made, exported) in &rows {
        println!("| {name} | {caller:.0} | {:.0} | {made} | {exported} |", caller + drain);
        assert_eq!(made, exported, "{name}: every span made must be exported");
    }
    let cost = |name: &str| {
        let (_, caller, drain, _, _) = rows.iter().find(|row| row.0 == name).expect("measured");
        (*caller, caller + drain)
    };
    let (bare_a, _) = cost("A: no layer");
    let (bare_b, _) = cost("B: no layer");
    println!("\nOver the bare request of its group (caller's cost; sustained in brackets):\n");
    for (name, bare) in [
        ("A: a no-op layer wrapping the body", bare_a),
        ("A: tracekit ServerLayer, not installed", bare_a),
        ("A: tower-http TraceLayer + tracing-opentelemetry", bare_a),
        ("B: tracekit ServerLayer, recorded", bare_b),
        ("B: tracekit ServerLayer, unsampled incoming trace", bare_b),
    ] {
        let (caller, sustained) = cost(name);
        println!(
            "- {name}: {:+.0} ns ({:.2}×) [{:+.0} ns, {:.2}×]",
            caller - bare,
            caller / bare,
            sustained - bare,
            sustained / bare
        );
    }
    let (tracekit, tracekit_sustained) = cost("B: tracekit ServerLayer, recorded");
    let (peer, peer_sustained) = cost("A: tower-http TraceLayer + tracing-opentelemetry");
    println!(
        "\ntracekit's recorded request against tower-http + tracing-opentelemetry: the layer's cost {:.2}× the peer's ({:.2}× sustained)",
        (tracekit - bare_b) / (peer - bare_a),
        (tracekit_sustained - bare_b) / (peer_sustained - bare_a)
    );
}
