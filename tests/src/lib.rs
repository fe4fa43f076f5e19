//! Integration tests live in `tests/`. This library holds what they share
//! with the benchmarks: an OTLP receiver on loopback that tests can fault,
//! and a certificate authority for its TLS.

pub mod receiver;
pub mod tls;
