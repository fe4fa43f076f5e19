//! The reference that belongs to no single item: how to configure
//! tracekit, what it promises, what it costs, and the longer how-tos. The
//! crate's README is the way in; these pages are where it leads.

#[doc = include_str!("../docs/attributes.md")]
pub mod attributes {}

#[doc = include_str!("../docs/propagation.md")]
pub mod propagation {}

#[doc = include_str!("../docs/services.md")]
pub mod services {}

#[doc = include_str!("../docs/tracing.md")]
pub mod tracing {}

#[doc = include_str!("../docs/testing.md")]
pub mod testing {}

#[doc = include_str!("../docs/configuration.md")]
pub mod configuration {}

#[doc = include_str!("../docs/keep_policy.md")]
pub mod keep_policy {}

#[doc = include_str!("../docs/metrics.md")]
pub mod metrics {}

#[doc = include_str!("../docs/conventions.md")]
pub mod conventions {}

#[doc = include_str!("../docs/guarantees.md")]
pub mod guarantees {}

#[doc = include_str!("../docs/performance.md")]
pub mod performance {}

#[doc = include_str!("../docs/status.md")]
pub mod status {}
