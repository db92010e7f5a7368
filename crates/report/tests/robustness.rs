//! Bad input never panics or hangs: every prefix of every corpus log, garbage, empty files,
//! JSON that is not a panic, text that is not a panic.

mod common;
use common::corpus_files;
use kpanic_report::{parse, ParseError};

#[test]
fn every_corpus_log_parses() {
    for f in corpus_files() {
        let r = kpanic_report::parse_file(&f).unwrap_or_else(|e| panic!("{e}"));
        assert!(!kpanic_report::summary::render(&r).is_empty());
        serde_json::to_string(&r).unwrap();
    }
}

/// Cut points: every byte of small files; a stride plus the last bytes one by one for larger
/// ones (every prefix of a 2 MB file is 2 million parses of up to 2 MB: hours). The report
/// crate is built with opt-level 2 in tests (root Cargo.toml) to afford this density.
fn cut_points(n: usize) -> Vec<usize> {
    let mut cuts: Vec<usize> = if n <= 4096 {
        (0..n).collect()
    } else if n <= 100_000 {
        (0..n)
            .step_by(13)
            .chain(n.saturating_sub(1024)..n)
            .collect()
    } else {
        // Header and panic string live in the first 64 KB; past it the stackshot is all one
        // lenient path, so a few cuts suffice there.
        let head = n.min(64 * 1024);
        (0..head)
            .step_by(251)
            .chain((head..n).step_by(((n - head) / 10).max(1)))
            .chain(n.saturating_sub(128)..n)
            .collect()
    };
    cuts.sort_unstable();
    cuts.dedup();
    cuts
}

fn sweep(path: &std::path::Path) {
    let bytes = std::fs::read(path).unwrap();
    let n = bytes.len();
    for cut in cut_points(n) {
        let prefix = &bytes[..cut];
        let res = std::panic::catch_unwind(|| parse(prefix));
        let Ok(res) = res else {
            panic!("{} cut at {cut} panicked", path.display());
        };
        // A cut JSON body must be reported, never passed off as complete.
        if let Ok(r) = res {
            if r.ips.is_some() && cut + 2 < n {
                assert!(
                    !r.warnings.is_empty(),
                    "{} cut at {cut}: no warning",
                    path.display()
                );
            }
        }
    }
}

#[test]
fn every_prefix_parses_or_errs() {
    let files = corpus_files();
    std::thread::scope(|s| {
        for f in &files {
            s.spawn(move || sweep(f));
        }
    });
}

#[test]
fn garbage_and_empty() {
    assert!(matches!(parse(b""), Err(ParseError::Empty)));
    assert!(matches!(parse(b"  \n\t\r\n"), Err(ParseError::Empty)));
    assert!(matches!(
        parse(b"\0\x01\x02ELF\0\0"),
        Err(ParseError::Binary { .. })
    ));
    let noise: Vec<u8> = (0..10_000u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    assert!(parse(&noise).is_err());
    let high: Vec<u8> = (0..5000u32).map(|i| 0x80 | (i % 0x7f) as u8).collect();
    assert!(matches!(parse(&high), Err(ParseError::Binary { .. })));
}

#[test]
fn not_a_panic() {
    let crash = br#"{"app_name":"Safari","bug_type":"309","timestamp":"2024-01-01"}
{"pid": 123, "procName": "Safari", "exception": {"type": "EXC_BAD_ACCESS"}}"#;
    match parse(crash) {
        Err(ParseError::NotAPanicBugType { bug_type }) => assert_eq!(bug_type, "309"),
        other => panic!("expected NotAPanicBugType, got {other:?}"),
    }
    assert!(matches!(
        parse(b"Hello,\nthis is a shopping list.\n- milk\n- eggs\n"),
        Err(ParseError::NotAPanic { .. })
    ));
    assert!(matches!(
        parse(br#"{"name": "package", "version": "1.0"}"#),
        Err(ParseError::NotAPanic { .. })
    ));
    assert!(parse(b"{").is_err());
    assert!(parse(b"[1,2,3]").is_err());
}

#[test]
fn hostile_lines() {
    // Overlong numbers, unterminated structures, odd unicode: no panic, and no invented values.
    let text = "panic(cpu 99999999999 caller 0x1ffffffffffffffffff): \u{2014}\u{fe0f}\n\
                Kernel slide: 0xzz\n\
                KernelCache slide: 0x\n\
                lr: 0xfffffffffffffffff  fp: 0x1\n\
                Panicked task 0x: pages, threads: pid : \n\
                Panicked thread: ,,,, tid: x\n\
                CORE : PC=\n\
                TPIDRx_ELy = {1: \n\
                Kernel Extensions in backtrace:\n\
                com.x(1.0[\n\
                com.y(1)[ABC]@0x1->\n\
                loaded kexts:\n\
                > com.z 1\n\
                last started kext at : \n\
                service: \n\
                ** Stackshot Succeeded ** Bytes Traced (Uncompressed\n";
    let r = parse(text.as_bytes()).unwrap();
    let p = r.panic.as_ref().unwrap();
    assert_eq!((p.cpu, p.caller), (None, None));
    assert_eq!(r.slides.kernel_slide, None);
    assert!(r.backtrace.is_none());
    assert_eq!(r.loaded_kexts.as_ref().unwrap().kexts.len(), 1);
    let st = r.stackshot.as_ref().unwrap();
    assert_eq!((st.bytes_traced, st.bytes_uncompressed), (None, None));
    // CRLF and tabs-to-spaces variants read the same.
    let crlf =
        "panic(cpu 0 caller 0xfffffe0016745e30): x\r\nKernel UUID: 1B55340B-0B14-3026-8A47-1E139DB63DA3\r\n  lr: 0x1  fp: 0x0\r\n";
    let r = parse(crlf.as_bytes()).unwrap();
    assert_eq!(
        r.system.kernel_uuid.map(|u| u.to_string()).as_deref(),
        Some("1B55340B-0B14-3026-8A47-1E139DB63DA3")
    );
    assert_eq!(r.backtrace.unwrap().frames.len(), 1);
}

/// A UUID line that is not a UUID (cut, OCR damage) is said, not kept as a wrong UUID.
#[test]
fn unreadable_uuid_is_a_warning() {
    let text =
        "panic(cpu 0 caller 0xfffffe0016745e30): x\nKernel UUID: 1B55340B-0B14-3026-8A47-1E13\n";
    let r = parse(text.as_bytes()).unwrap();
    assert_eq!(r.system.kernel_uuid, None);
    assert!(
        r.warnings
            .iter()
            .any(|w| w.contains("Kernel UUID") && w.contains("not a UUID")),
        "{:?}",
        r.warnings
    );
}
