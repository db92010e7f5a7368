//! `kpanic symbolicate` then `diagnose` with the symbolication: against an empty library, and
//! against the small example KDK in `examples/` (opened once; its symbol files are real
//! Mach-O, so hostile addresses and slides reach the symbolizer).
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use kpanic::output::text::{render_summary, render_text, RenderOptions};
use kpanic::{symbolicate, SymbolLibrary, SymbolOptions};
use kpanic_symbols::IndexOptions;
use libfuzzer_sys::fuzz_target;

fn empty() -> &'static SymbolLibrary {
    static LIB: OnceLock<SymbolLibrary> = OnceLock::new();
    LIB.get_or_init(|| {
        SymbolLibrary::new(&SymbolOptions {
            index: IndexOptions::off(),
            ..Default::default()
        })
    })
}

fn kdk() -> &'static SymbolLibrary {
    static LIB: OnceLock<SymbolLibrary> = OnceLock::new();
    LIB.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/KDK_15.4_24E248.kdk");
        let lib = SymbolLibrary::new(&SymbolOptions {
            kdks: vec![dir],
            index: IndexOptions::off(),
            ..Default::default()
        });
        assert!(
            lib.warnings().is_empty(),
            "example KDK: {:?}",
            lib.warnings()
        );
        lib
    })
}

fn run(report: &kpanic_report::PanicReport, lib: &SymbolLibrary) {
    let sym = symbolicate(report, lib);
    let _ = render_text(
        report,
        &sym,
        RenderOptions {
            all_threads: true,
            brief: false,
        },
    );
    let _ = render_summary(report, &sym);
    let doc = kpanic::output::json::symbolicate_document("fuzz", report, &sym);
    let _ = kpanic_report::with_raw_json_verbatim(|| serde_json::to_string(&doc))
        .expect("a symbolication serializes");
    let d = kpanic::diagnose::diagnose(report, Some(&sym));
    let _ = kpanic::output::diagnosis::render_text(&d);
}

fuzz_target!(|data: &[u8]| {
    let Ok(report) = kpanic_report::parse(data) else {
        return;
    };
    run(&report, empty());
    run(&report, kdk());
});
