//! The one error type of the core: what went wrong, where (byte offset), in which file.

use std::fmt;
use std::path::PathBuf;

/// What kind of failure an [`Error`] is.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The file could not be opened or read.
    Io,
    /// The bytes are not the JSON we expected at this point.
    Syntax,
    /// The JSON is well formed but breaks the snapshot format (counts, indices, meta).
    Format,
    /// A query named something that does not exist (node id, index).
    NotFound,
    /// A query needs what the snapshot was opened without (see `Keep`).
    NotKept,
}

/// A failure with enough context to print as one line:
/// `FILE: at byte OFFSET: MESSAGE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub kind: ErrorKind,
    pub file: Option<PathBuf>,
    pub offset: Option<u64>,
    pub message: String,
}

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error { kind, file: None, offset: None, message: message.into() }
    }

    pub fn at(kind: ErrorKind, offset: u64, message: impl Into<String>) -> Error {
        Error { kind, file: None, offset: Some(offset), message: message.into() }
    }

    pub fn with_file(mut self, file: impl Into<PathBuf>) -> Error {
        self.file.get_or_insert_with(|| file.into());
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(file) = &self.file {
            write!(f, "{}: ", file.display())?;
        }
        if let Some(offset) = self.offset {
            write!(f, "at byte {offset}: ")?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;
