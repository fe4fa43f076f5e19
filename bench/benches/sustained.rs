//! The sustained cost of a span: each case in a process of its own makes
//! its spans without a pause, and the time counts until every one has been
//! exported (or counted as lost). The calling thread's cost is the
//! overhead benchmark's; this one adds what the export side costs (as
//! time to drain, and as the CPU of the threads that export, a span), the
//! spans dropped at the benchmark's queue size and the process's peak
//! memory, side by side with the peers. Where the export threads' CPU a
//! span comes near the calling thread's, the export barely keeps up.
//!
//! ```text
//! cargo bench -p tracekit-bench --bench sustained
//! ```

mod calls;

use calls::{with_fastrace, with_tracekit, with_tracing};
use opentelemetry::trace::{Tracer as _, TracerProvider as _};
use opentelemetry_sdk::trace::Sampler;
use std::hint::black_box;
use std::process::Command;
use std::time::{Duration, Instant};
use tracekit::Config;
use tracekit_bench::{CountingExporter, CountingReporter};
use tracing_subscriber::layer::SubscriberExt as _;

/// Spans each case makes, timed; as many again before, untimed, to warm up.
const SPANS: u64 = 4_000_000;
/// The queue of every batch processor, as in the overhead benchmark.
const QUEUE: usize = 1 << 16;
/// Calls under one root span in the cases that run as requests do
/// (fastrace reports a local trace when its root ends).
const REQUEST: u64 = 1_000;
/// Processes per case, taken in turn with the other cases'.
const ROUNDS: usize = 3;
/// Set in a child process to the case it runs.
const CASE_VARIABLE: &str = "TRACEKIT_SUSTAINED_CASE";

const CASES: [&str; 6] = [
    "tracekit",
    "tracekit, requests of 1,000",
    "SDK in_span",
    "fastrace, requests of 1,000",
    "tracing + tracing-opentelemetry",
    "tracing through tracekit's layer",
];

/// What one process measured.
#[derive(Clone, Copy)]
struct Run {
    caller_ns: f64,
    sustained_ns: f64,
    /// The CPU time of the process's other threads (the export thread,
    /// fastrace's collector) over the spans they exported: what keeping
    /// up costs, against the calling thread's `caller_ns`.
    background_ns: f64,
    /// How long those threads were ready to run but waited for a core
    /// (Linux's run-queue delay): a spell of it longer than the queue
    /// lasts loses spans however fast the export is.
    background_waited_ms: f64,
    lost: u64,
    peak_rss_kib: u64,
}

/// Makes [`SPANS`] spans with `call`, then `drain`s, which returns how many
/// were exported so far; prints the figures for the parent to read.
fn run(mut call: impl FnMut(u64), mut drain: impl FnMut() -> u64) {
    for i in 0..SPANS {
        call(i);
    }
    let before = drain();
    let background_before = background_schedstat();
    let started = Instant::now();
    for i in 0..SPANS {
        call(i);
    }
    let caller = started.elapsed();
    let exported = drain() - before;
    let sustained = started.elapsed();
    let (background_cpu, background_waited) = background_schedstat();
    let background = background_cpu.saturating_sub(background_before.0) as f64 / exported.max(1) as f64;
    let waited_ms = background_waited.saturating_sub(background_before.1) as f64 / 1e6;
    let per_span = |elapsed: Duration| elapsed.as_nanos() as f64 / SPANS as f64;
    let lost = SPANS.saturating_sub(exported);
    println!("{} {} {} {} {background} {waited_ms}", per_span(caller), per_span(sustained), lost, peak_rss_kib());
}

/// The CPU time and the run-queue delay, in nanoseconds, of this process's
/// threads other than the calling one, from Linux's per-thread `schedstat`
/// (0 elsewhere).
fn background_schedstat() -> (u64, u64) {
    // `/proc/thread-self` links to `<pid>/task/<tid>`: the calling thread.
    let caller =
        std::fs::read_link("/proc/thread-self").ok().and_then(|link| link.file_name().map(|tid| tid.to_owned()));
    let Ok(threads) = std::fs::read_dir("/proc/self/task") else { return (0, 0) };
    threads
        .flatten()
        .filter(|thread| Some(thread.file_name()) != caller)
        .filter_map(|thread| std::fs::read_to_string(thread.path().join("schedstat")).ok())
        .filter_map(|schedstat| {
            let mut fields = schedstat.split_whitespace().map(|field| field.parse::<u64>().ok());
            Some((fields.next()??, fields.next()??))
        })
        .fold((0, 0), |(cpu, waited), (more_cpu, more_waited)| (cpu + more_cpu, waited + more_waited))
}

/// The process's peak resident memory (Linux; 0 elsewhere).
fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let line = status.lines().find(|line| line.starts_with("VmHWM:"));
    line.and_then(|line| line.split_whitespace().nth(1)?.parse().ok()).unwrap_or(0)
}

/// Calls made as the calls of requests: a root span opened by `open_root`
/// every [`REQUEST`] calls and held until the next one, or until
/// [`Requests::end`].
struct Requests<R, F> {
    open_root: F,
    root: std::cell::RefCell<Option<R>>,
    roots: std::cell::Cell<u64>,
}

impl<R, F: Fn() -> R> Requests<R, F> {
    fn new(open_root: F) -> Self {
        Requests { open_root, root: Default::default(), roots: Default::default() }
    }

    fn call(&self, i: u64, call: impl FnOnce(u64)) {
        if i.is_multiple_of(REQUEST) {
            // The last request ends before the next begins.
            self.end();
            *self.root.borrow_mut() = Some((self.open_root)());
            self.roots.set(self.roots.get() + 1);
        }
        call(i);
    }

    /// Ends the open request; how many roots were opened so far.
    fn end(&self) -> u64 {
        drop(self.root.borrow_mut().take());
        self.roots.get()
    }

    /// [`run`]s `call` as the calls of requests; `exported` counts what was
    /// exported, roots included, which are then left out.
    fn run(&self, call: impl Fn(u64), mut exported: impl FnMut() -> u64) {
        run(
            |i| self.call(i, &call),
            || {
                let roots = self.end();
                exported() - roots
            },
        );
    }
}

fn tracekit_config(counter: &CountingExporter) -> Config {
    Config::new()
        .span_exporter(counter.clone())
        .batch(|batch| batch.schedule_delay(Duration::from_millis(50)).max_queue_size(QUEUE).max_export_batch_size(512))
}

/// Spans that are exported or counted as dropped by tracekit: the
/// exported count, once the pipeline is flushed.
fn tracekit_drained(counter: &CountingExporter) -> u64 {
    tracekit::flush();
    counter.count()
}

fn run_case(case: &str) {
    let counter = CountingExporter::default();
    match case {
        "tracekit" => {
            let _installed = tracekit_config(&counter).install().expect("install");
            run(
                |i| {
                    black_box(with_tracekit(i));
                },
                || tracekit_drained(&counter),
            );
        }
        "tracekit, requests of 1,000" => {
            let _installed = tracekit_config(&counter).install().expect("install");
            let requests = Requests::new(|| tracekit::span("request").entered());
            requests.run(
                |i| {
                    black_box(with_tracekit(i));
                },
                || tracekit_drained(&counter),
            );
        }
        "SDK in_span" => {
            let provider = tracekit_bench::batch_provider(Sampler::AlwaysOn, &counter, QUEUE);
            let tracer = provider.tracer("bench");
            run(
                |i| {
                    black_box(tracer.in_span("with_sdk", |_| black_box(i).wrapping_add(1)));
                },
                || {
                    provider.force_flush().expect("flush");
                    counter.count()
                },
            );
        }
        "fastrace, requests of 1,000" => {
            let reporter = CountingReporter::default();
            fastrace::set_reporter(reporter.clone(), fastrace::collector::Config::default());
            let requests = Requests::new(|| {
                let root = fastrace::Span::root("request", fastrace::prelude::SpanContext::random());
                let parent = root.set_local_parent();
                // Dropped in order, the guard first: the spans are sent on.
                (parent, root)
            });
            requests.run(
                |i| {
                    black_box(with_fastrace(i));
                },
                || {
                    fastrace::flush();
                    reporter.0.load(std::sync::atomic::Ordering::Relaxed)
                },
            );
        }
        "tracing + tracing-opentelemetry" => {
            let provider = tracekit_bench::batch_provider(Sampler::AlwaysOn, &counter, QUEUE);
            let layer = tracing_opentelemetry::layer().with_tracer(provider.tracer("bench"));
            let _subscriber = tracing::subscriber::set_default(tracing_subscriber::registry().with(layer));
            run(
                |i| {
                    black_box(with_tracing(i));
                },
                || {
                    provider.force_flush().expect("flush");
                    counter.count()
                },
            );
        }
        "tracing through tracekit's layer" => {
            let _installed = tracekit_config(&counter).install().expect("install");
            let layer = tracekit::subscriber::layer();
            let _subscriber = tracing::subscriber::set_default(tracing_subscriber::registry().with(layer));
            run(
                |i| {
                    black_box(with_tracing(i));
                },
                || tracekit_drained(&counter),
            );
        }
        other => panic!("no case {other:?}"),
    }
}

/// Runs `case` in a process of its own and reads what it measured.
fn measure_in_child(case: &str) -> Run {
    let this = std::env::current_exe().expect("the benchmark's own path");
    let output = Command::new(this).env(CASE_VARIABLE, case).output().expect("run a case");
    assert!(output.status.success(), "{case}: {}", String::from_utf8_lossy(&output.stderr));
    let text = String::from_utf8_lossy(&output.stdout);
    let fields: Vec<&str> = text.lines().last().unwrap_or_default().split_whitespace().collect();
    let field = |at: usize| fields.get(at).unwrap_or_else(|| panic!("{case}: printed {text:?}"));
    Run {
        caller_ns: field(0).parse().expect("caller ns"),
        sustained_ns: field(1).parse().expect("sustained ns"),
        lost: field(2).parse().expect("spans lost"),
        peak_rss_kib: field(3).parse().expect("peak RSS"),
        background_ns: field(4).parse().expect("background CPU ns"),
        background_waited_ms: field(5).parse().expect("background run-queue delay"),
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    if let Ok(case) = std::env::var(CASE_VARIABLE) {
        run_case(&case);
        return;
    }
    // Criterion's and cargo's arguments (`--bench`) are not for this one.
    let mut runs: Vec<Vec<Run>> = vec![Vec::new(); CASES.len()];
    for round in 0..ROUNDS {
        // Each round in another order, so no case always follows the same one.
        for turn in 0..CASES.len() {
            let at = (turn + round) % CASES.len();
            runs[at].push(measure_in_child(CASES[at]));
        }
    }
    let summary: Vec<Run> = runs
        .iter()
        .map(|runs| Run {
            caller_ns: median(runs.iter().map(|run| run.caller_ns).collect()),
            sustained_ns: median(runs.iter().map(|run| run.sustained_ns).collect()),
            background_ns: median(runs.iter().map(|run| run.background_ns).collect()),
            background_waited_ms: runs.iter().map(|run| run.background_waited_ms).fold(0.0, f64::max),
            lost: runs.iter().map(|run| run.lost).max().unwrap_or(0),
            peak_rss_kib: runs.iter().map(|run| run.peak_rss_kib).max().unwrap_or(0),
        })
        .collect();
    let of = |name: &str| summary[CASES.iter().position(|case| *case == name).expect("a case")];
    let fastrace = of("fastrace, requests of 1,000");
    let tracing_otel = of("tracing + tracing-opentelemetry");
    println!("\nSustained cost ({SPANS} spans a process, after as many to warm up; queues of {QUEUE}; medians of {ROUNDS} processes, the most lost and the highest peak):\n");
    println!("| case | ns/span, caller | ns/span, sustained | ns/span, export threads' CPU | export threads' wait for a core, ms (longest) | × fastrace, sustained | × tracing-otel, sustained | spans lost (most) | peak RSS MiB (highest) |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (case, run) in CASES.iter().zip(&summary) {
        println!(
            "| {case} | {:.1} | {:.1} | {:.1} | {:.1} | {:.2} | {:.2} | {} | {:.1} |",
            run.caller_ns,
            run.sustained_ns,
            run.background_ns,
            run.background_waited_ms,
            run.sustained_ns / fastrace.sustained_ns,
            run.sustained_ns / tracing_otel.sustained_ns,
            run.lost,
            run.peak_rss_kib as f64 / 1024.0
        );
    }
    println!("\nProcesses that lost spans, and how long their export threads waited for a core:\n");
    for (case, runs) in CASES.iter().zip(&runs) {
        for run in runs.iter().filter(|run| run.lost > 0) {
            println!("- {case}: {} lost; waited {:.1} ms", run.lost, run.background_waited_ms);
        }
    }
    let tracekit = of("tracekit, requests of 1,000");
    let layer = of("tracing through tracekit's layer");
    let verdict = |met: bool| if met { "met" } else { "NOT met" };
    println!("\nTargets:\n");
    let ratio = tracekit.sustained_ns / fastrace.sustained_ns;
    let lost = of("tracekit").lost + tracekit.lost;
    println!(
        "- sustained, requests of 1,000: at most fastrace's cost, nothing lost: {} ({ratio:.2}×, {lost} lost)",
        verdict(ratio <= 1.0 && lost == 0)
    );
    let memory = tracekit.peak_rss_kib as f64 / fastrace.peak_rss_kib as f64;
    println!("- peak memory at most 1/4 of fastrace's in the same loop: {} ({memory:.2}×)", verdict(memory <= 0.25));
    let ratio = layer.sustained_ns / tracing_otel.sustained_ns;
    println!(
        "- a #[tracing::instrument] span through tracekit's layer, sustained: at most 1/3 of tracing-opentelemetry's: {} ({ratio:.2}×)",
        verdict(ratio <= 1.0 / 3.0)
    );
}
