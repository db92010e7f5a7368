//! The symbolizer: a binary and/or its dSYM, answering "which function, file and line, with
//! every inlined frame" for an address in the binary's own space.

use crate::demangle::demangle_symbol;
use crate::dsym::{dsym_bundle_of, dwarf_candidates, find_dsym, DsymStatus};
use crate::dwarf::{DwarfFrame, DwarfInfo};
use crate::error::Error;
use crate::index::{IndexOptions, IndexStatus, SymbolIndex};
use crate::macho::{MachOFile, MachOSlice, SliceSelector};
use crate::symtab::SymbolTable;
use crate::{AddrKind, SymbolAddr};
use crate::{Arch, Uuid};
use kpanic_common::pac::strip_pac_like;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Where to take DWARF from when opening a binary.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum DsymChoice {
    /// `binary.dSYM` (or `Bundle.kext.dSYM`) beside the binary, if there is one.
    #[default]
    Auto,
    /// This bundle or DWARF file.
    Path(PathBuf),
    /// None: symbol table (and any DWARF inside the binary) only.
    Ignore,
}

/// How to open a symbol file: everything [`Symbolizer::open`] needs besides the path, passed in
/// explicitly. The library reads no environment variable and no home folder: a caller that wants
/// an index cache names its folder in [`IndexOptions::cache_dir`].
///
/// The default: the only slice of a thin file, the dSYM beside the binary, no index.
#[derive(Clone, Debug, Default)]
pub struct SymbolizerOptions {
    /// Which slice of a universal file (and, by UUID, which of several dSYM files).
    pub selector: SliceSelector,
    /// Where DWARF comes from.
    pub dsym: DsymChoice,
    /// Whether an index answers instead of DWARF, and where indexes are kept.
    pub index: IndexOptions,
}

impl SymbolizerOptions {
    /// The defaults, with `selector` choosing the slice.
    pub fn with_selector(selector: SliceSelector) -> Self {
        SymbolizerOptions {
            selector,
            ..Default::default()
        }
    }
}

/// One frame of an answer. With DWARF: function, file, line (column when known). From the
/// symbol table: function and `symbol_offset` (address − symbol), no file.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SymFrame {
    /// The function, demangled; `None` when only the line table answered.
    pub function: Option<String>,
    /// The source file (path as DWARF names it); `None` from the symbol table.
    pub file: Option<String>,
    /// The line; `None` from the symbol table.
    pub line: Option<u32>,
    /// The column, when DWARF has one (never 0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
    /// Symbol-table answers: address − symbol address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub symbol_offset: Option<u64>,
}

/// Which source answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LookupSource {
    /// DWARF (or an index built from it): function, file, line and inlined frames.
    Dwarf,
    /// The nlist symbol table: the nearest preceding symbol, no file or line.
    SymbolTable,
}

/// The answer for one address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lookup {
    /// The address looked up, PAC bits stripped (before the `- 1` of a return address).
    pub addr: SymbolAddr,
    /// Innermost first; the last one is the function that owns the address. Empty when
    /// unresolved.
    pub frames: Vec<SymFrame>,
    /// Which source answered; `None` when unresolved.
    pub source: Option<LookupSource>,
    /// For a kernelcache: the fileset entry that maps the address.
    pub fileset_entry: Option<String>,
    /// Why `frames` is empty.
    pub unresolved_reason: Option<String>,
}

impl Lookup {
    /// Did any source answer?
    pub fn is_resolved(&self) -> bool {
        !self.frames.is_empty()
    }
    fn unresolved(addr: u64, why: String) -> Lookup {
        Lookup {
            addr: SymbolAddr(addr),
            frames: Vec::new(),
            source: None,
            fileset_entry: None,
            unresolved_reason: Some(why),
        }
    }
}

/// An image whose symbol table answers (one, or one per kernelcache entry).
#[derive(Debug)]
struct SymImage {
    image: MachOSlice,
    entry_id: Option<String>,
    table: OnceLock<SymbolTable>,
}

impl SymImage {
    fn new(image: MachOSlice, entry_id: Option<String>) -> Self {
        SymImage {
            image,
            entry_id,
            table: OnceLock::new(),
        }
    }
    fn table(&self) -> &SymbolTable {
        self.table.get_or_init(|| SymbolTable::build(&self.image))
    }
}

/// A symbol file ready for lookups: a binary (with the dSYM beside it, if any), a dSYM, or an
/// MH_FILESET kernelcache. Holds the memory maps; parses lazily.
///
/// `Send + Sync`: lookups take `&self` and may run from many threads (rayon); see
/// `dwarf.rs` for how addr2line's per-context caches are shared.
#[derive(Debug)]
pub struct Symbolizer {
    path: PathBuf,
    image_name: String,
    layout: MachOSlice,
    images: Vec<SymImage>,
    dwarf: Option<DwarfInfo>,
    debug_path: Option<PathBuf>,
    dsym_status: DsymStatus,
    /// When an index answers, `dwarf` is not loaded at all; the DWARF slice is kept to load
    /// it lazily should the index turn out inconsistent.
    index: Option<SymbolIndex>,
    index_status: IndexStatus,
    debug_slice: Option<MachOSlice>,
    lazy_dwarf: OnceLock<Option<DwarfInfo>>,
}

/// The DWARF side of a symbol file: live DWARF, or an index of it.
struct Debug {
    dwarf: Option<DwarfInfo>,
    index: Option<SymbolIndex>,
    status: IndexStatus,
    slice: Option<MachOSlice>,
}

impl Debug {
    fn none() -> Debug {
        Debug {
            dwarf: None,
            index: None,
            status: IndexStatus::NotUsed,
            slice: None,
        }
    }
    fn found(&self) -> bool {
        self.dwarf.is_some() || self.index.is_some()
    }
    /// The index of `slice` when `idx` allows one, else its DWARF (`None` without any).
    fn load(slice: &MachOSlice, file: &Path, idx: &IndexOptions) -> Result<Debug, Error> {
        let (index, status) = crate::index::obtain(slice, idx);
        let dwarf = match index {
            Some(_) => None,
            None => DwarfInfo::load(slice).map_err(|what| Error::Dwarf {
                path: file.into(),
                what,
            })?,
        };
        Ok(Debug {
            slice: (dwarf.is_some() || index.is_some()).then(|| slice.clone()),
            dwarf,
            index,
            status,
        })
    }
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| p.display().to_string())
}

impl Symbolizer {
    /// Open a binary (finding a dSYM beside it as `opts.dsym` says), a `.dSYM` bundle, a dSYM's
    /// DWARF file, or an MH_FILESET kernelcache; an index answers when `opts.index` allows one.
    pub fn open(path: &Path, opts: &SymbolizerOptions) -> Result<Symbolizer, Error> {
        let idx = &opts.index;
        if let Some(bundle) = dsym_bundle_of(path) {
            let file = if path.is_file() {
                path.to_path_buf()
            } else {
                pick_dwarf_file(&bundle, &opts.selector)?
            };
            let slice = MachOFile::open(&file)?.select(&opts.selector)?;
            let status = DsymStatus::IsDsym { path: bundle };
            return Self::from_dsym_slice(path, &file, slice, status, idx);
        }
        let slice = MachOFile::open(path)?.select(&opts.selector)?;
        if slice.is_dsym() {
            let status = DsymStatus::IsDsym {
                path: path.to_path_buf(),
            };
            return Self::from_dsym_slice(path, path, slice, status, idx);
        }

        let images = if slice.is_fileset() {
            slice
                .fileset_entries()
                .iter()
                .filter(|e| !e.repeat)
                .map(|e| SymImage::new(e.image.clone(), Some(e.id.clone())))
                .collect()
        } else {
            vec![SymImage::new(slice.clone(), None)]
        };
        let dsym_path = match &opts.dsym {
            DsymChoice::Auto => find_dsym(path),
            DsymChoice::Path(p) => Some(p.clone()),
            DsymChoice::Ignore => None,
        };
        let mut status = DsymStatus::Missing;
        let mut debug = Debug::none();
        let mut debug_path = None;
        if let Some(dsym) = dsym_path {
            match open_matching_dsym(&dsym, &slice, &file_name(path))? {
                Ok((file, dslice)) => {
                    debug = Debug::load(&dslice, &file, idx)?;
                    debug_path = Some(file);
                    status = DsymStatus::Found { path: dsym };
                }
                Err(found) => {
                    status = DsymStatus::UuidMismatch {
                        path: dsym,
                        binary: slice.uuid(),
                        dsym: found,
                    };
                }
            }
        }
        if !debug.found() {
            // Some binaries carry their own __DWARF (a non-dsymutil'd kernel, a test build).
            debug = Debug::load(&slice, path, idx)?;
            if debug.found() {
                debug_path = Some(path.to_path_buf());
            }
        }
        Ok(Symbolizer {
            path: path.to_path_buf(),
            image_name: file_name(path),
            layout: slice,
            images,
            dwarf: debug.dwarf,
            debug_path,
            dsym_status: status,
            index: debug.index,
            index_status: debug.status,
            debug_slice: debug.slice,
            lazy_dwarf: OnceLock::new(),
        })
    }

    fn from_dsym_slice(
        path: &Path,
        dwarf_file: &Path,
        slice: MachOSlice,
        status: DsymStatus,
        idx: &IndexOptions,
    ) -> Result<Symbolizer, Error> {
        let debug = Debug::load(&slice, dwarf_file, idx)?;
        Ok(Symbolizer {
            path: path.to_path_buf(),
            image_name: file_name(dwarf_file),
            images: vec![SymImage::new(slice.clone(), None)],
            layout: slice,
            debug_path: debug.found().then(|| dwarf_file.to_path_buf()),
            dwarf: debug.dwarf,
            dsym_status: status,
            index: debug.index,
            index_status: debug.status,
            debug_slice: debug.slice,
            lazy_dwarf: OnceLock::new(),
        })
    }

    /// The path given to `open`.
    pub fn path(&self) -> &Path {
        &self.path
    }
    /// The image name atos prints: the binary's file name (the DWARF file's for a dSYM).
    pub fn image_name(&self) -> &str {
        &self.image_name
    }
    /// LC_UUID of the selected slice.
    pub fn uuid(&self) -> Option<Uuid> {
        self.layout.uuid()
    }
    /// Architecture of the selected slice.
    pub fn arch(&self) -> Arch {
        self.layout.arch()
    }
    /// The selected slice of the binary (or of the dSYM when only a dSYM was given): segments,
    /// `text_vmaddr`, `text_exec_vmaddr`, fileset entries.
    pub fn slice(&self) -> &MachOSlice {
        &self.layout
    }
    /// How the dSYM was found, or why none is used.
    pub fn dsym_status(&self) -> &DsymStatus {
        &self.dsym_status
    }
    /// The file DWARF is read from, if any.
    pub fn debug_path(&self) -> Option<&Path> {
        self.debug_path.as_deref()
    }
    /// Does DWARF (live or indexed) answer, beyond the symbol table?
    pub fn has_dwarf(&self) -> bool {
        self.dwarf.is_some() || self.index.is_some()
    }
    /// The index that answers instead of DWARF, if any.
    pub fn index(&self) -> Option<&SymbolIndex> {
        self.index.as_ref()
    }
    /// What happened with this file's index (see [`IndexOptions`]).
    pub fn index_status(&self) -> &IndexStatus {
        &self.index_status
    }

    /// DWARF's answer at `probe`: from the index when there is one, else live (`chunk`: the
    /// DWARF of a [`Self::lookup_many`] batch).
    fn dwarf_frames(
        &self,
        probe: u64,
        chunk: Option<&DwarfInfo>,
    ) -> Option<Result<Vec<DwarfFrame>, String>> {
        if let Some(index) = &self.index {
            if let Some(answer) = index.frames(probe) {
                return Some(answer);
            }
            // An inconsistent index: ask the DWARF itself.
            let live = self.lazy_dwarf.get_or_init(|| {
                let slice = self.debug_slice.as_ref()?;
                DwarfInfo::load(slice).ok().flatten()
            });
            return live.as_ref().map(|d| d.frames(probe));
        }
        chunk.or(self.dwarf.as_ref()).map(|d| d.frames(probe))
    }

    /// Symbolicate `addr` (in this file's own vmaddr space). Never fails: what cannot be
    /// answered comes back with `unresolved_reason`.
    pub fn lookup(&self, addr: SymbolAddr, kind: AddrKind) -> Lookup {
        self.lookup_in(addr, kind, None)
    }

    fn lookup_in(&self, addr: SymbolAddr, kind: AddrKind, chunk: Option<&DwarfInfo>) -> Lookup {
        let reference = self
            .layout
            .text_vmaddr()
            .or(self.layout.vm_range().map(|r| r.0));
        let stripped = match reference {
            Some(r) => strip_pac_like(addr.0, r),
            None => addr.0,
        };
        let probe = match kind {
            AddrKind::Exact => stripped,
            AddrKind::ReturnAddress => match stripped.checked_sub(1) {
                Some(p) => p,
                None => return Lookup::unresolved(stripped, "0x0 is not a return address".into()),
            },
        };

        let (sym_image, in_segment) = if self.layout.is_fileset() {
            match self.images.iter().find(|i| self.entry_maps(i, probe)) {
                Some(i) => (Some(i), true),
                None => (None, false),
            }
        } else {
            (
                self.images.first(),
                self.layout.segment_containing(probe).is_some(),
            )
        };
        if !in_segment {
            let range = match self.layout.vm_range() {
                Some((lo, hi)) => format!(" ({lo:#x}-{hi:#x})"),
                None => String::new(),
            };
            let what = if self.layout.is_fileset() {
                "fileset entry"
            } else {
                "segment"
            };
            return Lookup::unresolved(
                stripped,
                format!(
                    "{stripped:#x} is outside every {what} of {}{range}",
                    self.image_name
                ),
            );
        }
        let entry_id = sym_image.and_then(|i| i.entry_id.clone());

        let mut reason = None;
        if let Some(answer) = self.dwarf_frames(probe, chunk) {
            match answer {
                Ok(frames) if !frames.is_empty() => {
                    let mut frames: Vec<SymFrame> = frames
                        .into_iter()
                        .map(|f| SymFrame {
                            function: f.function,
                            file: f.file,
                            line: f.line,
                            column: f.column.filter(|&c| c != 0),
                            symbol_offset: None,
                        })
                        .collect();
                    // A line-table hit outside any DW_TAG_subprogram: name it from the symbols.
                    if frames.last().is_some_and(|f| f.function.is_none()) {
                        if let Some(hit) = sym_image.and_then(|i| i.table().lookup(&i.image, probe))
                        {
                            frames.last_mut().unwrap().function =
                                Some(demangle_symbol(&hit.name).into_owned());
                        }
                    }
                    return Lookup {
                        addr: SymbolAddr(stripped),
                        frames,
                        source: Some(LookupSource::Dwarf),
                        fileset_entry: entry_id,
                        unresolved_reason: None,
                    };
                }
                Ok(_) => reason = Some(format!("no DWARF covers {probe:#x}")),
                Err(e) => reason = Some(format!("DWARF error at {probe:#x}: {e}")),
            }
        }
        if let Some(img) = sym_image {
            let table = img.table();
            if let Some(hit) = table.lookup(&img.image, probe) {
                return Lookup {
                    addr: SymbolAddr(stripped),
                    frames: vec![SymFrame {
                        function: Some(demangle_symbol(&hit.name).into_owned()),
                        file: None,
                        line: None,
                        column: None,
                        symbol_offset: Some(stripped.wrapping_sub(hit.addr)),
                    }],
                    source: Some(LookupSource::SymbolTable),
                    fileset_entry: entry_id,
                    unresolved_reason: None,
                };
            }
            let why = if table.is_empty() {
                "no DWARF and no symbol table".to_string()
            } else {
                format!("no symbol precedes {probe:#x} in its section")
            };
            reason = Some(match reason {
                Some(r) => format!("{r}; {why}"),
                None => why,
            });
        }
        let mut l = Lookup::unresolved(stripped, reason.unwrap_or_else(|| "no symbols".into()));
        l.fileset_entry = entry_id;
        l
    }

    /// [`Self::lookup`] for many addresses, one answer per address in the same order.
    ///
    /// Runs in parallel (rayon) over address-sorted chunks. Without an index, a large batch
    /// maps the DWARF file once more for itself and, after each chunk, gives the pages of that
    /// mapping it has read back to the kernel (`DwarfInfo::release_pages`), so that resident
    /// memory holds what was parsed plus the chunks in flight instead of growing to all the
    /// DWARF the batch touches. Its addr2line contexts (one per thread) live for the whole
    /// batch: each unit's headers are read once, and each unit is parsed once.
    pub fn lookup_many(&self, addrs: &[(SymbolAddr, AddrKind)]) -> Vec<Lookup> {
        use rayon::prelude::*;
        let mut order: Vec<usize> = (0..addrs.len()).collect();
        order.sort_by_key(|&i| addrs[i].0);
        let threads = rayon::current_num_threads();
        let chunked = self.index.is_none() && self.dwarf.is_some() && addrs.len() >= 4096;
        let fresh = if chunked { self.fresh_dwarf() } else { None };
        // A chunk no longer costs a context, only the page faults of reading its units again
        // after a release. Measured on a 275 MB dSYM, 10,000 addresses, 2 cores: 16 chunks per
        // thread peak at ~150 MiB (4: ~175–190 MiB, 1: ~300 MiB), in the same time.
        let chunk = if fresh.is_some() {
            (addrs.len() / (threads * 16)).max(256)
        } else {
            (addrs.len() / (threads * 4)).max(256)
        };
        let mut answers: Vec<(usize, Lookup)> = order
            .par_chunks(chunk)
            .flat_map_iter(|c| {
                let answers = c
                    .iter()
                    .map(|&i| (i, self.lookup_in(addrs[i].0, addrs[i].1, fresh.as_ref())))
                    .collect::<Vec<_>>();
                if let Some(d) = &fresh {
                    d.release_pages();
                }
                answers
            })
            .collect();
        answers.sort_unstable_by_key(|a| a.0);
        answers.into_iter().map(|a| a.1).collect()
    }

    /// The DWARF of this file, mapped and loaded anew (for one [`Self::lookup_many`] batch).
    fn fresh_dwarf(&self) -> Option<DwarfInfo> {
        let path = self.debug_path.as_ref()?;
        let uuid = self.debug_slice.as_ref()?.uuid()?;
        let slice = MachOFile::open(path)
            .ok()?
            .select(&SliceSelector::uuid(uuid))
            .ok()?;
        DwarfInfo::load_mapped(&slice, rayon::current_num_threads())
            .ok()
            .flatten()
    }

    fn entry_maps(&self, image: &SymImage, addr: u64) -> bool {
        image.entry_id.is_some() && crate::macho::fileset::image_maps(&image.image, addr)
    }
}

/// The DWARF file of a dSYM bundle for `selector` (the first whose slices fit).
fn pick_dwarf_file(bundle: &Path, selector: &SliceSelector) -> Result<PathBuf, Error> {
    let files = dwarf_candidates(bundle, None);
    let mut first_err = None;
    for f in &files {
        match MachOFile::open(f).and_then(|m| m.select(selector)) {
            Ok(_) => return Ok(f.clone()),
            Err(e) => {
                first_err.get_or_insert(e);
            }
        }
    }
    Err(first_err.unwrap_or(Error::EmptyDsym {
        path: bundle.to_path_buf(),
    }))
}

/// Open the dSYM (bundle or DWARF file) for `binary`: the slice with the binary's UUID, or, when
/// the binary has none, its architecture. `Ok(Err(uuids))` when no slice matches.
#[allow(clippy::type_complexity)]
fn open_matching_dsym(
    dsym: &Path,
    binary: &MachOSlice,
    binary_name: &str,
) -> Result<Result<(PathBuf, MachOSlice), Vec<Uuid>>, Error> {
    let files = if dsym.is_dir() {
        let f = dwarf_candidates(dsym, Some(binary_name));
        if f.is_empty() {
            return Err(Error::EmptyDsym {
                path: dsym.to_path_buf(),
            });
        }
        f
    } else {
        vec![dsym.to_path_buf()]
    };
    let sel = match binary.uuid() {
        Some(u) => SliceSelector::uuid(u),
        None => SliceSelector::arch(binary.arch()),
    };
    let mut seen = Vec::new();
    for f in files {
        let file = MachOFile::open(&f)?;
        match file.select(&sel) {
            Ok(s) => return Ok(Ok((f, s))),
            Err(Error::UuidNotFound { .. }) | Err(Error::ArchNotFound { .. }) => {
                for i in file.distinct_slices() {
                    seen.extend(file.slice(i)?.uuid());
                }
            }
            Err(e) => return Err(e),
        }
    }
    Ok(Err(seen))
}
