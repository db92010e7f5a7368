//! The hot paths of symbolication, on the arm64e kernel fixture: a lookup through live DWARF
//! (contexts warm), the same through the index, and building the index.
//!
//! `KPANIC_BENCH_DSYM=/path/to/kernel.big.dSYM KPANIC_BENCH_ADDRS=/path/to/addresses.txt`
//! adds the same lookups on a large dSYM (see scripts/bench.sh).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use kpanic_symbols::index::build_index_bytes;
use kpanic_symbols::{
    AddrKind, IndexMode, IndexOptions, SliceSelector, SymbolAddr, Symbolizer, SymbolizerOptions,
};
use std::hint::black_box;
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/fixtures")
}

fn hex_lines(text: &str) -> Vec<u64> {
    text.split_whitespace()
        .filter_map(|s| u64::from_str_radix(s.trim_start_matches("0x"), 16).ok())
        .collect()
}

fn open(path: &Path, idx: &IndexOptions) -> Symbolizer {
    let opts = SymbolizerOptions {
        index: idx.clone(),
        ..Default::default()
    };
    Symbolizer::open(path, &opts).expect("opens")
}

fn lookups(c: &mut Criterion, label: &str, dsym: &Path, addrs: &[u64]) {
    let cache = std::env::temp_dir().join(format!("kpanic-bench-{}", std::process::id()));
    let live = open(dsym, &IndexOptions::off());
    let indexed = open(
        dsym,
        &IndexOptions {
            mode: IndexMode::Build,
            cache_dir: Some(cache.clone()),
            progress: None,
        },
    );
    assert!(indexed.index().is_some(), "{:?}", indexed.index_status());
    let mut g = c.benchmark_group(format!("lookup/{label}"));
    g.throughput(Throughput::Elements(addrs.len() as u64));
    for (name, sym) in [("live_dwarf", &live), ("index", &indexed)] {
        g.bench_function(name, |b| {
            b.iter(|| {
                for &a in addrs {
                    black_box(sym.lookup(SymbolAddr(a), AddrKind::ReturnAddress));
                }
            })
        });
    }
    g.finish();
    let _ = std::fs::remove_dir_all(&cache);
}

fn fixture_benches(c: &mut Criterion) {
    let dsym = fixtures().join("arm64e/kernel.fixture.dSYM");
    let text =
        std::fs::read_to_string(fixtures().join("truth/arm64e-kernel.fixture.retaddrs")).unwrap();
    lookups(c, "kernel.fixture", &dsym, &hex_lines(&text));

    let dwarf = dsym.join("Contents/Resources/DWARF/kernel.fixture");
    let slice = kpanic_symbols::MachOFile::open(&dwarf)
        .unwrap()
        .select(&SliceSelector::default())
        .unwrap();
    c.bench_function("index_build/kernel.fixture", |b| {
        b.iter(|| build_index_bytes(black_box(&slice), None).expect("builds"))
    });
}

fn big_benches(c: &mut Criterion) {
    let (Some(dsym), Some(addrs)) = (
        std::env::var_os("KPANIC_BENCH_DSYM"),
        std::env::var_os("KPANIC_BENCH_ADDRS"),
    ) else {
        return;
    };
    let text = std::fs::read_to_string(&addrs).unwrap();
    lookups(c, "big", Path::new(&dsym), &hex_lines(&text));
}

criterion_group!(benches, fixture_benches, big_benches);
criterion_main!(benches);
