//! `kpanic symbolicate` as a user runs it: the README's command, JSON, stdin, bad input.

mod common;
use common::{root, run};
use std::io::Write;
use std::process::{Command, Output, Stdio};

fn kpanic(args: &[&str]) -> Output {
    run(args, None)
}

const EXAMPLE: &str = "examples/fxdriver-panic.txt";
const KDK: &str = "examples/KDK_15.4_24E248.kdk";

#[test]
fn readme_example_command() {
    let out = kpanic(&["symbolicate", EXAMPLE, "--kdk", KDK]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    // The panic is echoed, each frame followed by its symbolication.
    let lines: Vec<&str> = text.lines().collect();
    let i = lines
        .iter()
        .position(|l| l.contains("lr: 0xfffffe001e6a8dc0"))
        .expect("the kext frame line is echoed");
    // Innermost first, each line as `atos -i` prints it (atos.rs checks atos against
    // llvm-symbolizer on the same fixtures).
    assert_eq!(
        lines[i + 1].trim(),
        "-> fxdriver_check (in com.example.driver.FxDriver) (kext.c:7) [inlined]"
    );
    assert_eq!(
        lines[i + 2].trim(),
        "fxdriver_handle_interrupt (in com.example.driver.FxDriver) (kext.c:11)"
    );
    assert!(text.contains("Frames: 22 of 24 resolved"), "{text}");
    assert!(text.contains("Panic path check: passed"));
    assert!(
        text.contains("com.example.driver.FxDriver [4C4C44EC-5555-3144-A10C-8CDD45F170A3] UUID ok")
    );
}

#[test]
fn json_output_has_the_documented_frame_fields() {
    let out = kpanic(&["symbolicate", EXAMPLE, "--kdk", KDK, "--json"]);
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["file"], EXAMPLE);
    assert_eq!(v["report"]["system"]["os_build"], "24E248");
    let bt = v["symbolication"]["backtrace"].as_array().unwrap();
    assert_eq!(bt.len(), 9);
    let kext = &bt[1];
    assert_eq!(kext["address"], "0xfffffe001e6a8dc0");
    assert_eq!(kext["kind"], "return_address");
    assert_eq!(kext["image"], "com.example.driver.FxDriver");
    assert_eq!(kext["image_offset"], "0x60");
    assert_eq!(kext["image_segment"], "__TEXT_EXEC");
    assert_eq!(kext["symbol_address"], "0x4060");
    let syms = kext["symbols"].as_array().unwrap();
    assert_eq!(syms.len(), 2);
    assert_eq!(syms[0]["function"], "fxdriver_check");
    assert_eq!(syms[0]["line"], 7);
    assert_eq!(syms[1]["function"], "fxdriver_handle_interrupt");
    assert_eq!(syms[1]["file"], "/fixtures/src/kext.c");
    assert!(kext.get("unresolved_reason").is_none());
    // a user-space CORE address: kept, with its reason
    let core1 = v["symbolication"]["cores"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["core"] == 1)
        .unwrap();
    assert_eq!(core1["pc"]["symbols"].as_array().unwrap().len(), 0);
    assert!(core1["pc"]["unresolved_reason"]
        .as_str()
        .unwrap()
        .contains("user-space"));
    assert_eq!(
        v["symbolication"]["summary"]["panic_path"]["result"],
        "passed"
    );
}

#[test]
fn stdin_and_several_files() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kpanic"))
        .args(["symbolicate", "-", EXAMPLE, "--kdk", KDK, "--json"])
        .current_dir(root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let bytes = std::fs::read(root().join(EXAMPLE)).unwrap();
    child.stdin.take().unwrap().write_all(&bytes).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let arr = v.as_array().expect("several files: an array");
    assert_eq!(arr.len(), 2);
    assert_eq!(arr[0]["file"], "<stdin>");
    assert_eq!(arr[0]["symbolication"], arr[1]["symbolication"]);
}

#[test]
fn unusable_input_exits_2_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("garbage.panic");
    std::fs::write(&garbage, [0u8, 159, 146, 150, 0xff, 0, 1, 2]).unwrap();
    let missing = dir.path().join("missing.ips");
    for f in [&garbage, &missing] {
        let out = kpanic(&["symbolicate", f.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(f.file_name().unwrap().to_str().unwrap()),
            "{err}"
        );
    }
    // One bad file among good ones: the good ones are still symbolicated, the status is 2.
    let out = kpanic(&[
        "symbolicate",
        EXAMPLE,
        garbage.to_str().unwrap(),
        "--kdk",
        KDK,
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Panic path check: passed"));
}

#[test]
fn a_folder_that_is_not_a_kdk_is_an_error_said_once() {
    let dir = tempfile::tempdir().unwrap();
    let out = kpanic(&[
        "symbolicate",
        EXAMPLE,
        EXAMPLE,
        "--kdk",
        dir.path().to_str().unwrap(),
    ]);
    // Unusable, so exit status 2; both panics are still symbolicated.
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        text.matches("Frames: 0 of 24 resolved").count(),
        2,
        "{text}"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.matches("not a Kernel Debug Kit").count(), 1, "{err}");
    // JSON keeps it with every panic, apart from that panic's own warnings.
    let out = kpanic(&[
        "symbolicate",
        EXAMPLE,
        "--json",
        "--kdk",
        dir.path().to_str().unwrap(),
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let w = &v["symbolication"]["symbol_source_warnings"];
    assert!(
        w[0].as_str().unwrap().contains("not a Kernel Debug Kit"),
        "{w}"
    );
    assert_eq!(v["symbolication"]["warnings"].as_array().unwrap().len(), 0);
}

/// The same panic as a macOS `.panic` file (a JSON header line, then a body whose
/// `macOSPanicString` holds the text) symbolicates to the same frames.
#[test]
fn dot_panic_json_gives_the_same_frames_as_the_text() {
    let text = std::fs::read_to_string(root().join(EXAMPLE)).unwrap();
    let header = r#"{"bug_type":"210","timestamp":"2025-05-12 10:14:33.00 +0000","os_version":"macOS 15.4 (24E248)","roots_installed":0,"incident_id":"5D1C33A8-7E0B-4C52-9E45-0B2A7F3D8C11"}"#;
    let body = serde_json::json!({
        "build": "macOS 15.4 (24E248)",
        "product": "Mac14,2",
        "kernel": "Darwin Kernel Version 24.4.0: Fri Apr 11 18:34:14 PDT 2025; root:xnu-11417.101.15~117/RELEASE_ARM64_T8112",
        "incident": "5D1C33A8-7E0B-4C52-9E45-0B2A7F3D8C11",
        "date": "2025-05-12 10:14:33.00 +0000",
        "panicString": "panic(cpu 4 caller ...): see macOSPanicString",
        "macOSPanicString": text,
        "panicFlags": "0x802",
    });
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("Kernel-2025-05-12-101433.panic");
    std::fs::write(
        &file,
        format!("{header}\n{}", serde_json::to_string_pretty(&body).unwrap()),
    )
    .unwrap();
    let json = |path: &str| -> serde_json::Value {
        let out = kpanic(&["symbolicate", path, "--kdk", KDK, "--json"]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let from_panic = json(file.to_str().unwrap());
    let from_text = json(EXAMPLE);
    assert_eq!(from_panic["report"]["format"], "ips");
    // the other panic text is kept, and the choice is said
    assert_eq!(
        from_panic["report"]["ips"]["body"]["panic_string"],
        "panic(cpu 4 caller ...): see macOSPanicString"
    );
    assert!(from_panic["report"]["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|w| w.as_str().unwrap().contains("two panic texts")));
    assert_eq!(
        from_panic["symbolication"]["backtrace"],
        from_text["symbolication"]["backtrace"]
    );
    assert_eq!(
        from_panic["symbolication"]["summary"]["panic_path"]["result"],
        "passed"
    );
}

/// The image summary has one line per image: a kext that the backtrace names by bundle id and
/// the stackshot by index is one image (one UUID), its frames added up; counts say "1 frame".
/// The SEP keystore panic's kext AppleSEPKeyStore [282C8F8F-…] has one backtrace frame and six
/// stackshot frames `[3, …]` (read from the log), once listed as 1 and 6.
#[test]
fn image_summary_has_one_line_per_image() {
    let log = common::corpus("ios-ips-full-mte-keystore-01.ips");
    let out = kpanic(&["symbolicate", &log]);
    let text = String::from_utf8(out.stdout).unwrap();
    let summary = &text[text.rfind("== kpanic ==").unwrap()..];
    let lines: Vec<&str> = summary
        .lines()
        .filter(|l| l.contains("SEPKeyStore"))
        .collect();
    assert_eq!(
        lines,
        ["  com.apple.driver.AppleSEPKeyStore [282C8F8F-E408-3BEC-8010-CECA92DC9A6A] no symbols (7 frames)"]
    );
    for name in common::corpus_logs() {
        let out = kpanic(&["symbolicate", &common::corpus(&name)]);
        let text = String::from_utf8(out.stdout).unwrap();
        let Some(at) = text.rfind("\nImages:\n") else {
            continue;
        };
        let images: Vec<&str> = text[at..]
            .lines()
            .skip(2)
            .take_while(|l| l.starts_with("  ") && l.contains(" ["))
            .collect();
        let mut uuids: Vec<&str> = images
            .iter()
            .filter_map(|l| l.split(" [").nth(1)?.split(']').next())
            .filter(|u| *u != "no UUID")
            .collect();
        let n = uuids.len();
        uuids.sort();
        uuids.dedup();
        assert_eq!(uuids.len(), n, "{name}: an image listed twice: {images:#?}");
        for l in &images {
            assert!(
                !l.ends_with("(1 frames)") && !l.ends_with("(0 frames)"),
                "{name}: {l}"
            );
        }
    }
}

/// `--brief`: the panic line, the panicked thread's symbolicated backtrace and the summary,
/// each as the full output has it; not the loaded kext list, the other CPUs or the rest of the
/// log.
#[test]
fn brief_keeps_the_essentials_only() {
    for args in [
        vec![EXAMPLE, "--kdk", KDK],
        vec!["testdata/corpus/arm64-text-endpointsecurity-01.txt"],
    ] {
        let full = kpanic(&[&["symbolicate"][..], &args].concat());
        let brief = kpanic(&[&["symbolicate", "--brief"][..], &args].concat());
        assert_eq!(brief.status.code(), Some(0));
        let full = String::from_utf8(full.stdout).unwrap();
        let brief = String::from_utf8(brief.stdout).unwrap();
        let summary = |t: &str| t[t.rfind("== kpanic ==").unwrap()..].to_string();
        assert_eq!(summary(&brief), summary(&full));
        let first = full.lines().find(|l| l.starts_with("panic(")).unwrap();
        assert_eq!(brief.lines().next(), Some(first), "{args:?}");
        // Every backtrace frame line and its answer, in order.
        let frames = |t: &str| -> Vec<String> {
            t.lines()
                .filter(|l| l.trim_start().starts_with("lr: 0x"))
                .map(str::to_string)
                .collect()
        };
        assert!(!frames(&full).is_empty());
        assert_eq!(frames(&brief), frames(&full), "{args:?}");
        for gone in ["loaded kexts:", "CORE 1:", "Zone info:", "Kernel version:"] {
            assert!(full.contains(gone), "{gone} is in the full output");
            assert!(!brief.contains(gone), "{args:?}: {gone} in --brief");
        }
        assert!(brief.lines().count() * 3 < full.lines().count(), "{brief}");
    }
}

/// KDKs given, none holding the panic's kernel: the summary says, once, why each does not fit
/// (its build and kernels against the panic's), beside which KDK the panic needs.
#[test]
fn a_kdk_that_does_not_fit_is_explained_once() {
    // The log: "OS version: 22G91", "RELEASE_ARM64_T6000", "Kernel UUID: E88B0B04-…".
    let log = "testdata/corpus/arm64-text-endpointsecurity-01.txt";
    let out = kpanic(&["symbolicate", log, "--kdk", KDK]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.matches("do not fit").count(), 1, "{text}");
    assert_eq!(
        text.lines()
            .filter(|l| l.contains("examples/KDK_15.4_24E248.kdk: "))
            .collect::<Vec<_>>(),
        ["    examples/KDK_15.4_24E248.kdk: build 24E248, not 22G91; no kernel.release.t6000 (it has kernel.release.t8112)"]
    );

    // The KDK of the right build and kernel name, but the panic's kernel has another UUID.
    let dir = tempfile::tempdir().unwrap();
    let panic = dir.path().join("other-uuid.txt");
    let example = std::fs::read_to_string(common::root().join(EXAMPLE)).unwrap();
    let edited = example.replace(
        "Kernel UUID: 4C4C4476-5555-3144-A173-5886237C20ED",
        "Kernel UUID: 11111111-2222-3333-4444-555555555555",
    );
    assert_ne!(edited, example);
    std::fs::write(&panic, edited).unwrap();
    let out = kpanic(&["symbolicate", panic.to_str().unwrap(), "--kdk", KDK]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.matches("do not fit").count(), 1, "{text}");
    assert!(
        text.contains(
            "    examples/KDK_15.4_24E248.kdk: its kernel.release.t8112 is \
         4C4C4476-5555-3144-A173-5886237C20ED, the panic's kernel \
         11111111-2222-3333-4444-555555555555\n"
        ),
        "{text}"
    );
    // Said there once: the image line points to it, frames say only "UUID mismatch".
    assert_eq!(
        text.matches("4C4C4476-5555-3144-A173-5886237C20ED").count(),
        1
    );

    // With the right KDK, nothing to explain.
    let out = kpanic(&["symbolicate", EXAMPLE, "--kdk", KDK]);
    assert!(!String::from_utf8(out.stdout)
        .unwrap()
        .contains("do not fit"));
}
