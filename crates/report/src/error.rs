//! Why a file could not be turned into a report.

use std::path::PathBuf;

/// Why [`parse`](crate::parse) gave no report.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    /// The input has no bytes, or only whitespace.
    #[error("the input is empty")]
    Empty,
    /// The input looks like binary data (NUL bytes, or too many bytes that are not text).
    #[error("the input is binary data, not a panic log ({reason})")]
    Binary {
        /// What was seen (how many NUL or non-text bytes).
        reason: String,
    },
    /// Text that is not a kernel panic (no `panic(` line, no panic `.ips` body).
    #[error("not a kernel panic: {reason}")]
    NotAPanic {
        /// Why the input was judged not to be a panic.
        reason: String,
    },
    /// An `.ips` file whose `bug_type` is not a panic (210) or a forced reset (151).
    #[error("not a kernel panic: .ips bug_type {bug_type} (panics are 210, forceReset 151)")]
    NotAPanicBugType {
        /// The header's `bug_type` as printed (`309` is an app crash).
        bug_type: String,
    },
    /// The file could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A parse error of a file, with the file's name.
    #[error("{}: {source}", path.display())]
    InFile {
        /// The file.
        path: PathBuf,
        /// What went wrong with its content.
        #[source]
        source: Box<ParseError>,
    },
}
