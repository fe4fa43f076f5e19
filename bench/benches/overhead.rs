//! Per-call cost of a trivial function: plain, with tracekit in each state,
//! and with the peers, side by side in one run. Prints a table of ratios,
//! then the close comparisons measured again in alternation, and the
//! targets.
//!
//! ```text
//! cargo bench -p tracekit-bench --bench overhead
//! ```

mod calls;

use calls::{
    plain, with_fastrace, with_fastrace_async_polled, with_tracekit, with_tracekit_args, with_tracekit_async_polled,
    with_tracekit_threshold, with_tracing,
};
use criterion::Criterion;
use opentelemetry::trace::{
    SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState, Tracer, TracerProvider as _,
};
use opentelemetry::Context;
use opentelemetry_sdk::trace::{Sampler, SdkTracerProvider};
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::hint::black_box;
use std::sync::{Barrier, Mutex};
use std::time::{Duration, Instant};
use tracekit::{Config, Exporter};
use tracekit_bench::{CountingExporter, CountingReporter, HeldExporter};
use tracekit_tests::receiver::Receiver;
use tracing_subscriber::layer::SubscriberExt;

/// Iterations between two untimed drains of the exporters; the batch queues
/// are larger, so no span is ever dropped.
const CHUNK: u64 = 20_000;
const QUEUE: usize = 1 << 16;

/// Mean ns per call of each case, in the order measured.
static RESULTS: Mutex<Vec<(&'static str, f64, u64)>> = Mutex::new(Vec::new());

/// How many turns each side of a pair gets (see [`paired`]).
const TURNS: usize = 151;

/// One pair measured in alternation.
struct Pair {
    base: &'static str,
    subject: &'static str,
    /// Medians over the turns: ns per call of each side, and of the
    /// per-turn ratio and difference.
    base_ns: f64,
    subject_ns: f64,
    ratio: f64,
    difference_ns: f64,
    /// The middle half of the per-turn ratios.
    ratio_quartiles: (f64, f64),
}

static PAIRS: Mutex<Vec<Pair>> = Mutex::new(Vec::new());

fn median_and_quartiles(mut values: Vec<f64>) -> (f64, (f64, f64)) {
    values.sort_by(f64::total_cmp);
    let at = |share: f64| values[((values.len() - 1) as f64 * share).round() as usize];
    (at(0.5), (at(0.25), at(0.75)))
}

/// Measures two cases in alternating turns of `turn` calls each, the order
/// swapped every turn, with `drain` (untimed) after each turn, and records
/// the medians. The criterion table measures each case in its own stretch
/// of time, so a slow spell of this shared machine (they last seconds) can
/// move one case and not the other; within a turn pair both sides see the
/// same machine. Used for the targets that sit near their limit.
fn paired(
    (base_name, base_call): (&'static str, &mut impl FnMut(u64)),
    (subject_name, subject_call): (&'static str, &mut impl FnMut(u64)),
    turn: u64,
    drain: &mut impl FnMut(),
) {
    // Each side's loop is its own, as in the criterion cases: the calls are
    // direct, not through a function pointer.
    fn timed(call: &mut impl FnMut(u64), turn: u64, drain: &mut impl FnMut()) -> f64 {
        let started = Instant::now();
        for i in 0..turn {
            call(i);
        }
        let ns = started.elapsed().as_nanos() as f64 / turn as f64;
        drain();
        ns
    }
    // Warm both up.
    for _ in 0..3 {
        timed(base_call, turn, drain);
        timed(subject_call, turn, drain);
    }
    let (mut base_ns, mut subject_ns) = (Vec::new(), Vec::new());
    for index in 0..TURNS {
        let (b, s) = if index % 2 == 0 {
            let b = timed(base_call, turn, drain);
            (b, timed(subject_call, turn, drain))
        } else {
            let s = timed(subject_call, turn, drain);
            (timed(base_call, turn, drain), s)
        };
        base_ns.push(b);
        subject_ns.push(s);
    }
    let ratios = base_ns.iter().zip(&subject_ns).map(|(b, s)| s / b).collect();
    let differences = base_ns.iter().zip(&subject_ns).map(|(b, s)| s - b).collect();
    let (ratio, ratio_quartiles) = median_and_quartiles(ratios);
    PAIRS.lock().unwrap().push(Pair {
        base: base_name,
        subject: subject_name,
        base_ns: median_and_quartiles(base_ns).0,
        subject_ns: median_and_quartiles(subject_ns).0,
        ratio,
        difference_ns: median_and_quartiles(differences).0,
        ratio_quartiles,
    });
}

/// [`paired`] for a recording peer against tracekit's recorded span, both
/// drained between turns. `peer_exported` drains the peer and returns how
/// many of its spans were exported so far: every span the peer makes in the
/// pair is checked exported (tracekit's are checked by the caller).
fn paired_with_peer(
    (peer_name, peer_call, peer_exported): (&'static str, &mut impl FnMut(u64), &dyn Fn() -> u64),
    tracekit: (&'static str, &mut impl FnMut(u64)),
    tracekit_flushed: &dyn Fn() -> u64,
) {
    let before = peer_exported();
    let calls = Cell::new(0u64);
    let mut counted = |i| {
        peer_call(i);
        calls.set(calls.get() + 1);
    };
    paired((peer_name, &mut counted), tracekit, CHUNK, &mut || {
        tracekit_flushed();
        peer_exported();
    });
    check_exported(peer_name, peer_exported() - before, calls.get());
}

/// Checks that a case exported every span it made. tracekit's (every case
/// whose name says tracekit) must: a span lost there is a fault. A peer
/// that exports another number (fastrace's collector lost some once, in a
/// run of its `async` case) has it printed after its case, and the run
/// goes on.
fn check_exported(name: &str, exported: u64, expected: u64) {
    if name.contains("tracekit") {
        assert_eq!(exported, expected, "{name}: every span made must be exported");
    } else if exported != expected {
        println!("{name}: {exported} of the {expected} spans made were exported");
    }
}

/// The calls of a case that makes no span.
fn no_drain() {}

/// Measures `call` in chunks; `drain` runs between chunks, untimed, and
/// returns how many spans were exported in all so far.
fn measure(
    c: &mut Criterion,
    name: &'static str,
    mut call: impl FnMut(u64),
    mut drain: impl FnMut() -> u64,
    spans_per_call: u64,
) -> u64 {
    let mut total = (Duration::ZERO, 0u64);
    let exported_before = drain();
    c.bench_function(name, |b| {
        b.iter_custom(|iters| {
            let mut elapsed = Duration::ZERO;
            let mut left = iters;
            while left > 0 {
                let chunk = left.min(CHUNK);
                let started = Instant::now();
                for i in 0..chunk {
                    call(i);
                }
                elapsed += started.elapsed();
                drain();
                left -= chunk;
            }
            total.0 += elapsed;
            total.1 += iters;
            elapsed
        })
    });
    let exported = drain() - exported_before;
    check_exported(name, exported, total.1 * spans_per_call);
    let mean = total.0.as_nanos() as f64 / total.1 as f64;
    RESULTS.lock().unwrap().push((name, mean, exported));
    total.1
}

fn batch_provider(sampler: Sampler, counter: &CountingExporter) -> SdkTracerProvider {
    tracekit_bench::batch_provider(sampler, counter, QUEUE)
}

/// Drains a batch provider and returns the spans counted so far.
fn flushed(provider: &SdkTracerProvider, counter: &CountingExporter) -> u64 {
    provider.force_flush().expect("flush");
    counter.count()
}

fn no_spans() -> u64 {
    0
}

/// `#[tracing::instrument]` spans through the `tracing-opentelemetry` layer
/// into a batch provider that counts them, while the guard lives.
fn tracing_opentelemetry_over(counter: &CountingExporter) -> (SdkTracerProvider, tracing::subscriber::DefaultGuard) {
    let provider = batch_provider(Sampler::AlwaysOn, counter);
    let layer = tracing_opentelemetry::layer().with_tracer(provider.tracer("bench"));
    let subscriber = tracing::subscriber::set_default(tracing_subscriber::registry().with(layer));
    (provider, subscriber)
}

/// A remote caller's span, not sampled.
fn unsampled_remote() -> SpanContext {
    SpanContext::new(
        TraceId::from(0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736_u128),
        SpanId::from(0x00f0_67aa_0ba9_02b7_u64),
        TraceFlags::default(), // not sampled
        true,
        TraceState::default(),
    )
}

/// fastrace's annotated calls under one root span per 1,000 calls, as a
/// request would be, reported to a reporter that counts spans.
struct FastraceRequests {
    reporter: CountingReporter,
    root: RefCell<Option<(fastrace::Span, fastrace::local::LocalParentGuard)>>,
    roots: Cell<u64>,
}

impl FastraceRequests {
    fn new() -> Self {
        let reporter = CountingReporter::default();
        fastrace::set_reporter(reporter.clone(), fastrace::collector::Config::default());
        FastraceRequests { reporter, root: RefCell::new(None), roots: Cell::new(0) }
    }

    fn call(&self, i: u64) {
        self.call_of(with_fastrace, i);
    }

    /// [`FastraceRequests::call`], of `function`.
    fn call_of(&self, function: fn(u64) -> u64, i: u64) {
        // fastrace keeps at most a few thousand spans under one root; a
        // request-sized root keeps every span.
        if i.is_multiple_of(1000) {
            self.end_root();
        }
        if self.root.borrow().is_none() {
            let span = fastrace::Span::root("root", fastrace::prelude::SpanContext::random());
            let guard = span.set_local_parent();
            *self.root.borrow_mut() = Some((span, guard));
            self.roots.set(self.roots.get() + 1);
        }
        black_box(function(i));
    }

    fn end_root(&self) {
        // Dropping the guard before the root span sends the spans on.
        if let Some((span, guard)) = self.root.borrow_mut().take() {
            drop(guard);
            drop(span);
        }
    }

    /// Sends every span on and returns how many of the annotated calls'
    /// spans were reported so far (the roots not counted).
    fn drain(&self) -> u64 {
        self.end_root();
        fastrace::flush();
        self.reporter.0.load(std::sync::atomic::Ordering::Relaxed) - self.roots.get()
    }
}

/// tracekit's annotated calls under one root span per 1,000 calls, as
/// fastrace's case runs; the roots are not counted.
#[derive(Default)]
struct TracekitRequests {
    root: RefCell<Option<tracekit::EnteredSpan>>,
    roots: Cell<u64>,
    /// The roots' parent, if not the current context: a remote caller's.
    parent: Option<Context>,
}

impl TracekitRequests {
    /// Requests continuing a remote caller's trace, sent on unsampled.
    fn under_unsampled_caller() -> Self {
        TracekitRequests {
            parent: Some(Context::new().with_remote_span_context(unsampled_remote())),
            ..Self::default()
        }
    }

    fn call(&self, i: u64) {
        self.call_of(with_tracekit, i);
    }

    /// [`TracekitRequests::call`], of `function`.
    fn call_of(&self, function: fn(u64) -> u64, i: u64) {
        if i.is_multiple_of(1000) {
            self.root.borrow_mut().take();
        }
        if self.root.borrow().is_none() {
            let root = match &self.parent {
                Some(parent) => tracekit::span("root").parent(parent.clone()),
                None => tracekit::span("root"),
            };
            *self.root.borrow_mut() = Some(root.entered());
            self.roots.set(self.roots.get() + 1);
        }
        black_box(function(i));
    }

    /// Ends the open root; how many roots were made so far.
    fn drain(&self) -> u64 {
        self.root.borrow_mut().take();
        self.roots.get()
    }
}

fn overhead(c: &mut Criterion) {
    measure(
        c,
        "plain call",
        |i| {
            black_box(plain(i));
        },
        no_spans,
        0,
    );
    measure(
        c,
        "tracekit not installed",
        |i| {
            black_box(with_tracekit(i));
        },
        no_spans,
        0,
    );
    let mut plain_call = |i| {
        black_box(plain(i));
    };
    let mut tracekit_call = |i| {
        black_box(with_tracekit(i));
    };
    let mut tracing_call = |i| {
        black_box(with_tracing(i));
    };
    const CHEAP_TURN: u64 = 1_000_000;
    paired(("plain call", &mut plain_call), ("tracekit not installed", &mut tracekit_call), CHEAP_TURN, &mut no_drain);
    paired(("plain call", &mut plain_call), ("tracing, no subscriber", &mut tracing_call), CHEAP_TURN, &mut no_drain);
    {
        let _guard = Config::new().exporters(&[Exporter::None]).install().unwrap();
        measure(
            c,
            "tracekit exporter none",
            |i| {
                black_box(with_tracekit(i));
            },
            no_spans,
            0,
        );
        paired(
            ("plain call", &mut plain_call),
            ("tracekit exporter none", &mut tracekit_call),
            CHEAP_TURN,
            &mut no_drain,
        );
    }
    measure(
        c,
        "tracing, no subscriber",
        |i| {
            black_box(with_tracing(i));
        },
        no_spans,
        0,
    );
    measure(
        c,
        "fastrace, no reporter",
        |i| {
            black_box(with_fastrace(i));
        },
        no_spans,
        0,
    );

    // Not sampled, as configured through tracekit (OTEL_TRACES_SAMPLER).
    let recorded_nothing = || tracekit::testing::take_recorded().len() as u64;
    {
        let config = Config::new().exporters(&[Exporter::InMemory]).sampler(tracekit::Sampler::AlwaysOff);
        let _guard = config.install().unwrap();
        // Each call is a root: it makes a span of its own, not recorded,
        // to send on (W3C Trace Context).
        measure(
            c,
            "tracekit always_off",
            |i| {
                black_box(with_tracekit(i));
            },
            recorded_nothing,
            0,
        );
        // The calls inside a request: under this process's unsampled span.
        let _local_root = tracekit::span("request").entered();
        measure(
            c,
            "tracekit always_off, inside a local root",
            |i| {
                black_box(with_tracekit(i));
            },
            recorded_nothing,
            0,
        );
    }
    {
        let _guard = Config::new().exporters(&[Exporter::InMemory]).install().unwrap();
        let _attached = Context::new().with_remote_span_context(unsampled_remote()).attach();
        measure(
            c,
            "tracekit unsampled parent",
            |i| {
                black_box(with_tracekit(i));
            },
            recorded_nothing,
            0,
        );
        let _local_root = tracekit::span("request").entered();
        measure(
            c,
            "tracekit unsampled parent, inside a local root",
            |i| {
                black_box(with_tracekit(i));
            },
            recorded_nothing,
            0,
        );
    }
    {
        let counter = CountingExporter::default();
        let provider = batch_provider(Sampler::AlwaysOff, &counter);
        let tracer = provider.tracer("bench");
        measure(
            c,
            "SDK in_span always_off",
            |i| {
                black_box(tracer.in_span("plain", |_| plain(i)));
            },
            || flushed(&provider, &counter),
            0,
        );
    }

    // The floor of any span that OpenTelemetry code can see: a context
    // holding a span (here the API's no-op span), made current and dropped.
    // `Context::current()` readers (propagation, log correlation,
    // tracing-opentelemetry) need every recorded span kept this way.
    measure(
        c,
        "OTel context: span made current",
        |i| {
            let _attached = Context::current_with_span(opentelemetry::trace::noop::NoopSpan::DEFAULT).attach();
            black_box(plain(i));
        },
        no_spans,
        0,
    );

    // Recorded and exported.
    let fastrace_requests = FastraceRequests::new();
    {
        let _guard = Config::new().exporters(&[Exporter::InMemory]).install().unwrap();
        let mut taken = 0;
        measure(
            c,
            "tracekit in-memory",
            |i| {
                black_box(with_tracekit(i));
            },
            || {
                taken += tracekit::testing::take_recorded().len() as u64;
                taken
            },
            1,
        );
    }
    {
        // The same counting exporter as the SDK's case, behind tracekit's
        // own pipeline and batch processor.
        let counter = CountingExporter::default();
        let _guard = Config::new()
            .span_exporter(counter.clone())
            .batch(|batch| {
                batch.schedule_delay(Duration::from_millis(50)).max_queue_size(QUEUE).max_export_batch_size(512)
            })
            .install()
            .unwrap();
        let tracekit_flushed = || {
            assert!(tracekit::flush(), "flushed in time");
            counter.count()
        };
        measure(
            c,
            "tracekit batch",
            |i| {
                black_box(with_tracekit(i));
            },
            tracekit_flushed,
            1,
        );
        measure(
            c,
            "tracekit batch, 3 args",
            |i| {
                black_box(with_tracekit_args(i, 7, true));
            },
            tracekit_flushed,
            1,
        );
        // An `async` call polled once, each call a root.
        measure(
            c,
            "tracekit async, each call a root",
            |i| {
                black_box(with_tracekit_async_polled(i));
            },
            tracekit_flushed,
            1,
        );

        // The same span side by side with each recording peer, and with its
        // three arguments, in alternation; every span is still checked exported.
        let tracekit_before = tracekit_flushed();
        let tracekit_calls = Cell::new(0u64);
        let mut recorded = |i| {
            black_box(with_tracekit(i));
            tracekit_calls.set(tracekit_calls.get() + 1);
        };
        let mut with_args = |i| {
            black_box(with_tracekit_args(i, 7, true));
            tracekit_calls.set(tracekit_calls.get() + 1);
        };
        let sdk_counter = CountingExporter::default();
        let provider = batch_provider(Sampler::AlwaysOn, &sdk_counter);
        let tracer = provider.tracer("bench");
        paired_with_peer(
            (
                "SDK in_span batch",
                &mut |i| {
                    black_box(tracer.in_span("plain", |_| plain(i)));
                },
                &|| flushed(&provider, &sdk_counter),
            ),
            ("tracekit batch", &mut recorded),
            &tracekit_flushed,
        );
        paired(("tracekit batch", &mut recorded), ("tracekit batch, 3 args", &mut with_args), CHUNK, &mut || {
            tracekit_flushed();
        });
        {
            let layer_counter = CountingExporter::default();
            let (layer_provider, _subscriber) = tracing_opentelemetry_over(&layer_counter);
            paired_with_peer(
                (
                    "tracing + tracing-opentelemetry",
                    &mut |i| {
                        black_box(with_tracing(i));
                    },
                    &|| flushed(&layer_provider, &layer_counter),
                ),
                ("tracekit batch", &mut recorded),
                &tracekit_flushed,
            );
        }
        paired_with_peer(
            ("fastrace, reporting", &mut |i| fastrace_requests.call(i), &|| fastrace_requests.drain()),
            ("tracekit batch", &mut recorded),
            &tracekit_flushed,
        );
        assert_eq!(tracekit_flushed() - tracekit_before, tracekit_calls.get(), "every tracekit span exported");

        // As fastrace's case runs: under a root span per 1,000 calls.
        let requests = TracekitRequests::default();
        let requests_exported = || {
            let roots = requests.drain();
            tracekit_flushed() - roots
        };
        measure(c, "tracekit batch, inside a local root", |i| requests.call(i), requests_exported, 1);
        paired_with_peer(
            ("fastrace, reporting", &mut |i| fastrace_requests.call(i), &|| fastrace_requests.drain()),
            ("tracekit batch, inside a local root", &mut |i| requests.call(i)),
            &requests_exported,
        );
        // An `async` call that does not wait, polled once, the same way.
        measure(
            c,
            "tracekit async, inside a local root",
            |i| requests.call_of(with_tracekit_async_polled, i),
            requests_exported,
            1,
        );
        // `#[trace_performance]` under its threshold, the same way.
        measure(
            c,
            "tracekit trace_performance, inside a local root",
            |i| requests.call_of(with_tracekit_threshold, i),
            requests_exported,
            1,
        );

        // `#[tracing::instrument]` spans recorded by tracekit's own layer,
        // against the same spans through `tracing-opentelemetry`.
        {
            let _subscriber =
                tracing::subscriber::set_default(tracing_subscriber::registry().with(tracekit::subscriber::layer()));
            measure(
                c,
                "tracing through tracekit's layer",
                |i| {
                    black_box(with_tracing(i));
                },
                tracekit_flushed,
                1,
            );
        }
        {
            let layer_counter = CountingExporter::default();
            let (layer_provider, _subscriber) = tracing_opentelemetry_over(&layer_counter);
            let dispatch_otel = tracing::dispatcher::get_default(Clone::clone);
            let dispatch_tracekit =
                tracing::Dispatch::new(tracing_subscriber::registry().with(tracekit::subscriber::layer()));
            let before = tracekit_flushed();
            let through_tracekit = Cell::new(0u64);
            paired_with_peer(
                (
                    "tracing + tracing-opentelemetry",
                    &mut |i| {
                        tracing::dispatcher::with_default(&dispatch_otel, || black_box(with_tracing(i)));
                    },
                    &|| flushed(&layer_provider, &layer_counter),
                ),
                ("tracing through tracekit's layer", &mut |i| {
                    tracing::dispatcher::with_default(&dispatch_tracekit, || black_box(with_tracing(i)));
                    through_tracekit.set(through_tracekit.get() + 1);
                }),
                &tracekit_flushed,
            );
            assert_eq!(tracekit_flushed() - before, through_tracekit.get(), "every span of the layer exported");
        }
    }
    // The keep policy on: the same requests recorded (sampled) and held for
    // the policy's decision (under an unsampled caller, each forgotten when
    // its root ends), in alternation, in one installation.
    {
        let counter = CountingExporter::default();
        let _guard = Config::new()
            .span_exporter(counter.clone())
            .batch(|batch| {
                batch.schedule_delay(Duration::from_millis(50)).max_queue_size(QUEUE).max_export_batch_size(512)
            })
            .keep(tracekit::KeepPolicy::new().errors().max_spans_per_trace(2_000))
            .install()
            .unwrap();
        let tracekit_flushed = || {
            assert!(tracekit::flush(), "flushed in time");
            counter.count()
        };
        let (recorded, held) = (TracekitRequests::default(), TracekitRequests::under_unsampled_caller());
        let before = tracekit::keep_stats();
        let recorded_exported = || {
            let roots = recorded.drain();
            tracekit_flushed() - roots
        };
        let held_exported = || {
            held.drain();
            tracekit_flushed()
        };
        measure(c, "tracekit held for the keep policy, inside a local root", |i| held.call(i), held_exported, 0);
        let exported_before = recorded_exported();
        paired(
            ("tracekit batch, inside a local root", &mut |i| recorded.call(i)),
            ("tracekit held for the keep policy, inside a local root", &mut |i| held.call(i)),
            CHUNK,
            &mut || {
                recorded_exported();
                held.drain();
            },
        );
        assert!(recorded_exported() > exported_before, "the recorded side exported");
        held.drain();
        let after = tracekit::keep_stats();
        assert_eq!(after.kept, before.kept, "nothing failed: nothing kept");
        assert_eq!(after.spans_dropped, before.spans_dropped, "nothing held was dropped");
    }
    // Each call a local root held for the policy (head sampling drops
    // every trace), to set beside *tracekit batch* (each call a recorded root).
    {
        let counter = CountingExporter::default();
        let _guard = Config::new()
            .span_exporter(counter.clone())
            .sampler(tracekit::Sampler::AlwaysOff)
            .keep(tracekit::KeepPolicy::new().errors())
            .install()
            .unwrap();
        let before = tracekit::keep_stats();
        measure(
            c,
            "tracekit held for the keep policy, each call a local root",
            |i| {
                black_box(with_tracekit(i));
            },
            || {
                assert!(tracekit::flush(), "flushed in time");
                counter.count()
            },
            0,
        );
        let after = tracekit::keep_stats();
        assert!(after.discarded > before.discarded && after.kept == before.kept, "each root judged, none kept");
    }
    // A ratio sampler that keeps every trace (`parentbased_traceidratio`
    // at 1.0), to set beside *tracekit batch, inside a local root*: the
    // calls under a sampled span start on its lane whatever the sampler.
    {
        let counter = CountingExporter::default();
        let _guard = Config::new()
            .span_exporter(counter.clone())
            .batch(|batch| {
                batch.schedule_delay(Duration::from_millis(50)).max_queue_size(QUEUE).max_export_batch_size(512)
            })
            .sampler(tracekit::Sampler::ParentBasedTraceIdRatio(1.0))
            .install()
            .unwrap();
        let requests = TracekitRequests::default();
        let requests_exported = || {
            let roots = requests.drain();
            assert!(tracekit::flush(), "flushed in time");
            counter.count() - roots
        };
        measure(
            c,
            "tracekit parentbased_traceidratio, inside a local root",
            |i| requests.call(i),
            requests_exported,
            1,
        );
        // Each call a root, to set beside *tracekit batch*: a root is
        // decided by the trace id drawn for it, on the lane for roots.
        measure(
            c,
            "tracekit parentbased_traceidratio, each call a root",
            |i| {
                black_box(with_tracekit(i));
            },
            || {
                assert!(tracekit::flush(), "flushed in time");
                counter.count()
            },
            1,
        );
    }
    // tracekit's own OTLP path (its batch processor, gRPC) to a live
    // collector on loopback, and to one that is down: a call costs the same.
    {
        let receiver = Receiver::start_counting();
        let guard = Config::new()
            .otlp(|otlp| otlp.endpoint(receiver.grpc_endpoint.clone()))
            .batch(|batch| {
                batch.schedule_delay(Duration::from_millis(50)).max_queue_size(QUEUE).max_export_batch_size(512)
            })
            .install()
            .unwrap();
        let before = tracekit::export_stats();
        let made = Cell::new(0u64);
        measure(
            c,
            "tracekit OTLP, collector up",
            |i| {
                black_box(with_tracekit(i));
                made.set(made.get() + 1);
            },
            || {
                // Exports what is queued and waits until the collector has it.
                tracekit::flush();
                while tracekit::export_stats().exported - before.exported < made.get() {
                    std::thread::sleep(Duration::from_micros(200));
                }
                receiver.span_count()
            },
            1,
        );
        drop(guard);
        assert_eq!(tracekit::export_stats().lost(), before.lost(), "nothing lost with the collector up");
    }
    {
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
        let guard = Config::new()
            .otlp(|otlp| otlp.endpoint(format!("http://{closed}")).timeout(Duration::from_millis(100)))
            .install()
            .unwrap();
        let before = tracekit::export_stats();
        // Spans are lost, not exported: the check is that each is counted.
        let calls = measure(
            c,
            "tracekit OTLP, collector down",
            |i| {
                black_box(with_tracekit(i));
            },
            no_spans,
            0,
        );
        drop(guard);
        let deadline = Instant::now() + Duration::from_secs(30);
        while tracekit::export_stats().lost() - before.lost() < calls && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(tracekit::export_stats().lost() - before.lost(), calls, "every span is counted as lost");
    }
    {
        let counter = CountingExporter::default();
        let provider = batch_provider(Sampler::AlwaysOn, &counter);
        let tracer = provider.tracer("bench");
        measure(
            c,
            "SDK in_span batch",
            |i| {
                black_box(tracer.in_span("plain", |_| plain(i)));
            },
            || flushed(&provider, &counter),
            1,
        );
    }
    {
        let counter = CountingExporter::default();
        let (provider, _subscriber) = tracing_opentelemetry_over(&counter);
        measure(
            c,
            "tracing + tracing-opentelemetry",
            |i| {
                black_box(with_tracing(i));
            },
            || flushed(&provider, &counter),
            1,
        );
    }
    measure(c, "fastrace, reporting", |i| fastrace_requests.call(i), || fastrace_requests.drain(), 1);
    measure(
        c,
        "fastrace async, reporting",
        |i| fastrace_requests.call_of(with_fastrace_async_polled, i),
        || fastrace_requests.drain(),
        1,
    );
}

/// The table: each case with its cost, as a ratio to the plain call and to
/// each peer.
fn report() {
    let results = RESULTS.lock().unwrap();
    let by_name: BTreeMap<&str, f64> = results.iter().map(|(name, ns, _)| (*name, *ns)).collect();
    let peers = [
        ("plain", "plain call"),
        ("tracing off", "tracing, no subscriber"),
        ("fastrace off", "fastrace, no reporter"),
        ("SDK off", "SDK in_span always_off"),
        ("SDK batch", "SDK in_span batch"),
        ("fastrace on", "fastrace, reporting"),
        ("tracing-otel", "tracing + tracing-opentelemetry"),
    ];
    print!("\n| case | ns/call | spans exported |");
    for (short, _) in &peers {
        print!(" × {short} |");
    }
    print!("\n|---|---:|---:|");
    for _ in &peers {
        print!("---:|");
    }
    println!();
    for (name, ns, exported) in results.iter() {
        print!("| {name} | {ns:.1} | {exported} |");
        for (_, peer) in &peers {
            print!(" {:.2} |", ns / by_name[peer]);
        }
        println!();
    }
    let pairs = PAIRS.lock().unwrap();
    println!("\nIn alternation (median over {TURNS} turns each; ratio's middle half in brackets):\n");
    println!("| pair | ns/call (first) | ns/call (second) | ratio | difference |");
    println!("|---|---:|---:|---:|---:|");
    for pair in pairs.iter() {
        let (q1, q3) = pair.ratio_quartiles;
        println!(
            "| {} against {} | {:.1} | {:.1} | {:.2} ({q1:.2}–{q3:.2}) | {:+.2} ns |",
            pair.subject, pair.base, pair.subject_ns, pair.base_ns, pair.ratio, pair.difference_ns
        );
    }
    let pair = |subject: &str, base: &str| {
        pairs.iter().find(|pair| pair.subject == subject && pair.base == base).expect("measured pair")
    };

    let ns = |name: &str| by_name[name];
    println!("\nTargets (near-limit ones from the pairs measured in alternation):");
    let check = |label: &str, met: bool, detail: String| {
        println!("- {label}: {} ({detail})", if met { "met" } else { "NOT met" });
    };
    let (not_installed, none) =
        (pair("tracekit not installed", "plain call"), pair("tracekit exporter none", "plain call"));
    let off = not_installed.difference_ns.max(none.difference_ns);
    let tracing_off = pair("tracing, no subscriber", "plain call");
    // Both are one load and one branch: a hundredth of a nanosecond between
    // their medians is below what the turns resolve, so tracekit is no
    // slower while `tracing`'s median ratio lies within the middle half of
    // tracekit's.
    let level = [not_installed, none].iter().all(|pair| pair.ratio_quartiles.0 <= tracing_off.ratio);
    check(
        "not installed / none within 1 ns of a plain call, the cheapest of the peers (level with tracing with no subscriber: its median ratio within the middle half of tracekit's)",
        off <= 1.0 && (off <= tracing_off.difference_ns || level),
        format!(
            "{off:+.2} ns, ratio {:.2} ({:.2}–{:.2}) and {:.2} ({:.2}–{:.2}); tracing with no subscriber {:+.2} ns, ratio {:.2}",
            not_installed.ratio,
            not_installed.ratio_quartiles.0,
            not_installed.ratio_quartiles.1,
            none.ratio,
            none.ratio_quartiles.0,
            none.ratio_quartiles.1,
            tracing_off.difference_ns,
            tracing_off.ratio
        ),
    );
    let inside =
        ns("tracekit always_off, inside a local root").max(ns("tracekit unsampled parent, inside a local root"));
    let unsampled = inside / ns("SDK in_span always_off");
    check(
        "not sampled, inside a local root: at most 1/4 of the SDK's unsampled span",
        unsampled <= 0.25,
        format!("{unsampled:.2}×"),
    );
    let roots = ns("tracekit always_off").max(ns("tracekit unsampled parent")) / ns("SDK in_span always_off");
    check(
        "not sampled, a local root (a span of its own to send on): at most 1/2 of the SDK's unsampled span",
        roots <= 0.5,
        format!("{roots:.2}×"),
    );
    let vs_sdk = pair("tracekit batch", "SDK in_span batch").ratio;
    check("recorded: at most 1/2 of the SDK's span", vs_sdk <= 0.5, format!("{vs_sdk:.2}×"));
    let vs_tracing = 1.0 / pair("tracekit batch", "tracing + tracing-opentelemetry").ratio;
    check("recorded: at least 10× faster than tracing-opentelemetry", vs_tracing >= 10.0, format!("{vs_tracing:.1}×"));
    let vs_fastrace = pair("tracekit batch", "fastrace, reporting").ratio;
    check("recorded: within 2× of fastrace", vs_fastrace <= 2.0, format!("{vs_fastrace:.2}×"));
    let in_root = pair("tracekit batch, inside a local root", "fastrace, reporting").ratio;
    check(
        "recorded inside a local root, as fastrace's case runs: within 2× of fastrace",
        in_root <= 2.0,
        format!("{in_root:.2}×"),
    );
    let layer = pair("tracing through tracekit's layer", "tracing + tracing-opentelemetry").ratio;
    check(
        "a #[tracing::instrument] span through tracekit's layer: at most 1/3 of tracing-opentelemetry's",
        layer <= 1.0 / 3.0,
        format!("{layer:.2}×"),
    );
    let down = ns("tracekit OTLP, collector down") / ns("tracekit OTLP, collector up");
    check(
        "collector down: a call costs no more than with the collector up",
        down <= 1.1,
        format!("{down:.2}× the cost with the collector up"),
    );
    let held = pair("tracekit held for the keep policy, inside a local root", "tracekit batch, inside a local root");
    let (q1, q3) = held.ratio_quartiles;
    check(
        "held for the keep policy (head-dropped, policy on): at most a recorded span's cost (median, or within the middle half)",
        held.ratio <= 1.0 || q1 <= 1.0,
        format!("{:.2}× ({q1:.2}–{q3:.2}) the recorded span", held.ratio),
    );
    let held_roots = ns("tracekit held for the keep policy, each call a local root") / ns("tracekit batch");
    check(
        "held for the keep policy, each call a local root: at most a recorded root's cost",
        held_roots <= 1.0,
        format!("{held_roots:.2}× a recorded root (not in alternation)"),
    );
    let in_root_ns = ns("tracekit batch, inside a local root");
    println!(
        "- async call polled once, inside a local root (no target): {:.2}× the synchronous call, {:.2}× fastrace's async call (not in alternation)",
        ns("tracekit async, inside a local root") / in_root_ns,
        ns("tracekit async, inside a local root") / ns("fastrace async, reporting")
    );
    println!(
        "- async call polled once, each call a root (no target): {:.2}× a synchronous root (not in alternation)",
        ns("tracekit async, each call a root") / ns("tracekit batch")
    );
    let watched = ns("tracekit trace_performance, inside a local root") / in_root_ns;
    check(
        "trace_performance under its threshold: at most 1.25× trace_operation's cost",
        watched <= 1.25,
        format!("{watched:.2}× (not in alternation)"),
    );
    let ratio_sampled =
        ns("tracekit parentbased_traceidratio, inside a local root") / ns("tracekit batch, inside a local root");
    check(
        "recorded under a ratio sampler's sampled root: the default sampler's cost, within 10%",
        ratio_sampled <= 1.1,
        format!("{ratio_sampled:.2}× (not in alternation)"),
    );
    let ratio_roots = ns("tracekit parentbased_traceidratio, each call a root") / ns("tracekit batch");
    check(
        "a root a ratio sampler keeps: at most 1.25× a root under the default sampler (the SDK's sampler asked once)",
        ratio_roots <= 1.25,
        format!("{ratio_roots:.2}× (not in alternation)"),
    );
    let args = pair("tracekit batch, 3 args", "tracekit batch").ratio - 1.0;
    check("include_args on three scalars: at most +30%", args <= 0.30, format!("{:+.0}%", args * 100.0));
}

/// Spans per second with 1, 2 and 8 threads recording at once into one
/// pipeline, every span exported (drained after each round, untimed), with
/// one export thread and with two.
fn threads() {
    const PER_THREAD: u64 = 400_000;
    println!("\nThreads recording at once (tracekit batch, {PER_THREAD} spans per thread, every span exported or counted lost):\n");
    // Calls a second count the spans dropped at full rings too, which cost
    // their threads less than those queued: the spans exported a second,
    // until the flush after the calls has ended, are beside them.
    println!("| export threads | threads | calls/s (aggregate) | × one thread | spans exported/s | × one thread, one export thread | spans lost |");
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    let (mut one, mut one_exported) = (0.0, 0.0);
    for export_threads in [1, 2] {
        let counter = CountingExporter::default();
        let _guard = Config::new()
            .span_exporter(counter.clone())
            .batch(|batch| {
                batch
                    .schedule_delay(Duration::from_millis(50))
                    .max_queue_size(QUEUE)
                    .max_export_batch_size(512)
                    .export_threads(export_threads)
            })
            .install()
            .unwrap();
        for threads in [1u64, 2, 8] {
            recording_at_once(&counter, export_threads, threads, PER_THREAD, &mut one, &mut one_exported);
        }
    }
}

/// One row of [`threads`]: `threads` threads recording `per_thread` spans
/// each; `one` and `one_exported` are set by the row of one thread and one
/// export thread.
fn recording_at_once(
    counter: &CountingExporter,
    export_threads: usize,
    threads: u64,
    per_thread: u64,
    one: &mut f64,
    one_exported: &mut f64,
) {
    let before = (counter.count(), tracekit::export_stats().dropped);
    let started = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                // In chunks, so that the rings (a queue each) never overflow.
                for chunk in 0..per_thread / CHUNK {
                    for i in 0..CHUNK {
                        black_box(with_tracekit(chunk * CHUNK + i));
                    }
                    std::thread::yield_now();
                }
            });
        }
    });
    let elapsed = started.elapsed().as_secs_f64();
    assert!(tracekit::flush());
    let flushed = started.elapsed().as_secs_f64();
    let exported = counter.count() - before.0;
    let lost = tracekit::export_stats().dropped - before.1;
    let (rate, exported_rate) = ((threads * per_thread) as f64 / elapsed, exported as f64 / flushed);
    if threads == 1 && export_threads == 1 {
        (*one, *one_exported) = (rate, exported_rate);
    }
    println!(
        "| {export_threads} | {threads} | {rate:.0} | {:.2} | {exported_rate:.0} | {:.2} | {lost} |",
        rate / *one,
        exported_rate / *one_exported
    );
    assert_eq!(exported + lost, threads * per_thread, "every span exported or counted");
}

/// What each thread of [`recording_threads`] does in a round.
#[derive(Clone, Copy, PartialEq)]
enum RoundOf {
    Tracekit,
    /// Plain calls: how this machine's cores scale with nothing shared.
    Plain,
}

/// The recording threads alone, 1, 2 and 8 at once, in turn with plain
/// calls: each round, every thread records its spans under local roots
/// while the export thread sleeps in a held export; then the export is let
/// go and the round drained, untimed, every span exported or counted lost
/// (the rings hold a round: none is). Where
/// [`threads`] shows the export thread setting the pace on two cores, this
/// shows what the threads that record do to each other, against what the
/// machine's cores give threads that share nothing. (fastrace's collector
/// cannot be held, so it is not beside them here.)
fn recording_threads() {
    let exporter = HeldExporter::default();
    let _guard = Config::new()
        .span_exporter(exporter.clone())
        .batch(|batch| {
            batch.schedule_delay(Duration::from_millis(50)).max_queue_size(1 << 18).max_export_batch_size(512)
        })
        .install()
        .unwrap();
    // Each thread's round fills less than half its ring (a queue), so that
    // nothing is dropped and no thread gives way to the held export thread,
    // and lasts 10 to 20 milliseconds: a wake-up at a barrier can take a
    // millisecond on a virtual machine's idle core.
    const PER_ROUND: u64 = 120_000;
    // A plain call costs a hundred-and-twentieth to a hundred-and-fiftieth
    // of a span: a round of them lasts about as long.
    const PLAIN_PER_ROUND: u64 = PER_ROUND * 120;
    const ROUNDS: usize = 21;
    const CASES: [RoundOf; 2] = [RoundOf::Tracekit, RoundOf::Plain];
    println!(
        "\nThreads recording at once, tracekit's export thread held (spans under a local root each 1,000, \
         {PER_ROUND} a thread a round, median of {ROUNDS} rounds, in turn with plain calls; every span \
         exported or counted lost after its round):\n"
    );
    println!("| threads | spans recorded/s (aggregate) | × one thread | plain calls, × one thread | spans lost |");
    println!("|---:|---:|---:|---:|---:|");
    let mut one = [0.0; 2];
    for threads in [1usize, 2, 8] {
        let (start, end) = (Barrier::new(threads + 1), Barrier::new(threads + 1));
        let job = Mutex::new(RoundOf::Plain);
        // When each thread began and ended its round: the round lasts from
        // the first start to the last end.
        let intervals = Mutex::new(Vec::with_capacity(threads));
        let mut rates: [Vec<f64>; 2] = Default::default();
        let mut lost = 0;
        // Checked after the threads have ended: a failed check inside the
        // scope would wait forever for threads parked at the barrier.
        let mut miscounted = Vec::new();
        std::thread::scope(|scope| {
            for _ in 0..threads {
                scope.spawn(|| {
                    let tracekit_requests = TracekitRequests::default();
                    // A first round of each, untimed, makes the thread's ring.
                    for _ in 0..(ROUNDS + 1) * CASES.len() {
                        start.wait();
                        let of = *job.lock().unwrap();
                        let began = Instant::now();
                        match of {
                            RoundOf::Tracekit => {
                                (0..PER_ROUND).for_each(|i| tracekit_requests.call(i));
                                tracekit_requests.drain();
                            }
                            RoundOf::Plain => (0..PLAIN_PER_ROUND).for_each(|i| {
                                black_box(plain(i));
                            }),
                        }
                        let ended = Instant::now();
                        intervals.lock().unwrap().push((began, ended));
                        end.wait();
                    }
                });
            }
            for round in 0..=ROUNDS {
                for (case, of) in CASES.into_iter().enumerate() {
                    *job.lock().unwrap() = of;
                    let before = (exporter.count(), tracekit::export_stats().dropped);
                    if of == RoundOf::Tracekit {
                        // A batch from this thread sends the export thread
                        // into the held export, where it sleeps through the round.
                        exporter.hold();
                        (0..512).for_each(|i| {
                            black_box(with_tracekit(i));
                        });
                        exporter.wait_until_held();
                    }
                    start.wait();
                    end.wait();
                    let elapsed = {
                        let mut intervals = intervals.lock().unwrap();
                        let first = intervals.iter().map(|&(began, _)| began).min().unwrap();
                        let last = intervals.iter().map(|&(_, ended)| ended).max().unwrap();
                        intervals.clear();
                        (last - first).as_secs_f64()
                    };
                    let per_thread = match of {
                        RoundOf::Tracekit => {
                            exporter.release();
                            assert!(tracekit::flush());
                            let exported = exporter.count() - before.0;
                            let dropped = tracekit::export_stats().dropped - before.1;
                            // The roots, one each 1,000 spans, and this thread's batch.
                            let expected = threads as u64 * (PER_ROUND + PER_ROUND / 1000) + 512;
                            if exported + dropped != expected {
                                miscounted.push((round, exported, dropped, expected));
                            }
                            if round > 0 {
                                lost += dropped;
                            }
                            PER_ROUND
                        }
                        RoundOf::Plain => PLAIN_PER_ROUND,
                    };
                    if round > 0 {
                        rates[case].push((threads as u64 * per_thread) as f64 / elapsed);
                    }
                }
            }
        });
        assert!(miscounted.is_empty(), "every span exported or counted lost: {miscounted:?}");
        let rates = rates.map(|rates| median_and_quartiles(rates).0);
        if threads == 1 {
            one = rates;
        }
        let [tracekit, plain] = rates;
        println!("| {threads} | {tracekit:.0} | {:.2} | {:.2} | {lost} |", tracekit / one[0], plain / one[1]);
    }
}

fn main() {
    let mut criterion = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    overhead(&mut criterion);
    criterion.final_summary();
    report();
    threads();
    recording_threads();
}
