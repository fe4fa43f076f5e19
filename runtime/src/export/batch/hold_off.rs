//! After an export fails, the pool's next export waits for the schedule: a
//! collector that is down is asked once a schedule, by one export thread,
//! however many the pool has, rather than again for each batch that fills.

use crate::support::locks::recover;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How often an export thread that holds off looks whether another's
/// export went through meanwhile, and so the pool exports again.
pub(super) const LOOK_AGAIN_EVERY: Duration = Duration::from_millis(50);

/// Whether a pool's export threads hold off, and until when.
#[derive(Default)]
pub(super) struct HoldOff {
    /// Read by the recording threads: a crowded ring does not give way to
    /// an export thread that holds off, as it does not take spans then.
    on: AtomicBool,
    /// When the next export may be tried; `None` while exports go through.
    until: Mutex<Option<Instant>>,
}

/// What an export thread that holds off does next.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Next {
    /// Exports: the hold-off ended, or this thread tries the collector.
    Export,
    /// Waits until then, and asks again.
    WaitUntil(Instant),
}

impl HoldOff {
    /// Whether the pool holds off.
    pub(super) fn is_on(&self) -> bool {
        self.on.load(Ordering::Relaxed)
    }

    /// After an export failed: nothing more is tried for `delay`.
    pub(super) fn after_failure(&self, delay: Duration) {
        let mut until = recover(self.until.lock());
        let next = Instant::now() + delay;
        *until = Some(until.map_or(next, |earlier| earlier.max(next)));
        self.on.store(true, Ordering::Relaxed);
    }

    /// After an export went through: the pool exports again.
    pub(super) fn after_success(&self) {
        *recover(self.until.lock()) = None;
        self.on.store(false, Ordering::Relaxed);
    }

    /// For an export thread of the pool, which has spans waiting if
    /// `has_spans`: once the hold-off is over, the first such thread to ask
    /// tries the collector, and the others wait another `delay` for its
    /// answer (its failure extends the hold-off, its success ends it).
    pub(super) fn next(&self, has_spans: bool, delay: Duration) -> Next {
        let mut until = recover(self.until.lock());
        let Some(due) = *until else { return Next::Export };
        let now = Instant::now();
        if now < due {
            return Next::WaitUntil(due.min(now + LOOK_AGAIN_EVERY));
        }
        if has_spans {
            *until = Some(now + delay);
            return Next::Export;
        }
        Next::WaitUntil(now + LOOK_AGAIN_EVERY)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DELAY: Duration = Duration::from_millis(200);

    #[test]
    fn one_export_thread_tries_once_the_hold_off_is_over_and_the_others_wait_for_its_answer() {
        let hold_off = HoldOff::default();
        assert_eq!(hold_off.next(true, DELAY), Next::Export, "no hold-off before a failure");
        hold_off.after_failure(Duration::ZERO);
        assert!(hold_off.is_on());
        assert!(
            matches!(hold_off.next(false, DELAY), Next::WaitUntil(_)),
            "a thread with nothing to send does not try"
        );
        assert_eq!(hold_off.next(true, DELAY), Next::Export, "the first with spans tries");
        let Next::WaitUntil(at) = hold_off.next(true, DELAY) else { panic!("a second thread tried at once") };
        assert!(at <= Instant::now() + LOOK_AGAIN_EVERY, "it looks again soon");
        hold_off.after_success();
        assert!(!hold_off.is_on());
        assert_eq!(hold_off.next(false, DELAY), Next::Export, "the others export once it went through");
    }

    #[test]
    fn a_failure_extends_the_hold_off_and_never_shortens_it() {
        let hold_off = HoldOff::default();
        hold_off.after_failure(Duration::from_secs(3600));
        hold_off.after_failure(Duration::ZERO);
        assert!(matches!(hold_off.next(true, DELAY), Next::WaitUntil(_)), "a later, shorter failure shortened it");
    }
}
