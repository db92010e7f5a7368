//! DWARF (4 and 5) through addr2line, zero-copy over the memory map.
//!
//! The sections are gimli readers over the shared [`FileBytes`], so nothing is copied and
//! nothing is parsed until a lookup needs it: addr2line's `Context` reads unit headers up front
//! and parses a unit's lines and functions the first time an address falls in it.
//!
//! `addr2line::Context` caches through `OnceCell`, so it is `Send` but not `Sync`. To make a
//! `Symbolizer` shareable across threads (rayon), contexts live in a small pool: a lookup takes
//! one (or makes one: the `Dwarf` itself is shared, the context reads the unit headers), uses
//! it, and puts it back. With one thread there is one context and its caches persist across
//! lookups. A large batch (`Symbolizer::lookup_many`) instead maps and loads the DWARF afresh
//! ([`DwarfInfo::load_mapped`]), keeps one context per rayon thread for the whole batch (each
//! unit's headers read once per thread, each unit parsed once), and after every chunk gives the
//! pages it has read back to the kernel ([`DwarfInfo::release_pages`]), so that resident memory
//! does not grow to all the DWARF the batch touches.

use crate::bytes::FileBytes;
use crate::demangle::demangle;
use crate::macho::MachOSlice;
use gimli::Section;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub(crate) type Reader = gimli::EndianReader<gimli::RunTimeEndian, FileBytes>;
type Context = addr2line::Context<Reader>;

/// One frame as DWARF tells it (innermost first in a list).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DwarfFrame {
    pub function: Option<String>,
    pub file: Option<String>,
    pub line: Option<u32>,
    pub column: Option<u32>,
}

pub(crate) struct DwarfInfo {
    dwarf: Arc<gimli::Dwarf<Reader>>,
    pool: Mutex<Vec<Context>>,
    /// The file and the span of it that holds the DWARF sections (batches only, see
    /// [`DwarfInfo::load_mapped`]): what [`DwarfInfo::release_pages`] gives back when the file
    /// is a mapping.
    mapped: Option<(FileBytes, usize, usize)>,
    /// One context per rayon worker (by `rayon::current_thread_index`), for a batch: each
    /// thread keeps its own context, so no unit is parsed by two contexts because they swapped
    /// threads. Empty unless loaded with [`DwarfInfo::load_mapped`].
    per_thread: Vec<Mutex<Option<Worker>>>,
}

/// A batch thread's context, and the names it has demangled (a batch meets the same inlined
/// functions again and again: 36,427 frames, 9,280 names on the big bench).
struct Worker {
    ctx: Context,
    names: HashMap<String, String>,
}

impl std::fmt::Debug for DwarfInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DwarfInfo")
    }
}

/// Mach-O spells `.debug_str_offsets` as `__debug_str_offs`: section names are 16 bytes.
fn macho_section_name(gimli_name: &str) -> String {
    let mut n = format!("__{}", gimli_name.trim_start_matches('.'));
    n.truncate(16);
    n
}

/// Does `image` carry DWARF (a non-empty `__DWARF,__debug_info`)?
pub(crate) fn has_debug_info(image: &MachOSlice) -> bool {
    image
        .sections()
        .iter()
        .any(|s| s.segname == "__DWARF" && s.sectname == "__debug_info" && s.size > 0)
}

/// The sections of `image`'s `__DWARF` segment as zero-copy gimli readers over the mapped
/// file, or `None` without `__debug_info`. Shared by live lookups and the index builder.
pub(crate) fn load_sections(image: &MachOSlice) -> Result<Option<gimli::Dwarf<Reader>>, String> {
    if !has_debug_info(image) {
        return Ok(None);
    }
    let endian = gimli::RunTimeEndian::Little;
    let empty = Reader::new(FileBytes::from_vec(Vec::new()), endian);
    let load = |id: gimli::SectionId| -> Result<Reader, String> {
        let want = macho_section_name(id.name());
        let Some(sect) = image
            .sections()
            .iter()
            .find(|s| s.segname == "__DWARF" && s.sectname == want)
        else {
            return Ok(empty.clone());
        };
        let (bytes, start, len) = image
            .file_range(u64::from(sect.offset), sect.size)
            .ok_or_else(|| {
                format!(
                    "section {} (file {:#x}+{:#x}) runs past the end of the file",
                    want, sect.offset, sect.size
                )
            })?;
        Ok(Reader::new(bytes, endian).range(start..start + len))
    };
    let mut dwarf = gimli::Dwarf::load(load)?;
    // dsymutil gives every unit the same abbreviation table: parse it once, share it (for
    // a kernel's ~1,200 units this saves ~100 MB and ~10% of a cold run).
    dwarf.populate_abbreviations_cache(gimli::AbbreviationsCacheStrategy::Duplicates);
    Ok(Some(dwarf))
}

impl DwarfInfo {
    /// The DWARF of `image` (its `__DWARF` segment), or `None` when it has no `__debug_info`.
    pub(crate) fn load(image: &MachOSlice) -> Result<Option<DwarfInfo>, String> {
        let Some(dwarf) = load_sections(image)? else {
            return Ok(None);
        };
        let info = DwarfInfo {
            dwarf: Arc::new(dwarf),
            pool: Mutex::new(Vec::new()),
            mapped: None,
            per_thread: Vec::new(),
        };
        // No context yet: making one reads every unit header, which for a kernel dSYM maps
        // tens of MB (every unit's first page, and the kernel maps 64 KiB around each). The
        // first lookup makes it; broken unit headers then come back as that lookup's
        // `unresolved_reason` ("DWARF error at …"), never as a panic.
        Ok(Some(info))
    }

    /// [`DwarfInfo::load`] for one batch of lookups on `threads` threads: one context per
    /// thread, and the span of the file that holds the DWARF recorded, so that
    /// [`DwarfInfo::release_pages`] can give its pages back between chunks.
    pub(crate) fn load_mapped(
        image: &MachOSlice,
        threads: usize,
    ) -> Result<Option<DwarfInfo>, String> {
        let Some(mut info) = Self::load(image)? else {
            return Ok(None);
        };
        let d = &info.dwarf;
        let spans = [
            d.debug_info.reader().bytes(),
            d.debug_abbrev.reader().bytes(),
            d.debug_line.reader().bytes(),
            d.debug_str.reader().bytes(),
            d.debug_line_str.reader().bytes(),
            d.debug_str_offsets.reader().bytes(),
            d.debug_addr.reader().bytes(),
            d.debug_aranges.reader().bytes(),
        ];
        // Every non-empty section lies in the one `FileBytes` of the file: record the span from
        // the first to the end of the last, as offsets into it.
        let (base, _, _) = image.file_range(0, 0).ok_or("the image has no bytes")?;
        let origin = base.as_ptr() as usize;
        info.mapped = spans
            .iter()
            .filter(|b| !b.is_empty())
            .map(|b| (b.as_ptr() as usize, b.as_ptr() as usize + b.len()))
            .reduce(|a, b| (a.0.min(b.0), a.1.max(b.1)))
            .and_then(|(lo, hi)| Some((base, lo.checked_sub(origin)?, hi.checked_sub(origin)?)));
        info.per_thread = (0..threads).map(|_| Mutex::new(None)).collect();
        Ok(Some(info))
    }

    /// Drop the DWARF pages this process has touched from its resident set (a no-op unless
    /// loaded with [`DwarfInfo::load_mapped`]). The contexts and what they parsed stay; pages
    /// read again fault back in from the page cache. `Symbolizer::lookup_many` calls this after
    /// each chunk, so that a batch touching most of a kernel's DWARF does not keep all of it
    /// resident.
    pub(crate) fn release_pages(&self) {
        if let Some((bytes, start, end)) = &self.mapped {
            bytes.release_pages(*start, *end);
        }
    }

    fn new_context(&self) -> Result<Context, String> {
        Context::from_arc_dwarf(self.dwarf.clone()).map_err(|e| e.to_string())
    }

    /// Every frame at `probe`, innermost first; empty when no unit covers it.
    pub(crate) fn frames(&self, probe: u64) -> Result<Vec<DwarfFrame>, String> {
        // No segment can map the top address (segments end by 2^64, see `image.rs`), so this
        // only guards callers that skip the segment check.
        if !probeable(probe) {
            return Ok(Vec::new());
        }
        if let Some(slot) = rayon::current_thread_index().and_then(|i| self.per_thread.get(i)) {
            let mut slot = slot.lock().unwrap_or_else(|p| p.into_inner());
            let mut worker = match slot.take() {
                Some(w) => w,
                None => Worker {
                    ctx: self.new_context()?,
                    names: HashMap::new(),
                },
            };
            let result = collect_frames(&worker.ctx, probe, Some(&mut worker.names))
                .map_err(|e| e.to_string());
            *slot = Some(worker);
            return result;
        }
        let taken = self.pool.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let ctx = match taken {
            Some(c) => c,
            None => self.new_context()?,
        };
        let result = collect_frames(&ctx, probe, None).map_err(|e| e.to_string());
        self.pool
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(ctx);
        result
    }
}

/// Can addr2line be asked about `probe`? It searches the half-open range `probe..probe + 1`,
/// which overflows at the top address. DWARF answers nothing there, in a live lookup
/// ([`DwarfInfo::frames`]) and in an index (whose builder probes every range end, 2^64 - 1
/// included) alike.
pub(crate) fn probeable(probe: u64) -> bool {
    probe != u64::MAX
}

/// `names`: demangled names to reuse (and add to), keyed by the DWARF name.
fn collect_frames(
    ctx: &Context,
    probe: u64,
    mut names: Option<&mut HashMap<String, String>>,
) -> Result<Vec<DwarfFrame>, gimli::Error> {
    let mut out = Vec::new();
    // Apple's DWARF has no split units; `skip_all_loads` answers without .dwo files.
    let mut iter = ctx.find_frames(probe).skip_all_loads()?;
    while let Some(frame) = iter.next()? {
        let function = match &frame.function {
            Some(f) => {
                let raw = f.raw_name()?;
                Some(match names.as_deref_mut() {
                    Some(names) => match names.get(&*raw) {
                        Some(d) => d.clone(),
                        None => {
                            let d = demangle(&raw).into_owned();
                            names.insert(raw.into_owned(), d.clone());
                            d
                        }
                    },
                    None => demangle(&raw).into_owned(),
                })
            }
            None => None,
        };
        let (file, line, column) = match &frame.location {
            Some(l) => (l.file.map(str::to_string), l.line, l.column),
            None => (None, None, None),
        };
        out.push(DwarfFrame {
            function,
            file,
            line,
            column,
        });
    }
    Ok(out)
}
