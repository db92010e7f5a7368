//! Building an index: every address at which the DWARF answer can change, probed once.
//!
//! addr2line's answer for an address depends on which unit range, subprogram range, inlined
//! subroutine range (at each depth), line sequence and line row contain it. Between two
//! consecutive boundaries of all of those, nothing changes. So the builder
//! 1. walks every unit (as addr2line does: the unit's first DIE, every `DW_TAG_subprogram` and
//!    `DW_TAG_inlined_subroutine`, `.debug_aranges`, every line row and sequence end) and
//!    collects each range's begin and end: the breakpoints;
//! 2. asks addr2line for the frames at each breakpoint, exactly as
//!    [`crate::dwarf`] does for a live lookup (same reader, same `find_frames`, same
//!    demangling), in parallel over chunks of the address space;
//! 3. merges equal neighbours into ranges and interns strings and frame chains.
//!
//! The answer is therefore the live answer, by construction, at every address. Anything odd in
//! the DWARF that the walk cannot read fails the build: no index, and lookups stay live.

use super::format::*;
use super::IndexError;
use crate::demangle::demangle;
use crate::dwarf::Reader;
use crate::macho::MachOSlice;
use crate::Uuid;
use rayon::prelude::*;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

type Context = addr2line::Context<Reader>;

/// Called with (done, total) work units while building.
pub type ProgressFn = dyn Fn(u64, u64) + Send + Sync;

#[derive(Default)]
struct Ranges {
    low_pc: Option<u64>,
    high_pc: Option<u64>,
    size: Option<u64>,
    ranges_offset: Option<gimli::RangeListsOffset<usize>>,
}

impl Ranges {
    /// Read one attribute the way addr2line does for units, subprograms and inlined calls.
    fn read(
        &mut self,
        unit: gimli::UnitRef<'_, Reader>,
        attr: &gimli::Attribute<Reader>,
    ) -> gimli::Result<()> {
        match attr.name() {
            gimli::DW_AT_low_pc => match attr.value() {
                gimli::AttributeValue::Addr(v) => self.low_pc = Some(v),
                gimli::AttributeValue::DebugAddrIndex(i) => self.low_pc = Some(unit.address(i)?),
                _ => {}
            },
            gimli::DW_AT_high_pc => match attr.value() {
                gimli::AttributeValue::Addr(v) => self.high_pc = Some(v),
                gimli::AttributeValue::DebugAddrIndex(i) => self.high_pc = Some(unit.address(i)?),
                gimli::AttributeValue::Udata(v) => self.size = Some(v),
                _ => {}
            },
            gimli::DW_AT_ranges => self.ranges_offset = unit.attr_ranges_offset(attr.value())?,
            _ => {}
        }
        Ok(())
    }

    /// Push begin and end of every range (a superset of what addr2line keeps).
    fn push(&self, unit: gimli::UnitRef<'_, Reader>, out: &mut Vec<u64>) -> gimli::Result<()> {
        if let Some(off) = self.ranges_offset {
            let mut list = unit.ranges(off)?;
            while let Some(r) = list.next()? {
                out.extend([r.begin, r.end]);
            }
        } else if let (Some(b), Some(e)) = (self.low_pc, self.high_pc) {
            out.extend([b, e]);
        } else if let (Some(b), Some(s)) = (self.low_pc, self.size) {
            out.extend([b, b.wrapping_add(s)]);
        }
        Ok(())
    }
}

/// Every breakpoint of one unit.
fn unit_breakpoints(
    dwarf: &gimli::Dwarf<Reader>,
    header: gimli::UnitHeader<Reader>,
    out: &mut Vec<u64>,
) -> gimli::Result<()> {
    if matches!(
        header.type_(),
        gimli::UnitType::Type { .. } | gimli::UnitType::SplitType { .. }
    ) {
        return Ok(());
    }
    // addr2line skips units it cannot parse; so do we (it never answers from them).
    let Ok(unit) = dwarf.unit(header) else {
        return Ok(());
    };
    let unit = gimli::UnitRef::new(dwarf, &unit);
    let mut entries = unit.entries_raw(None)?;
    let mut first = true;
    while !entries.is_empty() {
        let Some(abbrev) = entries.read_abbreviation()? else {
            continue;
        };
        let wanted = first
            || abbrev.tag() == gimli::DW_TAG_subprogram
            || abbrev.tag() == gimli::DW_TAG_inlined_subroutine;
        first = false;
        if !wanted {
            entries.skip_attributes(abbrev.attributes())?;
            continue;
        }
        let mut ranges = Ranges::default();
        for spec in abbrev.attributes() {
            let attr = entries.read_attribute(*spec)?;
            ranges.read(unit, &attr)?;
        }
        ranges.push(unit, out)?;
    }
    if let Some(program) = unit.line_program.clone() {
        let mut rows = program.rows();
        while let Some((_, row)) = rows.next_row()? {
            out.push(row.address());
        }
    }
    Ok(())
}

/// All breakpoints, sorted and distinct.
fn breakpoints(
    dwarf: &gimli::Dwarf<Reader>,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<Vec<u64>, IndexError> {
    let bad = |e: gimli::Error| IndexError::Build(format!("reading DWARF: {e}"));
    let mut headers = Vec::new();
    let mut iter = dwarf.units();
    while let Some(h) = iter.next().map_err(bad)? {
        headers.push(h);
    }
    let total = headers.len() as u64;
    let done = AtomicU64::new(0);
    let per_unit: Vec<Vec<u64>> = headers
        .into_par_iter()
        .map(|h| {
            let mut v = Vec::new();
            unit_breakpoints(dwarf, h, &mut v).map_err(bad)?;
            let d = done.fetch_add(1, Ordering::Relaxed) + 1;
            progress(d, total);
            Ok(v)
        })
        .collect::<Result<_, IndexError>>()?;
    let mut all: Vec<u64> = per_unit.into_iter().flatten().collect();
    let mut aranges = dwarf.debug_aranges.headers();
    while let Some(h) = aranges.next().map_err(bad)? {
        let mut entries = h.entries();
        while let Some(e) = entries.next().transpose() {
            if let Ok(e) = e {
                let r = e.range();
                all.extend([r.begin, r.end]);
            }
        }
    }
    all.par_sort_unstable();
    all.dedup();
    Ok(all)
}

/// What one chunk of breakpoints found, with chunk-local string and node ids.
#[derive(Default)]
struct Chunk {
    strings: Vec<String>,
    nodes: Vec<[u32; 5]>,
    /// (address, value); value as in the file, with local ids.
    ranges: Vec<(u64, u32)>,
}

#[derive(Default)]
struct Interner {
    chunk: Chunk,
    by_text: HashMap<String, u32>,
    /// Raw DWARF name (address and length in the map) → demangled string id.
    by_name_ptr: HashMap<(usize, usize), u32>,
    /// File name (address and length inside the context's line tables) → string id.
    by_file_ptr: HashMap<(usize, usize), u32>,
    nodes: HashMap<[u32; 5], u32>,
}

impl Interner {
    fn string(&mut self, s: &str) -> Result<u32, IndexError> {
        if let Some(&id) = self.by_text.get(s) {
            return Ok(id);
        }
        let id = self.chunk.strings.len() as u32;
        if id > MAX_ID {
            return Err(IndexError::Build("too many strings".into()));
        }
        self.chunk.strings.push(s.to_string());
        self.by_text.insert(s.to_string(), id);
        Ok(id)
    }

    fn node(&mut self, n: [u32; 5]) -> Result<u32, IndexError> {
        if let Some(&id) = self.nodes.get(&n) {
            return Ok(id);
        }
        let id = self.chunk.nodes.len() as u32;
        if id > MAX_ID {
            return Err(IndexError::Build("too many frames".into()));
        }
        self.chunk.nodes.push(n);
        self.nodes.insert(n, id);
        Ok(id)
    }
}

fn fits(v: Option<u32>) -> Result<u32, IndexError> {
    match v {
        None => Ok(NONE),
        Some(NONE) => Err(IndexError::Build("a line or column of 2^32 - 1".into())),
        Some(x) => Ok(x),
    }
}

enum ProbeError {
    Dwarf(gimli::Error),
    Index(IndexError),
}

impl From<gimli::Error> for ProbeError {
    fn from(e: gimli::Error) -> Self {
        ProbeError::Dwarf(e)
    }
}

impl From<IndexError> for ProbeError {
    fn from(e: IndexError) -> Self {
        ProbeError::Index(e)
    }
}

/// Innermost first: (function, file, line, column) string ids and numbers.
fn frames_at(ctx: &Context, at: u64, int: &mut Interner) -> Result<Vec<[u32; 4]>, ProbeError> {
    let mut frames = Vec::new();
    let mut iter = ctx.find_frames(at).skip_all_loads()?;
    while let Some(frame) = iter.next()? {
        let function = match &frame.function {
            Some(f) => {
                let raw = f.name.bytes();
                let key = (raw.as_ptr() as usize, raw.len());
                match int.by_name_ptr.get(&key) {
                    Some(&id) => id,
                    None => {
                        let id = int.string(&demangle(&f.raw_name()?))?;
                        int.by_name_ptr.insert(key, id);
                        id
                    }
                }
            }
            None => NONE,
        };
        let (file, line, column) = match &frame.location {
            Some(l) => {
                let file = match l.file {
                    Some(f) => {
                        let key = (f.as_ptr() as usize, f.len());
                        match int.by_file_ptr.get(&key) {
                            Some(&id) => id,
                            None => {
                                let id = int.string(f)?;
                                int.by_file_ptr.insert(key, id);
                                id
                            }
                        }
                    }
                    None => NONE,
                };
                (file, l.line, l.column)
            }
            None => (NONE, None, None),
        };
        frames.push([function, file, fits(line)?, fits(column)?]);
    }
    Ok(frames)
}

/// The value of one address: what `DwarfInfo::frames` would answer, interned.
fn probe(ctx: &Context, at: u64, int: &mut Interner) -> Result<u32, IndexError> {
    // A range ending at 2^64 - 1 makes the top address a breakpoint; live lookups answer
    // nothing there without asking addr2line, which would overflow.
    if !crate::dwarf::probeable(at) {
        return Ok(NO_DWARF);
    }
    match frames_at(ctx, at, int) {
        Ok(frames) => {
            let mut parent = NONE;
            for f in frames.iter().rev() {
                parent = int.node([f[0], f[1], f[2], f[3], parent])?;
            }
            Ok(if frames.is_empty() { NO_DWARF } else { parent })
        }
        Err(ProbeError::Dwarf(e)) => Ok(ERROR_BIT | int.string(&e.to_string())?),
        Err(ProbeError::Index(e)) => Err(e),
    }
}

fn probe_chunk(dwarf: &Arc<gimli::Dwarf<Reader>>, points: &[u64]) -> Result<Chunk, IndexError> {
    let ctx = Context::from_arc_dwarf(dwarf.clone())
        .map_err(|e| IndexError::Build(format!("reading DWARF units: {e}")))?;
    let mut int = Interner::default();
    let mut last = None;
    for &p in points {
        let v = probe(&ctx, p, &mut int)?;
        if last != Some(v) {
            int.chunk.ranges.push((p, v));
            last = Some(v);
        }
    }
    Ok(int.chunk)
}

/// The merged index, ready to serialize.
pub(crate) struct Built {
    pub starts: Vec<u64>,
    pub values: Vec<u32>,
    pub nodes: Vec<[u32; 5]>,
    pub strings: Vec<String>,
}

fn merge(chunks: Vec<Chunk>) -> Result<Built, IndexError> {
    let mut strings: Vec<String> = Vec::new();
    let mut by_text: HashMap<String, u32> = HashMap::new();
    let mut nodes: Vec<[u32; 5]> = Vec::new();
    let mut by_node: HashMap<[u32; 5], u32> = HashMap::new();
    let mut ranges: Vec<(u64, u32)> = Vec::new();
    for chunk in chunks {
        let smap: Vec<u32> = chunk
            .strings
            .into_iter()
            .map(|s| {
                if let Some(&id) = by_text.get(&s) {
                    return id;
                }
                let id = strings.len() as u32;
                strings.push(s.clone());
                by_text.insert(s, id);
                id
            })
            .collect();
        let s = |id: u32| if id == NONE { NONE } else { smap[id as usize] };
        let mut nmap: Vec<u32> = Vec::with_capacity(chunk.nodes.len());
        for n in chunk.nodes {
            // Parents are interned before their children: already mapped.
            let parent = if n[4] == NONE {
                NONE
            } else {
                nmap[n[4] as usize]
            };
            let g = [s(n[0]), s(n[1]), n[2], n[3], parent];
            let id = *by_node.entry(g).or_insert_with(|| {
                nodes.push(g);
                (nodes.len() - 1) as u32
            });
            nmap.push(id);
        }
        for (at, v) in chunk.ranges {
            let g = if v == NO_DWARF {
                NO_DWARF
            } else if v & ERROR_BIT != 0 {
                ERROR_BIT | smap[(v & !ERROR_BIT) as usize]
            } else {
                nmap[v as usize]
            };
            if ranges.last().map(|r| r.1) != Some(g) {
                ranges.push((at, g));
            }
        }
    }
    if strings.len() > MAX_ID as usize || nodes.len() > MAX_ID as usize {
        return Err(IndexError::Build("too many strings or frames".into()));
    }
    // Leading and trailing ranges without DWARF are implied.
    while ranges.first().is_some_and(|r| r.1 == NO_DWARF) {
        ranges.remove(0);
    }
    let end = match ranges.iter().rposition(|r| r.1 != NO_DWARF) {
        Some(i) if i + 1 < ranges.len() => {
            let end = ranges[i + 1].0;
            ranges.truncate(i + 1);
            end
        }
        Some(_) => u64::MAX,
        None => {
            ranges.clear();
            0
        }
    };
    let mut starts: Vec<u64> = ranges.iter().map(|r| r.0).collect();
    starts.push(end);
    Ok(Built {
        starts,
        values: ranges.into_iter().map(|r| r.1).collect(),
        nodes,
        strings,
    })
}

/// Build the index of the DWARF in `debug` (a dSYM slice, or a binary with its own DWARF).
pub(crate) fn build(
    debug: &MachOSlice,
    uuid: Uuid,
    fingerprint: u64,
    progress: Option<&ProgressFn>,
) -> Result<Vec<u8>, IndexError> {
    let dwarf = crate::dwarf::load_sections(debug)
        .map_err(IndexError::Build)?
        .ok_or_else(|| IndexError::Build("no DWARF".into()))?;
    let dwarf = Arc::new(dwarf);
    // Progress: walking units counts as the first quarter, probing as the rest.
    let walk_progress = |d: u64, t: u64| {
        if let Some(p) = progress {
            p(d * 1000 / t.max(1), 4000);
        }
    };
    let points = breakpoints(&dwarf, &walk_progress)?;
    let threads = rayon::current_num_threads().max(1);
    let chunk_len = (points.len() / (threads * 16)).clamp(4096, 1 << 18);
    let total = points.len() as u64;
    let done = AtomicU64::new(0);
    let chunks: Vec<Chunk> = points
        .par_chunks(chunk_len)
        .map(|c| {
            let out = probe_chunk(&dwarf, c)?;
            let d = done.fetch_add(c.len() as u64, Ordering::Relaxed) + c.len() as u64;
            if let Some(p) = progress {
                p(1000 + d * 3000 / total.max(1), 4000);
            }
            Ok(out)
        })
        .collect::<Result<_, IndexError>>()?;
    drop(points);
    let built = merge(chunks)?;
    Ok(serialize(uuid, fingerprint, &built))
}

/// The file bytes of an index.
pub(crate) fn serialize(uuid: Uuid, fingerprint: u64, b: &Built) -> Vec<u8> {
    let base = b.starts.first().copied().unwrap_or(0);
    let span = b.starts.last().copied().unwrap_or(0).wrapping_sub(base);
    let width: u32 = if span <= u64::from(u32::MAX) { 4 } else { 8 };

    let mut starts = Vec::with_capacity(b.starts.len() * width as usize);
    for &s in &b.starts {
        let rel = s.wrapping_sub(base);
        if width == 4 {
            starts.extend_from_slice(&(rel as u32).to_le_bytes());
        } else {
            starts.extend_from_slice(&rel.to_le_bytes());
        }
    }
    let values: Vec<u8> = b.values.iter().flat_map(|v| v.to_le_bytes()).collect();
    let nodes: Vec<u8> = b
        .nodes
        .iter()
        .flat_map(|n| n.iter().flat_map(|x| x.to_le_bytes()))
        .collect();
    let mut offsets = Vec::with_capacity((b.strings.len() + 1) * 4);
    let mut data = Vec::new();
    for s in &b.strings {
        offsets.extend_from_slice(&(data.len() as u32).to_le_bytes());
        data.extend_from_slice(s.as_bytes());
    }
    offsets.extend_from_slice(&(data.len() as u32).to_le_bytes());

    // Buckets over the relative starts of ranges 0..n.
    let n = b.values.len();
    let mut shift = 0u32;
    while shift < 63 && (span >> shift) >= MAX_BUCKETS {
        shift += 1;
    }
    let nb = (span >> shift) + 1;
    let mut buckets = Vec::with_capacity((nb as usize + 2) * 4);
    buckets.extend_from_slice(&shift.to_le_bytes());
    // Entry k is the first range starting at or above k << shift; for k < nb that bound is at
    // most `span`. The closing entry (k = nb) is n, written as such: nb << shift passes 2^64
    // when the span nears the whole address space (DWARF ranges from 0 to a kernel's
    // 0xfffffe…), and a wrapped bound of 0 would leave the top bucket empty, every address
    // in it answering "no DWARF".
    let mut i = 0usize;
    for k in 0..nb {
        let lo = k << shift;
        while i < n && b.starts[i].wrapping_sub(base) < lo {
            i += 1;
        }
        buckets.extend_from_slice(&(i as u32).to_le_bytes());
    }
    buckets.extend_from_slice(&(n as u32).to_le_bytes());

    let tables: [(u32, u32, &[u8]); 6] = [
        (T_RANGE_STARTS, width, &starts),
        (T_RANGE_VALUES, 4, &values),
        (T_NODES, NODE_LEN as u32, &nodes),
        (T_STR_OFFSETS, 4, &offsets),
        (T_STR_DATA, 1, &data),
        (T_BUCKETS, 4, &buckets),
    ];
    let dir_end = HEADER_LEN + DIR_ENTRY_LEN * tables.len();
    let mut out = vec![0u8; dir_end];
    let mut dir = Vec::new();
    for (id, elem, bytes) in tables {
        // 8-byte alignment for every table.
        while !out.len().is_multiple_of(8) {
            out.push(0);
        }
        dir.push((id, elem, out.len() as u64, bytes.len() as u64));
        out.extend_from_slice(bytes);
    }
    let len = out.len() as u64;
    out[0..8].copy_from_slice(MAGIC);
    out[8..12].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
    out[12..16].copy_from_slice(&(HEADER_LEN as u32).to_le_bytes());
    out[16..32].copy_from_slice(&kpanic_version());
    out[32..48].copy_from_slice(&uuid.0);
    out[48..56].copy_from_slice(&len.to_le_bytes());
    out[56..64].copy_from_slice(&fingerprint.to_le_bytes());
    out[64..72].copy_from_slice(&base.to_le_bytes());
    out[72..76].copy_from_slice(&(tables.len() as u32).to_le_bytes());
    out[76..80].copy_from_slice(&width.to_le_bytes());
    for (i, (id, elem, off, l)) in dir.into_iter().enumerate() {
        let at = HEADER_LEN + i * DIR_ENTRY_LEN;
        out[at..at + 4].copy_from_slice(&id.to_le_bytes());
        out[at + 4..at + 8].copy_from_slice(&elem.to_le_bytes());
        out[at + 8..at + 16].copy_from_slice(&off.to_le_bytes());
        out[at + 16..at + 24].copy_from_slice(&l.to_le_bytes());
    }
    let data_sum = checksum(&out[dir_end..]);
    out[80..88].copy_from_slice(&data_sum.to_le_bytes());
    let header_sum = checksum(&out[..dir_end]);
    out[88..96].copy_from_slice(&header_sum.to_le_bytes());
    out
}
