//! Golden outputs: what a user sees from `parse` (text), `symbolicate` and `diagnose` (text and
//! JSON) on the bundled example and on every corpus log, and every `--help`. Each snapshot was
//! read by a person before it was accepted; a change to one is a change to what users see, and must be
//! intended and said.
//!
//! Full panics give JSON of several megabytes (every stackshot thread, each frame unresolved
//! without symbols). Their snapshots keep the first threads in full and a digest of the whole
//! document, so any change still fails the test; the rest of the report is covered by the
//! report crate's own snapshots.

mod common;

use common::{corpus_logs, stdout_ok};
use serde_json::Value;

/// Threads kept in full in a JSON snapshot.
const THREADS_KEPT: usize = 12;

/// Stdout of `kpanic ARGS` (run in the repository root), which must exit 0.
fn stdout(args: &[&str]) -> String {
    String::from_utf8(stdout_ok(args)).expect("UTF-8 output")
}

/// FNV-1a, 64 bits: enough to notice that a large document changed.
fn digest(s: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// The JSON of one command, with the report replaced by its digest (the report crate's
/// snapshots hold it) and long thread lists cut to their first threads plus a digest.
fn json_golden(args: &[&str]) -> String {
    let text = stdout(args);
    let mut v: Value = serde_json::from_str(&text).expect("valid JSON");
    if let Some(obj) = v.as_object_mut() {
        if let Some(report) = obj.get_mut("report") {
            let s = serde_json::to_string(report).expect("serializes");
            *report = Value::String(format!(
                "<report: {} bytes, digest {}>",
                s.len(),
                digest(&s)
            ));
        }
        for key in ["symbolication", "diagnosis"] {
            let Some(threads) = obj
                .get_mut(key)
                .and_then(|s| s.get_mut("threads"))
                .and_then(Value::as_array_mut)
            else {
                continue;
            };
            if threads.len() > THREADS_KEPT {
                let all = serde_json::to_string(threads).expect("serializes");
                let n = threads.len();
                threads.truncate(THREADS_KEPT);
                threads.push(Value::String(format!(
                    "<{} more threads; all {n}: {} bytes, digest {}>",
                    n - THREADS_KEPT,
                    all.len(),
                    digest(&all)
                )));
            }
        }
    }
    serde_json::to_string_pretty(&v).expect("serializes") + "\n"
}

fn settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_prepend_module_to_snapshot(false);
    s.set_snapshot_path("golden");
    s.set_omit_expression(true);
    s
}

#[test]
fn corpus_symbolicate_and_diagnose() {
    let _guard = settings().bind_to_scope();
    for name in corpus_logs() {
        let path = format!("testdata/corpus/{name}");
        let stem = name.rsplit_once('.').map_or(name.as_str(), |(s, _)| s);
        insta::assert_snapshot!(format!("{stem}.parse.txt"), stdout(&["parse", &path]));
        insta::assert_snapshot!(
            format!("{stem}.symbolicate.txt"),
            stdout(&["symbolicate", &path])
        );
        insta::assert_snapshot!(
            format!("{stem}.symbolicate.json"),
            json_golden(&["symbolicate", "--json", &path])
        );
        insta::assert_snapshot!(format!("{stem}.diagnose.txt"), stdout(&["diagnose", &path]));
        insta::assert_snapshot!(
            format!("{stem}.diagnose.json"),
            json_golden(&["diagnose", "--json", &path])
        );
    }
}

const EXAMPLE: &str = "examples/fxdriver-panic.txt";
const EXAMPLE_KDK: &str = "examples/KDK_15.4_24E248.kdk";

#[test]
fn bundled_example() {
    let _guard = settings().bind_to_scope();
    for cmd in ["symbolicate", "diagnose"] {
        insta::assert_snapshot!(
            format!("example.{cmd}.txt"),
            stdout(&[cmd, EXAMPLE, "--kdk", EXAMPLE_KDK])
        );
        insta::assert_snapshot!(
            format!("example.{cmd}.json"),
            json_golden(&[cmd, "--json", EXAMPLE, "--kdk", EXAMPLE_KDK])
        );
    }
}

/// A KDK of another build: every kernel frame must say why it has no symbols.
#[test]
fn foreign_kdk() {
    let _guard = settings().bind_to_scope();
    let path = "testdata/corpus/arm64-text-endpointsecurity-01.txt";
    insta::assert_snapshot!(
        "foreign-kdk.symbolicate.txt",
        stdout(&["symbolicate", path, "--kdk", EXAMPLE_KDK])
    );
    insta::assert_snapshot!(
        "foreign-kdk.diagnose.json",
        json_golden(&["diagnose", "--json", path, "--kdk", EXAMPLE_KDK])
    );
}

#[test]
fn help() {
    let _guard = settings().bind_to_scope();
    insta::assert_snapshot!("help", stdout(&["--help"]));
    for cmd in ["symbolicate", "diagnose", "parse", "atos", "index"] {
        insta::assert_snapshot!(format!("help.{cmd}"), stdout(&[cmd, "--help"]));
    }
}
