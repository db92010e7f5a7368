//! A symbol index: the answers of an image's DWARF, precomputed and memory-mapped.
//!
//! A KDK kernel's dSYM holds hundreds of MB of DWARF; answering an address from it means
//! parsing the unit's line program and every function DIE of the unit first. An index holds,
//! for every address range on which the answer is constant, the answer itself: the chain of
//! frames (function, file, line, column), innermost first, exactly as [`crate::Symbolizer`]
//! would give it from DWARF. A lookup is then one binary search over a memory map.
//!
//! - Format: [`format`] (header, checksums, tables); built by `build` (by probing addr2line
//!   at every address where its answer can change, so answers are identical by construction);
//!   read by [`SymbolIndex`].
//! - Keyed by LC_UUID, in a cache folder the caller names ([`IndexOptions::cache_dir`]); the
//!   library reads no environment (the `kpanic` binary picks `$KPANIC_CACHE` or the platform
//!   cache folder).
//! - Validated on open: magic, format version, kpanic version, size, table offsets, header
//!   checksum, UUID, and a fingerprint of the DWARF it was built from. A stale or damaged index
//!   is never used: it is rebuilt ([`IndexMode::Build`]) or ignored.
//! - Addresses the DWARF does not cover are recorded as such: the symbol-table fallback and the
//!   unresolved reasons stay with [`crate::Symbolizer`], shared by both paths.

pub(crate) mod build;
mod format;
mod read;

pub use build::ProgressFn;
pub use read::{IndexStats, SymbolIndex};

use crate::macho::MachOSlice;
use crate::Uuid;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

/// Why an index cannot be used or built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IndexError {
    /// The index file cannot be read or written.
    #[error("{}: {what}", path.display())]
    Io {
        /// The index file.
        path: PathBuf,
        /// What the system said.
        what: String,
    },
    /// Truncated, overwritten, or not an index at all.
    #[error("damaged index: {0}")]
    Damaged(String),
    /// Another format or kpanic version, another UUID, other DWARF.
    #[error("stale index: {0}")]
    Stale(String),
    /// The DWARF cannot be indexed (no UUID, unreadable units).
    #[error("cannot index this DWARF: {0}")]
    Build(String),
}

/// When to use an index.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum IndexMode {
    /// Never: always read DWARF.
    Off,
    /// Use a valid index from the cache when there is one (the default).
    #[default]
    UseExisting,
    /// Use one, and build it (or rebuild a stale or damaged one) when there is none.
    Build,
    /// Build it anew even when a valid one exists.
    Rebuild,
}

/// A progress callback, `(done, total)`.
#[derive(Clone)]
pub struct Progress(pub Arc<ProgressFn>);

impl fmt::Debug for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Progress")
    }
}

/// How a [`crate::Symbolizer`] uses indexes.
#[derive(Debug, Clone, Default)]
pub struct IndexOptions {
    /// When to use (or build) an index.
    pub mode: IndexMode,
    /// The cache folder; `None`: no index is used or built.
    pub cache_dir: Option<PathBuf>,
    /// Told how a build advances (a progress bar).
    pub progress: Option<Progress>,
}

impl IndexOptions {
    /// Never use an index: DWARF answers.
    pub fn off() -> Self {
        IndexOptions {
            mode: IndexMode::Off,
            ..Default::default()
        }
    }
}

/// What happened with the index of a symbol file.
#[derive(Debug, Clone, PartialEq)]
pub enum IndexStatus {
    /// Off, or nothing to index (no DWARF, no UUID, no cache folder).
    NotUsed,
    /// None in the cache, and not asked to build one.
    Missing {
        /// Where it would be.
        path: PathBuf,
    },
    /// A valid index answers.
    Used {
        /// The index file.
        path: PathBuf,
    },
    /// Built now, and it answers.
    Built {
        /// The index file.
        path: PathBuf,
        /// How long building took.
        seconds: f64,
    },
    /// Found but stale or damaged, and not asked to rebuild it: DWARF answers.
    Rejected {
        /// The index file.
        path: PathBuf,
        /// What is wrong with it.
        why: String,
    },
    /// Could not build or write one: DWARF answers.
    Failed {
        /// What went wrong.
        why: String,
    },
}

/// Where the index of `uuid` lives in `cache_dir`.
pub fn index_path(cache_dir: &Path, uuid: Uuid) -> PathBuf {
    cache_dir.join("index").join(format!("{uuid}.kpidx"))
}

/// Can indexes be written into `cache_dir`? (Creates it.)
pub fn check_writable(cache_dir: &Path) -> Result<(), String> {
    let dir = cache_dir.join("index");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let probe = dir.join(format!(".write-test-{}", std::process::id()));
    std::fs::write(&probe, b"").map_err(|e| format!("{}: {e}", dir.display()))?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

/// What an index is built from: the name, size and offset of every `__DWARF` section, and
/// their first and last 4 KiB. Cheap (a few pages), and it tells a rebuilt dSYM that kept its
/// UUID from the one the index was made of.
pub(crate) fn fingerprint(image: &MachOSlice) -> u64 {
    let mut buf = Vec::new();
    for s in image.sections().iter().filter(|s| s.segname == "__DWARF") {
        buf.extend_from_slice(s.sectname.as_bytes());
        buf.extend_from_slice(&s.size.to_le_bytes());
        buf.extend_from_slice(&s.offset.to_le_bytes());
        if let Some((bytes, start, len)) = image.file_range(u64::from(s.offset), s.size) {
            let sect = &bytes[start..start + len];
            buf.extend_from_slice(&sect[..len.min(4096)]);
            buf.extend_from_slice(&sect[len.saturating_sub(4096)..]);
        }
    }
    format::checksum(&buf)
}

/// Build the index of `debug`'s DWARF and return the file bytes (not written anywhere).
pub fn build_index_bytes(
    debug: &MachOSlice,
    progress: Option<&ProgressFn>,
) -> Result<Vec<u8>, IndexError> {
    let uuid = debug
        .uuid()
        .ok_or_else(|| IndexError::Build("the image has no LC_UUID".into()))?;
    build::build(debug, uuid, fingerprint(debug), progress)
}

/// Rewrites the length field and the checksums of index `bytes` to match them, so that
/// damaged tables get past [`SymbolIndex::open`]'s header checks and reach the table readers.
/// `data_too` also reseals the data checksum ([`SymbolIndex::verify`]). For fuzzing and tests:
/// a file that was damaged after it was written is refused at open; these are the damages that
/// the checksums would not catch.
#[doc(hidden)]
pub fn reseal_for_tests(bytes: &mut [u8], data_too: bool) {
    use format::{checksum, u32_at, DIR_ENTRY_LEN, HEADER_LEN};
    let len = bytes.len() as u64;
    if bytes.len() < HEADER_LEN {
        return;
    }
    bytes[48..56].copy_from_slice(&len.to_le_bytes());
    let ntables = u32_at(bytes, 72).unwrap_or(0) as usize;
    let dir_end = HEADER_LEN + ntables.min(64) * DIR_ENTRY_LEN;
    if dir_end > bytes.len() {
        return;
    }
    if data_too {
        let data = checksum(&bytes[dir_end..]);
        bytes[80..88].copy_from_slice(&data.to_le_bytes());
    }
    bytes[88..96].fill(0);
    let head = checksum(&bytes[..dir_end]);
    bytes[88..96].copy_from_slice(&head.to_le_bytes());
}

/// Write `bytes` to `path` atomically (a temporary file renamed into place).
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, bytes).map_err(|e| format!("{}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        format!("{}: {e}", path.display())
    })
}

/// The index for the DWARF of `debug` under `opts`: opened, or built and written, or none
/// (with the reason).
pub(crate) fn obtain(
    debug: &MachOSlice,
    opts: &IndexOptions,
) -> (Option<SymbolIndex>, IndexStatus) {
    if opts.mode == IndexMode::Off || !crate::dwarf::has_debug_info(debug) {
        return (None, IndexStatus::NotUsed);
    }
    let (Some(uuid), Some(dir)) = (debug.uuid(), opts.cache_dir.clone()) else {
        return (None, IndexStatus::NotUsed);
    };
    let path = index_path(&dir, uuid);
    let fp = fingerprint(debug);
    let mut rejected = None;
    if opts.mode != IndexMode::Rebuild && path.exists() {
        match SymbolIndex::open(&path, uuid, Some(fp)) {
            Ok(ix) => return (Some(ix), IndexStatus::Used { path }),
            Err(e) => rejected = Some(e.to_string()),
        }
    }
    if opts.mode == IndexMode::UseExisting {
        return match rejected {
            Some(why) => (None, IndexStatus::Rejected { path, why }),
            None => (None, IndexStatus::Missing { path }),
        };
    }
    let t = Instant::now();
    let progress = opts.progress.as_ref().map(|p| &*p.0);
    let built = build::build(debug, uuid, fp, progress)
        .map_err(|e| e.to_string())
        .and_then(|bytes| write_atomic(&path, &bytes))
        .and_then(|()| SymbolIndex::open(&path, uuid, Some(fp)).map_err(|e| e.to_string()));
    match built {
        Ok(ix) => (
            Some(ix),
            IndexStatus::Built {
                path,
                seconds: t.elapsed().as_secs_f64(),
            },
        ),
        Err(why) => (None, IndexStatus::Failed { why }),
    }
}

#[cfg(test)]
mod tests;
