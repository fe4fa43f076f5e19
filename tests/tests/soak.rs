//! A long run, bounded in spans and time so that it runs with every test:
//! memory does not grow with the number of spans exported.
#![cfg(target_os = "linux")]

mod common;

use common::receiver::Receiver;
use std::time::{Duration, Instant};
use tracekit::{trace_operation, Config};

const ROUNDS: usize = 12;
const SPANS_PER_ROUND: u64 = 20_000;
/// Rounds run before memory is first measured: allocator pools, the
/// connection and the queue have reached their size by then.
const WARM_UP: usize = 2;

#[trace_operation(include_args)]
fn handle(request: u64, route: &str) -> usize {
    route.len() + request as usize % 3
}

#[trace_operation]
fn lookup(request: u64) -> u64 {
    request / 2
}

/// The process's resident memory, from `/proc/self/statm` (in pages).
fn resident_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    let pages: u64 = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * 4096
}

#[test]
fn memory_stays_flat_while_hundreds_of_thousands_of_spans_are_exported() {
    let receiver = Receiver::start_counting();
    let guard = Config::new()
        .otlp_endpoint(receiver.grpc_endpoint.clone())
        .batch(Duration::from_millis(20), 2 * SPANS_PER_ROUND as usize, 512)
        .install()
        .unwrap();
    let mut resident = Vec::new();
    let mut request = 0;
    for round in 1..=ROUNDS {
        for _ in 0..SPANS_PER_ROUND / 2 {
            handle(request, "/api/orders");
            lookup(request);
            request += 1;
        }
        let expected = round as u64 * SPANS_PER_ROUND;
        let deadline = Instant::now() + Duration::from_secs(60);
        while receiver.span_count() < expected {
            assert!(Instant::now() < deadline, "round {round}: {} of {expected} spans arrived", receiver.span_count());
            std::thread::sleep(Duration::from_millis(5));
        }
        resident.push(resident_bytes());
    }
    drop(guard);

    let stats = tracekit::export_stats();
    assert_eq!(stats.lost(), 0, "{stats:?}");
    assert_eq!(receiver.span_count(), ROUNDS as u64 * SPANS_PER_ROUND);
    // Keeping each exported span would cost hundreds of bytes apiece: over
    // 200,000 spans, tens of megabytes. Allow 8 MiB of allocator noise.
    let growth = resident[ROUNDS - 1].saturating_sub(resident[WARM_UP - 1]);
    let spans_since = (ROUNDS - WARM_UP) as u64 * SPANS_PER_ROUND;
    println!("resident memory per round (MiB): {:?}", resident.iter().map(|bytes| bytes >> 20).collect::<Vec<_>>());
    assert!(
        growth < 8 << 20,
        "memory grew by {} KiB over {spans_since} spans ({} bytes a span): {resident:?}",
        growth >> 10,
        growth / spans_since
    );
}
