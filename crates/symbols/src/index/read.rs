//! Reading an index: a memory map, validated once on open, then binary searches over
//! little-endian tables. Every read is bounds-checked; an inconsistency found during a lookup
//! (a damaged file that passed the checks) makes that lookup fall back to live DWARF.

use super::format::*;
use super::IndexError;
use crate::bytes::FileBytes;
use crate::dwarf::DwarfFrame;
use crate::Uuid;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// An opened, validated index of one image's DWARF.
pub struct SymbolIndex {
    bytes: FileBytes,
    path: PathBuf,
    uuid: Uuid,
    fingerprint: u64,
    base: u64,
    width: usize,
    ranges: usize,
    starts: Range<usize>,
    values: Range<usize>,
    nodes: Range<usize>,
    str_offsets: Range<usize>,
    str_data: Range<usize>,
    buckets: Range<usize>,
    bucket_shift: u32,
    data_checksum: u64,
    data_start: usize,
}

impl std::fmt::Debug for SymbolIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SymbolIndex")
            .field("path", &self.path)
            .field("uuid", &self.uuid)
            .field("ranges", &self.ranges)
            .finish()
    }
}

/// Sizes of an index, for `kpanic index` to report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexStats {
    /// File size.
    pub bytes: u64,
    /// Address ranges (one answer each).
    pub ranges: u64,
    /// Frames of all answers.
    pub frames: u64,
    /// Distinct strings (functions and files).
    pub strings: u64,
}

impl SymbolIndex {
    /// Map and validate `path`: magic, format and kpanic versions, size, table offsets, the
    /// header checksum, the UUID and (when given) the DWARF fingerprint it was built from.
    pub fn open(
        path: &Path,
        uuid: Uuid,
        fingerprint: Option<u64>,
    ) -> Result<SymbolIndex, IndexError> {
        let bytes = FileBytes::map(path).map_err(|e| IndexError::Io {
            path: path.to_path_buf(),
            what: e.to_string(),
        })?;
        let ix = Self::parse(bytes, path)?;
        if ix.uuid != uuid {
            return Err(IndexError::Stale(format!(
                "built for UUID {}, not {uuid}",
                ix.uuid
            )));
        }
        if let Some(f) = fingerprint {
            if f != ix.fingerprint {
                return Err(IndexError::Stale(
                    "built from other DWARF with the same UUID".into(),
                ));
            }
        }
        Ok(ix)
    }

    /// Parse and validate the header and table directory of index bytes.
    pub(crate) fn parse(bytes: FileBytes, path: &Path) -> Result<SymbolIndex, IndexError> {
        let b: &[u8] = &bytes;
        let damaged = |what: String| IndexError::Damaged(what);
        if b.len() < HEADER_LEN {
            return Err(damaged(format!("truncated: {} bytes", b.len())));
        }
        if &b[0..8] != MAGIC {
            return Err(damaged("not a kpanic index (bad magic)".into()));
        }
        let version = u32_at(b, 8).unwrap_or(0);
        if version != FORMAT_VERSION {
            return Err(IndexError::Stale(format!(
                "format version {version}, this kpanic reads {FORMAT_VERSION}"
            )));
        }
        if b[16..32] != kpanic_version() {
            let v = String::from_utf8_lossy(&b[16..32]);
            return Err(IndexError::Stale(format!(
                "written by kpanic {}, this is {}",
                v.trim_end_matches('\0'),
                env!("CARGO_PKG_VERSION")
            )));
        }
        let header_len = u32_at(b, 12).unwrap_or(0) as usize;
        let file_len = u64_at(b, 48).unwrap_or(0);
        if file_len != b.len() as u64 {
            return Err(damaged(format!(
                "{} bytes, the header says {file_len}: truncated or overwritten",
                b.len()
            )));
        }
        let ntables = u32_at(b, 72).unwrap_or(0) as usize;
        let dir_end = HEADER_LEN + ntables.min(64) * DIR_ENTRY_LEN;
        if header_len != HEADER_LEN || ntables != TABLES.len() || dir_end > b.len() {
            return Err(damaged("bad header layout".into()));
        }
        let mut head = b[..dir_end].to_vec();
        head[88..96].fill(0);
        if checksum(&head) != u64_at(b, 88).unwrap_or(0) {
            return Err(damaged("header checksum mismatch".into()));
        }
        let width = u32_at(b, 76).unwrap_or(0) as usize;
        if width != 4 && width != 8 {
            return Err(damaged(format!("address width {width}")));
        }
        let mut tables: [Range<usize>; 6] = Default::default();
        for i in 0..ntables {
            let at = HEADER_LEN + i * DIR_ENTRY_LEN;
            let id = u32_at(b, at).unwrap_or(0);
            let elem = u32_at(b, at + 4).unwrap_or(0) as usize;
            let off = u64_at(b, at + 8).unwrap_or(u64::MAX);
            let len = u64_at(b, at + 16).unwrap_or(u64::MAX);
            let end = off.checked_add(len).filter(|&e| e <= b.len() as u64);
            let (Some(end), Some(slot)) = (end, TABLES.iter().position(|&t| t == id)) else {
                return Err(damaged(format!("table {id} is outside the file")));
            };
            if off < dir_end as u64 || elem == 0 || !len.is_multiple_of(elem as u64) {
                return Err(damaged(format!("table {id} has a bad layout")));
            }
            let want_elem = match id {
                T_RANGE_STARTS => width,
                T_NODES => NODE_LEN,
                T_STR_DATA => 1,
                _ => 4,
            };
            if elem != want_elem || !tables[slot].is_empty() {
                return Err(damaged(format!("table {id} has a bad layout")));
            }
            tables[slot] = off as usize..end as usize;
        }
        let [starts, values, nodes, str_offsets, str_data, buckets] = tables;
        let bucket_shift = u32_at(b, buckets.start).unwrap_or(u32::MAX);
        if buckets.len() < 12 || bucket_shift > 63 {
            return Err(damaged("bad bucket table".into()));
        }
        let ranges = values.len() / 4;
        if starts.len() != (ranges + 1) * width || str_offsets.len() < 4 {
            return Err(damaged("range and string tables disagree".into()));
        }
        // The last string offset is the end of the string data.
        let last = u32_at(b, str_offsets.end - 4).unwrap_or(u32::MAX) as usize;
        if last != str_data.len() {
            return Err(damaged("string table ends past its data".into()));
        }
        Ok(SymbolIndex {
            uuid: Uuid(b[32..48].try_into().expect("16 bytes")),
            fingerprint: u64_at(b, 56).unwrap_or(0),
            base: u64_at(b, 64).unwrap_or(0),
            data_checksum: u64_at(b, 80).unwrap_or(0),
            data_start: dir_end,
            width,
            ranges,
            starts,
            values,
            nodes,
            str_offsets,
            str_data,
            buckets: buckets.start + 4..buckets.end,
            bucket_shift,
            path: path.to_path_buf(),
            bytes,
        })
    }

    /// Check the data checksum too (every byte of every table): reads the whole file.
    pub fn verify(&self) -> Result<(), IndexError> {
        if checksum(&self.bytes[self.data_start..]) != self.data_checksum {
            return Err(IndexError::Damaged("data checksum mismatch".into()));
        }
        Ok(())
    }

    /// The index file.
    pub fn path(&self) -> &Path {
        &self.path
    }
    /// The UUID of the image it indexes.
    pub fn uuid(&self) -> Uuid {
        self.uuid
    }
    /// Its sizes.
    pub fn stats(&self) -> IndexStats {
        IndexStats {
            bytes: self.bytes.len() as u64,
            ranges: self.ranges as u64,
            frames: (self.nodes.len() / NODE_LEN) as u64,
            strings: (self.str_offsets.len() / 4 - 1) as u64,
        }
    }

    fn start(&self, i: usize) -> Option<u64> {
        let at = self.starts.start + i * self.width;
        if self.width == 4 {
            u32_at(&self.bytes, at).map(u64::from)
        } else {
            u64_at(&self.bytes, at)
        }
    }

    fn string(&self, id: u32) -> Option<Option<String>> {
        if id == NONE {
            return Some(None);
        }
        let at = self.str_offsets.start + id as usize * 4;
        if at + 8 > self.str_offsets.end {
            return None;
        }
        let a = u32_at(&self.bytes, at)? as usize;
        let b = u32_at(&self.bytes, at + 4)? as usize;
        if a > b || b > self.str_data.len() {
            return None;
        }
        let s = self
            .bytes
            .get(self.str_data.start + a..self.str_data.start + b)?;
        Some(Some(std::str::from_utf8(s).ok()?.to_string()))
    }

    /// The value of the range holding `probe` (`NO_DWARF` outside every range).
    fn value(&self, probe: u64) -> Option<u32> {
        let Some(rel) = probe.checked_sub(self.base) else {
            return Some(NO_DWARF);
        };
        if self.ranges == 0 || rel >= self.start(self.ranges)? {
            return Some(NO_DWARF);
        }
        // partition_point over starts[0..ranges]: the first start > rel. Its bucket bounds it.
        let k = (rel >> self.bucket_shift) as usize;
        let at = self.buckets.start + k * 4;
        if at + 8 > self.buckets.end {
            return None;
        }
        let mut lo = u32_at(&self.bytes, at)? as usize;
        let mut hi = u32_at(&self.bytes, at + 4)? as usize;
        if lo > hi || hi > self.ranges {
            return None;
        }
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.start(mid)? <= rel {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        // The bucket must bracket the answer: a start at or below `rel` after it, or one
        // above it before it, is a bucket table that does not describe the starts (an
        // index from a writer whose closing bucket bound wrapped past 2^64). Live DWARF
        // answers instead.
        if (lo < self.ranges && self.start(lo)? <= rel) || (lo > 0 && self.start(lo - 1)? > rel) {
            return None;
        }
        if lo == 0 {
            return Some(NO_DWARF);
        }
        u32_at(&self.bytes, self.values.start + (lo - 1) * 4)
    }

    /// What live DWARF answers at `probe` (see `DwarfInfo::frames`); `None` when the index
    /// turns out to be inconsistent, so that the caller asks live DWARF instead.
    pub(crate) fn frames(&self, probe: u64) -> Option<Result<Vec<DwarfFrame>, String>> {
        let v = self.value(probe)?;
        if v == NO_DWARF {
            return Some(Ok(Vec::new()));
        }
        if v & ERROR_BIT != 0 {
            return Some(Err(self.string(v & !ERROR_BIT)??));
        }
        let mut out = Vec::new();
        let mut node = v;
        while node != NONE {
            if out.len() >= MAX_DEPTH {
                return None;
            }
            let at = self.nodes.start + node as usize * NODE_LEN;
            if at + NODE_LEN > self.nodes.end {
                return None;
            }
            let f = |k: usize| u32_at(&self.bytes, at + 4 * k);
            let num = |x: u32| (x != NONE).then_some(x);
            out.push(DwarfFrame {
                function: self.string(f(0)?)?,
                file: self.string(f(1)?)?,
                line: num(f(2)?),
                column: num(f(3)?),
            });
            node = f(4)?;
        }
        Some(Ok(out))
    }
}
