//! A file or directory that could not be read or written, said the same way by every command.

use std::path::PathBuf;

/// Reading or writing `path` failed; the message names the path, the source says why.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// The file or directory cannot be read.
    #[error("cannot read {}", path.display())]
    Read {
        /// The file or directory.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file cannot be written (or a temporary directory created).
    #[error("cannot write {}", path.display())]
    Write {
        /// The file or directory.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

impl FileError {
    /// A [`FileError::Read`] for `path`, for `map_err`.
    pub(crate) fn read(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> FileError {
        let path = path.into();
        move |source| FileError::Read { path, source }
    }

    /// A [`FileError::Write`] for `path`, for `map_err`.
    pub(crate) fn write(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> FileError {
        let path = path.into();
        move |source| FileError::Write { path, source }
    }
}
