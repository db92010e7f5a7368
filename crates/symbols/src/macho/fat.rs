//! Universal ("fat") files: a big-endian table of architectures and where each slice lies.

use super::raw::*;
use crate::error::{malformed, ParseError};
use crate::Arch;

/// One architecture of a file: the whole file when thin, a slice when universal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SliceInfo {
    /// From the universal header's `cputype`/`cpusubtype` (a thin file's header).
    pub arch: Arch,
    /// File offset of the slice.
    pub offset: u64,
    /// Size of the slice in bytes.
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
    check_overlaps(&slices)?;
    Ok(slices)
}

/// Slices may repeat one another exactly (the reader parses such a range once) but must not
/// overlap otherwise. Real universal files never do either; refusing partial overlaps keeps the
/// total bytes parsed within the file size, so choosing a slice costs time linear in the file.
fn check_overlaps(slices: &[SliceInfo]) -> Result<(), ParseError> {
    let mut ranges: Vec<(u64, u64, usize)> = slices
        .iter()
        .enumerate()
        .map(|(i, s)| (s.offset, s.size, i))
        .collect();
    ranges.sort_unstable();
    ranges.dedup_by_key(|r| (r.0, r.1));
    for w in ranges.windows(2) {
        let ((a_off, a_size, a), (b_off, _, b)) = (w[0], w[1]);
        if a_off + a_size > b_off {
            return malformed(format!(
                "universal slices #{a} ({a_off:#x}+{a_size:#x}) and #{b} (at {b_off:#x}) overlap"
            ));
        }
    }
    Ok(())
}
