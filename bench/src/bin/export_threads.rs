//! How the export spreads over export threads: a backlog of spans, recorded
//! while the exporter is held, drained by one export thread and by two, in
//! turn (`BatchSettings::export_threads`).
//!
//! ```text
//! cargo run --release -p tracekit-bench --bin export_threads
//! ```
//!
//! Four threads record 100,000 annotated calls each (a root every 1,000)
//! into a program's own `SpanExporter` that counts them, held at its gate
//! until every span is queued; then the gate opens and a flush times the
//! drain. Nothing records meanwhile, so the export threads have the
//! machine's cores to themselves: the drain's rate is what the export side
//! can take a second, and its ratio between two export threads and one is
//! how the export scales with the cores given to it. The exporter's own
//! call (and the freeing of the batch it was given) is made in turn, as
//! the OpenTelemetry specification asks; the `SpanData` are built by each
//! export thread on its own.

use std::hint::black_box;
use std::time::{Duration, Instant};
use tracekit_bench::HeldExporter;

const RECORDING_THREADS: u64 = 4;
const PER_THREAD: u64 = 100_000;
const PER_ROOT: u64 = 1_000;
const TURNS: usize = 7;

/// The annotated function tracekit records.
#[inline(never)]
#[tracekit::trace_operation]
fn traced(x: u64) -> u64 {
    black_box(x).wrapping_add(1)
}

/// Spans a second that `export_threads` export threads drain from a held
/// backlog, and the spans lost.
fn drain(export_threads: usize) -> (f64, u64) {
    let held = HeldExporter::default();
    held.hold();
    let _installed = tracekit::Config::new()
        .span_exporter(held.clone())
        .batch(|batch| {
            // Rings four times the backlog: no thread gives way or drops.
            batch
                .max_queue_size(4 * PER_THREAD as usize)
                .max_export_batch_size(512)
                .schedule_delay(Duration::from_millis(50))
                .export_threads(export_threads)
        })
        .install()
        .unwrap();
    let before = tracekit::export_stats();
    std::thread::scope(|scope| {
        for thread in 0..RECORDING_THREADS {
            scope.spawn(move || {
                for root in 0..PER_THREAD / PER_ROOT {
                    let _root = tracekit::span("request").entered();
                    for call in 0..PER_ROOT - 1 {
                        black_box(traced(thread * PER_THREAD + root * PER_ROOT + call));
                    }
                }
            });
        }
    });
    held.wait_until_held();
    let started = Instant::now();
    held.release();
    assert!(tracekit::flush());
    let elapsed = started.elapsed().as_secs_f64();
    let lost = tracekit::export_stats().lost() - before.lost();
    assert_eq!(held.count() + lost, RECORDING_THREADS * PER_THREAD, "every span exported or counted");
    (held.count() as f64 / elapsed, lost)
}

/// Plain work a second on `threads` threads at once, sharing nothing: how
/// this machine's cores scale at that moment (a virtual machine's second
/// core comes and goes).
fn plain(threads: usize) -> f64 {
    const STEPS: u64 = 20_000_000;
    let started = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| (0..STEPS).fold(0u64, |sum, step| black_box(sum.wrapping_mul(31).wrapping_add(step))));
        }
    });
    (threads as u64 * STEPS) as f64 / started.elapsed().as_secs_f64()
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    let cores = std::thread::available_parallelism().map_or(1, |cores| cores.get());
    println!(
        "A backlog of {} spans drained, {TURNS} turns of each, in alternation ({cores} cores):\n",
        RECORDING_THREADS * PER_THREAD
    );
    let (mut one, mut two, mut lost, mut machine) = (Vec::new(), Vec::new(), 0, Vec::new());
    for _ in 0..TURNS {
        for (export_threads, rates) in [(1, &mut one), (2, &mut two)] {
            let (rate, lost_here) = drain(export_threads);
            rates.push(rate);
            lost += lost_here;
        }
        machine.push(plain(2) / plain(1));
    }
    let ratios: Vec<f64> = one.iter().zip(&two).map(|(one, two)| two / one).collect();
    println!("| export threads | spans drained a second (median) | range |");
    println!("|---:|---:|---:|");
    for (threads, rates) in [(1, &one), (2, &two)] {
        let (low, high) = (rates.iter().copied().fold(f64::MAX, f64::min), rates.iter().copied().fold(0.0, f64::max));
        println!("| {threads} | {:.0} | {low:.0} to {high:.0} |", median(rates.clone()));
    }
    let (low, high) = (ratios.iter().copied().fold(f64::MAX, f64::min), ratios.iter().copied().fold(0.0, f64::max));
    println!(
        "\ntwo export threads against one, turn by turn: {:.2}× (median; {low:.2}× to {high:.2}×); spans lost: {lost}",
        median(ratios.clone())
    );
    let (low, high) = (machine.iter().copied().fold(f64::MAX, f64::min), machine.iter().copied().fold(0.0, f64::max));
    println!(
        "plain work on two threads against one, in the same turns: {:.2}× ({low:.2}× to {high:.2}×)",
        median(machine)
    );
}
