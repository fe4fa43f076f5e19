//! What every layer uses and none owns: the clock of timestamps and
//! durations, lock recovery, panic messages, text cut to length, terminal
//! styles, the pools span memory is recycled through, the semantic
//! conventions' names, and tracekit's own warnings. Nothing here knows spans.

pub(crate) mod clock;
pub(crate) mod conventions;
pub(crate) mod diagnostics;
pub(crate) mod ids;
pub(crate) mod installed;
pub(crate) mod locks;
pub(crate) mod panic;
pub(crate) mod recycle;
pub(crate) mod span_kind;
#[cfg(any(feature = "console", feature = "testing", feature = "logs"))]
pub(crate) mod terminal;
pub(crate) mod text;
