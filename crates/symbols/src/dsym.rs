//! dSYM bundles: finding the one that belongs to a binary, and the DWARF file inside it.
//!
//! Layout: `X.dSYM/Contents/Resources/DWARF/X`. For a binary inside a bundle
//! (`Foo.kext/Contents/MacOS/Foo`) the dSYM sits beside the bundle: `Foo.kext.dSYM`.

use crate::Uuid;
use std::path::{Path, PathBuf};

/// How the debug information of a [`crate::Symbolizer`] was found.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum DsymStatus {
    /// The symbol file given was a dSYM (or its DWARF file) itself.
    IsDsym {
        /// The dSYM bundle (or DWARF file) given.
        path: PathBuf,
    },
    /// A dSYM with the binary's UUID was found and is used.
    Found {
        /// The dSYM bundle (or DWARF file).
        path: PathBuf,
    },
    /// No dSYM was found (or none was looked for); DWARF comes from the binary if it has any.
    Missing,
    /// A dSYM was found but has no slice with the binary's UUID: it is not used, since its
    /// answers would be for a different build.
    UuidMismatch {
        /// The dSYM that does not match.
        path: PathBuf,
        /// The binary's UUID (`None`: it has no LC_UUID, and no slice had its architecture).
        binary: Option<Uuid>,
        /// The UUIDs the dSYM has.
        dsym: Vec<Uuid>,
    },
}

/// The `.dSYM` bundle that belongs beside `binary`, if one exists: `binary.dSYM`, or
/// `Bundle.kext.dSYM` for a binary inside `Bundle.kext/Contents/MacOS/`.
pub fn find_dsym(binary: &Path) -> Option<PathBuf> {
    let mut candidates = Vec::new();
    if let Some(name) = binary.file_name() {
        let mut n = name.to_os_string();
        n.push(".dSYM");
        candidates.push(binary.with_file_name(n));
    }
    for ancestor in binary.ancestors().skip(1) {
        let Some(name) = ancestor.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if [".kext", ".app", ".framework", ".bundle", ".appex", ".dext"]
            .iter()
            .any(|ext| name.ends_with(ext))
        {
            candidates.push(ancestor.with_file_name(format!("{name}.dSYM")));
            break;
        }
    }
    candidates
        .into_iter()
        .find(|c| c.join("Contents/Resources/DWARF").is_dir())
}

/// The DWARF files of a `.dSYM` bundle, sorted by name.
pub fn dsym_dwarf_files(bundle: &Path) -> Vec<PathBuf> {
    let dir = bundle.join("Contents/Resources/DWARF");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// The DWARF file of `bundle` that belongs to a binary called `binary_name`: the one with that
/// name, else the only one, else all of them (the caller matches by UUID).
pub(crate) fn dwarf_candidates(bundle: &Path, binary_name: Option<&str>) -> Vec<PathBuf> {
    let files = dsym_dwarf_files(bundle);
    if let Some(name) = binary_name {
        if let Some(f) = files
            .iter()
            .find(|f| f.file_name().and_then(|n| n.to_str()) == Some(name))
        {
            return vec![f.clone()];
        }
    }
    files
}

/// If `path` names a dSYM (the bundle directory, or a file inside one), the bundle.
pub(crate) fn dsym_bundle_of(path: &Path) -> Option<PathBuf> {
    path.ancestors()
        .find(|a| {
            a.extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("dSYM"))
                && a.join("Contents/Resources/DWARF").is_dir()
        })
        .map(Path::to_path_buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kext_bundle_dsym_is_found_beside_the_bundle() {
        let dir = std::env::temp_dir().join(format!("kpanic-dsym-test-{}", std::process::id()));
        let bin = dir.join("Foo.kext/Contents/MacOS/Foo");
        std::fs::create_dir_all(bin.parent().unwrap()).unwrap();
        std::fs::write(&bin, b"x").unwrap();
        assert_eq!(find_dsym(&bin), None);
        std::fs::create_dir_all(dir.join("Foo.kext.dSYM/Contents/Resources/DWARF")).unwrap();
        std::fs::write(dir.join("Foo.kext.dSYM/Contents/Resources/DWARF/Foo"), b"x").unwrap();
        assert_eq!(find_dsym(&bin), Some(dir.join("Foo.kext.dSYM")));
        assert_eq!(
            dsym_bundle_of(&dir.join("Foo.kext.dSYM/Contents/Resources/DWARF/Foo")),
            Some(dir.join("Foo.kext.dSYM"))
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
