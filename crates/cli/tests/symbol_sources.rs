//! A symbol source that cannot be used is said once, one way, with what to do, and gives exit
//! status 2 (README "Exit status", `--help`): `kpanic: error: PATH: what is wrong; what to do`.

mod common;
use common::run;

const EXAMPLE: &str = "examples/fxdriver-panic.txt";
const KERNEL: &str = "examples/KDK_15.4_24E248.kdk/System/Library/Kernels/kernel.release.t8112";

/// Runs `kpanic ARGS`; returns (exit code, stdout, stderr).
fn kpanic(args: &[&str]) -> (Option<i32>, String, String) {
    let out = run(args, None);
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The one error line about `path`: it starts with the path, then what is wrong, then (after
/// "; ") what to do.
fn error_line<'a>(stderr: &'a str, path: &str) -> &'a str {
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("kpanic: error: "))
        .collect();
    assert_eq!(lines.len(), 1, "one error line: {stderr}");
    let line = lines[0];
    assert!(
        line.starts_with(&format!("kpanic: error: {path}: ")),
        "{line}"
    );
    assert!(line.contains("; "), "what to do follows: {line}");
    line
}

fn sources(dir: &std::path::Path) -> Vec<(Vec<String>, String, &'static str)> {
    let dmg = dir.join("KDK_15.4_24E248.dmg");
    // A UDIF image ends with a 512-byte `koly` trailer.
    let mut image = vec![0u8; 4096];
    image[4096 - 512..4096 - 508].copy_from_slice(b"koly");
    std::fs::write(&dmg, image).unwrap();
    let pkg = dir.join("KernelDebugKit.pkg");
    std::fs::write(&pkg, b"xar!\x00\x1c\x00\x01").unwrap();
    let empty = dir.join("empty");
    std::fs::create_dir(&empty).unwrap();
    let s = |p: &std::path::Path| p.to_string_lossy().into_owned();
    vec![
        (
            vec!["--kdk".into(), "/nonexistent".into()],
            "/nonexistent".into(),
            "no such file or folder",
        ),
        (vec!["--kdk".into(), s(&dmg)], s(&dmg), "7zz x"),
        (vec!["--kdk".into(), s(&pkg)], s(&pkg), "cpio -idm"),
        (vec!["--symbols".into(), s(&dmg)], s(&dmg), "disk image"),
        (
            vec!["--kdk".into(), s(&empty)],
            s(&empty),
            "not a Kernel Debug Kit",
        ),
        (
            vec!["--kdk".into(), "README.md".into()],
            "README.md".into(),
            "a file, not a folder",
        ),
        (
            vec!["--kernelcache".into(), "README.md".into()],
            "README.md".into(),
            "not a Mach-O file",
        ),
        (
            vec!["--kernelcache".into(), KERNEL.into()],
            KERNEL.into(),
            "not an MH_FILESET kernelcache",
        ),
        (
            vec!["--symbols".into(), "README.md".into()],
            "README.md".into(),
            "not a Mach-O binary or dSYM",
        ),
        (
            vec!["--symbols".into(), "/nope".into()],
            "/nope".into(),
            "no such file or folder",
        ),
        (
            vec!["--symbols".into(), s(&empty)],
            s(&empty),
            "no Mach-O binary or dSYM in this folder",
        ),
    ]
}

#[test]
fn symbolicate_and_diagnose_say_each_unusable_source_once_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    for (opts, path, what) in sources(dir.path()) {
        for cmd in ["symbolicate", "diagnose"] {
            let mut args = vec![cmd, EXAMPLE, EXAMPLE];
            args.extend(opts.iter().map(String::as_str));
            let (code, stdout, stderr) = kpanic(&args);
            assert_eq!(code, Some(2), "{args:?}: {stderr}");
            let line = error_line(&stderr, &path);
            assert!(line.contains(what), "{args:?}: {line}");
            // The panics are still processed, with what remains.
            assert_eq!(stdout.matches("==> ").count(), 2, "{args:?}");
        }
    }
}

#[test]
fn index_says_unusable_sources_the_same_way() {
    let dir = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    for (opts, path, what) in sources(dir.path()) {
        if opts[0] == "--kernelcache" {
            continue;
        }
        let mut args = vec!["index", "--cache", cache.path().to_str().unwrap()];
        args.extend(opts.iter().map(String::as_str));
        let (code, _, stderr) = kpanic(&args);
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert!(error_line(&stderr, &path).contains(what), "{stderr}");
    }
}

/// A usable source beside an unusable one is still used.
#[test]
fn the_usable_sources_still_answer() {
    let (code, stdout, stderr) = kpanic(&[
        "symbolicate",
        EXAMPLE,
        "--kdk",
        "examples/KDK_15.4_24E248.kdk",
        "--symbols",
        "/nope",
    ]);
    assert_eq!(code, Some(2));
    error_line(&stderr, "/nope");
    assert!(stdout.contains("Frames: 22 of 24 resolved"), "{stdout}");
}
