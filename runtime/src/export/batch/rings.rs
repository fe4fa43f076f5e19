//! The rings of a batch processor's queue, of one kind of span (see
//! `queue`): one bounded ring per recording thread (`rtrb`'s
//! single-producer, single-consumer ring buffer), which that thread fills
//! without a lock and one export thread of the pool empties. Each ring is
//! dealt to an export thread, its share, when it is made: the ring itself
//! tells a recording thread which export thread to wake, so that a pool of
//! several costs a span no more than a pool of one.
//!
//! With one shared queue, every span took its lock: a few nanoseconds
//! alone, and a sleep and a wake-up once two threads met there. A ring has
//! one writer and one reader, so a span costs two atomic operations, and
//! threads never wait on each other. Each ring holds up to the queue size
//! (`OTEL_BSP_MAX_QUEUE_SIZE`): memory is bounded per thread, and a span
//! that finds its ring full is dropped and counted.

use rtrb::{Consumer, Producer, RingBuffer};
use std::cell::{Cell, RefCell};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::thread::LocalKey;
use std::time::{Duration, Instant};

/// The export threads' ends of the rings of one pool of export threads.
pub(super) struct Rings<T> {
    /// Names the pool in the threads' lists of rings.
    id: u64,
    capacity: usize,
    /// The rings of each export thread's share of the recording threads.
    consumers: Box<[Mutex<Vec<Consumer<T>>>]>,
    /// How many times a thread waited for room, for the tests to read.
    #[cfg(test)]
    waits: AtomicU64,
}

/// What a ring holds: a kind of span, with this thread's list of its ends
/// of the rings of that kind. A list of each kind, so that a span finds
/// its ring without a look at the rings of other kinds or at their type.
/// Declared with [`ring_item!`](crate::export::batch::ring_item).
pub(crate) trait RingItem: Send + Sized + 'static {
    /// This thread's ends of the rings of this kind, by processor.
    fn thread_ends() -> &'static LocalKey<RefCell<Vec<ThreadEnd<Self>>>>;
}

/// Declares [`RingItem`] for each type given, with a list of its own.
macro_rules! ring_item {
    ($($kind:ty),* $(,)?) => {$(
        impl $crate::export::batch::RingItem for $kind {
            fn thread_ends() -> &'static ::std::thread::LocalKey<
                ::std::cell::RefCell<::std::vec::Vec<$crate::export::batch::ThreadEnd<Self>>>,
            > {
                ::std::thread_local! {
                    static ENDS: ::std::cell::RefCell<::std::vec::Vec<$crate::export::batch::ThreadEnd<$kind>>> =
                        const { ::std::cell::RefCell::new(::std::vec::Vec::new()) };
                }
                &ENDS
            }
        }
    )*};
}
pub(crate) use ring_item;

/// How many spans a thread queues between two looks at how full its ring
/// is (at most a batch).
const LOOK_EVERY: usize = 64;
/// The same while the ring is half full (at every span once it is five
/// eighths full): each look then gives way to the export thread. From five
/// eighths rather than three quarters: a calling thread as fast as the
/// export thread filled the last quarter while the export thread was kept
/// a millisecond from its core (`BENCHMARKS.md`, "Giving way sooner").
const LOOK_WHEN_CROWDED: usize = 8;

/// How long a thread whose ring is three quarters full waits for the
/// export thread to take a span from it before it stops waiting: the
/// export thread takes a batch in microseconds when it keeps up, and is
/// kept from its core for a few milliseconds at worst on a busy machine.
pub(super) const PATIENCE: Duration = Duration::from_millis(5);

/// A thread waits for room at most [`WAIT_BUDGET`] in each [`WAIT_WINDOW`]
/// of its time, for all its rings: enough to ride out an export thread
/// kept from its core, while threads that together outrun the export
/// thread for good lose spans (counted) rather than slow the program by
/// more than a twentieth.
pub(super) const WAIT_WINDOW: Duration = Duration::from_millis(200);
pub(super) const WAIT_BUDGET: Duration = Duration::from_millis(10);

thread_local! {
    /// When this thread's current [`WAIT_WINDOW`] began, and how long it
    /// has waited for room within it.
    static WAITED: Cell<Option<(Instant, Duration)>> = const { Cell::new(None) };
    /// This thread's number among the threads that made a ring, in the
    /// order they first did, plus one; zero until then.
    static ORDINAL: Cell<usize> = const { Cell::new(0) };
}

static NEXT_ORDINAL: AtomicUsize = AtomicUsize::new(0);

/// Numbers this thread among the threads that made a ring, before it
/// makes one: the tests deal their threads to the shares they choose,
/// whatever other tests' threads drew.
#[cfg(all(test, feature = "testing"))]
pub(super) fn number_this_thread(ordinal: usize) {
    ORDINAL.set(ordinal);
}

/// Which of `shares` export threads serves this thread's rings: recording
/// threads are dealt to them in turn, each to one, so that all its spans
/// go through one export thread, in order.
pub(super) fn this_thread_s_share(shares: usize) -> usize {
    let mut ordinal = ORDINAL.get();
    if ordinal == 0 {
        ordinal = NEXT_ORDINAL.fetch_add(1, Ordering::Relaxed) + 1;
        ORDINAL.set(ordinal);
    }
    (ordinal - 1) % shares
}

/// Sets how long this thread has waited for room in a window that begins
/// now, for the tests.
#[cfg(all(test, feature = "testing"))]
pub(super) fn set_waited(waited: Duration) {
    WAITED.with(|cell| cell.set(Some((Instant::now(), waited))));
}

/// A thread's end of one processor's ring, and how many spans it queued
/// there since it last looked at how full it is.
pub(crate) struct ThreadEnd<T> {
    id: u64,
    /// The export thread that empties the ring.
    share: usize,
    queued: usize,
    producer: Producer<T>,
    /// Every span queued in the ring so far: less those it holds, the
    /// spans the export thread took.
    pushed: u64,
    /// The spans the export thread had taken when this thread last stopped
    /// waiting for it, after [`PATIENCE`] without one: it does not wait
    /// again until the export thread has taken more.
    stalled_at: Option<u64>,
}

static NEXT_ID: AtomicU64 = AtomicU64::new(0);

/// Where a span went.
pub(super) enum Pushed {
    /// Queued.
    Queued,
    /// Queued, and the ring holds a batch: time to wake the export thread
    /// that empties it, of this share.
    Batch(usize),
    /// Queued, and the ring is half full (and holds a batch): wake the
    /// export thread even from a nap, and give way to it, before the ring
    /// fills. A crowded ring is looked at every few spans, and at every
    /// span once five eighths full.
    Crowded(usize),
    /// Queued, and the ring is three quarters full: wake the export thread,
    /// and wait for it to take spans ([`Rings::wait_for_room`]).
    Pressed(usize),
    /// Its ring was full: turned away.
    Full,
    /// The thread is ending, with no ring left: dropped.
    Dropped,
}

impl<T: RingItem> Rings<T> {
    /// Rings of `capacity` spans, dealt to `shares` export threads.
    pub(super) fn new(capacity: usize, shares: usize) -> Self {
        Rings {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            capacity,
            consumers: (0..shares.max(1)).map(|_| Mutex::new(Vec::new())).collect(),
            #[cfg(test)]
            waits: AtomicU64::new(0),
        }
    }

    /// Queues `span` in this thread's ring, made on the thread's first
    /// span; says so when the ring holds `batch` spans or more, and when
    /// it is half full, with the share of the export thread to wake. A
    /// span its full ring turns away goes to `turned_away`, which runs
    /// with the thread's list of rings borrowed (it must not queue a span).
    ///
    /// How full the ring is is read only every [`LOOK_EVERY`] spans (or
    /// every batch, when smaller), every [`LOOK_WHEN_CROWDED`] once it is
    /// half full and at every span past five eighths: it is read from
    /// the export thread's side of the ring, a cache line the other core
    /// keeps writing.
    #[inline]
    pub(super) fn push(&self, span: T, batch: usize, turned_away: impl FnOnce(T)) -> Pushed {
        self.push_made(|| span, batch, turned_away)
    }

    /// [`Rings::push`] for the span `make` makes: made only once its ring
    /// is found, and written into the ring's slot from where it is made.
    /// Made in a frame above and copied down, its fields were read back in
    /// wider loads than the stores that had just written them, and such a
    /// load waits for those stores to land: 2 to 3% of a call's time.
    #[inline(always)]
    pub(super) fn push_made(&self, make: impl FnOnce() -> T, batch: usize, turned_away: impl FnOnce(T)) -> Pushed {
        let pushed = T::thread_ends().try_with(|ends| {
            let mut ends = ends.try_borrow_mut().ok()?;
            // Most threads queue for one processor: its ring comes first.
            let at = match ends.first().is_some_and(|ring| ring.id == self.id) {
                true => 0,
                false => self.find_or_make(&mut ends),
            };
            let ring = &mut ends[at];
            Some(match ring.producer.push(make()) {
                Ok(()) => {
                    ring.queued += 1;
                    ring.pushed += 1;
                    if ring.queued < LOOK_EVERY.min(batch) {
                        return Some(Pushed::Queued);
                    }
                    ring.queued = 0;
                    let held = self.capacity - ring.producer.slots();
                    if held >= batch.max(self.capacity / 2) {
                        // A crowded ring is looked at again soon, the sooner the fuller.
                        let next_look = if held >= self.capacity / 8 * 5 { 1 } else { LOOK_WHEN_CROWDED };
                        ring.queued = LOOK_EVERY.min(batch).saturating_sub(next_look);
                        match held >= self.pressed_at() {
                            true => Pushed::Pressed(ring.share),
                            false => Pushed::Crowded(ring.share),
                        }
                    } else if held >= batch {
                        Pushed::Batch(ring.share)
                    } else {
                        Pushed::Queued
                    }
                }
                Err(rtrb::PushError::Full(span)) => {
                    turned_away(span);
                    Pushed::Full
                }
            })
        });
        pushed.ok().flatten().unwrap_or(Pushed::Dropped)
    }

    /// Where this processor's ring is in the thread's list `ends`, made
    /// there on the thread's first span.
    #[cold]
    fn find_or_make(&self, ends: &mut Vec<ThreadEnd<T>>) -> usize {
        if let Some(at) = ends.iter().position(|ring| ring.id == self.id) {
            return at;
        }
        // Rings of processors gone are forgotten when a new one comes.
        ends.retain(|ring| !ring.producer.is_abandoned());
        let (producer, consumer) = RingBuffer::new(self.capacity);
        let share = this_thread_s_share(self.consumers.len());
        self.consumers(share).push(consumer);
        ends.push(ThreadEnd { id: self.id, share, queued: 0, producer, pushed: 0, stalled_at: None });
        ends.len() - 1
    }

    /// How many spans a ring holds once it is three quarters full.
    fn pressed_at(&self) -> usize {
        (self.capacity / 4 * 3).max(1)
    }

    /// Gives way to the export thread while this thread's ring is three
    /// quarters full and the export thread takes spans from it, so that a
    /// thread that records faster than its spans are exported slows to the
    /// export's pace rather than drop them. It stops once the ring has
    /// room, once `give_up` says so (the pool holds off after a
    /// failed export), once the export thread has taken nothing for
    /// [`PATIENCE`] (an export stuck on a slow collector; it then waits no
    /// more until the export thread takes spans again), or once the thread
    /// has waited [`WAIT_BUDGET`] in this [`WAIT_WINDOW`]. How many times
    /// it gave way.
    pub(super) fn wait_for_room(&self, give_up: &dyn Fn() -> bool) -> u64 {
        let waited = T::thread_ends().try_with(|ends| {
            let mut ends = ends.try_borrow_mut().ok()?;
            let ring = ends.iter_mut().find(|ring| ring.id == self.id)?;
            Some(ring.wait_for_room(self.capacity, self.pressed_at(), give_up))
        });
        let yields = waited.ok().flatten().unwrap_or(0);
        #[cfg(test)]
        if yields > 0 {
            self.waits.fetch_add(1, Ordering::Relaxed);
        }
        yields
    }
}

impl<T> ThreadEnd<T> {
    /// The spans the ring holds, and those the export thread took from it.
    fn held_and_taken(&self, capacity: usize) -> (usize, u64) {
        let held = capacity - self.producer.slots();
        (held, self.pushed - held as u64)
    }

    /// [`Rings::wait_for_room`] on this ring of `capacity`, pressed while
    /// it holds `pressed_at` spans or more.
    fn wait_for_room(&mut self, capacity: usize, pressed_at: usize, give_up: &dyn Fn() -> bool) -> u64 {
        let (held, mut taken) = self.held_and_taken(capacity);
        if held < pressed_at || self.stalled_at.is_some_and(|stalled_at| taken <= stalled_at) {
            return 0;
        }
        let started = Instant::now();
        let (window_began, waited) = match WAITED.try_with(Cell::get).ok().flatten() {
            Some((began, waited)) if started.duration_since(began) < WAIT_WINDOW => (began, waited),
            _ => (started, Duration::ZERO),
        };
        let Some(budget) = WAIT_BUDGET.checked_sub(waited).filter(|budget| !budget.is_zero()) else { return 0 };
        let (mut yields, out_of_budget) = (0, started + budget);
        let mut deadline = (started + PATIENCE).min(out_of_budget);
        let ended = loop {
            std::thread::yield_now();
            yields += 1;
            let (held, now_taken) = self.held_and_taken(capacity);
            let now = Instant::now();
            if held < pressed_at || give_up() {
                self.stalled_at = None;
                break now;
            }
            if now_taken > taken {
                (taken, deadline) = (now_taken, (now + PATIENCE).min(out_of_budget));
            } else if now >= deadline {
                // Stalled, unless it is the budget that ran out.
                if now < out_of_budget {
                    self.stalled_at = Some(now_taken);
                }
                break now;
            }
        };
        let _ = WAITED.try_with(|cell| cell.set(Some((window_began, waited + ended.duration_since(started)))));
        yields
    }
}

impl<T> Rings<T> {
    /// The rings of export thread `share`.
    fn consumers(&self, share: usize) -> MutexGuard<'_, Vec<Consumer<T>>> {
        crate::support::locks::recover(self.consumers[share].lock())
    }

    /// How many spans wait in the rings, of every share.
    #[cfg(all(test, feature = "testing"))]
    pub(super) fn len(&self) -> usize {
        (0..self.consumers.len()).map(|share| self.consumers(share).iter().map(Consumer::slots).sum::<usize>()).sum()
    }

    /// How many spans wait in each ring of `share` now, by ring: what a
    /// round of its export thread takes at most, so that spans recorded
    /// meanwhile on one thread never stand in for those another thread
    /// flushed.
    pub(super) fn waiting(&self, share: usize) -> Vec<usize> {
        self.consumers(share).iter().map(Consumer::slots).collect()
    }

    /// Moves up to `limit` spans of `share`'s rings into `batch`, made
    /// `U`s, at most `quotas[i]` from ring `i` (counted down), taking from
    /// each ring in turn so that a busy thread does not starve the others.
    pub(super) fn take<U>(
        &self,
        share: usize,
        quotas: &mut [usize],
        limit: usize,
        batch: &mut Vec<U>,
        into: impl Fn(T) -> U,
    ) {
        let mut consumers = self.consumers(share);
        let mut wanted = limit;
        // A fair share from each ring first, then whatever is left.
        for fair in [limit.div_ceil(quotas.len().max(1)), limit] {
            for (consumer, quota) in consumers.iter_mut().zip(quotas.iter_mut()) {
                let take = fair.min(wanted).min(*quota).min(consumer.slots());
                if let Ok(chunk) = consumer.read_chunk(take) {
                    batch.extend(chunk.into_iter().map(&into));
                    wanted -= take;
                    *quota -= take;
                }
            }
        }
    }

    /// Forgets the rings of `share` whose threads have ended, once they
    /// are empty.
    pub(super) fn prune(&self, share: usize) {
        self.consumers(share).retain(|consumer| !(consumer.is_abandoned() && consumer.is_empty()));
    }

    /// How many rings there are, of every share.
    #[cfg(all(test, feature = "testing"))]
    pub(super) fn count(&self) -> usize {
        (0..self.consumers.len()).map(|share| self.consumers(share).len()).sum()
    }

    /// How many times a thread waited for room ([`Rings::wait_for_room`]).
    #[cfg(all(test, feature = "testing"))]
    pub(super) fn waits(&self) -> u64 {
        self.waits.load(Ordering::Relaxed)
    }

    /// Empties the rings of `share`, for a shutdown that ran out of time or
    /// spans that came after an export thread's last round: how many spans
    /// were dropped.
    pub(super) fn clear(&self, share: usize) -> usize {
        let mut consumers = self.consumers(share);
        let mut cleared = 0;
        for consumer in consumers.iter_mut() {
            let waiting = consumer.slots();
            if let Ok(chunk) = consumer.read_chunk(waiting) {
                cleared += chunk.len();
                chunk.commit_all();
            }
        }
        cleared
    }
}
