//! Shared by the CLI tests: where things are, and running the `kpanic` binary.
#![allow(dead_code)]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn fixtures() -> PathBuf {
    root().join("testdata/fixtures")
}

/// A corpus log's path, as a string for the command line.
pub fn corpus(name: &str) -> String {
    root()
        .join("testdata/corpus")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

/// Runs `kpanic ARGS` in the repository root, with `stdin` (empty when `None`).
pub fn run(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kpanic"))
        .args(args)
        .current_dir(root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kpanic runs");
    let mut input = child.stdin.take().expect("stdin");
    input
        .write_all(stdin.unwrap_or(b""))
        .expect("stdin written");
    drop(input);
    child.wait_with_output().expect("kpanic ends")
}

/// Stdout of `kpanic ARGS` (run in the repository root), which must exit 0.
pub fn stdout_ok(args: &[&str]) -> Vec<u8> {
    let out = run(args, None);
    assert!(
        out.status.success(),
        "kpanic {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// The stdout of a `kpanic` run that must succeed, as text.
pub fn text_ok(args: &[&str]) -> String {
    String::from_utf8(stdout_ok(args)).expect("UTF-8 output")
}

/// Every corpus log's file name, in a stable order.
pub fn corpus_logs() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(root().join("testdata/corpus"))
        .expect("corpus folder")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".md") && !n.ends_with(".tsv"))
        .collect();
    names.sort();
    assert!(names.len() >= 34, "the corpus is there: {names:?}");
    names
}
