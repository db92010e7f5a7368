//! The panic classes against the messages the kernel really writes.
//!
//! Each row is a panic message as xnu (or the Apple driver named) formats it, with the format
//! string's arguments filled in, and where it comes from: the xnu file and the release tag of
//! apple-oss-distributions/xnu, or the corpus log (testdata/corpus) or public report it was
//! read from. Older wordings matter as much as new ones: logs from every OS version are
//! diagnosed. Each message is put on a `panic(cpu N caller 0x…)` line, parsed and diagnosed
//! like a log, and must get its class.

use std::collections::BTreeSet;
use std::path::PathBuf;

use kpanic::diagnose::{diagnose, Diagnosis, PanicClass};
use PanicClass::*;

/// A real panic message and the class it must get.
struct Row {
    message: &'static str,
    source: &'static str,
    class: PanicClass,
}

const fn row(message: &'static str, source: &'static str, class: PanicClass) -> Row {
    Row {
        message,
        source,
        class,
    }
}

/// A text panic log holding `message` as xnu prints it.
fn log_of(message: &str) -> String {
    format!(
        "panic(cpu 2 caller 0xfffffe0012345678): {message}\nDebugger message: panic\nOS version: 23F79\n"
    )
}

fn diagnose_text(text: &str) -> Diagnosis {
    let report = kpanic_report::parse(text.as_bytes()).expect("the log parses");
    diagnose(&report, None)
}

fn corpus(name: &str) -> Diagnosis {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/corpus")
        .join(name);
    let bytes = std::fs::read(&path).expect("corpus file");
    diagnose(
        &kpanic_report::parse(&bytes).expect("corpus log parses"),
        None,
    )
}

static ROWS: &[Row] = &[
    // --- Wordings added after probing the classes with messages of real reports -------------
    row(
        "initproc exited -- exit reason namespace 7 subcode 0x1 description: none",
        "xnu-11417.101.15 bsd/kern/kern_exit.c proc_handle_critical_exit (\"%s %s -- exit reason namespace %d subcode 0x%llx description: %.800s\")",
        InitProcessExited,
    ),
    row(
        " initproc failed to start -- exit reason namespace 3 subcode 0x1 description: CODESIGNING",
        "xnu-11417.101.15 bsd/kern/kern_exit.c (launchd not yet spawned; a code-signing description must not pick codesigning_panic)",
        InitProcessExited,
    ),
    row(
        "launchd[1] exited -- no exit reason available -- (signal 6, exit status 0 )",
        "xnu-11417.101.15 bsd/kern/kern_exit.c (\"%s -- no exit reason available -- (signal %d, exit status %d %s)\", a process named by name[pid])",
        InitProcessExited,
    ),
    row(
        "\"Process 1 exec of /sbin/launchd failed, errno 2\"@/SourceCache/xnu/xnu-2422.1.72/bsd/kern/kern_exec.c:3946",
        "xnu-11417.101.15 bsd/kern/kern_exec.c load_init_program (\"Process 1 exec of %s failed, errno %d\"), OS X 10.9 location",
        InitProcessExited,
    ),
    row(
        "Unexpected SoC (system) watchdog reset occurred after panic diagnostics were collected",
        "bridgeOS (T2) panic reports, the SoC watchdog outside sleep/wake",
        HardwareWatchdogTimeout,
    ),
    row(
        "x86 global reset detected",
        "bridgeOS (T2) panic reports: the Intel side reset under the T2",
        PlatformHardwareError,
    ),
    row(
        "DART(DISP0) error: SID 0 PTE invalid exception on read of DVA 0x1e8e4000 (SEG 0 PTE 0x3a3)",
        "Apple silicon panic reports (the display DART: a device DMA outside its mappings)",
        PlatformHardwareError,
    ),
    row(
        "Sleep Wake failure in EFI",
        "Intel Mac panic reports (2018-2020 models with a T2): the firmware's sleep/wake failure",
        SleepWakeTimeout,
    ),
    row(
        "Machine Check at 0xffffff8012345678, registers:",
        "xnu-11417.101.15 osfmk/i386/trap_native.c panic_machine_check64 (panic_64's \"%s at 0x%016llx, registers:\")",
        PlatformHardwareError,
    ),
    // --- Stalls and resets -------------------------------------------------------------
    row(
        "watchdog timeout: no checkins from watchdogd in 305 seconds (511 totalcheckins since monitoring last enabled), shutdown in progress",
        "corpus arm64-text-watchdog-01.txt (AppleARMWatchdogTimer)",
        WatchdogdTimeout,
    ),
    row(
        "watchdog timeout: no checkins from watchdogd in 94 seconds (1536 total checkins since monitoring last enabled)",
        "corpus arm64-text-watchdog-macos26-exclaves-01.txt",
        WatchdogdTimeout,
    ),
    row(
        "userspace watchdog timeout: no successful checkins from WindowServer (2 induced crashes) in 120 seconds",
        "corpus x86-text-userspace-watchdog-sequoia-ABRIDGED-01.txt (watchdogd)",
        UserspaceWatchdogTimeout,
    ),
    row(
        "userspace watchdog timeout: no successful checkins from remoted since wake",
        "rugarciap/Turbo-Boost-Switcher#213 (macOS on Intel, watchdogd after wake)",
        UserspaceWatchdogTimeout,
    ),
    row(
        "CPU3 has failed to respond to cross-call after 10000000 nanoseconds (timeout = 10000000 ns)",
        "osfmk/arm/cpu_common.c, xnu-11417.101.15",
        HardwareWatchdogTimeout,
    ),
    row(
        "TLB invalidation IPI timeout, unresponsive CPU bitmap: 0x4, NMIPI acks: 0x0, now: 0x1a2b3c, deadline: 1715004",
        "osfmk/x86_64/pmap.c, xnu-4570.1.46",
        HardwareWatchdogTimeout,
    ),
    row(
        "CPU 2 was unable to immediate-IPI CPU 5 within 100ms",
        "osfmk/arm64/cpu.c, xnu-11417.101.15",
        HardwareWatchdogTimeout,
    ),
    row(
        "Unexpected SoC (system) watchdog reset occurred during sleep/wake transition",
        "corpus t2-bridgeos-ips-sleepwake-01.panic (bridgeOS)",
        T2SleepWakeWatchdog,
    ),
    row(
        "macOS watchdog detected",
        "bazelbuild/continuous-integration#323 (Bridge OS 2.3.2 panic string)",
        T2MacosWatchdog,
    ),
    row(
        "btn_rst",
        "corpus arm64-text-btnrst-3rdpartykext-macos26beta-01.txt (AppleM68Buttons)",
        ForcedReset,
    ),
    row(
        "\"AppleIntelFramebuffer::setPowerState(0xffffff835c3b6000 : 0xffffff7f975f5d88, 1 -> 0) timed out after 45938 ms\"@/AppleInternal/BuildRoot/Library/Caches/com.apple.xbs/Sources/xnu/xnu-6153.101.6/iokit/Kernel/IOServicePM.cpp:5296",
        "corpus x86-text-setpowerstate-timeout-intelfb-PARTIAL-01.txt; iokit/Kernel/IOServicePM.cpp, xnu-6153.11.26",
        PowerStateChangeTimeout,
    ),
    row(
        "AppleUSBXHCI::setPowerState(0xffffff80345a6000, 3 -> 2) timed out after 30000 ms @IOServicePM.cpp:5296",
        "iokit/Kernel/IOServicePM.cpp, xnu-4570.1.46 (no callout address before 10.14)",
        PowerStateChangeTimeout,
    ),
    row(
        "Sleep transition timed out after 180 seconds while calling power state change callbacks. Suspected bundle: com.apple.iokit.IOUSBHostFamily. Thread 0x12ee.",
        "corpus x86-text-keepsyms-sleepwake-hackintosh-01.txt; iokit/Kernel/IOPMrootDomain.cpp",
        SleepWakeTimeout,
    ),
    row(
        "Sleep/Wake hang detected",
        "iokit/Kernel/IOPMrootDomain.cpp, xnu-11417.101.15",
        SleepWakeTimeout,
    ),
    row(
        "PowerOff timed out in phase 'Notify Priority Clients'. Total 30000 ms",
        "iokit/Kernel/IOPMrootDomain.cpp (panicWithShutdownLog), xnu-11417.101.15",
        ShutdownTimeout,
    ),
    row(
        "Halt/Restart Timed Out",
        "iokit/Kernel/IOPlatformExpert.cpp, xnu-11417.101.15",
        ShutdownTimeout,
    ),
    // --- arm64 faults --------------------------------------------------------------------
    row(
        "Kernel tag check fault (expected tagged address: 0xf6fffe205d518d88) at pc 0xfffffe00502c34e0, lr 0xfffffe00502c3418 (saved state: 0xfffffec990577340)",
        "corpus ios-ips-full-mte-keystore-01.ips",
        MteTagCheckFault,
    ),
    row(
        "PAC failure from kernel with IA key while branching to x8 at pc 0xfffffe0012345678, lr 0xfffffe0012345000 (saved state: 0xfffffe8a1b2c3d40)",
        "osfmk/arm64/sleh.c handle_pac_fail (FPAC), xnu-11417.101.15",
        PacFailure,
    ),
    row(
        "Break 0xC472 instruction exception from kernel. Ptrauth failure with DA key resulted in 0x2000fe0012345678 at pc 0xfffffe0012345678, lr 0xfffffe0012345000 (saved state: 0xfffffe8a1b2c3d40)",
        "osfmk/arm64/sleh.c ptrauth_handle_brk_trap, xnu-11417.101.15",
        PacFailure,
    ),
    row(
        "Unaligned kernel data abort. at pc 0xfffffff0289b230c, lr 0xfffffff028e5409c (saved state: 0xffffffe8045eb380)",
        "corpus ios-ips-dataabort-unaligned-iomfb-PARTIAL-01.ips; osfmk/arm64/sleh.c",
        UnalignedAbort,
    ),
    row(
        "Kernel instruction fetch abort: pc=0xffffff801c2ef1f0 iss=0xf far=0xffffff801c2ef1f0. Note: the faulting frame may be missing in the backtrace.",
        "corpus ios-text-instrabort-ios9-paniclog5-01.txt (iOS 9)",
        KernelInstructionAbort,
    ),
    row(
        "Kernel instruction fetch abort at pc 0xfffffe0012345678, lr 0xfffffe0012345000 (saved state: 0xfffffe8a1b2c3d40)",
        "osfmk/arm64/sleh.c, xnu-11417.101.15",
        KernelInstructionAbort,
    ),
    row(
        "Kernel data abort. at pc 0xfffffe00140bfee0, lr 0x2392fe0014048f9c (saved state: 0xfffffe3aeda0f740)",
        "corpus arm64-text-dataabort-01.txt; osfmk/arm64/sleh.c",
        KernelDataAbort,
    ),
    row(
        "Undefined kernel instruction: pc=0xfffffff01dbd8084 instr=d518c000",
        "corpus ios-text-undefinstr-paniclog10-01.txt; osfmk/arm64/sleh.c",
        UndefinedInstruction,
    ),
    // --- Coprocessors ----------------------------------------------------------------------
    row(
        "DCP PANIC - ASSERT!AppleDCPDPTXPowerController.cpp:561 No device added after powering on the rails. HPD=0 - dcpav(27)",
        "corpus arm64-text-dcp-coprocessor-01.txt",
        DcpPanic,
    ),
    row(
        "AOP PANIC - [EndpointAdapter.cpp:238] assert: <0x41b53c0> 0x80000005 - main(5) OUTBOX3 not ready -",
        "corpus ios-ips-full-aop-01.ips",
        AopPanic,
    ),
    row(
        "ANS2 Recoverable Panic - assert failed",
        "T2 (bridgeOS) panic strings quoted in public incident notes",
        AnsPanic,
    ),
    row(
        "SMC PANIC - ASSERTION FAILED: S.sensor array is 0x0, 0x500000, 0x0",
        "iPhone panic-full strings quoted by public panic analyzers",
        SmcPanic,
    ),
    row(
        "SEP Panic: :sks /sks : 0x000996b6 0x00099454 0x00099438 0x0000bd78 0x0002d0b4 0x00050024 0x0004dda8 0x00062170 [ppmrm]",
        "ChefKissInc/Inferno#122 (iOS VM)",
        SepPanic,
    ),
    row(
        "SEP/OS failed to boot at stage 1",
        "ChefKissInc/Inferno#146 (iOS VM, AppleSEPManager)",
        SepPanic,
    ),
    // --- Devices ----------------------------------------------------------------------------
    row(
        "nvme: \"Fatal error occurred. CSTS=0x1 US[1]=0x0 US[0]=0xa6 VID=0x144d DID=0xa808\\n. FW Revision=EXA7301Q\\n\"@/AppleInternal/BuildRoot/Library/Caches/com.apple.xbs/Sources/IONVMeFamily/IONVMeFamily-470.100.17/IONVMeController.cpp:5320",
        "corpus x86-text-nvme-abbrevkexts-01.txt (IONVMeFamily)",
        NvmeFatal,
    ),
    row(
        "nvme: \"3rd party NVMe controller. PCI link down. Delete IO submission queue. fBuiltIn=1 MODEL=HS-SSD-A4000 1024G FW=HS19644 CSTS=0xffffffff US[1]=0x0 US[0]=0x1274 VID=0xffff DID=0xffff CRITICAL_WARNING=0x0.\\n\" @IONVMeController.cpp:5708",
        "acidanthera/bugtracker#2494 (IONVMeFamily, PCI link down)",
        NvmeFatal,
    ),
    row(
        "nvme: \"Fatal error occurred. ID=0x843 ARG1=0x70cf ARG2=0x23 ARG3=0x27 EDD0=0x10600000 EDD1=0x100000 EDD2=0x0 EDD3=0x1d400000 EDD4=0x0 EDD5=0x0 EDD6=0x0 EDD7=0x0. NAND Vendor=0x1, DRAM Vendor=0x2, SSD Capacity=256GB, FW Revision=12.93.01\\n\"@/BuildRoot/Library/Caches/com.apple.xbs/Sources/IONVMeFamily/IONVMeFamily-234.30.5/IONVMeController.cpp:4632",
        "atom/atom#8253 (Apple SSD, macOS 10.12)",
        NvmeFatal,
    ),
    row(
        "\"AMCC0 DCS GROUP 0 CHANNEL 0 M3_AIC_IRQ_EN_FLD error: INTSTS 0x00000004, CLLT: sts/sts1 0x00003703/0x7f007f00\" @AppleT6020PlatformErrorHandler.cpp:1064",
        "corpus arm64-text-amcc-01.txt",
        PlatformHardwareError,
    ),
    row(
        "\"dart-disp0 (0xfffffe2332fdc000): SMMU(SMMU) error: SID 0 PTE invalid exception on read with DVA 0x2454000 (TTBR 0 SEG 0x1 PTE 0x115) ERROR_STATUS 0x80000004 TIME 0x72d5fd345b2f TTE 0 AXI_ID 0)\"",
        "M1 panic report quoted on newbetuts.com (AppleT8020DART)",
        PlatformHardwareError,
    ),
    row(
        "SError esr: 0xbf000000 far: 0x0000000000000000.",
        "osfmk/arm64/sleh.c, xnu-11417.101.15",
        PlatformHardwareError,
    ),
    row(
        "Machine Check at 0xffffff800aa1b2c3, registers:\nCR0: 0x000000008001003b, CR2: 0x0000000000000000, CR3: 0x0000000012345000, CR4: 0x00000000001606e0",
        "osfmk/i386/trap_native.c panic_machine_check64, xnu-11417.101.15",
        PlatformHardwareError,
    ),
    row(
        "\"void AppleEmbeddedPCIeUpLinkMgmt::_functionInterruptAction(IOInterruptEventSource *, int): \" \"Completion timeout seen! [Device index = 0x0] [Link up = true] [CPL timeout = 0x9]\" @AppleEmbeddedPCIeUpLinkMgmt.cpp:3659",
        "privacy-tech-lab/gpc-web-crawler#194 (T2, bridgeOS 9)",
        PcieLinkDown,
    ),
    row(
        "\"DSB0(MacBookPro15,2): thunderbolt power on failed 0xffffffff\\n\"@/AppleInternal/BuildRoot/Library/Caches/com.apple.xbs/Sources/IOPCIFamily/IOPCIFamily-370.141.1/IOPCIBridge.cpp:1398",
        "profzei/Matebook-X-Pro-2018#81 (IOPCIFamily)",
        PcieLinkDown,
    ),
    row(
        "\"GPU Panic: [<None>] 5 3 5f 1d 0 8 0 3 : NVRM[0/1:0:0]: Read Error 0x00000144: CFG 0x0fe910de 0x00100406 0xc0000000, BAR0 0x101000000 0xffffff8200014000 0x0e7290a2, D0, P0/4\\n\"@/SourceCache/AppleGraphicsControl/AppleGraphicsControl-3.4.35/src/AppleMuxControl/kext/GPUPanic.cpp:127",
        "corpus x86-text-gpupanic-kextlist-01.txt (AppleMuxControl)",
        GpuPanic,
    ),
    row(
        "NVRM[0/1:0:0]: Read Error 0x00000100: CFG 0xffffffff 0xffffffff 0xffffffff, BAR0 0xd2000000 0xffffff8113bbc000 0x0a5480a2, D0, P3/4",
        "corpus x86-text-nvrm-readerror-mbp62-PARTIAL-01.txt",
        GpuPanic,
    ),
    row(
        "\"completeMemory() prepare count underflow\" @IOGPUMemory.cpp:492",
        "corpus arm64-text-iogpu-underflow-FRAGMENT-01.txt (IOGPUFamily)",
        GpuPanic,
    ),
    row(
        "\"virtual bool IOAccelLegacyDisplayMachine::display_mode_did_change(uint32_t): AMDRadeonAccelerator driver returns false\" @IOAccelLegacyDisplayMachine.cpp:267",
        "corpus x86-text-gpu-amd-displaymodechange-01.txt (IOAcceleratorFamily2)",
        GpuPanic,
    ),
    row(
        "\"[IGPU] Failed to wake the ME.\\n\"@/Library/Caches/com.apple.xbs/Sources/GPUDriversIntel/GPUDriversIntel-10.36.26/Common/GLKernel/Intel/kbl/sched3/IGGuC.cpp:1464",
        "corpus x86-text-igpu-failedtowakeME-kbl-01.txt (AppleIntelKBLGraphics)",
        GpuPanic,
    ),
    row(
        "\"Graphics firmware encountered an exception (eip: 0xc988, fault #: 0xd)\\n\" @IGGuC.cpp:923",
        "macrumors thread 2441964 (AppleIntelKBLGraphics, macOS 13)",
        GpuPanic,
    ),
    row(
        "UAT PPL 0xfffffdf030af4160 (IOUAT):",
        "corpus arm64-text-uatppl-magic-FRAGMENT-01.txt (the GPU's page tables, not the CPU's pmap)",
        GpuPanic,
    ),
    // --- The zone allocator -----------------------------------------------------------------
    row(
        "[iokit.IOCommandGate]: element modified after free (off:72, val:0xfffffffffffffe00, sz:80, ptr:0xffffffe69b7d0db0)",
        "corpus ios-ips-full-sepkeystore-01.ips; osfmk/kern/zalloc.c zalloc_uaf_panic, xnu-8019.41.5+",
        ZoneUseAfterFree,
    ),
    row(
        "[kext.kalloc.80]: element modified after free (off:0, val:0x4141414141414141, sz:80, ptr:0xffffffe4cb9780f0, prot:zero)",
        "corpus ios-ips-zone-uaf-kextkalloc80-PARTIAL-01.ips",
        ZoneUseAfterFree,
    ),
    row(
        "a freed zone element has been modified in zone kalloc.4096: expected 0x3f00116dbe8a46f6 but found 0x3f00116d00000000",
        "corpus x86-text-zone-freed-modified-kalloc4096-FRAGMENT-01.txt (fragment of the xnu-2782–6153 wording)",
        ZoneUseAfterFree,
    ),
    row(
        "a freed zone element has been modified in zone kalloc.64: expected 0xc0ffee7b7a6c8da0 but found 0xc0ffee7b00000000, bits changed 0x7a6c8da0, at offset 8 of 64 in element 0xffffff8034a6b980, cookies 0x3f0011f32a6c8d5c 0x535210f7e9a2b23f",
        "osfmk/kern/zalloc.c, xnu-2782.1.97",
        ZoneUseAfterFree,
    ),
    row(
        "a freed zone element has been modified: expected 0xdeadbeefdeadbeef but found 0xdeadbeef00000000, bits changed 0xdeadbeef, at offset 16 of 32 in zone: kalloc.32",
        "osfmk/kern/zalloc.c, xnu-2422.1.72",
        ZoneUseAfterFree,
    ),
    row(
        "\"a freed zone element has been modified in zone: kalloc.2048\"@/SourceCache/xnu/xnu-2050.24.15/osfmk/kern/zalloc.c:219",
        "openzfsonosx/zfs#58 (OS X 10.8); osfmk/kern/zalloc.c, xnu-2050.7.9",
        ZoneUseAfterFree,
    ),
    row(
        "a freed zone element has been modified in zone default.kalloc.32: expected 0xc0ffee7b7a6c8da0 but found 0x0, bits changed 0xc0ffee7b7a6c8da0, at offset 0 of 32 in element 0xffffff8034a6b980, cookies 0x3f0011f32a6c8d5c 0x535210f7e9a2b23f",
        "osfmk/kern/zalloc.c zone_element_was_modified_panic, xnu-7195.50.7.100.1",
        ZoneUseAfterFree,
    ),
    row(
        "Zone element 0xffffff8034a6b980 was modified after free for zone data.kalloc.64: Expected element to be cleared",
        "osfmk/kern/zalloc.c zone_element_not_clear_panic, xnu-7195.50.7.100.1",
        ZoneUseAfterFree,
    ),
    row(
        "zfree: double free of 0xffffff8034a6b980 to zone kalloc.64",
        "osfmk/kern/zalloc.c, xnu-4903.221.2",
        ZoneUseAfterFree,
    ),
    row(
        "zfree_ext: double free of 0xfffffe1234567890 to zone default.kalloc.128",
        "osfmk/kern/zalloc.c zone_meta_double_free_panic, xnu-11417.101.15",
        ZoneUseAfterFree,
    ),
    row(
        "probabilistic gzalloc use-after-free: 0xfffffe1234567890",
        "osfmk/kern/zalloc.c __pgz_decode, xnu-11417.101.15",
        ZoneUseAfterFree,
    ),
    row(
        "zalloc[3]: zone map exhausted while allocating from zone [VM map entries], likely due to memory leak in zone [VM map entries] (13G, 180906506 elements allocated) @zalloc.c:4560",
        "corpus arm64-text-zonemap-exhausted-FRAGMENT-01.txt; osfmk/kern/zalloc.c, xnu-8019.41.5+",
        ZoneMapExhausted,
    ),
    row(
        "\"zalloc: zone map exhausted while allocating from zone kalloc.64, likely due to memory leak in zone kalloc.256 (3888533504 total bytes, 15163226 elements allocated)\"@/SourceCache/xnu/xnu-2422.90.20/osfmk/kern/zalloc.c:2494",
        "openzfsonosx/zfs#132 (OS X 10.9); osfmk/kern/zalloc.c, xnu-2422 to xnu-6153",
        ZoneMapExhausted,
    ),
    row(
        "zone map exhaustion: waited for 30000ms (pages: 1048576, max: 1048576, wanted: 4)",
        "osfmk/kern/zalloc.c, xnu-11417.101.15",
        ZoneMapExhausted,
    ),
    row(
        "zalloc(Z_NOFAIL) can't be satisfied for zone ipc.ports (potential leak)",
        "osfmk/kern/zalloc.c zone_nofail_panic, xnu-11417.101.15",
        ZoneMapExhausted,
    ),
    row(
        "zone_require_ro failed: element improperly aligned (addr: 0xffffff8fbeae3c00) @zalloc.c:7288",
        "corpus x86-text-zonerequire-qemukvm-sonoma-01.txt; osfmk/kern/zalloc.c",
        ZoneRequire,
    ),
    row(
        "zone_require failed: address in unexpected zone id 71 (default.kalloc.16) (addr: 0xfffffe1234567890, expected: ipc ports)",
        "osfmk/kern/zalloc.c zone_require_panic, xnu-11417.101.15",
        ZoneRequire,
    ),
    row(
        "Address not in expected zone for zone_require check (addr: 0xffffff8034a6b980, zone: ipc.ports)",
        "osfmk/kern/zalloc.c, xnu-6153.11.26",
        ZoneRequire,
    ),
    row(
        "kalloc_data_require failed: address 0xfffffe1234567890 in [default.kalloc.64]",
        "osfmk/kern/kalloc.c, xnu-11417.101.15",
        ZoneRequire,
    ),
    row(
        "kfree: addr 0xffffffba7b14bd16, size 2 (offs:0) not found in any zone @kalloc.c:2303",
        "corpus x86-text-kfree-notinzone-wchusb-oclp-01.txt; osfmk/kern/kalloc.c kfree_size_confusion_panic",
        InvalidKfree,
    ),
    row(
        "kfree: addr 0xffffff8034a6b980, size 48 not found in any zone",
        "osfmk/kern/kalloc.c, xnu-7195.50.7.100.1",
        InvalidKfree,
    ),
    row(
        "kfree: addr 0xfffffe1234567890, size 64 found in heap kext.kalloc* instead of default.kalloc*",
        "osfmk/kern/kalloc.c kfree_heap_confusion_panic, xnu-11417.101.15",
        InvalidKfree,
    ),
    row(
        "kfree on an address not in the kernel & kext address range! addr: 0x41414141",
        "osfmk/kern/kalloc.c, xnu-4570.1.46",
        InvalidKfree,
    ),
    row(
        "addr 0xfffffe1234567898 being freed to zone default.kalloc.64, isn't aligned to zone element size",
        "osfmk/kern/zalloc.c zone_invalid_element_panic, xnu-11417.101.15",
        InvalidKfree,
    ),
    row(
        "zone metadata corruption: alloc_size wrap-around (meta 0xfffffe1000123450, zone default.kalloc.32)",
        "osfmk/kern/zalloc.c zone_metadata_corruption, xnu-11417.101.15",
        ZoneCorruption,
    ),
    row(
        "zone bound checks: buffer 0xfffffe1234567890 of length 128 overflows object 0xfffffe1234567880 of size 64 in zone 0xfffffe0012340000[default.kalloc.64]",
        "osfmk/kern/zalloc.c zone_element_bounds_check_panic, xnu-11417.101.15",
        ZoneCorruption,
    ),
    row(
        "zfree: invalid head pointer 0x4141414141414141 for freelist of zone kalloc.32",
        "osfmk/kern/zalloc.c, xnu-4570.1.46",
        ZoneCorruption,
    ),
    row(
        "0xfffffe1234567890 not in the expected zone default.kalloc.64[81], but found in data.kalloc.64[97]",
        "osfmk/kern/zalloc.c zone_page_metadata_index_confusion_panic, xnu-11417.101.15",
        ZoneCorruption,
    ),
    // --- Kernel memory -------------------------------------------------------------------------
    row(
        "kmem_alloc(0xffffffddafeb1d80, 49152, 0xe10141): failed with 3 @vm_kern.c:178",
        "corpus ios-ips-kmemalloc-OCR-FRAGMENT-01.txt (de-OCRed); osfmk/vm/vm_kern.c __kmem_failed_panic, xnu-8796.101.5",
        KmemAllocFailure,
    ),
    row(
        "kmem_suballoc(map=0xfffffe0012340000, size=1073741824) failed with 3",
        "osfmk/vm/vm_kern.c, xnu-11417.101.15",
        KmemAllocFailure,
    ),
    row(
        "stack_alloc: kernel_memory_allocate(size:0x8000, mask: 0x3fff, flags: 0x104) failed with 3",
        "osfmk/kern/stack.c, xnu-7195.50.7.100.1",
        KmemAllocFailure,
    ),
    // --- Locks and preemption --------------------------------------------------------------------
    row(
        "\"thread_invoke: preemption_level 1, possible cause: blocking while holding a spinlock, or within interrupt context\"@/BuildRoot/Library/Caches/com.apple.xbs/Sources/xnu/xnu-4570.51.1/osfmk/kern/sched_prim.c:2231",
        "corpus x86-text-3rdpartykext-nvidiaweb-01.txt; osfmk/kern/sched_prim.c",
        BlockingWithSpinlock,
    ),
    row(
        "Attempt to take mutex 0xfffffe1234567890 with preemption disabled (1)",
        "osfmk/kern/lock_mtx.c, xnu-11417.101.15",
        BlockingWithSpinlock,
    ),
    row(
        "Attempt to take mutex with preemption disabled. Lock=0xffffffe0123456a0, level=1",
        "osfmk/arm/locks_arm.c, xnu-6153.11.26",
        BlockingWithSpinlock,
    ),
    row(
        "Spinlock[0xfffffe1234567890] timeout after 2400000 ticks; current owner: 0xfffffe2345678900 (on cpu 3), start time: 1000, now: 2401000, timeout: 2400000",
        "osfmk/kern/locks.c hw_spin_timeout_panic, xnu-11417.101.15",
        SpinlockTimeout,
    ),
    row(
        "Spinlock acquisition timed out: lock=0xffffff8034a6b980, lock owner thread=0xffffff80456789a0, current_thread: 0xffffff80123456b0, lock owner active on CPU 0x3, current owner: 0xffffff80456789a0, time: 123456789",
        "osfmk/i386/locks_i386.c, xnu-7195.50.7.100.1",
        SpinlockTimeout,
    ),
    row(
        "Mutex interlock[0xfffffe1234567890] timeout after 2400000 ticks; current owner: 0xfffffe2345678900, <0x000001 0x22 0x00000000 0x00000000 0x0000 0x0000>, start time: 1000, now: 2401000, timeout: 2400000",
        "osfmk/kern/lock_mtx.c lck_mtx_ilk_timeout_panic, xnu-11417.101.15",
        SpinlockTimeout,
    ),
    row(
        "waitq(0xfffffe1234567890) lock timeout after 2400000 ticks; cpu=2, cticket: 0x10, nticket: 0x12, waiting for 0x11, start time: 1000, now: 2401000, timeout: 2400000",
        "osfmk/kern/waitq.c, xnu-11417.101.15: a waitq's lock timing out is a spinlock timeout, not corruption",
        SpinlockTimeout,
    ),
    row(
        "simple lock deadlock detection - l=0xffffffe000123450, cpu=1, ret=0xfffffff007123456",
        "osfmk/arm/locks_arm.c, xnu-4570.1.46",
        SpinlockTimeout,
    ),
    row(
        "Interrupts held disabled for 123456789 nanoseconds",
        "osfmk/arm/machine_routines_common.c, xnu-4570.1.46",
        InterruptsDisabledTooLong,
    ),
    row(
        "Processing of an interrupt (type = 1, handler address = 0xfffffe0012345678, vector = 0xfffffe0012340000) took 60000000 nanoseconds (start = 100, now = 60000100, timeout = 50000000 ns)",
        "osfmk/arm/machine_routines_common.c, xnu-11417.101.15",
        InterruptsDisabledTooLong,
    ),
    row(
        "preemption disable timeout exceeded: 3000000 >= 2400000 mt ticks (start: 100, now: 3000100, gross: 3000000, inttime: 0), freq = 2400 MHz, CPI = 1.2",
        "osfmk/arm/preemption_disable.c, xnu-11417.101.15",
        InterruptsDisabledTooLong,
    ),
    row(
        "Interrupt watchdog, cpu: 2 interrupt: 0x51 time: 100..2000000 state: 0xffffff8012345678 RIP: 0xffffff8000123456",
        "osfmk/i386/mp.c, xnu-4570.1.46",
        InterruptsDisabledTooLong,
    ),
    row(
        "trying to interlock destroyed mutex (0xffffff804e3645f0)",
        "corpus x86-text-destroyedmutex-yosemite-01.txt; osfmk/i386/i386_lock.s, xnu-2782.1.97",
        DestroyedMutex,
    ),
    row(
        "Mutex destroyed 0xffffffe0123456a0",
        "osfmk/arm/locks_arm.c, xnu-6153.11.26",
        DestroyedMutex,
    ),
    row(
        "Invalid/destroyed mutex 0xfffffe1234567890: <0x000001 0xff 0x00000000 0x00000000/0x0 0x0000 0x0000>",
        "osfmk/kern/lock_mtx.c __lck_mtx_invalid_panic, xnu-11417.101.15",
        DestroyedMutex,
    ),
    row(
        "Destroying previously destroyed lock 0xfffffe1234567890",
        "osfmk/kern/lock_rw.c, xnu-11417.101.15",
        DestroyedMutex,
    ),
    row(
        "Mutex 0xfffffe00167da448 is unexpectedly owned by thread 0xf ff ffe29ea6c9030 E@lock_mtx.c:175",
        "corpus arm64-ips-mutex-perfmon-OCR-FRAGMENT-01.txt (OCR splits the owner and mangles the @)",
        LockMisuse,
    ),
    row(
        "Mutex 0xfffffe1234567890 is unexpectedly not owned by thread 0xfffffe2345678900",
        "osfmk/kern/lock_mtx.c __lck_mtx_not_owned_panic, xnu-11417.101.15",
        LockMisuse,
    ),
    row(
        "lck_mtx_unlock(): Attempt to release lock not owned by thread (0xffffffe0123456a0)",
        "osfmk/arm/locks_arm.c, xnu-6153.11.26",
        LockMisuse,
    ),
    row(
        "rw lock (0xfffffe1234567890) not held (mode=1)",
        "osfmk/kern/lock_rw.c lck_rw_assert, xnu-11417.101.15",
        LockMisuse,
    ),
    row(
        "Lock not owned by current thread 0xffffffe0123456a0 = 0x0",
        "osfmk/arm/locks_arm.c hw_lock_assert, xnu-7195.50.7.100.1",
        LockMisuse,
    ),
    // --- Kernel data structures ---------------------------------------------------------------
    row(
        "Invalid waitq: 0xffffffe21b45a620 @waitq.c:3512",
        "corpus ios-text-waitq-corellium-PARTIAL-01.txt; osfmk/kern/waitq.c, xnu-3248.20.55..xnu-11417",
        WaitqCorruption,
    ),
    row(
        "Invalid waitq-set: 0xfffffe1234567890",
        "osfmk/kern/waitq.c __waitq_link_arguments_panic, xnu-11417.101.15",
        WaitqCorruption,
    ),
    row(
        "trying to de-initialize an invalid wqset @0xffffff8034a6b980",
        "osfmk/kern/waitq.c, xnu-4570.1.46",
        WaitqCorruption,
    ),
    row(
        "IPC kmsg header signature mismatch: kmsg=0xfffffe1234567890, hdr=0xfffffe1234567900, id=1234, sig=0x12345678 (expected 0x87654321)",
        "osfmk/ipc/ipc_kmsg.c __ikm_signature_check_panic, xnu-11417.101.15",
        IpcCorruption,
    ),
    row(
        "ikm_validate_sig: header signature mismatch: kmsg=0xffffffe0123456a0, id=2405, sig=0x1234 (expected 0x5678)",
        "osfmk/ipc/ipc_kmsg.c, xnu-7195.50.7.100.1",
        IpcCorruption,
    ),
    row(
        "Using inactive port 0xfffffe1234567890",
        "osfmk/ipc/ipc_port.c __ipc_port_inactive_panic, xnu-11417.101.15",
        IpcCorruption,
    ),
    row(
        "Over-release of port 0xffffff8034a6b980 send right!",
        "osfmk/ipc/ipc_port.c, xnu-6153.11.26",
        IpcCorruption,
    ),
    row(
        "Unknown mqueue type 0x3: likely memory corruption!",
        "osfmk/ipc/ipc_mqueue.c, xnu-4570.1.46",
        IpcCorruption,
    ),
    row(
        "\"Bad tailq elm 0xffffff86c5382100 next->prev != elm @732\"@/System/Volumes/Data/SWE/macOS/BuildRoots/d7e177bcf5/Library/Caches/com.apple.xbs/Sources/xnu/xnu-7195.141.2/bsd/vfs/vfs_subr.c:732",
        "corpus x86-text-badtailq-vfs-i210-hackintosh-01.txt; bsd/sys/queue.h TAILQ_CHECK_NEXT, xnu-7195",
        QueueCorruption,
    ),
    row(
        "Bad link elm 0xffffff8034a6b980 next->prev != elm",
        "bsd/sys/queue.h LIST_CHECK_NEXT, xnu-2782.1.97",
        QueueCorruption,
    ),
    row(
        "Invalid queue element linkage for 0xffffff8034a6b980: next 0xffffff8034a6b9c0 next->prev 0xdeadbeefdeadbeef prev 0xffffff8034a6b940 prev->next 0xffffff8034a6b980",
        "osfmk/kern/queue.h __QUEUE_ELT_VALIDATE, xnu-3248.20.55",
        QueueCorruption,
    ),
    row(
        "Break 0xBFFD instruction exception from kernel. panic: corrupt list around element 0xfffffe1234567890 at pc 0xfffffe0012345678, lr 0xfffffe0012345000 (saved state: 0xfffffe8a1b2c3d40)",
        "osfmk/arm64/sleh.c xnu_hard_trap_handle_breakpoint (XNU_HARD_TRAP_SAFE_UNLINK), xnu-11417.101.15",
        QueueCorruption,
    ),
    row(
        "os_refcnt: underflow (rc=0xfffffe1234567890)",
        "libkern/os/refcnt.c, xnu-11417.101.15",
        RefcountError,
    ),
    row(
        "os_refcnt: attempted resurrection (rc=0xffffff8034a6b980)",
        "libkern/os/refcnt.c, xnu-6153.11.26",
        RefcountError,
    ),
    row(
        "OSObject::refcount: About to wrap the reference count, reference leak?",
        "libkern/c++/OSObject.cpp, xnu-11417.101.15",
        RefcountError,
    ),
    row(
        "AMFI: inconsistency between instance and monitor context: 1 | 0 @OSEntitlements.cpp:239",
        "corpus ios-vresearch-text-amfi-paniclog15-01.txt",
        CodesigningPanic,
    ),
    // --- Intel traps ------------------------------------------------------------------------------------
    row(
        "Kernel trap at 0xffffff8009628b94, type 14=page fault, registers:\nCR0: 0x0000000080010033, CR2: 0x0000000000000040, CR3: 0x000000000a3c2000, CR4: 0x00000000003626e0",
        "osfmk/i386/trap.c panic_trap, xnu-6153.11.26",
        IntelPageFault,
    ),
    row(
        "Kernel trap at 0xffffff802bb2f157, type 13=general protection, registers:\nCR0: 0x0000000080010033, CR2: 0x0000000000000040, CR3: 0x000000000a3c2000, CR4: 0x00000000003626e0",
        "osfmk/i386/trap.c panic_trap, xnu-6153.11.26",
        IntelGeneralProtection,
    ),
    row(
        "Kernel trap at 0xffffff7f89d2e3d1, type 13=general protection, registers:\nCR0: 0x0000000080010033, CR2: 0x0000000000000040, CR3: 0x000000000a3c2000, CR4: 0x00000000003626e0",
        "osfmk/i386/trap.c; RIP in the ≤ 10.15 kext region",
        IntelKextTrap,
    ),
    row(
        "Double fault at 0xffffff800aa1b2c3, registers:\nCR0: 0x000000008001003b, CR2: 0xffffff9234c79ff8, CR3: 0x0000000012345000, CR4: 0x00000000001606e0",
        "osfmk/i386/trap_native.c panic_double_fault64, xnu-11417.101.15",
        IntelDoubleFault,
    ),
    row(
        "Kernel trap at 0xffffff8009628b94, type 6=invalid opcode, registers:\nCR0: 0x0000000080010033, CR2: 0x0000000000000040, CR3: 0x000000000a3c2000, CR4: 0x00000000003626e0",
        "osfmk/i386/trap.c panic_trap, xnu-6153.11.26",
        IntelKernelTrap,
    ),
    // --- Stacks ------------------------------------------------------------------------------------
    row(
        "Invalid kernel stack pointer (probable overflow). at pc 0xfffffe0012345678, lr 0xfffffe0012345000 (saved state: 0xfffffe8a1b2c3d40)",
        "osfmk/arm64/sleh.c, xnu-11417.101.15",
        KernelStackOverflow,
    ),
    row(
        "kernel stack overflow; stack base: 0xffffffa0b8d8c000, stack top: 0xffffffa0b8d8c010, stack depth: 0x0000000000004000, depth limit: 0x0000000000004000",
        "osfmk/i386/thread.h, xnu-11417.101.15",
        KernelStackOverflow,
    ),
    row(
        "Kernel stack memory corruption detected",
        "libkern/stack_protector.c __stack_chk_fail, xnu-11417.101.15",
        KernelStackOverflow,
    ),
    // --- The VM -----------------------------------------------------------------------------------
    row(
        "\"vm_page_check_pageable_safe: trying to add page\" \"from compressor object (0xffffff800b6c35f0) to pageable queue\"@/Library/Caches/com.apple.xbs/Sources/xnu/xnu-3248.40.184/osfmk/vm/vm_resident.c:7076",
        "corpus x86-text-vmpage-compressor-iohid-PARTIAL-01.txt; osfmk/vm, xnu-3248",
        VmPageStatePanic,
    ),
    row(
        "vm_page_queues_remove - bad page q_state (0xfffffe1234567890, 13)",
        "osfmk/vm/vm_resident.c, xnu-11417.101.15",
        VmPageStatePanic,
    ),
    row(
        "vm_page_wire(0xfffffe1234567890): wire_count overflow",
        "osfmk/vm/vm_resident.c, xnu-11417.101.15",
        VmPageStatePanic,
    ),
    row(
        "vm_page_validate_no_references: page 0x1028496c000 is referenced @vm_resident.c:3452",
        "macfuse/macfuse#1009 (macOS 14.4); osfmk/vm/vm_resident.c",
        VmPageStatePanic,
    ),
    row(
        "memorystatus_jetsam_thread: no victim! available pages:1423",
        "bsd/kern/kern_memorystatus.c, xnu-11417.101.15",
        OutOfMemory,
    ),
    row(
        "memorystatus_do_kill(): requested panic on jetsam of WindowServer (cause: 2 and footprint: 2048 mb)",
        "bsd/kern/kern_memorystatus.c, xnu-11417.101.15",
        OutOfMemory,
    ),
    row(
        "Compressed data doesn't match original 0xfffffe1234567890 phys: 0x812345000 12 0xfffffe1234567900 3 4096 0x1234 0x5678",
        "osfmk/vm/vm_compressor.c c_seg_validate, xnu-11417.101.15",
        CompressorCorruption,
    ),
    row(
        "c_seg_swapin - Swap hash mismatch",
        "osfmk/vm/vm_compressor.c, xnu-11417.101.15",
        CompressorCorruption,
    ),
    row(
        "\"Write fault on compressor map, va: 0xffffff9128ce8000 type: 3 bounds: 0xffffff821247d000->0xffffff92126bd000\"@/BuildRoot/Library/Caches/com.apple.xbs/Sources/xnu/xnu-4570.71.45/osfmk/vm/vm_fault.c:3523",
        "RJVB/afsctool#33 (macOS 10.13); osfmk/vm/vm_fault.c",
        CompressorCorruption,
    ),
    row(
        "bs_no_paging_space: NOT ENOUGH PAGING SPACE",
        "osfmk/default_pager/dp_backing_store.c, xnu-1228 to xnu-2422.1.72 (no later xnu panics on a full compressor: memorystatus kills instead)",
        CompressorExhausted,
    ),
    row(
        "vm_map_delete(0xfffffe1ab931d0c0,0x187b20000,0x187b24000): failed unexpected with 2 @vm_map.c:7922",
        "corpus arm64-text-vmmap-coredump-01.txt; osfmk/vm/vm_map.c __vm_map_delete_failed_panic",
        VmMapFailure,
    ),
    row(
        "vm_map_protect(0xfffffe1234567890,0x100000000,0x100004000) old=0x1 new=0x5 - <rdar://23770418> code-signing bypass?",
        "osfmk/vm/vm_map.c, xnu-11417.101.15",
        VmMapFailure,
    ),
    row(
        "pmap_mark_page_as_ppl_page_internal: page still has mappings, pa=0x851684000 @pmap_data.c:1054",
        "corpus ios-ips-pmap-ppl-FRAGMENT-01.ips; osfmk/arm/pmap/pmap_data.c",
        PmapPanic,
    ),
    row(
        "pmap_remove_range_options: attempt to remove mappings from commpage pmap 0xfffffe0012340000",
        "osfmk/arm/pmap/pmap.c, xnu-11417.101.15",
        PmapPanic,
    ),
    row(
        "[SPTM] VIOLATION_ILLEGAL_SPRR_INDEX: sptm_map_page(sptm.c:479) - page_fte(0xfffffdf000282c00), page_fte->type(0xe), new_sprr_index(0x3), new_pte(0x4600008a1fd4603), vaddr(0xfffffe5f05114000)",
        "openzfsonosx/openzfs-fork#53 (macOS 26.2, SPTM)",
        PmapPanic,
    ),
    // --- Filesystems, the clock, assertions ---------------------------------------------------------
    row(
        "\"negative open count (c, 16, 5)\"@/SourceCache/xnu/xnu-2422.1.72/bsd/miscfs/specfs/spec_vnops.c:2110",
        "ansible/ansible#5007 (OS X 10.9)",
        FilesystemPanic,
    ),
    row(
        "\"decmpfs_pagein_compressed: couldn't ubc_upl_map a single page\\n\" @apfs_vnops.c:14871",
        "openzfsonosx/openzfs-fork#74 (APFS)",
        FilesystemPanic,
    ),
    row(
        "nfs_vinvalbuf2: ubc_msync failed!, error 22",
        "macos-fuse-t/fuse-t#109 (macOS 26.5, NFS client)",
        FilesystemPanic,
    ),
    row(
        "vnode_put(0xffffff8034a6b980): iocount < 1",
        "bsd/vfs/vfs_subr.c vnode_put_locked, xnu-4570.1.46",
        FilesystemPanic,
    ),
    row(
        "Non-monotonic time: invoke at 0x6a5b4c3d2e1f, runnable at 0x6a5b4c3d2f00",
        "osfmk/kern/sched_prim.c thread_invoke, xnu-7195.50.7.100.1+",
        NonMonotonicTime,
    ),
    row(
        "mach_absolute_time returning non-monotonically increasing value 0x1234567 (old value 0x1234600)",
        "osfmk/arm/rtclock.c, xnu-8019.41.5",
        NonMonotonicTime,
    ),
    row(
        "\"IOGMD: not wired for the IODMACommand\"@/BuildRoot/Library/Caches/com.apple.xbs/Sources/xnu/xnu-4903.201.2/iokit/Kernel/IOMemoryDescriptor.cpp:2337",
        "corpus x86-text-keepsyms-iousb-01.txt",
        KernelAssertion,
    ),
    row(
        "vm_map.c:1234 Assertion failed: entry->vme_start < entry->vme_end",
        "osfmk/kern/assert.h (mach_assert), xnu-11417.101.15",
        KernelAssertion,
    ),
    row(
        "assertion failed: now >= *pkt_enq_time, file: /AppleInternal/Library/BuildRoots/4~CCmwugDA8UKNGjK1pHIYJNl0NgiU7N--8NPwtkY/Library/Caches/com.apple.xbs/Sources/xnu/bsd/net/classq/classq_fq_codel.c, line: 1130 @uipc_socket.c:8238",
        "Mieze/RTL8111_driver_for_OS_X#95 (macOS 26.2); bsd/kern/uipc_socket.c",
        KernelAssertion,
    ),
    row(
        "Debugger called: <panic>",
        "osfmk/kern/debug.c: what the debugger prints, not a panic message",
        Unknown,
    ),
];

#[test]
fn every_message_gets_its_class() {
    let mut wrong = Vec::new();
    for r in ROWS {
        let d = diagnose_text(&log_of(r.message));
        if d.class != r.class {
            wrong.push(format!(
                "{:?} ({}): got {} ({}), want {}",
                r.message, r.source, d.class, d.headline, r.class
            ));
        }
        assert!(!d.headline.is_empty(), "{}", r.message);
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
}

/// Classes that a message alone cannot show: they are checked on corpus logs below.
const BY_LOG: &[PanicClass] = &[CoprocessorPanic];

#[test]
fn every_class_has_a_real_message() {
    let covered: BTreeSet<PanicClass> = ROWS
        .iter()
        .map(|r| r.class)
        .chain(BY_LOG.iter().copied())
        .collect();
    let missing: Vec<&str> = PanicClass::ALL
        .iter()
        .filter(|c| !covered.contains(c))
        .map(|c| c.as_str())
        .collect();
    assert!(
        missing.is_empty(),
        "classes without a real message: {missing:?}"
    );
}

/// No known class is headlined "Unrecognised": each words its own title.
#[test]
fn known_classes_have_their_own_titles() {
    for r in ROWS.iter().filter(|r| r.class != Unknown) {
        let d = diagnose_text(&log_of(r.message));
        assert!(
            !d.headline.starts_with("Unrecognised"),
            "{}: {}",
            r.class,
            d.headline
        );
    }
}

#[test]
fn a_coprocessor_crash_log_is_a_coprocessor_panic() {
    // A data abort inside RTKit firmware, with its crash log: the coprocessor crashed, not
    // the kernel, though the message says "DATA ABORT".
    let d = corpus("arm64-ips-coproc-dataabort-anon-FRAGMENT-01.txt");
    assert_eq!(d.class, CoprocessorPanic, "{}", d.headline);
}

/// The messages rules must survive: case, runs of spaces, typographic dashes and the OCR of a
/// photographed screen.
#[test]
fn damaged_wordings_keep_their_class() {
    for (message, class) in [
        ("TRYING TO INTERLOCK DESTROYED MUTEX (0xffffff804e3645f0)", DestroyedMutex),
        ("Invalid   waitq:   0xffffffe21b45a620", WaitqCorruption),
        (
            "kmem_alloc(Oxffffffddafeb1d80, 49152, @xe10141): failed with 3 Qvm_kern.c:178",
            KmemAllocFailure,
        ),
        (
            "a freed zone element has been modified in zone kalloc.4096: expected Ox3f00116dbe8a46f6 but found Ox3f00116d00000000",
            ZoneUseAfterFree,
        ),
        ("zone map exhausted while allocating from zone kalloc.32 — likely due to memory leak", ZoneMapExhausted),
        ("Bad  Tailq elm 0xffffff86c5382100 next->prev != elm", QueueCorruption),
    ] {
        let d = diagnose_text(&log_of(message));
        assert_eq!(d.class, class, "{message}: {}", d.headline);
    }
    // The OCR'd corpus log: `pbanicString`, `O` for `0`, `@` for `0`, `Q` for `@`.
    let d = corpus("ios-ips-kmemalloc-OCR-FRAGMENT-01.txt");
    assert_eq!(d.class, KmemAllocFailure);
    assert!(d.headline.contains("KERN_NO_SPACE (3)"), "{}", d.headline);
    assert!(d.headline.contains("49152 bytes"), "{}", d.headline);
}

/// The debugger's own lines and memory dumps make no class: a message with nothing else is
/// unknown, and words a dump holds by chance do not count.
#[test]
fn chatter_and_dumps_are_not_evidence() {
    for chatter in [
        "Debugger called: <panic>",
        "Attempting system restart...",
        "halt not supported for this configuration",
    ] {
        let d = diagnose_text(&log_of(chatter));
        assert_eq!(d.class, Unknown, "{chatter}: {}", d.headline);
    }
    // A dumped page (base64) after a message no rule knows: "agx", "pmap", "vnode" and
    // "kmsg" inside the dump must not classify it.
    let text = "panic(cpu 0 caller 0xffffff8019516464): \"unexpected frobnication 0x12\"@/Library/Caches/com.apple.xbs/Sources/xnu/xnu-7195.141.2/osfmk/kern/frob.c:12\n\
                0xffffff86ba56c000: AAAAagxAAAApmapAAAAvnodeAAAAkmsgAAAAnvrmAAAAzallocAAAAmutexAAAAjetsamAAAA\n\
                Debugger message: panic\n";
    let d = diagnose_text(text);
    assert_eq!(d.class, KernelAssertion, "{}", d.headline);
    // The corpus log whose message carries pages of a mount as base64 is a list corruption.
    assert_eq!(
        corpus("x86-text-badtailq-vfs-i210-hackintosh-01.txt").class,
        QueueCorruption
    );
}

/// A failed pointer authentication without FPAC: the pointer comes back with the two-bit error
/// code `key_number:NOT(key_number)` in bits 62:61 (top byte used) or 54:53 (top byte ignored),
/// as osfmk/arm64/sleh.c `user_fault_matches_pac_error_code` reads it; the first use faults on
/// it. Any other odd address stays a data abort.
#[test]
fn pac_failure_is_read_from_the_faulting_address() {
    let d = corpus("ios-text-dataabort-pacptr-corellium-PARTIAL-01.txt");
    assert_eq!(d.class, PacFailure, "{}", d.headline);
    assert!(d.headline.contains("0xbfffffe4cb03aee4"), "{}", d.headline);
    let evidence: Vec<&str> = d.findings[0]
        .evidence
        .iter()
        .map(|e| e.text.as_str())
        .collect();
    assert!(
        evidence.iter().any(|e| e.contains("bits 62:61 = 01")),
        "{evidence:?}"
    );
    let abort = |far: &str| {
        diagnose_text(&format!(
            "panic(cpu 5 caller 0xfffffff00833fec0): Kernel data abort. at pc 0xfffffff007bd0174, lr 0xfffffff007bd0168 (saved state: 0xffffffeb0e15b2d0)\n\
             \x20 x0:  0xffffffe3012e7410 x1:  0xffffffeb0e15b758  x2:  0xfffffffffffffff8  x3:  0xffffffe3012e7478\n\
             \x20 pc:  0xfffffff007bd0174 cpsr: 0x80601204         esr: 0x96000044          far: {far}\n\
             \nDebugger message: panic\n"
        ))
        .class
    };
    // Key B in bits 62:61, key A and key B in bits 54:53 (any top byte).
    for far in [
        "0xbfffffe4cb03aee4",
        "0xdfffffe4cb03aee4",
        "0xffbfffe4cb03aee4",
        "0x3fdfffe4cb03aee4",
    ] {
        assert_eq!(abort(far), PacFailure, "{far}");
    }
    // A canonical kernel pointer, a pointer with both error bits set or clear elsewhere, a
    // user pointer, a fill pattern, a NULL offset: plain data aborts.
    for far in [
        "0xffffffe4cb03aee4",
        "0x9fffffe4cb03aee4",
        "0xbffeffe4cb03aee4",
        "0x00000001e4cb03ae",
        "0x4141414141414141",
        "0x0000000000000018",
    ] {
        assert_eq!(abort(far), KernelDataAbort, "{far}");
    }
}

/// The first finding names what the message names: the zone, the driver, the GPU family, the
/// SSD, the port, the memory controller, the lock and its owner, the return code.
#[test]
fn titles_and_evidence_name_what_the_message_names() {
    let first = |message: &str| {
        let d = diagnose_text(&log_of(message));
        let evidence: Vec<String> = d.findings[0]
            .evidence
            .iter()
            .map(|e| e.text.clone())
            .collect();
        (d.headline, evidence.join("\n"))
    };
    let cases: &[(&str, &[&str], &[&str])] = &[
        (
            "\"AppleIntelFramebuffer::setPowerState(0xffffff835c3b6000 : 0xffffff7f975f5d88, 1 -> 0) timed out after 45938 ms\"@/AppleInternal/BuildRoot/Library/Caches/com.apple.xbs/Sources/xnu/xnu-6153.101.6/iokit/Kernel/IOServicePM.cpp:5296",
            &["AppleIntelFramebuffer", "1 -> 0", "45938 ms"],
            &["powering off"],
        ),
        (
            "a freed zone element has been modified in zone kalloc.4096: expected 0x3f00116dbe8a46f6 but found 0x3f00116d00000000",
            &["kalloc.4096"],
            &["bytes 0,1,2,3 changed, set to zero"],
        ),
        (
            "[kext.kalloc.80]: element modified after free (off:0, val:0x4141414141414141, sz:80, ptr:0xffffffe4cb9780f0, prot:zero)",
            &["kext.kalloc.80", "80 bytes"],
            &["offset 0", "0x4141414141414141"],
        ),
        (
            "zalloc[3]: zone map exhausted while allocating from zone [VM map entries], likely due to memory leak in zone [VM map entries] (13G, 180906506 elements allocated) @zalloc.c:4560",
            &["VM map entries", "13G"],
            &["KERN_NO_SPACE (3)"],
        ),
        (
            "zalloc: zone map exhausted while allocating from zone kalloc.32, likely due to memory leak in zone kalloc.256 (6094528512 total bytes, 190454016 elements allocated)",
            &["kalloc.256"],
            &["from zone kalloc.32: a victim"],
        ),
        (
            "kmem_alloc(0xffffffddafeb1d80, 49152, 0xe10141): failed with 3 @vm_kern.c:178",
            &["kmem_alloc", "49152 bytes", "KERN_NO_SPACE (3)"],
            &["48 KiB"],
        ),
        (
            "vm_map_delete(0xfffffe1ab931d0c0,0x187b20000,0x187b24000): failed unexpected with 2 @vm_map.c:7922",
            &["vm_map_delete"],
            &["KERN_PROTECTION_FAILURE (2)"],
        ),
        (
            "\"completeMemory() prepare count underflow\" @IOGPUMemory.cpp:492",
            &["IOGPUFamily"],
            &["IOGPUMemory.cpp:492"],
        ),
        (
            "\"virtual bool IOAccelLegacyDisplayMachine::display_mode_did_change(uint32_t): AMDRadeonAccelerator driver returns false\" @IOAccelLegacyDisplayMachine.cpp:267",
            &["AMDRadeonAccelerator", "display_mode_did_change"],
            &[],
        ),
        (
            "\"[IGPU] Failed to wake the ME.\\n\"@/Library/Caches/com.apple.xbs/Sources/GPUDriversIntel/GPUDriversIntel-10.36.26/Common/GLKernel/Intel/kbl/sched3/IGGuC.cpp:1464",
            &["GPUDriversIntel", "Failed to wake the ME"],
            &["IGGuC.cpp:1464"],
        ),
        (
            "NVRM[0/1:0:0]: Read Error 0x00000100: CFG 0xffffffff 0xffffffff 0xffffffff, BAR0 0xd2000000 0xffffff8113bbc000 0x0a5480a2, D0, P3/4",
            &["NVIDIA resource manager"],
            &["0/1:0:0", "no longer answered on the bus"],
        ),
        (
            "\"GPU Panic: [<None>] 5 3 5f 1d 0 8 0 3 : NVRM[0/1:0:0]: Read Error 0x00000144: CFG 0x0fe910de 0x00100406 0xc0000000, BAR0 0x101000000 0xffffff8200014000 0x0e7290a2, D0, P0/4\\n\"@/SourceCache/AppleGraphicsControl/AppleGraphicsControl-3.4.35/src/AppleMuxControl/kext/GPUPanic.cpp:127",
            &["GPU panic"],
            &["10de:0fe9 (NVIDIA)"],
        ),
        (
            "nvme: \"3rd party NVMe controller. PCI link down. Delete IO submission queue. fBuiltIn=1 MODEL=HS-SSD-A4000 1024G FW=HS19644 CSTS=0xffffffff US[1]=0x0 US[0]=0x1274 VID=0xffff DID=0xffff CRITICAL_WARNING=0x0.\\n\" @IONVMeController.cpp:5708",
            &["HS-SSD-A4000 1024G", "link went down"],
            &["dropped off the PCIe bus", "firmware revision HS19644", "VID=0xffff"],
        ),
        (
            "nvme: \"Fatal error occurred. CSTS=0x3 US[1]=0x0 US[0]=0xa6 VID=0x144d DID=0xa808\\n. FW Revision=EXA7301Q\\n\"@IONVMeController.cpp:5320",
            &["Samsung", "CSTS=0x3"],
            &["RDY=1", "CFS=1", "EXA7301Q"],
        ),
        (
            "nvme: \"Fatal error occurred. CSTS=0xd VID=0x15b7 DID=0x5009\\n\"@IONVMeController.cpp:5320",
            &["SanDisk/WD"],
            &["RDY=1", "SHST=11"],
        ),
        (
            "\"AMCC0 DCS GROUP 2 CHANNEL 5 M3_AIC_IRQ_EN_FLD error: INTSTS 0x00000004\" @AppleT6020PlatformErrorHandler.cpp:1064",
            &["AMCC0"],
            &["DCS group 2", "channel 5"],
        ),
        (
            "\"DSB0(MacBookPro15,2): thunderbolt power on failed 0xffffffff\\n\"@/AppleInternal/BuildRoot/Library/Caches/com.apple.xbs/Sources/IOPCIFamily/IOPCIFamily-370.141.1/IOPCIBridge.cpp:1398",
            &["DSB0"],
            &[],
        ),
        (
            "Spinlock[0xfffffe1234567890] timeout after 2400000 ticks; current owner: 0xfffffe2345678900 (on cpu 3), start time: 1000, now: 2401000, timeout: 2400000",
            &["0xfffffe1234567890", "0xfffffe2345678900", "CPU 3"],
            &["2400000 timebase ticks"],
        ),
        (
            "Spinlock acquisition timed out: lock=0xffffff8034a6b980, lock owner thread=0xffffff80456789a0, current_thread: 0xffffff80123456b0, lock owner active on CPU 0x3, current owner: 0xffffff80456789a0, time: 123456789",
            &["0xffffff8034a6b980", "0xffffff80456789a0", "CPU 3"],
            &[],
        ),
        (
            "Mutex 0xfffffe00167da448 is unexpectedly owned by thread 0xf ff ffe29ea6c9030 E@lock_mtx.c:175",
            &["0xfffffe00167da448", "0xfffffe29ea6c9030", "lock_mtx.c:175"],
            &[],
        ),
        (
            "trying to interlock destroyed mutex (0xffffff804e3645f0)",
            &["0xffffff804e3645f0", "destroyed"],
            &["LCK_MTX_TAG_DESTROYED"],
        ),
        (
            "\"Bad tailq elm 0xffffff86c5382100 next->prev != elm @732\"@/System/Volumes/Data/SWE/macOS/BuildRoots/d7e177bcf5/Library/Caches/com.apple.xbs/Sources/xnu/xnu-7195.141.2/bsd/vfs/vfs_subr.c:732",
            &["TAILQ", "0xffffff86c5382100", "vfs_subr.c:732"],
            &["vnode"],
        ),
        (
            "kfree: addr 0xffffffba7b14bd16, size 2 (offs:0) not found in any zone @kalloc.c:2303",
            &["0xffffffba7b14bd16", "2 bytes", "not found in any zone"],
            &["not 8-byte aligned"],
        ),
        (
            "zone_require failed: address in unexpected zone id 71 (default.kalloc.16) (addr: 0xfffffe1234567890, expected: ipc ports)",
            &["zone_require", "0xfffffe1234567890"],
            &["ipc ports"],
        ),
        (
            "Interrupts held disabled for 123456789 nanoseconds",
            &["123.5 ms"],
            &[],
        ),
        (
            "memorystatus_jetsam_thread: no victim! available pages:1423",
            &["1423 pages"],
            &[],
        ),
        (
            "Non-monotonic time: invoke at 0x6a5b4c3d2e1f, runnable at 0x6a5b4c3d2f00",
            &["backwards"],
            &["225 ticks"],
        ),
        (
            "pmap_mark_page_as_ppl_page_internal: page still has mappings, pa=0x851684000 @pmap_data.c:1054",
            &["pmap_mark_page_as_ppl_page_internal"],
            &["0x851684000", "PPL"],
        ),
        (
            "vm_map.c:1234 Assertion failed: entry->vme_start < entry->vme_end",
            &["vm_map.c:1234"],
            &[],
        ),
    ];
    for (message, title_has, evidence_has) in cases {
        let (title, evidence) = first(message);
        for t in *title_has {
            assert!(title.contains(t), "{message}\ntitle {title:?} lacks {t:?}");
        }
        for e in *evidence_has {
            assert!(
                evidence.contains(e),
                "{message}\nevidence lacks {e:?}:\n{evidence}"
            );
        }
    }
}

/// A return code is named one way everywhere: the same number gets the same name in every
/// class that quotes it.
#[test]
fn return_codes_are_named_from_one_table() {
    let named = |message: &str| {
        let d = diagnose_text(&log_of(message));
        d.findings[0]
            .evidence
            .iter()
            .chain(std::iter::once(&kpanic::diagnose::Evidence::fact(
                d.headline.clone(),
            )))
            .map(|e| e.text.clone())
            .collect::<Vec<_>>()
            .join("\n")
    };
    for (code, name) in [
        (1, "KERN_INVALID_ADDRESS (1)"),
        (2, "KERN_PROTECTION_FAILURE (2)"),
        (3, "KERN_NO_SPACE (3)"),
        (6, "KERN_RESOURCE_SHORTAGE (6)"),
    ] {
        let vm = named(&format!(
            "vm_map_delete(0xfffffe1ab931d0c0,0x187b20000,0x187b24000): failed unexpected with {code}"
        ));
        let kmem = named(&format!(
            "kmem_alloc(0xffffffddafeb1d80, 49152, 0xe10141): failed with {code}"
        ));
        assert!(vm.contains(name), "{vm}");
        assert!(kmem.contains(name), "{kmem}");
    }
}

/// Bad input never panics: every message cut short, and with multi-byte characters where the
/// rules look for numbers, pointers and brackets.
#[test]
fn damaged_messages_do_not_panic() {
    for r in ROWS {
        let chars: Vec<(usize, char)> = r.message.char_indices().collect();
        for k in 1..8 {
            let (cut, _) = chars[chars.len() * k / 8];
            let _ = diagnose_text(&log_of(&r.message[..cut]));
        }
        for (from, to) in [
            ("0x", "0x\u{e9}"),
            ("(", "(\u{1f600}"),
            ("[", "[\u{e9}]"),
            (" ", "\u{a0}"),
        ] {
            let _ = diagnose_text(&log_of(&r.message.replace(from, to)));
        }
    }
}

/// iPhones whose thermalmonitord cannot read a sensor panic every few minutes: the userspace
/// watchdog names the daemon, the next line the sensor, and the headline says it is a part,
/// not software (the wording of public iPhone panic reports: "missing sensor(s): mic1").
#[test]
fn a_missing_sensor_is_a_hardware_fault() {
    let d = diagnose_text(
        "panic(cpu 4 caller 0xfffffff01e2c6ac4): userspace watchdog timeout: no successful checkins from thermalmonitord in 180 seconds\n\
         service returned not alive with context : is_alive_func returned unhealthy : current 0, last successful checkin: 180 seconds ago, missing sensor(s): mic1 \n\
         Debugger message: panic\nOS version: 20E252\n",
    );
    assert_eq!(d.class, UserspaceWatchdogTimeout);
    assert!(d.headline.contains("sensor mic1"), "{}", d.headline);
    assert!(d.headline.contains("hardware"), "{}", d.headline);
    assert!(
        d.findings[0].next_steps[0].contains("reseat or replace"),
        "{:?}",
        d.findings[0].next_steps
    );
}
