//! The facade core: what every build has, libraries compiled with no
//! default features included. Callsites, the one cheap check, dispatch to
//! whatever backend is installed, open spans and the values recorded on
//! them. Nothing here names an SDK type; the pipeline implements
//! [`dispatch::Backend`] on top.

pub(crate) mod callsite;
pub(crate) mod dispatch;
pub(crate) mod failure;
pub(crate) mod link;
pub(crate) mod live;
pub(crate) mod open;
pub(crate) mod recorder;
pub(crate) mod stack;
pub(crate) mod start;
#[cfg(feature = "propagation")]
pub(crate) mod trace_flags;
