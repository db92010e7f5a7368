//! The symbol-index reader on damaged index files. An index of a real fixture's DWARF is built
//! once; each input is a list of patches (and maybe a cut) applied to it, and the header (and
//! sometimes the data checksum) is resealed so the damage reaches the table readers instead of
//! being refused at open, as a stray write after the checksum would. Then every lookup the
//! `macho` target makes runs through the damaged index: it must answer or fall back to DWARF,
//! never panic, loop or allocate without bound.
//!
//! Input: byte 0 = flags (bit 0: reseal the header, bit 1: reseal the data checksum too,
//! bit 2: cut the file at the next u32), then patches of `offset: u32 LE, len: u8, bytes`.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use kpanic_symbols::index::{index_path, reseal_for_tests};
use kpanic_symbols::{
    AddrKind, DsymChoice, IndexMode, IndexOptions, SliceSelector, SymbolAddr, Symbolizer,
    SymbolizerOptions,
};
use libfuzzer_sys::fuzz_target;

/// A kernel-shaped fixture's dSYM DWARF: inlined frames, several units, a UUID.
const DWARF: &[u8] = include_bytes!(
    "../../testdata/fixtures/arm64e/kernel.fixture.dSYM/Contents/Resources/DWARF/kernel.fixture"
);

struct Base {
    image: PathBuf,
    cache: PathBuf,
    index: PathBuf,
    bytes: Vec<u8>,
    probes: Vec<u64>,
}

fn options(cache: &std::path::Path, mode: IndexMode) -> SymbolizerOptions {
    SymbolizerOptions {
        selector: SliceSelector::default(),
        dsym: DsymChoice::Ignore,
        index: IndexOptions {
            mode,
            cache_dir: Some(cache.to_path_buf()),
            progress: None,
        },
    }
}

fn base() -> &'static Base {
    static BASE: OnceLock<Base> = OnceLock::new();
    BASE.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("kpanic-fuzz-index-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("scratch folder");
        let image = dir.join("kernel.fixture");
        std::fs::write(&image, DWARF).expect("scratch image");
        let cache = dir.join("cache");
        let sym = Symbolizer::open(&image, &options(&cache, IndexMode::Rebuild))
            .expect("the fixture opens");
        assert!(sym.index().is_some(), "the fixture's index is built");
        let uuid = sym.uuid().expect("the fixture has a UUID");
        let index = index_path(&cache, uuid);
        let bytes = std::fs::read(&index).expect("the index was written");
        // Every segment's edges and a walk through the code, in both lookup kinds below.
        let mut probes = vec![0, 1, u64::MAX];
        for s in sym.slice().segments() {
            probes.extend([s.vmaddr, s.end().wrapping_sub(1), s.end()]);
            let step = (s.vmsize / 64).max(4);
            probes.extend((0..64).map(|i| s.vmaddr.wrapping_add(i * step)));
        }
        Base {
            image,
            cache,
            index,
            bytes,
            probes,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let base = base();
    let mut bytes = base.bytes.clone();
    let flags = data.first().copied().unwrap_or(0);
    let mut rest = data.get(1..).unwrap_or(&[]);
    if flags & 4 != 0 && rest.len() >= 4 {
        let cut = u32::from_le_bytes(rest[..4].try_into().unwrap()) as usize;
        bytes.truncate(cut % (bytes.len() + 1));
        rest = &rest[4..];
    }
    while rest.len() >= 5 && !bytes.is_empty() {
        let at = u32::from_le_bytes(rest[..4].try_into().unwrap()) as usize % bytes.len();
        let n = (rest[4] as usize).min(rest.len() - 5).min(bytes.len() - at);
        bytes[at..at + n].copy_from_slice(&rest[5..5 + n]);
        rest = &rest[5 + n..];
    }
    if flags & 1 != 0 {
        reseal_for_tests(&mut bytes, flags & 2 != 0);
    }
    std::fs::write(&base.index, &bytes).expect("scratch index");
    let Ok(sym) = Symbolizer::open(&base.image, &options(&base.cache, IndexMode::UseExisting))
    else {
        return;
    };
    if let Some(ix) = sym.index() {
        let _ = (ix.verify(), ix.stats());
    }
    for &a in &base.probes {
        for kind in [AddrKind::Exact, AddrKind::ReturnAddress] {
            let l = sym.lookup(SymbolAddr(a), kind);
            let _ = kpanic_symbols::atos::json_frame("0x0", None, Some(a), &l);
        }
    }
});
