//! `kpanic atos` end to end, against the fixtures' llvm-symbolizer truth.

mod common;
use common::{fixtures, run, text_ok as ok};
use std::process::Output;

fn kpanic(args: &[&str], stdin: Option<&str>) -> Output {
    run(args, stdin.map(str::as_bytes))
}

fn hex(s: &str) -> u64 {
    u64::from_str_radix(s.trim_start_matches("0x"), 16).unwrap()
}

fn basename(p: &str) -> &str {
    p.rsplit('/').next().unwrap()
}

/// atos -i lines expected from truth/NAME.json, one block per call site.
fn truth_lines(name: &str, image: &str) -> (Vec<String>, Vec<String>) {
    let text =
        std::fs::read_to_string(fixtures().join("truth").join(format!("{name}.json"))).unwrap();
    let mut addrs = Vec::new();
    let mut lines = Vec::new();
    for l in text.lines() {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        addrs.push(v["Address"].as_str().unwrap().to_string());
        for s in v["Symbol"].as_array().unwrap() {
            lines.push(format!(
                "{} (in {image}) ({}:{})",
                s["FunctionName"].as_str().unwrap(),
                basename(s["FileName"].as_str().unwrap()),
                s["Line"]
            ));
        }
    }
    (addrs, lines)
}

#[test]
fn inline_frames_match_llvm_symbolizer() {
    for (name, path, image) in [
        (
            "arm64e-kernel.fixture",
            "arm64e/kernel.fixture",
            "kernel.fixture",
        ),
        (
            "arm64e-fxdriver.kext",
            "arm64e/fxdriver.kext.dSYM",
            "fxdriver.kext",
        ),
        ("x86_64-libfx.dylib", "x86_64/libfx.dylib", "libfx.dylib"),
    ] {
        let (addrs, want) = truth_lines(name, image);
        let obj = fixtures().join(path);
        let mut args = vec!["atos", "-o", obj.to_str().unwrap(), "-i"];
        args.extend(addrs.iter().map(String::as_str));
        let got = ok(&args);
        assert_eq!(got.lines().collect::<Vec<_>>(), want, "{name}");
    }
}

#[test]
fn first_kernel_call_sites_print_like_atos() {
    let k = fixtures().join("arm64e/kernel.fixture");
    let got = ok(&[
        "atos",
        "-o",
        k.to_str().unwrap(),
        "0xfffffe000700c014",
        "0xfffffe000700c084",
    ]);
    // Without -i: the owning function, with the innermost file:line (atos' behaviour).
    assert_eq!(
        got,
        "kernel_bootstrap (in kernel.fixture) (start.c:5)\nkernel_bootstrap (in kernel.fixture) (fx.h:9)\n"
    );
}

/// -l, -s and --text-exec-address with slid addresses answer as the unslid addresses do.
#[test]
fn slide_options_agree() {
    for (name, path, load) in [
        (
            "arm64e-kernel.fixture",
            "arm64e/kernel.fixture",
            0xfffffe001cad8000u64,
        ),
        (
            "arm64e-fxdriver.kext",
            "arm64e/fxdriver.kext",
            0xfffffe0020104000,
        ),
        (
            "x86_64-kernel.fixture",
            "x86_64/kernel.fixture",
            0xffffff8012600000,
        ),
    ] {
        let obj = fixtures().join(path);
        let obj = obj.to_str().unwrap();
        let (addrs, _) = truth_lines(name, "x");
        let mut base = vec!["atos", "-o", obj, "-i"];
        base.extend(addrs.iter().map(String::as_str));
        let want = ok(&base);

        let text = if name.starts_with("x86_64-kernel") {
            0xffffff8000200000
        } else if name.contains("kext") {
            0
        } else {
            0xfffffe0007004000
        };
        let slide = load.wrapping_sub(text);
        let slid: Vec<String> = addrs
            .iter()
            .map(|a| format!("{:#x}", hex(a).wrapping_add(slide)))
            .collect();
        let run = |opt: &[&str]| {
            let mut a = vec!["atos", "-o", obj, "-i"];
            a.extend_from_slice(opt);
            a.extend(slid.iter().map(String::as_str));
            ok(&a)
        };
        let l = format!("{load:#x}");
        let s = format!("{slide:#x}");
        assert_eq!(run(&["-l", &l]), want, "{name} -l");
        assert_eq!(run(&["-s", &s]), want, "{name} -s");
        if !name.starts_with("x86_64") {
            // The runtime __TEXT_EXEC: the binary's own __TEXT_EXEC.vmaddr + slide
            // (0xfffffe000700c000 for the kernel fixture, 0x4000 for the kext).
            let te_vm = if name.contains("kext") {
                0x4000u64
            } else {
                0xfffffe000700c000
            };
            let te = format!("{:#x}", te_vm.wrapping_add(slide));
            assert_eq!(
                run(&["--text-exec-address", &te]),
                want,
                "{name} --text-exec-address"
            );
        } else {
            let out = kpanic(
                &["atos", "-o", obj, "--text-exec-address", "0x1000", "0x1"],
                None,
            );
            assert_eq!(out.status.code(), Some(2));
            assert!(String::from_utf8_lossy(&out.stderr).contains("no __TEXT_EXEC"));
        }
    }
}

/// The README example: against a kernel whose __TEXT is at 0xfffffe0007004000 and
/// __TEXT_EXEC at 0xfffffe00072b8000 (KDK 15.4 kernel.release.t8112's layout), a panic's
/// "Kernel text exec base: 0xfffffe001cd8c000" is `--text-exec-address 0xfffffe001cd8c000`,
/// and answers as `-l 0xFFFFFE001CAD8000` does.
#[test]
fn readme_text_exec_example() {
    let k = fixtures().join("kdk-t8112/kernel.release.t8112");
    let k = k.to_str().unwrap();
    let (addrs, want) = truth_lines("kdk-t8112-kernel.release.t8112", "kernel.release.t8112");
    let slide = 0xfffffe001cd8c000u64 - 0xfffffe00072b8000;
    let slid: Vec<String> = addrs
        .iter()
        .map(|a| format!("{:#x}", hex(a) + slide))
        .collect();
    let run = |opt: &[&str]| {
        let mut a = vec!["atos", "-o", k, "-i"];
        a.extend_from_slice(opt);
        a.extend(slid.iter().map(String::as_str));
        ok(&a)
    };
    let by_exec = run(&["--text-exec-address", "0xfffffe001cd8c000"]);
    assert_eq!(by_exec, run(&["-l", "0xFFFFFE001CAD8000"]));
    assert_eq!(by_exec.lines().collect::<Vec<_>>(), want);
    assert!(by_exec.starts_with("kernel_bootstrap (in kernel.release.t8112) (start.c:5)\n"));
}

#[test]
fn return_addresses_and_stdin() {
    let k = fixtures().join("arm64e/kernel.fixture");
    let k = k.to_str().unwrap();
    let exact = ok(&["atos", "-o", k, "-i", "0xfffffe000700c084"]);
    let out = kpanic(
        &["atos", "-o", k, "-i", "--return-addresses"],
        Some("0xfffffe000700c088\n"),
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8(out.stdout).unwrap(), exact);
}

#[test]
fn json_frames() {
    let k = fixtures().join("arm64e/kernel.fixture");
    let out = ok(&[
        "atos",
        "-o",
        k.to_str().unwrap(),
        "--json",
        "0xfffffe000700c084",
        "0xFFFFFE0100000000",
        "nope",
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let frames = v.as_array().unwrap();
    assert_eq!(frames.len(), 3);
    assert_eq!(frames[0]["address"], "0xfffffe000700c084");
    assert_eq!(frames[0]["image"], "kernel.fixture");
    assert_eq!(frames[0]["image_offset"], "0x8084");
    let syms = frames[0]["symbols"].as_array().unwrap();
    let names: Vec<&str> = syms
        .iter()
        .map(|s| s["function"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["fx_inner", "fx_middle", "fx_outer", "kernel_bootstrap"]
    );
    assert_eq!(syms[3]["file"], "/fixtures/src/start.c");
    assert_eq!(syms[3]["line"], 6);
    assert!(frames[0].get("unresolved_reason").is_none());
    assert_eq!(frames[1]["address"], "0xFFFFFE0100000000");
    assert_eq!(frames[1]["symbols"].as_array().unwrap().len(), 0);
    assert!(frames[1]["unresolved_reason"]
        .as_str()
        .unwrap()
        .contains("outside every segment"));
    assert_eq!(frames[2]["unresolved_reason"], "not a hex address");
}

#[test]
fn symbol_table_only_and_unknown() {
    // The kernel without its dSYM: func + decimal offset, as atos prints it.
    let dir = std::env::temp_dir().join(format!("kpanic-atos-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bin = dir.join("kernel.fixture");
    std::fs::copy(fixtures().join("arm64e/kernel.fixture"), &bin).unwrap();
    let got = ok(&[
        "atos",
        "-o",
        bin.to_str().unwrap(),
        "0xfffffe000700c014",
        "0xfffffe000700c444",
        "0x10",
    ]);
    assert_eq!(
        got,
        "kernel_bootstrap (in kernel.fixture) + 20\npanic (in kernel.fixture) + 12\n0x10\n"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn universal_needs_arch_and_bad_files_exit_2() {
    let fat = fixtures().join("universal/fxexec");
    let fat = fat.to_str().unwrap();
    let out = kpanic(&["atos", "-o", fat, "0x1000005b0"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--arch"));
    let got = ok(&["atos", "-o", fat, "--arch", "arm64", "0x100000670"]);
    assert_eq!(got, "main (in fxexec) (main.c:8)\n");

    let readme = fixtures().join("README.md");
    let out = kpanic(&["atos", "-o", readme.to_str().unwrap(), "0x1"], None);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("README.md") && err.contains("not a Mach-O"),
        "{err}"
    );

    let k = fixtures().join("x86_64/kernel.fixture");
    let out = kpanic(
        &["atos", "-o", k.to_str().unwrap(), "--arch", "arm64e", "0x1"],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no arm64e slice"));

    let missing = fixtures().join("no-such-file");
    let out = kpanic(&["atos", "-o", missing.to_str().unwrap(), "0x1"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no-such-file"));
}
