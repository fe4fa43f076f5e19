//! tracekit's own messages to the user (spans lost on the way to a
//! collector, a call past its threshold): through `tracing` when a
//! subscriber listens, else one line on stderr, so that a program with no
//! logging set up still learns why its traces are missing. `OTEL_LOG_LEVEL`
//! or [`Config::log_level`](crate::Config::log_level) says how much.

use std::io::Write as _;
use std::sync::atomic::{AtomicU8, Ordering};

/// How much tracekit says about itself (`OTEL_LOG_LEVEL`): messages of this
/// level and more severe ones are shown.
///
/// ```
/// let config = tracekit::Config::new().log_level(tracekit::LogLevel::Error);
/// # let _ = config;
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
#[non_exhaustive]
pub enum LogLevel {
    /// Nothing (`none`).
    None,
    /// Only errors (`error`).
    Error,
    /// Warnings and errors (`warn`, the default): lost spans, slow calls.
    #[default]
    Warn,
    /// Also what tracekit set up (`info`).
    Info,
    /// Everything (`debug`).
    Debug,
}

impl LogLevel {
    /// The names `OTEL_LOG_LEVEL` accepts.
    pub(crate) const NAMES: [(&'static str, LogLevel); 5] = [
        ("debug", LogLevel::Debug),
        ("info", LogLevel::Info),
        ("warn", LogLevel::Warn),
        ("error", LogLevel::Error),
        ("none", LogLevel::None),
    ];
    pub(crate) const EXPECTED: &'static str = "one of debug, info, warn, error, none";

    fn label(self) -> &'static str {
        match self {
            LogLevel::None => "",
            LogLevel::Error => "ERROR",
            LogLevel::Warn => "WARN",
            LogLevel::Info => "INFO",
            LogLevel::Debug => "DEBUG",
        }
    }
}

/// The level in force; `UNSET` until it is set or first read from the environment.
static LEVEL: AtomicU8 = AtomicU8::new(UNSET);
const UNSET: u8 = u8::MAX;

/// Uses `level` from now on (set by an installation that names one).
pub(crate) fn set_level(level: LogLevel) {
    LEVEL.store(level as u8, Ordering::Relaxed);
}

fn level() -> LogLevel {
    let stored = LEVEL.load(Ordering::Relaxed);
    if let Some((_, level)) = LogLevel::NAMES.iter().find(|(_, level)| *level as u8 == stored) {
        return *level;
    }
    // A message before any installation (a threshold warning without
    // `init`): the environment decides, and a bad value is said once.
    let value = std::env::var("OTEL_LOG_LEVEL").ok();
    let level = match value.as_deref().map(str::trim).filter(|value| !value.is_empty()) {
        None => LogLevel::Warn,
        Some(name) => match LogLevel::NAMES.iter().find(|(known, _)| known.eq_ignore_ascii_case(name)) {
            Some((_, level)) => *level,
            None => {
                let line = format!("OTEL_LOG_LEVEL={name:?} is not valid: expected {}; using warn", LogLevel::EXPECTED);
                print_line(LogLevel::Warn, "tracekit", &line);
                LogLevel::Warn
            }
        },
    };
    set_level(level);
    level
}

/// Where a message of `level` goes, if anywhere: checked before the message is formatted.
pub(crate) fn destination(level: LogLevel) -> Option<Destination> {
    if level == LogLevel::None || level > self::level() {
        return None;
    }
    let listened = tracing::dispatcher::get_default(|dispatch| !dispatch.is::<tracing::subscriber::NoSubscriber>());
    Some(if listened { Destination::Tracing } else { Destination::Stderr })
}

/// Where a message goes: see [`destination`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Destination {
    /// A `tracing` subscriber is installed: an event, with its fields.
    Tracing,
    /// None is: one line on stderr.
    Stderr,
}

/// One readable line on stderr, as `tracing-subscriber` would print it:
/// `WARN tracekit::export: 12 spans lost ...`. A failed write is ignored:
/// the program goes on.
pub(crate) fn print_line(level: LogLevel, target: &str, message: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{} {target}: {message}", level.label());
}

/// Says `message` through `tracing` (`event` emits it with its fields) or on
/// stderr, as [`destination`] decides.
#[cfg(feature = "pipeline")]
pub(crate) fn say(level: LogLevel, target: &str, message: impl FnOnce() -> String, event: impl FnOnce(&str)) {
    match destination(level) {
        Some(Destination::Tracing) => event(&message()),
        Some(Destination::Stderr) => print_line(level, target, &message()),
        None => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_level_shows_itself_and_what_is_more_severe() {
        set_level(LogLevel::Warn);
        assert!(destination(LogLevel::Error).is_some());
        assert!(destination(LogLevel::Warn).is_some());
        assert!(destination(LogLevel::Info).is_none());
        set_level(LogLevel::None);
        assert!(destination(LogLevel::Error).is_none());
        set_level(LogLevel::Warn);
    }

    #[test]
    fn a_subscriber_takes_the_messages_from_stderr() {
        set_level(LogLevel::Warn);
        assert_eq!(destination(LogLevel::Warn), Some(Destination::Stderr));
        let subscriber = tracing_subscriber::fmt().with_writer(std::io::sink).finish();
        tracing::subscriber::with_default(subscriber, || {
            assert_eq!(destination(LogLevel::Warn), Some(Destination::Tracing));
        });
    }
}
