//! A batch processor's queue: per recording thread, two rings (see
//! `rings`), one holding compact spans in its slots and one holding boxed
//! spans by pointer.
//!
//! A ring's slot is as wide as its item. With one ring for both kinds,
//! every slot is as wide as a compact span (a cache line), and a thread
//! that queues only boxed spans writes a line per span where eight
//! pointers share one, and its ring takes eight times the memory. Two
//! rings give each kind its own width; each ring is made on its thread's
//! first span of that kind.

use super::rings::{Pushed, RingItem, Rings};

/// How a span is queued: in place, or boxed.
pub(crate) enum Slot<InPlace, Boxed> {
    InPlace(InPlace),
    Boxed(Boxed),
}

/// A span a batch processor queues, split into its two kinds.
pub(crate) trait Slotted: Send + Sized + 'static {
    /// What a compact span is queued as, in its ring's slot.
    type InPlace: RingItem;
    /// What any other span is queued as: a pointer to it.
    type Boxed: RingItem;

    fn into_slot(self) -> Slot<Self::InPlace, Self::Boxed>;
    fn from_slot(slot: Slot<Self::InPlace, Self::Boxed>) -> Self;
}

/// The rings of one pool of export threads, both kinds.
pub(super) struct Queue<T: Slotted> {
    in_place: Rings<T::InPlace>,
    boxed: Rings<T::Boxed>,
}

/// How many spans a round of the export thread takes from each ring at
/// most (see [`Queue::waiting`]).
pub(super) struct Quotas {
    in_place: Vec<usize>,
    boxed: Vec<usize>,
}

impl Quotas {
    /// How many spans, in all the rings.
    pub(super) fn total(&self) -> usize {
        self.in_place.iter().chain(&self.boxed).sum()
    }
}

impl<T: Slotted> Queue<T> {
    /// Rings of `capacity` spans each, dealt to `shares` export threads.
    pub(super) fn new(capacity: usize, shares: usize) -> Self {
        Queue { in_place: Rings::new(capacity, shares), boxed: Rings::new(capacity, shares) }
    }

    /// Queues `span` in this thread's ring of its kind; says so when that
    /// ring holds `batch` spans or more, and when it is half full, with the
    /// share of the export thread to wake. A span its full ring turns away
    /// goes to `turned_away`.
    #[inline]
    pub(super) fn push(&self, span: T, batch: usize, turned_away: impl FnOnce(T)) -> Pushed {
        match span.into_slot() {
            Slot::InPlace(span) => self.push_in_place(|| span, batch, turned_away),
            Slot::Boxed(span) => self.boxed.push(span, batch, |span| turned_away(T::from_slot(Slot::Boxed(span)))),
        }
    }

    /// [`Queue::push`] for a compact span `make` makes where its ring's
    /// slot is written (see [`Rings::push_made`]).
    #[inline(always)]
    pub(super) fn push_in_place(
        &self,
        make: impl FnOnce() -> T::InPlace,
        batch: usize,
        turned_away: impl FnOnce(T),
    ) -> Pushed {
        self.in_place.push_made(make, batch, |span| turned_away(T::from_slot(Slot::InPlace(span))))
    }

    /// Gives way to the export thread while one of this thread's rings is
    /// three quarters full and the export thread takes from it, until
    /// `give_up` says so (see [`Rings::wait_for_room`]): how many times,
    /// none if neither is.
    pub(super) fn wait_for_room(&self, give_up: &dyn Fn() -> bool) -> u64 {
        self.in_place.wait_for_room(give_up) + self.boxed.wait_for_room(give_up)
    }

    /// How many spans wait in each ring of `share` now: what a round of
    /// its export thread takes at most, so that spans recorded meanwhile on
    /// one thread never stand in for those another thread flushed.
    pub(super) fn waiting(&self, share: usize) -> Quotas {
        Quotas { in_place: self.in_place.waiting(share), boxed: self.boxed.waiting(share) }
    }

    /// Moves up to `limit` spans of `share`'s rings into `batch`, within
    /// `quotas` (counted down): from the rings of compact spans first, then
    /// the others.
    pub(super) fn take(&self, share: usize, quotas: &mut Quotas, limit: usize, batch: &mut Vec<T>) {
        self.in_place.take(share, &mut quotas.in_place, limit, batch, |span| T::from_slot(Slot::InPlace(span)));
        let left = limit.saturating_sub(batch.len());
        self.boxed.take(share, &mut quotas.boxed, left, batch, |span| T::from_slot(Slot::Boxed(span)));
    }

    /// Forgets the rings of `share` whose threads have ended, once they
    /// are empty.
    pub(super) fn prune(&self, share: usize) {
        self.in_place.prune(share);
        self.boxed.prune(share);
    }

    /// Empties the rings of `share`, for a shutdown that ran out of time:
    /// how many spans were dropped.
    pub(super) fn clear(&self, share: usize) -> usize {
        self.in_place.clear(share) + self.boxed.clear(share)
    }

    /// How many spans wait in the rings.
    #[cfg(all(test, feature = "testing"))]
    pub(super) fn len(&self) -> usize {
        self.in_place.len() + self.boxed.len()
    }

    /// How many rings there are.
    #[cfg(all(test, feature = "testing"))]
    pub(super) fn count(&self) -> usize {
        self.in_place.count() + self.boxed.count()
    }

    /// How many times a thread waited for room.
    #[cfg(all(test, feature = "testing"))]
    pub(super) fn waits(&self) -> u64 {
        self.in_place.waits() + self.boxed.waits()
    }
}

#[cfg(test)]
super::ring_item!(
    std::convert::Infallible,
    Box<opentelemetry_sdk::trace::SpanData>,
    opentelemetry_sdk::trace::SpanData
);

/// The SDK's spans, as the batch processor's own tests queue them: all
/// boxed.
#[cfg(test)]
impl Slotted for opentelemetry_sdk::trace::SpanData {
    type InPlace = std::convert::Infallible;
    type Boxed = Box<Self>;

    fn into_slot(self) -> Slot<Self::InPlace, Self::Boxed> {
        Slot::Boxed(Box::new(self))
    }

    fn from_slot(slot: Slot<Self::InPlace, Self::Boxed>) -> Self {
        match slot {
            Slot::InPlace(never) => match never {},
            Slot::Boxed(span) => *span,
        }
    }
}
