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

/// A 2007 blog post (Mac OS X 10.4.9, i386 kernel) quoted the panic in Markdown, with the
/// two-space line breaks and the `\_` escape Markdown source carries.
const TIGER_I386_QUOTED: &str = "\
> panic(cpu 0 caller 0x001A429B): Unresolved kernel trap (CPU 0, Type 14=page fault), registers:  
> CR0: 0x8001003b, CR2: 0xaedac033, CR3: 0x00dd0000, CR4: 0x000006e0  
> EAX: 0xaedac003, EBX: 0x80000003, ECX: 0x38911578, EDX: 0x09b5d3f0  
> CR2: 0xaedac033, EBP: 0x1401bd28, ESI: 0x389093f0, EDI: 0x1249b308  
> EFL: 0x00010202, EIP: 0x00a09c84, CS: 0x00000008, DS: 0x00000010
> 
> Backtrace, Format - Frame : Return Address (4 potential args on stack)  
> 0x1401bae8 : 0x128d08 (0x3cb134 0x1401bb0c 0x131de5 0x0)  
> 0x1401bb28 : 0x1a429b (0x3d0e4c 0x0 0xe 0x3d0670)  
> 0x1401bc38 : 0x19ada4 (0x1401bc50 0x25ad0e00 0x1 0x1)  
> 0x1401bd28 : 0x9e37f4 (0x125cd004 0x389093f0 0x9b5d3f0 0xaedac003)  
> 0x1401bf08 : 0x39a463 (0x1249b308 0x29bd800 0x1 0x26a6cec)  
> 0x1401bf58 : 0x399635 (0x29bd800 0x135eb4 0x0 0x26a6cec)  
> 0x1401bf88 : 0x39936b (0x29c8840 0x0 0xac1007 0x0)  
> 0x1401bfc8 : 0x19ac1c (0x29c8840 0x0 0x10 0x0) Backtrace terminated-invalid frame pointer 0x0  
> Kernel loadable modules in backtrace (with dependencies):  
> com.apple.driver.AirPortAtheros(211.2)@0x9b5000  
> dependency: com.apple.iokit.IONetworkingFamily(1.5.1)@0x6bf000  
> dependency: com.apple.iokit.IOPCIFamily(2.2)@0x582000  
> dependency: com.apple.iokit.IO80211Family(140.4)@0x999000
> 
> Kernel version:  
> Darwin Kernel Version 8.9.1: Thu Feb 22 20:55:00 PST 2007; root:xnu-792.18.15~1/RELEASE\\_I386
";

/// A 2009 forum post (Mac OS X 10.6.2, i386 kernel): "Debugger called", "Kernel Version".
const SNOW_LEOPARD_I386: &str = "\
panic(cpu 0 caller 0x2ad0d5): \"Incompatible boot args version 1 revision 4\\n\"@/SourceCache/xnu/xnu-1486.2.11/osfmk/i386/AT386/model_dep.c:542
Debugger called: <panic>
Backtrace (CPU 0), Frame : Return Address (4 potential args on stack)
0x10be78 : 0x21b2bd (0x5cf868 0x10beac 0x223719 0x0)
0x10bec8 : 0x2ad0d5 (0x592af4 0x1 0x4 0x82e66000)
0x10bf38 : 0x61bf4d (0x5879eb 0x8221a8 0x4 0x61bb6f)
0x10bf68 : 0x2ad609 (0x592cef 0x10bf8c 0x4 0x61c483)
0x10bf98 : 0x297739 (0x1 0x209e488 0x4 0x209e488)
0x10bfe8 : 0x29e93b (0x209e488 0x0 0x29e911 0xcb000008)

BSD process name corresponding to current thread: Unknown

Mac OS version:
Not yet set

Kernel Version:
Darwin Kernel Version 10.2.0: Tue Nov 3 10:37:10 PST 2009; root:xnu-1486.2.11~1/RELEASE_I386

System uptime in nanoseconds: 0
";

#[test]
fn very_old_intel_layouts() {
    let r = parse_str(TIGER_I386_QUOTED);
    let p = r.panic.as_ref().unwrap();
    assert_eq!(p.caller, Some(RuntimeAddr(0x1a429b)));
    assert_eq!(frames(&r), 8);
    assert_eq!(
        r.backtrace.as_ref().unwrap().frames[7].address,
        RuntimeAddr(0x19ac1c)
    );
    assert_eq!(r.registers.len(), 16);
    assert!(r.registers.iter().any(|x| x.name == "EIP"));
    let k = &r.kexts_in_backtrace[0];
    assert_eq!(k.kext.bundle_id, "com.apple.driver.AirPortAtheros");
    assert_eq!(k.dependencies.len(), 3);
    let v = r.system.kernel_variant.as_ref().unwrap();
    assert_eq!((v.arch.as_str(), v.kind.as_str()), ("i386", "release"));
    assert_eq!(r.arch, None, "an i386 kernel is not x86_64");
    assert!(warned(&r, "quoted with `>`"));
    assert!(warned(&r, "Markdown escapes"));

    let r = parse_str(SNOW_LEOPARD_I386);
    assert_eq!(frames(&r), 6);
    assert_eq!(r.debugger_message.as_deref(), Some("<panic>"));
    assert!(r
        .system
        .kernel_version
        .as_deref()
        .is_some_and(|k| k.ends_with("RELEASE_I386")));
    assert!(r.unparsed.is_empty(), "{:?}", r.unparsed);
}

#[test]
fn old_ios_lower_case_panicked_thread() {
    // Paniclog 5 (iOS 9) prints "panicked thread:" in lower case.
    let r = load("ios-text-instrabort-ios9-paniclog5-01.txt");
    let t = r.panicked_thread.as_ref().unwrap();
    assert_eq!(t.address.map(|a| a.0), Some(0xffffff811f2f9000));
    assert!(r.unparsed.is_empty());
}
