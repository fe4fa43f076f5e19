//! The least an export thread can spend on a span it hands to a program's
//! own `SpanExporter`, measured in turn with what tracekit's calling thread
//! spends on recording one.
//!
//! ```text
//! cargo run --release -p tracekit-bench --bin export_floor
//! ```
//!
//! A program's exporter takes each span as the SDK's `SpanData`, in batches
//! (512 by default), and frees them a batch at a time. An annotated
//! function's span carries its `code.*` attributes, so each `SpanData` owns
//! a vector of three. This builds `SpanData` as tracekit's export thread
//! does for such a call, on a thread other than the main one (so that the
//! system allocator takes its locks, as in any program with an export
//! thread), three ways: without the vector; with it, each span dropped as
//! soon as it is built (the allocator's per-thread cache serves every
//! allocation); and with it, built and dropped by batches of 512, as an
//! exporter does (the cache holds seven blocks of a size, so the others
//! take the allocator's lock on the way in and on the way out). Nothing
//! is read from a queue and no timestamp is converted: tracekit's export
//! thread does both on top of this.
//!
//! The same run times tracekit's recorded call under a root made every
//! 1,000 calls, drained outside the timing. Where the calling thread
//! spends less on a span than the export thread's floor, a loop that
//! records without pause outruns any export thread that builds `SpanData`
//! (`BENCHMARKS.md`, "The export thread's floor").

use opentelemetry::trace::{SpanContext, SpanId, SpanKind, Status, TraceFlags, TraceId, TraceState};
use opentelemetry::{InstrumentationScope, KeyValue};
use opentelemetry_sdk::trace::SpanData;
use std::borrow::Cow;
use std::hint::black_box;
use std::time::{Duration, Instant, SystemTime};
use tracekit_bench::CountingExporter;

const SPANS: u64 = 1_000_000;
const BATCH: u64 = 512;
const ROUNDS: usize = 7;
const PER_ROOT: u64 = 1_000;
/// Calls between two untimed drains of tracekit's queue.
const CHUNK: u64 = 20_000;

/// A function's span as the SDK's `SpanData`, as tracekit's export thread
/// makes it for an annotated call.
#[inline(never)]
fn span_data(index: u64, with_code: bool) -> SpanData {
    let attributes = match with_code {
        true => vec![
            KeyValue::new("code.function.name", "export_floor::traced"),
            KeyValue::new("code.file.path", "bench/src/bin/export_floor.rs"),
            KeyValue::new("code.line.number", 70_i64),
        ],
        false => Vec::new(),
    };
    let ids = SpanContext::new(
        TraceId::from(u128::from(index) + 1),
        SpanId::from(index + 1),
        TraceFlags::SAMPLED,
        false,
        TraceState::NONE,
    );
    SpanData {
        span_context: ids,
        parent_span_id: SpanId::from(index / PER_ROOT + 1),
        parent_span_is_remote: false,
        span_kind: SpanKind::Internal,
        name: Cow::Borrowed("traced"),
        start_time: SystemTime::UNIX_EPOCH,
        end_time: SystemTime::UNIX_EPOCH,
        attributes,
        dropped_attributes_count: 0,
        events: Default::default(),
        links: Default::default(),
        status: Status::Unset,
        instrumentation_scope: InstrumentationScope::builder("tracekit").build(),
    }
}

/// The ways `SpanData` is built and let go.
#[derive(Clone, Copy)]
enum Shape {
    Bare,
    CodeOneByOne,
    CodeInBatches,
}

/// ns a span, for `SPANS` spans built and dropped as `shape` says.
fn build(shape: Shape) -> f64 {
    let started = Instant::now();
    match shape {
        Shape::Bare | Shape::CodeOneByOne => {
            for index in 0..SPANS {
                drop(black_box(span_data(index, matches!(shape, Shape::CodeOneByOne))));
            }
        }
        Shape::CodeInBatches => {
            for first in (0..SPANS).step_by(BATCH as usize) {
                let batch: Vec<SpanData> = (first..first + BATCH).map(|index| span_data(index, true)).collect();
                drop(black_box(batch));
            }
        }
    }
    started.elapsed().as_nanos() as f64 / SPANS as f64
}

/// The annotated function tracekit records.
#[inline(never)]
#[tracekit::trace_operation]
fn traced(x: u64) -> u64 {
    black_box(x).wrapping_add(1)
}

/// ns a call of [`traced`] under a root, the queue drained untimed.
fn record() -> f64 {
    let mut timed = Duration::ZERO;
    for chunk in 0..SPANS / CHUNK {
        let started = Instant::now();
        for root in 0..CHUNK / PER_ROOT {
            let _root = tracekit::span("request").entered();
            for call in 0..PER_ROOT {
                black_box(traced(chunk * CHUNK + root * PER_ROOT + call));
            }
        }
        timed += started.elapsed();
        tracekit::flush();
    }
    timed.as_nanos() as f64 / SPANS as f64
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    let counter = CountingExporter::default();
    let _installed = tracekit::Config::new()
        .span_exporter(counter.clone())
        .batch(|batch| batch.max_queue_size(1 << 16).max_export_batch_size(BATCH as usize))
        .install()
        .expect("install");
    // On a thread of its own, as an export thread is: with a second thread
    // running, the allocator takes its locks.
    let measured = std::thread::spawn(|| {
        let mut rounds: [Vec<f64>; 4] = Default::default();
        for _ in 0..ROUNDS {
            rounds[0].push(build(Shape::Bare));
            rounds[1].push(build(Shape::CodeOneByOne));
            rounds[2].push(build(Shape::CodeInBatches));
            rounds[3].push(record());
        }
        rounds.map(median)
    })
    .join()
    .expect("the measuring thread");
    let [bare, one_by_one, in_batches, caller] = measured;
    println!("Medians of {ROUNDS} rounds of {SPANS} spans each, taken in turn:\n");
    println!("| | ns a span | × tracekit's calling thread |");
    println!("|---|---:|---:|");
    let rows = [
        ("`SpanData`, no attributes, built and dropped", bare),
        ("`SpanData` with its `code.*` vector, dropped one by one", one_by_one),
        ("the same, built and dropped by batches of 512, as an exporter does", in_batches),
        ("tracekit's calling thread: a recorded call under a root", caller),
    ];
    for (name, ns) in rows {
        println!("| {name} | {ns:.1} | {:.2} |", ns / caller);
    }
    println!("\nThe allocator's share of a span by batches: {:.1} ns.", in_batches - one_by_one);
    println!("Spans tracekit exported: {}.", counter.count());
}
