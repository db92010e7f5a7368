//! dSYMs by UUID through Spotlight, as lldb finds them on macOS: Xcode's importer indexes every
//! dSYM bundle's UUIDs as `com_apple_xcode_dsym_uuids`.

use std::path::{Path, PathBuf};
use std::process::Command;

use kpanic_symbols::Uuid;

use crate::verify::debug_file_at;

/// The DWARF file of a dSYM Spotlight knows with `uuid`, checked like any store's answer.
pub fn find(uuid: Uuid) -> Option<PathBuf> {
    let query = format!("com_apple_xcode_dsym_uuids == {uuid}");
    let out = Command::new("mdfind").arg(query).output().ok()?;
    if !out.status.success() {
        return None;
    }
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.is_empty())
        .find_map(|bundle| debug_file_at(Path::new(bundle), uuid))
}
