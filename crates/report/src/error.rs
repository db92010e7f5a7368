//! Why a file could not be turned into a report.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    #[error("the input is empty")]
    Empty,
    #[error("the input is binary data, not a panic log ({reason})")]
    Binary { reason: String },
    #[error("not a kernel panic: {reason}")]
    NotAPanic { reason: String },
    #[error("not a kernel panic: .ips bug_type {bug_type} (panics are 210, forceReset 151)")]
    NotAPanicBugType { bug_type: String },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A parse error of a file, with the file's name.
    #[error("{}: {source}", path.display())]
    InFile {
        path: PathBuf,
        #[source]
        source: Box<ParseError>,
    },
}
