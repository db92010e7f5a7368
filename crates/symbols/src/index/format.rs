//! The on-disk layout of a symbol index, and its checksums. Little-endian throughout; every
//! table is read with `from_le_bytes` over bounds-checked slices (no alignment assumed, no
//! `unsafe`).
//!
//! ```text
//! offset size  field
//!   0     8    magic "KPANICIX"
//!   8     4    format version (FORMAT_VERSION)
//!  12     4    header length (HEADER_LEN)
//!  16    16    kpanic version that wrote it, NUL-padded ASCII
//!  32    16    LC_UUID of the image
//!  48     8    length of the whole file
//!  56     8    DWARF fingerprint (sizes and offsets of the __DWARF sections it was built from)
//!  64     8    base address: range starts are relative to it
//!  72     4    number of tables (N)
//!  76     4    address width of RANGE_STARTS: 4 or 8 bytes
//!  80     8    data checksum: every byte after the table directory
//!  88     8    header checksum: bytes [0, HEADER_LEN + 24 N) with this field zeroed
//!  96   24 N   table directory: (id u32, element size u32, offset u64, length u64)
//! ```
//! Tables:
//! - `RANGE_STARTS` (n + 1 addresses − base, sorted; the last one ends the last range) and
//!   `RANGE_VALUES` (n × u32): range i is [start i, start i+1) → a value: `NO_DWARF`, a node
//!   id (the innermost frame), or `ERROR_BIT | string id` (the DWARF error text).
//! - `NODES`: (function, file, line, column, parent) × u32; `NONE` is "absent" for each; the
//!   parent is the next frame outwards. Chains share their outer frames.
//! - `STR_OFFSETS` (k + 1 × u32) and `STR_DATA`: string id i is
//!   `STR_DATA[offsets[i]..offsets[i + 1]]`, UTF-8.
//! - `BUCKETS`: a shift s, then b + 1 range indexes: bucket k holds the ranges whose start
//!   (− base) is in [k << s, (k + 1) << s), so that a lookup binary-searches a few dozen starts
//!   (one or two cache lines) instead of all of them. Entry k < b is the first range starting
//!   at or above k << s; entry b is n (the top bucket's bound may be 2^64 or more).

pub(crate) const MAGIC: &[u8; 8] = b"KPANICIX";
/// 2: the same layout as 1, with C++ names demangled in LLVM's spelling; an index of version 1
/// holds the older spellings, and is rebuilt rather than answer otherwise than live DWARF.
/// 3: the same layout; C++20 lambdas with template parameter lists demangled (they were left
/// mangled), LLVM's `vector[N]`, `(T)()` and `'unnamed'::~()` spellings.
pub(crate) const FORMAT_VERSION: u32 = 3;
pub(crate) const HEADER_LEN: usize = 96;
pub(crate) const DIR_ENTRY_LEN: usize = 24;

pub(crate) const T_RANGE_STARTS: u32 = 1;
pub(crate) const T_RANGE_VALUES: u32 = 2;
pub(crate) const T_NODES: u32 = 3;
pub(crate) const T_STR_OFFSETS: u32 = 4;
pub(crate) const T_STR_DATA: u32 = 5;
pub(crate) const T_BUCKETS: u32 = 6;
pub(crate) const TABLES: [u32; 6] = [
    T_RANGE_STARTS,
    T_RANGE_VALUES,
    T_NODES,
    T_STR_OFFSETS,
    T_STR_DATA,
    T_BUCKETS,
];
/// At most this many buckets (a 256 KiB table).
pub(crate) const MAX_BUCKETS: u64 = 1 << 16;

/// "Absent": no function name, no file, no line, no column, no parent, no DWARF.
pub(crate) const NONE: u32 = u32::MAX;
/// A range where DWARF answers nothing (the symbol table may).
pub(crate) const NO_DWARF: u32 = u32::MAX;
/// A range where DWARF fails: the low bits are the string id of the error.
pub(crate) const ERROR_BIT: u32 = 0x8000_0000;
/// Node and string ids stay below this, so that values can carry `ERROR_BIT`.
pub(crate) const MAX_ID: u32 = ERROR_BIT - 1;
pub(crate) const NODE_LEN: usize = 20;
/// Frames per chain, at most: a cycle in a damaged file stops here.
pub(crate) const MAX_DEPTH: usize = 1024;

/// The kpanic version recorded in (and required of) every index.
pub(crate) fn kpanic_version() -> [u8; 16] {
    let mut v = [0u8; 16];
    let s = env!("CARGO_PKG_VERSION").as_bytes();
    let n = s.len().min(16);
    v[..n].copy_from_slice(&s[..n]);
    v
}

/// A fast 64-bit hash (FNV-style multiply-xor over 8-byte words, then a final mix). Not
/// cryptographic: it catches truncation, bit rot and stray writes, not tampering.
pub(crate) fn checksum(data: &[u8]) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ (data.len() as u64).wrapping_mul(K);
    let mut chunks = data.chunks_exact(8);
    for c in &mut chunks {
        let w = u64::from_le_bytes(c.try_into().expect("8 bytes"));
        h = (h ^ w).wrapping_mul(K).rotate_left(29);
    }
    let mut tail = [0u8; 8];
    tail[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
    h = (h ^ u64::from_le_bytes(tail)).wrapping_mul(K);
    h ^= h >> 31;
    h = h.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    h ^ (h >> 29)
}

pub(crate) fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

pub(crate) fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}
