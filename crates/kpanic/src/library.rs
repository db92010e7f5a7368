//! The symbols a user has: Kernel Debug Kits, `--symbols` files and folders, a kernelcache, and
//! symbol stores (asked by UUID only for what the local sources lack).
//!
//! Every image of a panic is looked up here by what the log says of it (the kernel's variant and
//! UUID, a kext's bundle id and UUID, a full panic's image UUID), and every answer is confirmed by
//! LC_UUID: a symbol file for another build would give confident, wrong frames.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use kpanic_symbols::index::check_writable;
use kpanic_symbols::{
    DsymChoice, IndexMode, IndexOptions, MachOFile, SliceSelector, Symbolizer, SymbolizerOptions,
    Uuid,
};

use kpanic_store::{StoreOptions, StoreSpec, SymbolStores};

use crate::kdk::Kdk;
use crate::sources::SourceProblem;
use crate::walk::walk_files;

/// Where to look for symbols.
#[derive(Debug, Clone, Default)]
pub struct SymbolOptions {
    /// `--kdk DIR` (a KDK, or a folder of KDKs).
    pub kdks: Vec<PathBuf>,
    /// `--symbols PATH`: binaries, dSYMs, or folders searched recursively.
    pub symbols: Vec<PathBuf>,
    /// `--kernelcache FILE`: the machine's MH_FILESET kernelcache.
    pub kernelcache: Option<PathBuf>,
    /// Look in `/Library/Developer/KDKs` when no `--kdk` is given (macOS).
    pub system_kdks: bool,
    /// Symbol indexes: used when the cache has one for an image's UUID (the default); with
    /// `IndexMode::Build` (`--index`), built on first use.
    pub index: IndexOptions,
    /// `--symbol-store URL`: asked for an image's UUID when no local source has it.
    pub stores: Vec<StoreSpec>,
    /// How the stores are asked, and where their downloads are cached.
    pub store_options: StoreOptions,
}

pub use crate::unresolved::Unavailable;

/// An opened symbol file, shared by every frame of its image.
pub type Symbols = Arc<Symbolizer>;

/// What `--symbols` holds, by UUID.
#[derive(Debug, Default)]
struct UuidIndex {
    /// Binaries (not dSYMs) with a slice of this UUID.
    binaries: HashMap<Uuid, PathBuf>,
    /// dSYM DWARF files with a slice of this UUID.
    dsyms: HashMap<Uuid, PathBuf>,
}

/// A Kernel Debug Kit's kernels as their load commands give them: what a panic's kernel is
/// compared with when no KDK holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KdkKernels {
    /// The KDK's folder.
    pub root: PathBuf,
    /// The OS build it is for, from its folder name.
    pub build: Option<String>,
    /// Each kernel binary's file name and the UUIDs of its slices, by name.
    pub kernels: Vec<(String, Vec<Uuid>)>,
}

/// (path, UUID, dSYM) of an opened symbol file.
type OpenKey = (PathBuf, Option<Uuid>, Option<PathBuf>);

/// All symbol sources of one run. Opening is lazy and cached: a fleet of panics from one
/// machine opens each symbol file once.
pub struct SymbolLibrary {
    kdks: Vec<Kdk>,
    symbol_paths: Vec<PathBuf>,
    index: OnceLock<UuidIndex>,
    kdk_kext_uuids: OnceLock<HashMap<Uuid, PathBuf>>,
    kdk_kernels: OnceLock<Vec<KdkKernels>>,
    /// Every Mach-O file of `symbol_paths`, found when the paths were checked.
    symbol_files: Vec<PathBuf>,
    kernelcache: Option<Symbols>,
    opened: Mutex<HashMap<OpenKey, Result<Symbols, Unavailable>>>,
    index_options: IndexOptions,
    problems: Vec<SourceProblem>,
    warnings: Vec<String>,
    stores: Option<SymbolStores>,
    /// Stores were named (not only Spotlight, which macOS always asks).
    named_stores: bool,
    /// What the stores answered for each UUID asked, so each is asked once per run.
    store_answers: Mutex<HashMap<Uuid, Option<PathBuf>>>,
}

impl SymbolLibrary {
    /// Opens the KDKs and the kernelcache, and lists the `--symbols` files (opened on first
    /// use). A source that cannot be used (a folder that is not a KDK, a `.dmg`, a kernelcache
    /// that is not one) is a [`Self::problems`] entry: the panic is still symbolicated with what
    /// remains.
    pub fn new(opts: &SymbolOptions) -> SymbolLibrary {
        let mut problems = Vec::new();
        let mut kdks = Vec::new();
        for dir in &opts.kdks {
            match crate::sources::open_kdks(dir) {
                Ok(found) => kdks.extend(found),
                Err(p) => problems.push(p),
            }
        }
        // The system folder is a default, not something the user named: no problem to report.
        if opts.kdks.is_empty() && opts.system_kdks {
            kdks.extend(Kdk::open_all(Path::new(crate::kdk::SYSTEM_KDK_DIR)).unwrap_or_default());
        }
        let mut symbol_files = Vec::new();
        for p in &opts.symbols {
            match crate::sources::symbol_files(p) {
                Ok(files) => symbol_files.extend(files),
                Err(p) => problems.push(p),
            }
        }
        let mut warnings = Vec::new();
        let mut index_options = opts.index.clone();
        if matches!(index_options.mode, IndexMode::Build | IndexMode::Rebuild) {
            // Said once, here, rather than for every image.
            let why = match &index_options.cache_dir {
                Some(dir) => check_writable(dir).err(),
                None => Some("no cache folder (set KPANIC_CACHE)".to_string()),
            };
            if let Some(why) = why {
                warnings.push(format!(
                    "--index: the index cache is not writable ({why}): symbolicating without building indexes"
                ));
                index_options.mode = IndexMode::UseExisting;
            }
        }
        let kernelcache = opts.kernelcache.as_ref().and_then(|p| {
            let opened = crate::sources::check_kernelcache(p).and_then(|()| {
                let opts = SymbolizerOptions {
                    index: index_options.clone(),
                    ..Default::default()
                };
                match Symbolizer::open(p, &opts) {
                    Ok(s) if s.slice().is_fileset() => Ok(Arc::new(s)),
                    Ok(s) => Err(crate::sources::kernelcache_problem(
                        p,
                        None,
                        s.slice().filetype(),
                    )),
                    Err(e) => Err(crate::sources::kernelcache_problem(p, Some(&e), 0)),
                }
            });
            opened.map_err(|e| problems.push(e)).ok()
        });
        // JSON keeps every problem with each panic, as text.
        let warnings = problems
            .iter()
            .map(ToString::to_string)
            .chain(warnings)
            .collect();
        SymbolLibrary {
            kdks,
            symbol_paths: opts.symbols.clone(),
            symbol_files,
            index: OnceLock::new(),
            kdk_kext_uuids: OnceLock::new(),
            kdk_kernels: OnceLock::new(),
            kernelcache,
            opened: Mutex::new(HashMap::new()),
            index_options,
            problems,
            warnings,
            stores: (!opts.stores.is_empty() || opts.store_options.spotlight)
                .then(|| SymbolStores::new(&opts.stores, &opts.store_options))
                .filter(|s| !s.is_empty()),
            named_stores: !opts.stores.is_empty(),
            store_answers: Mutex::new(HashMap::new()),
        }
    }

    /// True when symbol stores were named, to be asked for what the local sources lack: then
    /// an image without symbols is "not in any symbol store" too.
    pub fn has_stores(&self) -> bool {
        self.named_stores
    }

    /// Stores that could not be opened or asked since the last call, each said once per run:
    /// a warning (the panic is still symbolicated with what there is), not an error.
    pub fn take_store_warnings(&self) -> Vec<String> {
        self.stores
            .as_ref()
            .map(SymbolStores::take_warnings)
            .unwrap_or_default()
    }

    /// The symbol sources given that cannot be used, each with what to do; the others are used.
    pub fn problems(&self) -> &[SourceProblem] {
        &self.problems
    }

    /// Problems met while opening the sources, as text: every [`Self::problems`], then the
    /// rest (an index cache that cannot be written).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// The Kernel Debug Kits found.
    pub fn kdks(&self) -> &[Kdk] {
        &self.kdks
    }

    /// Every KDK's kernels with their UUIDs, read once per run.
    pub fn kdk_kernels(&self) -> &[KdkKernels] {
        self.kdk_kernels.get_or_init(|| {
            self.kdks
                .iter()
                .map(|k| KdkKernels {
                    root: k.root().to_path_buf(),
                    build: k.build().map(str::to_string),
                    kernels: k
                        .kernels()
                        .into_iter()
                        .filter_map(|p| {
                            let name = p.file_name()?.to_string_lossy().into_owned();
                            Some((name, uuids_of(&p)))
                        })
                        .collect(),
                })
                .collect()
        })
    }

    /// The kernelcache, when one was given and opened.
    pub fn kernelcache(&self) -> Option<&Symbols> {
        self.kernelcache.as_ref()
    }

    /// True when any source of symbols was given at all.
    pub fn is_empty(&self) -> bool {
        self.kdks.is_empty()
            && self.symbol_paths.is_empty()
            && self.kernelcache.is_none()
            && !self.named_stores
    }

    /// The kernel: by UUID in `--symbols`, else the KDK kernel of this variant (KDKs whose
    /// build matches first), else any KDK kernel with the UUID. `kernel_name` is the KDK file
    /// name (`kernel.release.t8112`).
    pub fn kernel(
        &self,
        uuid: Option<Uuid>,
        kernel_name: Option<&str>,
        os_build: Option<&str>,
    ) -> Result<Symbols, Unavailable> {
        if let Some(u) = uuid {
            if let Some(found) = self.by_symbols_uuid(u) {
                return found;
            }
        }
        let mut kdks: Vec<&Kdk> = self.kdks.iter().collect();
        // KDKs of the panic's build first, then the rest in folder order.
        kdks.sort_by_key(|k| k.build() != os_build || os_build.is_none());
        let mut mismatches = Vec::new();
        if let Some(name) = kernel_name {
            for kdk in &kdks {
                let Some(path) = kdk.kernel(name) else {
                    continue;
                };
                match uuid_check(&path, uuid) {
                    Err(have) => mismatches.push((path.clone(), have)),
                    Ok(()) => return self.open(&path, uuid, None),
                }
            }
        }
        // The variant may be misnamed or absent: any kernel of any KDK with the right UUID.
        if let Some(want) = uuid {
            for kdk in &kdks {
                for path in kdk.kernels() {
                    if uuids_of(&path).contains(&want) {
                        return self.open(&path, uuid, None);
                    }
                }
            }
        }
        if let Some(found) = uuid.and_then(|u| self.by_store(u)) {
            return found;
        }
        if !mismatches.is_empty() {
            return Err(Unavailable::KernelUuidMismatch {
                uuid,
                found: mismatches,
            });
        }
        if self.kdks.is_empty() && self.symbol_paths.is_empty() && !self.named_stores {
            return Err(Unavailable::NoSourcesForKernel);
        }
        Err(Unavailable::NoKernel {
            name: kernel_name.map(str::to_string),
            uuid,
            stores_asked: self.has_stores() && uuid.is_some(),
        })
    }

    /// A kext: by UUID in `--symbols`, else by bundle id in the KDKs (UUID-checked).
    pub fn kext(&self, bundle_id: &str, uuid: Option<Uuid>) -> Result<Symbols, Unavailable> {
        if let Some(u) = uuid {
            if let Some(found) = self.by_symbols_uuid(u) {
                return found;
            }
        }
        let mut mismatch = None;
        for kdk in &self.kdks {
            let Some(bundle) = kdk.kext(bundle_id) else {
                continue;
            };
            match uuid_check(&bundle.binary, uuid) {
                Err(have) => {
                    mismatch = Some(Unavailable::KextUuidMismatch {
                        bundle_id: bundle_id.to_string(),
                        uuid,
                        path: bundle.binary.clone(),
                        have,
                    })
                }
                Ok(()) => return self.open(&bundle.binary, uuid, None),
            }
        }
        if let Some(u) = uuid {
            if let Some(path) = self.kdk_kext_by_uuid(u) {
                return self.open(&path, Some(u), None);
            }
            if let Some(found) = self.by_store(u) {
                return found;
            }
        }
        Err(mismatch.unwrap_or_else(|| Unavailable::NoKext {
            bundle_id: bundle_id.to_string(),
            uuid,
            stores_asked: self.has_stores() && uuid.is_some(),
        }))
    }

    /// Any image by UUID (full panics name their images by UUID alone).
    pub fn by_uuid(&self, uuid: Uuid) -> Option<Result<Symbols, Unavailable>> {
        if let Some(found) = self.by_symbols_uuid(uuid) {
            return Some(found);
        }
        for kdk in &self.kdks {
            for path in kdk.kernels() {
                if uuids_of(&path).contains(&uuid) {
                    return Some(self.open(&path, Some(uuid), None));
                }
            }
        }
        if let Some(path) = self.kdk_kext_by_uuid(uuid) {
            return Some(self.open(&path, Some(uuid), None));
        }
        self.by_store(uuid)
    }

    /// The stores' file for `uuid`, asked once per run (the lock is held while asking, so two
    /// threads wanting one image download it once).
    fn by_store(&self, uuid: Uuid) -> Option<Result<Symbols, Unavailable>> {
        let stores = self.stores.as_ref()?;
        let path = self
            .store_answers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(uuid)
            .or_insert_with(|| stores.find(uuid))
            .clone()?;
        Some(self.open(&path, Some(uuid), None))
    }

    fn by_symbols_uuid(&self, uuid: Uuid) -> Option<Result<Symbols, Unavailable>> {
        let index = self.index.get_or_init(|| build_index(&self.symbol_files));
        match (index.binaries.get(&uuid), index.dsyms.get(&uuid)) {
            (Some(bin), dsym) => Some(self.open(bin, Some(uuid), dsym.cloned())),
            (None, Some(dsym)) => Some(self.open(dsym, Some(uuid), None)),
            (None, None) => None,
        }
    }

    fn kdk_kext_by_uuid(&self, uuid: Uuid) -> Option<PathBuf> {
        self.kdk_kext_uuids
            .get_or_init(|| {
                let mut map = HashMap::new();
                for kdk in &self.kdks {
                    let ext = kdk.root().join("System/Library/Extensions");
                    for bundle in crate::kdk::index_kexts(&ext).into_values() {
                        for u in uuids_of(&bundle.binary) {
                            map.entry(u).or_insert_with(|| bundle.binary.clone());
                        }
                    }
                }
                map
            })
            .get(&uuid)
            .cloned()
    }

    /// Opens (once) a symbol file, selecting the slice by UUID when it is known.
    fn open(
        &self,
        path: &Path,
        uuid: Option<Uuid>,
        dsym: Option<PathBuf>,
    ) -> Result<Symbols, Unavailable> {
        let key = (path.to_path_buf(), uuid, dsym.clone());
        let mut opened = self.opened.lock().unwrap_or_else(|e| e.into_inner());
        opened
            .entry(key)
            .or_insert_with(|| {
                let opts = SymbolizerOptions {
                    selector: SliceSelector { arch: None, uuid },
                    dsym: dsym.map_or(DsymChoice::Auto, DsymChoice::Path),
                    index: self.index_options.clone(),
                };
                Symbolizer::open(path, &opts)
                    .map(Arc::new)
                    .map_err(|e| Unavailable::Open(Arc::new(e)))
            })
            .clone()
    }
}

/// Does one slice of `path` (KDK kexts are often universal) carry `want`? `Err` lists what the
/// file has instead. With no UUID to check against, any file passes.
fn uuid_check(path: &Path, want: Option<Uuid>) -> Result<(), Vec<Uuid>> {
    let Some(want) = want else { return Ok(()) };
    let have = uuids_of(path);
    if have.contains(&want) {
        return Ok(());
    }
    Err(have)
}

/// UUIDs of every slice of a Mach-O file (empty for anything else).
fn uuids_of(path: &Path) -> Vec<Uuid> {
    let Ok(file) = MachOFile::open(path) else {
        return Vec::new();
    };
    file.distinct_slices()
        .filter_map(|i| file.slice(i).ok())
        .filter_map(|s| s.uuid())
        .collect()
}

/// Every Mach-O file at or below `root` (a file, or a folder searched recursively), in a
/// stable order: what `--symbols` and `kpanic index` look through.
pub fn symbol_files(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    walk_files(root, &mut |path| {
        if kpanic_symbols::is_macho_file(path) {
            out.push(path.to_path_buf());
        }
    });
    out
}

fn build_index(files: &[PathBuf]) -> UuidIndex {
    let mut index = UuidIndex::default();
    for path in files {
        let in_dsym = path
            .ancestors()
            .any(|a| a.extension().is_some_and(|e| e == "dSYM"));
        let Ok(file) = MachOFile::open(path) else {
            continue;
        };
        for i in file.distinct_slices() {
            let Ok(slice) = file.slice(i) else { continue };
            let Some(u) = slice.uuid() else { continue };
            let map = if in_dsym || slice.is_dsym() {
                &mut index.dsyms
            } else {
                &mut index.binaries
            };
            map.entry(u).or_insert_with(|| path.clone());
        }
    }
    index
}
