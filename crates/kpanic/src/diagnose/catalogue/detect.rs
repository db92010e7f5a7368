//! Which class a panic is: rules over what the kernel wrote, tried in order.
//!
//! The rules key on the words xnu and Apple's drivers put in their panic strings, in every
//! wording a release has used (`a freed zone element has been modified in zone …` before
//! macOS 11, `[zone]: element modified after free …` after). They read the panic message
//! without the debugger's chatter and without memory dumps, lower case, with runs of spaces and
//! typographic dashes made plain, so pastes and OCR still match. A message can match the words
//! of several families (a zone panic names a lock, a waitq lock times out like a spinlock), so
//! the table is ordered specific before general and the first rule that matches wins.

use kpanic_report::PanicReport;

use super::faults::pac_error;
use super::intel;
use super::text::{normalize, panic_source, rule_lines};
use crate::diagnose::{Ctx, PanicClass};

/// What the detection rules read: the panic message and a few facts of the log.
pub(super) struct Signals<'a> {
    ctx: &'a Ctx<'a>,
    report: &'a PanicReport,
    /// The message lines the rules read, normalised (see [`normalize`]).
    text: String,
    /// The source file of the panic, lower case (empty without one).
    location: String,
    /// The bug_type of an .ips report.
    bug_type: Option<&'a str>,
}

impl Signals<'_> {
    fn has(&self, s: &str) -> bool {
        self.text.contains(s)
    }

    fn any(&self, words: &[&str]) -> bool {
        words.iter().any(|w| self.text.contains(w))
    }

    /// `w` as a whole word (not inside a longer word: `fuse` but not `refused`).
    fn word(&self, w: &str) -> bool {
        self.text.match_indices(w).any(|(i, _)| {
            let before = self.text[..i].chars().next_back();
            let after = self.text[i + w.len()..].chars().next();
            !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
        })
    }

    /// The source file of the panic contains one of `parts`.
    fn located_in(&self, parts: &[&str]) -> bool {
        parts.iter().any(|p| self.location.contains(p))
    }

    /// An arm64 abort whose faulting address carries a pointer-authentication error code.
    fn pac_poisoned_far(&self) -> bool {
        self.any(&["data abort", "instruction abort", "instruction fetch abort"])
            && self
                .report
                .register("far")
                .is_some_and(|far| pac_error(far).is_some())
    }
}

/// A detection rule: a class and when the log shows it, or a rule that picks among classes.
pub(super) enum Detect {
    When(PanicClass, fn(&Signals) -> bool),
    Pick(fn(&Signals) -> Option<PanicClass>),
}

/// The detection rules, tried in order; the first match wins. The order is not the
/// catalogue's: the more specific rule comes first (the xnu source each wording comes from
/// is in `tests/classes.rs`).
pub(super) static DETECTION: &[Detect] = {
    use PanicClass::*;
    &[
        // Stalls and resets: their messages name no other subsystem.
        Detect::When(WatchdogdTimeout, |s| {
            s.any(&[
                "no checkins from watchdogd",
                "watchdog timeout: no checkins",
            ])
        }),
        Detect::When(UserspaceWatchdogTimeout, |s| {
            s.has("userspace watchdog timeout")
        }),
        Detect::When(HardwareWatchdogTimeout, |s| {
            s.any(&[
                "wdt timeout",
                "failed to respond to cross-call",
                "unable to immediate-ipi",
                "ipi timeout, unresponsive cpu",
                "uninterruptible processor(s)",
                "didn't get correct responses within",
                "mp_rendezvous() timeout",
                "mp_cpus_call_wait() timeout",
                "mp_cpus_call1() timeout",
                "nmi_cpus() timeout",
            ]) || (s.has("cpu") && s.has("failed to respond"))
                || (s.has("soc (system) watchdog reset") && !s.any(&["sleep/wake", "sleep\\/wake"]))
        }),
        Detect::When(T2SleepWakeWatchdog, |s| {
            s.has("watchdog") && (s.has("sleep/wake") || s.has("sleep\\/wake"))
        }),
        Detect::When(T2MacosWatchdog, |s| s.has("macos watchdog detected")),
        Detect::When(ForcedReset, |s| {
            s.any(&["btn_rst", "force reset", "forcereset"]) || s.bug_type == Some("151")
        }),
        // IOServicePM names the driver whose setPowerState did not return; the root domain's
        // sleep/wake watchdog names a bundle; shutdown names a phase.
        Detect::When(PowerStateChangeTimeout, |s| {
            s.has("setpowerstate(") && s.any(&["timed out", "timeout"])
        }),
        Detect::When(SleepWakeTimeout, |s| {
            (s.any(&["sleep transition", "wake transition", "sleep/wake"])
                && s.any(&["timed out", "suspected bundle"]))
                || s.has("sleep/wake hang detected")
                || s.has("sleep wake failure in efi")
        }),
        Detect::When(ShutdownTimeout, |s| {
            s.any(&[
                "timed out in phase",
                "halt/restart timed out",
                "shutdown timed out",
                "dk ack timer expired",
            ])
        }),
        // launchd's exit: its description can name any subsystem (code signing, xpc…), so it
        // comes before the classes those words would pick.
        Detect::When(InitProcessExited, |s| {
            s.any(&[
                "initproc exited",
                "initproc failed to start",
                "preinit process exited",
                "process 1 exec of",
            ]) || (s.has("] exited -- ") && s.any(&["exit reason", "no exit reason"]))
        }),
        Detect::When(MteTagCheckFault, |s| s.has("tag check fault")),
        Detect::When(PacFailure, |s| {
            s.any(&["ptrauth", "pointer authentication", "pac failure"]) || s.pac_poisoned_far()
        }),
        // Coprocessors before the generic assertion: their messages contain "assert".
        Detect::When(DcpPanic, |s| s.any(&["dcp panic", "dcpext panic"])),
        Detect::When(AopPanic, |s| s.has("aop panic")),
        Detect::When(AnsPanic, |s| s.any(&["ans2", "ans panic", "ans3"])),
        Detect::When(SmcPanic, |s| s.any(&["smc panic", "smc::"])),
        Detect::When(SepPanic, |s| {
            s.any(&[
                "sep panic",
                "sep/os panic",
                "sep rom panic",
                "sep/os failed",
            ])
        }),
        Detect::When(CoprocessorPanic, |s| {
            (s.has(" panic - ") && !s.report.panic_details.is_empty())
                || s.report.panic_details.iter().any(|l| l.contains("RTKit:"))
        }),
        // IONVMeFamily's messages say "PCI link down" and "timeout" too: NVMe first.
        Detect::When(NvmeFatal, |s| {
            (s.word("nvme") && s.any(&["fatal", "timeout", "csts", "link down"]))
                || s.located_in(&["ionvmecontroller", "ionvmefamily"])
        }),
        Detect::When(PlatformHardwareError, |s| {
            s.any(&[
                "amcc",
                "dcs group",
                "machine check at",
                "kernel parity error",
                "serror esr",
                "unhandled implementation specific error",
                "llc bus error",
                "x86 cpu caterr detected",
                "x86 global reset detected",
            ]) || (s.any(&["dart-", "dart(", "smmu"]) && s.any(&["error", "fault"]))
                || s.located_in(&["platformerrorhandler"])
        }),
        Detect::When(PcieLinkDown, |s| {
            (s.any(&["pcie", "apcie", "pci-e"]) || s.word("pci"))
                && (s.any(&["link down", "linkdown", "link is down", "link-down"])
                    || s.has("completion timeout"))
                || s.has("thunderbolt power on failed")
        }),
        // GPU drivers: by their words, or by the driver file that called panic().
        Detect::When(GpuPanic, |s| {
            s.any(&[
                "gpu panic",
                "gpu hang",
                "gpu restart",
                "gpu fault",
                "gpu firmware",
                "graphics firmware",
                "nvrm",
                "agx",
                "[igpu]",
                "failed to wake the me",
                "iogpu",
                "ioaccel",
                "(iouat)",
                "uat ppl",
                "amdradeon",
                "geforce",
                "appleintelframebuffer",
                "amdframebuffer",
            ]) || s.word("nvda")
                || s.located_in(&[
                    "iogpu",
                    "ioaccel",
                    "agx",
                    "gpudrivers",
                    "amdradeon",
                    "nvda",
                    "geforce",
                    "gpupanic",
                    "appleintelframebuffer",
                    "amdframebuffer",
                ])
        }),
        // The zone allocator: use-after-free and double free, exhaustion, type checks, bad
        // frees, then any other zone check.
        Detect::When(ZoneUseAfterFree, |s| {
            s.any(&[
                "modified after free",
                "freed zone element has been modified",
                "use-after-free",
                "use after free",
                "double free",
            ])
        }),
        Detect::When(ZoneMapExhausted, |s| {
            s.any(&[
                "zone map exhausted",
                "zone_map_exhausted",
                "zone map exhaustion",
                "can't be satisfied for zone",
                "gzalloc reserve exhausted",
                "zalloc_permanent: unable to allocate",
            ]) || (s.has("zalloc") && (s.has("retry fail") || s.has("\" empty")))
        }),
        Detect::When(ZoneRequire, |s| {
            s.any(&[
                "zone_require",
                "zone_id_require",
                "kalloc_data_require",
                "kalloc_non_data_require",
                "zalloc_ro_mut failed",
            ])
        }),
        Detect::When(InvalidKfree, |s| {
            s.any(&[
                "kfree:",
                "kfree on an address",
                "krealloc:",
                "being freed to zone",
                "being freed to foreign zone",
                "freeing invalid pointer",
                "zfree()ing element from wrong zone",
                "non-allocated memory",
                "freeing as size",
                "mismatched zfree",
            ])
        }),
        Detect::When(ZoneCorruption, |s| {
            s.any(&[
                "zone metadata",
                "zone element pointer validation",
                "metadata list corruption",
                "accounting mismatch",
                "zone bound checks",
                "not in the expected zone",
                "native-only zone",
                "enqueued in native head",
                "enqueued in foreign head",
                "zone bits allocator",
                "isn't in the zone_array",
                "for freelist of zone",
                "zfree",
                "zalloc",
                "gzalloc",
            ])
        }),
        Detect::When(KmemAllocFailure, |s| {
            (s.any(&["kmem_", "kmem(", "kernel_memory_allocate"]) && s.has("fail"))
                || s.any(&[
                    "no more va to allocate",
                    "kalloc(z_nofail) with a large size",
                ])
        }),
        // Locks: a timeout on a waitq's or a mutex's interlock is a spinlock timeout, and
        // blocking with preemption disabled is its own class, before the corruption rules.
        Detect::When(BlockingWithSpinlock, |s| {
            s.any(&["preemption_level", "blocking while holding a spinlock"])
                || (s.has("attempt to take mutex")
                    && s.any(&["preemption disabled", "irq context"]))
        }),
        Detect::When(SpinlockTimeout, |s| {
            (s.has("spinlock") && s.any(&["timeout", "timed out"]))
                || (s.has("timeout after") && s.has("ticks"))
                || s.any(&[
                    "spinlock acquisition",
                    "deadlock detection",
                    "waitq deadlock",
                    "hw_lock_bit(): timed out",
                    "spin_lock() timed out",
                ])
        }),
        Detect::When(InterruptsDisabledTooLong, |s| {
            (s.any(&["interrupt", "preemption"]) && s.any(&["too long", "for more than"]))
                || s.any(&[
                    "interrupts held disabled",
                    "disabled interrupts for",
                    "preemption disable timeout",
                    "interrupt watchdog",
                    "interrupt latency threshold",
                ])
                || (s.has("processing of an interrupt") && s.has("took"))
        }),
        Detect::When(DestroyedMutex, |s| {
            s.any(&[
                "destroyed mutex",
                "mutex destroyed",
                "previously destroyed lock",
                "gate used was destroyed",
            ])
        }),
        Detect::When(WaitqCorruption, |s| {
            s.any(&[
                "invalid waitq",
                "invalid wqset",
                "invalid wqp_post",
                "waitq type",
                "thread already waiting on",
            ])
        }),
        Detect::When(IpcCorruption, |s| {
            !s.has("failed to allocate")
                && (s.any(&[
                    "ipc_kmsg",
                    "ipc kmsg",
                    "kmsg",
                    "ipc_port",
                    "ipc_right",
                    "ipc_object",
                    "ipc object",
                    "ipc_entry",
                    "ipc_mqueue",
                    "ipc_space",
                    "ipc_importance",
                    "ipc_kobject",
                    "mqueue type",
                    "over-release of port",
                    "inactive port",
                    "free an active port",
                    "receive right in space",
                    "iit unexpected zero refs",
                ]) || (s.has("port ") && s.has("count overflow")))
        }),
        Detect::When(QueueCorruption, |s| {
            s.any(&[
                "bad tailq",
                "bad list head",
                "bad link elm",
                "bad circleq",
                "bad que elm",
                "invalid queue element",
                "queue element linkage",
                "corrupt list around element",
                "__queue_elt_validate",
            ])
        }),
        Detect::When(RefcountError, |s| {
            s.any(&[
                "os_refcnt",
                "os_pcpu_ref",
                "osobject::refcount",
                "over-release",
                "refcount underflow",
                "refcount overflow",
                "refcount negative",
                "negative retain count",
                "attempted resurrection",
                "retain a freed object",
            ])
        }),
        Detect::When(CodesigningPanic, |s| {
            s.any(&[
                "amfi",
                "code signature",
                "coretrust",
                "codesign",
                "pmap_cs:",
            ])
        }),
        // arm64 aborts and Intel traps: the exception the CPU took.
        Detect::When(UnalignedAbort, |s| s.has("unaligned") && s.has("abort")),
        Detect::When(KernelInstructionAbort, |s| {
            s.any(&["instruction fetch abort", "instruction abort"])
        }),
        Detect::When(KernelDataAbort, |s| {
            s.any(&["kernel data abort", "data abort"])
        }),
        Detect::When(UndefinedInstruction, |s| {
            s.any(&["undefined kernel instruction", "undefined instruction"])
        }),
        Detect::Pick(trap_class),
        Detect::When(IntelDoubleFault, |s| s.has("double fault at")),
        Detect::When(IntelKernelTrap, |s| s.has("kernel trap")),
        Detect::When(KernelStackOverflow, |s| {
            s.any(&[
                "stack overflow",
                "invalid kernel stack",
                "kernel stack memory corruption",
            ])
        }),
        // The VM: page state before the compressor (a page of the compressor object), out of
        // memory and the compressor before the map (their messages name maps and objects).
        Detect::When(VmPageStatePanic, |s| {
            s.any(&[
                "vm_page_",
                "vm page ",
                "bucket_check",
                "bad page q_state",
                "hibernate_discard_page",
            ])
        }),
        Detect::When(OutOfMemory, |s| {
            s.has("jetsam")
                || (s.has("memorystatus") && s.has("no victim"))
                || s.any(&["no more processes to kill", "system is unhealthy"])
        }),
        Detect::When(CompressorCorruption, |s| {
            s.any(&[
                "write fault on compressor map",
                "compressed data doesn't match",
                "decompressed data doesn't match",
                "swap hash mismatch",
                "swapin size doesn't match",
                "c_seg_validate",
                "c_decompress_page",
                "bad c_state",
            ])
        }),
        Detect::When(CompressorExhausted, |s| {
            ((s.has("compressor") || s.has("swap"))
                && s.any(&["exhaust", "is full", "out of space", "shortage", "no space"]))
                || s.any(&["swap space", "paging space"])
        }),
        Detect::When(VmMapFailure, |s| {
            s.any(&["vm_map", "vm_fault", "vm_object", "maphdr", "mach_vm_"])
        }),
        Detect::When(PmapPanic, |s| {
            s.any(&[
                "pmap",
                "ppl ",
                "ppl:",
                "sptm",
                "pte is ",
                "compressed pte",
                "arm_force_fast_fault",
                "phys_attribute",
                "pv_list",
                "pv_head",
            ])
        }),
        Detect::When(LockMisuse, |s| {
            s.any(&[
                "lck_",
                "mutex",
                "rwlock",
                "rw lock",
                "spinlock",
                "hwlock",
                "usimple",
                "lock not owned",
                "lock owned by",
                "not an initialized lock",
                "lock became",
                "hasn't been taken",
                "gate used",
            ]) || s.word("gate")
                || (s.has("lock ") && s.has("owner"))
        }),
        Detect::When(FilesystemPanic, |s| {
            s.any(&[
                "vnode",
                "vnop_",
                "vfs_",
                "vfsop",
                "apfs",
                "hfs_",
                "hfs:",
                "namei",
                "getblk",
                "brelse",
                "biodone",
                "insmntque",
                "mount_refdrain",
                "ubc_",
                "nfs_",
                "smbfs",
                "msdosfs",
                "exfat",
                "ntfs",
            ]) || s.word("fuse")
                || s.located_in(&[
                    "bsd/vfs/",
                    "bsd/miscfs/",
                    "apfs",
                    "hfs",
                    "/nfs/",
                    "smbfs",
                    "msdosfs",
                    "exfat",
                    "ntfs",
                    "fuse",
                ])
        }),
        Detect::When(NonMonotonicTime, |s| {
            s.any(&["non-monotonic time", "non-monotonically increasing"])
        }),
        // Any other panic() with a source location, a failed assert(), or a trap raised on
        // purpose: code that found an invariant broken.
        Detect::When(KernelAssertion, |s| {
            !s.location.is_empty()
                || s.any(&[
                    "assertion failed",
                    "assert failed",
                    "panic (by design)",
                    "string operation caused an overflow",
                ])
        }),
    ]
};

/// An Intel kernel trap: in a kext (by range or the ≤10.15 kext region), else by trap type.
fn trap_class(s: &Signals) -> Option<PanicClass> {
    let trap = s.report.panic.as_ref()?.trap.as_ref()?;
    let in_kext = s.ctx.kext_at(trap.address).is_some();
    Some(
        if in_kext || intel::in_legacy_kext_region(trap.address.get()) {
            PanicClass::IntelKextTrap
        } else {
            match trap.trap_type {
                Some(14) => PanicClass::IntelPageFault,
                Some(13) => PanicClass::IntelGeneralProtection,
                Some(8) => PanicClass::IntelDoubleFault,
                _ => PanicClass::IntelKernelTrap,
            }
        },
    )
}

/// The class of the panic, from its message and the rest of the log.
pub fn detect(ctx: &Ctx) -> PanicClass {
    let r = ctx.report;
    let bug_type = r
        .ips
        .as_ref()
        .and_then(|i| i.header.bug_type.as_deref().or(i.body.bug_type.as_deref()));
    let reason = r
        .panic
        .as_ref()
        .map(|p| {
            if p.reason.trim().is_empty() {
                p.message.as_str()
            } else {
                p.reason.as_str()
            }
        })
        .unwrap_or_default();
    let text = without_assert_site(normalize(&rule_lines(reason)));
    if text.is_empty() {
        if bug_type == Some("151") {
            return PanicClass::ForcedReset;
        }
        // A fragment without its panic line: a keepsyms backtrace through kernel_trap that
        // returns into a kext is still a trap in that kext.
        if intel::trap_kext_from_keepsyms(ctx).is_some() {
            return PanicClass::IntelKextTrap;
        }
        return PanicClass::Unknown;
    }
    let signals = Signals {
        ctx,
        report: r,
        text,
        location: panic_source(r)
            .map(|(f, _)| f.to_ascii_lowercase())
            .unwrap_or_default(),
        bug_type,
    };
    class_of(&signals)
}

/// `vm_map.c:1234 assertion failed: expr` (osfmk/kern/assert.h): the file an assert sits in
/// says nothing about what failed, and its name must not match the rules of that subsystem.
fn without_assert_site(text: String) -> String {
    match text.split_once(" assertion failed:") {
        Some((site, rest)) if !site.contains(' ') && site.contains(':') => {
            format!("assertion failed:{rest}")
        }
        _ => text,
    }
}

fn class_of(s: &Signals) -> PanicClass {
    DETECTION
        .iter()
        .find_map(|rule| match rule {
            Detect::When(class, applies) => applies(s).then_some(*class),
            Detect::Pick(pick) => pick(s),
        })
        .unwrap_or(PanicClass::Unknown)
}
