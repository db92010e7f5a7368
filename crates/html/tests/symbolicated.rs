//! The flame graph of a symbolicated stackshot: boxes named by function. The forcereset full
//! panic of the corpus with its kernel image (index 1, a `T` image) replaced by the arm64e
//! kernel fixture and its threads by stacks in that fixture's functions, whose addresses are
//! the fixture's `nm` truth (`testdata/fixtures/truth/arm64e-kernel.fixture.nm`).

mod common;

use common::{page_with, repo_file};
use kpanic::SymbolOptions;
use kpanic_html::panic_page;

/// The fixture kernel's `__TEXT_EXEC` vmaddr (`testdata/fixtures/report.txt`).
const TEXT_EXEC: u64 = 0xfffffe000700c000;

/// Offset from `__TEXT_EXEC` of `symbol + 0x10`, by the fixture's `nm` truth.
fn inside(symbol: &str) -> u64 {
    let nm = std::fs::read_to_string(repo_file(
        "testdata/fixtures/truth/arm64e-kernel.fixture.nm",
    ))
    .unwrap();
    let addr = nm
        .lines()
        .find_map(|l| {
            let mut parts = l.splitn(3, ' ');
            let (a, _, name) = (parts.next()?, parts.next()?, parts.next()?);
            (name == symbol).then(|| u64::from_str_radix(a, 16).unwrap())
        })
        .unwrap_or_else(|| panic!("{symbol} not in the nm truth"));
    addr - TEXT_EXEC + 0x10
}

#[test]
fn a_symbolicated_stackshot_names_its_boxes_by_function() {
    let raw = std::fs::read_to_string(repo_file("testdata/corpus/ios-ips-forcereset-full-01.ips"))
        .unwrap();
    let (header, body) = raw.split_once('\n').unwrap();
    let mut doc: serde_json::Value = serde_json::from_str(body).unwrap();
    doc["binaryImages"][1][0] = serde_json::json!("4c4c4462-5555-3144-a1d5-b37636005c7c");
    // Innermost first, ending with the [A, 0] end-of-stack marker (image 2 is `A`).
    let stalled = serde_json::json!([
        [1, inside("_vm_fault")],
        [1, inside("_thread_invoke")],
        [1, inside("_kernel_bootstrap")],
        [2, 0]
    ]);
    let waiting = serde_json::json!([
        [1, inside("_thread_invoke")],
        [1, inside("__start")],
        [2, 0]
    ]);
    let mut threads = serde_json::Map::new();
    for tid in 0..8u64 {
        let (state, frames) = if tid < 5 {
            (serde_json::json!(["TH_WAIT", "TH_UNINT"]), &stalled)
        } else {
            (serde_json::json!(["TH_WAIT"]), &waiting)
        };
        threads.insert(
            (2000 + tid).to_string(),
            serde_json::json!({"id": 2000 + tid, "state": state, "kernelFrames": frames}),
        );
    }
    doc["processByPid"] = serde_json::json!({
        "0": {"pid": 0, "procname": "kernel_task", "threadById": threads}
    });
    let file = format!("{header}\n{}", serde_json::to_string(&doc).unwrap());
    let report = kpanic_report::parse(file.as_bytes()).unwrap();
    let opts = SymbolOptions {
        symbols: vec![repo_file("testdata/fixtures/arm64e")],
        ..SymbolOptions::default()
    };
    let html = panic_page(&page_with("fx", "fx.ips", &report, &opts));

    // kernel_bootstrap → thread_invoke → vm_fault: the 5 stalled threads; _start →
    // thread_invoke: the 3 waiting ones. Each box is named by its function.
    let boxes: Vec<(&str, &str)> = html
        .split("<g class=\"node\"><title>")
        .skip(1)
        .map(|g| {
            let g = g.split("</g>").next().unwrap();
            let title = g.split("</title>").next().unwrap();
            let text = g
                .split("\">")
                .last()
                .and_then(|t| t.split("</text>").next())
                .unwrap_or("");
            (text, title.lines().nth(1).unwrap_or(""))
        })
        .collect();
    let expect = [
        (
            "all threads",
            "8 threads (100.0%): 5 uninterruptible, 3 waiting",
        ),
        ("kernel_bootstrap", "5 threads (62.5%): 5 uninterruptible"),
        ("_start", "3 threads (37.5%): 3 waiting"),
        ("thread_invoke", "5 threads (62.5%): 5 uninterruptible"),
        ("thread_invoke", "3 threads (37.5%): 3 waiting"),
        ("vm_fault", "5 threads (62.5%): 5 uninterruptible"),
    ];
    assert_eq!(boxes, expect, "{html}");
    assert!(!html.contains("Without symbols, frames are named"));
    assert!(html.contains("<rect class=\"fl s-uninterruptible\""));
}
