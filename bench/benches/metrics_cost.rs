//! What metrics add to an annotated call: the same call with metrics off and
//! on, for a span not sampled (the sampler says no, or the parent was not
//! sampled) and for a recorded one. Metrics are a property of the
//! installation, so each turn installs its side afresh (untimed), times
//! `TURN` calls, then drains the exporter (untimed) and uninstalls; the
//! sides alternate, the order swapped every turn, and the medians of the
//! per-turn differences and ratios are reported. Every recorded span is
//! checked exported, and none lost.
//!
//! ```text
//! cargo bench -p tracekit-bench --bench metrics_cost
//! ```

use opentelemetry::trace::{SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState};
use opentelemetry::Context;
use std::hint::black_box;
use std::time::{Duration, Instant};
use tracekit::{Config, Exporter, MetricsExporter, Sampler};
use tracekit_bench::CountingExporter;

const TURN: u64 = 20_000;
const TURNS: usize = 101;

#[tracekit::trace_operation]
fn with_tracekit(x: u64) -> u64 {
    x.wrapping_mul(31).rotate_left(7)
}

/// How a side is installed: the sampler, whether spans are recorded (into
/// a counting exporter), and whether the parent is an unsampled remote one.
#[derive(Clone, Copy)]
struct Setting {
    sampler: Sampler,
    recorded: bool,
    unsampled_parent: bool,
}

fn config(setting: Setting, metrics: bool, counter: &CountingExporter) -> Config {
    let config = if setting.recorded {
        Config::new().span_exporter(counter.clone()).batch(Duration::from_millis(50), 1 << 16, 512)
    } else {
        Config::new().exporter(Exporter::InMemory)
    };
    let config = config.sampler(setting.sampler);
    match metrics {
        // Any reader serves: the cost is the recording, not the export.
        true => config
            .metrics(&[MetricsExporter::Console])
            .metrics_interval(Duration::from_secs(3600))
            .console_writer(std::io::sink()),
        false => config,
    }
}

/// One turn: ns per call, with spans exported (checked after the turn).
fn turn(setting: Setting, metrics: bool) -> f64 {
    let counter = CountingExporter::default();
    let guard = config(setting, metrics, &counter).install().unwrap();
    let remote = SpanContext::new(
        TraceId::from(0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736_u128),
        SpanId::from(0x00f0_67aa_0ba9_02b7_u64),
        TraceFlags::default(),
        true,
        TraceState::default(),
    );
    let attached = setting.unsampled_parent.then(|| Context::new().with_remote_span_context(remote).attach());
    let started = Instant::now();
    for i in 0..TURN {
        black_box(with_tracekit(black_box(i)));
    }
    let ns = started.elapsed().as_nanos() as f64 / TURN as f64;
    drop(attached);
    let lost_before = tracekit::export_stats().lost();
    if setting.recorded {
        assert!(tracekit::flush(), "flushed in time");
        assert_eq!(counter.count(), TURN, "every recorded span exported");
    } else {
        let _ = tracekit::testing::take_recorded();
    }
    assert_eq!(tracekit::export_stats().lost(), lost_before, "no span lost");
    drop(guard);
    ns
}

/// ns per iteration of `step`, over `TURN` iterations.
fn timed(mut step: impl FnMut(u64)) -> f64 {
    let started = Instant::now();
    for i in 0..TURN {
        step(i);
    }
    started.elapsed().as_nanos() as f64 / TURN as f64
}

/// The floor under any metrics on the SDK: the two clock reads that time a
/// call, and one record into the SDK's bound histogram.
fn floor() {
    use opentelemetry::metrics::MeterProvider as _;
    let clock = median(
        (0..TURNS)
            .map(|_| {
                timed(|_| {
                    black_box(fastant::Instant::now().elapsed());
                })
            })
            .collect(),
    );
    let reader = opentelemetry_sdk::metrics::ManualReader::builder().build();
    let provider = opentelemetry_sdk::metrics::SdkMeterProvider::builder().with_reader(reader).build();
    let histogram = provider.meter("bench").f64_histogram("floor").with_boundaries(vec![0.001, 0.01, 0.1, 1.0]).build();
    let bound = histogram.bind(&[opentelemetry::KeyValue::new("operation.name", "floor")]);
    let record = median((0..TURNS).map(|_| timed(|i| bound.record(black_box(i as f64 * 1e-9)))).collect());
    println!(
        "
The floor: two clock reads (fastant) {clock:.1} ns; one record into the SDK's bound histogram {record:.1} ns."
    );
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    let cases = [
        ("not sampled (always_off)", Setting { sampler: Sampler::AlwaysOff, recorded: false, unsampled_parent: false }),
        (
            "not sampled (unsampled parent)",
            Setting { sampler: Sampler::ParentBasedAlwaysOn, recorded: false, unsampled_parent: true },
        ),
        ("recorded (batch)", Setting { sampler: Sampler::AlwaysOn, recorded: true, unsampled_parent: false }),
    ];
    println!("\n| call | metrics off, ns | metrics on, ns | difference | ratio |");
    println!("|---|---:|---:|---:|---:|");
    for (name, setting) in cases {
        // Warm up both sides.
        turn(setting, false);
        turn(setting, true);
        let (mut off, mut on, mut differences, mut ratios) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for index in 0..TURNS {
            let (without, with) = if index % 2 == 0 {
                let without = turn(setting, false);
                (without, turn(setting, true))
            } else {
                let with = turn(setting, true);
                (turn(setting, false), with)
            };
            off.push(without);
            on.push(with);
            differences.push(with - without);
            ratios.push(with / without);
        }
        println!(
            "| {name} | {:.1} | {:.1} | {:+.1} ns | {:.3} |",
            median(off),
            median(on),
            median(differences),
            median(ratios)
        );
    }
    floor();
}
