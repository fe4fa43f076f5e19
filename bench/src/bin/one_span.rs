//! Records spans the way the overhead benchmark's threads do, so that a
//! debugger can step through one of them, instruction by instruction:
//! `bench/profile/locked_instructions.py` does, and lists the instructions
//! of one span that lock a cache line (an atomic read-modify-write).
//!
//! ```text
//! cargo build --release -p tracekit-bench --bin one_span
//! gdb -q -batch -x bench/profile/locked_instructions.py --args target/release/one_span [root]
//! ```
//!
//! It records, under a root made every 1,000 calls, calls of
//! [`traced_call`], the function the script steps through once the
//! thread's pools and rings are warm; with an argument `root`, each call
//! is a root. It reads the environment's settings, so that
//! `TRACING_EXPORT_THREADS` sets the pool of export threads stepped through.

use std::hint::black_box;
use tracekit::Config;
use tracekit_bench::CountingExporter;

/// The call stepped through.
#[inline(never)]
#[tracekit::trace_operation]
pub fn traced_call(x: u64) -> u64 {
    black_box(x).wrapping_add(1)
}

fn main() {
    let roots = std::env::args().nth(1).is_some_and(|shape| shape == "root");
    let counter = CountingExporter::default();
    let _guard = Config::from_env()
        .expect("a valid environment")
        .span_exporter(counter.clone())
        .batch(|batch| batch.max_queue_size(1 << 16))
        .install()
        .expect("installed");
    for request in 0..200u64 {
        {
            let _root = (!roots).then(|| tracekit::span("request").entered());
            for i in 0..1_000 {
                black_box(traced_call(request * 1_000 + i));
            }
        }
        // Drained before its ring fills: every span takes the path of one
        // queued, none of one dropped.
        if request % 20 == 19 {
            assert!(tracekit::flush(), "flushed");
        }
    }
    println!("{} spans exported", counter.count());
}
