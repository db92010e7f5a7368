//! `kpanic diagnose` without symbols: parse, diagnose, render text and JSON.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(report) = kpanic_report::parse(data) else {
        return;
    };
    let d = kpanic::diagnose::diagnose(&report, None);
    let _ = kpanic::output::diagnosis::render_text(&d);
    let doc = kpanic::output::json::diagnose_document("fuzz", &d);
    let _ = kpanic_report::with_raw_json_verbatim(|| serde_json::to_string(&doc))
        .expect("a diagnosis serializes");
});
