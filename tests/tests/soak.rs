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

/// One soak at a time: each measures the process's memory.
static SOAKING: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn memory_stays_flat_while_hundreds_of_thousands_of_spans_are_exported() {
    let receiver = Receiver::start_counting();
    let config = Config::new().otlp(|otlp| otlp.endpoint(receiver.grpc_endpoint.clone())).batch(|batch| {
        batch
            .schedule_delay(Duration::from_millis(20))
            .max_queue_size(2 * SPANS_PER_ROUND as usize)
            .max_export_batch_size(512)
    });
    let mut request = 0;
    let round = || {
        for _ in 0..SPANS_PER_ROUND / 2 {
            handle(request, "/api/orders");
            lookup(request);
            request += 1;
        }
    };
    soak(&receiver, config, round, SPANS_PER_ROUND);
}

#[trace_operation]
fn checkout(request: u64) -> Result<u64, String> {
    let half = lookup(request);
    match request % 4 {
        0 => Err(format!("order {request} refused")),
        _ => Ok(half),
    }
}

#[test]
fn memory_stays_flat_with_the_keep_policy_holding_every_trace() {
    let receiver = Receiver::start_counting();
    // Head sampling drops every trace: each is held, and one in four is kept.
    let config = Config::new()
        .otlp(|otlp| otlp.endpoint(receiver.grpc_endpoint.clone()))
        .batch(|batch| {
            batch
                .schedule_delay(Duration::from_millis(20))
                .max_queue_size(2 * SPANS_PER_ROUND as usize)
                .max_export_batch_size(512)
        })
        .sampler(tracekit::Sampler::AlwaysOff)
        .keep(tracekit::KeepPolicy::new().errors());
    let before = tracekit::keep_stats();
    let mut request = 0;
    let round = || {
        for _ in 0..SPANS_PER_ROUND / 2 {
            let _ = checkout(request);
            request += 1;
        }
    };
    soak(&receiver, config, round, SPANS_PER_ROUND / 4);
    let kept = tracekit::keep_stats();
    let traces = ROUNDS as u64 * SPANS_PER_ROUND / 2;
    assert_eq!((kept.kept - before.kept, kept.discarded - before.discarded), (traces / 4, traces * 3 / 4));
    assert_eq!(kept.spans_dropped, before.spans_dropped);
}

/// Installs `config`, runs `round` again and again, each time waiting for
/// `exported` more spans at the receiver, and checks that memory stayed flat.
fn soak(receiver: &Receiver, config: Config, mut round: impl FnMut(), exported: u64) {
    let _one_at_a_time = SOAKING.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let guard = config.install().unwrap();
    let mut resident = Vec::new();
    for round_number in 1..=ROUNDS {
        round();
        let expected = round_number as u64 * exported;
        let deadline = Instant::now() + Duration::from_secs(60);
        while receiver.span_count() < expected {
            let arrived = receiver.span_count();
            assert!(Instant::now() < deadline, "round {round_number}: {arrived} of {expected} spans arrived");
            std::thread::sleep(Duration::from_millis(5));
        }
        resident.push(resident_bytes());
    }
    drop(guard);

    let stats = tracekit::export_stats();
    assert_eq!(stats.lost(), 0, "{stats:?}");
    assert_eq!(receiver.span_count(), ROUNDS as u64 * exported);
    // Keeping each span would cost hundreds of bytes apiece: over 200,000
    // spans, tens of megabytes. Allow 8 MiB of allocator noise.
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
