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

    /// Gives the pages of `[start, end)` (byte offsets, rounded inwards to 16 KiB, a multiple of
    /// the page size on every supported host) back to the kernel. For a file mapping, the next
    /// read faults the same bytes in again from the page cache: a batch that reads most of a
    /// kernel's DWARF then does not keep all of it resident. Bytes held in memory are left alone
    /// (there, dropping pages would zero them).
    pub(crate) fn release_pages(&self, start: usize, end: usize) {
        const ALIGN: usize = 16 * 1024;
        #[cfg(unix)]
        if let Backing::Mmap(m) = &*self.0 {
            let lo = start.next_multiple_of(ALIGN);
            let hi = end.min(m.len()) / ALIGN * ALIGN;
            if hi > lo {
                // SAFETY: `m` is a read-only shared mapping of a file (`map` above): MADV_DONTNEED
                // drops its pages from this process only and changes no byte a reader sees. The
                // range is inside the mapping and page-aligned from its (page-aligned) start. A
                // failure leaves the pages resident, which is harmless.
                let _ = unsafe {
                    m.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, lo, hi - lo)
                };
            }
        }
        #[cfg(not(unix))]
        let _ = (start, end, ALIGN);
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
