//! A tracekit callsite for each `tracing` span callsite, made the first
//! time one of its spans starts and kept for the life of the program, so
//! that its spans start on lanes and end as compact records, as annotated
//! calls do. `tracing`'s callsites are statics, so there are as many as the
//! program has `span!`s and `#[instrument]`s.

use crate::facade::callsite::Callsite;
use std::cell::Cell;
use std::collections::HashMap;
use std::sync::Mutex;
use tracing::Metadata;

/// What is known of a `tracing` span callsite before any of its spans starts.
pub(super) struct Site {
    pub(super) callsite: Callsite,
    /// Whether it declares an `otel.*` field (a name, a kind, a status of
    /// its own): its spans are then started by the backend, which takes them.
    pub(super) conventions: bool,
}

/// Every site made so far, by the address of its metadata.
static SITES: Mutex<Option<HashMap<usize, &'static Site>>> = Mutex::new(None);

/// How many sites each thread remembers, by address, without a lock.
const RECENT: usize = 64;

thread_local! {
    static RECENT_SITES: [Cell<(usize, Option<&'static Site>)>; RECENT] =
        const { [const { Cell::new((0, None)) }; RECENT] };
}

/// The site of `metadata`'s spans.
#[inline]
pub(super) fn site_of(metadata: &'static Metadata<'static>) -> &'static Site {
    let address = std::ptr::from_ref(metadata) as usize;
    // The high bits of a multiplicative hash: statics lie close together.
    let slot = (address as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> (64 - RECENT.trailing_zeros());
    let recent = RECENT_SITES.try_with(|recent| {
        let remembered = &recent[slot as usize];
        match remembered.get() {
            (seen, Some(site)) if seen == address => site,
            _ => {
                let site = shared_site(address, metadata);
                remembered.set((address, Some(site)));
                site
            }
        }
    });
    recent.unwrap_or_else(|_| shared_site(address, metadata))
}

/// The site of `metadata` from the table all threads share, made there the
/// first time.
#[cold]
fn shared_site(address: usize, metadata: &'static Metadata<'static>) -> &'static Site {
    let mut sites = SITES.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    sites.get_or_insert_with(HashMap::new).entry(address).or_insert_with(|| {
        let conventions = metadata.fields().iter().any(|field| field.name().starts_with("otel."));
        Box::leak(Box::new(Site { callsite: Callsite::of_tracing(metadata), conventions }))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_callsite_has_one_site_and_knows_its_conventions() {
        tracing::subscriber::with_default(tracing_subscriber::registry(), || {
            let plain = tracing::info_span!("plain", rows = 1);
            let named = tracing::info_span!("named", otel.name = "other");
            let plain = plain.metadata().expect("an enabled span has its metadata");
            let named = named.metadata().expect("an enabled span has its metadata");
            assert!(std::ptr::eq(site_of(plain), site_of(plain)), "made once");
            assert!(!site_of(plain).conventions);
            assert!(site_of(named).conventions);
            assert_eq!(site_of(plain).callsite.name, "plain");
            // Another thread finds the same site in the table all share.
            let here = std::ptr::from_ref(site_of(plain)) as usize;
            let there = std::thread::spawn(move || std::ptr::from_ref(site_of(plain)) as usize).join().unwrap();
            assert_eq!(here, there);
        });
    }
}
