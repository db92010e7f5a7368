//! Errors of the symbol library: each names the file and what is wrong with it.

use crate::{Arch, Uuid};
use std::path::PathBuf;

/// Why a symbol file cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error("{}: not a Mach-O file ({what})", path.display())]
    NotMachO { path: PathBuf, what: String },

    #[error("{}: malformed Mach-O: {what}", path.display())]
    Malformed { path: PathBuf, what: String },

    #[error("{}: unsupported Mach-O: {what}", path.display())]
    Unsupported { path: PathBuf, what: String },

    #[error("{}: no {arch} slice (the file has: {available})", path.display())]
    ArchNotFound {
        path: PathBuf,
        arch: Arch,
        available: String,
    },

    #[error("{}: no slice with UUID {uuid} (the file has: {available})", path.display())]
    UuidNotFound {
        path: PathBuf,
        uuid: Uuid,
        available: String,
    },

    #[error("{}: universal file with several architectures ({available}); choose one with --arch", path.display())]
    AmbiguousArch { path: PathBuf, available: String },

    #[error("{}: dSYM bundle holds no DWARF file under Contents/Resources/DWARF", path.display())]
    EmptyDsym { path: PathBuf },

    #[error("{}: bad DWARF: {what}", path.display())]
    Dwarf { path: PathBuf, what: String },
}

/// A Mach-O parse failure before the file path is known (the readers work on bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ParseError {
    NotMachO(String),
    Malformed(String),
    Unsupported(String),
}

impl ParseError {
    pub(crate) fn at(self, path: impl Into<PathBuf>) -> Error {
        let path = path.into();
        match self {
            ParseError::NotMachO(what) => Error::NotMachO { path, what },
            ParseError::Malformed(what) => Error::Malformed { path, what },
            ParseError::Unsupported(what) => Error::Unsupported { path, what },
        }
    }
}

pub(crate) fn malformed<T>(what: impl Into<String>) -> Result<T, ParseError> {
    Err(ParseError::Malformed(what.into()))
}
