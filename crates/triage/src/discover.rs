//! Finding the panics under the paths a user gives: files, folders (recursively, symlink loops
//! safe), the folders macOS keeps them in, and zip archives of them.
//!
//! Discovery only lists; reading and parsing happen in parallel later ([`crate::load`]). A folder
//! is walked in sorted order so that the run is the same whatever the file system's order.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// How deep a folder is walked: `DiagnosticReports/Retired/…` is 2 levels; a fleet's collection
/// may nest by machine and date.
const MAX_DEPTH: usize = 32;

/// One thing to read: a file that may be a panic, or a zip archive that may hold panics.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Candidate {
    /// A file, read and parsed as a panic.
    File(PathBuf),
    /// A zip archive (by its name ending in `.zip`); each entry is a candidate of its own.
    Zip(PathBuf),
}

impl Candidate {
    /// The path on disk.
    pub fn path(&self) -> &Path {
        match self {
            Candidate::File(p) | Candidate::Zip(p) => p,
        }
    }
}

/// What was found under the paths.
#[derive(Debug, Default)]
pub struct Discovery {
    /// What to read, in walk order (command-line order, then sorted within each folder).
    pub candidates: Vec<Candidate>,
    /// Paths given that could not be used at all (missing, unreadable): each with why.
    pub unusable: Vec<(PathBuf, String)>,
}

/// Lists the candidates under `paths`. A path that is neither a file nor a folder is named in
/// [`Discovery::unusable`]; folders that cannot be listed are skipped silently below the top
/// (a fleet share has private folders), named when they are a path given.
pub fn discover(paths: &[PathBuf]) -> Discovery {
    let mut d = Discovery::default();
    let mut seen = HashSet::new();
    for root in paths {
        match std::fs::metadata(root) {
            Err(e) => d.unusable.push((root.clone(), e.to_string())),
            Ok(m) if m.is_dir() => {
                if let Err(e) = std::fs::read_dir(root) {
                    d.unusable.push((root.clone(), e.to_string()));
                    continue;
                }
                walk(root, 0, &mut seen, &mut d.candidates);
            }
            Ok(m) if m.is_file() => {
                // The same file named twice (or by a link) is read once.
                let key = root.canonicalize().unwrap_or_else(|_| root.clone());
                if seen.insert(key) {
                    d.candidates.push(candidate(root.clone()));
                }
            }
            Ok(_) => d
                .unusable
                .push((root.clone(), "not a regular file or folder".into())),
        }
    }
    d
}

/// The candidate a path is: a zip archive by its name, else a file.
pub(crate) fn candidate(path: PathBuf) -> Candidate {
    let zip = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("zip"));
    if zip {
        Candidate::Zip(path)
    } else {
        Candidate::File(path)
    }
}

fn walk(dir: &Path, depth: usize, seen: &mut HashSet<PathBuf>, out: &mut Vec<Candidate>) {
    if depth > MAX_DEPTH {
        return;
    }
    // Canonical paths break symlink loops and read a folder linked twice once.
    let Ok(canonical) = dir.canonicalize() else {
        return;
    };
    if !seen.insert(canonical) {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    paths.sort();
    for p in paths {
        // `metadata` follows links: a link to a file is read as the file.
        let Ok(m) = std::fs::metadata(&p) else {
            continue;
        };
        if m.is_dir() {
            walk(&p, depth + 1, seen, out);
        } else if m.is_file() {
            let key = p.canonicalize().unwrap_or_else(|_| p.clone());
            if seen.insert(key) {
                out.push(candidate(p));
            }
        }
    }
}

/// The folders macOS keeps panics in, that exist on this machine:
/// `/Library/Logs/DiagnosticReports` (with its `Retired/` folder, walked as part of it).
pub fn system_panic_folders() -> Vec<PathBuf> {
    ["/Library/Logs/DiagnosticReports"]
        .iter()
        .map(PathBuf::from)
        .filter(|p| p.is_dir())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_sorted_follows_links_once_and_names_missing_paths() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("b/Retired")).unwrap();
        std::fs::write(root.join("b/Retired/z.panic"), "x").unwrap();
        std::fs::write(root.join("b/a.ips"), "x").unwrap();
        std::fs::write(root.join("c.zip"), "x").unwrap();
        #[cfg(unix)]
        {
            // A loop back to the root and a second name for a file.
            std::os::unix::fs::symlink(root, root.join("b/loop")).unwrap();
            std::os::unix::fs::symlink(root.join("b/a.ips"), root.join("b/same.ips")).unwrap();
        }
        let d = discover(&[root.to_path_buf(), root.join("missing")]);
        let names: Vec<String> = d
            .candidates
            .iter()
            .map(|c| c.path().strip_prefix(root).unwrap().display().to_string())
            .collect();
        assert_eq!(names, ["b/Retired/z.panic", "b/a.ips", "c.zip"]);
        assert!(matches!(d.candidates[2], Candidate::Zip(_)));
        assert_eq!(d.unusable.len(), 1);
        assert!(d.unusable[0].0.ends_with("missing"));
    }
}
