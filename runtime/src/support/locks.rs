//! Locks that outlive a panic. A panic while one of tracekit's locks is held
//! must not stop tracing for the rest of the program: the data behind each
//! lock (queues, pools, the installation) stays usable, at worst missing
//! what the panicking thread was adding.

use std::sync::LockResult;

/// The guard, whether or not a previous holder panicked.
pub(crate) fn recover<Guard>(result: LockResult<Guard>) -> Guard {
    result.unwrap_or_else(|poisoned| poisoned.into_inner())
}
