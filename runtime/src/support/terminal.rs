//! Whether tracekit's own output may use colours: on a terminal, and only
//! while `NO_COLOR` is unset.

/// ANSI colours, or none.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Style {
    pub(crate) color: bool,
}

impl Style {
    #[cfg(any(feature = "console", feature = "testing"))]
    pub(crate) const PLAIN: Style = Style { color: false };

    /// Colours when stderr is a terminal and `NO_COLOR` is unset or empty.
    #[cfg(feature = "console")]
    pub(crate) fn for_stderr() -> Style {
        use std::io::IsTerminal;
        Style::decide(std::io::stderr().is_terminal(), std::env::var_os("NO_COLOR"))
    }

    /// Colours when both stdout and stderr are terminals (a log format does
    /// not know which one its subscriber writes to, nor whether it is
    /// redirected) and `NO_COLOR` is unset or empty.
    #[cfg(feature = "logs")]
    pub(crate) fn for_terminal_logs() -> Style {
        use std::io::IsTerminal;
        let terminal = std::io::stdout().is_terminal() && std::io::stderr().is_terminal();
        Style::decide(terminal, std::env::var_os("NO_COLOR"))
    }

    /// <https://no-color.org>: a `NO_COLOR` that is set and not empty turns colours off.
    #[cfg(any(feature = "console", feature = "logs"))]
    fn decide(is_terminal: bool, no_color: Option<std::ffi::OsString>) -> Style {
        let no_color = no_color.is_some_and(|value| !value.is_empty());
        Style { color: is_terminal && !no_color }
    }
}

/// Text painted in a colour, when colours are on.
#[cfg(any(feature = "console", feature = "testing"))]
impl Style {
    fn paint(self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    pub(crate) fn bold(self, text: &str) -> String {
        self.paint("1", text)
    }
    pub(crate) fn dim(self, text: &str) -> String {
        self.paint("2", text)
    }
    pub(crate) fn red(self, text: &str) -> String {
        self.paint("31", text)
    }
    pub(crate) fn green(self, text: &str) -> String {
        self.paint("32", text)
    }
    pub(crate) fn yellow(self, text: &str) -> String {
        self.paint("33", text)
    }
    pub(crate) fn cyan(self, text: &str) -> String {
        self.paint("36", text)
    }
}

#[cfg(all(test, any(feature = "console", feature = "logs")))]
mod tests {
    use super::Style;

    #[test]
    fn colours_only_on_a_terminal_without_no_color() {
        assert!(Style::decide(true, None).color);
        assert!(Style::decide(true, Some("".into())).color, "an empty NO_COLOR does not count");
        assert!(!Style::decide(true, Some("1".into())).color);
        assert!(!Style::decide(false, None).color);
    }
}
