//! After an export fails, the pool's next export waits for the schedule: a
//! collector that is down is asked once a schedule, by one export thread
//! with one batch, however many export threads the pool has, rather than
//! again for each batch that fills. (A batch another thread was already
//! sending when the collector went down still gets its answer.)

use crate::support::locks::recover;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// How often an export thread that holds off looks whether the pool still
/// does: another thread's export (a flush's, or the try's) may have gone
/// through.
pub(super) const LOOK_AGAIN_EVERY: Duration = Duration::from_millis(50);

/// Whether a pool's export threads hold off, and until when.
#[derive(Default)]
pub(super) struct HoldOff {
    /// Read by the export threads, between batches, and by the recording
    /// threads: a crowded ring does not give way to export threads that
    /// hold off, as they take no spans then.
    on: AtomicBool,
    state: Mutex<Held>,
}

#[derive(Default)]
struct Held {
    /// When an export may be tried again; `None` while exports go through.
    until: Option<Instant>,
    /// Set while one export thread tries, until its round ends.
    trying: bool,
    /// How many times the export threads asked [`HoldOff::gate`], for the
    /// tests: a thread that waits asks a few times a second at most.
    #[cfg(all(test, feature = "testing"))]
    asked: u64,
}

/// What an export thread may do while the pool holds off.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Gate {
    /// Export: the pool no longer holds off.
    Open,
    /// Try one batch: this thread's answer ends the hold-off or extends it.
    Try,
    /// Wait until then, and ask again.
    WaitUntil(Instant),
    /// Nothing to try with: wait for spans, and ask again.
    Idle,
}

impl HoldOff {
    /// Whether the pool holds off.
    pub(super) fn is_on(&self) -> bool {
        self.on.load(Ordering::Relaxed)
    }

    fn lock(&self) -> MutexGuard<'_, Held> {
        recover(self.state.lock())
    }

    /// After an export failed: nothing more is tried for `delay`.
    pub(super) fn after_failure(&self, delay: Duration) {
        let mut held = self.lock();
        let next = Instant::now() + delay;
        held.until = Some(held.until.map_or(next, |earlier| earlier.max(next)));
        self.on.store(true, Ordering::Relaxed);
    }

    /// After an export went through: the pool exports again. Called within
    /// the exporter's turn, as [`HoldOff::after_failure`] is, so that the
    /// look at `on` sees every earlier answer's (a pool of one has no turns,
    /// and one thread to answer).
    pub(super) fn after_success(&self) {
        if !self.is_on() {
            // While exports go through, as nearly always: no lock.
            return;
        }
        let mut held = self.lock();
        held.until = None;
        held.trying = false;
        self.on.store(false, Ordering::Relaxed);
    }

    /// The try this thread was given ([`Gate::Try`]), which ends when the
    /// claim is dropped: after the try's round, or if it panicked. A try
    /// that failed leaves the pool holding off until its next due time; one
    /// that sent nothing (a shutdown that gave up counted its spans) lets
    /// another thread try at once.
    pub(super) fn claimed_try(&self) -> TryClaim<'_> {
        TryClaim(self)
    }

    /// How many times the gate was asked, for the tests.
    #[cfg(all(test, feature = "testing"))]
    pub(super) fn gate_asked(&self) -> u64 {
        self.lock().asked
    }

    /// For an export thread of the pool, which has spans waiting if
    /// `has_spans`: once the hold-off is over, the first such thread to ask
    /// tries, and the others wait for its answer.
    pub(super) fn gate(&self, has_spans: bool) -> Gate {
        let mut held = self.lock();
        #[cfg(all(test, feature = "testing"))]
        {
            held.asked += 1;
        }
        let Some(due) = held.until else { return Gate::Open };
        let now = Instant::now();
        if now < due {
            return Gate::WaitUntil(due.min(now + LOOK_AGAIN_EVERY));
        }
        if !has_spans {
            return Gate::Idle;
        }
        if held.trying {
            return Gate::WaitUntil(now + LOOK_AGAIN_EVERY);
        }
        held.trying = true;
        Gate::Try
    }
}

/// A try of the pool's, held by the export thread that makes it.
pub(super) struct TryClaim<'a>(&'a HoldOff);

impl Drop for TryClaim<'_> {
    fn drop(&mut self) {
        self.0.lock().trying = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_export_thread_tries_once_the_hold_off_is_over_and_the_others_wait_for_its_answer() {
        let hold_off = HoldOff::default();
        assert_eq!(hold_off.gate(true), Gate::Open, "no hold-off before a failure");
        hold_off.after_failure(Duration::ZERO);
        assert!(hold_off.is_on());
        assert_eq!(hold_off.gate(false), Gate::Idle, "a thread with nothing to send does not try");
        assert_eq!(hold_off.gate(true), Gate::Try, "the first with spans tries");
        let claim = hold_off.claimed_try();
        let Gate::WaitUntil(at) = hold_off.gate(true) else { panic!("a second thread tried during the first's try") };
        assert!(at <= Instant::now() + LOOK_AGAIN_EVERY, "it looks again soon");
        assert_eq!(hold_off.gate(false), Gate::Idle, "a thread with nothing to send waits for spans, not the try");
        // Another thread's batch fails meanwhile: the try is still under way.
        hold_off.after_failure(Duration::ZERO);
        assert!(matches!(hold_off.gate(true), Gate::WaitUntil(_)), "a second try while the first was under way");
        hold_off.after_success();
        drop(claim);
        assert!(!hold_off.is_on());
        assert_eq!(hold_off.gate(false), Gate::Open, "the others export once it went through");
    }

    #[test]
    fn a_failed_try_holds_off_again_and_a_try_that_sent_nothing_lets_another_try() {
        let hold_off = HoldOff::default();
        hold_off.after_failure(Duration::ZERO);
        assert_eq!(hold_off.gate(true), Gate::Try);
        drop(hold_off.claimed_try());
        assert_eq!(hold_off.gate(true), Gate::Try, "a try that sent nothing kept the others waiting");
        let claim = hold_off.claimed_try();
        hold_off.after_failure(Duration::from_secs(3600));
        drop(claim);
        assert!(matches!(hold_off.gate(true), Gate::WaitUntil(_)), "tried before the hold-off was over");
        hold_off.after_failure(Duration::ZERO);
        assert!(matches!(hold_off.gate(true), Gate::WaitUntil(_)), "a later, shorter failure shortened the hold-off");
    }
}
