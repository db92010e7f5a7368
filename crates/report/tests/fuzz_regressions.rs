//! Inputs the fuzzers (`fuzz/`) found crashing the parser, kept so that they never come back.
//! Each is in `testdata/hostile/` with a row in its README.

use kpanic_report::parse;

fn hostile(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/hostile")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The syslog-prefix check of the paste pre-pass cut a line at byte 120, inside a multi-byte
/// character (a replacement character in a damaged `Kernel version` line).
#[test]
fn syslog_prefix_check_cuts_on_a_character_boundary() {
    let r = parse(&hostile("fuzz-paste-syslog-prefix-utf8.txt")).expect("a panic");
    let p = r.panic.as_ref().expect("the panic line is read");
    assert_eq!(p.cpu, Some(4));
}

/// A common indent made of different multi-byte spaces that share their first bytes (U+2002 and
/// U+2003 both start E2 80) must not be cut between those bytes.
#[test]
fn common_indent_of_multibyte_spaces_is_cut_on_a_character_boundary() {
    let text = "\u{2002}panic(cpu 0 caller 0xfffffe0012345678): x\n\u{2003}Kernel slide: 0x1000\n";
    let r = parse(text.as_bytes()).expect("a panic");
    assert!(r.panic.is_some());
}
