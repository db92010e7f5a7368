//! The disk cache of downloaded debug files: one file per UUID, a marker per (UUID, store) for
//! "not there" answers, and a size limit kept by removing the least recently used files.
//!
//! Files are named by UUID and checked against it before they are kept, so a cached file is
//! valid whichever store it came from; "not there" depends on the store, so its marker names
//! the store (by a hash of its URL) and expires.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use kpanic_symbols::Uuid;
use sha2::{Digest, Sha256};

use crate::error::StoreError;
use crate::layout::lower_hex;

/// The cache folder and its limits.
#[derive(Debug)]
pub struct DiskCache {
    dir: PathBuf,
    limit: u64,
    negative_ttl: Duration,
}

static TEMP_SEQ: AtomicU64 = AtomicU64::new(0);

impl DiskCache {
    /// A cache in `dir` (created on first write) holding at most `limit` bytes of debug files.
    pub fn new(dir: PathBuf, limit: u64, negative_ttl: Duration) -> DiskCache {
        DiskCache {
            dir,
            limit,
            negative_ttl,
        }
    }

    /// The cached debug file of `uuid`, marked as just used.
    pub fn get(&self, uuid: Uuid) -> Option<PathBuf> {
        let path = self.dir.join(lower_hex(uuid));
        if !path.is_file() {
            return None;
        }
        // The access time is not kept on many mounts (noatime): the modification time is
        // what eviction reads, so a hit moves it forward.
        if let Ok(f) = fs::File::options().append(true).open(&path) {
            let _ = f.set_modified(SystemTime::now());
        }
        Some(path)
    }

    /// True when `store` said recently that it has no file for `uuid`.
    pub fn is_missing(&self, store: &str, uuid: Uuid) -> bool {
        let marker = self.marker(store, uuid);
        let Ok(meta) = fs::metadata(&marker) else {
            return false;
        };
        let age = meta
            .modified()
            .ok()
            .and_then(|m| SystemTime::now().duration_since(m).ok());
        age.is_some_and(|a| a < self.negative_ttl)
    }

    /// Remembers that `store` has no file for `uuid`. Best effort: a cache that cannot be
    /// written only means asking again next run.
    pub fn set_missing(&self, store: &str, uuid: Uuid) {
        let marker = self.marker(store, uuid);
        if let Some(parent) = marker.parent() {
            let _ = fs::create_dir_all(parent);
        }
        let _ = fs::write(&marker, store.as_bytes());
    }

    /// A new temporary file in the cache folder, for a download to be [`Self::keep`]t.
    pub fn temp_file(&self) -> Result<(PathBuf, fs::File), StoreError> {
        let tmp = self.dir.join("tmp");
        fs::create_dir_all(&tmp).map_err(|e| cache_error(&tmp, e))?;
        let path = tmp.join(format!(
            "{}-{}",
            std::process::id(),
            TEMP_SEQ.fetch_add(1, Ordering::Relaxed)
        ));
        let file = fs::File::create(&path).map_err(|e| cache_error(&path, e))?;
        Ok((path, file))
    }

    /// Moves a downloaded (and UUID-checked) file into place, then trims the cache to its
    /// limit, never removing the file just kept.
    pub fn keep(&self, uuid: Uuid, temp: &Path) -> Result<PathBuf, StoreError> {
        let path = self.dir.join(lower_hex(uuid));
        fs::rename(temp, &path).map_err(|e| cache_error(&path, e))?;
        self.trim(&path);
        Ok(path)
    }

    fn marker(&self, store: &str, uuid: Uuid) -> PathBuf {
        let hash = Sha256::digest(store.as_bytes());
        let short: String = hash[..8].iter().map(|b| format!("{b:02x}")).collect();
        self.dir
            .join("missing")
            .join(format!("{}-{short}", lower_hex(uuid)))
    }

    /// Removes the least recently used debug files until the cache fits its limit.
    fn trim(&self, keep: &Path) {
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return;
        };
        let mut files: Vec<(SystemTime, u64, PathBuf)> = entries
            .flatten()
            .filter_map(|e| {
                let meta = e.metadata().ok()?;
                meta.is_file().then(|| {
                    let used = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
                    (used, meta.len(), e.path())
                })
            })
            .collect();
        let mut total: u64 = files.iter().map(|f| f.1).sum();
        files.sort();
        for (_, len, path) in files {
            if total <= self.limit {
                break;
            }
            if path == keep {
                continue;
            }
            if fs::remove_file(&path).is_ok() {
                total -= len;
            }
        }
    }
}

/// A cache write error naming the file.
pub fn cache_error(path: &Path, e: std::io::Error) -> StoreError {
    StoreError::Cache {
        path: path.to_path_buf(),
        why: e.to_string(),
    }
}
