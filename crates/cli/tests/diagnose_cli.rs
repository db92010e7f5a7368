//! `kpanic diagnose` end to end: the documented JSON fields (docs/diagnose.md), text output,
//! several files, stdin and exit codes.

mod common;
use common::{corpus, root, run, stdout_ok};
use std::process::Output;

fn kpanic(args: &[&str], stdin: Option<&[u8]>) -> Output {
    run(args, stdin)
}

fn json(args: &[&str]) -> serde_json::Value {
    let out = kpanic(args, None);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn has(v: &serde_json::Value, keys: &[&str]) {
    for k in keys {
        assert!(v.get(k).is_some(), "missing {k} in {v:#}");
    }
}

#[test]
fn json_has_the_documented_fields() {
    let f = corpus("ios-ips-full-ipad-dataabort-U-01.ips");
    let v = json(&["diagnose", "--json", &f]);
    assert_eq!(v["file"].as_str(), Some(f.as_str()));
    let d = &v["diagnosis"];
    has(
        d,
        &[
            "class",
            "headline",
            "panic",
            "findings",
            "suspects",
            "memory",
            "threads",
            "symbolicated",
            "log_warnings",
        ],
    );
    assert_eq!(d["class"], "kernel_data_abort");
    assert_eq!(d["symbolicated"], false);
    has(
        &d["panic"],
        &[
            "message", "caller", "cpu", "process", "pid", "tid", "os", "model", "kernel", "arch",
            "format",
        ],
    );
    assert_eq!(d["panic"]["format"], "full_ips");
    assert_eq!(d["panic"]["caller"], "0xfffffff0164869a8");
    let findings = d["findings"].as_array().unwrap();
    assert_eq!(findings[0]["class"], d["class"]);
    assert_eq!(findings[0]["kind"], "panic_class");
    assert_eq!(findings[0]["title"], d["headline"]);
    for f in findings {
        has(
            f,
            &[
                "class",
                "kind",
                "confidence",
                "title",
                "explanation",
                "evidence",
                "next_steps",
                "score",
            ],
        );
        assert!(["high", "medium", "low"].contains(&f["confidence"].as_str().unwrap()));
        for e in f["evidence"].as_array().unwrap() {
            assert!(e["text"].is_string());
        }
    }
    // The panic line is quoted with its line number, from 1 as the text prints it.
    assert_eq!(findings[0]["evidence"][0]["line"], 1);
    let classes: Vec<&str> = findings
        .iter()
        .map(|f| f["class"].as_str().unwrap())
        .collect();
    assert!(classes.contains(&"null_pointer_dereference"), "{classes:?}");
    // iOS runs at its free-page target by design: 1756 free pages is not low memory there.
    assert!(!classes.contains(&"low_free_memory"), "{classes:?}");

    let m = &d["memory"];
    has(
        m,
        &[
            "page_size",
            "page_size_source",
            "pages",
            "bytes",
            "free_percent",
            "flags",
        ],
    );
    assert_eq!(m["page_size"], 16384);
    assert_eq!(m["pages"]["free"], 1756);
    assert_eq!(m["bytes"]["free"], 1756 * 16384);

    let t = &d["threads"];
    has(
        t,
        &[
            "processes",
            "threads",
            "by_state",
            "waiting",
            "uninterruptible",
            "runnable",
            "idle",
            "with_kernel_frames",
            "with_continuation",
            "panicked",
            "running",
            "wait_sites",
            "wait_sites_other",
            "wait_kinds",
            "lock_owners",
            "busiest_processes",
            "kext_images",
            "endpoint_security_clients",
            "blocking_frames",
        ],
    );
    assert_eq!(t["processes"], 465);
    assert_eq!(t["threads"], 1831);
    has(
        &t["wait_sites"][0],
        &[
            "site",
            "source",
            "category",
            "threads",
            "uninterruptible",
            "processes",
        ],
    );
    has(&t["panicked"], &["pid", "process", "tid", "state"]);
    assert_eq!(t["panicked"]["process"], "TestPOC");
}

#[test]
fn suspects_in_json() {
    let v = json(&[
        "diagnose",
        "--json",
        &corpus("x86-text-3rdpartykext-nvidiaweb-01.txt"),
    ]);
    let s = &v["diagnosis"]["suspects"][0];
    has(
        s,
        &[
            "bundle_id",
            "version",
            "uuid",
            "third_party",
            "category",
            "known_as",
            "in_panicked_backtrace",
            "backtrace_frames",
            "threads",
            "seen_in",
            "score",
        ],
    );
    assert_eq!(s["bundle_id"], "com.nvidia.web.NVDAResmanWeb");
    assert_eq!(s["third_party"], true);
    assert_eq!(v["diagnosis"]["class"], "blocking_with_spinlock");
}

#[test]
fn text_output_several_files_and_stdin() {
    let a = corpus("arm64-text-watchdog-01.txt");
    let b = corpus("x86-text-pagefault-catalina-01.txt");
    let out = kpanic(&["diagnose", &a, &b], None);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("==> "), "{text}");
    assert!(
        text.contains("Diagnosis: watchdogd got no check-in for 305 s"),
        "{text}"
    );
    assert!(
        text.contains("class watchdogd_timeout (high confidence)"),
        "{text}"
    );
    assert!(
        text.contains("Diagnosis: Page fault in the kernel"),
        "{text}"
    );

    // Several files with --json: an array.
    let v = json(&["diagnose", "--json", &a, &b]);
    assert_eq!(v.as_array().map(Vec::len), Some(2));

    // stdin.
    let bytes = std::fs::read(&b).unwrap();
    let out = kpanic(&["diagnose", "--json", "-"], Some(&bytes));
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["file"], "<stdin>");
    assert_eq!(v["diagnosis"]["class"], "intel_page_fault");
}

#[test]
fn unusable_input_exits_2() {
    let out = kpanic(&["diagnose", "/nonexistent/panic.txt"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/panic.txt"));
}

/// `--color always` colours the text (and only adds styles), `never` and a pipe do not.
#[test]
fn color_is_asked_for_or_on_a_terminal() {
    let example = root().join("examples/fxdriver-panic.txt");
    let example = example.to_str().unwrap();
    let plain = String::from_utf8(stdout_ok(&["diagnose", example])).unwrap();
    assert!(!plain.contains('\u{1b}'));
    let never = String::from_utf8(stdout_ok(&["diagnose", "--color", "never", example])).unwrap();
    assert_eq!(never, plain);
    let always = String::from_utf8(stdout_ok(&["diagnose", "--color", "always", example])).unwrap();
    assert!(always.starts_with("\u{1b}[1mDiagnosis: "), "{always}");
    let stripped = always
        .replace("\u{1b}[1m", "")
        .replace("\u{1b}[2m", "")
        .replace("\u{1b}[33m", "")
        .replace("\u{1b}[0m", "");
    assert_eq!(stripped, plain);
}

/// `symbolicate` and `parse` colour the same way: asked for, only styles added; not into a pipe.
#[test]
fn symbolicate_and_parse_colour_when_asked() {
    let example = root().join("examples/fxdriver-panic.txt");
    let kdk = root().join("examples/KDK_15.4_24E248.kdk");
    let (example, kdk) = (example.to_str().unwrap(), kdk.to_str().unwrap());
    for (args, styled) in [
        (
            vec!["symbolicate", example, "--kdk", kdk],
            "\u{1b}[32m    -> caller: fxdriver_check",
        ),
        (vec!["parse", example], "\u{1b}[1mFormat:\u{1b}[0m"),
    ] {
        let plain = String::from_utf8(stdout_ok(&args)).unwrap();
        assert!(!plain.contains('\u{1b}'), "{args:?}");
        let mut colored = args.clone();
        colored.extend(["--color", "always"]);
        let always = String::from_utf8(stdout_ok(&colored)).unwrap();
        assert!(always.contains(styled), "{args:?}: {always}");
        let stripped = [
            "\u{1b}[1m",
            "\u{1b}[2m",
            "\u{1b}[32m",
            "\u{1b}[33m",
            "\u{1b}[0m",
        ]
        .iter()
        .fold(always, |s, c| s.replace(c, ""));
        assert_eq!(stripped, plain, "{args:?}");
    }
}
