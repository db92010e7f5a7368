//! The panic classes: what the panic string and the rest of the log say happened.
//!
//! Every class has a stable identifier (the `class` of the JSON), an explanation in plain words
//! and next steps. [`classify`] picks the class and builds the first finding of a diagnosis,
//! with the evidence it rests on.
//!
//! The classes live with their family, together with the code that words their title and
//! gathers their evidence: `watchdog` (stalls and resets), `faults` (arm64 aborts, PAC, MTE,
//! undefined instructions), `intel` (Intel traps), `zones` (the zone allocator), `locks`,
//! `coprocessors` (RTKit firmware), `hardware` (PCIe, SoC, GPU, NVMe) and `other`. The
//! detection rules that [`detect`] tries stay in one table because a message can match the
//! rules of several families and the order of the rules decides between them.

mod coprocessors;
mod faults;
mod hardware;
mod intel;
mod locks;
mod other;
mod text;
mod watchdog;
mod zones;

use super::suspects::Suspect;
use kpanic_report::PanicReport;

use super::{Confidence, Ctx, Evidence, Finding, PanicClass};

pub use intel::in_legacy_kext_region;
pub use text::demangle_short;

/// One panic class of the catalogue.
#[derive(Debug)]
pub struct ClassInfo {
    /// The class.
    pub id: PanicClass,
    /// Short human name.
    pub name: &'static str,
    /// Plain words: what the class means.
    pub explanation: &'static str,
    /// What to do about it, most specific first.
    pub next_steps: &'static [&'static str],
}

/// Every panic class kpanic knows, in the order they are tried (most specific first).
pub static CATALOGUE: &[ClassInfo] = &[
    watchdog::WATCHDOGD_TIMEOUT,
    watchdog::USERSPACE_WATCHDOG_TIMEOUT,
    watchdog::HARDWARE_WATCHDOG_TIMEOUT,
    watchdog::T2_SLEEP_WAKE_WATCHDOG,
    watchdog::T2_MACOS_WATCHDOG,
    watchdog::SLEEP_WAKE_TIMEOUT,
    watchdog::FORCED_RESET,
    faults::MTE_TAG_CHECK_FAULT,
    faults::PAC_FAILURE,
    faults::UNALIGNED_ABORT,
    faults::KERNEL_INSTRUCTION_ABORT,
    faults::KERNEL_DATA_ABORT,
    faults::UNDEFINED_INSTRUCTION,
    intel::INTEL_KEXT_TRAP,
    intel::INTEL_PAGE_FAULT,
    intel::INTEL_GENERAL_PROTECTION,
    intel::INTEL_DOUBLE_FAULT,
    intel::INTEL_KERNEL_TRAP,
    zones::ZONE_USE_AFTER_FREE,
    zones::ZONE_CORRUPTION,
    zones::ZONE_MAP_EXHAUSTED,
    locks::BLOCKING_WITH_SPINLOCK,
    locks::SPINLOCK_TIMEOUT,
    locks::INTERRUPTS_DISABLED_TOO_LONG,
    coprocessors::DCP_PANIC,
    coprocessors::AOP_PANIC,
    coprocessors::ANS_PANIC,
    coprocessors::SMC_PANIC,
    coprocessors::SEP_PANIC,
    coprocessors::COPROCESSOR_PANIC,
    hardware::PCIE_LINK_DOWN,
    hardware::PLATFORM_HARDWARE_ERROR,
    hardware::GPU_PANIC,
    hardware::NVME_FATAL,
    other::CODESIGNING_PANIC,
    other::VM_MAP_FAILURE,
    other::PMAP_PANIC,
    locks::LOCK_MISUSE,
    other::KERNEL_STACK_OVERFLOW,
    other::COMPRESSOR_EXHAUSTED,
    other::KERNEL_ASSERTION,
    other::UNKNOWN,
];

/// The catalogue entry of `id`.
pub fn info(id: PanicClass) -> &'static ClassInfo {
    CATALOGUE
        .iter()
        .find(|c| c.id == id)
        .expect("the catalogue has every class")
}

/// What the detection rules read: the lower-case panic message and a few facts of the log.
struct Signals<'a> {
    ctx: &'a Ctx<'a>,
    report: &'a PanicReport,
    /// The panic message without its source location, lower case.
    message: String,
    /// The source file of the panic, lower case (empty without one).
    location: String,
    /// The bug_type of an .ips report.
    bug_type: Option<&'a str>,
}

impl Signals<'_> {
    fn has(&self, s: &str) -> bool {
        self.message.contains(s)
    }
}

/// A detection rule: a class and when the log shows it, or a rule that picks among classes.
enum Detect {
    When(PanicClass, fn(&Signals) -> bool),
    Pick(fn(&Signals) -> Option<PanicClass>),
}

/// The detection rules, tried in order; the first match wins. The order is not the
/// catalogue's: a message can match the rules of several families (a coprocessor's message
/// contains "assert", a zone panic names a lock), and the more specific rule comes first.
static DETECTION: &[Detect] = {
    use PanicClass::*;
    &[
        Detect::When(WatchdogdTimeout, |s| {
            s.has("no checkins from watchdogd") || s.has("watchdog timeout: no checkins")
        }),
        Detect::When(UserspaceWatchdogTimeout, |s| {
            s.has("userspace watchdog timeout")
        }),
        Detect::When(HardwareWatchdogTimeout, |s| {
            s.has("wdt timeout") || (s.has("cpu") && s.has("failed to respond"))
        }),
        Detect::When(T2SleepWakeWatchdog, |s| {
            s.has("watchdog") && (s.has("sleep/wake") || s.has("sleep\\/wake"))
        }),
        Detect::When(T2MacosWatchdog, |s| s.has("macos watchdog detected")),
        Detect::When(ForcedReset, |s| {
            s.has("btn_rst")
                || s.has("force reset")
                || s.has("forcereset")
                || s.bug_type == Some("151")
        }),
        Detect::When(SleepWakeTimeout, |s| {
            (s.has("sleep transition") || s.has("wake transition") || s.has("sleep/wake"))
                && (s.has("timed out") || s.has("suspected bundle"))
        }),
        Detect::When(MteTagCheckFault, |s| s.has("tag check fault")),
        Detect::When(PacFailure, |s| {
            s.has("ptrauth") || s.has("pointer authentication") || s.has("pac failure")
        }),
        // Coprocessors before the generic assertion: their messages contain "assert".
        Detect::When(DcpPanic, |s| s.has("dcp panic") || s.has("dcpext panic")),
        Detect::When(AopPanic, |s| s.has("aop panic")),
        Detect::When(AnsPanic, |s| {
            s.has("ans2") || s.has("ans panic") || s.has("ans3")
        }),
        Detect::When(SmcPanic, |s| s.has("smc panic") || s.has("smc::")),
        Detect::When(SepPanic, |s| {
            s.has("sep panic") || s.has("sep/os panic") || s.has("sep rom panic")
        }),
        Detect::When(CoprocessorPanic, |s| {
            (s.has(" panic - ") && !s.report.panic_details.is_empty())
                || s.report.panic_details.iter().any(|l| l.contains("RTKit:"))
        }),
        Detect::When(PlatformHardwareError, |s| {
            s.has("amcc") || s.has("dcs group") || s.location.contains("platformerrorhandler")
        }),
        Detect::When(PcieLinkDown, |s| {
            s.has("pcie") && (s.has("link down") || s.has("linkdown") || s.has("link is down"))
        }),
        Detect::When(GpuPanic, |s| {
            s.has("gpu panic")
                || s.has("gpu hang")
                || s.has("nvrm")
                || s.has("agx")
                || s.has("gpu restart")
        }),
        Detect::When(NvmeFatal, |s| {
            s.has("nvme") && (s.has("fatal") || s.has("timeout") || s.has("csts"))
                || s.location.contains("ionvmecontroller")
        }),
        Detect::When(ZoneUseAfterFree, |s| {
            s.has("modified after free") || s.has("use-after-free") || s.has("double free")
        }),
        Detect::When(ZoneMapExhausted, |s| {
            s.has("zone map exhausted") || s.has("zone_map_exhausted")
        }),
        Detect::When(ZoneCorruption, |s| {
            s.has("zone_require")
                || s.has("zone bound")
                || s.has("zfree")
                || s.has("kfree")
                || s.has("zalloc")
        }),
        Detect::When(BlockingWithSpinlock, |s| {
            s.has("preemption_level") || s.has("blocking while holding a spinlock")
        }),
        Detect::When(SpinlockTimeout, |s| {
            s.has("spinlock") && (s.has("timeout") || s.has("timed out"))
                || s.has("spinlock acquisition")
        }),
        Detect::When(InterruptsDisabledTooLong, |s| {
            (s.has("interrupt") || s.has("preemption"))
                && (s.has("too long") || s.has("for more than"))
        }),
        Detect::When(CodesigningPanic, |s| {
            s.has("amfi") || s.has("code signature") || s.has("coretrust") || s.has("codesign")
        }),
        Detect::When(UnalignedAbort, |s| s.has("unaligned") && s.has("abort")),
        Detect::When(KernelInstructionAbort, |s| {
            s.has("instruction fetch abort") || s.has("instruction abort")
        }),
        Detect::When(KernelDataAbort, |s| {
            s.has("kernel data abort") || s.has("data abort")
        }),
        Detect::When(UndefinedInstruction, |s| {
            s.has("undefined kernel instruction") || s.has("undefined instruction")
        }),
        Detect::Pick(trap_class),
        Detect::When(IntelKernelTrap, |s| s.has("kernel trap")),
        Detect::When(KernelStackOverflow, |s| {
            s.has("stack overflow") || s.has("invalid kernel stack")
        }),
        Detect::When(VmMapFailure, |s| {
            s.has("vm_map") || s.has("vm_fault") || s.has("vm_page") || s.has("vm_object")
        }),
        Detect::When(PmapPanic, |s| {
            s.has("pmap") || s.has("ppl ") || s.has("ppl:") || s.has("sptm")
        }),
        Detect::When(LockMisuse, |s| {
            s.has("lck_") || s.has("mutex") || s.has("rwlock") || s.has("lock ") && s.has("owner")
        }),
        Detect::When(CompressorExhausted, |s| {
            s.has("compressor") || s.has("swap space") || s.has("swapfile")
        }),
        Detect::When(KernelAssertion, |s| {
            s.report
                .panic
                .as_ref()
                .is_some_and(|p| p.location.is_some())
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
    let message = ctx.message_lc();
    if message.is_empty() {
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
        message,
        location: r
            .panic
            .as_ref()
            .and_then(|p| p.location.as_ref())
            .map(|l| l.file.to_ascii_lowercase())
            .unwrap_or_default(),
        bug_type,
    };
    DETECTION
        .iter()
        .find_map(|rule| match rule {
            Detect::When(class, applies) => applies(&signals).then_some(*class),
            Detect::Pick(pick) => pick(&signals),
        })
        .unwrap_or(PanicClass::Unknown)
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

/// `third-party` or `Apple`, for a kext.
pub(super) fn origin(third_party: bool) -> &'static str {
    if third_party {
        "third-party"
    } else {
        "Apple"
    }
}

/// Builds the panic-class finding: the first finding of every diagnosis.
/// `id` is the class [`detect`] found.
pub fn classify(ctx: &Ctx, id: PanicClass, suspects: &[Suspect]) -> Finding {
    let info = info(id);
    let r = ctx.report;
    let msg = r
        .panic
        .as_ref()
        .map(|p| p.reason.clone())
        .unwrap_or_default();
    let confidence = if id == PanicClass::Unknown {
        Confidence::Low
    } else if r.panic.is_none() {
        Confidence::Medium
    } else {
        Confidence::High
    };
    let mut f = Finding::new(id, confidence, 1000, info.name, info.explanation);
    if let Some(p) = &r.panic {
        f.evidence.push(ctx.quote(p.line, &p.message));
    }
    let proc_ = process_phrase(ctx);
    // Third-party code the panic implicates (its code faulted, called panic(), is named, ran on
    // the panicked thread or on the stalled ones): never a kext merely loaded, a Hackintosh hook
    // there by design, or a bystander of a watchdog or hardware panic.
    let top_suspect = suspects.iter().find(|s| s.is_third_party_culprit());

    use PanicClass::*;
    match id {
        WatchdogdTimeout => watchdog::watchdog(ctx, &mut f, &msg),
        UserspaceWatchdogTimeout => watchdog::userspace_watchdog(ctx, &mut f, &msg),
        HardwareWatchdogTimeout => watchdog::hardware_watchdog(&mut f, &msg),
        T2SleepWakeWatchdog => watchdog::t2_sleep_wake(ctx, &mut f),
        T2MacosWatchdog => watchdog::t2_macos(&mut f),
        SleepWakeTimeout => watchdog::sleep_wake(ctx, &mut f, &msg),
        ForcedReset => watchdog::forced_reset(ctx, &mut f),
        MteTagCheckFault => faults::mte(ctx, &mut f, proc_.as_deref()),
        PacFailure
        | UnalignedAbort
        | KernelInstructionAbort
        | KernelDataAbort
        | UndefinedInstruction => faults::arm_abort(ctx, &mut f, id, proc_.as_deref()),
        IntelKextTrap
        | IntelPageFault
        | IntelGeneralProtection
        | IntelDoubleFault
        | IntelKernelTrap => intel::intel_trap(ctx, &mut f, id, proc_.as_deref()),
        ZoneUseAfterFree | ZoneCorruption | ZoneMapExhausted => {
            zones::zone(ctx, &mut f, id, &msg, proc_.as_deref())
        }
        DcpPanic | AopPanic | AnsPanic | SmcPanic | SepPanic | CoprocessorPanic => {
            coprocessors::coprocessor(ctx, &mut f, id, &msg)
        }
        BlockingWithSpinlock => locks::blocking_with_spinlock(&mut f, &msg, top_suspect),
        PlatformHardwareError => hardware::platform_error(ctx, &mut f, &msg),
        GpuPanic => hardware::gpu(ctx, &mut f, &msg, suspects),
        NvmeFatal => hardware::nvme(ctx, &mut f, &msg),
        CodesigningPanic => other::codesigning(&mut f, &msg, proc_.as_deref()),
        VmMapFailure => other::vm_map(&mut f, &msg, proc_.as_deref()),
        KernelAssertion => other::kernel_assertion(ctx, &mut f, &msg),
        SpinlockTimeout
        | InterruptsDisabledTooLong
        | LockMisuse
        | PcieLinkDown
        | PmapPanic
        | KernelStackOverflow
        | CompressorExhausted
        | Unknown => other::unrecognised(&mut f, &msg),
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
                origin(k.third_party)
            ))),
            _ => {}
        }
    }
    if id.lists_backtrace_kexts() && !r.kexts_in_backtrace.is_empty() {
        let names: Vec<String> = r
            .kexts_in_backtrace
            .iter()
            .map(|k| format!("{} ({})", k.kext.bundle_id, origin(k.kext.third_party)))
            .collect();
        f.evidence.push(Evidence::fact(format!(
            "kexts in the panicked backtrace: {}",
            names.join(", ")
        )));
    }
    f.next_steps
        .extend(info.next_steps.iter().map(|s| s.to_string()));
    if let Some(s) = top_suspect {
        f.next_steps.insert(
            0,
            format!(
                "{} {} {}: update or remove it first, then see whether the panic returns.",
                if s.kind == super::suspects::SuspectKind::Dext {
                    "DriverKit extension"
                } else {
                    "Third-party kext"
                },
                s.bundle_id,
                s.tie_phrase()
            ),
        );
    }
    f
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_class_can_be_detected_and_has_one_entry() {
        let mut reachable: Vec<PanicClass> = DETECTION
            .iter()
            .filter_map(|rule| match rule {
                Detect::When(class, _) => Some(*class),
                Detect::Pick(_) => None,
            })
            .collect();
        let when = reachable.len();
        reachable.sort_unstable();
        reachable.dedup();
        assert_eq!(reachable.len(), when, "a class with two detection rules");
        // The trap rule picks the Intel traps; a log matching nothing is unknown.
        reachable.extend([
            PanicClass::IntelKextTrap,
            PanicClass::IntelPageFault,
            PanicClass::IntelGeneralProtection,
            PanicClass::IntelDoubleFault,
            PanicClass::Unknown,
        ]);
        for c in PanicClass::ALL {
            assert!(reachable.contains(c), "{c} is never detected");
            assert_eq!(CATALOGUE.iter().filter(|i| i.id == *c).count(), 1, "{c}");
        }
    }
}
