//! The facade core: what every build has, libraries compiled with no
//! default features included. Callsites, the one cheap check, dispatch to
//! whatever backend is installed, open spans and the values recorded on
//! them. Nothing here names an SDK type; the pipeline implements
//! [`dispatch::Backend`] on top.

pub(crate) mod callsite;
pub(crate) mod clock;
pub(crate) mod conventions;
pub(crate) mod diagnostics;
pub(crate) mod dispatch;
pub(crate) mod failure;
pub(crate) mod link;
pub(crate) mod live;
pub(crate) mod locks;
pub(crate) mod metered;
pub(crate) mod open;
pub(crate) mod panic;
pub(crate) mod pending;
pub(crate) mod performance;
pub(crate) mod recorder;
pub(crate) mod recycle;
pub(crate) mod stack;
pub(crate) mod start;
#[cfg(any(feature = "console", feature = "testing", feature = "logs"))]
pub(crate) mod terminal;
pub(crate) mod text;
#[cfg(feature = "propagation")]
pub(crate) mod trace_flags;
