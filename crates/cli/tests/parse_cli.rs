//! `kpanic parse` as a user runs it.

mod common;
use common::run;
use std::process::Output;

fn kpanic(args: &[&str]) -> Output {
    run(args, None)
}

#[test]
fn json_of_one_file_is_the_report() {
    let out = kpanic(&[
        "parse",
        "--json",
        "testdata/corpus/x86-text-nvme-bigsur-01.txt",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["system"]["os_build"], "20D91");
    assert_eq!(
        v["system"]["kernel_uuid"],
        "C86236B2-4976-3542-80CA-74A6B8B4BA03"
    );
    // read from the log: "Kernel slide:      0x0000000015a10000"
    assert_eq!(v["slides"]["kernel_slide"], "0x15a10000");
    assert_eq!(v["backtrace"]["frames"].as_array().unwrap().len(), 14);
    assert_eq!(v["backtrace"]["frames"][0]["address"], "0xffffff8015cbab4d");
}

#[test]
fn several_files_give_an_array_in_order_and_bad_ones_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("not-a-panic.txt");
    std::fs::write(&bad, "hello, this is not a kernel panic\n").unwrap();
    let out = kpanic(&[
        "parse",
        "--json",
        "testdata/corpus/t2-bridgeos-ips-sleepwake-01.panic",
        bad.to_str().unwrap(),
        "examples/fxdriver-panic.txt",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not-a-panic.txt"));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let arr = v.as_array().unwrap();
    assert_eq!(arr.len(), 2);
    assert_eq!(arr[0]["format"], "ips");
    assert_eq!(arr[1]["system"]["os_build"], "24E248");
}

#[test]
fn text_summary() {
    let out = kpanic(&["parse", "examples/fxdriver-panic.txt"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("fxdriver: state out of range"), "{text}");
    assert!(text.contains("kernel.release.t8112"), "{text}");
}
