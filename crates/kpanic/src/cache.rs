//! Where kpanic's front ends (the `kpanic` binary, the Python package) keep symbol indexes and
//! downloaded symbols by default. The libraries themselves take the folder as an argument
//! (`IndexOptions::cache_dir`, `StoreOptions::cache_dir`); this is the one policy both front
//! ends share, so that an index built by one is used by the other.

use std::path::PathBuf;

/// `$KPANIC_CACHE`, else the platform cache folder + `kpanic`: `~/Library/Caches/kpanic` on
/// macOS, `$XDG_CACHE_HOME/kpanic` (when absolute) or `~/.cache/kpanic` elsewhere. `None`
/// without any of these.
pub fn cache_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("KPANIC_CACHE").filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(d));
    }
    let home = std::env::var_os("HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from);
    if cfg!(target_os = "macos") {
        return home.map(|h| h.join("Library/Caches/kpanic"));
    }
    let xdg = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute());
    xdg.or_else(|| home.map(|h| h.join(".cache")))
        .map(|c| c.join("kpanic"))
}
