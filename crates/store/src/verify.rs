//! A store's answer is used only when the file carries the UUID that was asked for: a file of
//! another build would give confident, wrong frames.

use std::path::{Path, PathBuf};

use kpanic_symbols::{MachOFile, Uuid};

/// True when a slice of the Mach-O file at `path` has LC_UUID `uuid`.
pub fn has_uuid(path: &Path, uuid: Uuid) -> bool {
    let Ok(file) = MachOFile::open(path) else {
        return false;
    };
    let found = file
        .distinct_slices()
        .filter_map(|i| file.slice(i).ok())
        .any(|s| s.uuid() == Some(uuid));
    found
}

/// The file of `uuid` at `path`: the path itself when it is a Mach-O with the UUID, or, for a
/// dSYM bundle (a folder), its DWARF file with the UUID.
pub fn debug_file_at(path: &Path, uuid: Uuid) -> Option<PathBuf> {
    if path.is_dir() {
        return kpanic_symbols::dsym_dwarf_files(path)
            .into_iter()
            .find(|f| has_uuid(f, uuid));
    }
    (path.is_file() && has_uuid(path, uuid)).then(|| path.to_path_buf())
}
