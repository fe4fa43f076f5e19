//! Formatting values of the user's types for span attributes, safely: the
//! text is cut at a bounded length while it is written (a huge value never
//! fills memory), and a `Display` or `Debug` that panics yields a marker
//! instead of taking the program down.

use std::fmt::{self, Write};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The most bytes of one formatted value: `OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT`
/// when configured, else 64 KiB.
static LIMIT: AtomicUsize = AtomicUsize::new(DEFAULT_LIMIT);
const DEFAULT_LIMIT: usize = 64 * 1024;

/// What a value whose formatting panicked is recorded as.
pub(crate) const PANICKED: &str = "<formatting panicked>";

#[cfg(feature = "pipeline")]
pub(crate) fn set_limit(limit: Option<usize>) {
    LIMIT.store(limit.unwrap_or(DEFAULT_LIMIT), Ordering::Relaxed);
}

/// Formats with `write`, stopping at the limit (with `…` appended).
pub(crate) fn bounded(write: impl FnOnce(&mut dyn Write) -> fmt::Result) -> String {
    let limit = LIMIT.load(Ordering::Relaxed);
    let mut out = Bounded { text: String::new(), limit, full: false };
    let outcome = catch_unwind(AssertUnwindSafe(|| write(&mut out)));
    match outcome {
        Err(_) => PANICKED.to_owned(),
        Ok(_) if out.full => out.text + "…",
        Ok(_) => out.text,
    }
}

struct Bounded {
    text: String,
    limit: usize,
    full: bool,
}

impl Write for Bounded {
    fn write_str(&mut self, part: &str) -> fmt::Result {
        let room = self.limit.saturating_sub(self.text.len());
        if part.len() <= room {
            self.text.push_str(part);
            return Ok(());
        }
        let mut cut = room;
        while !part.is_char_boundary(cut) {
            cut -= 1;
        }
        self.text.push_str(&part[..cut]);
        self.full = true;
        // Stops the formatter: nothing more is computed for this value.
        Err(fmt::Error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_at_the_limit_on_a_char_boundary() {
        let mut out = Bounded { text: String::new(), limit: 4, full: false };
        assert!(out.write_str("aé€").is_err());
        assert_eq!(out.text, "aé");
        assert!(out.full);
    }

    #[test]
    fn a_panicking_formatter_gives_the_marker() {
        assert_eq!(bounded(|_| panic!("boom")), PANICKED);
        assert_eq!(bounded(|out| out.write_str("fine")), "fine");
    }
}
