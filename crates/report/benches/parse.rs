//! Report parsing: the 2 MB, 3,152-thread full panic, a text panic and a .panic file.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;
use std::path::PathBuf;

fn corpus(name: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/corpus")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn parse(c: &mut Criterion) {
    let mut g = c.benchmark_group("parse");
    for name in [
        "ios-ips-full-mte-keystore-01.ips",
        "arm64-text-dataabort-01.txt",
        "t2-bridgeos-ips-sleepwake-01.panic",
    ] {
        let bytes = corpus(name);
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        g.bench_function(name, |b| {
            b.iter(|| kpanic_report::parse(black_box(&bytes)).expect("parses"))
        });
    }
    g.finish();
}

criterion_group!(benches, parse);
criterion_main!(benches);
