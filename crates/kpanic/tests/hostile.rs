//! Hostile inputs (testdata/hostile, see its README): found by fuzzing and made by hand, each
//! once made `kpanic diagnose` panic or print a wrong figure. Each must diagnose without a panic,
//! and say what the log makes impossible instead of printing nonsense.

use kpanic::diagnose::memory::PageKind;
use std::path::PathBuf;

use kpanic::diagnose::{diagnose, Diagnosis};
use kpanic::output::diagnosis::render_text;

fn hostile(name: &str) -> (Diagnosis, String) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/hostile")
        .join(name);
    let bytes = std::fs::read(&path).expect("hostile input");
    let report = kpanic_report::parse(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
    let d = diagnose(&report, None);
    let text = render_text(&d);
    assert!(text.starts_with("Diagnosis: "), "{name}");
    serde_json::to_string(&d).expect("serializes");
    (d, text)
}

fn evidence(d: &Diagnosis) -> Vec<&str> {
    d.findings
        .iter()
        .flat_map(|f| &f.evidence)
        .map(|e| e.text.as_str())
        .collect()
}

/// `__ZN18446744073709551615…`: a name length of usize::MAX (the sum with the digits overflowed,
/// then slice begin > end). The symbol is shown as logged.
#[test]
fn demangle_short_length_overflow() {
    let (d, _) = hostile("demangle-short-len-overflow.txt");
    assert_eq!(d.class.as_str(), "intel_page_fault");
    let sym = "__ZN18446744073709551615abcdefghijklmnopqrst";
    assert!(
        d.headline.ends_with(&format!(" at {sym}")),
        "{}",
        d.headline
    );
    assert!(evidence(&d)
        .iter()
        .any(|e| *e == format!("faulting frame (keepsyms): mach_kernel : {sym}")));
}

/// `__ZN1éx`: a name length of 1 ends inside `é` (slicing inside a multi-byte character).
#[test]
fn demangle_short_inside_multibyte_char() {
    let (d, _) = hostile("demangle-short-utf8.txt");
    assert_eq!(d.class.as_str(), "intel_page_fault");
    assert!(d.headline.ends_with(" at __ZN1\u{e9}x"), "{}", d.headline);
}

/// `active` = 2^64−1 pages plus 1 free page: the total does not fit in 64 bits. Release builds
/// printed "total 7 B"-like wrapped numbers; now there is no total and no free share, and the
/// memory section says the log's values are impossible.
#[test]
fn memory_pages_total_overflow() {
    let (d, text) = hostile("memory-pages-total-sum-overflow.ips");
    let m = d.memory.as_ref().expect("memory state");
    assert_eq!(m.page_size, 1);
    assert_eq!(m.pages.get(&PageKind::Active), Some(&u64::MAX));
    assert_eq!(m.pages.get(&PageKind::Free), Some(&1));
    assert!(!m.pages.contains_key(&PageKind::Total));
    assert!(!m.bytes.contains_key(&PageKind::Total));
    assert_eq!(m.free_percent, None);
    assert!(m.flags.is_empty(), "{:?}", m.flags);
    assert_eq!(m.impossible.len(), 1);
    assert!(m.impossible[0].contains("more than 2^64 pages"));
    assert!(text.contains("warning: the page counts add up to more than 2^64 pages"));
    assert!(
        !text.lines().any(|l| l.trim_start().starts_with("total ")),
        "{text}"
    );
}

/// 2^60 free pages of 16 KiB: 2^74 bytes. Release builds printed "bytes free: 0"; now the
/// byte figures are absent and said to be impossible, and no free share is made of them.
#[test]
fn memory_pages_bytes_overflow() {
    let (d, text) = hostile("memory-pages-bytes-mul-overflow.ips");
    let m = d.memory.as_ref().expect("memory state");
    assert_eq!(m.page_size, 16384);
    assert_eq!(m.pages.get(&PageKind::Free), Some(&(1u64 << 60)));
    assert!(m.bytes.is_empty(), "{:?}", m.bytes);
    assert_eq!(m.free_percent, None);
    assert!(m.flags.is_empty(), "{:?}", m.flags);
    assert!(m.impossible.iter().any(|w| w
        .starts_with("free: 1152921504606846976 pages of 16384 bytes")
        && w.contains("impossible")));
    assert!(!text.contains("free 0 B"), "{text}");
    assert!(!text.contains("% of memory"), "{text}");
}

/// A thread's cpu_usage of ~1.8e17 against a total of 1: ×100 overflowed, and the share is
/// above 100 %. It is said to be impossible, never printed as a percentage.
#[test]
fn watchdog_cpu_usage_overflow() {
    let (d, text) = hostile("watchdog-cpu-usage-mul-overflow.txt");
    assert_eq!(d.class.as_str(), "watchdogd_timeout");
    let ev = evidence(&d);
    assert!(!ev.iter().any(|e| e.contains("% of cpu_usage")), "{ev:?}");
    assert!(ev.iter().any(|e| e.contains("cpu_usage 184467440737095517")
        && e.contains("logged total 1")
        && e.contains("impossible")));
    assert!(!text.contains("% of cpu_usage"), "{text}");
}
