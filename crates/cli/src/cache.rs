//! Where indexes are cached: a policy of the `kpanic` binary, not of the libraries, which take
//! the folder as an argument (`IndexOptions::cache_dir`).

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
