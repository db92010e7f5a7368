//! Errors of the symbol library: each names the file and what is wrong with it.

use crate::{Arch, Uuid};
use std::path::PathBuf;

/// Why a symbol file cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The file cannot be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },

    /// Not a Mach-O file at all (wrong magic, too short).
    #[error("{}: not a Mach-O file ({what})", path.display())]
    NotMachO {
        /// The file.
        path: PathBuf,
        /// What was found instead.
        what: String,
    },

    /// A Mach-O whose structures contradict themselves or the file size (truncated, lying
    /// counts or sizes, ranges past the end of the file or of the address space).
    #[error("{}: malformed Mach-O: {what}", path.display())]
    Malformed {
        /// The file.
        path: PathBuf,
        /// Which structure is wrong, and how.
        what: String,
    },

    /// A valid Mach-O of a kind not read here (32-bit, big-endian).
    #[error("{}: unsupported Mach-O: {what}", path.display())]
    Unsupported {
        /// The file.
        path: PathBuf,
        /// What kind it is.
        what: String,
    },

    /// The selector asked for an architecture the file lacks.
    #[error("{}: no {arch} slice (the file has: {available})", path.display())]
    ArchNotFound {
        /// The file.
        path: PathBuf,
        /// The architecture asked for.
        arch: Arch,
        /// The file's architectures, comma-separated.
        available: String,
    },

    /// The selector asked for a UUID no slice has.
    #[error("{}: no slice with UUID {uuid} (the file has: {available})", path.display())]
    UuidNotFound {
        /// The file.
        path: PathBuf,
        /// The UUID asked for.
        uuid: Uuid,
        /// The slices' architectures and UUIDs, comma-separated.
        available: String,
    },

    /// A universal file with several slices and no selector to choose.
    #[error("{}: universal file with several architectures ({available}); choose one with --arch", path.display())]
    AmbiguousArch {
        /// The file.
        path: PathBuf,
        /// The file's architectures, comma-separated.
        available: String,
    },

    /// A `.dSYM` folder without its DWARF file.
    #[error("{}: dSYM bundle holds no DWARF file under Contents/Resources/DWARF", path.display())]
    EmptyDsym {
        /// The bundle.
        path: PathBuf,
    },

    /// DWARF sections that gimli cannot read.
    #[error("{}: bad DWARF: {what}", path.display())]
    Dwarf {
        /// The file holding the DWARF.
        path: PathBuf,
        /// gimli's complaint.
        what: String,
    },
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
