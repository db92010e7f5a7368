//! A store on the local disk: a folder in one of the [`Layout`]s, or just holding dSYMs and
//! binaries anywhere below it, found by reading every Mach-O's UUID once.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use kpanic_symbols::{MachOFile, Uuid};

use crate::layout::keys;
use crate::verify::debug_file_at;

/// How deep the plain-folder scan goes: dSYM bundles sit a few levels down, and a bound keeps
/// a symlink loop or a whole disk from being walked.
const MAX_DEPTH: usize = 16;

/// A local folder store.
#[derive(Debug)]
pub struct FolderStore {
    root: PathBuf,
    /// UUID → file, from a walk of the whole folder, made on the first UUID the layouts miss.
    scanned: OnceLock<HashMap<Uuid, PathBuf>>,
}

impl FolderStore {
    /// A store rooted at `root` (not read until asked).
    pub fn new(root: PathBuf) -> FolderStore {
        FolderStore {
            root,
            scanned: OnceLock::new(),
        }
    }

    /// The folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The debug file of `uuid` in place (no copy): by layout first, then by the scan.
    pub fn find(&self, uuid: Uuid) -> Option<PathBuf> {
        for key in keys(uuid) {
            if let Some(found) = debug_file_at(&self.root.join(&key), uuid) {
                return Some(found);
            }
        }
        self.scanned
            .get_or_init(|| scan(&self.root))
            .get(&uuid)
            .cloned()
    }
}

/// Every Mach-O below `root` by UUID, a dSYM's DWARF file winning over a binary of the same UUID.
fn scan(root: &Path) -> HashMap<Uuid, PathBuf> {
    let mut files = Vec::new();
    walk(root, 0, &mut files);
    files.sort();
    let mut dsyms = HashMap::new();
    let mut binaries = HashMap::new();
    for path in files {
        let in_dsym = path
            .ancestors()
            .any(|a| a.extension().is_some_and(|e| e == "dSYM"));
        let Ok(file) = MachOFile::open(&path) else {
            continue;
        };
        for i in file.distinct_slices() {
            let Ok(slice) = file.slice(i) else { continue };
            let Some(u) = slice.uuid() else { continue };
            let map = if in_dsym || slice.is_dsym() {
                &mut dsyms
            } else {
                &mut binaries
            };
            map.entry(u).or_insert_with(|| path.clone());
        }
    }
    for (u, p) in binaries {
        dsyms.entry(u).or_insert(p);
    }
    dsyms
}

/// Files below `dir` that look like Mach-O; symlinked folders are not followed (loops).
fn walk(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) {
    if depth > MAX_DEPTH {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        let path = entry.path();
        if kind.is_dir() {
            walk(&path, depth + 1, out);
        } else if path.is_file() && kpanic_symbols::is_macho_file(&path) {
            out.push(path);
        }
    }
}
