//! `diagnose --format markdown`: the bundled example, symbolicated with its KDK, checked
//! against the log and the KDK's known answers (README: `kpanic atos` on the same addresses).

mod common;

use common::{hostile_text_panic, repo_file};
use kpanic::diagnose::diagnose;
use kpanic::{symbolicate, SymbolLibrary, SymbolOptions};
use kpanic_html::panic_markdown;

#[test]
fn the_example_panic_as_markdown() {
    let report = kpanic_report::parse_file(&repo_file("examples/fxdriver-panic.txt")).unwrap();
    let lib = SymbolLibrary::new(&SymbolOptions {
        kdks: vec![repo_file("examples/KDK_15.4_24E248.kdk")],
        ..SymbolOptions::default()
    });
    let sym = symbolicate(&report, &lib);
    let d = diagnose(&report, Some(&sym));
    let md = panic_markdown("fxdriver-panic.txt", &report, Some(&sym), &d);
    assert!(
        md.starts_with(
            "## Kernel assertion raised by third-party kext com.example.driver.FxDriver"
        ),
        "{md}"
    );
    assert!(md.contains("**OS** 24E248"));
    assert!(md.contains("| `com.example.driver.FxDriver` | 1.0 |"));
    // The backtrace: a fenced block with the log's nine frames, in order, the first the
    // kernel's panic() (kern_panic.c:10 in the example KDK).
    let fence = md
        .split("### Backtrace\n\n```text\n")
        .nth(1)
        .expect("backtrace block");
    let block = fence.split("\n```").next().unwrap();
    let frames: Vec<&str> = block
        .lines()
        .filter(|l| {
            l.split_whitespace()
                .next()
                .is_some_and(|w| w.parse::<u32>().is_ok())
        })
        .collect();
    assert_eq!(frames.len(), 9, "{block}");
    assert!(
        frames[0].contains("0xfffffe001cd8c448  panic (in kernel.release.t8112) (kern_panic.c:10)")
    );
    assert!(block.contains("[inlined] fxdriver_check (kext.c:7)"));
    assert!(block.contains("[inlined] fx_inner (fx.h:9)"));
    assert!(md.contains("22 of 24 frames resolved."));
}

#[test]
fn markup_from_the_log_stays_text_in_markdown() {
    let report = hostile_text_panic();
    let d = diagnose(&report, None);
    let md = panic_markdown("hostile.txt", &report, None, &d);
    let mut in_fence = false;
    for line in md.lines() {
        if line.starts_with("```") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            continue;
        }
        // Outside code, every `<` and `[` is escaped.
        let outside_code = without_code_spans(line);
        for (i, c) in outside_code.char_indices() {
            if c == '<' || c == '[' {
                assert!(outside_code[..i].ends_with('\\'), "{line}");
            }
        }
    }
}

/// `line` without its code spans (a run of backticks to the next run of the same length).
fn without_code_spans(line: &str) -> String {
    let b = line.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'`' {
            let run = b[i..].iter().take_while(|&&c| c == b'`').count();
            let fence = "`".repeat(run);
            let rest = &line[i + run..];
            // The closing run: the same length, not part of a longer run.
            let close = (0..rest.len()).find(|&j| {
                rest[j..].starts_with(&fence)
                    && !rest[j + run..].starts_with('`')
                    && (j == 0 || !rest[..j].ends_with('`'))
            });
            match close {
                Some(j) => i += run + j + run,
                None => {
                    out.push_str(&fence);
                    i += run;
                }
            }
        } else {
            let c = line[i..].chars().next().unwrap();
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}
