//! Bounded recursive folder walking (symbol folders can be large and can contain link loops).

use std::collections::HashSet;
use std::path::Path;

/// How deep a `--symbols` or KDK folder is searched. KDK kexts sit about 8 levels down
/// (`System/Library/Extensions/X.kext/Contents/PlugIns/Y.kext/Contents/MacOS/Y`).
const MAX_DEPTH: usize = 24;

/// Calls `visit` for every folder below `root` (root included), following links once each.
pub fn walk_dirs(root: &Path, visit: &mut dyn FnMut(&Path)) {
    let mut seen = HashSet::new();
    walk(root, 0, &mut seen, &mut |p, is_dir| {
        if is_dir {
            visit(p)
        }
    });
}

/// Calls `visit` for every regular file below `root` (or for `root` itself when it is a file).
pub fn walk_files(root: &Path, visit: &mut dyn FnMut(&Path)) {
    if root.is_file() {
        visit(root);
        return;
    }
    let mut seen = HashSet::new();
    walk(root, 0, &mut seen, &mut |p, is_dir| {
        if !is_dir {
            visit(p)
        }
    });
}

fn walk(
    dir: &Path,
    depth: usize,
    seen: &mut HashSet<std::path::PathBuf>,
    visit: &mut dyn FnMut(&Path, bool),
) {
    if depth > MAX_DEPTH {
        return;
    }
    // Canonical paths break symlink loops.
    let Ok(canonical) = dir.canonicalize() else {
        return;
    };
    if !seen.insert(canonical) {
        return;
    }
    visit(dir, true);
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            walk(&p, depth + 1, seen, visit);
        } else if p.is_file() {
            visit(&p, false);
        }
    }
}
