//! Symbol sources a user names (`--kdk`, `--symbols`, `--kernelcache`) that cannot be used, said
//! one way: `PATH: what is wrong; what to do`.
//!
//! A source that is silently skipped turns into "no symbols" on every frame, far from the
//! mistake; so each one is checked when it is given, and the problem names the path.

use std::fmt;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use crate::kdk::{Kdk, KdkError};

/// The option a source was given with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceOption {
    /// `--kdk DIR`.
    Kdk,
    /// `--symbols PATH`.
    Symbols,
    /// `--kernelcache FILE`.
    Kernelcache,
}

impl SourceOption {
    /// The option as typed.
    pub fn flag(self) -> &'static str {
        match self {
            SourceOption::Kdk => "--kdk",
            SourceOption::Symbols => "--symbols",
            SourceOption::Kernelcache => "--kernelcache",
        }
    }

    /// What the option takes, for the "what to do" half of a problem.
    fn wants(self) -> &'static str {
        match self {
            SourceOption::Kdk => {
                "--kdk wants a Kernel Debug Kit folder (KDK_<version>_<build>.kdk) or a folder of them"
            }
            SourceOption::Symbols => {
                "--symbols wants a Mach-O binary, a .dSYM, or a folder holding them"
            }
            SourceOption::Kernelcache => {
                "--kernelcache wants the machine's decompressed kernelcache (a Mach-O MH_FILESET file)"
            }
        }
    }
}

/// Apple archives a KDK ships in, which kpanic does not open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Archive {
    /// A disk image (`.dmg`, UDIF): Apple's KDK download.
    DiskImage,
    /// An installer package (`.pkg`, xar): what the KDK disk image holds.
    Package,
}

/// What is wrong with a source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceFault {
    /// Nothing at the path.
    Missing,
    /// The path exists but cannot be read (permissions, I/O); the system's words.
    Unreadable(String),
    /// A `.dmg` or `.pkg`: the KDK folder must be taken out of it first.
    Archive(Archive),
    /// `--kdk` given a file.
    NotAFolder,
    /// `--kdk` given a folder with no `System/Library/Kernels`, and no `*.kdk` folder in it.
    NotAKdk,
    /// `--symbols` given a file that is not Mach-O.
    NotMachO,
    /// `--symbols` given a folder with no Mach-O file below it.
    NoMachOInside,
    /// `--kernelcache` given an IMG4 payload (an IPSW's kernelcache, still compressed).
    Im4p,
    /// `--kernelcache` given a Mach-O that is not an MH_FILESET (a kernel binary, a kext).
    NotFileset {
        /// Its `filetype`.
        filetype: u32,
    },
    /// `--kernelcache` given a file the Mach-O reader refuses; its words.
    Unusable(String),
}

/// A symbol source that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceProblem {
    /// The option it came with.
    pub option: SourceOption,
    /// The path as given.
    pub path: PathBuf,
    /// What is wrong.
    pub fault: SourceFault,
}

/// Where the Linux recipe for a KDK's `.dmg`/`.pkg` lives (README links it too).
const KDK_DOC: &str = "docs/kdk.md";

impl fmt::Display for SourceProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.path.display())?;
        let wants = self.option.wants();
        match &self.fault {
            SourceFault::Missing => write!(f, "no such file or folder; {wants}"),
            SourceFault::Unreadable(why) => {
                write!(f, "cannot be read ({why}); check its permissions")
            }
            SourceFault::Archive(Archive::DiskImage) => write!(
                f,
                "an Apple disk image (.dmg), which kpanic does not open; take the KDK_….kdk \
                 folder out of it and give that: on macOS open it and install the .pkg inside \
                 (the KDK lands in /Library/Developer/KDKs), on Linux `7zz x` the .dmg, `7zz x` \
                 the .pkg it holds, and unpack each Payload with `7zz x -so Payload | cpio -idm` \
                 ({KDK_DOC})"
            ),
            SourceFault::Archive(Archive::Package) => write!(
                f,
                "an Apple installer package (.pkg), which kpanic does not open; take the \
                 KDK_….kdk folder out of it and give that: on macOS install it (the KDK lands \
                 in /Library/Developer/KDKs), on Linux `7zz x` it and unpack each Payload with \
                 `7zz x -so Payload | cpio -idm` ({KDK_DOC})"
            ),
            SourceFault::NotAFolder => write!(
                f,
                "a file, not a folder; {wants} (a single kernel or dSYM goes to --symbols)"
            ),
            SourceFault::NotAKdk => write!(
                f,
                "not a Kernel Debug Kit (no System/Library/Kernels inside, and no *.kdk folder); \
                 {wants} (a folder of binaries and dSYMs goes to --symbols)"
            ),
            SourceFault::NotMachO => write!(f, "not a Mach-O binary or dSYM; {wants}"),
            SourceFault::NoMachOInside => {
                write!(f, "no Mach-O binary or dSYM in this folder; {wants}")
            }
            SourceFault::Im4p => write!(
                f,
                "an IMG4 payload (IM4P), still compressed as it comes in an IPSW; decompress it \
                 to the Mach-O kernelcache first (for example `ipsw kernel dec`) and give that"
            ),
            SourceFault::NotFileset { filetype } => write!(
                f,
                "a Mach-O file but not an MH_FILESET kernelcache (filetype {filetype:#x}); {wants} \
                 (a kernel binary goes to --symbols or comes with --kdk)"
            ),
            SourceFault::Unusable(why) => write!(f, "{why}; {wants}"),
        }
    }
}

impl SourceProblem {
    fn new(option: SourceOption, path: &Path, fault: SourceFault) -> SourceProblem {
        SourceProblem {
            option,
            path: path.to_path_buf(),
            fault,
        }
    }
}

/// What every source is checked for first: there, readable, not an archive.
fn check_common(option: SourceOption, path: &Path) -> Result<(), SourceProblem> {
    let problem = |fault| Err(SourceProblem::new(option, path, fault));
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return problem(SourceFault::Missing),
        Err(e) => return problem(SourceFault::Unreadable(e.to_string())),
    };
    if meta.is_file() {
        if let Some(a) = archive_kind(path) {
            return problem(SourceFault::Archive(a));
        }
    }
    Ok(())
}

/// A `.dmg` or `.pkg`, by content (UDIF's `koly` trailer, xar's magic) or, for a file too
/// short or unreadable to tell, by name.
pub fn archive_kind(path: &Path) -> Option<Archive> {
    let by_name = match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("dmg") => Some(Archive::DiskImage),
        Some("pkg") => Some(Archive::Package),
        _ => None,
    };
    let Ok(mut file) = std::fs::File::open(path) else {
        return by_name;
    };
    let mut magic = [0u8; 4];
    if file.read_exact(&mut magic).is_ok() && &magic == b"xar!" {
        return Some(Archive::Package);
    }
    // UDIF ends with a 512-byte trailer that starts with `koly`.
    let mut trailer = [0u8; 4];
    if file.seek(SeekFrom::End(-512)).is_ok()
        && file.read_exact(&mut trailer).is_ok()
        && &trailer == b"koly"
    {
        return Some(Archive::DiskImage);
    }
    by_name
}

/// `--kdk PATH`: the KDKs it holds.
pub fn open_kdks(path: &Path) -> Result<Vec<Kdk>, SourceProblem> {
    let option = SourceOption::Kdk;
    check_common(option, path)?;
    if !path.is_dir() {
        return Err(SourceProblem::new(option, path, SourceFault::NotAFolder));
    }
    Kdk::open_all(path).map_err(|e| {
        let fault = match e {
            KdkError::NotAKdk { .. } => SourceFault::NotAKdk,
            KdkError::Io { source, .. } => SourceFault::Unreadable(source.to_string()),
        };
        SourceProblem::new(option, path, fault)
    })
}

/// `--symbols PATH`: every Mach-O file at or below it (see [`crate::library::symbol_files`]).
pub fn symbol_files(path: &Path) -> Result<Vec<PathBuf>, SourceProblem> {
    let option = SourceOption::Symbols;
    check_common(option, path)?;
    let files = crate::library::symbol_files(path);
    if files.is_empty() {
        let fault = if path.is_dir() {
            SourceFault::NoMachOInside
        } else {
            SourceFault::NotMachO
        };
        return Err(SourceProblem::new(option, path, fault));
    }
    Ok(files)
}

/// `--kernelcache FILE`, before it is opened: there, readable, not an archive, not IM4P.
pub fn check_kernelcache(path: &Path) -> Result<(), SourceProblem> {
    let option = SourceOption::Kernelcache;
    check_common(option, path)?;
    if path.is_dir() {
        return Err(SourceProblem::new(
            option,
            path,
            SourceFault::Unusable("a folder, not a file".into()),
        ));
    }
    if is_im4p(path) {
        return Err(SourceProblem::new(option, path, SourceFault::Im4p));
    }
    Ok(())
}

/// A kernelcache the Mach-O reader refused (`err`) or that is not a fileset (`filetype`).
pub fn kernelcache_problem(
    path: &Path,
    err: Option<&kpanic_symbols::Error>,
    filetype: u32,
) -> SourceProblem {
    let fault = match err {
        // The reader's message starts with the path, which the problem says first already.
        Some(e) => {
            let text = e.to_string();
            let prefix = format!("{}: ", path.display());
            SourceFault::Unusable(text.strip_prefix(&prefix).unwrap_or(&text).to_string())
        }
        None => SourceFault::NotFileset { filetype },
    };
    SourceProblem::new(SourceOption::Kernelcache, path, fault)
}

/// An IMG4 payload: a DER SEQUENCE whose first element is the IA5String "IM4P".
fn is_im4p(path: &Path) -> bool {
    let mut head = [0u8; 16];
    let Ok(n) = std::fs::File::open(path).and_then(|mut f| f.read(&mut head)) else {
        return false;
    };
    head[..n].first() == Some(&0x30) && head[..n].windows(4).any(|w| w == b"IM4P")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(option: SourceOption, path: &Path, fault: SourceFault) -> String {
        SourceProblem::new(option, path, fault).to_string()
    }

    #[test]
    fn every_problem_is_path_what_then_what_to_do() {
        let p = Path::new("/x/KDK_15.4_24E248.dmg");
        let faults = [
            SourceFault::Missing,
            SourceFault::Unreadable("Permission denied (os error 13)".into()),
            SourceFault::Archive(Archive::DiskImage),
            SourceFault::Archive(Archive::Package),
            SourceFault::NotAFolder,
            SourceFault::NotAKdk,
            SourceFault::NotMachO,
            SourceFault::NoMachOInside,
            SourceFault::Im4p,
            SourceFault::NotFileset { filetype: 2 },
            SourceFault::Unusable("not a Mach-O file (magic 0x706b2023)".into()),
        ];
        for fault in faults {
            for option in [
                SourceOption::Kdk,
                SourceOption::Symbols,
                SourceOption::Kernelcache,
            ] {
                let text = problem(option, p, fault.clone());
                assert!(text.starts_with("/x/KDK_15.4_24E248.dmg: "), "{text}");
                assert!(text.contains("; "), "what to do follows: {text}");
                assert!(!text.contains('\n'), "one line: {text}");
            }
        }
    }

    #[test]
    fn archives_are_told_by_content_and_name() {
        let dir = tempfile::tempdir().unwrap();
        let pkg = dir.path().join("payload.bin");
        std::fs::write(&pkg, b"xar!\x00\x1c\x00\x01rest").unwrap();
        assert_eq!(archive_kind(&pkg), Some(Archive::Package));
        let dmg = dir.path().join("image.bin");
        let mut bytes = vec![0u8; 2048];
        bytes[2048 - 512..2048 - 508].copy_from_slice(b"koly");
        std::fs::write(&dmg, bytes).unwrap();
        assert_eq!(archive_kind(&dmg), Some(Archive::DiskImage));
        // An empty download, by its name alone.
        let empty = dir.path().join("KDK_15.4_24E248.DMG");
        std::fs::write(&empty, b"").unwrap();
        assert_eq!(archive_kind(&empty), Some(Archive::DiskImage));
        let text = dir.path().join("notes.txt");
        std::fs::write(&text, b"hello").unwrap();
        assert_eq!(archive_kind(&text), None);
    }

    #[test]
    fn an_im4p_kernelcache_is_told_apart() {
        let dir = tempfile::tempdir().unwrap();
        let kc = dir.path().join("kernelcache.release.iphone14");
        // DER: SEQUENCE (long form length), IA5String "IM4P", IA5String "krnl", …
        std::fs::write(&kc, b"\x30\x83\x01\x02\x03\x16\x04IM4P\x16\x04krnl").unwrap();
        assert_eq!(check_kernelcache(&kc).unwrap_err().fault, SourceFault::Im4p);
    }
}
