//! What the tests of this crate share: corpus files, and pages made the way the CLI makes them.
#![allow(dead_code)]

use std::path::PathBuf;

use kpanic::diagnose::diagnose;
use kpanic::{symbolicate, SymbolLibrary, SymbolOptions};
use kpanic_html::PanicPage;
use kpanic_report::PanicReport;

/// A file of the repository, by its path from the root.
pub fn repo_file(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(rel)
}

/// A corpus panic, parsed.
pub fn corpus(name: &str) -> PanicReport {
    let path = repo_file(&format!("testdata/corpus/{name}"));
    kpanic_report::parse_file(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The body of a corpus `.ips` (the JSON after its header line), as a generic value.
pub fn ips_body(name: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(repo_file(&format!("testdata/corpus/{name}"))).unwrap();
    let (_, body) = text.split_once('\n').unwrap();
    serde_json::from_str(body).unwrap()
}

/// The page of `report` as `kpanic diagnose --format html` makes it without symbols.
pub fn page(id: &str, file: &str, report: &PanicReport) -> PanicPage {
    let d = diagnose(report, None);
    PanicPage::new(id, file, report, None, &d)
}

/// The page of `report` symbolicated with `opts`.
pub fn page_with(id: &str, file: &str, report: &PanicReport, opts: &SymbolOptions) -> PanicPage {
    let sym = symbolicate(report, &SymbolLibrary::new(opts));
    let d = diagnose(report, Some(&sym));
    PanicPage::new(id, file, report, Some(&sym), &d)
}

/// The fxdriver example with a panic message and process name made of markup: what a hostile
/// log could hold.
pub fn hostile_text_panic() -> PanicReport {
    let text = std::fs::read_to_string(repo_file("examples/fxdriver-panic.txt")).unwrap();
    let text = text
        .replace(
            "fxdriver: state out of range @kext.c:7",
            "<script>document.documentElement.setAttribute('data-pwned','1')</script>\
             <img src=x onerror=\"document.documentElement.setAttribute('data-pwned','2')\"> `x` [l](http://e) @kext.c:7",
        )
        .replace("pid 0: kernel_task", "pid 0: <b onmouseover=alert(1)>task</b>");
    kpanic_report::parse(text.as_bytes()).unwrap()
}

/// A full panic with `threads` threads of `depth` frames each, from the forcereset panic of
/// the corpus (its header and panic text, the stackshot replaced): each run of `group`
/// threads shares one stack, and no two groups share a frame.
pub fn huge_stackshot(threads: usize, group: usize, depth: usize) -> PanicReport {
    let path = repo_file("testdata/corpus/ios-ips-forcereset-full-01.ips");
    let text = std::fs::read_to_string(path).unwrap();
    let (header, body) = text.split_once('\n').unwrap();
    let mut body: serde_json::Value = serde_json::from_str(body).unwrap();
    // Distinct, non-zero offsets for distinct (group, depth): an odd multiplier is a
    // bijection modulo 2^32.
    let offset = |g: usize, k: usize| -> u64 {
        let x = (g * depth + k) as u64;
        ((x.wrapping_mul(0x9e37_79b9) & 0xffff_ffff) << 2) + 4
    };
    let states = [vec!["TH_WAIT"], vec!["TH_WAIT", "TH_UNINT"], vec!["TH_RUN"]];
    let mut by_id = serde_json::Map::new();
    for t in 0..threads {
        let frames: Vec<serde_json::Value> = (0..depth)
            .map(|k| serde_json::json!([1, offset(t / group, k)]))
            .collect();
        by_id.insert(
            (1000 + t).to_string(),
            serde_json::json!({
                "id": 1000 + t,
                "state": states[t % states.len()],
                "kernelFrames": frames,
            }),
        );
    }
    body["processByPid"] = serde_json::json!({
        "0": { "pid": 0, "procname": "kernel_task", "threadById": by_id }
    });
    let file = format!("{header}\n{}", serde_json::to_string(&body).unwrap());
    kpanic_report::parse(file.as_bytes()).unwrap()
}
