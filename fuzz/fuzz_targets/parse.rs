//! `kpanic parse` on arbitrary bytes: parse, then the text summary and the JSON document as
//! the CLI prints them (`--json` goes through `RawJson`, then pretty-printed).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(report) = kpanic_report::parse(data) else {
        return;
    };
    let _ = kpanic_report::summary::render(&report);
    let doc = kpanic::output::json::parse_document("fuzz", &report);
    let text = kpanic_report::with_raw_json_verbatim(|| serde_json::to_string(&doc))
        .expect("a parsed report serializes");
    if let Some(raw) = kpanic_report::RawJson::from_json_text(text) {
        let _ = serde_json::to_string_pretty(&raw).expect("RawJson prints");
    }
});
