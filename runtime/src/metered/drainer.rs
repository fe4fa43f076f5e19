//! The metrics' own thread: it records the calls waiting in the threads'
//! rings (`pending`) into the installed meters, so that the thread that
//! made a call pays for appending it and not for the SDK's histogram.
//!
//! It sleeps until a ring reaches its mark, then drains every ring, and
//! naps between drains while calls keep coming fast (a wake-up at every
//! mark costs the waking thread more than the drain saves it, on a virtual
//! machine's core); once they come slowly, it sleeps again. A thread
//! whose ring fills all the same (the drainer is slower than its calls, or
//! could not be started) drains its own ring, as it did before there was a
//! drainer: no call is lost, and no ring grows. One thread serves every
//! installation of the process, started by the first.

use crate::support::locks::recover;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, Once};
use std::time::Duration;

struct Drainer {
    /// Set by the drainer before it waits, taken by the thread that wakes
    /// it: a thread at its mark pays for a wake-up only when the drainer
    /// sleeps.
    asleep: AtomicBool,
    woken: Mutex<bool>,
    wake: Condvar,
}

static DRAINER: Drainer = Drainer { asleep: AtomicBool::new(false), woken: Mutex::new(false), wake: Condvar::new() };

static STARTED: Once = Once::new();

/// How long the drainer naps between two drains while calls keep coming:
/// a ring must hold what a thread calls meanwhile (see `pending`).
const NAP: Duration = Duration::from_micros(200);

/// Calls in one drain from which the drainer naps rather than sleeps: a
/// program that calls more slowly is not polled every [`NAP`], and its
/// threads wake the drainer at their rings' marks instead.
const BUSY: usize = 256;

/// Starts the drainer, once for the process. `drain` records every ring
/// into the meters installed (or lets the calls go, with none installed)
/// and says how many calls it took; `at_mark` says whether any ring holds
/// its mark's worth. Without a thread, each thread drains its own ring
/// when it fills.
pub(crate) fn start(drain: fn() -> usize, at_mark: fn() -> bool) {
    STARTED.call_once(|| {
        // Never asleep, a drainer that did not start is never woken.
        let _ = std::thread::Builder::new().name("tracekit-metrics".into()).spawn(move || DRAINER.run(drain, at_mark));
    });
}

/// Wakes the drainer if it sleeps: called by a thread whose ring just
/// reached its mark, after appending.
pub(crate) fn wake() {
    let drainer = &DRAINER;
    // Pairs with the drainer's fence between `asleep` and its last look at
    // the rings: either it sees this thread's calls, or this thread sees
    // it asleep.
    std::sync::atomic::fence(Ordering::SeqCst);
    if drainer.asleep.load(Ordering::Relaxed) && drainer.asleep.swap(false, Ordering::AcqRel) {
        *recover(drainer.woken.lock()) = true;
        drainer.wake.notify_one();
    }
}

impl Drainer {
    fn run(&self, drain: fn() -> usize, at_mark: fn() -> bool) {
        loop {
            if drain() >= BUSY {
                // Calls keep coming fast: a nap, awake, so that no thread
                // pays for waking it, while the rings have room for what
                // comes meanwhile.
                std::thread::sleep(NAP);
                continue;
            }
            self.asleep.store(true, Ordering::SeqCst);
            std::sync::atomic::fence(Ordering::SeqCst);
            if at_mark() {
                // A ring passed its mark while it looked, on a thread that
                // saw it awake. A wake-up that came meanwhile costs one
                // more look.
                self.asleep.store(false, Ordering::Relaxed);
                continue;
            }
            let mut woken = recover(self.woken.lock());
            while !*woken {
                woken = recover(self.wake.wait(woken));
            }
            *woken = false;
        }
    }
}

/// Waits until the drainer sleeps (for tests that drain the rings after
/// it ran).
#[cfg(test)]
pub(super) fn wait_until_asleep() {
    while !DRAINER.asleep.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(1));
    }
}
