//! What `trace_performance` reports when a call runs past its threshold:
//! an event on its span, and a warning. A `tracing` subscriber gets every
//! warning as an event, to filter as it likes; on stderr, where nothing
//! filters, each function says its first few slow calls, then at most one
//! line per interval with the number held back, and the rest when tracing
//! is shut down, so that a loop of slow calls cannot flood the terminal.

use crate::facade::callsite::Callsite;
use crate::facade::live::LiveSpan;
use crate::facade::open::OpenSpan;
use crate::keys::{DURATION_MS, THRESHOLD_EXCEEDED, THRESHOLD_MS};
use crate::support::diagnostics::{self, Destination, LogLevel};
use crate::support::locks::recover;
use opentelemetry::KeyValue;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

const TARGET: &str = "tracekit::performance";
/// How many slow calls of one function are each said on stderr.
const SAID_AT_ONCE: u32 = 3;
/// Then at most one line per function per interval.
const INTERVAL: Duration = Duration::from_secs(10);

/// `at` is the end of the call, when the event is stamped: at the span's
/// end, not after it.
pub(crate) fn threshold_exceeded(
    callsite: &'static Callsite,
    elapsed: Duration,
    threshold: Duration,
    open: Option<&mut OpenSpan>,
    at: SystemTime,
) {
    say_slow(callsite, elapsed, threshold);
    if let Some(open) = open {
        open.with_live(|span| mark_slow(span, elapsed, threshold, at));
    }
}

/// The threshold's event on the span of a call past it, with the
/// threshold and the duration as attributes of both, stamped `at`.
pub(crate) fn mark_slow(span: &mut LiveSpan, elapsed: Duration, threshold: Duration, at: SystemTime) {
    if span.is_recording() {
        let attributes = vec![
            KeyValue::new(THRESHOLD_MS, milliseconds(threshold)),
            KeyValue::new(DURATION_MS, duration_ms(elapsed)),
        ];
        span.set_attributes(attributes.clone());
        span.add_event_with_timestamp(THRESHOLD_EXCEEDED, at, attributes);
    }
}

fn duration_ms(elapsed: Duration) -> f64 {
    elapsed.as_secs_f64() * 1000.0
}

fn milliseconds(threshold: Duration) -> i64 {
    i64::try_from(threshold.as_millis()).unwrap_or(i64::MAX)
}

/// The warning of a call past its threshold.
pub(crate) fn say_slow(callsite: &'static Callsite, elapsed: Duration, threshold: Duration) {
    let operation = callsite.name;
    let duration_ms = duration_ms(elapsed);
    let threshold_ms = milliseconds(threshold);
    let line = || format!("{operation} took {duration_ms:.1} ms, over its {threshold_ms} ms threshold");
    match diagnostics::destination(LogLevel::Warn) {
        Some(Destination::Tracing) => {
            // The field as a person would write it: to the hundredth of a millisecond.
            let rounded_ms = (duration_ms * 100.0).round() / 100.0;
            let message = line();
            tracing::warn!(target: TARGET, operation, duration_ms = rounded_ms, threshold_ms, "{message}");
        }
        Some(Destination::Stderr) => match SLOW_CALLS.admit(callsite, Instant::now()) {
            Admitted::Said => diagnostics::print_line(LogLevel::Warn, TARGET, &line()),
            Admitted::WithHeldBack(held_back) => {
                let message = format!("{} (and {held_back} more slow calls of {operation} held back)", line());
                diagnostics::print_line(LogLevel::Warn, TARGET, &message);
            }
            Admitted::HeldBack => {}
        },
        None => {}
    }
}

/// What is said of one more slow call on stderr.
#[derive(Debug, PartialEq, Eq)]
enum Admitted {
    Said,
    /// Said, with the number of calls held back since the last line.
    WithHeldBack(u64),
    HeldBack,
}

/// The slow calls of each function said on stderr so far.
struct SlowCalls(Mutex<Vec<(usize, Said)>>);

#[derive(Default)]
struct Said {
    #[cfg(feature = "pipeline")]
    name: &'static str,
    lines: u32,
    held_back: u64,
    last_line: Option<Instant>,
}

static SLOW_CALLS: SlowCalls = SlowCalls(Mutex::new(Vec::new()));

impl SlowCalls {
    /// Reached only past a threshold, with stderr as the destination: the
    /// lock is not on the path of a call that stays under it.
    fn admit(&self, callsite: &'static Callsite, now: Instant) -> Admitted {
        let key = std::ptr::from_ref(callsite) as usize;
        let mut all = recover(self.0.lock());
        let index = match all.iter().position(|(seen, _)| *seen == key) {
            Some(index) => index,
            None => {
                #[cfg(feature = "pipeline")]
                let said = Said { name: callsite.name, ..Said::default() };
                #[cfg(not(feature = "pipeline"))]
                let said = Said::default();
                all.push((key, said));
                all.len() - 1
            }
        };
        let said = &mut all[index].1;
        let due = said.lines < SAID_AT_ONCE || said.last_line.is_none_or(|last| now.duration_since(last) >= INTERVAL);
        if !due {
            said.held_back += 1;
            return Admitted::HeldBack;
        }
        said.lines = said.lines.saturating_add(1);
        said.last_line = Some(now);
        match std::mem::take(&mut said.held_back) {
            0 => Admitted::Said,
            held_back => Admitted::WithHeldBack(held_back),
        }
    }

    /// Says, for each function, the slow calls held back since its last line.
    #[cfg(feature = "pipeline")]
    fn say_held_back(&self) {
        for (_, said) in recover(self.0.lock()).iter_mut() {
            let held_back = std::mem::take(&mut said.held_back);
            if held_back > 0 {
                let line = format!("{held_back} more slow calls of {} held back", said.name);
                diagnostics::print_line(LogLevel::Warn, TARGET, &line);
            }
        }
    }
}

/// Says what stderr held back: when tracing shuts down.
#[cfg(feature = "pipeline")]
pub(crate) fn say_held_back() {
    SLOW_CALLS.say_held_back();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested() -> &'static str {
        "tests::slow::__TRACEKIT_CALLSITE"
    }
    static SLOW: Callsite = Callsite::new("slow", nested, "f.rs", 1, opentelemetry::trace::SpanKind::Internal, None);

    #[test]
    fn a_few_lines_then_one_per_interval_with_the_count_held_back() {
        let calls = SlowCalls(Mutex::new(Vec::new()));
        let start = Instant::now();
        let said: Vec<Admitted> = (0..5).map(|_| calls.admit(&SLOW, start)).collect();
        assert_eq!(said, [Admitted::Said, Admitted::Said, Admitted::Said, Admitted::HeldBack, Admitted::HeldBack]);
        assert_eq!(calls.admit(&SLOW, start + INTERVAL / 2), Admitted::HeldBack);
        assert_eq!(calls.admit(&SLOW, start + INTERVAL), Admitted::WithHeldBack(3));
        assert_eq!(calls.admit(&SLOW, start + INTERVAL), Admitted::HeldBack);
    }
}
