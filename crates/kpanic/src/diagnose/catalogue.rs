//! The panic classes: what the panic string and the rest of the log say happened.
//!
//! Every class has a stable identifier (the `class` of the JSON), an explanation in plain words
//! and next steps. [`classify`] picks the class and builds the first finding of a diagnosis,
//! with the evidence it rests on.

use kpanic_report::RuntimeAddr;

use super::fault::{self, PointerKind};
use super::suspects::Suspect;
use super::{shorten, Confidence, Ctx, Evidence, Finding, FindingKind};

/// One panic class of the catalogue.
#[derive(Debug)]
pub struct ClassInfo {
    /// Stable identifier.
    pub id: &'static str,
    /// Short human name.
    pub name: &'static str,
    pub explanation: &'static str,
    pub next_steps: &'static [&'static str],
}

/// Every panic class kpanic knows, in the order they are tried (most specific first).
pub static CATALOGUE: &[ClassInfo] = &[
    ClassInfo {
        id: "watchdogd_timeout",
        name: "watchdogd timeout",
        explanation: "The hardware watchdog is fed by the watchdogd daemon. watchdogd did not check in for the \
            whole timeout, so the kernel panicked on purpose. The backtrace is the watchdog timer interrupt \
            (or whatever happened to run on that CPU): it is not the cause. The cause is a stall: user space \
            could not run watchdogd, usually because many threads were blocked in the VM, in a filesystem, \
            on a lock held by a stuck thread, or behind a hung driver.",
        next_steps: &[
            "Ignore the panicked backtrace; look at what the rest of the system was doing.",
            "Look at the busiest threads of the cpu_usage table and at processes that were starting, exiting or doing heavy I/O.",
            "Check disk health and free space, network filesystems, and third-party filesystem or security (Endpoint Security) software.",
        ],
    },
    ClassInfo {
        id: "userspace_watchdog_timeout",
        name: "userspace watchdog timeout",
        explanation: "watchdogd monitors a few critical daemons (WindowServer, logd, configd, opendirectoryd, remoted…). \
            One of them stopped checking in for the whole timeout (watchdogd first tries to recover it by \
            crashing it: the 'induced crashes'), so the kernel panicked on purpose. The backtrace is watchdogd's \
            and says nothing about the cause: the hung daemon is the lead.",
        next_steps: &[
            "Find out why the named daemon hung: its own crash/hang reports (DiagnosticReports/<daemon>-*.ips, induced crashes) around the panic time.",
            "WindowServer hangs usually come from the GPU/display path (GPU drivers, external displays, docks, screen-capture software).",
            "Look at the unified log just before the panic: `log show --last boot --predicate 'process == \"watchdogd\"'` on the next boot is too late; use `log show --start …` for the panic time.",
        ],
    },
    ClassInfo {
        id: "hardware_watchdog_timeout",
        name: "hardware watchdog (CPU not responding)",
        explanation: "A CPU stopped responding to the watchdog / cross-call: it spun with interrupts masked (a stuck \
            spinlock or a driver looping in interrupt context) or the core hung in hardware.",
        next_steps: &[
            "Look at the named CPU's PC in the CORE lines (symbolicate with --kdk): that is where it was stuck.",
            "Repeated on the same CPU or cluster with different software: suspect hardware; test with Apple Diagnostics.",
        ],
    },
    ClassInfo {
        id: "t2_sleep_wake_watchdog",
        name: "T2 watchdog during sleep/wake",
        explanation: "This panic was written by the T2 (bridgeOS), not by macOS: the Intel side did not complete a \
            sleep or wake transition in time and the T2's SoC watchdog reset the system. The macOS side of the \
            story (which driver blocked the transition) is not in this file.",
        next_steps: &[
            "Find the macOS-side log of the same time: `pmset -g log` (Sleep/Wake failures, 'Sleep Wake failure in EFI'), and any macOS panic or sleep-wake failure report.",
            "Disconnect USB/Thunderbolt peripherals and docks, reset SMC/NVRAM, update macOS (it updates bridgeOS).",
            "Repeated sleep/wake resets on a T2 Mac with nothing attached: suspect logic-board hardware.",
        ],
    },
    ClassInfo {
        id: "t2_macos_watchdog",
        name: "T2 detected a hung macOS",
        explanation: "The T2 (bridgeOS) watchdog found the Intel side (macOS) unresponsive and reset it. The cause is a \
            macOS hang, whose details are not in this bridgeOS panic.",
        next_steps: &[
            "Look for a macOS panic, spin or hang report from the same time.",
            "Check third-party kexts and peripherals; update macOS.",
        ],
    },
    ClassInfo {
        id: "sleep_wake_timeout",
        name: "sleep/wake transition timeout",
        explanation: "A driver did not finish its power-state change in time while the system went to sleep or woke \
            up, and the power-management watchdog panicked. The log names the suspected bundle: the driver whose \
            setPowerState/power callback was still running. It is often the victim of a device that stopped \
            responding (USB, Thunderbolt, PCIe, GPU).",
        next_steps: &[
            "Start from the suspected bundle and the backtraced thread (it is the thread stuck in the power callback, not the panicking CPU).",
            "Disconnect the peripherals on that bus (USB hubs, docks, card readers) and retry sleep.",
            "`pmset -g log | grep -i failure` shows earlier sleep/wake failures and their codes.",
        ],
    },
    ClassInfo {
        id: "forced_reset",
        name: "forced reset (buttons held)",
        explanation: "Not a crash: someone held the reset button combination (btn_rst) and the kernel wrote a panic \
            log with a stackshot before resetting. The backtrace is the button driver. If the device was hung, \
            the stackshot shows what it was waiting for.",
        next_steps: &[
            "Ask why the reset was forced: if the device was frozen, diagnose the hang from the stackshot (threads below).",
            "A device in 'Restore' release type was in the restore/update ramdisk: the reset interrupted an update or restore.",
        ],
    },
    ClassInfo {
        id: "mte_tag_check_fault",
        name: "MTE tag check fault",
        explanation: "Memory Tagging (MTE) caught the kernel using a pointer whose tag does not match the tag of the \
            memory it points to: the object was freed and reallocated (use-after-free) or the access ran out of \
            bounds. The code at pc is the one that used the stale pointer; the bug is where the pointer was kept \
            past the object's life.",
        next_steps: &[
            "Symbolicate pc/lr (--kdk / --kernelcache) and find which object the stale pointer referred to.",
            "Look at the process that triggered it: a test or exploit program (TestPOC, fuzzers) means a reproducible kernel bug to report.",
            "Look for a race: two threads of the panicked process using and releasing the same object (user client close vs. method call).",
        ],
    },
    ClassInfo {
        id: "pac_failure",
        name: "pointer authentication failure",
        explanation: "A signed kernel pointer (return address, function pointer, vtable) failed its PAC check: it was \
            overwritten or taken from freed memory. This is memory corruption caught on use.",
        next_steps: &[
            "Symbolicate the faulting pc to find which pointer was authenticated.",
            "Treat it as memory corruption: look for use-after-free in the object that held the pointer.",
        ],
    },
    ClassInfo {
        id: "unaligned_abort",
        name: "unaligned kernel data abort",
        explanation: "The kernel accessed memory through a misaligned address with an instruction that needs \
            alignment (atomic or exclusive access, device memory). Usually a corrupted pointer or a packed \
            structure used with atomics.",
        next_steps: &[
            "Symbolicate pc and look at the access: which structure, and why the address is misaligned.",
        ],
    },
    ClassInfo {
        id: "kernel_instruction_abort",
        name: "kernel instruction fetch abort",
        explanation: "The kernel jumped to an address that is not executable kernel code: a corrupted function pointer, \
            a call through freed memory, or a return to a smashed stack.",
        next_steps: &[
            "Look at lr (the caller that made the bad jump) and symbolicate it.",
            "Treat as memory corruption: find where the function pointer came from.",
        ],
    },
    ClassInfo {
        id: "kernel_data_abort",
        name: "kernel data abort",
        explanation: "The kernel dereferenced an address with no valid mapping (arm64 data abort at EL1). `far` is the \
            address it tried to access and `pc` the faulting instruction. A small `far` is a NULL pointer plus a \
            field offset; a pattern such as 0x4141… or a non-canonical value is a corrupted or attacker-controlled \
            pointer.",
        next_steps: &[
            "Symbolicate pc and lr (--kdk, or --symbols for a kext) to see which function and which field.",
            "Check `far` against the analysis below (NULL + offset, poisoned, corrupt, heap).",
            "If a third-party kext is in the backtrace, update or remove it first.",
        ],
    },
    ClassInfo {
        id: "undefined_instruction",
        name: "undefined kernel instruction",
        explanation: "The CPU hit an instruction it refuses to execute in the kernel: a corrupted code pointer, a \
            deliberate trap (brk/udf used as an assertion), or a privileged system-register write blocked by the \
            platform (e.g. APRR/PPL lockdown).",
        next_steps: &[
            "Look at the instruction encoding in the message and symbolicate pc.",
        ],
    },
    ClassInfo {
        id: "intel_kext_trap",
        name: "kernel trap inside a kext (Intel)",
        explanation: "The CPU faulted (page fault or general protection) on an instruction inside a kernel extension: \
            that kext dereferenced a bad pointer. The kext whose range holds the faulting RIP is the first suspect.",
        next_steps: &[
            "Symbolicate RIP and the backtrace with the kext's dSYM (--symbols).",
            "Update or remove the kext; if it is Apple's, look at the third-party kexts and devices that talk to it.",
        ],
    },
    ClassInfo {
        id: "intel_page_fault",
        name: "kernel page fault (Intel)",
        explanation: "The kernel touched an unmapped address (trap type 14). `CR2` is the address: a small value is a \
            NULL pointer plus a field offset, a high kernel address a freed or corrupt pointer. The error code says \
            whether it was a read or a write and whether the page was present.",
        next_steps: &[
            "Symbolicate RIP and the backtrace with the KDK (--kdk): the faulting function and field.",
            "Look at the process named in the log: what it was doing (system call, I/O, IOKit call).",
        ],
    },
    ClassInfo {
        id: "intel_general_protection",
        name: "general protection fault (Intel)",
        explanation: "The CPU refused an access (trap type 13), almost always because a pointer was non-canonical: \
            garbage or a poisoned value from freed memory. On a GP fault CR2 is stale: the bad value is in the \
            registers, not in CR2.",
        next_steps: &[
            "Look at the registers flagged below: the non-canonical one is the bad pointer.",
            "Symbolicate RIP; a poisoned pattern means use-after-free of the object that held that pointer.",
        ],
    },
    ClassInfo {
        id: "intel_double_fault",
        name: "double fault (Intel)",
        explanation: "A fault happened while handling another fault, which on x86_64 kernels is almost always a kernel \
            stack overflow (deep recursion, a huge local buffer) or a corrupted stack pointer.",
        next_steps: &[
            "Look for recursion in the backtrace (the same frames repeating).",
            "Third-party kexts with deep call chains (filesystems, network filters) are usual suspects.",
        ],
    },
    ClassInfo {
        id: "intel_kernel_trap",
        name: "kernel trap (Intel)",
        explanation: "The CPU raised an exception in kernel mode that the kernel could not handle.",
        next_steps: &["Symbolicate RIP and the backtrace with the KDK (--kdk)."],
    },
    ClassInfo {
        id: "zone_use_after_free",
        name: "zone use-after-free",
        explanation: "The zone allocator found a freed element that was written after it was freed (or freed twice). \
            The panicking thread is only the one that reallocated it: the bug is in whoever kept using the object \
            of that zone after releasing it.",
        next_steps: &[
            "The zone name tells the object type (e.g. iokit.IOCommandGate): find who frees and who still uses it.",
            "Look at the panicked process: a test/exploit program racing close/release against use is the classic pattern.",
            "On a development kernel, `-zc` / zone logging (zlog=<zone>) records the last frees of that zone.",
        ],
    },
    ClassInfo {
        id: "zone_corruption",
        name: "zone element corruption",
        explanation: "The zone allocator's checks found an element that does not belong where it was used or freed \
            (zone_require, bounds, wrong zone, bad free): heap corruption or a type confusion.",
        next_steps: &[
            "The message names the zone and address: find the code that freed or used the element.",
        ],
    },
    ClassInfo {
        id: "zone_map_exhausted",
        name: "zone map exhausted (kernel memory leak)",
        explanation: "The kernel ran out of address space for its heap (the zone map). This is almost always a leak: \
            one zone grew without bound. The panicking allocation is a victim; the zone named as the largest is \
            the leak.",
        next_steps: &[
            "The largest zone named in the message is the leak: find which driver or subsystem allocates that type.",
            "`zprint` on a running system (sorted by size) shows the growing zone before the next panic.",
        ],
    },
    ClassInfo {
        id: "blocking_with_spinlock",
        name: "blocking while holding a spinlock",
        explanation: "A thread tried to block (sleep, take a mutex, wait) while preemption was disabled — holding a \
            spinlock or running in interrupt context. The code that blocked is in the backtrace above the scheduler \
            frames; when a third-party kext is there, it is the prime suspect.",
        next_steps: &[
            "Find the frame that called into the scheduler (thread_block / lck_mtx_lock / IOLockLock) and the spinlock it held.",
            "Without a third-party kext in the backtrace, symbolicate it (--kdk) to find the blocking call and its caller.",
        ],
    },
    ClassInfo {
        id: "spinlock_timeout",
        name: "spinlock timeout",
        explanation: "A CPU spun on a spinlock for too long: the owner never released it (it is stuck, or the lock is \
            corrupt). The message usually names the lock and its owner thread/CPU; the owner's CPU state shows where \
            it was stuck.",
        next_steps: &[
            "Find the owner CPU in the CORE lines and symbolicate its PC.",
            "A lock value that is not a thread pointer means the lock memory was corrupted or freed.",
        ],
    },
    ClassInfo {
        id: "interrupts_disabled_too_long",
        name: "interrupts or preemption disabled too long",
        explanation: "A CPU ran too long with interrupts or preemption disabled (an interrupt handler or a \
            spinlock-protected loop that did not end), and the kernel's timeout check panicked.",
        next_steps: &[
            "Symbolicate the backtrace: the long-running handler or loop is the cause.",
        ],
    },
    ClassInfo {
        id: "dcp_panic",
        name: "display coprocessor (DCP) panic",
        explanation: "The display coprocessor firmware (DCP, RTKit) crashed or asserted and took the system down. \
            The panic text carries its own crash log (RTKit task list, assert file:line). DCP panics follow display \
            events: hot-plugging monitors, docks, adapters, cables, sleep/wake with external displays.",
        next_steps: &[
            "Read the ASSERT line: it names the firmware component (e.g. DPTX power controller = external display link).",
            "Try another cable/adapter/dock, avoid hot-plugging during sleep, update macOS (DCP firmware ships with it).",
            "Report to Apple with the full panic: only Apple can fix DCP firmware.",
        ],
    },
    ClassInfo {
        id: "aop_panic",
        name: "always-on processor (AOP) panic",
        explanation: "The Always-On Processor (sensors, motion, 'Hey Siri', sensor hub) firmware crashed or asserted. \
            Its RTKit assert is in the panic text.",
        next_steps: &[
            "Read the assert: it names the AOP component that failed.",
            "If user space was hammering a sensor/HID interface (e.g. a test program), that interaction is the trigger.",
            "Otherwise update the OS; repeated AOP panics on an idle device point to hardware.",
        ],
    },
    ClassInfo {
        id: "ans_panic",
        name: "storage controller (ANS) panic",
        explanation: "The NAND storage coprocessor (ANS) firmware panicked or stopped answering. This is the internal \
            SSD's controller: firmware bugs or failing flash.",
        next_steps: &[
            "Check storage health and free space; back up now.",
            "Update the OS (ANS firmware ships with it); repeated ANS panics mean a hardware repair.",
        ],
    },
    ClassInfo {
        id: "smc_panic",
        name: "SMC / power-controller panic",
        explanation: "The System Management Controller (power, thermals, battery, fans) firmware panicked or stopped \
            responding.",
        next_steps: &[
            "Check battery/power adapter and thermal conditions; update the OS.",
            "Repeated SMC panics: hardware diagnostics.",
        ],
    },
    ClassInfo {
        id: "sep_panic",
        name: "Secure Enclave panic",
        explanation: "The Secure Enclave Processor (SEP) firmware panicked or stopped responding, and the kernel \
            followed.",
        next_steps: &[
            "Update the OS; repeated SEP panics (especially at boot or unlock) need hardware service.",
        ],
    },
    ClassInfo {
        id: "coprocessor_panic",
        name: "coprocessor firmware panic",
        explanation: "A coprocessor running RTKit firmware crashed or asserted and the kernel panicked with it. The \
            coprocessor's own crash log is in the panic text.",
        next_steps: &[
            "Read the coprocessor's assert / faulting task in the panic text.",
            "Update the OS (the firmware ships with it) and report to Apple.",
        ],
    },
    ClassInfo {
        id: "pcie_link_down",
        name: "PCIe link down",
        explanation: "A PCIe link (internal device or Thunderbolt) went down unexpectedly and the driver panicked. \
            The device fell off the bus: power, cable, hardware or firmware of that device.",
        next_steps: &[
            "Identify the port/device in the message (Wi-Fi, Thunderbolt, SSD…).",
            "Disconnect Thunderbolt/PCIe peripherals; repeated link-down on an internal device points to hardware.",
        ],
    },
    ClassInfo {
        id: "platform_hardware_error",
        name: "platform hardware error (memory fabric / SoC)",
        explanation: "The SoC's error handler reported a hardware error (AMCC = memory controller/cache, DCS = DRAM \
            channel, fabric or interrupt-controller errors). Software can trigger such errors (a GPU or display \
            client misprogramming memory), but a recurring one on the same channel points to hardware.",
        next_steps: &[
            "Note the unit and channel in the message and whether it repeats across panics.",
            "If it follows a specific workload (GPU present modes, external displays), report it to Apple with a reproducer.",
            "Run Apple Diagnostics; repeated AMCC/DCS errors with different workloads mean a hardware repair.",
        ],
    },
    ClassInfo {
        id: "gpu_panic",
        name: "GPU panic",
        explanation: "The GPU driver gave up on the GPU: a hang, a read error over PCIe, or a firmware fault. On Macs \
            with discrete GPUs the NVIDIA/AMD driver kexts are in the backtrace.",
        next_steps: &[
            "Look at which GPU and driver (kexts in backtrace) and what ran on the GPU (CUDA, games, external displays).",
            "Third-party GPU drivers (NVIDIA Web Driver, CUDA) first: update or remove.",
            "Read errors from the GPU over PCIe on older MacBook Pros with discrete GPUs are a known hardware failure.",
        ],
    },
    ClassInfo {
        id: "nvme_fatal",
        name: "NVMe controller fatal error",
        explanation: "The NVMe SSD controller reported a fatal status (CSTS.CFS) or stopped answering commands, and \
            IONVMeFamily panicked. VID/DID identify the SSD; third-party SSDs (and Hackintosh setups) with power-state \
            or firmware incompatibilities are the classic case.",
        next_steps: &[
            "Identify the SSD from VID/DID (0x144d = Samsung, 0x15b7 = SanDisk/WD, 0x1987 = Phison, 0x126f = Silicon Motion…) and update its firmware.",
            "Third-party SSDs: disable deep power states (APST) or use a known-compatible model; check the drive's SMART health.",
            "Apple SSDs: back up and run Diagnostics.",
        ],
    },
    ClassInfo {
        id: "codesigning_panic",
        name: "code signing / AMFI panic",
        explanation: "AppleMobileFileIntegrity (code signing, entitlements, trust cache) found an inconsistency it \
            treats as fatal. Patched AMFI, sideloading tools, jailbreaks and research VMs are the usual trigger.",
        next_steps: &[
            "Check for kernel or AMFI patches, sideloaded apps, or modified boot (research VM, jailbreak).",
            "On a stock system, report to Apple with the app that was launching.",
        ],
    },
    ClassInfo {
        id: "vm_map_failure",
        name: "VM map failure",
        explanation: "The virtual-memory system found a map operation failing where it must not (vm_map_delete, \
            vm_map_enter…): a corrupted map entry, or a task manipulating its own mappings in a way the kernel \
            did not expect (debuggers, instrumentation like Frida, JIT).",
        next_steps: &[
            "Look at the panicked process and what it does with memory (instrumentation, remapping, code injection).",
            "The return code in the message (2 = KERN_INVALID_ADDRESS…) says what failed.",
        ],
    },
    ClassInfo {
        id: "pmap_panic",
        name: "pmap / page-table panic",
        explanation: "The physical map layer (pmap, PPL/SPTM on Apple silicon) found an inconsistent page table or \
            mapping: memory corruption or a hardware error.",
        next_steps: &[
            "Read the message for the physical page and the mapping; repeated on different pages means hardware.",
        ],
    },
    ClassInfo {
        id: "lock_misuse",
        name: "lock misuse",
        explanation: "A lock was used incorrectly (unlocked by a non-owner, destroyed while held, corrupted lock \
            word): a bug in the code that owns the lock, or the lock's memory was freed.",
        next_steps: &["Symbolicate the backtrace: the caller of the lock operation is the bug."],
    },
    ClassInfo {
        id: "kernel_stack_overflow",
        name: "kernel stack overflow",
        explanation: "A kernel thread overflowed its stack (deep recursion, big locals, deep filter chains).",
        next_steps: &[
            "Look for repeating frames in the backtrace; filesystem and network filter kexts stack up deeply.",
        ],
    },
    ClassInfo {
        id: "compressor_exhausted",
        name: "VM compressor / swap exhausted",
        explanation: "The VM compressor or swap ran out of room: the system was out of memory with no way to page \
            out.",
        next_steps: &[
            "Find the process that used the memory (memory footprint, leaks); free disk space for swap.",
        ],
    },
    ClassInfo {
        id: "kernel_assertion",
        name: "kernel assertion",
        explanation: "Kernel or driver code found an invariant broken and called panic() on purpose; the message and \
            the source file:line say which check failed. The code that broke the invariant is usually a caller in \
            the backtrace.",
        next_steps: &[
            "Read the assertion message and file:line; symbolicate the backtrace to see who called with the bad state.",
            "If the path comes from user space (IOKit user client, system call), the calling process triggered it: note it for a reproducer.",
        ],
    },
    ClassInfo {
        id: "unknown",
        name: "unrecognised panic",
        explanation: "kpanic does not know this panic message. The evidence below is what the log says; the rest of \
            the diagnosis (suspects, memory, threads) still applies.",
        next_steps: &[
            "Symbolicate the backtrace (kpanic symbolicate --kdk …) and read the panic message in the xnu/driver source.",
        ],
    },
];

/// The catalogue entry of `id` (the `unknown` entry when there is none).
pub fn info(id: &str) -> &'static ClassInfo {
    CATALOGUE
        .iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| CATALOGUE.last().expect("catalogue is not empty"))
}

/// The class of the panic, from its message and the rest of the log.
pub fn detect(ctx: &Ctx) -> &'static str {
    let r = ctx.report;
    let m = ctx.message_lc();
    let has = |s: &str| m.contains(s);
    let bug_type = r
        .ips
        .as_ref()
        .and_then(|i| i.header.bug_type.as_deref().or(i.body.bug_type.as_deref()));

    if m.is_empty() {
        if bug_type == Some("151") {
            return "forced_reset";
        }
        // A fragment without its panic line: a keepsyms backtrace through kernel_trap that
        // returns into a kext is still a trap in that kext.
        if trap_kext_from_keepsyms(ctx).is_some() {
            return "intel_kext_trap";
        }
        return "unknown";
    }
    if has("no checkins from watchdogd") || has("watchdog timeout: no checkins") {
        return "watchdogd_timeout";
    }
    if has("userspace watchdog timeout") {
        return "userspace_watchdog_timeout";
    }
    if has("wdt timeout") || (has("cpu") && has("failed to respond")) {
        return "hardware_watchdog_timeout";
    }
    if has("watchdog") && (has("sleep/wake") || has("sleep\\/wake")) {
        return "t2_sleep_wake_watchdog";
    }
    if has("macos watchdog detected") {
        return "t2_macos_watchdog";
    }
    if has("btn_rst") || has("force reset") || has("forcereset") || bug_type == Some("151") {
        return "forced_reset";
    }
    if (has("sleep transition") || has("wake transition") || has("sleep/wake"))
        && (has("timed out") || has("suspected bundle"))
    {
        return "sleep_wake_timeout";
    }
    if has("tag check fault") {
        return "mte_tag_check_fault";
    }
    if has("ptrauth") || has("pointer authentication") || has("pac failure") {
        return "pac_failure";
    }
    // Coprocessors before the generic assertion: their messages contain "assert".
    if has("dcp panic") || has("dcpext panic") {
        return "dcp_panic";
    }
    if has("aop panic") {
        return "aop_panic";
    }
    if has("ans2") || has("ans panic") || has("ans3") {
        return "ans_panic";
    }
    if has("smc panic") || has("smc::") {
        return "smc_panic";
    }
    if has("sep panic") || has("sep/os panic") || has("sep rom panic") {
        return "sep_panic";
    }
    if (has(" panic - ") && !r.panic_details.is_empty())
        || r.panic_details.iter().any(|l| l.contains("RTKit:"))
    {
        return "coprocessor_panic";
    }
    let location = r
        .panic
        .as_ref()
        .and_then(|p| p.location.as_ref())
        .map(|l| l.file.to_ascii_lowercase())
        .unwrap_or_default();
    if has("amcc") || has("dcs group") || location.contains("platformerrorhandler") {
        return "platform_hardware_error";
    }
    if has("pcie") && (has("link down") || has("linkdown") || has("link is down")) {
        return "pcie_link_down";
    }
    if has("gpu panic") || has("gpu hang") || has("nvrm") || has("agx") || has("gpu restart") {
        return "gpu_panic";
    }
    if has("nvme") && (has("fatal") || has("timeout") || has("csts"))
        || location.contains("ionvmecontroller")
    {
        return "nvme_fatal";
    }
    if has("modified after free") || has("use-after-free") || has("double free") {
        return "zone_use_after_free";
    }
    if has("zone map exhausted") || has("zone_map_exhausted") {
        return "zone_map_exhausted";
    }
    if has("zone_require") || has("zone bound") || has("zfree") || has("kfree") || has("zalloc") {
        return "zone_corruption";
    }
    if has("preemption_level") || has("blocking while holding a spinlock") {
        return "blocking_with_spinlock";
    }
    if has("spinlock") && (has("timeout") || has("timed out")) || has("spinlock acquisition") {
        return "spinlock_timeout";
    }
    if (has("interrupt") || has("preemption")) && (has("too long") || has("for more than")) {
        return "interrupts_disabled_too_long";
    }
    if has("amfi") || has("code signature") || has("coretrust") || has("codesign") {
        return "codesigning_panic";
    }
    if has("unaligned") && has("abort") {
        return "unaligned_abort";
    }
    if has("instruction fetch abort") || has("instruction abort") {
        return "kernel_instruction_abort";
    }
    if has("kernel data abort") || has("data abort") {
        return "kernel_data_abort";
    }
    if has("undefined kernel instruction") || has("undefined instruction") {
        return "undefined_instruction";
    }
    if let Some(trap) = r.panic.as_ref().and_then(|p| p.trap.as_ref()) {
        if ctx.kext_at(trap.address).is_some() || in_legacy_kext_region(trap.address.get()) {
            return "intel_kext_trap";
        }
        return match trap.trap_type {
            Some(14) => "intel_page_fault",
            Some(13) => "intel_general_protection",
            Some(8) => "intel_double_fault",
            _ => "intel_kernel_trap",
        };
    }
    if has("kernel trap") {
        return "intel_kernel_trap";
    }
    if has("stack overflow") || has("invalid kernel stack") {
        return "kernel_stack_overflow";
    }
    if has("vm_map") || has("vm_fault") || has("vm_page") || has("vm_object") {
        return "vm_map_failure";
    }
    if has("pmap") || has("ppl ") || has("ppl:") || has("sptm") {
        return "pmap_panic";
    }
    if has("lck_") || has("mutex") || has("rwlock") || has("lock ") && has("owner") {
        return "lock_misuse";
    }
    if has("compressor") || has("swap space") || has("swapfile") {
        return "compressor_exhausted";
    }
    if r.panic.as_ref().is_some_and(|p| p.location.is_some()) {
        return "kernel_assertion";
    }
    "unknown"
}

/// Intel ≤ 10.15 kexts live in 0xffffff7f80000000..0xffffff8000000000 (the kernel above).
pub fn in_legacy_kext_region(a: u64) -> bool {
    (0xffff_ff7f_0000_0000..0xffff_ff80_0000_0000).contains(&a)
}

/// In a keepsyms backtrace: the kext frame right after the second `return_from_trap` /
/// `trap_from_kernel` (the first is the panic's own debugger trap).
fn trap_kext_from_keepsyms(ctx: &Ctx) -> Option<(String, usize)> {
    let bt = ctx.report.backtrace.as_ref()?;
    let has_kernel_trap = bt.frames.iter().any(|f| {
        f.symbol
            .as_ref()
            .is_some_and(|s| s.symbol.contains("kernel_trap"))
    });
    if !has_kernel_trap {
        return None;
    }
    let mut traps = 0;
    for (i, f) in bt.frames.iter().enumerate() {
        let Some(s) = &f.symbol else { continue };
        if s.symbol.contains("return_from_trap") || s.symbol.contains("trap_from_kernel") {
            traps += 1;
            if traps == 2 {
                let next = bt.frames.get(i + 1)?;
                let img = next.symbol.as_ref().map(|s| s.image.clone())?;
                if img != "mach_kernel" {
                    return Some((img, next.line));
                }
                return None;
            }
        }
    }
    None
}

fn first_number_after(s: &str, key: &str) -> Option<u64> {
    let i = s.find(key)? + key.len();
    let digits: String = s[i..]
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    digits.parse().ok()
}

/// The value after `key` up to the next space/comma/paren (`CSTS=0x1` → `0x1`).
fn value_after<'a>(s: &'a str, key: &str) -> Option<&'a str> {
    let i = s.find(key)? + key.len();
    let rest = &s[i..];
    let end = rest
        .find(|c: char| c.is_whitespace() || c == ',' || c == ')' || c == '"' || c == '\\')
        .unwrap_or(rest.len());
    Some(&rest[..end]).filter(|v| !v.is_empty())
}

fn process_phrase(ctx: &Ctx) -> Option<String> {
    let r = ctx.report;
    let t = r.panicked_task.as_ref();
    let name = t.and_then(|t| t.name.clone()).or_else(|| {
        r.panicked_thread
            .as_ref()
            .and_then(|t| t.process_name.clone())
    })?;
    Some(match t.and_then(|t| t.pid) {
        Some(pid) => format!("{name} (pid {pid})"),
        None => name,
    })
}

/// Builds the panic-class finding: the first finding of every diagnosis.
pub fn classify(ctx: &Ctx, suspects: &[Suspect]) -> Finding {
    let id = detect(ctx);
    let info = info(id);
    let r = ctx.report;
    let msg = r
        .panic
        .as_ref()
        .map(|p| p.reason.clone())
        .unwrap_or_default();
    let confidence = if id == "unknown" {
        Confidence::Low
    } else if r.panic.is_none() {
        Confidence::Medium
    } else {
        Confidence::High
    };
    let mut f = Finding::new(
        id,
        FindingKind::PanicClass,
        confidence,
        1000,
        info.name,
        info.explanation,
    );
    if let Some(p) = &r.panic {
        f.evidence.push(ctx.quote(p.line, &p.message));
    }
    let proc_ = process_phrase(ctx);
    let top_suspect = suspects
        .iter()
        .find(|s| s.in_panicked_backtrace && s.third_party);

    match id {
        "watchdogd_timeout" => watchdog(ctx, &mut f, &msg),
        "userspace_watchdog_timeout" => userspace_watchdog(ctx, &mut f, &msg),
        "hardware_watchdog_timeout" => {
            f.title = format!("Hardware watchdog: {}", shorten(msg.trim(), 120));
        }
        "t2_sleep_wake_watchdog" => {
            f.title = "The T2 reset the Mac: a sleep/wake transition never completed".into();
            if let Some(h) = &r.ips {
                if let Some(c) = &h.header.caused_by {
                    f.evidence.push(Evidence::fact(format!(
                        "ips header: caused_by = {c}, macos_system_state = {}",
                        h.header.macos_system_state.as_deref().unwrap_or("?")
                    )));
                }
                if let Some(p) = &h.body.product {
                    f.evidence.push(Evidence::fact(format!(
                        "product {p} ({})",
                        h.body.build.as_deref().unwrap_or("?")
                    )));
                }
            }
        }
        "t2_macos_watchdog" => {
            f.title = "The T2 found macOS hung and reset it".into();
        }
        "sleep_wake_timeout" => sleep_wake(ctx, &mut f, &msg),
        "forced_reset" => {
            f.title =
                "Forced reset (buttons held): not a crash — look at what the device was stuck on"
                    .into();
            if let Some(t) = &r.system.os_release_type {
                if t.eq_ignore_ascii_case("restore") {
                    f.evidence.push(
                        ctx.find_line("OS release type")
                            .map(|(i, _)| ctx.quote(i, ""))
                            .unwrap_or_else(|| Evidence::fact("OS release type: Restore")),
                    );
                    f.title =
                        "Forced reset (buttons held) during a restore/update: not a crash".into();
                }
            }
            if let Some(h) = &r.ips {
                if h.header.bug_type.as_deref() == Some("151") {
                    f.evidence.push(Evidence::fact(
                        "bug_type 151: a forceReset report, not a kernel panic",
                    ));
                }
            }
        }
        "kernel_data_abort"
        | "unaligned_abort"
        | "kernel_instruction_abort"
        | "pac_failure"
        | "undefined_instruction" => arm_abort(ctx, &mut f, id, proc_.as_deref()),
        "mte_tag_check_fault" => mte(ctx, &mut f, proc_.as_deref()),
        "intel_page_fault"
        | "intel_general_protection"
        | "intel_double_fault"
        | "intel_kernel_trap"
        | "intel_kext_trap" => intel_trap(ctx, &mut f, id, proc_.as_deref(), suspects),
        "zone_use_after_free" | "zone_corruption" | "zone_map_exhausted" => {
            zone(ctx, &mut f, id, &msg, proc_.as_deref())
        }
        "blocking_with_spinlock" => {
            let lvl = first_number_after(&msg, "preemption_level");
            f.title = match (lvl, top_suspect) {
                (_, Some(s)) => format!(
                    "Blocked while holding a spinlock{} — third-party {} is in the backtrace",
                    lvl.map(|l| format!(" (preemption level {l})"))
                        .unwrap_or_default(),
                    s.bundle_id
                ),
                (Some(l), None) => {
                    format!("Blocked while holding a spinlock (preemption level {l})")
                }
                (None, None) => "Blocked while holding a spinlock".into(),
            };
        }
        "dcp_panic" | "aop_panic" | "ans_panic" | "smc_panic" | "sep_panic"
        | "coprocessor_panic" => coprocessor(ctx, &mut f, id, &msg),
        "platform_hardware_error" => {
            let unit = msg.split_whitespace().next().unwrap_or("SoC");
            f.title = format!(
                "Hardware error reported by the SoC ({unit}): {}",
                shorten(msg.trim_matches('"'), 70)
            );
            halt_evidence(ctx, &mut f);
        }
        "gpu_panic" => {
            f.title = format!("GPU panic: {}", shorten(msg.trim_matches('"'), 90));
            if let Some(s) = suspects
                .iter()
                .find(|s| s.third_party && s.category == "gpu")
            {
                f.title
                    .push_str(&format!(" — third-party {} loaded", s.bundle_id));
            }
            let gpu_kexts: Vec<&str> = r
                .kexts_in_backtrace
                .iter()
                .map(|k| k.kext.bundle_id.as_str())
                .filter(|b| {
                    let b = b.to_ascii_lowercase();
                    b.contains("nvda")
                        || b.contains("nvidia")
                        || b.contains("amd")
                        || b.contains("agx")
                        || b.contains("intelhd")
                        || b.contains("graphics")
                })
                .collect();
            if !gpu_kexts.is_empty() {
                f.evidence.push(Evidence::fact(format!(
                    "GPU driver kexts in the backtrace: {}",
                    gpu_kexts.join(", ")
                )));
            }
        }
        "nvme_fatal" => nvme(ctx, &mut f, &msg),
        "codesigning_panic" => {
            f.title = format!(
                "Code-signing (AMFI) panic{}: {}",
                proc_
                    .as_ref()
                    .map(|p| format!(" in {p}"))
                    .unwrap_or_default(),
                shorten(msg.trim_matches('"'), 90)
            );
        }
        "vm_map_failure" => {
            f.title = format!(
                "VM map failure{}: {}",
                proc_
                    .as_ref()
                    .map(|p| format!(" in {p}"))
                    .unwrap_or_default(),
                shorten(msg.trim(), 100)
            );
            if let Some(code) = msg
                .rsplit("failed unexpected with ")
                .next()
                .filter(|_| msg.contains("failed unexpected with"))
                .and_then(|s| s.split_whitespace().next())
            {
                let name = match code {
                    "1" => "KERN_INVALID_ADDRESS (1)",
                    "2" => "KERN_PROTECTION_FAILURE (2)",
                    "3" => "KERN_NO_SPACE (3)",
                    "4" => "KERN_INVALID_ARGUMENT (4)",
                    _ => code,
                };
                f.evidence
                    .push(Evidence::fact(format!("return code {name}")));
            }
        }
        "kernel_assertion" => {
            let file = r.panic.as_ref().and_then(|p| p.location.as_ref()).map(|l| {
                let base = l.file.rsplit('/').next().unwrap_or(&l.file).to_string();
                match l.line {
                    Some(n) => format!("{base}:{n}"),
                    None => base,
                }
            });
            f.title = format!(
                "Kernel assertion{}: {}",
                file.map(|f| format!(" in {f}")).unwrap_or_default(),
                shorten(msg.trim().trim_matches('"'), 100)
            );
        }
        _ => {
            if !msg.is_empty() {
                f.title = format!("Unrecognised panic: {}", shorten(msg.trim(), 100));
            } else {
                f.title = "No panic message in this log (fragment or cut log)".into();
            }
        }
    }

    if let Some(p) = entry_path(ctx) {
        f.evidence.push(p);
    }
    // Who called panic(): a kext that panicked on purpose is its own first suspect.
    if let Some(c) = r.panic.as_ref().and_then(|p| p.caller) {
        let named = ctx
            .sym
            .and_then(|s| s.caller.as_ref())
            .filter(|fr| fr.is_resolved())
            .map(|fr| fr.describe());
        let kext = ctx.kext_at(c);
        match (named, kext) {
            (Some(n), _) => f
                .evidence
                .push(Evidence::fact(format!("panic() was called from {n}"))),
            (None, Some(k)) => f.evidence.push(Evidence::fact(format!(
                "panic() was called from {} ({}, caller {c})",
                k.bundle_id,
                if k.third_party {
                    "third-party"
                } else {
                    "Apple"
                }
            ))),
            _ => {}
        }
    }
    if !matches!(
        id,
        "watchdogd_timeout" | "mte_tag_check_fault" | "gpu_panic" | "forced_reset"
    ) && !id.ends_with("_panic")
        && !r.kexts_in_backtrace.is_empty()
    {
        let names: Vec<String> = r
            .kexts_in_backtrace
            .iter()
            .map(|k| {
                format!(
                    "{} ({})",
                    k.kext.bundle_id,
                    if k.kext.third_party {
                        "third-party"
                    } else {
                        "Apple"
                    }
                )
            })
            .collect();
        f.evidence.push(Evidence::fact(format!(
            "kexts in the panicked backtrace: {}",
            names.join(", ")
        )));
    }
    f.next_steps
        .extend(info.next_steps.iter().map(|s| s.to_string()));
    if let Some(s) = top_suspect {
        if !matches!(id, "forced_reset") {
            f.next_steps.insert(
                0,
                format!(
                    "Third-party kext {} is in the panicked backtrace: update or remove it first, then see whether the panic returns.",
                    s.bundle_id
                ),
            );
        }
    }
    f
}

fn watchdog(ctx: &Ctx, f: &mut Finding, msg: &str) {
    let r = ctx.report;
    let secs = first_number_after(msg, "watchdogd in");
    let shutdown = msg.contains("shutdown in progress");
    f.title = format!(
        "watchdogd got no check-in for {}: the system stalled{} — the backtrace is not the cause",
        secs.map(|s| format!("{s} s"))
            .unwrap_or_else(|| "the whole timeout".into()),
        if shutdown { " during shutdown" } else { "" }
    );
    if shutdown {
        f.explanation.push_str(
            " The message says a shutdown was in progress: something kept the shutdown from finishing (a \
             process that would not exit, a filesystem that could not unmount — often a network volume or \
             a disk image — or a driver blocking in its stop/terminate path).",
        );
        f.next_steps.push(
            "For a shutdown hang: check network/external volumes and disk images mounted at shutdown, and processes that ignore SIGTERM.".into(),
        );
    }
    if let Some(cu) = &r.cpu_usage {
        let mut rows: Vec<_> = cu.rows.iter().collect();
        rows.sort_by_key(|r| std::cmp::Reverse(r.cpu_usage));
        let total = cu.total.unwrap_or(0).max(1);
        let top: Vec<String> = rows
            .iter()
            .take(3)
            .filter(|row| row.cpu_usage * 100 >= total)
            .map(|row| {
                format!(
                    "{} thread {} pri {}: {:.0}% of cpu_usage",
                    row.task,
                    row.thread,
                    row.priority,
                    row.cpu_usage as f64 * 100.0 / total as f64
                )
            })
            .collect();
        if !top.is_empty() {
            f.evidence.push(Evidence::fact(format!(
                "busiest threads at the panic: {}",
                top.join("; ")
            )));
        }
        let user_tasks: Vec<&str> = rows
            .iter()
            .filter(|row| row.task != "kernel_task")
            .map(|row| row.task.as_str())
            .collect();
        if !user_tasks.is_empty() {
            f.evidence.push(Evidence::fact(format!(
                "user processes in the cpu_usage table: {}",
                user_tasks.join(", ")
            )));
        }
    }
    if let Some(e) = core_summary(ctx) {
        f.evidence.push(e);
    }
    let wd_kexts: Vec<&str> = r
        .kexts_in_backtrace
        .iter()
        .map(|k| k.kext.bundle_id.as_str())
        .filter(|b| {
            b.to_ascii_lowercase().contains("watchdog") || b.contains("InterruptController")
        })
        .collect();
    if !wd_kexts.is_empty() {
        f.evidence.push(Evidence::fact(format!(
            "the backtrace runs through the watchdog interrupt path ({}): expected for this panic, not a suspect",
            wd_kexts.join(", ")
        )));
    }
}

/// CORE lines: how many cores sat at the same PC (typically the idle loop).
fn core_summary(ctx: &Ctx) -> Option<Evidence> {
    let states = &ctx.report.cores.states;
    if states.is_empty() {
        return None;
    }
    let mut by_pc: Vec<(u64, Vec<u32>)> = Vec::new();
    for c in states {
        match by_pc.iter_mut().find(|(pc, _)| *pc == c.pc.get()) {
            Some((_, v)) => v.push(c.core),
            None => by_pc.push((c.pc.get(), vec![c.core])),
        }
    }
    by_pc.sort_by_key(|b| std::cmp::Reverse(b.1.len()));
    let (pc, cores) = &by_pc[0];
    if cores.len() < 2 {
        return None;
    }
    let name = ctx
        .sym
        .and_then(|s| {
            s.cores
                .iter()
                .find(|c| c.pc.address.contains(&format!("{pc:x}")))
        })
        .and_then(|c| c.pc.function().map(str::to_string));
    Some(Evidence::fact(format!(
        "{} of {} other cores sat at the same PC {:#x}{} (cores {}): they were idle or spinning, not doing the work that stalled",
        cores.len(),
        states.len(),
        pc,
        name.map(|n| format!(" ({n})")).unwrap_or_default(),
        cores.iter().map(u32::to_string).collect::<Vec<_>>().join(",")
    )))
}

fn userspace_watchdog(ctx: &Ctx, f: &mut Finding, msg: &str) {
    let r = ctx.report;
    let svc = msg
        .split("checkins from ")
        .nth(1)
        .map(|s| s.split([' ', '(']).next().unwrap_or(s).to_string());
    let secs = first_number_after(msg, ") in").or_else(|| {
        msg.rsplit(" in ")
            .next()
            .and_then(|s| s.split_whitespace().next())
            .and_then(|s| s.parse().ok())
    });
    let induced = first_number_after(msg, "(");
    f.title = format!(
        "Userspace watchdog: {} did not check in for {}{}",
        svc.as_deref().unwrap_or("a monitored daemon"),
        secs.map(|s| format!("{s} s"))
            .unwrap_or_else(|| "the timeout".into()),
        induced
            .filter(|_| msg.contains("induced crash"))
            .map(|n| format!(" ({n} induced crashes did not help)"))
            .unwrap_or_default()
    );
    for s in &r.watchdog_services {
        let stale = s.last_checkin_seconds_ago.unwrap_or(0) >= 30
            || svc.as_deref() == Some(s.name.as_str());
        let tag = if stale { "HUNG" } else { "ok" };
        let raw = s.raw.trim();
        let raw = raw.strip_prefix("service:").unwrap_or(raw).trim();
        f.evidence
            .push(Evidence::fact(format!("[{tag}] service: {raw}")));
    }
    if svc.as_deref() == Some("WindowServer") {
        f.explanation.push_str(
            " WindowServer is the display server: its hangs come from the GPU driver, display \
             reconfiguration (external monitors, docks) or a client flooding it.",
        );
    }
}

fn sleep_wake(ctx: &Ctx, f: &mut Finding, msg: &str) {
    let bundle =
        value_after(msg, "Suspected bundle: ").map(|b| b.trim_end_matches('.').to_string());
    let secs = first_number_after(msg, "timed out after");
    let phase = if msg.to_ascii_lowercase().contains("wake transition") {
        "Wake"
    } else {
        "Sleep"
    };
    f.title = format!(
        "{phase} transition timed out{}{}",
        secs.map(|s| format!(" after {s} s")).unwrap_or_default(),
        bundle
            .as_ref()
            .map(|b| format!(" in {b}'s power-state change"))
            .unwrap_or_default()
    );
    if let Some(b) = &bundle {
        f.evidence
            .push(Evidence::fact(format!("suspected bundle: {b}")));
    }
    if let Some((i, _)) = ctx.find_line("Failure code") {
        f.evidence.push(ctx.quote(i, ""));
    }
    if ctx
        .report
        .backtrace
        .as_ref()
        .is_some_and(|b| b.specified_thread)
    {
        f.evidence.push(Evidence::fact(
            "\"Backtracing specified thread\": the backtrace is the stuck power-management thread, not the panicking CPU",
        ));
    }
    // The deepest named driver frame of the backtrace.
    if let Some(bt) = &ctx.report.backtrace {
        if let Some(fr) = bt
            .frames
            .iter()
            .find(|fr| fr.symbol.as_ref().is_some_and(|s| s.image != "mach_kernel"))
        {
            let s = fr.symbol.as_ref().expect("checked");
            f.evidence.push(Evidence::line(
                format!("stuck in {} : {}", s.image, demangle_short(&s.symbol)),
                fr.line,
            ));
        }
    }
}

/// `__ZN22AppleUSBHostController20lowerOnePowerStateToEm` → `AppleUSBHostController::lowerOnePowerStateTo`.
pub fn demangle_short(sym: &str) -> String {
    let s = sym.trim_start_matches('_');
    let Some(rest) = s.strip_prefix("ZN").or_else(|| s.strip_prefix("ZNK")) else {
        return sym.trim_start_matches('_').to_string();
    };
    let mut parts = Vec::new();
    let mut rest = rest;
    loop {
        let n: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
        if n.is_empty() {
            break;
        }
        let Ok(len) = n.parse::<usize>() else { break };
        let start = n.len();
        if rest.len() < start + len {
            break;
        }
        parts.push(&rest[start..start + len]);
        rest = &rest[start + len..];
    }
    if parts.is_empty() {
        sym.to_string()
    } else {
        parts.join("::")
    }
}

fn arm_abort(ctx: &Ctx, f: &mut Finding, id: &str, proc_: Option<&str>) {
    let r = ctx.report;
    let far = r.register("far");
    if id == "undefined_instruction" {
        undefined(ctx, f, proc_);
        return;
    }
    let kind_name = match id {
        "unaligned_abort" => "Unaligned kernel data abort",
        "kernel_instruction_abort" => "Kernel instruction abort",
        "pac_failure" => "Pointer authentication failure",
        "undefined_instruction" => "Undefined kernel instruction",
        _ => "Kernel data abort",
    };
    let mut title = kind_name.to_string();
    if let Some(p) = proc_ {
        title.push_str(&format!(" in {p}"));
    }
    if id == "kernel_data_abort" || id == "unaligned_abort" {
        if let Some(a) = far {
            let k = fault::classify_pointer(a, r);
            title.push_str(&format!(": {} (far {a:#x})", k.describe(a)));
        }
    }
    let pc = r
        .panic
        .as_ref()
        .and_then(|p| p.exception.as_ref())
        .and_then(|e| e.pc)
        .or_else(|| r.register("pc").map(RuntimeAddr));
    if let Some(fr) = ctx
        .sym_register("exception pc")
        .or_else(|| ctx.sym_register("pc"))
    {
        title.push_str(&format!(" at {}", fr.function().unwrap_or("?")));
        f.evidence
            .push(Evidence::fact(format!("pc: {}", fr.describe())));
    } else if let Some(k) = pc.and_then(|pc| ctx.kext_at(pc)) {
        title.push_str(&format!(" in {}", k.bundle_id));
    }
    if let Some(pc) = pc {
        if let Some(k) = ctx.kext_at(pc) {
            f.evidence.push(Evidence::fact(format!(
                "the faulting pc {pc} lies in {} ({})",
                k.bundle_id,
                if k.third_party {
                    "third-party"
                } else {
                    "Apple"
                }
            )));
        }
    }
    if let Some(esr) = r.register("esr") {
        f.evidence.push(Evidence::fact(format!(
            "esr {esr:#x}: {}",
            fault::decode_esr(esr)
        )));
    }
    if let Some(a) = far {
        let k = fault::classify_pointer(a, r);
        f.evidence
            .push(Evidence::fact(format!("far {a:#018x}: {}", k.describe(a))));
        if matches!(k, PointerKind::Null(_)) {
            f.confidence = Confidence::High;
        }
    }
    f.title = title;
}

fn undefined(ctx: &Ctx, f: &mut Finding, proc_: Option<&str>) {
    let msg = ctx
        .report
        .panic
        .as_ref()
        .map(|p| p.reason.clone())
        .unwrap_or_default();
    let instr = value_after(&msg, "instr=").map(|s| s.trim_end_matches("\\n").to_string());
    let pc = value_after(&msg, "pc=").map(str::to_string);
    f.title = format!(
        "Undefined kernel instruction{}{}{}",
        instr.as_ref().map(|i| format!(" {i}")).unwrap_or_default(),
        pc.as_ref()
            .map(|p| format!(" at pc {p}"))
            .unwrap_or_default(),
        proc_.map(|p| format!(" ({p})")).unwrap_or_default()
    );
    if let Some(v) = instr
        .as_deref()
        .and_then(|i| u32::from_str_radix(i.trim_start_matches("0x"), 16).ok())
    {
        let what = if v & 0xfff0_0000 == 0xd510_0000 {
            Some("an MSR (system-register write): the platform locks some EL1 registers (KTRR/APRR/PPL lockdown), so writing one traps")
        } else if v & 0xfff0_0000 == 0xd530_0000 {
            Some("an MRS (system-register read) of a register not accessible here")
        } else if v & 0xffe0_001f == 0xd420_0000 {
            Some("a BRK: a deliberate trap (assertion or pointer-authentication check)")
        } else if v & 0xffff_0000 == 0 {
            Some("UDF: a deliberate undefined instruction (assertion)")
        } else {
            None
        };
        if let Some(w) = what {
            f.evidence
                .push(Evidence::fact(format!("instruction {v:#010x} is {w}")));
        }
    }
}

fn mte(ctx: &Ctx, f: &mut Finding, proc_: Option<&str>) {
    let r = ctx.report;
    let exp = r
        .panic
        .as_ref()
        .and_then(|p| p.exception.as_ref())
        .and_then(|e| e.expected_tagged_address);
    let mut title = "MTE tag check fault".to_string();
    if let Some(p) = proc_ {
        title.push_str(&format!(" in {p}"));
    }
    title.push_str(": use-after-free or out-of-bounds access caught by memory tagging");
    if let Some(k) = r.kexts_in_backtrace.first() {
        title.push_str(&format!(" (in {})", k.kext.bundle_id));
    }
    f.title = title;
    let far = r.register("far");
    match (exp, far) {
        (Some(e), Some(a)) => f.evidence.push(Evidence::fact(format!(
            "far {a:#018x} (tag {:#x}) vs expected tagged address {e} (tag {:#x}): same address, different tags — the memory was retagged (freed/reallocated) after the pointer was made, or the pointer strayed into a neighbouring allocation",
            (a >> 56) & 0xf,
            (e.get() >> 56) & 0xf
        ))),
        (Some(e), None) => f.evidence.push(Evidence::fact(format!(
            "expected tagged address {e} (tag {:#x})",
            (e.get() >> 56) & 0xf
        ))),
        (None, Some(a)) => f.evidence.push(Evidence::fact(format!("far {a:#018x}"))),
        (None, None) => {}
    }
    if let Some(fr) = ctx.sym_register("exception pc") {
        f.evidence
            .push(Evidence::fact(format!("pc: {}", fr.describe())));
    }
    if let Some(k) = r.kexts_in_backtrace.first() {
        f.evidence.push(ctx.quote(
            k.kext.line,
            &format!("kext in backtrace: {}", k.kext.bundle_id),
        ));
    }
}

fn intel_trap(ctx: &Ctx, f: &mut Finding, id: &str, proc_: Option<&str>, suspects: &[Suspect]) {
    let r = ctx.report;
    let trap = r.panic.as_ref().and_then(|p| p.trap.as_ref());
    let cr2 = r
        .intel_fault
        .as_ref()
        .and_then(|x| x.cr2)
        .map(|h| h.get())
        .or_else(|| r.register("CR2"));
    let tname = match trap.and_then(|t| t.trap_type) {
        Some(14) => "Page fault".to_string(),
        Some(13) => "General protection fault".to_string(),
        Some(8) => "Double fault".to_string(),
        Some(n) => format!("Kernel trap type {n}"),
        None => "Kernel trap".to_string(),
    };
    let kext = trap
        .and_then(|t| ctx.kext_at(t.address))
        .map(|k| (k.bundle_id.clone(), k.third_party))
        .or_else(|| {
            trap_kext_from_keepsyms(ctx).map(|(img, _)| {
                let tp = !img.starts_with("com.apple.");
                (img, tp)
            })
        });
    // keepsyms: the kernel named the faulting frame itself.
    let keepsyms_at = trap.and_then(|t| {
        r.backtrace.as_ref()?.frames.iter().find_map(|fr| {
            (fr.address == t.address)
                .then_some(fr.symbol.as_ref())
                .flatten()
                .map(|s| (demangle_short(&s.symbol), s.image.clone(), fr.line))
        })
    });
    let mut title = tname.clone();
    if id == "intel_kext_trap" {
        match &kext {
            Some((b, tp)) => title.push_str(&format!(
                " inside {}kext {b}",
                if *tp { "third-party " } else { "Apple " }
            )),
            None => title.push_str(" inside a kext"),
        }
    } else {
        title.push_str(" in the kernel");
    }
    if let Some((func, _, _)) = &keepsyms_at {
        title.push_str(&format!(" at {func}"));
    }
    if let Some(p) = proc_ {
        title.push_str(&format!(" ({p})"));
    }
    if let Some((func, img, line)) = &keepsyms_at {
        f.evidence.push(Evidence::line(
            format!("faulting frame (keepsyms): {img} : {func}"),
            *line,
        ));
    }
    if trap.and_then(|t| t.trap_type) == Some(14) {
        if let Some(a) = cr2 {
            let k = fault::classify_pointer(a, r);
            title.push_str(&format!(": {} (CR2 {a:#x})", k.describe(a)));
        }
    }
    if r.panic.is_none() {
        title.push_str(" — reconstructed from a fragment (no panic line)");
        if let Some((img, line)) = trap_kext_from_keepsyms(ctx) {
            f.evidence
                .push(ctx.quote(line, &format!("the frame after the trap is in {img}")));
            f.evidence.push(Evidence::fact(
                "the keepsyms backtrace runs kernel_trap → panic, and the trap returned into this kext",
            ));
        }
    }
    f.title = title;
    if let Some(t) = trap {
        f.evidence.push(Evidence::fact(format!(
            "trap at {} ({})",
            t.address,
            t.trap_name.as_deref().unwrap_or(&tname)
        )));
        if let Some(k) = ctx.kext_at(t.address) {
            f.evidence.push(Evidence::fact(format!(
                "RIP {} is inside {} ({} @{}…)",
                t.address,
                k.bundle_id,
                k.version.as_deref().unwrap_or("?"),
                k.start.map(|s| s.to_string()).unwrap_or_default()
            )));
        }
    }
    if let Some(fr) = ctx
        .sym_register("RIP")
        .or_else(|| ctx.sym_register("trap address"))
    {
        f.evidence
            .push(Evidence::fact(format!("RIP: {}", fr.describe())));
    }
    if let Some(x) = &r.intel_fault {
        f.evidence.push(ctx.quote(x.line, "Fault CR2 line"));
        if let Some(ec) = x.error_code {
            if trap.and_then(|t| t.trap_type) == Some(14) {
                f.evidence.push(Evidence::fact(format!(
                    "error code {ec}: {}",
                    fault::decode_pf_error(ec.get())
                )));
            }
        }
    }
    if let Some(a) = cr2 {
        if trap.and_then(|t| t.trap_type) == Some(13) {
            f.evidence.push(Evidence::fact(format!(
                "CR2 {a:#x} is stale on a general protection fault: the bad value is in a register"
            )));
        }
    }
    let _ = suspects;
}

fn zone(ctx: &Ctx, f: &mut Finding, id: &str, msg: &str, proc_: Option<&str>) {
    // "[iokit.IOCommandGate]: element modified after free (off:72, val:0x…, sz:80, ptr:0x…)"
    let zone_name = msg
        .find('[')
        .and_then(|i| {
            msg[i + 1..]
                .find(']')
                .map(|j| msg[i + 1..i + 1 + j].to_string())
        })
        .or_else(|| {
            value_after(msg, "in zone ").map(|s| s.trim_matches(['[', ']', '\'']).to_string())
        })
        .or_else(|| value_after(msg, "zone: ").map(str::to_string));
    let size = value_after(msg, "sz:").map(str::to_string);
    let off = value_after(msg, "off:").map(str::to_string);
    let val = value_after(msg, "val:").map(str::to_string);
    f.title = match id {
        "zone_use_after_free" => format!(
            "Use-after-free in zone {}{}{}",
            zone_name.as_deref().unwrap_or("?"),
            size.as_ref()
                .map(|s| format!(": an element of {s} bytes was written after it was freed"))
                .unwrap_or_default(),
            proc_
                .map(|p| format!(" (detected in {p})"))
                .unwrap_or_default()
        ),
        "zone_map_exhausted" => format!(
            "Zone map exhausted{}",
            zone_name
                .as_deref()
                .map(|z| format!(": zone {z} is the likely leak"))
                .unwrap_or_default()
        ),
        _ => format!(
            "Zone corruption{}: {}",
            zone_name
                .as_deref()
                .map(|z| format!(" in {z}"))
                .unwrap_or_default(),
            shorten(msg, 90)
        ),
    };
    if let Some(z) = &zone_name {
        f.evidence.push(Evidence::fact(format!("zone: {z}")));
    }
    if let (Some(o), Some(v)) = (&off, &val) {
        let note = v
            .strip_prefix("0x")
            .and_then(|h| u64::from_str_radix(h, 16).ok())
            .map(|n| {
                if n >= 0xffff_ffff_ffff_0000 {
                    // A small negative number: a counter decremented in freed memory.
                    format!(
                        " (= -{:#x}: a counter or flags word changed in freed memory, e.g. a release/decrement through a stale pointer)",
                        n.wrapping_neg()
                    )
                } else {
                    let k = fault::classify_pointer(n, ctx.report);
                    format!(" ({})", k.describe(n))
                }
            })
            .unwrap_or_default();
        f.evidence.push(Evidence::fact(format!(
            "the freed element was changed at offset {o}: value {v}{note}"
        )));
    }
}

fn coprocessor(ctx: &Ctx, f: &mut Finding, id: &str, msg: &str) {
    let r = ctx.report;
    let unit = match id {
        "dcp_panic" => "Display coprocessor (DCP)",
        "aop_panic" => "Always-on processor (AOP)",
        "ans_panic" => "Storage controller (ANS)",
        "smc_panic" => "SMC",
        "sep_panic" => "Secure Enclave",
        _ => "Coprocessor",
    };
    // "DCP PANIC - ASSERT!file:line text - dcpav(27)" → the part after " - ".
    let what = msg
        .split_once(" - ")
        .map(|(_, w)| w.trim().trim_end_matches('-').trim())
        .unwrap_or(msg.trim());
    f.title = format!("{unit} firmware panic: {}", shorten(what, 110));
    for (i, l) in r.panic_details.iter().enumerate() {
        let t = l.trim();
        if t.starts_with("RTKit:")
            || t.starts_with("Faulting task")
            || t.starts_with("ASSERT")
            || t.to_ascii_lowercase().contains("global-errors")
        {
            f.evidence.push(Evidence::fact(shorten(t, 200)));
        }
        if i > 400 || f.evidence.len() > 6 {
            break;
        }
    }
    let kexts: Vec<&str> = r
        .kexts_in_backtrace
        .iter()
        .map(|k| k.kext.bundle_id.as_str())
        .collect();
    if kexts
        .iter()
        .any(|k| k.contains("RTBuddy") || k.contains("IOSlaveProcessor"))
    {
        f.evidence.push(Evidence::fact(format!(
            "the backtrace is the AP side receiving the crash report ({}): expected, not a suspect",
            kexts.join(", ")
        )));
    }
}

fn nvme(ctx: &Ctx, f: &mut Finding, msg: &str) {
    let vid = value_after(msg, "VID=");
    let did = value_after(msg, "DID=");
    let csts = value_after(msg, "CSTS=");
    let fw = value_after(msg, "FW Revision=").filter(|s| !s.starts_with('\\'));
    let vendor = vid.map(|v| match v.to_ascii_lowercase().as_str() {
        "0x144d" => "Samsung",
        "0x15b7" => "SanDisk/WD",
        "0x1987" => "Phison",
        "0x126f" => "Silicon Motion",
        "0x1c5c" => "SK hynix",
        "0x106b" => "Apple",
        "0x8086" => "Intel",
        "0x1cc1" => "ADATA",
        "0x2646" => "Kingston",
        "0x1e0f" => "KIOXIA",
        "0xc0a9" => "Micron/Crucial",
        _ => "unknown vendor",
    });
    let timeout = msg.contains("CommandTimeout")
        || ctx.report.backtrace.as_ref().is_some_and(|b| {
            b.frames.iter().any(|fr| {
                fr.symbol
                    .as_ref()
                    .is_some_and(|s| s.symbol.contains("CommandTimeout"))
            })
        });
    f.title = format!(
        "NVMe SSD fatal error{}{}{}",
        csts.map(|c| format!(" (CSTS={c})")).unwrap_or_default(),
        match (vendor, vid, did) {
            (Some(v), Some(i), Some(d)) => format!(" on a {v} SSD (VID {i} DID {d})"),
            _ => String::new(),
        },
        if timeout {
            " after a command timeout"
        } else {
            ""
        }
    );
    if let Some(c) = csts {
        if c == "0x1" || c.ends_with('3') {
            f.evidence.push(Evidence::fact(format!(
                "CSTS={c}: controller ready bit set{}",
                if c.ends_with('3') {
                    " and Controller Fatal Status (CFS)"
                } else {
                    "; the controller stopped answering"
                }
            )));
        }
    }
    if let Some(v) = fw {
        f.evidence
            .push(Evidence::fact(format!("SSD firmware revision {v}")));
    }
    if vendor.is_some_and(|v| v != "Apple") {
        f.evidence.push(Evidence::fact(
            "a third-party SSD: Apple's NVMe driver and third-party power-state handling are a known source of these panics",
        ));
    }
    if timeout {
        f.evidence.push(Evidence::fact(
            "IONVMeController::CommandTimeout / FatalHandling in the backtrace: a command did not complete",
        ));
    }
}

fn halt_evidence(ctx: &Ctx, f: &mut Finding) {
    let r = ctx.report;
    let failed = r
        .preamble
        .iter()
        .filter(|l| l.contains("failed to halt"))
        .count();
    if failed > 0 {
        f.evidence.push(Evidence::fact(format!(
            "{failed} CPUs failed to halt before the panic (preamble): the SoC was already in a bad state"
        )));
    }
    if let Some(s) = &r.stackshot {
        if s.status != "succeeded" {
            f.evidence.push(Evidence::fact(s.raw.trim().to_string()));
        }
    }
}

/// How the panicked thread entered the kernel, from function names (keepsyms or symbols).
fn entry_path(ctx: &Ctx) -> Option<Evidence> {
    let names = super::suspects::backtrace_functions(ctx);
    let has = |n: &str| names.iter().any(|f| f.contains(n));
    if has("is_io_connect_method")
        || has("IOUserClient14externalMethod")
        || has("IOUserClient::externalMethod")
    {
        return Some(Evidence::fact(
            "reached from user space through an IOKit user-client call (is_io_connect_method / externalMethod)",
        ));
    }
    if has("unix_syscall") {
        return Some(Evidence::fact(
            "reached from a BSD system call (unix_syscall64)",
        ));
    }
    if has("mach_call_munger") || has("mach_msg") {
        return Some(Evidence::fact("reached from a Mach trap / mach_msg"));
    }
    None
}
