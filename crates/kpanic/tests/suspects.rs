//! Suspects ranked as a kernel engineer would rank them, on the corpus logs whose reading is
//! known (testdata/corpus; the reasons are in each test), on variants of them that move a
//! frame or the trap into a Hackintosh hook, the names that do and do not make a process a
//! deliberate trigger, and the fault facts (syndromes, PAC and poison patterns, lock owners).

use std::path::PathBuf;

use kpanic::diagnose::suspects::{deliberate_trigger, SuspectKind, SuspectRole};
use kpanic::diagnose::{diagnose, Diagnosis, Finding};
use kpanic_report::PanicReport;

fn corpus_text(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/corpus")
        .join(name);
    std::fs::read_to_string(path).expect("corpus file")
}

fn parse(text: &str) -> PanicReport {
    kpanic_report::parse(text.as_bytes()).expect("parses")
}

fn run(name: &str) -> Diagnosis {
    diagnose(&parse(&corpus_text(name)), None)
}

fn first(d: &Diagnosis) -> &str {
    d.suspects
        .first()
        .map(|s| s.bundle_id.as_str())
        .unwrap_or("")
}

fn suspect<'a>(d: &'a Diagnosis, name: &str) -> &'a kpanic::diagnose::Suspect {
    d.suspects
        .iter()
        .find(|s| s.bundle_id == name)
        .unwrap_or_else(|| panic!("no suspect {name} in {:?}", names(d)))
}

fn names(d: &Diagnosis) -> Vec<&str> {
    d.suspects.iter().map(|s| s.bundle_id.as_str()).collect()
}

fn finding<'a>(d: &'a Diagnosis, id: &str) -> Option<&'a Finding> {
    d.findings.iter().find(|f| f.class.as_str() == id)
}

/// Next steps that tell the user to remove something, with the finding they belong to.
fn remove_steps(d: &Diagnosis) -> Vec<&str> {
    d.findings
        .iter()
        .flat_map(|f| &f.next_steps)
        .map(String::as_str)
        .filter(|s| s.contains("remove"))
        .collect()
}

/// No next step tells to remove `name`.
#[track_caller]
fn never_removed(d: &Diagnosis, name: &str) {
    for s in remove_steps(d) {
        assert!(!s.contains(name), "{name} told to be removed: {s}");
    }
}

/// `name` is not the first suspect and no next step tells to remove it.
#[track_caller]
fn not_blamed(d: &Diagnosis, name: &str) {
    assert!(!first(d).contains(name), "{name} is the first suspect");
    never_removed(d, name);
}

/// "btn_rst": the power button was held (AppleM68Buttons records it). The backtrace is the
/// button interrupt; the only non-Apple code loaded is com.bluefalconhd.Pandora, the first
/// suspect if the Mac was hung, but only loaded: never "remove it first".
#[test]
fn forced_reset_names_the_only_third_party_kext_not_the_button_driver() {
    let d = run("arm64-text-btnrst-3rdpartykext-macos26beta-01.txt");
    assert_eq!(first(&d), "com.bluefalconhd.Pandora");
    assert_eq!(
        suspect(&d, "com.bluefalconhd.Pandora").role,
        SuspectRole::Loaded
    );
    for n in [
        "com.apple.driver.AppleM68Buttons",
        "com.apple.filesystems.autofs",
        "com.apple.iokit.IOHIDFamily",
        "kernel_task",
        "com.bluefalconhd.Pandora",
    ] {
        never_removed(&d, n);
    }
    assert!(!names(&d).contains(&"kernel_task"));
    assert!(!names(&d).contains(&"com.apple.driver.AppleM68Buttons"));
    // autofs started 79 s before: Apple, a recent event, ranked last.
    assert_eq!(names(&d).last(), Some(&"com.apple.filesystems.autofs"));
    let reporter = finding(&d, "apple_kext_in_panic").expect("reporter");
    assert!(reporter
        .title
        .starts_with("Reported by com.apple.driver.AppleM68Buttons"));
    // Named in the loaded-kexts finding, as the only third-party kext of a hang.
    assert!(finding(&d, "known_kexts_loaded")
        .expect("loaded")
        .title
        .contains("com.bluefalconhd.Pandora"));
}

/// "[IGPU] Failed to wake the ME" from GPUDriversIntel's IGGuC.cpp; the caller lies in
/// AppleIntelKBLGraphics. VirtualBox, Karabiner and Intel HAXM are loaded, not in the
/// backtrace: listed as loaded, never told to be removed, not in the headline.
#[test]
fn loaded_hypervisors_are_context_of_an_apple_gpu_driver_panic() {
    let d = run("x86-text-igpu-failedtowakeME-kbl-01.txt");
    assert_eq!(first(&d), "com.apple.driver.AppleIntelKBLGraphics");
    assert_eq!(d.suspects[0].role, SuspectRole::CalledPanic);
    assert!(!d.suspects[0].third_party);
    for n in [
        "org.virtualbox.kext.VBoxDrv",
        "org.virtualbox.kext.VBoxNetAdp",
        "org.virtualbox.kext.VBoxNetFlt",
        "org.virtualbox.kext.VBoxUSB",
        "org.pqrs.driver.Karabiner.VirtualHIDDevice.v060600",
        "com.intel.kext.intelhaxm",
    ] {
        assert_eq!(suspect(&d, n).role, SuspectRole::Loaded, "{n}");
        not_blamed(&d, n);
        assert!(!d.headline.contains(n));
    }
    assert!(finding(&d, "third_party_kext_in_backtrace").is_none());
    let apple = finding(&d, "apple_kext_in_panic").expect("Apple's driver");
    assert!(apple
        .title
        .starts_with("In Apple's AppleIntelKBLGraphics (com.apple.driver.AppleIntelKBLGraphics)"));
    assert!(apple.next_steps.iter().all(|s| !s.contains("remove")));
}

/// kfree of a pointer no zone holds, called by wch.usb.usb's merWriteComplete through IOFree:
/// the WCH driver is the innermost kext of the backtrace; the Apple USB stack below it is not
/// a suspect.
#[test]
fn the_kext_that_freed_is_first_not_the_usb_stack_below_it() {
    let d = run("x86-text-kfree-notinzone-wchusb-oclp-01.txt");
    assert_eq!(first(&d), "wch.usb.usb");
    assert_eq!(d.suspects[0].role, SuspectRole::TopFrame);
    assert!(d.findings[0].next_steps[0].starts_with("Third-party kext wch.usb.usb"));
    assert!(d.findings[0].next_steps[0].contains("update or remove it first"));
    for n in [
        "com.apple.driver.usb.AppleUSBCommon",
        "com.apple.iokit.IOUSBFamily",
        "com.apple.iokit.IOUSBHostFamily",
        "kernel_task",
    ] {
        not_blamed(&d, n);
    }
}

/// IONVMeFamily's CommandTimeout → FatalHandling panicked on an SK hynix SSD: the SSD is the
/// cause, IONVMeFamily the reporter, kernel_task (a timer thread) a bystander.
#[test]
fn nvme_timeout_names_the_reporter_and_blames_no_kext() {
    let d = run("x86-panic-nvme-timeout-amdhackintosh-01.panic");
    assert!(d.suspects.iter().all(|s| !s.third_party || !s.implicated()));
    assert!(d.suspects.first().is_none_or(|s| !s.third_party));
    assert!(!names(&d).contains(&"kernel_task"));
    not_blamed(&d, "com.apple.iokit.IONVMeFamily");
    let reporter = finding(&d, "apple_kext_in_panic").expect("reporter");
    assert!(
        reporter
            .title
            .starts_with("Reported by com.apple.iokit.IONVMeFamily"),
        "{}",
        reporter.title
    );
    assert!(reporter.explanation.starts_with(
        "The panic was reported by com.apple.iokit.IONVMeFamily (Apple's IONVMeFamily)"
    ));
}

/// An OpenCore Hackintosh whose Samsung NVMe SSD failed (CSTS=0x1): Lilu, WhateverGreen,
/// AppleALC, VirtualSMC & co. are loaded, none in the backtrace: context, never to remove.
#[test]
fn hackintosh_kexts_are_context_of_an_nvme_failure() {
    let d = run("x86-text-nvme-abbrevkexts-01.txt");
    for n in [
        "as.vit9696.Lilu",
        "as.vit9696.WhateverGreen",
        "as.vit9696.AppleALC",
        "as.vit9696.VirtualSMC",
        "as.vit9696.SMCProcessor",
        "ru.joedm.SMCSuperIO",
    ] {
        assert_eq!(suspect(&d, n).role, SuspectRole::Context, "{n}");
        not_blamed(&d, n);
    }
    assert!(finding(&d, "third_party_kext_in_backtrace").is_none());
    assert!(d.findings[0]
        .next_steps
        .iter()
        .all(|s| !s.contains("remove it first")));
}

/// A keepsyms fragment whose trap returned into com.alexandred.VoodooI2C
/// (getMultitouchPreferences): an input driver faulting in its own code is the suspect.
#[test]
fn voodooi2c_faulting_in_its_own_code_is_first() {
    let d = run("x86-text-3rdpartykext-voodooi2c-FRAGMENT-01.txt");
    assert_eq!(first(&d), "com.alexandred.VoodooI2C");
    assert_eq!(d.suspects[0].role, SuspectRole::Faulted);
    assert!(
        d.findings[0].next_steps[0].contains("com.alexandred.VoodooI2C faulted in its own code")
    );
}

/// "Kernel data abort" with far 0x20 in the task of the RTL8127 NetworkingDriverKit dext.
#[test]
fn a_dext_as_the_panicked_process_is_named() {
    let d = run("arm64-text-dataabort-skywalk-dext-FRAGMENT-01.txt");
    let s = suspect(&d, "net.wizzz.RTL8127Dext");
    assert_eq!(s.kind, SuspectKind::Dext);
    assert_eq!(s.role, SuspectRole::Trigger);
    assert_eq!(s.pid, Some(26223));
    assert!(s.third_party);
    assert!(finding(&d, "panicked_process")
        .expect("dext finding")
        .title
        .contains("DriverKit extension net.wizzz.RTL8127Dext"));
}

/// The exploit processes: rootsh (CVE-2016-1828, OSUnserializeBinary reached through
/// is_io_service_get_matching_services_bin from a Mach trap) and cl0ver (an instruction abort
/// whose outermost frame returns to user space).
#[test]
fn exploit_processes_are_named_as_triggers() {
    for (log, name) in [
        (
            "x86-text-pagefault-null-osunserialize-vmware-PARTIAL-01.txt",
            "rootsh",
        ),
        ("ios-text-instrabort-ios9-paniclog5-01.txt", "cl0ver"),
    ] {
        let d = run(log);
        assert_eq!(first(&d), name, "{log}");
        assert_eq!(d.suspects[0].kind, SuspectKind::Process);
        assert_eq!(d.suspects[0].role, SuspectRole::Trigger);
        assert!(!d.suspects[0].third_party);
        let t = finding(&d, "test_program").expect("test program");
        assert!(t.title.ends_with(name), "{}", t.title);
    }
}

/// WindowServer changed the display mode; the AMD accelerator's callback failed and
/// IOAcceleratorFamily2 panicked: WindowServer is a bystander.
#[test]
fn windowserver_is_not_a_suspect_of_a_display_mode_panic() {
    let d = run("x86-text-gpu-amd-displaymodechange-01.txt");
    assert!(!names(&d).contains(&"WindowServer"), "{:?}", names(&d));
    assert!(finding(&d, "panicked_process").is_none());
}

/// Chrome's GPU helper drove the Intel HD 4000 driver into a kernel page fault: the graphics
/// stack (IOAcceleratorFamily2, innermost kext) comes first, Chrome is not blamed alone.
#[test]
fn chrome_is_not_blamed_for_a_graphics_driver_fault() {
    let d = run("x86-text-pagefault-intelhd4000-yosemite-01.txt");
    assert_eq!(first(&d), "com.apple.iokit.IOAcceleratorFamily2");
    assert_eq!(d.suspects[0].role, SuspectRole::TopFrame);
    not_blamed(&d, "Google Chrome He");
    assert!(names(&d).contains(&"com.apple.driver.AppleIntelHD4000Graphics"));
}

/// "Sleep transition timed out … Suspected bundle: com.apple.iokit.IOUSBHostFamily": the kernel
/// names the driver, which is Apple's: named as the subsystem, never to remove.
#[test]
fn a_bundle_the_message_names_is_a_suspect() {
    let d = run("x86-text-keepsyms-sleepwake-hackintosh-01.txt");
    let s = suspect(&d, "com.apple.iokit.IOUSBHostFamily");
    assert_eq!(s.role, SuspectRole::Named);
    assert_eq!(first(&d), "com.apple.iokit.IOUSBHostFamily");
    never_removed(&d, "com.apple.iokit.IOUSBHostFamily");
    assert!(finding(&d, "apple_kext_in_panic")
        .expect("Apple's bundle")
        .title
        .contains("is named by the panic message"));
}

/// "AppleIntelFramebuffer::setPowerState(0x… : 0x…, 1 -> 0) timed out after 45938 ms"
/// (IOServicePM.cpp): the driver that did not acknowledge is named by its IOService name. The
/// `%p : %p` form is the one release macOS prints only for Apple's drivers.
#[test]
fn the_driver_of_a_power_state_timeout_is_named_as_apple_s() {
    let d = run("x86-text-setpowerstate-timeout-intelfb-PARTIAL-01.txt");
    assert_eq!(first(&d), "AppleIntelFramebuffer");
    let s = &d.suspects[0];
    assert_eq!(s.role, SuspectRole::Named);
    assert!(!s.third_party);
    never_removed(&d, "AppleIntelFramebuffer");
    assert!(!names(&d).contains(&"kernel_task"));
}

/// The Intel HD 4000 page fault with its innermost kext renamed to Lilu: Lilu's frames sit in
/// backtraces by design, so it is context and the Apple graphics driver under it stays first.
/// Move the trap address into Lilu's range and Lilu faulted in its own code: now it is first.
#[test]
fn lilu_frames_are_context_unless_the_fault_is_in_lilu() {
    let text = corpus_text("x86-text-pagefault-intelhd4000-yosemite-01.txt");
    let lilu = text.replacen(
        "         com.apple.iokit.IOAcceleratorFamily2(156.16)",
        "         as.vit9696.Lilu(1.6.7)",
        1,
    );
    assert_ne!(lilu, text);
    let d = diagnose(&parse(&lilu), None);
    let s = suspect(&d, "as.vit9696.Lilu");
    assert_eq!(s.role, SuspectRole::Context);
    assert!(s.backtrace_frames > 0);
    not_blamed(&d, "as.vit9696.Lilu");
    assert_eq!(first(&d), "com.apple.driver.AppleIntelHD4000Graphics");
    assert!(finding(&d, "context_kext_in_backtrace")
        .expect("context")
        .title
        .contains("by design"));

    // The first Lilu frame of the backtrace (0xffffff7f90883571) as the trap address.
    let faulting = lilu.replacen(
        "Kernel trap at 0xffffff800e7cf5a6",
        "Kernel trap at 0xffffff7f90883571",
        1,
    );
    let d = diagnose(&parse(&faulting), None);
    assert_eq!(first(&d), "as.vit9696.Lilu");
    assert_eq!(d.suspects[0].role, SuspectRole::Faulted);
    assert!(d.findings[0].next_steps[0].contains("as.vit9696.Lilu faulted in its own code"));
}

/// The same frames in VoodooPS2, an input driver: its frames mean its code ran.
#[test]
fn an_input_driver_in_the_backtrace_is_implicated() {
    let text = corpus_text("x86-text-pagefault-intelhd4000-yosemite-01.txt").replacen(
        "         com.apple.iokit.IOAcceleratorFamily2(156.16)",
        "         as.acidanthera.voodoo.driver.PS2Controller(2.3.5)",
        1,
    );
    let d = diagnose(&parse(&text), None);
    assert_eq!(first(&d), "as.acidanthera.voodoo.driver.PS2Controller");
    assert_eq!(d.suspects[0].role, SuspectRole::TopFrame);
    assert!(d.findings[0].next_steps[0].contains("update or remove it first"));
}

/// A watchdog's panicked thread is the watchdog's: the Apple watchdog driver is the reporter,
/// kernel_task no suspect.
#[test]
fn a_watchdog_names_its_reporter_and_no_process() {
    let d = run("arm64-text-watchdog-macos26-exclaves-01.txt");
    assert!(d.suspects.iter().all(|s| s.kind != SuspectKind::Process));
    assert!(finding(&d, "apple_kext_in_panic")
        .expect("reporter")
        .title
        .starts_with("Reported by com.apple.driver.AppleARMWatchdogTimer"));
}

/// Process names that are deliberate triggers, and names that only contain the letters of one.
/// The first group is from the corpus (UAFTester, TestPOC, Test, frida-panic, syz-fuzzer,
/// appleclcd_exploi — p_comm cut at 16 characters —, cl0ver, rootsh); the second are real
/// macOS processes and ordinary words.
#[test]
fn trigger_names_are_words_not_substrings() {
    for name in [
        "UAFTester",
        "TestPOC",
        "Test",
        "frida-panic",
        "syz-fuzzer",
        "syz-executor",
        "appleclcd_exploi",
        "cl0ver",
        "rootsh",
        "kernel_poc",
        "iomfb_test2",
        "MyFuzzer",
    ] {
        assert!(deliberate_trigger(name).is_some(), "{name} is a trigger");
    }
    for name in [
        "kextunload",
        "latest",
        "contest",
        "fastest",
        "attestd",
        "testmanagerd",
        "TestFlight",
        "multi",
        "kernel_task",
        "WindowServer",
        "Google Chrome He",
        "Google Chrome Ex",
        "protestd",
        "node",
    ] {
        assert!(
            deliberate_trigger(name).is_none(),
            "{name} is not a trigger"
        );
    }
}

/// Evidence texts of a finding.
fn evidence(f: &Finding) -> Vec<&str> {
    f.evidence.iter().map(|e| e.text.as_str()).collect()
}

/// The fault facts of corpus logs, checked against the ARM ARM and xnu by hand.
#[test]
fn fault_facts_of_the_corpus() {
    // far 0xbfffffe4cb03aee4 and x16 0xbfffffe4cb03aee0: a kernel pointer whose bits 62:61
    // hold 0b01, the error code of a failed key-A authentication (no FEAT_FPAC).
    let d = run("ios-text-dataabort-pacptr-corellium-PARTIAL-01.txt");
    let f = finding(&d, "pac_failed_pointer").expect("PAC failure");
    assert!(f.explanation.contains("key A"));
    assert!(evidence(f)
        .iter()
        .any(|e| e.contains("x16 = 0xbfffffe4cb03aee0")));
    // "Mutex … is unexpectedly owned by thread …": xnu passes current_thread().
    let d = run("arm64-ips-mutex-perfmon-OCR-FRAGMENT-01.txt");
    let f = finding(&d, "lock_state").expect("lock facts");
    assert_eq!(
        f.title,
        "Mutex 0xfffffe00167da448: already owned by the panicking thread 0xfffffe29ea6c9030"
    );
    // "iss=0xf" of an instruction fetch abort: IFSC 0b001111, permission fault level 3.
    let d = run("ios-text-instrabort-ios9-paniclog5-01.txt");
    let f = finding(&d, "abort_syndrome").expect("syndrome");
    assert!(
        f.title.ends_with("permission fault, level 3"),
        "{}",
        f.title
    );
    assert!(f.explanation.contains("not executable"));
    // The coprocessor's "Exception class=0x25 iss=0x4f": its own data abort, a write.
    let d = run("arm64-ips-coproc-dataabort-anon-FRAGMENT-01.txt");
    let f = finding(&d, "abort_syndrome").expect("syndrome");
    assert!(f.title.contains("in the coprocessor's firmware"));
    assert!(f.title.ends_with("permission fault, level 3, on a write"));
    // The IOMFB PoC's scalar 0x41414141 in x3, x9 and x11.
    let d = run("ios-ips-dataabort-clcd-ios14-PARTIAL-01.ips");
    let f = finding(&d, "poisoned_pointer").expect("poisoned registers");
    assert!(f.title.contains("x3, x9, x11"), "{}", f.title);
    // 0x4141414142424242 + 0x14 handed to OSIncrementAtomic.
    let d = run("ios-ips-dataabort-unaligned-iomfb-PARTIAL-01.ips");
    assert!(finding(&d, "poisoned_pointer").is_some());
    // rootsh: "Error code: 0x0000000000000000" with CR2 0x20.
    let d = run("x86-text-pagefault-null-osunserialize-vmware-PARTIAL-01.txt");
    assert!(evidence(&d.findings[0])
        .iter()
        .any(|e| e.ends_with("page not present, read in kernel mode")));
}
