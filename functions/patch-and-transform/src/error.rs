//! Errors as upstream reports them: a chain of contexts joined with ": ", plus whether the root
//! cause is a missing field (upstream's `fieldpath.IsNotFound`), which patch policies act on.

use std::fmt;

/// An error message chain and whether it started as "not found".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    message: String,
    is_not_found: bool,
}

/// Results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An error that is not a missing field.
    pub fn new(message: impl Into<String>) -> Error {
        Error {
            message: message.into(),
            is_not_found: false,
        }
    }

    /// A missing field or element: patch policies skip these instead of failing.
    pub fn not_found(message: impl Into<String>) -> Error {
        Error {
            message: message.into(),
            is_not_found: true,
        }
    }

    /// `context: self`, keeping whether the cause is a missing field.
    #[must_use]
    pub fn wrap(self, context: impl fmt::Display) -> Error {
        Error {
            message: format!("{context}: {}", self.message),
            is_not_found: self.is_not_found,
        }
    }

    /// Whether the root cause is a missing field.
    pub fn is_not_found(&self) -> bool {
        self.is_not_found
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_keeps_not_found() {
        let error = Error::not_found("spec.a: no such field").wrap("patch at index 0");
        assert_eq!(error.to_string(), "patch at index 0: spec.a: no such field");
        assert!(error.is_not_found());
        assert!(!Error::new("x").wrap("y").is_not_found());
    }
}
