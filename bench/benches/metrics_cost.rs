//! What metrics add to an annotated call: the same call with metrics off and
//! on, for a span not sampled (the sampler says no, or the parent was not
//! sampled) and for a recorded one. Metrics are a property of the
//! installation, so each turn installs its side afresh (untimed), times
//! `TURN` calls, then drains the exporter (untimed) and uninstalls; the
//! sides alternate, the order changed every turn, and the medians of the
//! per-turn differences and ratios are reported. Every recorded span is
//! checked exported, and none lost.
//!
//! Two more sides show what any metrics must add, around the call with
//! metrics off: *the clock*, the two reads of the time-stamp counter that
//! time a call (fastant, as tracekit reads it), and *the floor*, those reads
//! and one record into a bound histogram of the SDK's with the same bucket
//! boundaries, on each call.
//!
//! Last, the calls of two threads at once, both on one function (so both
//! record into one histogram of the SDK) and each on a function of its own.
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
/// Calls of each thread in the threads' case: long enough for the threads
/// to overlap.
const THREAD_CALLS: u64 = 1_000_000;

#[tracekit::trace_operation]
fn with_tracekit(x: u64) -> u64 {
    x.wrapping_mul(31).rotate_left(7)
}

#[tracekit::trace_operation]
fn another(x: u64) -> u64 {
    x.wrapping_mul(37).rotate_left(5)
}

/// tracekit's default bucket boundaries, given explicitly so that the floor
/// records into the same histogram.
const BOUNDARIES: [f64; 18] =
    [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0];

/// What is timed: the call with metrics off or on, or wrapped in the clock
/// reads alone, or in the clock reads and a record into the SDK.
#[derive(Clone, Copy, PartialEq)]
enum Side {
    Off,
    On,
    Clock,
    Floor,
}

const SIDES: [Side; 4] = [Side::Off, Side::On, Side::Clock, Side::Floor];

/// How a side is installed: the sampler, whether spans are recorded (into
/// a counting exporter), and whether the parent is an unsampled remote one.
#[derive(Clone, Copy)]
struct Setting {
    sampler: Sampler,
    recorded: bool,
    unsampled_parent: bool,
}

fn config(setting: Setting, side: Side, counter: &CountingExporter) -> Config {
    let config = if setting.recorded {
        Config::new().span_exporter(counter.clone()).batch(|batch| {
            batch.schedule_delay(Duration::from_millis(50)).max_queue_size(1 << 16).max_export_batch_size(512)
        })
    } else {
        Config::new().exporters(&[Exporter::InMemory])
    };
    let config = config.sampler(setting.sampler);
    match side {
        // Any reader serves: the cost is the recording, not the export.
        Side::On => config
            .metrics(|metrics| {
                metrics
                    .exporters(&[MetricsExporter::Console])
                    .interval(Duration::from_secs(3600))
                    .boundaries(&BOUNDARIES)
            })
            .console(|console| console.writer(std::io::sink())),
        Side::Off | Side::Clock | Side::Floor => config,
    }
}

/// One turn: ns per call, with spans exported (checked after the turn).
fn turn(setting: Setting, side: Side) -> f64 {
    let counter = CountingExporter::default();
    let guard = config(setting, side, &counter).install().unwrap();
    let floor = (side == Side::Floor).then(Floor::new);
    let remote = SpanContext::new(
        TraceId::from(0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736_u128),
        SpanId::from(0x00f0_67aa_0ba9_02b7_u64),
        TraceFlags::default(),
        true,
        TraceState::default(),
    );
    let attached = setting.unsampled_parent.then(|| Context::new().with_remote_span_context(remote).attach());
    let ns = match (&floor, side) {
        (Some(floor), _) => timed(|i| floor.around(|| with_tracekit(i))),
        (None, Side::Clock) => timed(|i| {
            let started = fastant::Instant::now();
            black_box(with_tracekit(black_box(i)));
            black_box(started.elapsed().as_secs_f64());
        }),
        (None, _) => timed(|i| {
            black_box(with_tracekit(black_box(i)));
        }),
    };
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
/// call (the counter tracekit reads), and one record into a bound histogram
/// of the SDK's with tracekit's boundaries.
struct Floor {
    _provider: opentelemetry_sdk::metrics::SdkMeterProvider,
    bound: opentelemetry::metrics::BoundHistogram<f64>,
}

impl Floor {
    fn new() -> Floor {
        use opentelemetry::metrics::MeterProvider as _;
        let reader = opentelemetry_sdk::metrics::ManualReader::builder().build();
        let provider = opentelemetry_sdk::metrics::SdkMeterProvider::builder().with_reader(reader).build();
        let histogram = provider.meter("bench").f64_histogram("floor").with_boundaries(BOUNDARIES.to_vec()).build();
        let bound = histogram.bind(&[
            opentelemetry::KeyValue::new("operation.name", "floor"),
            opentelemetry::KeyValue::new("span.kind", "internal"),
        ]);
        Floor { _provider: provider, bound }
    }

    #[inline(always)]
    fn around(&self, call: impl FnOnce() -> u64) {
        let started = fastant::Instant::now();
        black_box(call());
        self.bound.record(started.elapsed().as_secs_f64());
    }
}

/// ns per call of each of `threads` threads calling at once, with metrics
/// on; `apart`: each thread calls a function of its own.
fn threads(threads: u64, apart: bool) -> f64 {
    let counter = CountingExporter::default();
    let setting = Setting { sampler: Sampler::AlwaysOff, recorded: false, unsampled_parent: false };
    let guard = config(setting, Side::On, &counter).install().unwrap();
    let started = Instant::now();
    std::thread::scope(|scope| {
        for thread in 0..threads {
            scope.spawn(move || {
                let call = if apart && thread % 2 == 1 { another } else { with_tracekit };
                for i in 0..THREAD_CALLS {
                    black_box(call(black_box(i)));
                }
            });
        }
    });
    let ns = started.elapsed().as_nanos() as f64 / THREAD_CALLS as f64;
    drop(guard);
    ns
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
    println!("\n| call | metrics off, ns | metrics on, ns | on − off | on / off | clock − off | floor − off |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for (name, setting) in cases {
        // Warm up every side.
        for side in SIDES {
            turn(setting, side);
        }
        let (mut off, mut on, mut differences, mut ratios, mut clocks, mut floors) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for index in 0..TURNS {
            // Each side goes first, second, third and fourth in turn.
            let mut order = SIDES;
            order.rotate_left(index % SIDES.len());
            let mut ns = [0.0; SIDES.len()];
            for side in order {
                ns[side as usize] = turn(setting, side);
            }
            let [without, with, clock, floor] = ns;
            off.push(without);
            on.push(with);
            differences.push(with - without);
            ratios.push(with / without);
            clocks.push(clock - without);
            floors.push(floor - without);
        }
        println!(
            "| {name} | {:.1} | {:.1} | {:+.1} ns | {:.3} | {:+.1} ns | {:+.1} ns |",
            median(off),
            median(on),
            median(differences),
            median(ratios),
            median(clocks),
            median(floors)
        );
    }
    println!(
        "\nTwo threads at once, not sampled, metrics on (ns per call of each thread; one thread alone for scale):\n"
    );
    println!("| threads | one function | a function each |");
    println!("|---|---:|---:|");
    for count in [1, 2] {
        let shared = median((0..5).map(|_| threads(count, false)).collect());
        let apart = median((0..5).map(|_| threads(count, true)).collect());
        println!("| {count} | {shared:.1} | {apart:.1} |");
    }
}
