//! `kpanic atos` with the habits of Apple's atos and llvm-symbolizer: answers stdin line by
//! line (a co-process), atos's one-dash spellings, `-f FILE`, `-offset`, `-fullPath`, and the
//! same inlined-frame order as `kpanic symbolicate`.

mod common;
use common::{root, run, text_ok as ok};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// The bundled example's KDK kernel: __TEXT 0xfffffe0007004000, __TEXT_EXEC 0xfffffe00072b8000;
/// the example panic's "Kernel text exec base: 0xfffffe001cd8c000".
const KERNEL: &str = "examples/KDK_15.4_24E248.kdk/System/Library/Kernels/kernel.release.t8112";
const EXEC_BASE: &str = "0xfffffe001cd8c000";
/// CORE 0's PC in the example panic: inside fx_inner, inlined three deep into vm_fault.
const PC: &str = "0xfffffe001cd8c2c4";

#[test]
fn stdin_is_answered_line_by_line_for_a_co_process() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kpanic"))
        .args(["atos", "-o", KERNEL, "--text-exec-address", EXEC_BASE])
        .args(["--return-addresses"])
        .current_dir(root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // Lines are read on a thread so that a kpanic that waits for the end of its input fails
    // the test instead of hanging it.
    let (tx, rx) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if tx.send(line.unwrap()).is_err() {
                return;
            }
        }
    });
    let ask = |stdin: &mut std::process::ChildStdin, addr: &str| -> String {
        writeln!(stdin, "{addr}").unwrap();
        stdin.flush().unwrap();
        rx.recv_timeout(Duration::from_secs(20))
            .unwrap_or_else(|_| panic!("no answer to {addr} while stdin is still open"))
    };
    // The README's example: the return address into panic().
    assert_eq!(
        ask(&mut stdin, "0xfffffe001cd8c448"),
        "panic (in kernel.release.t8112) (kern_panic.c:10)"
    );
    // The second question is asked only after the first answer came back.
    let second = ask(&mut stdin, "0xfffffe001cd8c118");
    drop(stdin);
    assert!(child.wait().unwrap().success());
    let expected = ok(&[
        "atos",
        "-o",
        KERNEL,
        "--text-exec-address",
        EXEC_BASE,
        "--return-addresses",
        "0xfffffe001cd8c118",
    ]);
    assert_eq!(format!("{second}\n"), expected);
}

#[test]
fn atos_one_dash_spellings_are_the_long_options() {
    let pairs: [(&[&str], &[&str]); 4] = [
        (
            &["-arch", "arm64e", "-offset", "0x2b42c4"],
            &["--arch", "arm64e", "--offset", "0x2b42c4"],
        ),
        (
            &["-arch=arm64e", "-offset", "0x2b42c4"],
            &["--arch=arm64e", "--offset", "0x2b42c4"],
        ),
        (
            &["-fullPath", "-offset", "0x2b42c4"],
            &["--full-path", "--offset", "0x2b42c4"],
        ),
        (&["-offset", "0x2b42c4"], &["--offset", "0x2b42c4"]),
    ];
    for (atos, ours) in pairs {
        let with = |opts: &[&'static str]| {
            let mut v = vec!["atos", "-o", KERNEL, "-i"];
            v.extend(opts);
            ok(&v)
        };
        assert_eq!(with(atos), with(ours), "{atos:?}");
    }
    // Only after `atos`: elsewhere `-offset` stays an unknown option.
    let out = run(&["parse", "-offset", "examples/fxdriver-panic.txt"], None);
    assert_eq!(out.status.code(), Some(2));
}

/// `-fullPath` prints the source path as DWARF names it (the fixtures were built in
/// /fixtures/src, see scripts/build-fixtures.sh); without it, the base name.
#[test]
fn full_path_keeps_the_dwarf_path() {
    let args = |extra: &'static str| {
        vec![
            "atos",
            "-o",
            KERNEL,
            "--text-exec-address",
            EXEC_BASE,
            extra,
            PC,
        ]
    };
    assert_eq!(
        ok(&args("-fullPath")),
        "vm_fault (in kernel.release.t8112) (/fixtures/src/fx.h:9)\n"
    );
    assert_eq!(
        ok(&args("-i")).lines().next().unwrap(),
        "fx_inner (in kernel.release.t8112) (fx.h:9)"
    );
}

/// `-offset`: the address is an offset from the binary's __TEXT. The PC is 0x2c4 into
/// __TEXT_EXEC, which starts 0x2b4000 after __TEXT (README).
#[test]
fn offset_counts_from_the_load_address() {
    let by_offset = ok(&["atos", "-o", KERNEL, "-i", "-offset", "0x2b42c4"]);
    let by_runtime = ok(&[
        "atos",
        "-o",
        KERNEL,
        "-i",
        "--text-exec-address",
        EXEC_BASE,
        PC,
    ]);
    assert_eq!(by_offset.replace("0x2b42c4", PC), by_runtime);
    assert!(by_offset.starts_with("fx_inner"), "{by_offset}");
    let out = run(&["atos", "-o", KERNEL, "-offset", "-l", "0x1", "0x2"], None);
    assert_eq!(
        out.status.code(),
        Some(2),
        "-offset and -l do not go together"
    );
}

#[test]
fn addresses_from_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("addrs.txt");
    std::fs::write(&file, "0xfffffe001cd8c448\n0xfffffe001cd8c118 nonsense\n").unwrap();
    let common = ["atos", "-o", KERNEL, "--text-exec-address", EXEC_BASE];
    let mut from_file = common.to_vec();
    from_file.extend(["-f", file.to_str().unwrap()]);
    let mut from_args = common.to_vec();
    from_args.extend(["0xfffffe001cd8c448", "0xfffffe001cd8c118", "nonsense"]);
    assert_eq!(ok(&from_file), ok(&from_args));
    let out = run(&["atos", "-o", KERNEL, "-f", "/no/such/file"], None);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("kpanic: error: /no/such/file: "), "{err}");
}

#[test]
fn a_folder_given_to_o_is_said_to_be_a_folder() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(&["atos", "-o", dir.path().to_str().unwrap(), "0x1"], None);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("a folder, not a binary or .dSYM bundle; -o wants"),
        "{err}"
    );
}

/// `kpanic symbolicate` prints a frame's inlined chain in `atos -i`'s order: the lines under
/// CORE 0's PC are atos -i's lines for that address, the inlined ones marked.
#[test]
fn symbolicate_prints_inlined_frames_in_atos_order() {
    let text = ok(&[
        "symbolicate",
        "examples/fxdriver-panic.txt",
        "--kdk",
        "examples/KDK_15.4_24E248.kdk",
    ]);
    let lines: Vec<&str> = text.lines().collect();
    let core0 = lines
        .iter()
        .position(|l| l.starts_with("CORE 0: PC="))
        .unwrap();
    let atos = ok(&[
        "atos",
        "-o",
        KERNEL,
        "--text-exec-address",
        EXEC_BASE,
        "-i",
        PC,
    ]);
    let atos: Vec<&str> = atos.lines().collect();
    assert_eq!(atos.len(), 4, "three inlined frames and vm_fault");
    for (i, want) in atos.iter().enumerate() {
        let got = lines[core0 + 1 + i]
            .trim_start()
            .trim_start_matches("-> PC: ")
            .trim_end_matches(" [inlined]");
        assert_eq!(got, *want);
        assert_eq!(
            lines[core0 + 1 + i].ends_with(" [inlined]"),
            i + 1 < atos.len()
        );
    }
}
