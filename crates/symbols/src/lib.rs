//! Symbols for kpanic: given a Mach-O binary or dSYM and an address in the binary's own address
//! space, say which function, file and line it is, with every inlined frame.
//!
//! The API, in the order a caller meets it:
//! - [`Symbolizer::open`] with [`SymbolizerOptions`] (which slice, which dSYM, which index):
//!   a binary with the dSYM beside it (UUID-checked, see [`DsymStatus`]), a dSYM, or an
//!   MH_FILESET kernelcache. [`Symbolizer::lookup`] and [`Symbolizer::lookup_many`] answer
//!   with [`Lookup`]s: DWARF 4/5 through addr2line (inlined chains included), else the nlist
//!   symbol table ("nearest preceding symbol + offset"); names are demangled.
//! - [`MachOFile`] / [`MachOSlice`]: thin and universal files, MH_EXECUTE / MH_DYLIB /
//!   MH_BUNDLE / MH_KEXT_BUNDLE images and MH_FILESET kernelcaches ([`FilesetEntry`]: ids,
//!   UUIDs, segments, "which entry maps this address"), for callers that place addresses
//!   themselves.
//! - [`SymbolAddr`] is an address in the symbol file's space; [`slide`] holds the pure
//!   functions that map runtime addresses to it for atos' `-l`, `-s` and `--text-exec-address`.
//! - [`atos`] renders answers as Apple's atos prints them, and as kpanic's JSON frames.
//! - [`index`]: precomputed answers of an image's DWARF, memory-mapped, in a cache folder.
//!
//! The library takes its configuration as arguments and reads no environment variable and no
//! home folder: the cache folder of indexes is [`IndexOptions::cache_dir`], chosen by the
//! caller (the `kpanic` binary uses `$KPANIC_CACHE`, else the platform cache folder).
//!
//! Files are memory-mapped and never copied; DWARF is parsed lazily, one compilation unit at a
//! time, the first time an address needs it.
//!
//! # Hostile input
//!
//! Parsing is bounds-checked: corrupt input is an [`Error`] naming the file and the structure,
//! never a panic. Every count read from a file is bounded by the bytes that hold it before it
//! drives a loop or an allocation: `ncmds` × 8 must fit in `sizeofcmds`, itself inside the
//! file; `nfat_arch` entries must fit in the file; `nsyms` × 16 must fit between `symoff` and
//! the end of the file; a segment's `nsects` × 80 must fit in its `cmdsize`; fileset entries
//! are load commands, so `ncmds` bounds them. Structures that point at the same bytes are
//! parsed once (fileset entries naming one header, universal slices repeating one range) and
//! ones that overlap otherwise are refused, so the total work stays linear in the file size.
//! Segments and sections must end by 2^64, and a DWARF probe at `u64::MAX` answers nothing:
//! addr2line searches `probe..probe + 1`.
//!
//! # Why not the `object` crate
//!
//! The Mach-O reader is written here (`macho/`, some 1,100 lines with the raw structures) rather
//! than taken from gimli-rs/object, which reads thin, fat and MH_FILESET files too. object
//! would replace the raw structure decoding, not the parts that carry kpanic's rules:
//! - the fileset walk and its policy: object decodes `LC_FILESET_ENTRY` and parses a header
//!   at an offset (`MachOFile::parse_at`), but which entry maps an address, offsets relative to
//!   the whole kernelcache, entries sharing one header (parsed once) or overlapping (refused)
//!   stay ours either way;
//! - errors that name the structure: object's high-level `MachOFile` stops collecting
//!   sections and symbols at the first bad load command without an error, where kpanic must
//!   tell a truncated kernelcache from a complete one, and its `Error(&'static str)` carries
//!   no offsets or counts;
//! - validation once, up front: segment, section and symbol-table ranges are checked against
//!   the slice when parsed (including the 2^64 and count limits above), so the readers index
//!   the map without checking again.
//!
//! The reader is bounded to what symbolication needs (segments, sections, LC_UUID, LC_SYMTAB,
//! LC_FILESET_ENTRY, little-endian 64-bit only), and every check is tested on corrupted
//! fixtures (`tests/corrupt.rs`) and hostile inputs (`tests/hostile.rs`). Should kpanic need
//! more of Mach-O (chained fixups, exports tries, 32-bit images), adopting object is the way.

#![warn(missing_docs)]

pub mod atos;
mod bytes;
mod demangle;
mod dsym;
mod dwarf;
mod error;
pub mod index;
mod lookup;
mod macho;
pub mod slide;
mod symtab;

pub use demangle::{demangle, demangle_symbol};
pub use dsym::{dsym_dwarf_files, find_dsym, DsymStatus};
pub use error::Error;
pub use index::{IndexMode, IndexOptions, IndexStatus, SymbolIndex};
pub use kpanic_common::{AddrKind, Arch, BadUuid, SymbolAddr, UnknownArch, Uuid};
pub use lookup::{DsymChoice, Lookup, LookupSource, SymFrame, Symbolizer, SymbolizerOptions};
pub use macho::{
    is_macho_file, FilesetEntry, MachOFile, MachOSlice, Section, Segment, SliceInfo, SliceSelector,
};

#[cfg(test)]
mod tests {
    #[test]
    fn symbolizer_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<super::Symbolizer>();
        check::<super::MachOFile>();
    }
}
