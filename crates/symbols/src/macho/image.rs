//! One Mach-O image: its header and the load commands we need (segments, sections, UUID,
//! symbol table, fileset entries), parsed eagerly because they are small, and validated so that
//! later readers can index the file without re-checking.

use super::fileset::FilesetEntry;
use super::raw::*;
use crate::bytes::FileBytes;
use crate::error::{malformed, ParseError};
use crate::{Arch, Uuid};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// An `LC_SEGMENT_64`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    /// `__TEXT`, `__TEXT_EXEC`, `__DATA`, ...
    pub name: String,
    /// Start address in the image's own (unslid) address space.
    pub vmaddr: u64,
    /// Bytes mapped; `vmaddr + vmsize` never passes 2^64 (checked when parsing).
    pub vmsize: u64,
    /// File offset of the contents, relative to the slice.
    pub fileoff: u64,
    /// Bytes of contents in the file (less than `vmsize` for zero-fill).
    pub filesize: u64,
    /// Most permissive protection (`VM_PROT_*` bits).
    pub maxprot: u32,
    /// Initial protection (`VM_PROT_*` bits).
    pub initprot: u32,
}

impl Segment {
    /// Does the segment map `addr`?
    pub fn contains(&self, addr: u64) -> bool {
        addr.wrapping_sub(self.vmaddr) < self.vmsize
    }
    /// The first address past the segment.
    pub fn end(&self) -> u64 {
        self.vmaddr.wrapping_add(self.vmsize)
    }
    /// Is it code (execute permission, initial or maximal)?
    pub fn is_executable(&self) -> bool {
        (self.initprot | self.maxprot) & VM_PROT_EXECUTE != 0
    }
    /// `__PAGEZERO` maps nothing: an address in it is outside the image for our purposes.
    fn maps_nothing(&self) -> bool {
        self.name == "__PAGEZERO" || self.vmsize == 0
    }
}

/// A `section_64`. `index` is its 1-based number, as `nlist.n_sect` counts them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Section {
    /// The segment the section belongs to.
    pub segname: String,
    /// `__text`, `__cstring`, `__debug_info`, ...
    pub sectname: String,
    /// Start address; `addr + size` never passes 2^64 (checked when parsing).
    pub addr: u64,
    /// Size in bytes.
    pub size: u64,
    /// File offset of the contents, relative to the start of the slice (0 for zerofill).
    pub offset: u32,
}

impl Section {
    /// Does the section cover `addr`?
    pub fn contains(&self, addr: u64) -> bool {
        addr.wrapping_sub(self.addr) < self.size
    }
}

/// A thin Mach-O image: a whole thin file, one slice of a fat file, or one entry of a fileset.
///
/// Cheap to clone (the bytes are shared). File offsets in load commands are relative to the
/// start of the slice, also for fileset entries, whose header sits at `fileoff` inside it.
///
/// The parsed load commands sit behind an `Arc`: a kernelcache whose entries share one Mach-O
/// header (hostile, never real) holds that image once, not once per entry.
#[derive(Clone, Debug)]
pub struct MachOSlice {
    data: FileBytes,
    base: usize,
    len: usize,
    info: Arc<ImageInfo>,
}

/// What [`MachOSlice::parse`] read from the header and load commands.
#[derive(Debug)]
struct ImageInfo {
    header_offset: usize,
    header: MachHeader64,
    arch: Arch,
    uuid: Option<Uuid>,
    segments: Vec<Segment>,
    sections: Vec<Section>,
    symtab: Option<SymtabCommand>,
    fileset: Vec<FilesetEntry>,
}

impl MachOSlice {
    /// Parse the image whose header is `header_offset` bytes into the slice
    /// `data[base..base + len]`.
    pub(crate) fn parse(
        data: FileBytes,
        base: usize,
        len: usize,
        header_offset: usize,
        allow_fileset: bool,
    ) -> Result<MachOSlice, ParseError> {
        let bytes = &data[base..base + len];
        let hdr_bytes = bytes.get(header_offset..).unwrap_or(&[]);
        let Some(magic) = u32_le(hdr_bytes, 0) else {
            return Err(ParseError::NotMachO(format!(
                "{} bytes, too short for a Mach-O header",
                hdr_bytes.len()
            )));
        };
        match magic {
            MH_MAGIC_64 => {}
            MH_MAGIC => return Err(ParseError::Unsupported("32-bit Mach-O".into())),
            MH_CIGAM | MH_CIGAM_64 => {
                return Err(ParseError::Unsupported("big-endian Mach-O".into()))
            }
            _ if matches!(u32_be(hdr_bytes, 0), Some(FAT_MAGIC | FAT_MAGIC_64)) => {
                return malformed("universal (fat) header where a thin Mach-O was expected")
            }
            _ => return Err(ParseError::NotMachO(format!("magic {magic:#010x}"))),
        }
        let Some(header) = MachHeader64::parse(hdr_bytes) else {
            return malformed(format!(
                "truncated: the 64-bit header needs {} bytes, {} are left",
                MachHeader64::SIZE,
                hdr_bytes.len()
            ));
        };
        let cmds_start = header_offset + MachHeader64::SIZE;
        let cmds_end = cmds_start as u64 + u64::from(header.sizeofcmds);
        if cmds_end > len as u64 {
            return malformed(format!(
                "load commands (sizeofcmds {:#x}) run past the end of the file ({:#x} bytes)",
                header.sizeofcmds, len
            ));
        }
        let cmds_end = cmds_end as usize;
        if u64::from(header.ncmds) * LoadCommand::SIZE as u64 > u64::from(header.sizeofcmds) {
            return malformed(format!(
                "{} load commands cannot fit in sizeofcmds {:#x}",
                header.ncmds, header.sizeofcmds
            ));
        }

        let mut image = ImageInfo {
            arch: Arch::from_cpu(header.cputype, header.cpusubtype),
            header_offset,
            header,
            uuid: None,
            segments: Vec::new(),
            sections: Vec::new(),
            symtab: None,
            fileset: Vec::new(),
        };
        let mut entries = Vec::new();
        let mut off = cmds_start;
        for i in 0..header.ncmds {
            let lc = LoadCommand::parse(&bytes[off..cmds_end]).ok_or_else(|| {
                ParseError::Malformed(format!(
                    "load command #{i} starts past the end of the load commands"
                ))
            })?;
            let size = lc.cmdsize as usize;
            if size < LoadCommand::SIZE || off + size > cmds_end {
                return malformed(format!(
                    "load command #{i} (cmd {:#x}) has cmdsize {:#x}, outside {:#x}..{:#x} of sizeofcmds",
                    lc.cmd, lc.cmdsize, LoadCommand::SIZE, cmds_end - off
                ));
            }
            let cmd = &bytes[off..off + size];
            match lc.cmd {
                LC_SEGMENT_64 => image.add_segment(i, cmd, len)?,
                LC_UUID => {
                    let uuid = parse_uuid_command(cmd).ok_or_else(|| {
                        ParseError::Malformed(format!("LC_UUID #{i} is {size} bytes, too short"))
                    })?;
                    image.uuid = Some(Uuid(uuid));
                }
                LC_SYMTAB => image.symtab = Some(check_symtab(i, cmd, len)?),
                LC_FILESET_ENTRY => entries.push(parse_fileset_entry(i, cmd)?),
                _ => {}
            }
            off += size;
        }

        if !entries.is_empty() {
            if !allow_fileset {
                return malformed("a fileset entry holds fileset entries of its own");
            }
            image.fileset = parse_fileset_entries(&data, base, len, entries)?;
        }
        Ok(MachOSlice {
            data,
            base,
            len,
            info: Arc::new(image),
        })
    }
}

/// The entries of a fileset, each Mach-O header parsed once.
///
/// Entries that name the same header share one parse; entries whose headers and load commands
/// overlap otherwise are refused. Together these keep the cost linear in the file size: without
/// them, N entries pointing into one image with M load commands cost N × M (a 384 KB file took
/// 3 s and 2 GB).
fn parse_fileset_entries(
    data: &FileBytes,
    base: usize,
    len: usize,
    entries: Vec<(String, u64, u64)>,
) -> Result<Vec<FilesetEntry>, ParseError> {
    let bytes = &data[base..base + len];
    // The header and load commands of each distinct entry, in file order.
    let mut regions: Vec<(u64, u64, &str)> = Vec::new();
    let mut seen = HashSet::new();
    for (id, _, fileoff) in &entries {
        if *fileoff >= len as u64 {
            return malformed(format!(
                "fileset entry {id} at file offset {fileoff:#x} is past the end of the file ({len:#x} bytes)"
            ));
        }
        if seen.insert(*fileoff) {
            let sizeofcmds = MachHeader64::parse(&bytes[*fileoff as usize..])
                .map_or(0, |h| u64::from(h.sizeofcmds));
            let end = fileoff + MachHeader64::SIZE as u64 + sizeofcmds;
            regions.push((*fileoff, end, id));
        }
    }
    regions.sort_unstable();
    for w in regions.windows(2) {
        let ((a_start, a_end, a), (b_start, _, b)) = (w[0], w[1]);
        if a_end > b_start {
            return malformed(format!(
                "fileset entries {a} ({a_start:#x}..{a_end:#x}) and {b} (header at {b_start:#x}) overlap"
            ));
        }
    }
    let mut parsed: HashMap<u64, MachOSlice> = HashMap::with_capacity(regions.len());
    let mut out = Vec::with_capacity(entries.len());
    for (id, vmaddr, fileoff) in entries {
        let repeat = parsed.contains_key(&fileoff);
        let image = match parsed.get(&fileoff) {
            Some(image) => image.clone(),
            None => {
                let image = MachOSlice::parse(data.clone(), base, len, fileoff as usize, false)
                    .map_err(|e| match e {
                        ParseError::Malformed(w)
                        | ParseError::NotMachO(w)
                        | ParseError::Unsupported(w) => {
                            ParseError::Malformed(format!("fileset entry {id}: {w}"))
                        }
                    })?;
                parsed.insert(fileoff, image.clone());
                image
            }
        };
        out.push(FilesetEntry {
            id,
            vmaddr,
            fileoff,
            image,
            repeat,
        });
    }
    Ok(out)
}

impl ImageInfo {
    fn add_segment(&mut self, i: u32, cmd: &[u8], len: usize) -> Result<(), ParseError> {
        let seg = SegmentCommand64::parse(cmd).ok_or_else(|| {
            ParseError::Malformed(format!(
                "LC_SEGMENT_64 #{i} is {} bytes, too short",
                cmd.len()
            ))
        })?;
        let name = fixed_name(&seg.segname);
        let need = SegmentCommand64::SIZE as u64 + u64::from(seg.nsects) * Section64::SIZE as u64;
        if need > cmd.len() as u64 {
            return malformed(format!(
                "segment {name}: {} sections need {need:#x} bytes, cmdsize is {:#x}",
                seg.nsects,
                cmd.len()
            ));
        }
        if seg.filesize > 0
            && seg
                .fileoff
                .checked_add(seg.filesize)
                .is_none_or(|e| e > len as u64)
        {
            return malformed(format!(
                "segment {name} (file {:#x}+{:#x}) runs past the end of the file ({:#x} bytes)",
                seg.fileoff, seg.filesize, len
            ));
        }
        // Every address range must end by 2^64: a lookup probes `addr + 1` (addr2line does),
        // and a range that wraps would claim addresses below its start.
        if seg.vmaddr.checked_add(seg.vmsize).is_none() {
            return malformed(format!(
                "segment {name} ({:#x}+{:#x}) ends past the top of the address space",
                seg.vmaddr, seg.vmsize
            ));
        }
        for k in 0..seg.nsects as usize {
            let at = SegmentCommand64::SIZE + k * Section64::SIZE;
            // In bounds: checked against `need` above.
            let s = Section64::parse(&cmd[at..at + Section64::SIZE]).expect("sized");
            if s.addr.checked_add(s.size).is_none() {
                return malformed(format!(
                    "section {},{} ({:#x}+{:#x}) ends past the top of the address space",
                    fixed_name(&s.segname),
                    fixed_name(&s.sectname),
                    s.addr,
                    s.size
                ));
            }
            self.sections.push(Section {
                segname: fixed_name(&s.segname),
                sectname: fixed_name(&s.sectname),
                addr: s.addr,
                size: s.size,
                offset: s.offset,
            });
        }
        self.segments.push(Segment {
            name,
            vmaddr: seg.vmaddr,
            vmsize: seg.vmsize,
            fileoff: seg.fileoff,
            filesize: seg.filesize,
            maxprot: seg.maxprot,
            initprot: seg.initprot,
        });
        Ok(())
    }
}

fn check_symtab(i: u32, cmd: &[u8], len: usize) -> Result<SymtabCommand, ParseError> {
    let st = SymtabCommand::parse(cmd).ok_or_else(|| {
        ParseError::Malformed(format!("LC_SYMTAB #{i} is {} bytes, too short", cmd.len()))
    })?;
    let len = len as u64;
    let syms_end = u64::from(st.symoff) + u64::from(st.nsyms) * Nlist64::SIZE as u64;
    if syms_end > len {
        return malformed(format!(
            "LC_SYMTAB: {} symbols at file offset {:#x} run past the end of the file ({len:#x} bytes)",
            st.nsyms, st.symoff
        ));
    }
    if u64::from(st.stroff) + u64::from(st.strsize) > len {
        return malformed(format!(
            "LC_SYMTAB: string table {:#x}+{:#x} runs past the end of the file ({len:#x} bytes)",
            st.stroff, st.strsize
        ));
    }
    Ok(st)
}

impl MachOSlice {
    /// The bytes of the slice (a fat file's slice, or the whole thin file).
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.data[self.base..self.base + self.len]
    }

    /// The shared file bytes and the absolute file range of `size` bytes at slice offset
    /// `offset`, or `None` when out of bounds.
    pub(crate) fn file_range(&self, offset: u64, size: u64) -> Option<(FileBytes, usize, usize)> {
        let end = offset.checked_add(size)?;
        if end > self.len as u64 {
            return None;
        }
        Some((
            self.data.clone(),
            self.base + offset as usize,
            size as usize,
        ))
    }

    pub(crate) fn symtab_command(&self) -> Option<SymtabCommand> {
        self.info.symtab
    }

    /// Architecture from the header (subtype flags masked).
    pub fn arch(&self) -> Arch {
        self.info.arch
    }
    /// `cputype` from the header.
    pub fn cputype(&self) -> u32 {
        self.info.header.cputype
    }
    /// Raw, flags included.
    pub fn cpusubtype(&self) -> u32 {
        self.info.header.cpusubtype
    }
    /// `filetype` from the header (`MH_EXECUTE` 0x2, `MH_KEXT_BUNDLE` 0xb, `MH_FILESET` 0xc, ...).
    pub fn filetype(&self) -> u32 {
        self.info.header.filetype
    }
    /// LC_UUID, if the image has one.
    pub fn uuid(&self) -> Option<Uuid> {
        self.info.uuid
    }
    /// Where this image's header sits in its slice (non-zero only for fileset entries).
    pub fn header_offset(&self) -> u64 {
        self.info.header_offset as u64
    }
    /// Is it a dSYM's DWARF file (`MH_DSYM`)?
    pub fn is_dsym(&self) -> bool {
        self.info.header.filetype == MH_DSYM
    }
    /// Is it an MH_FILESET kernelcache?
    pub fn is_fileset(&self) -> bool {
        self.info.header.filetype == MH_FILESET
    }
    /// Every LC_SEGMENT_64, in load-command order.
    pub fn segments(&self) -> &[Segment] {
        &self.info.segments
    }
    /// Every section of every segment, in order (1-based numbers are index + 1).
    pub fn sections(&self) -> &[Section] {
        &self.info.sections
    }
    /// The first segment called `name`.
    pub fn segment(&self, name: &str) -> Option<&Segment> {
        self.info.segments.iter().find(|s| s.name == name)
    }
    /// vmaddr of `__TEXT`: a kext's or Intel kernel's load-address anchor.
    pub fn text_vmaddr(&self) -> Option<u64> {
        self.segment("__TEXT").map(|s| s.vmaddr)
    }
    /// The first `__TEXT_EXEC`: the segment an arm64 panic's "Kernel text exec base" and a
    /// kext's `@start` point at.
    pub fn text_exec_vmaddr(&self) -> Option<u64> {
        self.segment("__TEXT_EXEC").map(|s| s.vmaddr)
    }
    /// The segment that maps `addr` (never `__PAGEZERO`).
    pub fn segment_containing(&self, addr: u64) -> Option<&Segment> {
        self.info
            .segments
            .iter()
            .find(|s| !s.maps_nothing() && s.contains(addr))
    }
    /// The lowest and highest address any segment maps (`__PAGEZERO` aside).
    pub fn vm_range(&self) -> Option<(u64, u64)> {
        let mapped = self.info.segments.iter().filter(|s| !s.maps_nothing());
        let lo = mapped.clone().map(|s| s.vmaddr).min()?;
        let hi = mapped.map(|s| s.end()).max()?;
        Some((lo, hi))
    }
    /// The entries of an MH_FILESET kernelcache (empty for any other file type).
    pub fn fileset_entries(&self) -> &[FilesetEntry] {
        &self.info.fileset
    }
    /// The fileset entry with this id (`com.apple.kernel` or a bundle id).
    pub fn fileset_entry(&self, id: &str) -> Option<&FilesetEntry> {
        self.info.fileset.iter().find(|e| e.id == id)
    }
    /// The fileset entry one of whose segments maps `vmaddr` (the whole kernelcache is one
    /// address space).
    pub fn entry_containing(&self, vmaddr: u64) -> Option<&FilesetEntry> {
        self.info
            .fileset
            .iter()
            .find(|e| !e.repeat && e.contains(vmaddr))
    }
}

fn parse_fileset_entry(i: u32, cmd: &[u8]) -> Result<(String, u64, u64), ParseError> {
    let fe = FilesetEntryCommand::parse(cmd).ok_or_else(|| {
        ParseError::Malformed(format!(
            "LC_FILESET_ENTRY #{i} is {} bytes, too short",
            cmd.len()
        ))
    })?;
    let id_bytes = cmd
        .get(fe.entry_id_offset as usize..)
        .filter(|b| !b.is_empty())
        .ok_or_else(|| {
            ParseError::Malformed(format!(
                "LC_FILESET_ENTRY #{i}: entry_id offset {:#x} is outside the command ({:#x} bytes)",
                fe.entry_id_offset,
                cmd.len()
            ))
        })?;
    Ok((fixed_name(id_bytes), fe.vmaddr, fe.fileoff))
}
