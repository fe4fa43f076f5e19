//! Locks that outlive a panic. A thread that panics while holding one of
//! tracekit's locks leaves data that is still consistent (each critical
//! section is a single update), so the program's tracing goes on.

use std::sync::LockResult;

/// The guard, whether or not a previous holder panicked.
pub(crate) fn recover<Guard>(result: LockResult<Guard>) -> Guard {
    result.unwrap_or_else(|poisoned| poisoned.into_inner())
}
