//! `kpanic diagnose` on every log of the corpus. The expected class and suspects of each were
//! decided by reading the log (the reason is in the comment of each case), not by running the
//! code.

use kpanic::output::diagnosis::render_text;
use std::collections::BTreeSet;
use std::path::PathBuf;

use kpanic::diagnose::memory::{MemoryFlag, PageKind, PageSizeSource};
use kpanic::diagnose::suspects::{SeenIn, SuspectCategory};
use kpanic::diagnose::threads::{SiteSource, WaitCategory};
use kpanic::diagnose::{
    catalogue, diagnose, Confidence, Diagnosis, Finding, FindingId, FindingKind, LogFormat,
    PanicClass,
};
use kpanic_report::PanicReport;

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/corpus")
}

fn load(name: &str) -> PanicReport {
    let bytes = std::fs::read(corpus_dir().join(name)).expect("corpus file");
    kpanic_report::parse(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn run(name: &str) -> Diagnosis {
    let d = diagnose(&load(name), None);
    // The text rendering must work for every log too.
    let text = render_text(&d);
    assert!(text.starts_with("Diagnosis: "), "{name}");
    d
}

/// One corpus log: the class of the first finding, the third-party suspects, and finding
/// classes that must be present.
struct Case {
    file: &'static str,
    class: PanicClass,
    suspects: &'static [&'static str],
    findings: &'static [&'static str],
    title_has: &'static [&'static str],
    first: Option<&'static str>,
    named: &'static [&'static str],
    not_first: &'static [&'static str],
}

/// Built field by field: most cases have no suspect or required finding, and their rows say
/// only what they expect.
impl Case {
    const fn file(file: &'static str) -> Case {
        Case {
            file,
            class: PanicClass::Unknown,
            suspects: &[],
            findings: &[],
            title_has: &[],
            first: None,
            named: &[],
            not_first: &[],
        }
    }

    const fn class(self, class: PanicClass) -> Case {
        Case { class, ..self }
    }

    /// The third-party suspects, exactly.
    const fn suspects(self, suspects: &'static [&'static str]) -> Case {
        Case { suspects, ..self }
    }

    const fn findings(self, findings: &'static [&'static str]) -> Case {
        Case { findings, ..self }
    }

    const fn title_has(self, title_has: &'static [&'static str]) -> Case {
        Case { title_has, ..self }
    }

    /// The first suspect (a bundle id).
    const fn first(self, first: &'static str) -> Case {
        Case {
            first: Some(first),
            ..self
        }
    }

    /// Names the text output must mention (`a|b`: either), case-insensitive.
    const fn named(self, named: &'static [&'static str]) -> Case {
        Case { named, ..self }
    }

    /// Kexts and processes that are bystanders here: never the first third-party suspect,
    /// never blamed as the panicked process, never told to be removed.
    const fn not_first(self, not_first: &'static [&'static str]) -> Case {
        Case { not_first, ..self }
    }
}

fn third_party(d: &Diagnosis) -> BTreeSet<String> {
    d.suspects
        .iter()
        .filter(|s| s.third_party)
        .map(|s| s.bundle_id.clone())
        .collect()
}

fn check(c: &Case) {
    let d = run(c.file);
    assert_eq!(d.class, c.class, "{}: {}", c.file, d.headline);
    assert_eq!(d.findings[0].class, c.class, "{}", c.file);
    assert_eq!(d.headline, d.findings[0].title);
    assert!(
        catalogue::CATALOGUE.iter().any(|k| k.id == d.class),
        "{}: class not in the catalogue",
        c.file
    );
    let want: BTreeSet<String> = c.suspects.iter().map(|s| s.to_string()).collect();
    assert_eq!(third_party(&d), want, "{}: third-party suspects", c.file);
    let classes: Vec<&str> = d.findings.iter().map(|f| f.class.as_str()).collect();
    for f in c.findings {
        assert!(classes.contains(f), "{}: no {f} in {classes:?}", c.file);
    }
    for t in c.title_has {
        assert!(
            d.headline.contains(t),
            "{}: headline {:?} lacks {t:?}",
            c.file,
            d.headline
        );
    }
    for f in &d.findings {
        assert!(
            !f.title.is_empty() && !f.explanation.is_empty(),
            "{}",
            c.file
        );
    }
    // Ranked: after the panic class, scores never increase.
    for w in d.findings[1..].windows(2) {
        assert!(w[0].score >= w[1].score, "{}: ranking", c.file);
    }
    if let Some(first) = c.first {
        assert_eq!(
            d.suspects.first().map(|s| s.bundle_id.as_str()),
            Some(first),
            "{}: first suspect",
            c.file
        );
    }
    let text = render_text(&d).to_lowercase();
    for n in c.named {
        assert!(
            n.split('|').any(|alt| text.contains(&alt.to_lowercase())),
            "{}: the text names none of {n:?}",
            c.file
        );
    }
    for n in c.not_first {
        assert_not_blamed(c.file, &d, n);
    }
}

/// `name` is a bystander: never ranked above a suspect the panic implicates, never blamed by
/// a finding that blames, never in a step that says to remove or uninstall it.
fn assert_not_blamed(file: &str, d: &Diagnosis, name: &str) {
    if let Some(s) = d.suspects.first().filter(|s| s.bundle_id == name) {
        let implicated = d.suspects[1..]
            .iter()
            .any(|o| o.in_panicked_backtrace || o.threads > 0);
        assert!(
            !implicated || s.in_panicked_backtrace,
            "{file}: bystander {name} ranked first, above an implicated suspect"
        );
    }
    for f in &d.findings {
        // Findings that blame; naming an Apple kext as the reporter
        // (`apple_kext_in_panic`) or as loaded context is not blame.
        const BLAME: &[&str] = &[
            "third_party_kext_in_backtrace",
            "third_party_kext_in_threads",
            "kext_named_in_panic",
            "panicked_process",
            "test_program",
        ];
        if BLAME.contains(&f.class.as_str()) {
            assert!(
                !f.title.contains(name),
                "{file}: {name} blamed by {}: {}",
                f.class,
                f.title
            );
        }
        for step in &f.next_steps {
            let lc = step.to_lowercase();
            assert!(
                !(step.contains(name) && (lc.contains("remove") || lc.contains("uninstall"))),
                "{file}: a step tells to remove {name}: {step}"
            );
        }
    }
}

const CASES: &[Case] = &[
    // "AMCC0 DCS GROUP 0 CHANNEL 0 M3_AIC_IRQ_EN_FLD error" raised by
    // AppleT6020PlatformErrorHandler.cpp; CPUs failed to halt before it and no stackshot was
    // taken: a memory-controller hardware error report. Loaded kexts are all Apple.
    Case::file("arm64-text-amcc-01.txt")
        .class(PanicClass::PlatformHardwareError)
        .title_has(&["AMCC0"]),
    // "Kernel data abort" in node, far 0x18 and esr 0x96000006 (translation fault): a NULL
    // object's field at +0x18. No kext in the backtrace; kext list all Apple.
    Case::file("arm64-text-dataabort-01.txt")
        .class(PanicClass::KernelDataAbort)
        .findings(&["null_pointer_dereference"])
        .title_has(&["node", "NULL", "0x18"]),
    // "DCP PANIC - ASSERT!AppleDCPDPTXPowerController.cpp:561 No device added after powering on
    // the rails" with an RTKit crash log: the display coprocessor asserted.
    Case::file("arm64-text-dcp-coprocessor-01.txt")
        .class(PanicClass::DcpPanic)
        .title_has(&["DCP", "AppleDCPDPTXPowerController"]),
    // Data abort in logd with far 0x8 (NULL + 8); the only kext in the backtrace is
    // com.apple.iokit.EndpointSecurity: an ES event was being delivered.
    Case::file("arm64-text-endpointsecurity-01.txt")
        .class(PanicClass::KernelDataAbort)
        .findings(&["null_pointer_dereference", "endpoint_security_in_backtrace"])
        .title_has(&["logd", "NULL"]),
    // Data abort in kernel_task, far 0xb, IOUSBHostFamily/AppleUSBCommon (Apple) in the
    // backtrace; no third-party kext loaded.
    Case::file("arm64-text-iousbhost-m1-01.txt")
        .class(PanicClass::KernelDataAbort)
        .findings(&["null_pointer_dereference"])
        .title_has(&["NULL"]),
    // "vm_map_delete(...): failed unexpected with 2 @vm_map.c:7922" in frida-panic: a VM map
    // failure triggered by an instrumentation test program.
    Case::file("arm64-text-vmmap-coredump-01.txt")
        .class(PanicClass::VmMapFailure)
        .findings(&["test_program"])
        .title_has(&["frida-panic"]),
    // "no checkins from watchdogd in 305 seconds ... shutdown in progress": a watchdog panic
    // during shutdown; the text log has no stackshot threads.
    Case::file("arm64-text-watchdog-01.txt")
        .class(PanicClass::WatchdogdTimeout)
        .findings(&["stackshot_missing"])
        .title_has(&["305 s", "shutdown", "not the cause"]),
    // macOS 26 watchdogd timeout, 94 s; kexts list skipped ("see boot kernelcache").
    Case::file("arm64-text-watchdog-macos26-exclaves-01.txt")
        .class(PanicClass::WatchdogdTimeout)
        .findings(&["stackshot_missing"])
        .title_has(&["94 s"]),
    // Slide-extracted fragment: data abort with far 0x989b636263620060, neither user nor
    // kernel: a corrupt pointer (the AppleBCMWLAN CVE trigger).
    Case::file("ios-ips-dataabort-FRAGMENT-slides-01.txt")
        .class(PanicClass::KernelDataAbort)
        .findings(&["corrupt_pointer", "incomplete_log"])
        .title_has(&["non-canonical"]),
    // Old-form "Kernel data abort. (saved state…)" in PoC "multi"; far is a kernel heap address,
    // esr 0x96000047 = write, translation fault level 3. Partial log.
    Case::file("ios-text-dataabort-paniclog11-PARTIAL-01.txt")
        .class(PanicClass::KernelDataAbort)
        .findings(&["incomplete_log"])
        .title_has(&["multi"]),
    // "Undefined kernel instruction: pc=… instr=d518c000": an MSR the platform forbids.
    Case::file("ios-text-undefinstr-paniclog10-01.txt")
        .class(PanicClass::UndefinedInstruction)
        .title_has(&["d518c000"]),
    // "AMFI: inconsistency between instance and monitor context" in WeChat on a VRESEARCH1
    // (virtual iPhone) kernel with AMFI patches.
    Case::file("ios-vresearch-text-amfi-paniclog15-01.txt")
        .class(PanicClass::CodesigningPanic)
        .findings(&["virtual_machine"])
        .title_has(&["WeChat"]),
    // "thread_invoke: preemption_level 1, possible cause: blocking while holding a spinlock";
    // NVIDIA Web Driver kexts (com.nvidia.web.*) are in the backtrace.
    Case::file("x86-text-3rdpartykext-nvidiaweb-01.txt")
        .class(PanicClass::BlockingWithSpinlock)
        .suspects(&[
            "com.nvidia.web.NVDAGK100HalWeb",
            "com.nvidia.web.NVDAResmanWeb",
        ])
        .findings(&["third_party_kext_in_backtrace"])
        .title_has(&["com.nvidia.web.NVDAResmanWeb"]),
    // Fragment without a panic line: the keepsyms backtrace goes kernel_trap → panic and the
    // trap returned into com.alexandred.VoodooI2C (getMultitouchPreferences): a trap in that
    // Hackintosh kext. Its deps VoodooI2CServices and VoodooGPIO are third-party too.
    Case::file("x86-text-3rdpartykext-voodooi2c-FRAGMENT-01.txt")
        .class(PanicClass::IntelKextTrap)
        .suspects(&[
            "com.alexandred.VoodooI2C",
            "com.alexandred.VoodooI2CServices",
            "org.coolstar.VoodooGPIO",
        ])
        .findings(&["third_party_kext_in_backtrace", "hackintosh"])
        .title_has(&["com.alexandred.VoodooI2C"])
        .first("com.alexandred.VoodooI2C"),
    // GP fault (type 13) in the kernel (postpipeevent) in syz-fuzzer, "Fault CPU: 0x1 VMM":
    // RCX = 0xc0ffee… is a zone free-list cookie value.
    Case::file("x86-text-gpf-keepsyms-vmm-PARTIAL-01.txt")
        .class(PanicClass::IntelGeneralProtection)
        .findings(&[
            "poisoned_pointer",
            "virtual_machine",
            "test_program",
            "development_kernel",
        ])
        .title_has(&["postpipeevent", "syz-fuzzer"]),
    // GP fault in lck_mtx_lock_spinwait_x86 with RAX = 0xc0ffee9e… (freed lock), under a VMM.
    Case::file("x86-text-gpf-keepsyms-vmm-PARTIAL-02.txt")
        .class(PanicClass::IntelGeneralProtection)
        .findings(&["poisoned_pointer", "virtual_machine"])
        .title_has(&["lck_mtx_lock_spinwait_x86"]),
    // "Kernel trap at 0xffffff7f89d2e3d1, type 13" and that RIP lies in
    // com.emu.driver.EMUUSBAudio's range: a GP fault inside the third-party audio driver.
    Case::file("x86-text-gpf-kext-emuusbaudio-PARTIAL-01.txt")
        .class(PanicClass::IntelKextTrap)
        .suspects(&["com.emu.driver.EMUUSBAudio"])
        .findings(&["third_party_kext_in_backtrace"])
        .title_has(&["General protection", "com.emu.driver.EMUUSBAudio"])
        .first("com.emu.driver.EMUUSBAudio"),
    // "GPU Panic: … NVRM … Read Error" from AppleMuxControl; NVIDIA kexts in the backtrace are
    // Apple-shipped; com.nvidia.CUDA is the one third-party kext loaded.
    Case::file("x86-text-gpupanic-kextlist-01.txt")
        .class(PanicClass::GpuPanic)
        .suspects(&["com.nvidia.CUDA"])
        .findings(&["known_kexts_loaded"])
        .title_has(&["GPU"]),
    // "IOGMD: not wired for the IODMACommand" @IOMemoryDescriptor.cpp: an IOKit assertion,
    // reached from user space (is_io_connect_method → IOUSBFamily user client).
    Case::file("x86-text-keepsyms-iousb-01.txt")
        .class(PanicClass::KernelAssertion)
        .findings(&["incomplete_log"])
        .title_has(&["IOMemoryDescriptor.cpp", "IOGMD"]),
    // "Sleep transition timed out after 180 seconds … Suspected bundle:
    // com.apple.iokit.IOUSBHostFamily"; boot-args alcid=1 agdpmod=pikera = Hackintosh.
    Case::file("x86-text-keepsyms-sleepwake-hackintosh-01.txt")
        .class(PanicClass::SleepWakeTimeout)
        .findings(&["hackintosh"])
        .title_has(&["180 s", "com.apple.iokit.IOUSBHostFamily"]),
    // IONVMeFamily "Fatal error occurred. CSTS=0x1 … VID=0x144d" (Samsung) on an OpenCore
    // Hackintosh: Lilu, WhateverGreen, AppleALC, VirtualSMC & co. are loaded.
    Case::file("x86-text-nvme-abbrevkexts-01.txt")
        .class(PanicClass::NvmeFatal)
        .suspects(&[
            "as.acidanthera.mieze.IntelMausi",
            "as.vit9696.AppleALC",
            "as.vit9696.Lilu",
            "as.vit9696.SMCProcessor",
            "as.vit9696.VirtualSMC",
            "as.vit9696.WhateverGreen",
            "com.intel.driver.EnergyDriver",
            "ru.joedm.SMCSuperIO",
        ])
        .findings(&["hackintosh"])
        .title_has(&["Samsung", "CSTS=0x1"])
        // The NVMe controller is the cause: the Hackintosh kexts are context.
        .not_first(&[
            "as.vit9696.Lilu",
            "as.vit9696.WhateverGreen",
            "as.vit9696.VirtualSMC",
            "as.vit9696.AppleALC",
        ]),
    // Big Sur NVMe CommandTimeout fatal error; boot-args igfxonln=1 (WhateverGreen) =
    // Hackintosh; no kext list (cut).
    Case::file("x86-text-nvme-bigsur-01.txt")
        .class(PanicClass::NvmeFatal)
        .findings(&["hackintosh"])
        .title_has(&["command timeout"]),
    // Page fault (type 14) in the kernel, CR2 0x40 (NULL + 0x40), in "Google Chrome He"; one
    // third-party kext loaded (iShowU audio capture), not in the backtrace.
    Case::file("x86-text-pagefault-catalina-01.txt")
        .class(PanicClass::IntelPageFault)
        .suspects(&["com.shinywhitebox.iShowU-Audio-Capture"])
        .findings(&["null_pointer_dereference", "known_kexts_loaded"])
        .title_has(&["CR2 0x40", "Google Chrome He"]),
    // Page fault with RIP 0xffffff801b06a6cd inside IOPCIFamily's range (Apple kext), CR2 0x58;
    // boot-args alcid=66 npci=0x2000 = Hackintosh.
    Case::file("x86-text-pagefault-ventura-01.txt")
        .class(PanicClass::IntelKextTrap)
        .findings(&["null_pointer_dereference", "hackintosh"])
        .title_has(&["com.apple.iokit.IOPCIFamily", "CR2 0x58"]),
    // "userspace watchdog timeout: no successful checkins from WindowServer (2 induced
    // crashes) in 120 seconds".
    Case::file("x86-text-userspace-watchdog-sequoia-ABRIDGED-01.txt")
        .class(PanicClass::UserspaceWatchdogTimeout)
        .title_has(&["WindowServer", "120 s"])
        .not_first(&["watchdogd"]),
    // "btn_rst", bug_type 151, OS release type Restore: a forced reset during restore.
    Case::file("ios-ips-forcereset-full-01.ips")
        .class(PanicClass::ForcedReset)
        .findings(&["thread_summary"])
        .title_has(&["restore"]),
    // "AOP PANIC - [EndpointAdapter.cpp:238] assert: … OUTBOX3 not ready".
    Case::file("ios-ips-full-aop-01.ips")
        .class(PanicClass::AopPanic)
        .findings(&["thread_summary"])
        .title_has(&["AOP", "OUTBOX3"]),
    // Data abort in TestPOC, far 0x38 (NULL + 0x38); pongoOS iBoot = jailbroken boot. 1756 free
    // pages of ~254k and pagesWanted 244 is iOS running at its free target (2000 pages), as it
    // does by design: not low memory.
    Case::file("ios-ips-full-ipad-dataabort-U-01.ips")
        .class(PanicClass::KernelDataAbort)
        .findings(&["null_pointer_dereference", "modified_boot", "test_program"])
        .title_has(&["TestPOC", "0x38"]),
    // "Kernel tag check fault" in UAFTester, AppleSEPKeyStore in the backtrace.
    Case::file("ios-ips-full-mte-keystore-01.ips")
        .class(PanicClass::MteTagCheckFault)
        .findings(&["test_program", "thread_summary"])
        .title_has(&["UAFTester", "com.apple.driver.AppleSEPKeyStore"]),
    // "Kernel tag check fault" in TestPOC, IOHIDFamily/AppleSPU in the backtrace.
    Case::file("ios-ips-full-mte-tagfault-02.ips")
        .class(PanicClass::MteTagCheckFault)
        .findings(&["test_program"])
        .title_has(&["TestPOC", "com.apple.iokit.IOHIDFamily"]),
    // "[iokit.IOCommandGate]: element modified after free (off:72, …, sz:80, …)" in Test; free
    // memory 1620 pages of ~229k is iOS near its free target, not low memory.
    Case::file("ios-ips-full-sepkeystore-01.ips")
        .class(PanicClass::ZoneUseAfterFree)
        .findings(&["test_program"])
        .title_has(&["iokit.IOCommandGate", "80 bytes"]),
    // Truncated JSON: data abort with far = x2 = x19 = 0x4141414141414141 in appleclcd_exploi.
    Case::file("ios-ips-panicfull-TRUNCATED-01.ips")
        .class(PanicClass::KernelDataAbort)
        .findings(&["poisoned_pointer", "test_program", "modified_boot"])
        .title_has(&["0x4141414141414141"]),
    // bridgeOS: "Unexpected SoC (system) watchdog reset occurred during sleep/wake transition".
    Case::file("t2-bridgeos-ips-sleepwake-01.panic")
        .class(PanicClass::T2SleepWakeWatchdog)
        .title_has(&["T2"]),
    // macOS 26 watchdogd timeout with a two-process stackshot extract: launchd waits on a
    // krwlock owned by java thread 798645, which is itself TH_WAIT|TH_UNINT.
    Case::file("arm64-panicfull-EXTRACT-macos26-01.json")
        .class(PanicClass::WatchdogdTimeout)
        .findings(&["blocked_lock_owner"])
        .title_has(&["94 s"]),
    // The newer corpus logs (pastes, fragments, OCR, old layouts). Each row was decided by
    // reading the log; EXPERT.md was the second opinion, and where a row differs it says why.
    //
    // A JSON paste of an RTKit coprocessor's own crash: "XXX DATA ABORT @ … Exception
    // class=0x25 … RTKit: RTKit-2062.40.13.debug": the abort is in the coprocessor's firmware, not
    // in the kernel, so the class is the coprocessor's panic, not a kernel data abort.
    Case::file("arm64-ips-coproc-dataabort-anon-FRAGMENT-01.txt")
        .class(PanicClass::CoprocessorPanic)
        .named(&["RTKit"]),
    // OCR'd slide: "Mutex 0x… is unexpectedly owned by thread 0x… @lock_mtx.c:175": a lock
    // assertion on a mutex whose owner word is wrong.
    Case::file("arm64-ips-mutex-perfmon-OCR-FRAGMENT-01.txt")
        .class(PanicClass::LockMisuse)
        .named(&["unexpectedly owned"]),
    // "btn_rst": the power button was held (AppleM68Buttons records it); the only third-party
    // kext loaded is the research kext com.bluefalconhd.Pandora, the first suspect if the Mac
    // hung before the reset. The button driver, HID and autofs only handled the reset.
    Case::file("arm64-text-btnrst-3rdpartykext-macos26beta-01.txt")
        .class(PanicClass::ForcedReset)
        .suspects(&["com.bluefalconhd.Pandora"])
        .first("com.bluefalconhd.Pandora")
        .not_first(&[
            "com.apple.driver.AppleM68Buttons",
            "com.apple.filesystems.autofs",
            "com.apple.iokit.IOHIDFamily",
            "kernel_task",
        ]),
    // Three lines: data abort, far 0x20 (NULL + 0x20), esr 0x96000006; the panicked task is the
    // DriverKit extension net.wizzz.RTL8127Dext, which the report must name.
    Case::file("arm64-text-dataabort-skywalk-dext-FRAGMENT-01.txt")
        .class(PanicClass::KernelDataAbort)
        .suspects(&["net.wizzz.RTL8127Dext"])
        .findings(&["null_pointer_dereference"])
        .named(&["RTL8127Dext"]),
    // "DCP PANIC - IOMFB int_handler_gated: failure: axi_rd_err" with the DCP's RTKit block.
    Case::file("arm64-text-dcp-axirderr-FRAGMENT-01.txt")
        .class(PanicClass::DcpPanic)
        .named(&["axi_rd_err"]),
    // "completeMemory() prepare count underflow" @IOGPUMemory.cpp, IOGPUFamily the only kext in
    // the backtrace: an assertion of Apple's GPU memory manager. EXPERT.md lists
    // kernel_assertion first; gpu_panic is the more useful class (it names the subsystem and
    // its next steps), and the expert allows it.
    Case::file("arm64-text-iogpu-underflow-FRAGMENT-01.txt")
        .class(PanicClass::GpuPanic)
        .named(&["IOGPUFamily"])
        .not_first(&["com.apple.iokit.IOGPUFamily", "node"]),
    // "UAT PPL 0x… (IOUAT): Invalid microPPL magic value found in the handoff region": the GPU's
    // page-table manager, not the CPU's pmap/PPL.
    Case::file("arm64-text-uatppl-magic-FRAGMENT-01.txt")
        .class(PanicClass::GpuPanic)
        .named(&["IOUAT|UAT PPL"]),
    // "zone map exhausted while allocating from zone [VM map entries], likely due to memory leak
    // in zone [VM map entries] (13G, 180906506 elements allocated)".
    Case::file("arm64-text-zonemap-exhausted-FRAGMENT-01.txt")
        .class(PanicClass::ZoneMapExhausted)
        .title_has(&["VM map entries"]),
    // Data abort in the IOMFB/AppleCLCD user client, far 0xffffffe6d7d1e110 (kernel VA past the
    // object), x3 = 0x41414141 (the PoC's index).
    Case::file("ios-ips-dataabort-clcd-ios14-PARTIAL-01.ips").class(PanicClass::KernelDataAbort),
    // Data abort writing far 0x388b5e310: a user-range address in the kernel (NULL + a large
    // controlled offset after a failed kalloc).
    Case::file("ios-ips-dataabort-iomfb-kallocfail-PARTIAL-01.ips")
        .class(PanicClass::KernelDataAbort)
        .findings(&["user_address_in_kernel"]),
    // Only the first line of the panic string survives: "Kernel data abort.".
    Case::file("ios-ips-dataabort-ipad-FRAGMENT-01.ips")
        .class(PanicClass::KernelDataAbort)
        .findings(&["incomplete_log"]),
    // "Unaligned kernel data abort", far 0x4141414142424256: attacker bytes as a pointer.
    Case::file("ios-ips-dataabort-unaligned-iomfb-PARTIAL-01.ips")
        .class(PanicClass::UnalignedAbort)
        .findings(&["poisoned_pointer"]),
    // OCR: "kmem_alloc(0x…, 49152, 0xe10141): failed with 3 @vm_kern.c:178": an allocation that
    // may not fail returned KERN_NO_SPACE.
    Case::file("ios-ips-kmemalloc-OCR-FRAGMENT-01.txt")
        .class(PanicClass::KmemAllocFailure)
        .named(&["KERN_NO_SPACE"]),
    // "pmap_mark_page_as_ppl_page_internal: page still has mappings, pa=0x851684000
    // @pmap_data.c:1054": the PPL refused a page.
    Case::file("ios-ips-pmap-ppl-FRAGMENT-01.ips")
        .class(PanicClass::PmapPanic)
        .named(&["pmap_mark_page_as_ppl_page_internal"]),
    // "[kext.kalloc.80]: element modified after free (off:0, val:0x4141414141414141, sz:80 …)".
    Case::file("ios-ips-zone-uaf-kextkalloc80-PARTIAL-01.ips")
        .class(PanicClass::ZoneUseAfterFree)
        .title_has(&["kext.kalloc.80"]),
    // Data abort with far 0xbfffffe4cb03aee4: a kernel pointer whose bits 62:61 hold 0b01, the
    // error code a failed AUTDA leaves (ARMv8.3 without FPAC): a PAC failure, not a random
    // non-canonical pointer.
    Case::file("ios-text-dataabort-pacptr-corellium-PARTIAL-01.txt")
        .class(PanicClass::PacFailure)
        .named(&["0xbfffffe4cb03aee4"]),
    // iOS 9 "Kernel instruction fetch abort" in cl0ver (the exploit process, named).
    Case::file("ios-text-instrabort-ios9-paniclog5-01.txt")
        .class(PanicClass::KernelInstructionAbort)
        .named(&["cl0ver"]),
    // "Invalid waitq: 0xffffffe21b45a620 @waitq.c:3512".
    Case::file("ios-text-waitq-corellium-PARTIAL-01.txt")
        .class(PanicClass::WaitqCorruption)
        .named(&["0xffffffe21b45a620"]),
    // "[default.kalloc.80]: element modified after free (off:0, val:0x4141414141414141 …)".
    Case::file("ios-text-zone-uaf-corellium-PARTIAL-02.txt")
        .class(PanicClass::ZoneUseAfterFree)
        .title_has(&["default.kalloc.80"]),
    // A .panic JSON: IONVMeController "Command timeout … CSTS=0x1 … VID=0x1c5c DID=0x174a" (SK
    // hynix). IONVMeFamily reported it; kernel_task only ran the timer.
    Case::file("x86-panic-nvme-timeout-amdhackintosh-01.panic")
        .class(PanicClass::NvmeFatal)
        .named(&["1c5c", "IONVMeFamily|IONVMeController"])
        .not_first(&["com.apple.iokit.IONVMeFamily", "kernel_task"]),
    // The paste lost its first character ("anic(cpu 8 …"): "Bad tailq elm 0x… next->prev !=
    // elm" in vfs_subr.c during sync(): a corrupt vnode list; apfs and launchd only noticed.
    Case::file("x86-text-badtailq-vfs-i210-hackintosh-01.txt")
        .class(PanicClass::QueueCorruption)
        .findings(&["hackintosh"])
        .not_first(&["com.apple.filesystems.apfs", "launchd"]),
    // "trying to interlock destroyed mutex (0x…)" in kernel_task, no kext in the backtrace.
    Case::file("x86-text-destroyedmutex-yosemite-01.txt")
        .class(PanicClass::DestroyedMutex)
        .not_first(&[
            "com.apple.driver.AppleUSBCDC",
            "com.apple.filesystems.msdosfs",
            "kernel_task",
        ]),
    // "Kernel trap at 0xffffff7f8feeeb76, type 13=general protection" inside Apple's
    // IOAcceleratorFamily2 with RAX 0x4141414141414141: a GP fault in that kext on a sprayed
    // pointer. intel_kext_trap (the trap is inside a kext) is one of the expert's classes.
    Case::file("x86-text-gpf-ioaccel-0x41-CRLF-PARTIAL-01.txt")
        .class(PanicClass::IntelKextTrap)
        .named(&["IOAcceleratorFamily2"])
        .not_first(&["com.apple.iokit.IOAcceleratorFamily2"]),
    // "IOAccelLegacyDisplayMachine::display_mode_did_change: AMDRadeonAccelerator driver returns
    // false" in WindowServer 10 s after boot: the AMD GPU driver failed a mode change.
    Case::file("x86-text-gpu-amd-displaymodechange-01.txt")
        .class(PanicClass::GpuPanic)
        .named(&["AMDRadeonAccelerator"])
        .not_first(&[
            "WindowServer",
            "com.apple.iokit.IOAcceleratorFamily2",
            "com.apple.iokit.IOGraphicsFamily",
            "com.apple.kext.AMDFramebuffer",
        ]),
    // "[IGPU] Failed to wake the ME." from GPUDriversIntel IGGuC.cpp (AppleIntelKBLGraphics
    // called panic): an integrated-GPU hang. VirtualBox, Karabiner and HAXM are loaded but not
    // in the backtrace: context, not the cause.
    Case::file("x86-text-igpu-failedtowakeME-kbl-01.txt")
        .class(PanicClass::GpuPanic)
        .suspects(&[
            "com.intel.kext.intelhaxm",
            "org.pqrs.driver.Karabiner.VirtualHIDDevice.v060600",
            "org.virtualbox.kext.VBoxDrv",
            "org.virtualbox.kext.VBoxNetAdp",
            "org.virtualbox.kext.VBoxNetFlt",
            "org.virtualbox.kext.VBoxUSB",
        ])
        .named(&["AppleIntelKBLGraphics"])
        .not_first(&[
            "com.apple.driver.AppleIntelKBLGraphics",
            "com.apple.driver.usb.cdc.acm",
            "com.apple.iokit.IOGraphicsFamily",
            "com.intel.kext.intelhaxm",
            "kernel_task",
            "org.pqrs.driver.Karabiner.VirtualHIDDevice.v060600",
            "org.virtualbox.kext.VBoxDrv",
            "org.virtualbox.kext.VBoxNetAdp",
            "org.virtualbox.kext.VBoxNetFlt",
            "org.virtualbox.kext.VBoxUSB",
        ]),
    // "kfree: addr 0xffffffba7b14bd16, size 2 (offs:0) not found in any zone" called from
    // wch.usb.usb's merWriteComplete (keepsyms frame; the kext is in the backtrace list).
    Case::file("x86-text-kfree-notinzone-wchusb-oclp-01.txt")
        .class(PanicClass::InvalidKfree)
        .suspects(&["wch.usb.usb"])
        .first("wch.usb.usb")
        .not_first(&[
            "com.apple.driver.usb.AppleUSBCommon",
            "com.apple.iokit.IOUSBFamily",
            "com.apple.iokit.IOUSBHostFamily",
            "kernel_task",
        ]),
    // "NVRM[0/1:0:0]: Read Error 0x00000100: CFG 0xffffffff …": the NVIDIA GPU fell off the bus.
    Case::file("x86-text-nvrm-readerror-mbp62-PARTIAL-01.txt")
        .class(PanicClass::GpuPanic)
        .named(&["NVRM"])
        .not_first(&[
            "com.apple.GeForce",
            "com.apple.NVDAResman",
            "com.apple.nvidia.nv50hal",
            "kernel_task",
        ]),
    // Page fault (type 14) in the kernel with IOAcceleratorFamily2 and AppleIntelHD4000Graphics
    // in the backtrace; Chrome's GPU helper only submitted the work.
    Case::file("x86-text-pagefault-intelhd4000-yosemite-01.txt")
        .class(PanicClass::IntelPageFault)
        .named(&["AppleIntelHD4000Graphics", "IOAcceleratorFamily2"])
        .not_first(&[
            "com.apple.driver.AppleIntelHD4000Graphics",
            "com.apple.driver.AppleUSBCDC",
            "com.apple.iokit.IOAcceleratorFamily2",
            "com.apple.iokit.IOBluetoothUSBDFU",
        ]),
    // Page fault at NULL + 0x20 inside the kernel's OSUnserializeBinary (keepsyms) in rootsh.
    Case::file("x86-text-pagefault-null-osunserialize-vmware-PARTIAL-01.txt")
        .class(PanicClass::IntelPageFault)
        .findings(&["null_pointer_dereference"])
        .named(&["OSUnserializeBinary", "rootsh"]),
    // "AppleIntelFramebuffer::setPowerState(…, 1 -> 0) timed out after 45938 ms"
    // @IOServicePM.cpp: the driver did not acknowledge a power-state change.
    Case::file("x86-text-setpowerstate-timeout-intelfb-PARTIAL-01.txt")
        .class(PanicClass::PowerStateChangeTimeout)
        .title_has(&["AppleIntelFramebuffer"])
        .not_first(&["kernel_task"]),
    // "vm_page_check_pageable_safe: trying to add page from compressor object … to pageable
    // queue" @vm_resident.c, reached from Python through IOHIDFamily.
    Case::file("x86-text-vmpage-compressor-iohid-PARTIAL-01.txt")
        .class(PanicClass::VmPageStatePanic)
        .named(&["IOHIDFamily"])
        .not_first(&["com.apple.iokit.IOHIDFamily", "Python"]),
    // One line: "a freed zone element has been modified in zone kalloc.4096: expected 0x… but
    // found 0x…": the older wording of a use-after-free.
    Case::file("x86-text-zone-freed-modified-kalloc4096-FRAGMENT-01.txt")
        .class(PanicClass::ZoneUseAfterFree)
        .title_has(&["kalloc.4096"]),
    // "zone_require_ro failed: element improperly aligned (addr: 0x…)" in xpcproxy. The source
    // says a QEMU/KVM guest, but nothing in the log shows it (no VMM flag, a MacPro7,1 model
    // with a masked board id), so no virtual-machine finding is required.
    Case::file("x86-text-zonerequire-qemukvm-sonoma-01.txt")
        .class(PanicClass::ZoneRequire)
        .not_first(&["com.apple.driver.AppleKeyStore", "xpcproxy"]),
];

#[test]
fn every_corpus_log_has_a_case() {
    let mut names: Vec<String> = std::fs::read_dir(corpus_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".tsv") && !n.ends_with(".md"))
        .collect();
    names.sort();
    for n in &names {
        assert!(
            CASES.iter().any(|c| c.file == n),
            "{n} has no diagnosis case"
        );
    }
}

/// Every real log of the corpus is read as a panic (none refused) and gets a known class,
/// never an "Unrecognised" headline.
#[test]
fn no_corpus_log_is_refused_or_unrecognised() {
    let mut bad = Vec::new();
    for e in std::fs::read_dir(corpus_dir()).unwrap() {
        let path = e.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.ends_with(".tsv") || name.ends_with(".md") {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        match kpanic_report::parse(&bytes) {
            Err(e) => bad.push(format!("{name}: refused: {e}")),
            Ok(r) => {
                let d = diagnose(&r, None);
                if d.class == PanicClass::Unknown || d.headline.contains("nrecognised") {
                    bad.push(format!("{name}: {}", d.headline));
                }
            }
        }
    }
    assert!(bad.is_empty(), "{bad:#?}");
}

#[test]
fn corpus_text_logs() {
    for c in CASES
        .iter()
        .filter(|c| !c.file.contains("-full-") && !c.file.contains("EXTRACT"))
    {
        check(c);
    }
}

#[test]
fn corpus_full_panics() {
    for c in CASES
        .iter()
        .filter(|c| c.file.contains("-full-") || c.file.contains("EXTRACT"))
    {
        check(c);
    }
}

fn finding<'a>(d: &'a Diagnosis, id: &str) -> &'a Finding {
    let id: FindingId = id.parse().expect("a finding id");
    d.findings
        .iter()
        .find(|f| f.class == id)
        .unwrap_or_else(|| panic!("no {id}"))
}

/// Asserts that some evidence line of `f` passes `test`.
#[track_caller]
fn assert_evidence(f: &Finding, test: impl Fn(&str) -> bool) {
    let ev: Vec<&str> = f.evidence.iter().map(|e| e.text.as_str()).collect();
    assert!(ev.iter().any(|e| test(e)), "{}: {ev:?}", f.class);
}

/// The zeroxjf MTE keystore panic: 3,152 threads. Counted independently with python3 over
/// processByPid (states, continuations of waiting threads without kernel frames, waitInfo).
#[test]
fn keystore_thread_counts() {
    let d = run("ios-ips-full-mte-keystore-01.ips");
    let t = d.threads.as_ref().expect("threads");
    assert_eq!(t.processes, 471);
    assert_eq!(t.threads, 3152);
    assert_eq!(t.by_state["TH_WAIT"], 2424);
    assert_eq!(t.by_state["TH_WAIT|TH_UNINT"], 644);
    assert_eq!(t.by_state["TH_RUN"], 77);
    assert_eq!(t.by_state["TH_RUN|TH_IDLE"], 6);
    assert_eq!(t.by_state["TH_WAIT|TH_RUN"], 1);
    assert_eq!(t.waiting, 3069);
    assert_eq!(t.uninterruptible, 644);
    assert_eq!(t.runnable, 78);
    assert_eq!(t.idle, 6);
    assert_eq!(t.with_kernel_frames, 78);
    assert_eq!(t.with_continuation, 3076);
    // The six biggest wait sites are continuations: [1, 5289652] = kernel+0x50b6b4 …
    let top: Vec<(Option<[u64; 2]>, usize)> = t
        .wait_sites
        .iter()
        .take(6)
        .map(|s| (s.frame, s.threads))
        .collect();
    assert_eq!(
        top,
        vec![
            (Some([1, 5289652]), 724),
            (Some([1, 858468]), 694),
            (Some([1, 143964]), 552),
            (Some([1, 7976108]), 447),
            (Some([1, 5732904]), 155),
            (Some([29, 18508]), 131),
        ]
    );
    assert_eq!(t.wait_sites[0].site, "kernel+0x50b6b4 (continuation)");
    assert_eq!(t.wait_sites[0].source, SiteSource::Continuation);
    // 447 threads of kernel_task in one uninterruptible continuation.
    assert_eq!(t.wait_sites[3].uninterruptible, 447);
    assert_eq!(t.wait_sites[3].processes, vec!["kernel_task (0): 447"]);
    // Scheduler frames found by counting: [1,668216] (72 of 78 stacks) and [1,662848] (71).
    assert_eq!(t.blocking_frames, vec![[1, 668216], [1, 662848]]);
    // waitInfo kinds.
    let kind = |k: &str| t.wait_kinds.iter().find(|w| w.kind == k).map(|w| w.threads);
    assert_eq!(kind("mach_msg receive on port set"), Some(529));
    assert_eq!(kind("pthread condvar"), Some(131));
    assert_eq!(kind("semaphore port"), Some(127));
    assert_eq!(kind("kernel mutex"), Some(4));
    // The panicked thread holds the kernel mutex four threads wait for.
    let o = &t.lock_owners[0];
    assert_eq!((o.owner_tid, o.waiters), (3876991, 4));
    assert_eq!(o.owner_process.as_deref(), Some("UAFTester"));
    let p = t.panicked.as_ref().expect("panicked thread");
    assert_eq!((p.pid, p.tid), (17598, 3876991));
    assert_eq!(p.state, vec!["TH_RUN"]);
    // Memory, 16 KiB pages from the log.
    let m = d.memory.as_ref().unwrap();
    assert_eq!(m.page_size, 16384);
    assert_eq!(m.pages[&PageKind::Free], 129749);
    assert_eq!(m.bytes[&PageKind::Free], 129749 * 16384);
    assert_eq!(m.pages[&PageKind::Total], 658068 + 88227);
    assert!(m.flags.is_empty(), "{:?}", m.flags);
}

#[test]
fn memory_is_read_with_the_page_size_of_the_log() {
    let d = run("ios-ips-full-ipad-dataabort-U-01.ips");
    let m = d.memory.as_ref().unwrap();
    assert_eq!(m.page_size, 16384);
    assert_eq!(m.page_size_source, PageSizeSource::Log);
    assert_eq!(m.pages[&PageKind::Free], 1756);
    // 0.69 % free is how iOS runs (free + pagesWanted 244 = its 2000-page free target): not
    // flagged (tests/stall.rs has the platform thresholds).
    assert!(m.free_percent.unwrap() < 1.0);
    assert!(!m.has(MemoryFlag::LowFreeMemory) && !m.has(MemoryFlag::MemoryPressure));
    // Intel text logs: 4 KiB by default, compressor line parsed.
    let d = run("x86-text-userspace-watchdog-sequoia-ABRIDGED-01.txt");
    let m = d.memory.as_ref().unwrap();
    assert_eq!(
        (m.page_size, m.page_size_source.as_str()),
        (4096, "default")
    );
    assert_eq!(m.swapfiles, Some(7));
    assert_eq!(m.compressor_segments_limit_percent, Some(9));
}

#[test]
fn fault_details() {
    // far 0x18 with esr 0x96000006: a read, translation fault level 2.
    let d = run("arm64-text-dataabort-01.txt");
    assert_evidence(&d.findings[0], |e| {
        e.contains("translation fault, level 2") && e.contains("on a read")
    });
    // The panic line is quoted with its line index.
    assert_eq!(d.findings[0].evidence[0].line, Some(0));
    // 0x4141… in far and in x2/x19.
    let d = run("ios-ips-panicfull-TRUNCATED-01.ips");
    assert_evidence(finding(&d, "poisoned_pointer"), |e| {
        e.contains("x2") && e.contains("x19")
    });
    // GP fault: the register holding the poisoned value is named, CR2 is called stale.
    let d = run("x86-text-gpf-keepsyms-vmm-PARTIAL-02.txt");
    assert!(finding(&d, "poisoned_pointer").evidence[0]
        .text
        .starts_with("RAX = 0xc0ffee9e0fce50c0"));
    assert_evidence(&d.findings[0], |e| e.contains("stale"));
    // User-client entry path of the IOGMD assertion.
    let d = run("x86-text-keepsyms-iousb-01.txt");
    assert_evidence(&d.findings[0], |e| e.contains("user-client"));
}

#[test]
fn watchdog_services_and_cores() {
    let d = run("x86-text-userspace-watchdog-sequoia-ABRIDGED-01.txt");
    assert_evidence(&d.findings[0], |e| {
        e.starts_with("[HUNG] service: WindowServer")
    });
    let ok = d.findings[0]
        .evidence
        .iter()
        .filter(|e| e.text.starts_with("[ok]"))
        .count();
    assert_eq!(ok, 4);
    let d = run("arm64-text-watchdog-macos26-exclaves-01.txt");
    assert_evidence(&d.findings[0], |e| {
        e.starts_with("4 of 9 other cores sat at the same PC")
    });
}

#[test]
fn suspects_carry_where_they_were_seen() {
    let d = run("x86-text-3rdpartykext-nvidiaweb-01.txt");
    let s = &d.suspects[0];
    assert_eq!(s.bundle_id, "com.nvidia.web.NVDAResmanWeb");
    assert_eq!(s.known_as.as_deref(), Some("NVIDIA Web Driver"));
    assert_eq!(s.category, SuspectCategory::Gpu);
    assert!(s.in_panicked_backtrace);
    assert_eq!(s.backtrace_frames, 5);
    let d = run("x86-text-pagefault-catalina-01.txt");
    let s = &d.suspects[0];
    assert!(!s.in_panicked_backtrace);
    assert_eq!(s.seen_in, vec![SeenIn::LoadedKexts]);
}

/// The first column of the markdown table under `heading`: the identifiers it lists.
fn table_ids<'a>(doc: &'a str, heading: &str) -> Vec<&'a str> {
    let section = doc.split(heading).nth(1).expect(heading);
    let section = section.split("\n## ").next().unwrap_or(section);
    section
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split('`').next())
        .collect()
}

/// The first line of `doc` that starts with `start`.
fn doc_line<'a>(doc: &'a str, start: &str) -> &'a str {
    doc.lines()
        .find(|l| l.starts_with(start))
        .unwrap_or_else(|| panic!("no {start:?} in docs/diagnose.md"))
}

/// `line` (`| `field` | `a`, `b` |` or `- `field`: `a`, `b``) lists exactly `ids`, each in
/// backticks: every id is there, and there are as many identifiers as ids.
#[track_caller]
fn documents_exactly(line: &str, ids: &[&str]) {
    for id in ids {
        assert!(line.contains(&format!("`{id}`")), "{id} not in {line:?}");
    }
    let listed = line
        .split('`')
        .skip(3)
        .step_by(2)
        .filter(|w| w.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        .count();
    assert_eq!(listed, ids.len(), "{line:?} lists other identifiers");
}

#[test]
fn every_closed_set_is_documented() {
    let doc = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/diagnose.md"),
    )
    .expect("docs/diagnose.md");
    documents_exactly(
        doc_line(&doc, "| `kind` |"),
        &FindingKind::ALL
            .iter()
            .map(|k| k.as_str())
            .collect::<Vec<_>>(),
    );
    documents_exactly(
        doc_line(&doc, "| `confidence` |"),
        &Confidence::ALL
            .iter()
            .map(|k| k.as_str())
            .collect::<Vec<_>>(),
    );
    documents_exactly(
        doc_line(&doc, "| `category` |"),
        &SuspectCategory::ALL
            .iter()
            .map(|k| k.as_str())
            .collect::<Vec<_>>(),
    );
    documents_exactly(
        doc_line(&doc, "| `seen_in` |"),
        &SeenIn::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
    );
    documents_exactly(
        doc_line(&doc, "| `page_size_source` |"),
        &PageSizeSource::ALL
            .iter()
            .map(|k| k.as_str())
            .collect::<Vec<_>>(),
    );
    documents_exactly(
        doc_line(&doc, "| `flags` |"),
        &MemoryFlag::ALL
            .iter()
            .map(|k| k.as_str())
            .collect::<Vec<_>>(),
    );
    documents_exactly(
        doc_line(&doc, "- `category`: "),
        &WaitCategory::ALL
            .iter()
            .map(|k| k.as_str())
            .collect::<Vec<_>>(),
    );
    for k in PageKind::ALL {
        assert!(
            doc_line(&doc, "| `pages` |").contains(&format!("`{k}`")),
            "{k}"
        );
    }
    for s in SiteSource::ALL {
        assert!(doc.contains(&format!("- `source: {s}` —")), "source {s}");
    }
    let format = doc_line(&doc, "      \"format\": ");
    for f in LogFormat::ALL {
        assert!(format.contains(&format!("\"{f}\"")), "format {f}");
    }
}

#[test]
fn every_finding_id_is_documented_and_every_documented_id_exists() {
    let doc = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/diagnose.md"),
    )
    .expect("docs/diagnose.md");
    // The panic classes: the doc's table, the enum and the catalogue list the same classes.
    let documented: BTreeSet<&str> = table_ids(&doc, "\n## Panic classes\n")
        .into_iter()
        .collect();
    let classes: BTreeSet<&str> = PanicClass::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(documented, classes, "docs/diagnose.md panic classes");
    let catalogued: Vec<PanicClass> = catalogue::CATALOGUE.iter().map(|c| c.id).collect();
    assert_eq!(
        catalogued.len(),
        PanicClass::ALL.len(),
        "one entry per class"
    );
    for c in PanicClass::ALL {
        assert!(catalogued.contains(c), "{c} not in the catalogue");
        assert_eq!(catalogue::info(*c).id, *c);
    }
    // The other findings: the doc's table and the identifiers, each with its kind.
    let other = table_ids(&doc, "\n## Other finding classes\n");
    let ids: BTreeSet<&str> = FindingId::all()
        .filter(|i| !matches!(i, FindingId::Class(_)))
        .map(|i| i.as_str())
        .collect();
    assert_eq!(other.iter().copied().collect::<BTreeSet<_>>(), ids);
    for row in doc
        .split("\n## Other finding classes\n")
        .nth(1)
        .unwrap()
        .lines()
        .filter(|l| l.starts_with("| `"))
    {
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        let id: FindingId = cells[1].trim_matches('`').parse().expect(row);
        let kind = serde_json::to_value(id.kind()).unwrap();
        assert_eq!(kind, cells[2], "{row}");
    }
}

/// Diagnosis never panics, whatever part of a log it gets.
#[test]
fn truncated_inputs_do_not_panic() {
    for entry in std::fs::read_dir(corpus_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "tsv" || e == "md") {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        let cuts: Vec<usize> = if bytes.len() > 200_000 {
            vec![bytes.len() / 3, bytes.len() * 2 / 3, bytes.len() - 7]
        } else {
            (1..16).map(|i| bytes.len() * i / 16).collect()
        };
        for cut in cuts {
            if let Ok(r) = kpanic_report::parse(&bytes[..cut]) {
                let d = diagnose(&r, None);
                let _ = render_text(&d);
                let _ = serde_json::to_string(&d).unwrap();
            }
        }
    }
    for junk in [
        &b""[..],
        b"panic(",
        b"{}",
        b"{\"bug_type\":\"210\"}\n{",
        b"\xff\xfe garbage",
    ] {
        if let Ok(r) = kpanic_report::parse(junk) {
            let _ = render_text(&diagnose(&r, None));
        }
    }
}

/// With symbols, waiting threads are grouped by the function they wait in, past the
/// scheduler's frames. Here the symbolication is built by hand over the force-reset full
/// panic: 12 of its threads with kernel frames are named thread_invoke → thread_block_reason
/// → vm_page_wait; as a forced reset is how a hung device ends, they make a system stall.
#[test]
fn symbols_group_threads_by_function() {
    use kpanic::symbolicate::{
        PanicPathCheck, PanicPathResult, Summary, Symbolication, ThreadFrames,
    };
    use kpanic::{Frame, Unresolved};
    use kpanic_common::AddrKind;
    use kpanic_symbols::SymFrame;

    let report = load("ios-ips-forcereset-full-01.ips");
    let named = |f: &kpanic_report::StackFrame, name: &str| {
        let mut frame = Frame::new(None, AddrKind::ReturnAddress, Unresolved::NoSymbol);
        frame.frame = Some([f.image, f.offset.get()]);
        frame.image = Some("kernel.release.t8020".into());
        frame.symbols = Ok(vec![SymFrame {
            function: Some(name.to_string()),
            file: None,
            line: None,
            column: None,
            symbol_offset: None,
        }]);
        frame
    };
    let sd = report.spindump.as_ref().unwrap();
    let mut threads = Vec::new();
    let mut named_vm = 0;
    for p in &sd.processes {
        for t in &p.threads {
            if t.kernel_frames.len() < 3 || !t.state.iter().any(|s| s == "TH_WAIT") {
                continue;
            }
            let vm = named_vm < 12;
            if vm {
                named_vm += 1;
            }
            let frames = t
                .kernel_frames
                .iter()
                .enumerate()
                .map(|(i, f)| {
                    let n = match i {
                        0 => "thread_invoke",
                        1 => "thread_block_reason",
                        2 if vm => "vm_page_wait",
                        2 => "semaphore_wait_internal",
                        3 if !vm => "some_driver_wait",
                        _ => "caller",
                    };
                    named(f, n)
                })
                .collect();
            threads.push(ThreadFrames {
                pid: p.pid,
                process: p.name.clone(),
                tid: t.id,
                name: t.name.clone(),
                panicked: false,
                continuation: None,
                kernel_frames: frames,
            });
        }
    }
    assert_eq!(named_vm, 12);
    let named_frames: usize = threads.iter().map(|t| t.kernel_frames.len()).sum();
    let sym = Symbolication {
        caller: None,
        registers: Vec::new(),
        cores: Vec::new(),
        backtrace: Vec::new(),
        threads,
        images: Vec::new(),
        summary: Summary {
            frames: named_frames,
            resolved: named_frames,
            panic_path: PanicPathCheck {
                result: PanicPathResult::NotChecked,
                matched: Vec::new(),
                kernel_has_symbols: true,
            },
            keepsyms: None,
        },
        warnings: Vec::new(),
        symbol_source_warnings: Vec::new(),
    };
    let d = diagnose(&report, Some(&sym));
    assert!(d.symbolicated);
    let t = d.threads.as_ref().unwrap();
    let vm = t
        .wait_sites
        .iter()
        .find(|s| s.site == "vm_page_wait")
        .expect("vm_page_wait site");
    assert_eq!(vm.threads, 12);
    assert_eq!(vm.category, WaitCategory::Vm);
    assert_eq!(vm.function.as_deref(), Some("vm_page_wait"));
    assert!(t.wait_sites.iter().any(|s| s.site == "some_driver_wait"));
    let stall = finding(&d, "system_stall");
    assert!(
        stall.title.starts_with("12 threads were blocked in the VM"),
        "{}",
        stall.title
    );
    // Without symbols the same log has no stall finding.
    let plain = diagnose(&report, None);
    assert!(plain
        .findings
        .iter()
        .all(|f| f.class.as_str() != "system_stall"));
}
