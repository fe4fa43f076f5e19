//! Spans per second exported over OTLP gRPC and HTTP to a loopback receiver,
//! with no span dropped, and the process's memory as the count grows.
//!
//! ```text
//! cargo bench -p tracekit-bench --bench throughput
//! ```
//!
//! The producer runs at most one queue's worth ahead of what the receiver
//! has, so nothing is dropped and the rate is what export sustains. The
//! SDK's own batch processor with `opentelemetry-otlp` runs the same loop
//! over gRPC, for comparison.

use std::time::{Duration, Instant};
use tracekit::{Config, Protocol};
use tracekit_tests::receiver::Receiver;

const QUEUE: usize = 8192;
const BURST: u64 = 4096;
const PHASES: [u64; 3] = [50_000, 100_000, 200_000];

#[tracekit::trace_operation(include_args)]
fn work(n: u64) -> u64 {
    n.wrapping_mul(31)
}

/// A line of /proc/self/status, in KiB (Linux).
fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The time the threads named `names` have been on a CPU (Linux's
/// schedstat, in ns): what exporting costs, whatever the receiver sharing
/// the machine takes.
fn cpu_ns_of_threads(names: &[&str]) -> Option<u64> {
    let mut total = None;
    for task in std::fs::read_dir("/proc/self/task").ok()?.flatten() {
        let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
        if names.contains(&comm.trim_end()) {
            let schedstat = std::fs::read_to_string(task.path().join("schedstat")).ok()?;
            let ns: u64 = schedstat.split_whitespace().next()?.parse().ok()?;
            total = Some(total.unwrap_or(0) + ns);
        }
    }
    total
}

/// Makes spans with `span` in bursts, never more than a queue ahead of
/// what `receiver` has, and prints a row per phase.
fn produce(label: &str, receiver: &Receiver, exporting_threads: &[&str], span: impl Fn(u64) -> u64) {
    let started = Instant::now();
    let mut produced = 0u64;
    for phase in PHASES {
        while produced < phase {
            // Stay within one queue of the receiver: nothing is dropped.
            while produced.saturating_sub(receiver.span_count()) > (QUEUE as u64 - BURST) {
                std::thread::sleep(Duration::from_micros(200));
            }
            for n in 0..BURST.min(phase - produced) {
                std::hint::black_box(span(n));
            }
            produced += BURST.min(phase - produced);
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        while receiver.span_count() < produced && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
        let elapsed = started.elapsed();
        let received = receiver.span_count();
        assert_eq!(received, produced, "{label}: every span must arrive");
        println!(
            "| {label} | {produced} | {:.0} | {} | {} | {} |",
            received as f64 / elapsed.as_secs_f64(),
            cpu_ns_of_threads(exporting_threads)
                .map_or("n/a".into(), |ns| format!("{:.0}", ns as f64 / received as f64)),
            status_kib("VmRSS:").map_or("n/a".into(), |kib| format!("{:.1}", kib as f64 / 1024.0)),
            status_kib("VmHWM:").map_or("n/a".into(), |kib| format!("{:.1}", kib as f64 / 1024.0)),
        );
    }
}

fn run(protocol: Protocol, label: &str) {
    let receiver = Receiver::start_counting();
    let endpoint = match protocol {
        Protocol::Grpc => receiver.grpc_endpoint.clone(),
        _ => receiver.http_endpoint.clone(),
    };
    let guard = Config::new()
        .service_name("throughput")
        .otlp(|otlp| otlp.endpoint(endpoint).protocol(protocol))
        .batch(|batch| batch.schedule_delay(Duration::from_millis(20)).max_queue_size(QUEUE).max_export_batch_size(512))
        .install()
        .expect("OTLP installs");
    produce(label, &receiver, &["tracekit-export"], work);
    drop(guard);
}

/// The same spans through the SDK's batch processor and `opentelemetry-otlp`'s
/// gRPC exporter, with the same queue, batches and schedule. Its client
/// runs on a tokio runtime of its own, whose thread counts as exporting.
fn run_sdk_grpc(label: &str) {
    use opentelemetry::trace::{Span as _, Tracer as _, TracerProvider as _};
    use opentelemetry_otlp::WithExportConfig as _;
    use opentelemetry_sdk::trace::{BatchConfigBuilder, BatchSpanProcessor, SdkTracerProvider};

    let receiver = Receiver::start_counting();
    let client_runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(1).thread_name("sdk-otlp-io").enable_all().build();
    let client_runtime = client_runtime.expect("a runtime for the SDK's client");
    let exporter = client_runtime.block_on(async {
        opentelemetry_otlp::SpanExporter::builder().with_tonic().with_endpoint(&receiver.grpc_endpoint).build()
    });
    let batches = BatchConfigBuilder::default()
        .with_max_queue_size(QUEUE)
        .with_max_export_batch_size(512)
        .with_scheduled_delay(Duration::from_millis(20))
        .build();
    let processor =
        BatchSpanProcessor::builder(exporter.expect("the SDK's exporter builds")).with_batch_config(batches);
    let provider = SdkTracerProvider::builder().with_span_processor(processor.build()).build();
    let tracer = provider.tracer("throughput");
    produce(label, &receiver, &["OpenTelemetry.Traces.BatchProcessor", "sdk-otlp-io"], |n| {
        let mut span = tracer.start("work");
        span.set_attribute(opentelemetry::KeyValue::new("arg.n", n as i64));
        let result = n.wrapping_mul(31);
        span.end();
        result
    });
    let _ = provider.shutdown();
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` would too, and
    // this is not a test: run only when benchmarking.
    if !std::env::args().any(|arg| arg == "--bench") {
        return;
    }
    println!("| exporter | spans exported | spans/s (cumulative) | exporting threads' CPU ns/span | RSS MiB | peak RSS MiB |");
    println!("|---|---:|---:|---:|---:|---:|");
    run(Protocol::Grpc, "tracekit, OTLP gRPC");
    run(Protocol::HttpProtobuf, "tracekit, OTLP HTTP/protobuf");
    run_sdk_grpc("SDK + opentelemetry-otlp, OTLP gRPC");
}
