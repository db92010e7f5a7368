//! Pasted logs: each tolerance of `paste.rs` and the lenient `.ips` body reader on a real excerpt
//! (the corpus file is named), with what the report then holds and the warning that says what
//! was repaired.

mod common;
use common::{corpus_dir, load};
use kpanic_report::{parse, PanicReport, ParseError, RuntimeAddr};

fn corpus_text(name: &str) -> String {
    std::fs::read_to_string(corpus_dir().join(name)).unwrap()
}

fn parse_str(s: &str) -> PanicReport {
    parse(s.as_bytes()).unwrap_or_else(|e| panic!("{e}"))
}

fn warned(r: &PanicReport, needle: &str) -> bool {
    r.warnings.iter().any(|w| w.contains(needle))
}

fn frames(r: &PanicReport) -> usize {
    r.backtrace.as_ref().map_or(0, |b| b.frames.len())
}

#[test]
fn ips_body_without_header_or_braces() {
    // A GitHub issue pasted only the `"panicString"` line of the body.
    let r = load("ios-ips-pmap-ppl-FRAGMENT-01.ips");
    let p = r.panic.as_ref().unwrap();
    assert_eq!(
        p.reason,
        "pmap_mark_page_as_ppl_page_internal: page still has mappings, pa=0x851684000"
    );
    assert_eq!(p.caller, Some(RuntimeAddr(0xfffffff02b0cfadc)));
    assert_eq!(r.system.paniclog_version, Some(13));
    assert!(warned(&r, "inside of an `.ips` body"));
    // The key/value lines of a body, indented as the pretty-printer wrote them, with the
    // panic string's own line breaks unescaped by the author.
    let r = load("ios-ips-dataabort-iomfb-kallocfail-PARTIAL-01.ips");
    assert_eq!(r.panic.as_ref().unwrap().cpu, Some(5));
    assert_eq!(r.registers.len(), 36);
    assert_eq!(r.system.os_build.as_deref(), Some("18G82"));
}

#[test]
fn ips_body_cut_in_the_middle_of_the_panic_string() {
    // Slides: `"panicString" : "panic(cpu 2 …\n…` with JSON escapes and no closing quote.
    let r = load("arm64-ips-coproc-dataabort-anon-FRAGMENT-01.txt");
    let p = r.panic.as_ref().unwrap();
    assert!(p
        .message
        .starts_with("XXX DATA ABORT @ 0x01054c70 pc=0x000000000112bdd8"));
    assert_eq!(p.cpu, Some(2));
    assert!(warned(&r, "is cut (no closing quote)"));
    assert!(r
        .panic_details
        .iter()
        .any(|l| l.starts_with("RTKit: RTKit-2062")));
}

#[test]
fn markdown_quote_on_every_line() {
    let original = corpus_text("x86-text-nvme-abbrevkexts-01.txt");
    let quoted: String = original.lines().map(|l| format!("> {l}\n")).collect();
    let (a, b) = (parse_str(&original), parse_str(&quoted));
    assert_eq!(
        a.panic.as_ref().unwrap().message,
        b.panic.as_ref().unwrap().message
    );
    assert_eq!(frames(&b), 14);
    assert_eq!(
        a.loaded_kexts.as_ref().unwrap().kexts.len(),
        b.loaded_kexts.as_ref().unwrap().kexts.len()
    );
    assert!(warned(&b, "quoted with `>`"));
    // E-mail quoting nests.
    let nested: String = quoted.lines().map(|l| format!("> {l}\n")).collect();
    assert_eq!(frames(&parse_str(&nested)), 14);
}

#[test]
fn syslog_prefix_on_every_line() {
    let original = corpus_text("ios-text-dataabort-paniclog11-PARTIAL-01.txt");
    let logged: String = original
        .lines()
        .map(|l| format!("2024-05-01 10:00:00.123456+0200 localhost kernel[0]: {l}\n"))
        .collect();
    let r = parse_str(&logged);
    assert_eq!(frames(&r), 18);
    assert_eq!(
        r.panic.as_ref().unwrap().message,
        "Kernel data abort. (saved state: 0xffffffe04f863310)"
    );
    assert!(warned(&r, "syslog/console prefix"));
}

#[test]
fn blank_line_between_every_line() {
    let r = load("ios-ips-dataabort-FRAGMENT-slides-01.txt");
    assert!(warned(&r, "a blank line followed every line"));
    assert_eq!(r.registers.len(), 36);
    // The same on a text log.
    let original = corpus_text("x86-text-gpf-keepsyms-vmm-PARTIAL-01.txt");
    let doubled: String = original.lines().map(|l| format!("{l}\n\n")).collect();
    let (a, b) = (parse_str(&original), parse_str(&doubled));
    assert_eq!(frames(&b), frames(&a));
    assert_eq!(frames(&b), 18);
    assert!(warned(&b, "a blank line followed every line"));
}

#[test]
fn code_block_indent() {
    // Research notes kept the Markdown 4-space code indent.
    let r = load("arm64-text-iogpu-underflow-FRAGMENT-01.txt");
    let p = r.panic.as_ref().unwrap();
    assert_eq!(p.reason, "completeMemory() prepare count underflow");
    assert_eq!(p.caller, Some(RuntimeAddr(0xfffffe002a410f78)));
    assert_eq!(r.panicked_task.as_ref().map(|t| t.pid), Some(Some(72957)));
    assert!(warned(&r, "indented by `    `"));
}

#[test]
fn typographic_quotes_and_dashes() {
    // The closing quote became "”": the string ends there.
    let r = load("ios-ips-dataabort-ipad-FRAGMENT-01.ips");
    assert_eq!(r.panic.as_ref().unwrap().message, "Kernel data abort.");
    assert!(warned(&r, "typographic characters"));
    // A blog turned the UUID's hyphens into em-dashes.
    let r = load("ios-text-undefinstr-paniclog10-01.txt");
    assert_eq!(
        r.system.kernel_uuid.map(|u| u.to_string().to_uppercase()),
        Some("BEFBC911-B1BC-3553-B7EA-1ECE60169886".into())
    );
}

#[test]
fn ocr_damage_in_hex_numbers() {
    // "Text below was recovered by OCR": `panic(cpu @ caller OxfffffffO25b3bf54)`.
    let r = load("ios-ips-kmemalloc-OCR-FRAGMENT-01.txt");
    let p = r.panic.as_ref().unwrap();
    assert_eq!(p.cpu, Some(0));
    assert_eq!(p.caller, Some(RuntimeAddr(0xfffffff025b3bf54)));
    assert!(p
        .message
        .starts_with("kmem_alloc(0xffffffddafeb1d80, 49152, 0xe10141)"));
    assert_eq!(r.system.paniclog_version, Some(14));
    assert!(warned(&r, "OCR damage"));
    assert!(warned(&r, "unknown key `pbanicString`"));
    // The lines the OCR wrapped inside the JSON string are joined again.
    let r = load("arm64-ips-mutex-perfmon-OCR-FRAGMENT-01.txt");
    assert_eq!(
        r.panic.as_ref().unwrap().caller,
        Some(RuntimeAddr(0xfffffe0013c5bbe8))
    );
    assert!(r
        .system
        .kernel_version
        .as_deref()
        .is_some_and(|k| k.ends_with("root:xnu-8796.120.31~10/RELEASE_ARM64_T6000")));
}

#[test]
fn panic_line_missing_its_first_letter() {
    let r = load("x86-text-badtailq-vfs-i210-hackintosh-01.txt");
    let p = r.panic.as_ref().unwrap();
    assert_eq!(
        (p.cpu, p.caller),
        (Some(8), Some(RuntimeAddr(0xffffff8019516464)))
    );
    assert_eq!(frames(&r), 14);
    assert!(warned(&r, "the lost `p` was restored"));
}

#[test]
fn kext_list_as_xnu_writes_it() {
    // xnu's kext_panic_report.h: `!U` is "AppleUSB", not "USB".
    let r = load("x86-text-pagefault-catalina-01.txt");
    let ids: Vec<&str> = r
        .loaded_kexts
        .as_ref()
        .unwrap()
        .kexts
        .iter()
        .map(|k| k.bundle_id.as_str())
        .collect();
    assert!(ids.contains(&"com.apple.driver.usb.AppleUSBHostCompositeDevice"));
    assert!(ids.contains(&"com.apple.driver.AppleUSBTDM"));
    assert!(!ids.iter().any(|i| i.contains('!')));
}

#[test]
fn kext_list_versions_quotes_and_odd_lines() {
    // The head of x86-text-nvme-abbrevkexts-01.txt's list, with what pastes and older lists add:
    // versions of several words, a Markdown `>` glued to `@`/`|`, one line that is no kext.
    let text = "panic(cpu 0 caller 0xffffff8000b5a2bd): \"x\"@/x.c:1\n\
                Backtrace (CPU 0), Frame : Return Address\n\
                0xffffffa0b8d93aa0 : 0xffffff801928e04d \n\
                loaded kexts:\n\
                as.vit9696.Lilu\t1.5.5\n\
                com.apple.driver.AppleBluetoothMultitouch\t14.0.1 45154\n\
                com.apple.iokit.IOUSBFamily\t2.0.5f14 - last loaded 8573024173\n\
                (this line was damaged by the paste)\n\
                >@filesystems.autofs\t3.0\n\
                >|IOUserEthernet\t1.0.1\n\
                >!UAudio\t401.4\n\
                @kec.corecrypto\t1.0\n";
    let r = parse_str(text);
    let kexts = &r.loaded_kexts.as_ref().unwrap().kexts;
    let got: Vec<(&str, &str)> = kexts
        .iter()
        .map(|k| (k.bundle_id.as_str(), k.version.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("as.vit9696.Lilu", "1.5.5"),
            ("com.apple.driver.AppleBluetoothMultitouch", "14.0.1 45154"),
            ("com.apple.iokit.IOUSBFamily", "2.0.5f14"),
            ("com.apple.filesystems.autofs", "3.0"),
            ("com.apple.iokit.IOUserEthernet", "1.0.1"),
            ("com.apple.driver.AppleUSBAudio", "401.4"),
            ("com.apple.kec.corecrypto", "1.0"),
        ]
    );
    assert!(r
        .unparsed
        .iter()
        .any(|u| u.text == "(this line was damaged by the paste)"));
}

#[test]
fn refused_only_without_a_panic_and_says_what_was_looked_for() {
    let err =
        parse(b"Hello,\n\nmy Mac restarted last night. Any idea?\n> quoted reply\n").unwrap_err();
    let ParseError::NotAPanic { reason } = &err else {
        panic!("{err:?}");
    };
    for looked_for in ["panic(cpu", "panicString", "Backtrace (CPU", "loaded kexts"] {
        assert!(reason.contains(looked_for), "{reason}");
    }
}
