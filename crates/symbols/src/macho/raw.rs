//! Raw Mach-O structures, decoded field by field from little-endian bytes.
//!
//! Everything here is a plain value type with a `parse` that takes a byte slice and returns
//! `None` when the slice is too short: the readers in the sibling modules decide what a short
//! read means (truncated file, lying `cmdsize`, ...). Fat headers are big-endian; everything else we read
//! (arm64, arm64e, x86_64) is little-endian, and big-endian thin files are rejected up front.

// The layouts are kept whole, as on disk, fields and numbers we do not read included.
#![allow(dead_code)]

// The numbers are those of <mach-o/loader.h>, <mach-o/fat.h>, <mach-o/nlist.h> and
// <mach/machine.h>.
pub const MH_MAGIC: u32 = 0xfeed_face;
pub const MH_CIGAM: u32 = 0xcefa_edfe;
pub const MH_MAGIC_64: u32 = 0xfeed_facf;
pub const MH_CIGAM_64: u32 = 0xcffa_edfe;
pub const FAT_MAGIC: u32 = 0xcafe_babe;
pub const FAT_MAGIC_64: u32 = 0xcafe_babf;

pub const MH_EXECUTE: u32 = 0x2;
pub const MH_DYLIB: u32 = 0x6;
pub const MH_BUNDLE: u32 = 0x8;
pub const MH_DSYM: u32 = 0xa;
pub const MH_KEXT_BUNDLE: u32 = 0xb;
pub const MH_FILESET: u32 = 0xc;

pub const LC_SYMTAB: u32 = 0x2;
pub const LC_SEGMENT_64: u32 = 0x19;
pub const LC_UUID: u32 = 0x1b;
pub const LC_FILESET_ENTRY: u32 = 0x8000_0035;

pub const CPU_ARCH_ABI64: u32 = 0x0100_0000;
pub const CPU_TYPE_X86_64: u32 = 7 | CPU_ARCH_ABI64;
pub const CPU_TYPE_ARM64: u32 = 12 | CPU_ARCH_ABI64;
/// The high byte of `cpusubtype` carries flags (arm64e: 0x80 = PTRAUTH_ABI, ABI version in
/// 0x0f): compare architectures on the low 24 bits only.
pub const CPU_SUBTYPE_MASK: u32 = 0xff00_0000;
pub const CPU_SUBTYPE_ARM64_ALL: u32 = 0;
pub const CPU_SUBTYPE_ARM64_V8: u32 = 1;
pub const CPU_SUBTYPE_ARM64E: u32 = 2;
pub const CPU_SUBTYPE_X86_64_ALL: u32 = 3;
pub const CPU_SUBTYPE_X86_64_H: u32 = 8;

pub const N_STAB: u8 = 0xe0;
pub const N_TYPE: u8 = 0x0e;
pub const N_EXT: u8 = 0x01;
pub const N_SECT: u8 = 0x0e;

pub const VM_PROT_EXECUTE: u32 = 0x4;

pub(crate) fn u16_le(b: &[u8], off: usize) -> Option<u16> {
    Some(u16::from_le_bytes(
        b.get(off..off.checked_add(2)?)?.try_into().ok()?,
    ))
}
pub(crate) fn u32_le(b: &[u8], off: usize) -> Option<u32> {
    Some(u32::from_le_bytes(
        b.get(off..off.checked_add(4)?)?.try_into().ok()?,
    ))
}
pub(crate) fn u64_le(b: &[u8], off: usize) -> Option<u64> {
    Some(u64::from_le_bytes(
        b.get(off..off.checked_add(8)?)?.try_into().ok()?,
    ))
}
pub(crate) fn u32_be(b: &[u8], off: usize) -> Option<u32> {
    Some(u32::from_be_bytes(
        b.get(off..off.checked_add(4)?)?.try_into().ok()?,
    ))
}
pub(crate) fn u64_be(b: &[u8], off: usize) -> Option<u64> {
    Some(u64::from_be_bytes(
        b.get(off..off.checked_add(8)?)?.try_into().ok()?,
    ))
}

/// A fixed 16-byte name (segment or section), NUL-padded but not always NUL-terminated.
pub(crate) fn fixed_name(b: &[u8]) -> String {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).into_owned()
}

/// `mach_header_64` (the 32-bit header is 4 bytes shorter: no `reserved`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MachHeader64 {
    pub magic: u32,
    pub cputype: u32,
    pub cpusubtype: u32,
    pub filetype: u32,
    pub ncmds: u32,
    pub sizeofcmds: u32,
    pub flags: u32,
}

impl MachHeader64 {
    pub const SIZE: usize = 32;
    pub fn parse(b: &[u8]) -> Option<Self> {
        Some(Self {
            magic: u32_le(b, 0)?,
            cputype: u32_le(b, 4)?,
            cpusubtype: u32_le(b, 8)?,
            filetype: u32_le(b, 12)?,
            ncmds: u32_le(b, 16)?,
            sizeofcmds: u32_le(b, 20)?,
            flags: u32_le(b, 24)?,
        })
        .filter(|_| b.len() >= Self::SIZE)
    }
}

/// `load_command`: the 8-byte prefix every load command starts with.
#[derive(Clone, Copy, Debug)]
pub struct LoadCommand {
    pub cmd: u32,
    pub cmdsize: u32,
}

impl LoadCommand {
    pub const SIZE: usize = 8;
    pub fn parse(b: &[u8]) -> Option<Self> {
        Some(Self {
            cmd: u32_le(b, 0)?,
            cmdsize: u32_le(b, 4)?,
        })
    }
}

/// `segment_command_64` (without the trailing `section_64` array).
#[derive(Clone, Copy, Debug)]
pub struct SegmentCommand64 {
    pub segname: [u8; 16],
    pub vmaddr: u64,
    pub vmsize: u64,
    pub fileoff: u64,
    pub filesize: u64,
    pub maxprot: u32,
    pub initprot: u32,
    pub nsects: u32,
    pub flags: u32,
}

impl SegmentCommand64 {
    pub const SIZE: usize = 72;
    pub fn parse(b: &[u8]) -> Option<Self> {
        Some(Self {
            segname: b.get(8..24)?.try_into().ok()?,
            vmaddr: u64_le(b, 24)?,
            vmsize: u64_le(b, 32)?,
            fileoff: u64_le(b, 40)?,
            filesize: u64_le(b, 48)?,
            maxprot: u32_le(b, 56)?,
            initprot: u32_le(b, 60)?,
            nsects: u32_le(b, 64)?,
            flags: u32_le(b, 68)?,
        })
    }
}

/// `section_64`.
#[derive(Clone, Copy, Debug)]
pub struct Section64 {
    pub sectname: [u8; 16],
    pub segname: [u8; 16],
    pub addr: u64,
    pub size: u64,
    pub offset: u32,
    pub flags: u32,
}

impl Section64 {
    pub const SIZE: usize = 80;
    pub fn parse(b: &[u8]) -> Option<Self> {
        Some(Self {
            sectname: b.get(0..16)?.try_into().ok()?,
            segname: b.get(16..32)?.try_into().ok()?,
            addr: u64_le(b, 32)?,
            size: u64_le(b, 40)?,
            offset: u32_le(b, 48)?,
            flags: u32_le(b, 64)?,
        })
        .filter(|_| b.len() >= Self::SIZE)
    }
}

/// `symtab_command`.
#[derive(Clone, Copy, Debug)]
pub struct SymtabCommand {
    pub symoff: u32,
    pub nsyms: u32,
    pub stroff: u32,
    pub strsize: u32,
}

impl SymtabCommand {
    pub const SIZE: usize = 24;
    pub fn parse(b: &[u8]) -> Option<Self> {
        Some(Self {
            symoff: u32_le(b, 8)?,
            nsyms: u32_le(b, 12)?,
            stroff: u32_le(b, 16)?,
            strsize: u32_le(b, 20)?,
        })
    }
}

/// `nlist_64`.
#[derive(Clone, Copy, Debug)]
pub struct Nlist64 {
    pub n_strx: u32,
    pub n_type: u8,
    pub n_sect: u8,
    pub n_desc: u16,
    pub n_value: u64,
}

impl Nlist64 {
    pub const SIZE: usize = 16;
    pub fn parse(b: &[u8]) -> Option<Self> {
        Some(Self {
            n_strx: u32_le(b, 0)?,
            n_type: *b.get(4)?,
            n_sect: *b.get(5)?,
            n_desc: u16_le(b, 6)?,
            n_value: u64_le(b, 8)?,
        })
    }
}

/// `uuid_command`.
pub fn parse_uuid_command(b: &[u8]) -> Option<[u8; 16]> {
    b.get(8..24)?.try_into().ok()
}

/// `fileset_entry_command` (LC_FILESET_ENTRY, 0x80000035): one Mach-O inside an MH_FILESET
/// kernelcache. `entry_id` is an offset from the start of the command to a C string.
#[derive(Clone, Copy, Debug)]
pub struct FilesetEntryCommand {
    pub vmaddr: u64,
    pub fileoff: u64,
    pub entry_id_offset: u32,
}

impl FilesetEntryCommand {
    pub const SIZE: usize = 32;
    pub fn parse(b: &[u8]) -> Option<Self> {
        Some(Self {
            vmaddr: u64_le(b, 8)?,
            fileoff: u64_le(b, 16)?,
            entry_id_offset: u32_le(b, 24)?,
        })
        .filter(|_| b.len() >= Self::SIZE)
    }
}

/// `fat_header` (big-endian).
#[derive(Clone, Copy, Debug)]
pub struct FatHeader {
    pub magic: u32,
    pub nfat_arch: u32,
}

impl FatHeader {
    pub const SIZE: usize = 8;
    pub fn parse(b: &[u8]) -> Option<Self> {
        Some(Self {
            magic: u32_be(b, 0)?,
            nfat_arch: u32_be(b, 4)?,
        })
    }
}

/// `fat_arch` / `fat_arch_64` (big-endian), widened to 64-bit offsets.
#[derive(Clone, Copy, Debug)]
pub struct FatArch {
    pub cputype: u32,
    pub cpusubtype: u32,
    pub offset: u64,
    pub size: u64,
}

impl FatArch {
    pub const SIZE_32: usize = 20;
    pub const SIZE_64: usize = 32;
    pub fn parse32(b: &[u8]) -> Option<Self> {
        Some(Self {
            cputype: u32_be(b, 0)?,
            cpusubtype: u32_be(b, 4)?,
            offset: u32_be(b, 8)?.into(),
            size: u32_be(b, 12)?.into(),
        })
        .filter(|_| b.len() >= Self::SIZE_32)
    }
    pub fn parse64(b: &[u8]) -> Option<Self> {
        Some(Self {
            cputype: u32_be(b, 0)?,
            cpusubtype: u32_be(b, 4)?,
            offset: u64_be(b, 8)?,
            size: u64_be(b, 16)?,
        })
        .filter(|_| b.len() >= Self::SIZE_64)
    }
}
