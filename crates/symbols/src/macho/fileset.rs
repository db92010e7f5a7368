//! MH_FILESET kernelcaches: one file, one address space, many Mach-Os.
//!
//! A fileset's header carries an `LC_FILESET_ENTRY` per constituent (the kernel
//! `com.apple.kernel` and every kext): its id, the vmaddr of its `__TEXT`, and the file offset of
//! its own Mach-O header. Offsets inside an entry's load commands are relative to the whole
//! fileset, so an entry is parsed as a [`MachOSlice`] over the same bytes with its header moved.

use super::image::{MachOSlice, Segment};
use crate::Uuid;

/// One Mach-O of a kernelcache.
#[derive(Clone, Debug)]
pub struct FilesetEntry {
    /// The entry id: `com.apple.kernel` or a kext's bundle id.
    pub id: String,
    /// vmaddr of the entry's `__TEXT`, as the fileset header states it.
    pub vmaddr: u64,
    /// File offset of the entry's Mach-O header.
    pub fileoff: u64,
    /// The entry's own load commands (segments, UUID, symbol table).
    pub image: MachOSlice,
    /// An earlier entry names the same header (so the same image): searches skip this one,
    /// which keeps "which entry maps this address" linear in the file size.
    pub(crate) repeat: bool,
}

impl FilesetEntry {
    /// The entry's LC_UUID (a kext's own, not the kernelcache's).
    pub fn uuid(&self) -> Option<Uuid> {
        self.image.uuid()
    }
    /// The entry's segments, in kernelcache addresses.
    pub fn segments(&self) -> &[Segment] {
        self.image.segments()
    }
    /// Does one of the entry's segments map `vmaddr`? `__LINKEDIT` does not count: the
    /// entries of a kernelcache share one.
    pub fn contains(&self, vmaddr: u64) -> bool {
        image_maps(&self.image, vmaddr)
    }
}

/// [`FilesetEntry::contains`] for an entry's image.
pub(crate) fn image_maps(image: &MachOSlice, vmaddr: u64) -> bool {
    image
        .segments()
        .iter()
        .any(|s| s.name != "__LINKEDIT" && s.vmsize > 0 && s.contains(vmaddr))
}
