//! Kernel Debug Kit folders.
//!
//! A KDK is `KDK_<version>_<build>.kdk/System/Library/Kernels/<kernel>[.dSYM]` plus
//! `System/Library/Extensions/<Name>.kext` bundles (each with `Contents/Info.plist` naming its
//! bundle id) and their `.dSYM`s beside them. On macOS they are installed under
//! `/Library/Developer/KDKs`; a user may point `--kdk` at one KDK or at that parent folder.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::walk::walk_dirs;

/// Where macOS installs Kernel Debug Kits.
pub const SYSTEM_KDK_DIR: &str = "/Library/Developer/KDKs";

/// Problems with a folder given as a KDK.
#[derive(Debug, thiserror::Error)]
pub enum KdkError {
    /// The folder holds no `System/Library/Kernels` and no `*.kdk` folder.
    #[error(
        "{path}: not a Kernel Debug Kit (no System/Library/Kernels inside, and no *.kdk folder)"
    )]
    NotAKdk {
        /// The folder given.
        path: PathBuf,
    },
    /// A file or folder could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// One Kernel Debug Kit.
#[derive(Debug)]
pub struct Kdk {
    root: PathBuf,
    /// Build number from the folder name (`KDK_15.4_24E248.kdk` → `24E248`), when it has one.
    build: Option<String>,
    kexts: OnceLock<HashMap<String, KextBundle>>,
}

/// A kext bundle inside a KDK (or any folder of kexts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KextBundle {
    /// Bundle id (`CFBundleIdentifier` of its `Info.plist`).
    pub bundle_id: String,
    /// `Contents/MacOS/<executable>` (or the flat `<Name>.kext/<executable>` of iOS-style bundles).
    pub binary: PathBuf,
}

impl Kdk {
    /// Opens `dir` as one KDK, or, when it is a folder of KDKs (like `/Library/Developer/KDKs`),
    /// every KDK in it.
    pub fn open_all(dir: &Path) -> Result<Vec<Kdk>, KdkError> {
        if dir.join("System/Library/Kernels").is_dir() {
            return Ok(vec![Kdk::new(dir.to_path_buf())]);
        }
        let entries = std::fs::read_dir(dir).map_err(|source| KdkError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let mut kdks: Vec<Kdk> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.join("System/Library/Kernels").is_dir())
            .map(Kdk::new)
            .collect();
        if kdks.is_empty() {
            return Err(KdkError::NotAKdk {
                path: dir.to_path_buf(),
            });
        }
        kdks.sort_by(|a, b| a.root.cmp(&b.root));
        Ok(kdks)
    }

    fn new(root: PathBuf) -> Kdk {
        let build = root
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(build_from_name);
        Kdk {
            root,
            build,
            kexts: OnceLock::new(),
        }
    }

    /// The KDK's folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The OS build it is for, from its folder name (`KDK_15.4_24E248.kdk` → `24E248`).
    pub fn build(&self) -> Option<&str> {
        self.build.as_deref()
    }

    /// `System/Library/Kernels/<name>`, when that file exists.
    pub fn kernel(&self, name: &str) -> Option<PathBuf> {
        let p = self.root.join("System/Library/Kernels").join(name);
        p.is_file().then_some(p)
    }

    /// Every kernel binary of the KDK (not the dSYMs), sorted.
    pub fn kernels(&self) -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(self.root.join("System/Library/Kernels"))
            .into_iter()
            .flatten()
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_file())
            .collect();
        v.sort();
        v
    }

    /// The kext bundle with this bundle id, from the KDK's Extensions folder.
    pub fn kext(&self, bundle_id: &str) -> Option<&KextBundle> {
        self.kexts
            .get_or_init(|| index_kexts(&self.root.join("System/Library/Extensions")))
            .get(bundle_id)
    }
}

/// `KDK_15.4_24E248.kdk` → `24E248`.
fn build_from_name(name: &str) -> Option<String> {
    let stem = name.strip_suffix(".kdk")?;
    let build = stem.rsplit('_').next()?;
    (!build.is_empty() && build.chars().all(|c| c.is_ascii_alphanumeric())).then(|| build.into())
}

/// Indexes every `.kext` bundle below `dir` (plug-ins included) by bundle id.
pub fn index_kexts(dir: &Path) -> HashMap<String, KextBundle> {
    let mut out = HashMap::new();
    walk_dirs(dir, &mut |path| {
        if path.extension().is_some_and(|e| e == "kext") {
            if let Some(k) = read_kext_bundle(path) {
                out.entry(k.bundle_id.clone()).or_insert(k);
            }
        }
    });
    out
}

/// Reads a `.kext` bundle's Info.plist for its bundle id and executable.
pub fn read_kext_bundle(bundle: &Path) -> Option<KextBundle> {
    let (plist_path, exec_dir) = if bundle.join("Contents/Info.plist").is_file() {
        (
            bundle.join("Contents/Info.plist"),
            bundle.join("Contents/MacOS"),
        )
    } else {
        (bundle.join("Info.plist"), bundle.to_path_buf())
    };
    let value = plist::Value::from_file(&plist_path).ok()?;
    let dict = value.as_dictionary()?;
    let bundle_id = dict.get("CFBundleIdentifier")?.as_string()?.to_string();
    let exec = dict.get("CFBundleExecutable")?.as_string()?;
    let binary = exec_dir.join(exec);
    binary.is_file().then_some(KextBundle { bundle_id, binary })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_numbers_from_kdk_folder_names() {
        assert_eq!(
            build_from_name("KDK_15.4_24E248.kdk").as_deref(),
            Some("24E248")
        );
        assert_eq!(
            build_from_name("KDK_26.0_25A5316i.kdk").as_deref(),
            Some("25A5316i")
        );
        assert_eq!(build_from_name("KDK_15.4_24E248"), None);
        assert_eq!(build_from_name("KDK_.kdk"), None);
    }
}
