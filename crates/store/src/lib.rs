//! Symbol stores: where people keep debug files, asked by Mach-O UUID.
//!
//! A store is a local folder ([`FolderStore`]), an HTTP(S) symbol server or S3-compatible
//! object storage, each in one of the [`Layout`]s (Sentry's `unified` and `native`, the LLDB
//! file-mapped UUID folders that `dsymForUUID` uses), or — a folder only — just holding dSYMs.
//! On macOS, Spotlight is asked too, as lldb does. Remote answers are downloaded into a disk
//! cache with a size limit, "not there" answers are remembered for a while, and every file is
//! checked to carry the UUID asked for before it is returned.
//!
//! docs/symbol-stores.md describes the layouts, URL forms and cache for users.
#![warn(missing_docs)]

mod cache;
mod error;
mod folder;
mod http;
mod layout;
mod s3;
mod spec;
#[cfg_attr(not(target_os = "macos"), allow(dead_code))]
mod spotlight;
mod verify;

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use kpanic_symbols::Uuid;

pub use cache::DiskCache;
pub use error::StoreError;
pub use folder::FolderStore;
pub use http::HttpStore;
pub use layout::{keys, Kind, Layout};
pub use s3::S3Store;
pub use spec::{Header, StoreSpec, StoreUrl};
pub use verify::has_uuid;

/// How stores are asked and their answers kept.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// The cache folder (`<kpanic cache>/stores` for the CLI).
    pub cache_dir: PathBuf,
    /// At most this many bytes of debug files in the cache; the least recently used go first.
    pub cache_limit: u64,
    /// How long a "not there" answer is believed.
    pub negative_ttl: Duration,
    /// Time to connect to a server.
    pub connect_timeout: Duration,
    /// Time for a server to start answering a request.
    pub timeout: Duration,
    /// Time a download may stall (HTTP: between reads; S3: the whole request).
    pub download_timeout: Duration,
    /// Further attempts after a connection error or a 5xx answer.
    pub retries: u32,
    /// The largest file downloaded.
    pub max_download: u64,
    /// Ask Spotlight for dSYMs (macOS only; ignored elsewhere). Off by default: the library
    /// starts no process unless asked to (the CLI turns it on on macOS).
    pub spotlight: bool,
}

impl Default for StoreOptions {
    /// [`StoreOptions::new`] with the cache in the system's temporary folder.
    fn default() -> StoreOptions {
        StoreOptions::new(std::env::temp_dir().join("kpanic-symbol-stores"))
    }
}

impl StoreOptions {
    /// The defaults, with the cache in `cache_dir`: 4 GiB of cache, "not there" believed for a
    /// day, 10 s to connect, 30 s to answer, 60 s of stall, 2 retries, 2 GiB per file, no
    /// Spotlight.
    pub fn new(cache_dir: PathBuf) -> StoreOptions {
        StoreOptions {
            cache_dir,
            cache_limit: 4 << 30,
            negative_ttl: Duration::from_secs(24 * 3600),
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            download_timeout: Duration::from_secs(60),
            retries: 2,
            max_download: 2 << 30,
            spotlight: false,
        }
    }
}

/// One opened store.
#[derive(Debug)]
enum Store {
    Folder(FolderStore),
    Http(HttpStore),
    S3(S3Store),
}

/// The stores of one run, asked in order.
#[derive(Debug)]
pub struct SymbolStores {
    stores: Vec<(String, Result<Store, StoreError>)>,
    cache: DiskCache,
    spotlight: bool,
    /// Per store: whether it has failed (then it is not asked again this run).
    failed: Mutex<Vec<bool>>,
    /// Failures not yet handed out by [`Self::take_warnings`].
    warnings: Mutex<Vec<String>>,
}

impl SymbolStores {
    /// Opens the stores (a store that cannot be opened is a warning, the others are used).
    pub fn new(specs: &[StoreSpec], opts: &StoreOptions) -> SymbolStores {
        let stores: Vec<_> = specs
            .iter()
            .map(|s| (s.url.clone(), open(s, opts)))
            .collect();
        let warnings = stores
            .iter()
            .filter_map(|(_, s)| s.as_ref().err().map(|e| format!("symbol store {e}")))
            .collect();
        let failed = stores.iter().map(|(_, s)| s.is_err()).collect();
        SymbolStores {
            stores,
            cache: DiskCache::new(opts.cache_dir.clone(), opts.cache_limit, opts.negative_ttl),
            spotlight: opts.spotlight && cfg!(target_os = "macos"),
            failed: Mutex::new(failed),
            warnings: Mutex::new(warnings),
        }
    }

    /// True when there is nothing to ask.
    pub fn is_empty(&self) -> bool {
        self.stores.is_empty() && !self.spotlight
    }

    /// The debug file of `uuid`: a local path, in a folder store or in the cache. `None` when
    /// no store has it or none could be asked; a store that fails is said once in
    /// [`Self::take_warnings`] and not asked again.
    pub fn find(&self, uuid: Uuid) -> Option<PathBuf> {
        if let Some(hit) = self.cache.get(uuid) {
            return Some(hit);
        }
        for (i, (url, store)) in self.stores.iter().enumerate() {
            let Ok(store) = store else { continue };
            if self.failed.lock().unwrap_or_else(|e| e.into_inner())[i] {
                continue;
            }
            let answer = match store {
                Store::Folder(f) => Ok(f.find(uuid)),
                Store::Http(_) | Store::S3(_) => self.download(url, store, uuid),
            };
            match answer {
                Ok(Some(path)) => return Some(path),
                Ok(None) => {}
                Err(e) => {
                    self.failed.lock().unwrap_or_else(|e| e.into_inner())[i] = true;
                    self.warnings
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push(format!("symbol store {e}"));
                }
            }
        }
        if self.spotlight {
            return spotlight::find(uuid);
        }
        None
    }

    /// Problems met since the last call: each store that could not be opened or asked, once.
    pub fn take_warnings(&self) -> Vec<String> {
        std::mem::take(&mut *self.warnings.lock().unwrap_or_else(|e| e.into_inner()))
    }

    fn download(
        &self,
        url: &str,
        store: &Store,
        uuid: Uuid,
    ) -> Result<Option<PathBuf>, StoreError> {
        if self.cache.is_missing(url, uuid) {
            return Ok(None);
        }
        for key in keys(uuid) {
            let (temp, mut file) = self.cache.temp_file()?;
            let got = match store {
                Store::Http(h) => h.get(&key, &mut file, &temp),
                Store::S3(s) => s.get(&key, &mut file, &temp),
                Store::Folder(_) => Ok(false),
            };
            drop(file);
            match got {
                Ok(true) if has_uuid(&temp, uuid) => return self.cache.keep(uuid, &temp).map(Some),
                // Another build's file (or not Mach-O) under this key: as good as absent.
                Ok(_) => {
                    let _ = std::fs::remove_file(&temp);
                }
                Err(e) => {
                    let _ = std::fs::remove_file(&temp);
                    return Err(e);
                }
            }
        }
        self.cache.set_missing(url, uuid);
        Ok(None)
    }
}

fn open(spec: &StoreSpec, opts: &StoreOptions) -> Result<Store, StoreError> {
    match &spec.location {
        StoreUrl::Folder(path) => {
            if !path.is_dir() {
                return Err(StoreError::Folder {
                    path: path.clone(),
                    why: "no such folder".to_string(),
                });
            }
            Ok(Store::Folder(FolderStore::new(path.clone())))
        }
        StoreUrl::Http(base) => Ok(Store::Http(HttpStore::new(
            base,
            spec.headers.clone(),
            opts,
        ))),
        StoreUrl::S3 { bucket, prefix } => {
            S3Store::new(&spec.url, bucket, prefix, opts).map(Store::S3)
        }
    }
}
