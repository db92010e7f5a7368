//! What `cargo install` gives a user, and what the binary says about itself: the command-line
//! package is the one named `kpanic`, its shell completions and man page come from the same
//! clap definitions as `--help`, and the exit codes are documented where users look.

mod common;
use common::{root, run, stdout_ok};

/// `cargo install kpanic` (and `cargo install --path crates/cli`) must install this binary,
/// not a library: the package that owns the `kpanic` binary is the one named `kpanic`.
#[test]
fn the_command_line_package_is_named_kpanic() {
    assert_eq!(env!("CARGO_PKG_NAME"), "kpanic");
    let manifest = std::fs::read_to_string(root().join("crates/kpanic/Cargo.toml")).unwrap();
    assert!(
        manifest.contains("name = \"kpanic-engine\""),
        "the engine leaves the name to the binary: {manifest}"
    );
    // No invented homepage: a `repository` must be a real one or absent.
    let workspace = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    assert!(!workspace.contains("example.invalid"), "{workspace}");
}

/// The README opens with the two commands that work on a fresh clone (the bundled example, the
/// tests), and its first section says how to install, with `--locked`.
#[test]
fn readme_says_how_to_install_first() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let first_block = readme
        .split("```")
        .nth(1)
        .expect("the README has a code block");
    let commands: Vec<&str> = first_block
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with("sh"))
        .collect();
    assert!(
        commands[0].starts_with("cargo run --release -- symbolicate examples/"),
        "{commands:?}"
    );
    assert_eq!(
        commands[1], "cargo test --workspace --locked",
        "{commands:?}"
    );
    let first_section = readme
        .split("\n## ")
        .nth(1)
        .expect("the README has sections");
    assert!(first_section.starts_with("Install"), "{first_section}");
    let install = first_section
        .split("```")
        .nth(1)
        .expect("the install section has a code block");
    let first_command = install
        .lines()
        .find(|l| !l.trim().is_empty() && !l.starts_with("sh"))
        .unwrap();
    assert!(
        first_command.starts_with("cargo install --locked --path crates/cli"),
        "{first_command}"
    );
}

#[test]
fn bash_completions_are_a_valid_script_that_knows_the_subcommands() {
    let script = String::from_utf8(stdout_ok(&["completions", "bash"])).unwrap();
    for word in [
        "symbolicate",
        "diagnose",
        "atos",
        "index",
        "--kdk",
        "--jsonl",
    ] {
        assert!(script.contains(word), "{word} missing");
    }
    // `bash -n` parses without running: the script must at least be bash.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("kpanic.bash");
    std::fs::write(&file, &script).unwrap();
    let check = std::process::Command::new("bash")
        .arg("-n")
        .arg(&file)
        .output();
    if let Ok(check) = check {
        assert!(
            check.status.success(),
            "{}",
            String::from_utf8_lossy(&check.stderr)
        );
    }
    for shell in ["zsh", "fish", "elvish", "powershell"] {
        assert!(!stdout_ok(&["completions", shell]).is_empty(), "{shell}");
    }
    let out = run(&["completions", "tcsh"], None);
    assert_eq!(
        out.status.code(),
        Some(2),
        "an unknown shell is a usage error"
    );
}

#[test]
fn man_page_is_roff_with_the_subcommands_and_exit_status() {
    let page = String::from_utf8(stdout_ok(&["man"])).unwrap();
    assert!(page.contains(".TH kpanic 1"), "{page}");
    for word in [
        "symbolicate",
        "diagnose",
        "parse",
        "atos",
        "index",
        "triage",
        "Exit status",
    ] {
        assert!(page.contains(word), "{word} missing from the man page");
    }
}

/// One set of exit codes, in `--help` and in the README.
#[test]
fn exit_codes_are_documented() {
    let help = String::from_utf8(stdout_ok(&["--help"])).unwrap();
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    for text in [&help, &readme] {
        let at = text.find("Exit status").expect("an exit status section");
        let section: String = text[at..].chars().take(1100).collect();
        // Symbol sources are among the unusable inputs of exit 2; 3 is triage's kext gate.
        for word in [
            "0",
            "1",
            "2",
            "--kdk",
            "--symbols",
            "--kernelcache",
            "3",
            "--kext",
        ] {
            assert!(section.contains(word), "{word} missing: {section}");
        }
    }
}
