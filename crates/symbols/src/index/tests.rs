//! The index answers exactly what live DWARF answers: every fixture truth entry (call sites and
//! return addresses), every byte of every executable segment, the symbol-table fallback and the
//! unresolved reasons. Bad indexes (truncated, another version, another UUID, damaged) are
//! detected and rebuilt; an unwritable cache folder leaves lookups live.

use super::*;
use crate::{AddrKind, Arch, DsymChoice, SliceSelector, SymbolAddr, Symbolizer, SymbolizerOptions};
use std::path::PathBuf;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/fixtures")
}

fn temp_cache(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("kpanic-index-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn hex(s: &str) -> u64 {
    u64::from_str_radix(s.trim().trim_start_matches("0x"), 16).unwrap()
}

/// Addresses of every truth entry of `name` (the JSON's, i.e. the call sites).
fn truth_addrs(name: &str) -> Vec<u64> {
    let text =
        std::fs::read_to_string(fixtures().join("truth").join(format!("{name}.json"))).unwrap();
    text.lines()
        .map(|l| {
            let at = l.find("\"Address\":\"").unwrap() + 11;
            hex(&l[at..at + l[at..].find('"').unwrap()])
        })
        .collect()
}

include!("../../tests/common/cases.rs");

/// Open `path` with `opts`, indexes as `idx` says.
fn open_indexed(
    path: &Path,
    opts: &SymbolizerOptions,
    idx: &IndexOptions,
) -> Result<Symbolizer, crate::Error> {
    let opts = SymbolizerOptions {
        index: idx.clone(),
        ..opts.clone()
    };
    Symbolizer::open(path, &opts)
}

fn opts(arch: Option<Arch>, dsym: DsymChoice) -> SymbolizerOptions {
    SymbolizerOptions {
        selector: SliceSelector { arch, uuid: None },
        dsym,
        ..Default::default()
    }
}

fn mode(cache: &Path, mode: IndexMode) -> IndexOptions {
    IndexOptions {
        mode,
        cache_dir: Some(cache.to_path_buf()),
        progress: None,
    }
}

/// Every address worth asking: the truth entries as exact and as return addresses (call + 4
/// or + 5), every byte of every executable segment and a little around it, and a few
/// addresses outside the image.
fn probes(live: &Symbolizer, name: &str) -> Vec<(u64, AddrKind)> {
    let mut out = Vec::new();
    let len = if name.starts_with("x86_64") { 5 } else { 4 };
    for a in truth_addrs(name) {
        out.push((a, AddrKind::Exact));
        out.push((a + len, AddrKind::ReturnAddress));
    }
    for seg in live.slice().segments() {
        if !seg.is_executable() {
            continue;
        }
        let lo = seg.vmaddr.saturating_sub(16);
        for a in lo..seg.vmaddr + seg.vmsize.min(1 << 20) + 16 {
            out.push((a, AddrKind::Exact));
            // A return address looks up a - 1: the same answers, with `addr` kept as given.
            if a % 4 == 0 {
                out.push((a, AddrKind::ReturnAddress));
            }
        }
    }
    out.extend([
        (0, AddrKind::Exact),
        (0, AddrKind::ReturnAddress),
        (u64::MAX, AddrKind::Exact),
        (0xfffffe0100000000, AddrKind::Exact),
    ]);
    out
}

fn assert_same(live: &Symbolizer, indexed: &Symbolizer, name: &str) -> usize {
    let mut n = 0;
    for (a, kind) in probes(live, name) {
        let want = live.lookup(SymbolAddr(a), kind);
        let got = indexed.lookup(SymbolAddr(a), kind);
        assert_eq!(got, want, "{name} {a:#x} {kind:?}");
        n += 1;
    }
    n
}

#[test]
fn index_answers_equal_live_dwarf_everywhere() {
    let cache = temp_cache("equal");
    let mut total = 0;
    let mut built = 0;
    for &(name, dir, bin, arch) in CASES {
        let binary = fixtures().join(dir).join(bin);
        let dsym = fixtures().join(dir).join(format!("{bin}.dSYM"));
        for path in [&binary, &dsym] {
            let live =
                open_indexed(path, &opts(arch, DsymChoice::Auto), &IndexOptions::off()).unwrap();
            assert!(live.index().is_none());
            let ix = open_indexed(
                path,
                &opts(arch, DsymChoice::Auto),
                &mode(&cache, IndexMode::Build),
            )
            .unwrap();
            assert!(ix.index().is_some(), "{name}: {:?}", ix.index_status());
            if matches!(ix.index_status(), IndexStatus::Built { .. }) {
                built += 1;
            }
            assert!(ix.has_dwarf());
            ix.index().unwrap().verify().unwrap();
            total += assert_same(&live, &ix, name);
        }
    }
    // The dSYM reuses the index built through its binary.
    assert!(built >= 10 && built < 2 * CASES.len(), "{built}");
    assert!(total > 50_000, "{total}");
    std::fs::remove_dir_all(&cache).unwrap();
}

#[test]
fn symbol_table_only_has_no_index() {
    let cache = temp_cache("symtab");
    let bin = fixtures().join("arm64e/kernel.fixture");
    let o = opts(None, DsymChoice::Ignore);
    let live = open_indexed(&bin, &o, &IndexOptions::off()).unwrap();
    let ix = open_indexed(&bin, &o, &mode(&cache, IndexMode::Build)).unwrap();
    assert!(ix.index().is_none());
    assert_eq!(ix.index_status(), &IndexStatus::NotUsed);
    assert_same(&live, &ix, "arm64e-kernel.fixture");
    std::fs::remove_dir_all(&cache).unwrap();
}

fn kernel(cache: &Path, m: IndexMode) -> Symbolizer {
    open_indexed(
        &fixtures().join("arm64e/kernel.fixture"),
        &opts(None, DsymChoice::Auto),
        &mode(cache, m),
    )
    .unwrap()
}

fn rejected_then_rebuilt(cache: &Path, why: &str) {
    let s = kernel(cache, IndexMode::UseExisting);
    match s.index_status() {
        IndexStatus::Rejected { why: w, .. } => assert!(w.contains(why), "{w}"),
        other => panic!("expected rejected ({why}), got {other:?}"),
    }
    assert!(s.index().is_none());
    let s = kernel(cache, IndexMode::Build);
    assert!(
        matches!(s.index_status(), IndexStatus::Built { .. }),
        "{:?}",
        s.index_status()
    );
    let live = open_indexed(
        &fixtures().join("arm64e/kernel.fixture"),
        &opts(None, DsymChoice::Auto),
        &IndexOptions::off(),
    )
    .unwrap();
    assert_same(&live, &s, "arm64e-kernel.fixture");
}

#[test]
fn bad_indexes_are_detected_and_rebuilt() {
    let cache = temp_cache("bad");
    let s = kernel(&cache, IndexMode::Build);
    let IndexStatus::Built { path, .. } = s.index_status().clone() else {
        panic!("{:?}", s.index_status())
    };
    drop(s);
    let good = std::fs::read(&path).unwrap();
    assert!(matches!(
        kernel(&cache, IndexMode::Build).index_status(),
        IndexStatus::Used { .. }
    ));
    let missing = kernel(&temp_cache("empty"), IndexMode::UseExisting);
    assert!(matches!(
        missing.index_status(),
        IndexStatus::Missing { .. }
    ));

    // Truncated, at several lengths.
    for cut in [0, 10, 95, good.len() / 2, good.len() - 1] {
        std::fs::write(&path, &good[..cut]).unwrap();
        let want = if cut < 96 {
            "truncated"
        } else {
            "truncated or"
        };
        rejected_then_rebuilt(&cache, if cut == 0 { "truncated" } else { want });
    }
    // Another format version, another kpanic version.
    let mut b = good.clone();
    b[8..12].copy_from_slice(&(format::FORMAT_VERSION + 1).to_le_bytes());
    std::fs::write(&path, &b).unwrap();
    rejected_then_rebuilt(&cache, "format version");
    let mut b = good.clone();
    b[16..32].copy_from_slice(b"0.0.0-other\0\0\0\0\0");
    std::fs::write(&path, &b).unwrap();
    rejected_then_rebuilt(&cache, "written by kpanic 0.0.0-other");
    // A damaged header byte and a damaged table directory: the header checksum.
    for at in [64, 100, 130] {
        let mut b = good.clone();
        b[at] ^= 0x40;
        std::fs::write(&path, &b).unwrap();
        rejected_then_rebuilt(&cache, "checksum");
    }
    // Not an index at all.
    std::fs::write(&path, vec![0x41u8; good.len()]).unwrap();
    rejected_then_rebuilt(&cache, "bad magic");
    // Another image's index under this UUID's name.
    let other = open_indexed(
        &fixtures().join("arm64e/libfx.dylib"),
        &opts(None, DsymChoice::Auto),
        &mode(&cache, IndexMode::Build),
    )
    .unwrap();
    let other_path = other.index().unwrap().path().to_path_buf();
    std::fs::copy(&other_path, &path).unwrap();
    rejected_then_rebuilt(&cache, "built for UUID");
    // Damage inside the tables: the data checksum (kpanic index --verify).
    let mut b = std::fs::read(&path).unwrap();
    let n = b.len();
    b[n - 3] ^= 1;
    std::fs::write(&path, &b).unwrap();
    let s = kernel(&cache, IndexMode::UseExisting);
    let e = s.index().unwrap().verify().unwrap_err();
    assert!(e.to_string().contains("data checksum"), "{e}");
    // Rebuild on demand.
    let s = kernel(&cache, IndexMode::Rebuild);
    assert!(matches!(s.index_status(), IndexStatus::Built { .. }));
    s.index().unwrap().verify().unwrap();
    std::fs::remove_dir_all(&cache).unwrap();
}

#[test]
fn an_unwritable_cache_leaves_lookups_live() {
    let cache = temp_cache("ro");
    // A regular file where the cache folder should be: nothing can be created under it (even
    // as root, unlike a read-only folder).
    let blocked = cache.join("not-a-folder");
    std::fs::write(&blocked, b"x").unwrap();
    assert!(check_writable(&blocked).is_err());
    let s = kernel(&blocked, IndexMode::Build);
    assert!(s.index().is_none());
    assert!(
        matches!(s.index_status(), IndexStatus::Failed { .. }),
        "{:?}",
        s.index_status()
    );
    assert!(s.has_dwarf());
    let live = kernel(&blocked, IndexMode::Off);
    assert_same(&live, &s, "arm64e-kernel.fixture");
    std::fs::remove_dir_all(&cache).unwrap();
}

#[test]
fn cache_folder() {
    let p = index_path(
        Path::new("/c"),
        "4C4C4462-5555-3144-A1D5-B37636005C7C".parse().unwrap(),
    );
    assert_eq!(
        p,
        Path::new("/c/index/4C4C4462-5555-3144-A1D5-B37636005C7C.kpidx")
    );
}

/// `lookup_many` (chunked, one context per thread, pages given back after each chunk, when there is no index) gives
/// what `lookup` gives, in input order; and the same through an index.
#[test]
fn batch_lookups_equal_single_lookups() {
    let cache = temp_cache("batch");
    for m in [IndexMode::Off, IndexMode::Build] {
        let s = kernel(&cache, m);
        let mut probes: Vec<(SymbolAddr, AddrKind)> = probes(&s, "arm64e-kernel.fixture")
            .into_iter()
            .map(|(a, k)| (SymbolAddr(a), k))
            .collect();
        probes.reverse(); // not sorted: the answers must come back in input order
        assert!(probes.len() >= 4096, "{}", probes.len());
        let batch = s.lookup_many(&probes);
        assert_eq!(batch.len(), probes.len());
        for ((a, k), got) in probes.iter().zip(&batch) {
            assert_eq!(got, &s.lookup(*a, *k), "{m:?} {a:?} {k:?}");
        }
    }
    std::fs::remove_dir_all(&cache).unwrap();
}

/// Ranges from address 0 up to a kernel's 0xfffffe… (and up to 2^64 - 1): the bucket table's
/// closing bound, (span >> 48) + 1 << 48, is past 2^64. It used to wrap to 0, which left the
/// top bucket empty, so every address in it answered "no DWARF". Each range answers its own
/// value at its first and last address.
#[test]
fn buckets_of_a_span_over_the_whole_address_space() {
    let kernel = 0xfffffe000700c000u64;
    for end in [kernel + 0x100, u64::MAX] {
        let built = build::Built {
            starts: vec![0, 0xf800_0000, kernel, kernel + 4, end],
            values: vec![format::ERROR_BIT, format::NO_DWARF, 0, 1],
            nodes: vec![
                [1, 2, 4, format::NONE, format::NONE],
                [1, 2, 5, 12, format::NONE],
            ],
            strings: vec![
                "a DWARF error".into(),
                "kernel_bootstrap".into(),
                "start.c".into(),
            ],
        };
        let uuid = Uuid([7; 16]);
        let bytes = build::serialize(uuid, 0, &built);
        let ix =
            SymbolIndex::parse(crate::bytes::FileBytes::from_vec(bytes), Path::new("ix")).unwrap();
        let frame = |line, column| crate::dwarf::DwarfFrame {
            function: Some("kernel_bootstrap".into()),
            file: Some("start.c".into()),
            line: Some(line),
            column,
        };
        let at = |a: u64| ix.frames(a).unwrap();
        assert_eq!(at(0), Err("a DWARF error".into()));
        assert_eq!(at(0xf7ff_ffff), Err("a DWARF error".into()));
        assert_eq!(at(0xf800_0000), Ok(vec![]));
        assert_eq!(at(kernel - 1), Ok(vec![]));
        assert_eq!(at(kernel), Ok(vec![frame(4, None)]));
        assert_eq!(at(kernel + 3), Ok(vec![frame(4, None)]));
        assert_eq!(at(kernel + 4), Ok(vec![frame(5, Some(12))]));
        assert_eq!(at(end - 1), Ok(vec![frame(5, Some(12))]));
        assert_eq!(at(end), Ok(vec![]));

        // The same table with the closing bound as the old writer wrote it (the wrapped 0
        // counted no range: 2, the ranges below the top bucket): the bucket does not bracket
        // the answer, and the lookup goes to live DWARF rather than answering "no DWARF".
        let mut bytes = build::serialize(uuid, 0, &built);
        let dir = format::HEADER_LEN + 5 * format::DIR_ENTRY_LEN; // T_BUCKETS, the sixth
        let field = |k: usize| u64::from_le_bytes(bytes[dir + k..dir + k + 8].try_into().unwrap());
        let last = (field(8) + field(16) - 4) as usize;
        assert_eq!(bytes[last..last + 4], 4u32.to_le_bytes());
        bytes[last..last + 4].copy_from_slice(&2u32.to_le_bytes());
        let old =
            SymbolIndex::parse(crate::bytes::FileBytes::from_vec(bytes), Path::new("ix")).unwrap();
        assert_eq!(old.frames(0), Some(Err("a DWARF error".into())));
        assert_eq!(old.frames(kernel), None);
        assert_eq!(old.frames(end - 1), None);
    }
}
