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
//! lookups. A large batch (`Symbolizer::lookup_many`) instead loads the DWARF afresh per chunk,
//! so that memory does not grow with every unit it touches.

use crate::bytes::FileBytes;
use crate::demangle::demangle;
use crate::macho::MachOSlice;
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
        };
        // No context yet: making one reads every unit header, which for a kernel dSYM maps
        // tens of MB (every unit's first page, and the kernel maps 64 KiB around each). The
        // first lookup makes it; broken unit headers then come back as that lookup's
        // `unresolved_reason` ("DWARF error at …"), never as a panic.
        Ok(Some(info))
    }

    fn new_context(&self) -> Result<Context, String> {
        Context::from_arc_dwarf(self.dwarf.clone()).map_err(|e| e.to_string())
    }

    /// Every frame at `probe`, innermost first; empty when no unit covers it.
    pub(crate) fn frames(&self, probe: u64) -> Result<Vec<DwarfFrame>, String> {
        let taken = self.pool.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let ctx = match taken {
            Some(c) => c,
            None => self.new_context()?,
        };
        let result = collect_frames(&ctx, probe).map_err(|e| e.to_string());
        self.pool
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(ctx);
        result
    }
}

fn collect_frames(ctx: &Context, probe: u64) -> Result<Vec<DwarfFrame>, gimli::Error> {
    let mut out = Vec::new();
    // Apple's DWARF has no split units; `skip_all_loads` answers without .dwo files.
    let mut iter = ctx.find_frames(probe).skip_all_loads()?;
    while let Some(frame) = iter.next()? {
        let function = match &frame.function {
            Some(f) => Some(demangle(&f.raw_name()?).into_owned()),
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
