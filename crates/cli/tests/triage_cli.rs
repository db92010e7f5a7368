//! `kpanic triage` end to end on a folder made for the test: corpus logs, variants of them
//! (another boot of another machine), a zip archive, a copy of a panic, a file that is not
//! one. Every format is read back with a real parser (serde_json, the csv crate).

mod common;
#[path = "../../triage/tests/variant/mod.rs"]
mod variant;

use common::{corpus, run};
use std::io::Write;
use std::path::Path;

const LOGS: &[&str] = &[
    "x86-text-kfree-notinzone-wchusb-oclp-01.txt",
    "arm64-text-dataabort-01.txt",
    "x86-text-nvme-bigsur-01.txt",
    "x86-text-nvme-abbrevkexts-01.txt",
    "ios-ips-full-mte-keystore-01.ips",
];

/// The folder: 5 logs, 2 variants each of the first two, a zip of two logs (one a copy of a
/// loose file), a copy in a subfolder, a note: 13 files, 5 + 4 + 1 = 10 panics, 2 copies,
/// 1 skipped.
fn folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("Retired")).unwrap();
    for f in LOGS {
        std::fs::copy(corpus(f), d.join(f)).unwrap();
    }
    for f in &LOGS[..2] {
        let text = std::fs::read_to_string(corpus(f)).unwrap();
        for n in 1..=2 {
            let v = variant::vary(&text, variant::Variation::nth(n));
            std::fs::write(d.join(format!("Retired/v{n}-{f}")), v).unwrap();
        }
    }
    let mut z = zip::ZipWriter::new(std::fs::File::create(d.join("more.zip")).unwrap());
    let opts = zip::write::SimpleFileOptions::default();
    for f in ["arm64-text-amcc-01.txt", "x86-text-nvme-bigsur-01.txt"] {
        z.start_file(f, opts).unwrap();
        z.write_all(&std::fs::read(corpus(f)).unwrap()).unwrap();
    }
    z.finish().unwrap();
    std::fs::copy(corpus(LOGS[1]), d.join("Retired/copy.panic")).unwrap();
    std::fs::write(d.join("notes.txt"), "the lab's notes, not a panic\n").unwrap();
    dir
}

fn triage(dir: &Path, extra: &[&str]) -> std::process::Output {
    let p = dir.to_string_lossy().into_owned();
    let mut args = vec!["triage", p.as_str()];
    args.extend_from_slice(extra);
    run(&args, None)
}

fn ok(out: &std::process::Output) -> String {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

#[test]
fn json_counts_buckets_copies_and_skips() {
    let dir = folder();
    let text = ok(&triage(dir.path(), &["--format", "json"]));
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let s = &v["summary"];
    assert_eq!(s["files"], 13, "{s:#}");
    assert_eq!(s["panics"], 10, "{s:#}");
    assert_eq!(s["skipped"]["duplicate"], 2);
    assert_eq!(s["skipped"]["not_a_panic"], 1);
    assert_eq!(v["schema_version"], 1);
    // wch ×3, dataabort ×3, nvme ×2 (one bug on two builds, plus no copy from the zip),
    // mte ×1, amcc ×1.
    let counts: Vec<u64> = v["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["count"].as_u64().unwrap())
        .collect();
    assert_eq!(counts, [3, 3, 2, 1, 1]);
    assert_eq!(s["buckets"], 5);
    let nvme = v["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["class"] == "nvme_fatal")
        .unwrap();
    let builds: Vec<&str> = nvme["os_builds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["value"].as_str().unwrap())
        .collect();
    assert_eq!(builds, ["19H15", "20D91"]);
    // Keys sorted, as in every kpanic JSON document.
    let top: Vec<usize> = [
        "\"buckets\"",
        "\"kpanic_version\"",
        "\"schema_version\"",
        "\"summary\"",
    ]
    .iter()
    .map(|k| text.find(k).unwrap())
    .collect();
    assert!(top.windows(2).all(|w| w[0] < w[1]), "{top:?}");
}

#[test]
fn csv_has_one_row_per_panic_with_the_fleet_fields() {
    let dir = folder();
    let out = ok(&triage(dir.path(), &["--format", "csv"]));
    let mut r = csv::Reader::from_reader(out.as_bytes());
    let header: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
    for col in [
        "time",
        "uptime_seconds",
        "os_build",
        "model",
        "class",
        "signature",
        "suspects",
        "last_loaded_kext",
        "file",
    ] {
        assert!(header.iter().any(|h| h == col), "no {col} in {header:?}");
    }
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 10);
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let wch = rows
        .iter()
        .find(|row| row[col("file")].ends_with(LOGS[0]))
        .unwrap();
    assert_eq!(&wch[col("class")], "invalid_kfree");
    assert!(wch[col("suspects")].starts_with("wch.usb.usb"), "{wch:?}");
    assert_eq!(&wch[col("os_build")], "21G1974");
    assert_eq!(&wch[col("model")], "iMac11,3");
    // The signature names the driver's function (keepsyms) in one quoted field with `|`s.
    assert!(wch[col("signature")].contains("wch.usb.usb!"), "{wch:?}");
}

#[test]
fn jsonl_streams_panics_then_buckets_then_the_summary() {
    let dir = folder();
    let out = ok(&triage(dir.path(), &["--format", "jsonl"]));
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let kinds: Vec<&str> = lines.iter().map(|l| l["type"].as_str().unwrap()).collect();
    assert_eq!(kinds.iter().filter(|k| **k == "panic").count(), 10);
    assert_eq!(kinds.iter().filter(|k| **k == "bucket").count(), 5);
    assert_eq!(kinds.last(), Some(&"summary"));
    // Panics first, then buckets.
    let first_bucket = kinds.iter().position(|k| *k == "bucket").unwrap();
    assert!(kinds[..first_bucket].iter().all(|k| *k == "panic"));
    assert!(lines[0]["signature"]["text"].is_string());
}

#[test]
fn text_and_markdown() {
    let dir = folder();
    let text = ok(&triage(dir.path(), &[]));
    assert!(
        text.starts_with(
            "10 panics in 5 buckets from 13 files; not counted: 2 duplicate, 1 not a panic"
        ),
        "{text}"
    );
    assert!(text.contains("wch.usb.usb (third-party)"));
    let md = ok(&triage(dir.path(), &["--format", "markdown"]));
    assert!(md.starts_with("## Kernel panic triage"));
    assert_eq!(md.lines().filter(|l| l.starts_with("| ")).count(), 1 + 5);
    // -o writes the file and nothing to stdout.
    let elsewhere = tempfile::tempdir().unwrap();
    let out_file = elsewhere.path().join("report.md");
    let o = out_file.to_string_lossy().into_owned();
    let quiet = ok(&triage(dir.path(), &["--format", "markdown", "-o", &o]));
    assert!(quiet.is_empty());
    assert_eq!(std::fs::read_to_string(&out_file).unwrap(), md);
}

#[test]
fn kext_gate_exits_3_when_implicated_and_0_when_not() {
    let dir = folder();
    let out = triage(dir.path(), &["--kext", "wch.usb.usb", "--format", "json"]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["summary"]["panics"], 3);
    assert_eq!(v["summary"]["kext"], "wch.usb.usb");
    // Loaded in those logs, implicated in none.
    let out = triage(dir.path(), &["--kext", "com.apple.iokit.IOUSBHostFamily"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("0 panics"));
}

#[test]
fn since_and_bad_arguments() {
    let dir = folder();
    let v: serde_json::Value = serde_json::from_str(&ok(&triage(
        dir.path(),
        &["--since", "2026-01-01", "--format", "json"],
    )))
    .unwrap();
    // Only the MTE panic (2026-02-05) is dated after 2026-01-01; the wch/nvme logs have no
    // date line and are left out with the older ones.
    assert_eq!(v["summary"]["panics"], 1, "{:#}", v["summary"]);
    let out = triage(dir.path(), &["--since", "2026-13-01"]);
    assert_eq!(out.status.code(), Some(2));
    // No path, on a machine without /Library/Logs/DiagnosticReports (every test machine).
    if !Path::new("/Library/Logs/DiagnosticReports").is_dir() {
        let out = run(&["triage"], None);
        assert_eq!(out.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&out.stderr).contains("no PATH given"));
    }
    let out = run(&["triage", "/nonexistent/panics"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/panics"));
}

#[test]
fn with_symbols_the_signature_names_functions() {
    // The bundled example: FxDriver's assertion, and a KDK-shaped folder with its kernel and
    // kext (examples/README.md).
    let sig = |extra: &[&str]| {
        let mut args = vec!["triage", "examples/fxdriver-panic.txt", "--format", "json"];
        args.extend_from_slice(extra);
        let v: serde_json::Value = serde_json::from_str(&ok(&run(&args, None))).unwrap();
        (
            v["buckets"][0]["signature"]["text"]
                .as_str()
                .unwrap()
                .to_string(),
            v["summary"]["symbolicated"].as_u64().unwrap(),
        )
    };
    let (bare, n) = sig(&[]);
    assert_eq!(n, 0);
    assert_eq!(
        bare,
        "kernel_assertion | fxdriver: state out of range @kext.c | com.example.driver.FxDriver+0x60"
    );
    let (named, n) = sig(&["--kdk", "examples/KDK_15.4_24E248.kdk"]);
    assert_eq!(n, 1);
    // `panic` is skipped; the frame is the driver's function that called it (the function
    // that owns the address: `fxdriver_check` is inlined into it).
    assert_eq!(
        named,
        "kernel_assertion | fxdriver: state out of range @kext.c | com.example.driver.FxDriver!fxdriver_handle_interrupt"
    );
}

/// `--format html`: one self-contained file with a row per bucket (the JSON's buckets, in the
/// same order) and a page for each example, zip entries included, each linked from its row.
#[test]
fn html_has_a_row_per_bucket_and_a_page_per_example() {
    let dir = folder();
    let json: serde_json::Value =
        serde_json::from_str(&ok(&triage(dir.path(), &["--format", "json"]))).unwrap();
    let html = ok(&triage(dir.path(), &["--format", "html"]));
    assert!(html.starts_with("<!DOCTYPE html>"), "{}", &html[..80]);
    assert!(!html.contains("src=\"http") && !html.contains("href=\"http"));
    let table = &html[html.find("<table class=\"sortable buckets\">").unwrap()..];
    let table = &table[..table.find("</table>").unwrap()];
    let buckets = json["buckets"].as_array().unwrap();
    assert_eq!(
        table.matches("<tr><td class=\"num\"").count(),
        buckets.len()
    );
    // Rows in the JSON's order: each bucket's signature appears after the one before.
    let mut at = 0;
    for b in buckets {
        let sig = b["signature"]["text"]
            .as_str()
            .or(b["signature"].as_str())
            .unwrap()
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;");
        let found = table[at..].find(&sig).map(|i| i + at);
        assert!(found.is_some(), "signature {sig} not in order");
        at = found.unwrap();
    }
    // Every example named in the JSON has a page, and its row links to it.
    let examples: Vec<&str> = buckets
        .iter()
        .flat_map(|b| b["examples"].as_array().unwrap())
        .map(|e| e.as_str().unwrap())
        .collect();
    assert!(examples.iter().any(|e| e.contains(".zip!")), "{examples:?}");
    let links = table.matches("<a href=\"#").count();
    assert_eq!(links, examples.len(), "{examples:?}");
    let n = examples.len();
    assert!(html.contains(&format!("example pages</span> {n} of {n}</span>")));
}
