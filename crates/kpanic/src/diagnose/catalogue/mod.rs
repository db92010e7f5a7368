//! The panic classes: what the panic string and the rest of the log say happened.
//!
//! Every class has a stable identifier (the `class` of the JSON), an explanation in plain words
//! and next steps. [`classify`] picks the class and builds the first finding of a diagnosis,
//! with the evidence it rests on.
//!
//! The classes live with their family, together with the code that words their title and
//! gathers their evidence: `watchdog` (stalls and resets), `faults` (arm64 aborts, PAC, MTE,
//! undefined instructions), `intel` (Intel traps), `zones` (the zone allocator), `locks`,
//! `coprocessors` (RTKit firmware), `hardware` (PCIe, SoC, GPU, NVMe) and `other`. [`detect`]
//! stays in one place because a message can match the rules of several families and the
//! order of the rules decides between them.

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
    pub explanation: &'static str,
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

/// The class of the panic, from its message and the rest of the log.
pub fn detect(ctx: &Ctx) -> PanicClass {
    let r = ctx.report;
    let m = ctx.message_lc();
    let has = |s: &str| m.contains(s);
    let bug_type = r
        .ips
        .as_ref()
        .and_then(|i| i.header.bug_type.as_deref().or(i.body.bug_type.as_deref()));

    if m.is_empty() {
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
    if has("no checkins from watchdogd") || has("watchdog timeout: no checkins") {
        return PanicClass::WatchdogdTimeout;
    }
    if has("userspace watchdog timeout") {
        return PanicClass::UserspaceWatchdogTimeout;
    }
    if has("wdt timeout") || (has("cpu") && has("failed to respond")) {
        return PanicClass::HardwareWatchdogTimeout;
    }
    if has("watchdog") && (has("sleep/wake") || has("sleep\\/wake")) {
        return PanicClass::T2SleepWakeWatchdog;
    }
    if has("macos watchdog detected") {
        return PanicClass::T2MacosWatchdog;
    }
    if has("btn_rst") || has("force reset") || has("forcereset") || bug_type == Some("151") {
        return PanicClass::ForcedReset;
    }
    if (has("sleep transition") || has("wake transition") || has("sleep/wake"))
        && (has("timed out") || has("suspected bundle"))
    {
        return PanicClass::SleepWakeTimeout;
    }
    if has("tag check fault") {
        return PanicClass::MteTagCheckFault;
    }
    if has("ptrauth") || has("pointer authentication") || has("pac failure") {
        return PanicClass::PacFailure;
    }
    // Coprocessors before the generic assertion: their messages contain "assert".
    if has("dcp panic") || has("dcpext panic") {
        return PanicClass::DcpPanic;
    }
    if has("aop panic") {
        return PanicClass::AopPanic;
    }
    if has("ans2") || has("ans panic") || has("ans3") {
        return PanicClass::AnsPanic;
    }
    if has("smc panic") || has("smc::") {
        return PanicClass::SmcPanic;
    }
    if has("sep panic") || has("sep/os panic") || has("sep rom panic") {
        return PanicClass::SepPanic;
    }
    if (has(" panic - ") && !r.panic_details.is_empty())
        || r.panic_details.iter().any(|l| l.contains("RTKit:"))
    {
        return PanicClass::CoprocessorPanic;
    }
    let location = r
        .panic
        .as_ref()
        .and_then(|p| p.location.as_ref())
        .map(|l| l.file.to_ascii_lowercase())
        .unwrap_or_default();
    if has("amcc") || has("dcs group") || location.contains("platformerrorhandler") {
        return PanicClass::PlatformHardwareError;
    }
    if has("pcie") && (has("link down") || has("linkdown") || has("link is down")) {
        return PanicClass::PcieLinkDown;
    }
    if has("gpu panic") || has("gpu hang") || has("nvrm") || has("agx") || has("gpu restart") {
        return PanicClass::GpuPanic;
    }
    if has("nvme") && (has("fatal") || has("timeout") || has("csts"))
        || location.contains("ionvmecontroller")
    {
        return PanicClass::NvmeFatal;
    }
    if has("modified after free") || has("use-after-free") || has("double free") {
        return PanicClass::ZoneUseAfterFree;
    }
    if has("zone map exhausted") || has("zone_map_exhausted") {
        return PanicClass::ZoneMapExhausted;
    }
    if has("zone_require") || has("zone bound") || has("zfree") || has("kfree") || has("zalloc") {
        return PanicClass::ZoneCorruption;
    }
    if has("preemption_level") || has("blocking while holding a spinlock") {
        return PanicClass::BlockingWithSpinlock;
    }
    if has("spinlock") && (has("timeout") || has("timed out")) || has("spinlock acquisition") {
        return PanicClass::SpinlockTimeout;
    }
    if (has("interrupt") || has("preemption")) && (has("too long") || has("for more than")) {
        return PanicClass::InterruptsDisabledTooLong;
    }
    if has("amfi") || has("code signature") || has("coretrust") || has("codesign") {
        return PanicClass::CodesigningPanic;
    }
    if has("unaligned") && has("abort") {
        return PanicClass::UnalignedAbort;
    }
    if has("instruction fetch abort") || has("instruction abort") {
        return PanicClass::KernelInstructionAbort;
    }
    if has("kernel data abort") || has("data abort") {
        return PanicClass::KernelDataAbort;
    }
    if has("undefined kernel instruction") || has("undefined instruction") {
        return PanicClass::UndefinedInstruction;
    }
    if let Some(trap) = r.panic.as_ref().and_then(|p| p.trap.as_ref()) {
        if ctx.kext_at(trap.address).is_some() || intel::in_legacy_kext_region(trap.address.get()) {
            return PanicClass::IntelKextTrap;
        }
        return match trap.trap_type {
            Some(14) => PanicClass::IntelPageFault,
            Some(13) => PanicClass::IntelGeneralProtection,
            Some(8) => PanicClass::IntelDoubleFault,
            _ => PanicClass::IntelKernelTrap,
        };
    }
    if has("kernel trap") {
        return PanicClass::IntelKernelTrap;
    }
    if has("stack overflow") || has("invalid kernel stack") {
        return PanicClass::KernelStackOverflow;
    }
    if has("vm_map") || has("vm_fault") || has("vm_page") || has("vm_object") {
        return PanicClass::VmMapFailure;
    }
    if has("pmap") || has("ppl ") || has("ppl:") || has("sptm") {
        return PanicClass::PmapPanic;
    }
    if has("lck_") || has("mutex") || has("rwlock") || has("lock ") && has("owner") {
        return PanicClass::LockMisuse;
    }
    if has("compressor") || has("swap space") || has("swapfile") {
        return PanicClass::CompressorExhausted;
    }
    if r.panic.as_ref().is_some_and(|p| p.location.is_some()) {
        return PanicClass::KernelAssertion;
    }
    PanicClass::Unknown
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
    let top_suspect = suspects
        .iter()
        .find(|s| s.in_panicked_backtrace && s.third_party);

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
        if id != PanicClass::ForcedReset {
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
