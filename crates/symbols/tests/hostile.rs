//! Hostile Mach-O inputs (found by fuzzing and by hand): each ends in an answer or a clear error,
//! in time linear in its size. Debug builds run these with overflow checks on.
//!
//! The big inputs are generated here, as `gen_macho.py` makes them, at a size where the old
//! quadratic reader took seconds (1600 fileset entries × 1600 segments; 3000 universal slices
//! × 20,000 load commands) and the linear one takes milliseconds.

mod common;
use common::*;
use kpanic_symbols::{
    AddrKind, DsymChoice, Error, IndexMode, IndexOptions, IndexStatus, Lookup, LookupSource,
    MachOFile, MachOSlice, SliceSelector, SymFrame, SymbolAddr, Symbolizer, SymbolizerOptions,
    Uuid,
};
use std::path::{Path, PathBuf};

const ARM64: u32 = 0x0100_000c;
const TEXT: u64 = 0xffff_fe00_0700_4000;

fn hostile(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/hostile")
        .join(name)
}

fn header(filetype: u32, ncmds: u32, sizeofcmds: usize) -> Vec<u8> {
    let mut b = Vec::new();
    for v in [
        0xfeed_facf,
        ARM64,
        2,
        filetype,
        ncmds,
        sizeofcmds as u32,
        0,
        0,
    ] {
        b.extend_from_slice(&u32::to_le_bytes(v));
    }
    b
}

fn segment(name: &str, vmaddr: u64, vmsize: u64) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(&0x19u32.to_le_bytes());
    b.extend_from_slice(&72u32.to_le_bytes());
    let mut n = [0u8; 16];
    n[..name.len()].copy_from_slice(name.as_bytes());
    b.extend_from_slice(&n);
    for v in [vmaddr, vmsize, 0, 0] {
        b.extend_from_slice(&v.to_le_bytes());
    }
    for v in [5u32, 5, 0, 0] {
        b.extend_from_slice(&v.to_le_bytes());
    }
    b
}

fn uuid_command(uuid: [u8; 16]) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(&0x1bu32.to_le_bytes());
    b.extend_from_slice(&24u32.to_le_bytes());
    b.extend_from_slice(&uuid);
    b
}

fn image(filetype: u32, cmds: &[Vec<u8>]) -> Vec<u8> {
    let body = cmds.concat();
    let mut b = header(filetype, cmds.len() as u32, body.len());
    b.extend_from_slice(&body);
    b
}

fn fileset_entry(vmaddr: u64, fileoff: u64, id: &str) -> Vec<u8> {
    let mut s = id.as_bytes().to_vec();
    s.push(0);
    s.resize(s.len().next_multiple_of(8), 0);
    let mut b = Vec::new();
    b.extend_from_slice(&0x8000_0035u32.to_le_bytes());
    b.extend_from_slice(&(32 + s.len() as u32).to_le_bytes());
    b.extend_from_slice(&vmaddr.to_le_bytes());
    b.extend_from_slice(&fileoff.to_le_bytes());
    b.extend_from_slice(&32u32.to_le_bytes());
    b.extend_from_slice(&0u32.to_le_bytes());
    b.extend_from_slice(&s);
    b
}

/// An MH_FILESET of `n` entries; `fileoff(i, inner)` says where entry `i`'s header is, given
/// the offset of the one inner image (`m` segments).
fn fileset(n: usize, m: usize, fileoff: impl Fn(usize, u64) -> u64) -> Vec<u8> {
    let segs: Vec<Vec<u8>> = (0..m)
        .map(|i| segment("__TEXT", TEXT + i as u64 * 0x1000, 0x1000))
        .collect();
    let inner = image(0x2, &segs);
    let ids: Vec<String> = (0..n).map(|i| format!("com.x.e{i}")).collect();
    let cmds_len: usize = ids.iter().map(|id| fileset_entry(0, 0, id).len()).sum();
    let inner_off = (32 + cmds_len).next_multiple_of(16) as u64;
    let entries: Vec<Vec<u8>> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| fileset_entry(TEXT, fileoff(i, inner_off), id))
        .collect();
    let mut out = image(0xc, &entries);
    out.resize(inner_off as usize, 0);
    out.extend_from_slice(&inner);
    out
}

/// A universal file whose first `n` slices all point at one image of `m` unknown load
/// commands, then one slice of its own (`last`).
fn fat(n: usize, m: usize, last: &[u8], overlap: bool) -> Vec<u8> {
    let shared = image(
        0x2,
        &vec![[0x7fffu32.to_le_bytes(), 8u32.to_le_bytes()].concat(); m],
    );
    let table = 8 + 20 * (n + 1);
    let off = table.next_multiple_of(4096);
    let last_off = if overlap {
        off + 8
    } else {
        (off + shared.len()).next_multiple_of(4096)
    };
    let mut out = Vec::new();
    out.extend_from_slice(&0xcafe_babeu32.to_be_bytes());
    out.extend_from_slice(&(n as u32 + 1).to_be_bytes());
    let arch = |out: &mut Vec<u8>, at: usize, len: usize| {
        for v in [ARM64, 2, at as u32, len as u32, 12] {
            out.extend_from_slice(&v.to_be_bytes());
        }
    };
    for _ in 0..n {
        arch(&mut out, off, shared.len());
    }
    arch(&mut out, last_off, last.len());
    out.resize(off, 0);
    out.extend_from_slice(&shared);
    out.resize(out.len().max(last_off), 0);
    out.truncate(last_off);
    out.extend_from_slice(last);
    if overlap {
        out.resize(off + shared.len().max(8 + last.len()), 0);
    }
    out
}

/// Write `bytes` to a fresh temporary file (the symbolizer opens paths).
fn temp_file(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kpanic-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn malformed(result: Result<impl std::fmt::Debug, Error>) -> String {
    match result {
        Err(e @ Error::Malformed { .. }) => e.to_string(),
        other => panic!("expected a malformed-file error, got {other:?}"),
    }
}

/// Every fileset entry names the one inner header: it is parsed once, every entry shares it,
/// and the first entry answers for its addresses.
#[test]
fn fileset_entries_sharing_one_header() {
    let bytes = fileset(1600, 1600, |_, inner| inner);
    let path = temp_file("fileset-1600x1600.macho", &bytes);
    let slice = MachOFile::open(&path)
        .unwrap()
        .select(&SliceSelector::default())
        .unwrap();
    assert!(slice.is_fileset());
    assert_eq!(slice.fileset_entries().len(), 1600);
    assert!(slice
        .fileset_entries()
        .iter()
        .all(|e| e.segments().len() == 1600));
    assert_eq!(slice.entry_containing(TEXT).unwrap().id, "com.x.e0");
    let last = TEXT + 1599 * 0x1000;
    assert_eq!(slice.entry_containing(last).unwrap().id, "com.x.e0");
    assert!(slice.entry_containing(last + 0x1000).is_none());

    let sym = Symbolizer::open(&path, &SymbolizerOptions::default()).unwrap();
    let l = sym.lookup(SymbolAddr(TEXT), AddrKind::Exact);
    assert_eq!(l.fileset_entry.as_deref(), Some("com.x.e0"));
    assert_eq!(
        l.unresolved_reason.as_deref(),
        Some("no DWARF and no symbol table")
    );
    let top = sym.lookup(SymbolAddr(u64::MAX), AddrKind::Exact);
    assert!(!top.is_resolved());
    assert!(top.fileset_entry.is_none(), "{top:?}");
}

/// Entries whose headers and load commands overlap without being the same are refused: the
/// load commands of one would be parsed again for the other.
#[test]
fn fileset_entries_overlapping_are_refused() {
    let bytes = fileset(2, 4, |i, inner| inner + 8 * i as u64);
    let e = malformed(
        MachOFile::from_vec(Path::new("/hostile/fileset"), bytes)
            .and_then(|f| f.select(&SliceSelector::default())),
    );
    assert!(e.contains("fileset entries com.x.e0"), "{e}");
    assert!(e.contains("overlap"), "{e}");
}

/// Thousands of universal slices repeat one range: it is parsed once when choosing by UUID,
/// and the slice with the UUID is found after them.
#[test]
fn fat_slices_sharing_one_range() {
    let mut id = [0u8; 16];
    id[15] = 1;
    let last = image(0x2, &[uuid_command(id), segment("__TEXT", 0, 0x4000)]);
    let bytes = fat(3000, 20_000, &last, false);
    let path = temp_file("fat-3000x20000.macho", &bytes);
    let file = MachOFile::open(&path).unwrap();
    assert_eq!(file.slices().len(), 3001);
    assert_eq!(file.distinct_slices().count(), 2);

    let uuid: Uuid = "00000000-0000-0000-0000-000000000001".parse().unwrap();
    let slice = file.select(&SliceSelector::uuid(uuid)).unwrap();
    assert_eq!(slice.uuid(), Some(uuid));

    let sym = Symbolizer::open(
        &path,
        &SymbolizerOptions::with_selector(SliceSelector::uuid(uuid)),
    )
    .unwrap();
    let l = sym.lookup(SymbolAddr(0), AddrKind::Exact);
    assert_eq!(
        l.unresolved_reason.as_deref(),
        Some("no DWARF and no symbol table")
    );

    // Absent: the error lists each distinct slice once.
    let other: Uuid = "00000000-0000-0000-0000-000000000002".parse().unwrap();
    let e = file
        .select(&SliceSelector::uuid(other))
        .unwrap_err()
        .to_string();
    assert_eq!(e.matches("without LC_UUID").count(), 1, "{e}");
    assert!(e.contains(&uuid.to_string()), "{e}");
}

/// Slices that overlap without repeating one another are refused.
#[test]
fn fat_slices_overlapping_are_refused() {
    let last = image(0x2, &[segment("__TEXT", 0, 0x4000)]);
    let bytes = fat(1, 16, &last, true);
    let e = malformed(MachOFile::from_vec(Path::new("/hostile/fat"), bytes));
    assert!(e.contains("universal slices #0"), "{e}");
    assert!(e.contains("overlap"), "{e}");
}

/// `addr2line-probe-max-overflow.macho`: a `__TEXT` at 0xffffffffffffffff of size
/// 0xffffffffff0a4000. Before, a lookup at u64::MAX reached addr2line, whose `probe + 1`
/// overflowed; the segment is now refused when the file is read.
#[test]
fn segment_past_the_top_of_the_address_space() {
    let path = hostile("addr2line-probe-max-overflow.macho");
    let e = malformed(MachOFile::open(&path).and_then(|f| f.select(&SliceSelector::default())));
    assert!(e.contains("segment __TEXT"), "{e}");
    assert!(e.contains("ends past the top of the address space"), "{e}");
    let e = malformed(Symbolizer::open(&path, &SymbolizerOptions::default()));
    assert!(e.contains("ends past the top of the address space"), "{e}");

    // The same for a segment of a generated image, and for a section.
    let bytes = image(0x2, &[segment("__TEXT", u64::MAX - 0xfff, 0x2000)]);
    let e = malformed(
        MachOFile::from_vec(Path::new("/hostile/seg"), bytes)
            .and_then(|f| f.select(&SliceSelector::default())),
    );
    assert!(e.contains("ends past the top"), "{e}");
    let mut seg = segment("__TEXT", 0x1000, 0x1000);
    seg[4..8].copy_from_slice(&(72u32 + 80).to_le_bytes());
    seg[64..68].copy_from_slice(&1u32.to_le_bytes());
    let mut sect = vec![0u8; 80];
    sect[..6].copy_from_slice(b"__text");
    sect[16..22].copy_from_slice(b"__TEXT");
    sect[32..40].copy_from_slice(&(u64::MAX - 0xf).to_le_bytes());
    sect[40..48].copy_from_slice(&0x100u64.to_le_bytes());
    seg.extend_from_slice(&sect);
    let bytes = image(0x2, &[seg]);
    let e = malformed(
        MachOFile::from_vec(Path::new("/hostile/sect"), bytes)
            .and_then(|f| f.select(&SliceSelector::default())),
    );
    assert!(e.contains("section __TEXT,__text"), "{e}");
}

/// The top address never reaches addr2line, as a PC or as a return address.
#[test]
fn lookups_at_the_top_address() {
    for path in [
        fixtures().join("arm64e/kernel.fixture"),
        fixtures().join("arm64e/kernel.fixture.dSYM"),
    ] {
        let sym = Symbolizer::open(&path, &SymbolizerOptions::default()).unwrap();
        assert!(sym.has_dwarf());
        for kind in [AddrKind::Exact, AddrKind::ReturnAddress] {
            let l = sym.lookup(SymbolAddr(u64::MAX), kind);
            assert!(!l.is_resolved(), "{l:?}");
            let many = sym.lookup_many(&[(SymbolAddr(u64::MAX), kind)]);
            assert_eq!(many, vec![l]);
        }
    }
}

/// The addresses the `macho` fuzz target looks up (`fuzz/fuzz_targets/macho.rs`, `probes`):
/// 0, 1, the top two, each of the first 8 segments' start, middle, last byte and end, each of
/// the first 8 sections' start.
fn fuzz_probes(slice: &MachOSlice) -> Vec<u64> {
    let mut a = vec![0, 1, u64::MAX, u64::MAX - 1];
    for s in slice.segments().iter().take(8) {
        a.extend([
            s.vmaddr,
            s.vmaddr.wrapping_add(s.vmsize / 2),
            s.end().wrapping_sub(1),
            s.end(),
        ]);
    }
    for s in slice.sections().iter().take(8) {
        a.push(s.addr);
    }
    a
}

/// `path` opened as the `macho` fuzz target opens it: live DWARF (no dSYM, no index), then
/// with an index rebuilt into a cache folder of its own.
fn live_and_indexed(path: &Path) -> (Symbolizer, Symbolizer) {
    let live = SymbolizerOptions {
        dsym: DsymChoice::Ignore,
        ..Default::default()
    };
    let name = path.file_stem().unwrap().to_string_lossy();
    let cache = std::env::temp_dir().join(format!("kpanic-hostile-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&cache);
    let indexed = SymbolizerOptions {
        index: IndexOptions {
            mode: IndexMode::Rebuild,
            cache_dir: Some(cache),
            progress: None,
        },
        ..live.clone()
    };
    let a = Symbolizer::open(path, &live).unwrap();
    let b = Symbolizer::open(path, &indexed).unwrap();
    assert!(a.has_dwarf() && a.index().is_none());
    assert!(
        matches!(b.index_status(), IndexStatus::Built { .. }),
        "{:?}",
        b.index_status()
    );
    (a, b)
}

/// The fuzz target's probes, and every 4th byte of every segment, as PCs and return
/// addresses: the index answers exactly as live DWARF.
fn assert_index_equals_live(live: &Symbolizer, indexed: &Symbolizer) -> Vec<Lookup> {
    let mut probes = fuzz_probes(live.slice());
    for s in live.slice().segments() {
        probes.extend((s.vmaddr..s.end()).step_by(4));
    }
    let mut out = Vec::new();
    for p in probes {
        for kind in [AddrKind::Exact, AddrKind::ReturnAddress] {
            let want = live.lookup(SymbolAddr(p), kind);
            assert_eq!(indexed.lookup(SymbolAddr(p), kind), want, "{p:#x} {kind:?}");
            out.push(want);
        }
    }
    out
}

fn frame(function: &str, file: &str, line: u32, column: Option<u32>) -> SymFrame {
    SymFrame {
        function: Some(function.into()),
        file: Some(file.into()),
        line: Some(line),
        column,
        symbol_offset: None,
    }
}

/// `fuzz-macho-index-vs-dwarf.macho`, found by the `macho` fuzz target: the DWARF 5 kernel
/// fixture's dSYM with a `__DATA_CONST` section moved outside its segment and a stray
/// `.debug_aranges` entry, [0, 0xf8000000) for `sched.c`, where its set's terminator was. The
/// index then spanned 0 to the kernel's 0xfffffe…: its bucket table's closing bound,
/// 2^16 << 48, wrapped to 0, the top bucket came out empty, and every kernel address answered
/// "no DWARF" from the index (the symbol table's `kernel_bootstrap` +0) where live DWARF
/// answered `start.c:4`.
#[test]
fn index_spanning_the_whole_address_space() {
    let path = hostile("fuzz-macho-index-vs-dwarf.macho");
    let (live, indexed) = live_and_indexed(&path);
    let answers = assert_index_equals_live(&live, &indexed);
    assert!(answers.iter().filter(|l| l.is_resolved()).count() > 500);

    // The stray range lies outside every segment, so no lookup reaches it: inside them the
    // answers are the unmutated fixture's (`testdata/fixtures/src/start.c`, `kld.c`, `fx.h`).
    let fixture = Symbolizer::open(
        &fixtures().join("dwarf5/kernel.fixture.dSYM"),
        &SymbolizerOptions::default(),
    )
    .unwrap();
    for p in [
        0xfffffe000700c000u64,
        0xfffffe0007010000,
        0xfffffe0007014000,
    ] {
        let want = fixture.lookup(SymbolAddr(p), AddrKind::Exact);
        assert_eq!(indexed.lookup(SymbolAddr(p), AddrKind::Exact), want);
        assert_eq!(want.source, Some(LookupSource::Dwarf));
    }
    let at = |p: u64| indexed.lookup(SymbolAddr(p), AddrKind::Exact).frames;
    assert_eq!(
        at(0xfffffe000700c000),
        [frame("kernel_bootstrap", "/fixtures/src/start.c", 4, None)]
    );
    assert_eq!(
        at(0xfffffe0007010000),
        [
            frame("fx_outer", "/fixtures/src/fx.h", 17, Some(22)),
            frame("kxld_link_file", "/fixtures/src/kld.c", 3, Some(38)),
        ]
    );
}

/// The same file with the stray `.debug_aranges` entry ending at 2^64 - 1 (begin 0x1000,
/// length 2^64 - 1 - 0x1000): the index builder probes every range end, and asked addr2line
/// about the top address, whose `probe + 1` overflowed (a panic with overflow checks). DWARF
/// now answers nothing there, in the builder as in a live lookup.
#[test]
fn index_with_a_range_ending_at_the_top_address() {
    let mut bytes = std::fs::read(hostile("fuzz-macho-index-vs-dwarf.macho")).unwrap();
    // The stray entry: the set of the unit at .debug_info+0x340, at .debug_aranges+0xb0.
    let entry = 0x26b9 + 0xb0;
    assert_eq!(
        bytes[entry..entry + 16],
        [&[0; 8][..], &0xf800_0000u64.to_le_bytes()].concat()
    );
    bytes[entry..entry + 8].copy_from_slice(&0x1000u64.to_le_bytes());
    bytes[entry + 8..entry + 16].copy_from_slice(&(u64::MAX - 0x1000).to_le_bytes());
    let path = temp_file("arange-to-top.macho", &bytes);
    let (live, indexed) = live_and_indexed(&path);
    let answers = assert_index_equals_live(&live, &indexed);
    assert!(answers.iter().filter(|l| l.is_resolved()).count() > 500);
    let top = indexed.lookup(SymbolAddr(u64::MAX), AddrKind::Exact);
    assert!(!top.is_resolved(), "{top:?}");
}
