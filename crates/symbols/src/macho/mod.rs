//! Mach-O reading: thin and universal files, their images, and MH_FILESET kernelcaches.
//!
//! `raw` decodes structures; `fat`, `image` and `fileset` are the readers. [`MachOFile`] owns the
//! mapped bytes and hands out [`MachOSlice`]s, which share them.

mod fat;
pub(crate) mod fileset;
mod image;
pub(crate) mod raw;

pub use fat::SliceInfo;
pub use fileset::FilesetEntry;
pub use image::{MachOSlice, Section, Segment};

use crate::bytes::FileBytes;
use crate::error::{Error, ParseError};
use crate::{Arch, Uuid};
use std::path::{Path, PathBuf};

/// Does the file start like a Mach-O (thin, either endianness or width, or universal)? Reads
/// four bytes: most files of a symbols folder are not Mach-O, and opening each would be slow.
pub fn is_macho_file(path: &Path) -> bool {
    use std::io::Read;
    let mut magic = [0u8; 4];
    let ok = std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok();
    ok && matches!(
        u32::from_be_bytes(magic),
        0xfeedfacf | 0xcffaedfe | 0xfeedface | 0xcefaedfe | 0xcafebabe | 0xcafebabf
    )
}

/// Which slice of a (possibly universal) file to use. With neither field set, a thin file's only
/// slice, and an error for a universal file with several.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SliceSelector {
    /// This architecture (exact, else the same family).
    pub arch: Option<Arch>,
    /// This LC_UUID (exact); wins over `arch`.
    pub uuid: Option<Uuid>,
}

impl SliceSelector {
    /// Select by architecture.
    pub fn arch(arch: Arch) -> Self {
        Self {
            arch: Some(arch),
            uuid: None,
        }
    }
    /// Select by UUID.
    pub fn uuid(uuid: Uuid) -> Self {
        Self {
            arch: None,
            uuid: Some(uuid),
        }
    }
}

/// An opened Mach-O file, thin or universal. Owns the memory map.
#[derive(Clone, Debug)]
pub struct MachOFile {
    path: PathBuf,
    data: FileBytes,
    slices: Vec<SliceInfo>,
    fat: bool,
}

impl MachOFile {
    /// Map and identify `path`. Only the headers are read here.
    pub fn open(path: &Path) -> Result<MachOFile, Error> {
        let data = FileBytes::map(path).map_err(|source| Error::Io {
            path: path.into(),
            source,
        })?;
        Self::from_bytes(path, data)
    }

    /// Identify bytes already in memory; `path` names them in errors.
    pub fn from_vec(path: &Path, bytes: Vec<u8>) -> Result<MachOFile, Error> {
        Self::from_bytes(path, FileBytes::from_vec(bytes))
    }

    fn from_bytes(path: &Path, data: FileBytes) -> Result<MachOFile, Error> {
        let (slices, fat) = if fat::is_fat(&data) {
            (fat::parse_fat(&data).map_err(|e| e.at(path))?, true)
        } else {
            let image =
                MachOSlice::parse(data.clone(), 0, data.len(), 0, true).map_err(|e| e.at(path))?;
            (
                vec![SliceInfo {
                    arch: image.arch(),
                    offset: 0,
                    size: data.len() as u64,
                }],
                false,
            )
        };
        Ok(MachOFile {
            path: path.into(),
            data,
            slices,
            fat,
        })
    }

    /// The path given to `open` (or `from_vec`).
    pub fn path(&self) -> &Path {
        &self.path
    }
    /// Is this a universal file?
    pub fn is_fat(&self) -> bool {
        self.fat
    }
    /// Every slice, in the order of the universal header (one for a thin file).
    pub fn slices(&self) -> &[SliceInfo] {
        &self.slices
    }

    /// Parse slice number `index` (in the order of [`slices`](Self::slices)).
    pub fn slice(&self, index: usize) -> Result<MachOSlice, Error> {
        let info = self.slices.get(index).ok_or_else(|| Error::Malformed {
            path: self.path.clone(),
            what: format!("no slice #{index}"),
        })?;
        MachOSlice::parse(
            self.data.clone(),
            info.offset as usize,
            info.size as usize,
            0,
            true,
        )
        .map_err(|e: ParseError| {
            let e = e.at(&self.path);
            match (self.fat, e) {
                (true, Error::Malformed { path, what }) => Error::Malformed {
                    path,
                    what: format!("{} slice: {what}", info.arch),
                },
                (_, e) => e,
            }
        })
    }

    /// Pick a slice by UUID (exact), else by architecture (exact, else same family: arm64 for
    /// arm64e and back, x86_64 for x86_64h), else the only one.
    pub fn select(&self, sel: &SliceSelector) -> Result<MachOSlice, Error> {
        if let Some(uuid) = sel.uuid {
            let mut seen = Vec::new();
            for i in self.distinct_slices() {
                let s = self.slice(i)?;
                if s.uuid() == Some(uuid) {
                    return Ok(s);
                }
                seen.push(match s.uuid() {
                    Some(u) => format!("{} {u}", s.arch()),
                    None => format!("{} without LC_UUID", s.arch()),
                });
            }
            return Err(Error::UuidNotFound {
                path: self.path.clone(),
                uuid,
                available: seen.join(", "),
            });
        }
        if let Some(arch) = sel.arch {
            let pos = self
                .slices
                .iter()
                .position(|s| s.arch == arch)
                .or_else(|| self.slices.iter().position(|s| s.arch.same_family(arch)));
            return match pos {
                Some(i) => self.slice(i),
                None => Err(Error::ArchNotFound {
                    path: self.path.clone(),
                    arch,
                    available: self.arch_list(),
                }),
            };
        }
        if self.slices.len() == 1 {
            return self.slice(0);
        }
        Err(Error::AmbiguousArch {
            path: self.path.clone(),
            available: self.arch_list(),
        })
    }

    /// The numbers of the slices to parse when looking at every one: a range that repeats an
    /// earlier slice's exactly is skipped (it would parse to the same image).
    pub fn distinct_slices(&self) -> impl Iterator<Item = usize> + '_ {
        let mut seen = std::collections::HashSet::new();
        (0..self.slices.len())
            .filter(move |&i| seen.insert((self.slices[i].offset, self.slices[i].size)))
    }

    fn arch_list(&self) -> String {
        let names: Vec<String> = self.slices.iter().map(|s| s.arch.to_string()).collect();
        names.join(", ")
    }
}
