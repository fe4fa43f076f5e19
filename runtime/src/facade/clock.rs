//! The clock of span timestamps: the CPU's time-stamp counter (through
//! `fastant`, which falls back to the system clock where the counter is not
//! reliable), turned into wall-clock time against an anchor that each thread
//! renews every second. A read costs a few nanoseconds instead of a system
//! clock call, and timestamps follow adjustments of the system clock (NTP)
//! within a second's drift, about a microsecond.

use fastant::{Anchor, Instant};
use std::cell::Cell;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How long one anchor serves before the system clock is read again.
const RENEW_AFTER: Duration = Duration::from_secs(1);

thread_local! {
    /// This thread's anchor and when it is due for renewal.
    static ANCHOR: Cell<Option<(Anchor, Instant)>> = const { Cell::new(None) };
}

/// The current wall-clock time, for a span's start or end.
pub(crate) fn now() -> SystemTime {
    let now = Instant::now();
    let anchor = ANCHOR
        .try_with(|cell| match cell.get() {
            Some((anchor, renew_at)) if now < renew_at => anchor,
            _ => {
                let anchor = Anchor::new();
                cell.set(now.checked_add(RENEW_AFTER).map(|renew_at| (anchor, renew_at)));
                anchor
            }
        })
        // A thread being torn down has no thread-locals left.
        .unwrap_or_else(|_| Anchor::new());
    UNIX_EPOCH + Duration::from_nanos(now.as_unix_nanos(&anchor))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_the_system_clock_and_never_goes_back_within_an_anchor() {
        let before = SystemTime::now();
        let first = now();
        let second = now();
        let after = SystemTime::now();
        assert!(second >= first);
        // Calibration error is microseconds; allow a millisecond.
        let slack = Duration::from_millis(1);
        assert!(first + slack >= before && second <= after + slack, "{before:?} {first:?} {second:?} {after:?}");
    }
}
