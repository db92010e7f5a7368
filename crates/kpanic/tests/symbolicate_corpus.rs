//! Every real panic of the corpus goes through symbolication without symbols for its kernel:
//! every frame comes out, each unresolved one with its reason, and nothing is invented.

mod support;

use kpanic::{symbolicate, SymbolLibrary, SymbolOptions};
use support::*;

#[test]
fn every_corpus_panic_keeps_every_frame() {
    let dir = root().join("testdata/corpus");
    let mut checked = 0;
    // The fixtures as symbols: their UUIDs match nothing in the corpus, so nothing may resolve.
    let lib = SymbolLibrary::new(&SymbolOptions {
        symbols: vec![fixtures().join("arm64e"), fixtures().join("x86_64")],
        ..Default::default()
    });
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if name.ends_with(".md") || name.ends_with(".tsv") {
            continue;
        }
        let Ok(report) = kpanic_report::parse_file(&path) else {
            continue; // parse errors are the report crate's tests' business
        };
        let sym = symbolicate(&report, &lib);
        let bt = report.backtrace.as_ref().map_or(0, |b| b.frames.len());
        assert_eq!(
            sym.backtrace.len(),
            bt,
            "{name}: every backtrace frame goes out"
        );
        assert_eq!(sym.cores.len(), report.cores.states.len(), "{name}");
        let spindump_frames: usize = report.spindump.as_ref().map_or(0, |sd| {
            sd.processes
                .iter()
                .flat_map(|p| &p.threads)
                .map(|t| t.kernel_frames.len())
                .sum()
        });
        let out_frames: usize = sym.threads.iter().map(|t| t.kernel_frames.len()).sum();
        assert_eq!(
            out_frames, spindump_frames,
            "{name}: every stackshot kernel frame"
        );
        assert_eq!(sym.frames().count(), sym.summary.frames, "{name}");
        for f in sym.frames() {
            assert!(
                f.symbol_frames().is_empty(),
                "{name}: {f:?} resolved against foreign symbols"
            );
            assert!(
                f.unresolved().map(|u| u.to_string()).is_some(),
                "{name}: {f:?} has no reason"
            );
        }
        assert_eq!(sym.summary.resolved, 0, "{name}");
        checked += 1;
    }
    assert!(checked >= 25, "only {checked} corpus panics parsed");
}
