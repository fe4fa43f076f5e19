//! The W3C trace flags tracekit knows: `sampled` (Level 1) and `random`
//! (Level 2). Others are reserved, and set to zero when sent on.

/// The trace id's right-most 7 bytes are random: kept along the trace.
pub(crate) const RANDOM: u8 = 0x02;

/// Every flag the spec defines.
pub(crate) const KNOWN_FLAGS: u8 = 0x01 | RANDOM;
