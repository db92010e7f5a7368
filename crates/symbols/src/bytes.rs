//! The bytes of one opened file, shared by every reader that looks into it.
//!
//! A KDK kernel dSYM carries hundreds of MB of DWARF, so files are memory-mapped and never
//! copied: Mach-O parsing, symbol tables and gimli readers all borrow from one [`FileBytes`]
//! kept alive by an `Arc`. That `Arc` is what lets a `Symbolizer` own both the mapping and the
//! addr2line context that reads from it without a self-referential struct: every gimli reader
//! holds its own clone of the `Arc`.

use memmap2::Mmap;
use std::fmt;
use std::fs::File;
use std::io;
use std::ops::Deref;
use std::path::Path;
use std::sync::Arc;

enum Backing {
    Mmap(Mmap),
    Owned(Box<[u8]>),
}

/// Shared, immutable file contents (a memory map, or owned bytes for tests and stdin).
#[derive(Clone)]
pub struct FileBytes(Arc<Backing>);

impl FileBytes {
    /// Map `path` read-only.
    pub fn map(path: &Path) -> io::Result<Self> {
        let file = File::open(path)?;
        let len = file.metadata()?.len();
        if len == 0 {
            // Mapping an empty file fails on some platforms; nothing to share anyway.
            return Ok(Self::from_vec(Vec::new()));
        }
        // SAFETY: the map is read-only and private to this process. The remaining hazard of any
        // mmap is another process truncating or rewriting the file while we read it; symbol
        // files (KDKs, dSYMs) are not modified in place, and we accept that risk for the zero-copy
        // reads a multi-hundred-MB DWARF file needs. Every read below is bounds-checked against
        // the length captured here.
        let map = unsafe { Mmap::map(&file)? };
        Ok(Self(Arc::new(Backing::Mmap(map))))
    }

    /// Wrap bytes already in memory.
    pub fn from_vec(v: Vec<u8>) -> Self {
        Self(Arc::new(Backing::Owned(v.into_boxed_slice())))
    }
}

impl Deref for FileBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match &*self.0 {
            Backing::Mmap(m) => m,
            Backing::Owned(b) => b,
        }
    }
}

impl fmt::Debug for FileBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FileBytes({} bytes)", self.len())
    }
}

// SAFETY: `deref` returns the same address for the life of the `Backing` (an mmap never moves;
// a boxed slice never reallocates because it is immutable), and every clone shares the same
// `Backing` through the `Arc`. That is exactly the contract of StableDeref/CloneStableDeref
// that gimli's `EndianReader` relies on.
unsafe impl gimli::StableDeref for FileBytes {}
unsafe impl gimli::CloneStableDeref for FileBytes {}
