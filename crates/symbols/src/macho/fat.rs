//! Universal ("fat") files: a big-endian table of architectures and where each slice lies.

use super::raw::*;
use crate::error::{malformed, ParseError};
use crate::Arch;

/// One architecture of a file: the whole file when thin, a slice when universal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SliceInfo {
    pub arch: Arch,
    /// File offset of the slice.
    pub offset: u64,
    pub size: u64,
}

/// Is this a universal file? (Java class files share 0xcafebabe; they fail later on their
/// absurd slice table, with a message saying so.)
pub(crate) fn is_fat(bytes: &[u8]) -> bool {
    matches!(u32_be(bytes, 0), Some(FAT_MAGIC | FAT_MAGIC_64))
}

/// The slices of a universal file, each checked to lie inside the file.
pub(crate) fn parse_fat(bytes: &[u8]) -> Result<Vec<SliceInfo>, ParseError> {
    let hdr = FatHeader::parse(bytes).ok_or_else(|| ParseError::NotMachO("too short".into()))?;
    let wide = hdr.magic == FAT_MAGIC_64;
    let entry = if wide {
        FatArch::SIZE_64
    } else {
        FatArch::SIZE_32
    };
    let table_end = FatHeader::SIZE as u64 + u64::from(hdr.nfat_arch) * entry as u64;
    if hdr.nfat_arch == 0 {
        return malformed("universal header lists no architectures");
    }
    if table_end > bytes.len() as u64 {
        return malformed(format!(
            "universal header lists {} architectures, more than the file ({} bytes) can hold",
            hdr.nfat_arch,
            bytes.len()
        ));
    }
    let mut slices = Vec::with_capacity(hdr.nfat_arch as usize);
    for i in 0..hdr.nfat_arch as usize {
        let at = FatHeader::SIZE + i * entry;
        let fa = if wide {
            FatArch::parse64(&bytes[at..])
        } else {
            FatArch::parse32(&bytes[at..])
        }
        .expect("table bounds checked above");
        let arch = Arch::from_cpu(fa.cputype, fa.cpusubtype);
        if fa
            .offset
            .checked_add(fa.size)
            .is_none_or(|end| end > bytes.len() as u64)
        {
            return malformed(format!(
                "universal slice #{i} ({arch}) at {:#x}+{:#x} runs past the end of the file ({:#x} bytes)",
                fa.offset,
                fa.size,
                bytes.len()
            ));
        }
        slices.push(SliceInfo {
            arch,
            offset: fa.offset,
            size: fa.size,
        });
    }
    Ok(slices)
}
