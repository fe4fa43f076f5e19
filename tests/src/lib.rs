//! Integration tests live in `tests/`. This library holds what they share
//! with the benchmarks: an OTLP receiver on loopback.

pub mod receiver;
