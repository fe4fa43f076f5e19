//! Reading configuration variables into typed values. Every failure names the
//! variable, the value and what is accepted.

use crate::error::ConfigError;

/// A source of variables: the process environment, or a map in tests.
pub(crate) struct Vars<'a> {
    lookup: &'a dyn Fn(&str) -> Option<String>,
}

impl<'a> Vars<'a> {
    pub(crate) fn new(lookup: &'a dyn Fn(&str) -> Option<String>) -> Self {
        Vars { lookup }
    }

    /// The value of `variable`, trimmed; unset and empty are the same.
    pub(crate) fn get(&self, variable: &str) -> Option<String> {
        (self.lookup)(variable).map(|value| value.trim().to_owned()).filter(|value| !value.is_empty())
    }

    /// Parses `variable` with `parse`; `None` when unset.
    pub(crate) fn parse<T>(
        &self,
        variable: &'static str,
        expected: &'static str,
        parse: impl Fn(&str) -> Option<T>,
    ) -> Result<Option<T>, ConfigError> {
        self.get(variable)
            .map(|value| parse(&value).ok_or(ConfigError::InvalidValue { variable, value, expected }))
            .transpose()
    }

    /// Parses `variable` as one of `choices`, matched without regard to case.
    pub(crate) fn choice<T: Copy>(
        &self,
        variable: &'static str,
        expected: &'static str,
        choices: &[(&str, T)],
    ) -> Result<Option<T>, ConfigError> {
        self.parse(variable, expected, |value| {
            choices.iter().find(|(name, _)| name.eq_ignore_ascii_case(value)).map(|(_, choice)| *choice)
        })
    }

    /// A comma-separated list of `choices`, each at most once, or `none`
    /// alone (an empty list); `None` when unset.
    pub(crate) fn list<T: Copy>(
        &self,
        variable: &'static str,
        expected: &'static str,
        choices: &[(&str, T)],
    ) -> Result<Option<Vec<T>>, ConfigError> {
        self.parse(variable, expected, |value| {
            let names: Vec<&str> = value.split(',').map(str::trim).collect();
            if names.len() == 1 && names[0].eq_ignore_ascii_case("none") {
                return Some(Vec::new());
            }
            let mut seen: Vec<usize> = Vec::new();
            for name in &names {
                let index = choices.iter().position(|(known, _)| known.eq_ignore_ascii_case(name))?;
                if seen.contains(&index) {
                    return None;
                }
                seen.push(index);
            }
            Some(seen.into_iter().map(|index| choices[index].1).collect())
        })
    }

    /// A whole number, such as a count or a number of milliseconds.
    pub(crate) fn number<T: std::str::FromStr>(
        &self,
        variable: &'static str,
        expected: &'static str,
    ) -> Result<Option<T>, ConfigError> {
        self.parse(variable, expected, |value| value.parse().ok())
    }

    /// A duration written as whole milliseconds.
    pub(crate) fn millis(&self, variable: &'static str) -> Result<Option<std::time::Duration>, ConfigError> {
        Ok(self.number(variable, "a whole number of milliseconds")?.map(std::time::Duration::from_millis))
    }

    pub(crate) fn flag(&self, variable: &'static str) -> Result<Option<bool>, ConfigError> {
        const FLAGS: [(&str, bool); 8] = [
            ("true", true),
            ("1", true),
            ("yes", true),
            ("on", true),
            ("false", false),
            ("0", false),
            ("no", false),
            ("off", false),
        ];
        self.choice(variable, "true, false, 1, 0, yes, no, on or off", &FLAGS)
    }
}

/// The process environment. A value that is not UTF-8 is kept (lossily) so
/// that the error can show it, rather than being mistaken for "unset".
pub(crate) fn process_env(variable: &str) -> Option<String> {
    std::env::var_os(variable).map(|value| value.to_string_lossy().into_owned())
}
