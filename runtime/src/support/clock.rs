//! The clock of span timestamps and of the metrics' durations: the CPU's
//! time-stamp counter (through `fastant`, which falls back to the system
//! clock where the counter is not reliable), turned into wall-clock time
//! against an anchor that each thread renews every second. A read costs a
//! few nanoseconds instead of a system clock call, and timestamps follow
//! adjustments of the system clock (NTP) within a second's drift, about a
//! microsecond.
//!
//! One [`Reading`] at each end of a call serves both the span's timestamp
//! and the call's duration in the metrics: the counter is the dearest part
//! of timing a call, so it is read once per end, not once per consumer.

use fastant::{Anchor, Instant};
use std::cell::Cell;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How long one anchor serves before the system clock is read again.
const RENEW_AFTER: Duration = Duration::from_secs(1);

thread_local! {
    /// This thread's anchor and when it is due for renewal.
    static ANCHOR: Cell<Option<(Anchor, Instant)>> = const { Cell::new(None) };
}

/// One read of the clock: where a span starts or ends, and where a call's
/// duration begins or stops.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Reading(Instant);

impl Reading {
    #[inline]
    pub(crate) fn now() -> Reading {
        Reading(Instant::now())
    }

    /// The time from `earlier` to this reading (zero if it is later).
    #[inline]
    pub(crate) fn since(self, earlier: Reading) -> Duration {
        self.0.duration_since(earlier.0)
    }

    /// [`Reading::since`], in seconds.
    #[inline]
    pub(crate) fn seconds_since(self, earlier: Reading) -> f64 {
        self.since(earlier).as_secs_f64()
    }

    /// The wall-clock time of this reading, for a span's timestamp.
    pub(crate) fn wall_time(self) -> SystemTime {
        self.wall_time_on(&anchor_for(self))
    }

    fn wall_time_on(self, anchor: &Anchor) -> SystemTime {
        UNIX_EPOCH + Duration::from_nanos(self.0.as_unix_nanos(anchor))
    }
}

/// The anchor this thread turns `reading` into wall-clock time with,
/// renewed once it is a second old.
fn anchor_for(reading: Reading) -> Anchor {
    let Reading(at) = reading;
    ANCHOR
        .try_with(|cell| match cell.get() {
            Some((anchor, renew_at)) if at < renew_at => anchor,
            _ => {
                let anchor = Anchor::new();
                cell.set(at.checked_add(RENEW_AFTER).map(|renew_at| (anchor, renew_at)));
                anchor
            }
        })
        // A thread being torn down has no thread-locals left.
        .unwrap_or_else(|_| Anchor::new())
}

/// When a span starts or ends: a reading of tracekit's clock, turned into
/// wall-clock time only when the span is exported (for batches, off the
/// calling thread), or a wall-clock time the program gave.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Timestamp {
    Read(Reading),
    #[cfg_attr(not(feature = "pipeline"), allow(dead_code, reason = "given to the pipeline's records"))]
    Given(SystemTime),
}

#[cfg_attr(not(feature = "pipeline"), allow(dead_code, reason = "the pipeline's records are stamped and timed"))]
impl Timestamp {
    #[inline]
    pub(crate) fn now() -> Timestamp {
        Timestamp::Read(Reading::now())
    }

    pub(crate) fn wall_time(self) -> SystemTime {
        match self {
            Timestamp::Read(reading) => reading.wall_time(),
            Timestamp::Given(time) => time,
        }
    }

    /// The wall-clock times of this timestamp and a later one, `end`, with
    /// one look at this thread's anchor for both.
    pub(crate) fn wall_times(self, end: Timestamp) -> (SystemTime, SystemTime) {
        match (self, end) {
            // One anchor for both: the one the end's own conversion takes.
            (Timestamp::Read(started), Timestamp::Read(ended)) => {
                let anchor = anchor_for(ended);
                (started.wall_time_on(&anchor), ended.wall_time_on(&anchor))
            }
            _ => (self.wall_time(), end.wall_time()),
        }
    }

    /// The time from `earlier` to this timestamp (zero if it is later).
    pub(crate) fn since(self, earlier: Timestamp) -> Duration {
        match (self, earlier) {
            (Timestamp::Read(reading), Timestamp::Read(earlier)) => reading.since(earlier),
            _ => self.wall_time().duration_since(earlier.wall_time()).unwrap_or_default(),
        }
    }
}

impl From<Reading> for Timestamp {
    fn from(reading: Reading) -> Self {
        Timestamp::Read(reading)
    }
}

/// The current wall-clock time, for a span's start or end.
pub(crate) fn now() -> SystemTime {
    Reading::now().wall_time()
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

    #[test]
    fn one_reading_gives_the_timestamp_and_the_duration() {
        let start = Reading::now();
        std::thread::sleep(Duration::from_millis(5));
        let end = Reading::now();
        let seconds = end.seconds_since(start);
        assert!((0.005..0.5).contains(&seconds), "{seconds}");
        let between = end.wall_time().duration_since(start.wall_time()).unwrap().as_secs_f64();
        assert!((between - seconds).abs() < 1e-4, "{between} against {seconds}");
        assert_eq!(start.seconds_since(end), 0.0);
    }
}
