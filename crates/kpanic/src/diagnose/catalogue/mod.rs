//! The panic classes: what the panic string and the rest of the log say happened.
//!
//! Every class has a stable identifier (the `class` of the JSON), an explanation in plain words
//! and next steps. [`classify`] picks the class and builds the first finding of a diagnosis,
//! with the evidence it rests on.
//!
//! The classes live with their family, together with the code that words their title and
//! gathers their evidence: `watchdog` (stalls and resets), `faults` (arm64 aborts, PAC, MTE,
//! undefined instructions), `intel` (Intel traps), `zones` (the zone allocator), `locks`,
//! `structures` (wait queues, IPC, lists, reference counts), `vm` (maps, pages, pmap, kmem,
//! compressor, memory exhaustion), `coprocessors` (RTKit firmware), `hardware` (PCIe, SoC,
//! GPU, NVMe) and `other`. The detection rules that [`detect`] tries stay in one table, in
//! `detect.rs`, because a message can match the rules of several families and the order of
//! the rules decides between them.

mod coprocessors;
mod detect;
mod faults;
mod hardware;
mod intel;
mod locks;
mod other;
mod structures;
mod text;
mod vm;
mod watchdog;
mod zones;

use super::suspects::Suspect;
use super::{Confidence, Ctx, Evidence, Finding, PanicClass};

pub use detect::detect;
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

/// Every panic class kpanic knows, in the order the detection rules try them (most specific
/// first).
pub static CATALOGUE: &[ClassInfo] = &[
    watchdog::WATCHDOGD_TIMEOUT,
    watchdog::USERSPACE_WATCHDOG_TIMEOUT,
    watchdog::HARDWARE_WATCHDOG_TIMEOUT,
    watchdog::T2_SLEEP_WAKE_WATCHDOG,
    watchdog::T2_MACOS_WATCHDOG,
    watchdog::FORCED_RESET,
    watchdog::POWER_STATE_CHANGE_TIMEOUT,
    watchdog::SLEEP_WAKE_TIMEOUT,
    watchdog::SHUTDOWN_TIMEOUT,
    other::INIT_PROCESS_EXITED,
    faults::MTE_TAG_CHECK_FAULT,
    faults::PAC_FAILURE,
    coprocessors::DCP_PANIC,
    coprocessors::AOP_PANIC,
    coprocessors::ANS_PANIC,
    coprocessors::SMC_PANIC,
    coprocessors::SEP_PANIC,
    coprocessors::COPROCESSOR_PANIC,
    hardware::NVME_FATAL,
    hardware::PLATFORM_HARDWARE_ERROR,
    hardware::PCIE_LINK_DOWN,
    hardware::GPU_PANIC,
    zones::ZONE_USE_AFTER_FREE,
    zones::ZONE_MAP_EXHAUSTED,
    zones::ZONE_REQUIRE,
    zones::INVALID_KFREE,
    zones::ZONE_CORRUPTION,
    vm::KMEM_ALLOC_FAILURE,
    locks::BLOCKING_WITH_SPINLOCK,
    locks::SPINLOCK_TIMEOUT,
    locks::INTERRUPTS_DISABLED_TOO_LONG,
    locks::DESTROYED_MUTEX,
    structures::WAITQ_CORRUPTION,
    structures::IPC_CORRUPTION,
    structures::QUEUE_CORRUPTION,
    structures::REFCOUNT_ERROR,
    other::CODESIGNING_PANIC,
    faults::UNALIGNED_ABORT,
    faults::KERNEL_INSTRUCTION_ABORT,
    faults::KERNEL_DATA_ABORT,
    faults::UNDEFINED_INSTRUCTION,
    intel::INTEL_KEXT_TRAP,
    intel::INTEL_PAGE_FAULT,
    intel::INTEL_GENERAL_PROTECTION,
    intel::INTEL_DOUBLE_FAULT,
    intel::INTEL_KERNEL_TRAP,
    other::KERNEL_STACK_OVERFLOW,
    vm::VM_PAGE_STATE_PANIC,
    vm::OUT_OF_MEMORY,
    vm::COMPRESSOR_CORRUPTION,
    vm::COMPRESSOR_EXHAUSTED,
    vm::VM_MAP_FAILURE,
    vm::PMAP_PANIC,
    locks::LOCK_MISUSE,
    other::FILESYSTEM_PANIC,
    other::NON_MONOTONIC_TIME,
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
    // The message the titles quote: its lines without chatter and memory dumps, on one line.
    let msg = r
        .panic
        .as_ref()
        .map(|p| {
            let reason = if p.reason.trim().is_empty() {
                &p.message
            } else {
                &p.reason
            };
            text::rule_lines(reason).join(" ")
        })
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
        PowerStateChangeTimeout => watchdog::power_state(&mut f, &msg),
        SleepWakeTimeout => watchdog::sleep_wake(ctx, &mut f, &msg),
        ShutdownTimeout => watchdog::shutdown(&mut f, &msg),
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
        ZoneUseAfterFree | ZoneCorruption | ZoneRequire | InvalidKfree | ZoneMapExhausted => {
            zones::zone(ctx, &mut f, id, &msg, proc_.as_deref())
        }
        DcpPanic | AopPanic | AnsPanic | SmcPanic | SepPanic | CoprocessorPanic => {
            coprocessors::coprocessor(ctx, &mut f, id, &msg)
        }
        BlockingWithSpinlock => locks::blocking_with_spinlock(&mut f, &msg, top_suspect),
        SpinlockTimeout => locks::spinlock_timeout(&mut f, &msg),
        InterruptsDisabledTooLong => locks::interrupts_disabled(&mut f, &msg),
        DestroyedMutex | LockMisuse => locks::lock_misuse(ctx, &mut f, id, &msg),
        WaitqCorruption | IpcCorruption | QueueCorruption | RefcountError => {
            structures::structure(ctx, &mut f, id, &msg)
        }
        PlatformHardwareError => hardware::platform_error(ctx, &mut f, &msg),
        PcieLinkDown => hardware::pcie(&mut f, &msg),
        GpuPanic => hardware::gpu(ctx, &mut f, &msg, suspects),
        NvmeFatal => hardware::nvme(ctx, &mut f, &msg),
        CodesigningPanic => other::codesigning(&mut f, &msg, proc_.as_deref()),
        VmMapFailure | KmemAllocFailure | VmPageStatePanic | OutOfMemory | PmapPanic
        | CompressorExhausted | CompressorCorruption => vm::vm(&mut f, id, &msg, proc_.as_deref()),
        KernelStackOverflow => other::stack_overflow(ctx, &mut f, &msg, proc_.as_deref()),
        FilesystemPanic => other::filesystem(ctx, &mut f, &msg),
        NonMonotonicTime => other::non_monotonic(&mut f, &msg),
        InitProcessExited => other::init_process(&mut f, &msg),
        KernelAssertion => other::kernel_assertion(ctx, &mut f, &msg),
        Unknown => other::unrecognised(&mut f, &msg),
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
        let mut reachable: Vec<PanicClass> = detect::DETECTION
            .iter()
            .filter_map(|rule| match rule {
                detect::Detect::When(class, _) => Some(*class),
                detect::Detect::Pick(_) => None,
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
            PanicClass::Unknown,
        ]);
        for c in PanicClass::ALL {
            assert!(reachable.contains(c), "{c} is never detected");
            assert_eq!(CATALOGUE.iter().filter(|i| i.id == *c).count(), 1, "{c}");
        }
    }

    #[test]
    fn the_catalogue_lists_classes_in_detection_order() {
        let position = |c: PanicClass| CATALOGUE.iter().position(|i| i.id == c).unwrap();
        let detected: Vec<PanicClass> = detect::DETECTION
            .iter()
            .filter_map(|rule| match rule {
                detect::Detect::When(class, _) => Some(*class),
                detect::Detect::Pick(_) => None,
            })
            .collect();
        for w in detected.windows(2) {
            assert!(position(w[0]) < position(w[1]), "{} before {}", w[0], w[1]);
        }
    }
}
