//! Errors in the step's configuration (the `Module` input's `config`), named by field path.

use std::fmt;

/// A problem at a field of the step's configuration, shown as `config.<path>: <problem>`:
/// the form in which a user finds the field in their Composition.
///
/// # Examples
/// ```
/// let error = xfn_sdk::ConfigError::at("rules[0].jsonPath", "is empty; write a path such as .status.ready");
/// assert_eq!(error.to_string(), "config.rules[0].jsonPath: is empty; write a path such as .status.ready");
/// assert_eq!(xfn_sdk::ConfigError::at("", "must be an object").to_string(), "config: must be an object");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    /// The field path inside `config`, e.g. `rules[0].jsonPath`; empty for `config` itself.
    pub path: String,
    /// What is wrong and what to do.
    pub problem: String,
}

impl ConfigError {
    /// A problem at `path` inside `config`.
    pub fn at(path: impl Into<String>, problem: impl Into<String>) -> ConfigError {
        ConfigError {
            path: path.into(),
            problem: problem.into(),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "config: {}", self.problem)
        } else {
            write!(f, "config.{}: {}", self.path, self.problem)
        }
    }
}

impl std::error::Error for ConfigError {}
