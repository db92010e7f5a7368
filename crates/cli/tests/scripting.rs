//! Output a script can trust: a closed pipe is not an error, JSON Lines streams one compact
//! document per panic, `--all-threads` shows what Apple's tools show and says when a panic has
//! no other thread.

mod common;
use common::{corpus, root, run};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

const EXAMPLE: &str = "examples/fxdriver-panic.txt";
const KDK: &str = "examples/KDK_15.4_24E248.kdk";
/// A full panic: megabytes of JSON, far more than a pipe holds.
const FULL: &str = "ios-ips-full-aop-01.ips";

/// `kpanic ARGS | head -1`: the reader takes one line and goes away.
fn first_line_then_close(args: &[&str]) -> (String, Option<i32>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kpanic"))
        .args(args)
        .current_dir(root())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kpanic runs");
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    // The reader is dropped here: kpanic's next write meets a closed pipe.
    let out = child.wait_with_output().unwrap();
    (
        first,
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_closed_pipe_is_quiet_and_exit_0_in_every_mode() {
    let full = corpus(FULL);
    for mode in ["--json", "--jsonl", "--all-threads"] {
        for cmd in ["symbolicate", "parse"] {
            if cmd == "parse" && mode == "--all-threads" {
                continue;
            }
            let args = [cmd, mode, full.as_str(), full.as_str(), full.as_str()];
            let (first, code, stderr) = first_line_then_close(&args);
            assert!(!first.is_empty(), "{args:?}");
            assert_eq!(code, Some(0), "{args:?}: {stderr}");
            assert_eq!(stderr, "", "{args:?}");
        }
    }
}

#[test]
fn jsonl_is_one_compact_document_per_panic_in_command_line_order() {
    let logs = [
        corpus("arm64-text-amcc-01.txt"),
        corpus(FULL),
        corpus("x86-text-nvme-bigsur-01.txt"),
    ];
    for cmd in ["symbolicate", "diagnose", "parse"] {
        let mut args = vec![cmd, "--jsonl"];
        args.extend(logs.iter().map(String::as_str));
        let out = run(&args, None);
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        let text = String::from_utf8(out.stdout).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), logs.len(), "{cmd}: one line per panic");
        for (line, log) in lines.iter().zip(&logs) {
            let doc: serde_json::Value = serde_json::from_str(line).expect("each line is JSON");
            assert_eq!(doc["file"], log.as_str(), "{cmd}: in command-line order");
            // The same document `--json` gives for that file alone.
            let alone = run(&[cmd, "--json", log], None);
            let alone: serde_json::Value = serde_json::from_slice(&alone.stdout).unwrap();
            assert_eq!(doc, alone, "{cmd} {log}");
        }
    }
}

#[test]
fn jsonl_goes_on_past_an_unusable_file() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("garbage.panic");
    std::fs::write(&bad, b"\x00\x01not a panic").unwrap();
    let out = run(
        &[
            "symbolicate",
            "--jsonl",
            EXAMPLE,
            bad.to_str().unwrap(),
            EXAMPLE,
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().count(), 2, "{text}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("garbage.panic"), "{err}");
}

#[test]
fn jsonl_and_json_do_not_go_together() {
    let out = run(&["parse", "--json", "--jsonl", EXAMPLE], None);
    assert_eq!(out.status.code(), Some(2), "a usage error");
}

/// `[A, 0]` frames end a stack walk (`Unresolved::EndOfStack`); Apple's tools do not print
/// them. The AOP panic's stackshot has some ("19 [2, 0x0] ?" before this change).
#[test]
fn all_threads_hides_the_end_of_stack_frames() {
    let out = run(&["symbolicate", "--all-threads", &corpus(FULL)], None);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("== Stackshot kernel frames (2377 of 2377 threads)"));
    assert!(!text.contains("end of stack"), "no [A, 0] frame is shown");
    assert!(!text.contains(", 0x0] ?"), "no [A, 0] frame is shown");
    // JSON keeps every frame, the end-of-stack ones with their reason.
    let json = run(&["symbolicate", "--json", &corpus(FULL)], None);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let ends = v["symbolication"]["threads"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|t| t["kernel_frames"].as_array().unwrap())
        .filter(|f| f["unresolved_reason"] == "end of stack ([A, 0])")
        .count();
    assert!(ends > 0);
}

#[test]
fn all_threads_on_a_text_panic_says_it_has_nothing_to_add() {
    let out = run(
        &["symbolicate", "--all-threads", EXAMPLE, "--kdk", KDK],
        None,
    );
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("--all-threads: this panic has no stackshot"),
        "{text}"
    );
    let without = run(&["symbolicate", EXAMPLE, "--kdk", KDK], None);
    assert!(!String::from_utf8(without.stdout)
        .unwrap()
        .contains("no stackshot"));
}

/// docs/json.md: keys sorted, printed as `serde_json` prints the `Value` (pretty for `--json`,
/// one compact line for `--jsonl`). The documents are written without building that `Value`;
/// here it is built, and the bytes must be the same, for one file, for several (an array) and
/// for the full panics whose unknown `.ips` keys are kept verbatim.
#[test]
fn json_bytes_are_the_values_own_printing() {
    let files = [
        corpus("arm64-text-amcc-01.txt"),
        corpus(FULL),
        corpus("ios-ips-full-mte-keystore-01.ips"),
        corpus("x86-text-nvme-bigsur-01.txt"),
    ];
    for cmd in ["parse", "symbolicate", "diagnose"] {
        for one in &files {
            let o = run(&[cmd, "--json", one], None);
            assert_eq!(o.status.code(), Some(0), "{cmd} {one}");
            let out = String::from_utf8(o.stdout).unwrap();
            let v: serde_json::Value = serde_json::from_str(&out).unwrap();
            assert_eq!(
                out,
                serde_json::to_string_pretty(&v).unwrap() + "\n",
                "{cmd} {one}"
            );
            let line = String::from_utf8(run(&[cmd, "--jsonl", one], None).stdout).unwrap();
            assert_eq!(
                line,
                serde_json::to_string(&v).unwrap() + "\n",
                "{cmd} {one}"
            );
        }
        let mut args = vec![cmd, "--json"];
        args.extend(files.iter().map(String::as_str));
        let o = run(&args, None);
        assert_eq!(o.status.code(), Some(0), "{cmd} several");
        let out = String::from_utf8(o.stdout).unwrap();
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v.as_array().map(Vec::len), Some(files.len()));
        assert_eq!(
            out,
            serde_json::to_string_pretty(&v).unwrap() + "\n",
            "{cmd} several"
        );
    }
}
