//! Symbols for kpanic: given a Mach-O binary or dSYM and an address in the binary's own address
//! space, say which function, file and line it is, with every inlined frame.
//!
//! - [`macho`]: thin and universal files, MH_EXECUTE / MH_DYLIB / MH_BUNDLE / MH_KEXT_BUNDLE
//!   images and MH_FILESET kernelcaches (entries, ids, UUIDs, segments, "which entry maps this
//!   address"). Parsing is bounds-checked: corrupt input is an [`Error`], never a panic.
//! - [`Symbolizer`]: a binary with the dSYM beside it (UUID-checked, see [`DsymStatus`]), a dSYM,
//!   or a kernelcache. Lookups use DWARF 4/5 through addr2line (inlined chains included) and fall
//!   back to the nlist symbol table ("nearest preceding symbol + offset"); names are demangled.
//! - [`SymbolAddr`] is an address in the symbol file's space; [`slide`] holds the pure
//!   functions that map runtime addresses to it for atos' `-l`, `-s` and `--text-exec-address`.
//! - [`atos`] renders answers as Apple's atos prints them, and as kpanic's JSON frames.
//!
//! Files are memory-mapped and never copied; DWARF is parsed lazily, one compilation unit at a
//! time, the first time an address needs it.

pub mod atos;
mod bytes;
mod demangle;
mod dsym;
mod dwarf;
mod error;
pub mod index;
mod lookup;
pub mod macho;
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
