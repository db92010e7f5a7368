//! The machine and the log themselves: Hackintosh, virtual machine, modified boot, development
//! kernel, a test/exploit program as the panicked process, an incomplete log.

use super::ids::SystemId;
use super::suspects::{deliberate_trigger, thread_blame, Suspect, SuspectCategory, ThreadBlame};
use super::{Confidence, Ctx, Evidence, Finding, PanicClass};

/// Boot-args only Hackintosh setups use (Lilu/WhateverGreen/AppleALC and OpenCore/Clover
/// drivers).
static HACKINTOSH_BOOT_ARGS: &[&str] = &[
    "alcid=",
    "agdpmod=",
    "shikigva=",
    "igfxonln=",
    "igfxfw=",
    "igfxrpsc=",
    "-igfxvesa",
    "-wegnoegpu",
    "-lilubeta",
    "-liludbg",
    "-alcbeta",
    "-disablegfxfirmware",
    "npci=",
    "dk.e1000=",
    "e1000=",
    "brcmfx-",
    "-radvesa",
    "-raddvi",
    "unfairgva=",
    "-cdfon",
    "-vsmcdbg",
];

/// The boot-args of the log (empty when it has none).
fn boot_args(ctx: &Ctx) -> String {
    ctx.report.system.boot_args.clone().unwrap_or_default()
}

/// A system rule: one finding or none.
type Rule = fn(&Ctx, &[Suspect], PanicClass) -> Option<Finding>;

/// The system rules, in the order their findings are emitted.
static RULES: &[Rule] = &[
    hackintosh,
    virtual_machine,
    modified_boot,
    development_kernel,
    test_program,
    incomplete_log,
];

/// System findings.
pub fn findings(ctx: &Ctx, suspects: &[Suspect], class: PanicClass) -> Vec<Finding> {
    RULES
        .iter()
        .filter_map(|rule| rule(ctx, suspects, class))
        .collect()
}

/// Hackintosh kexts or boot-args.
fn hackintosh(ctx: &Ctx, suspects: &[Suspect], _class: PanicClass) -> Option<Finding> {
    let r = ctx.report;
    let args = boot_args(ctx);
    let hk: Vec<&Suspect> = suspects
        .iter()
        .filter(|s| s.category == SuspectCategory::Hackintosh)
        .collect();
    let hk_args: Vec<&str> = args
        .split_whitespace()
        .filter(|a| HACKINTOSH_BOOT_ARGS.iter().any(|h| a.starts_with(h)))
        .collect();
    if hk.is_empty() && hk_args.is_empty() {
        return None;
    }
    let mut f = Finding::new(
        SystemId::Hackintosh,
        if hk.is_empty() { Confidence::Medium } else { Confidence::High },
        850,
        format!(
            "This is a Hackintosh{}",
            r.system
                .system_model
                .as_ref()
                .map(|m| format!(" posing as {}", m.split_whitespace().next().unwrap_or(m)))
                .unwrap_or_default()
        ),
        "The machine runs macOS on non-Apple hardware with patching and emulation kexts (Lilu and its \
         plugins, VirtualSMC/FakeSMC, VoodooI2C…) and bootloader patches. Panics there often come from \
         the patches, the ACPI tables or hardware macOS was never written for (third-party NVMe SSDs, \
         USB controllers, Wi-Fi) rather than from macOS itself. Lilu and its plugins and the SMC \
         emulators sit in backtraces by design: they are the cause only when the fault is in their own code.",
    );
    for s in hk.iter().take(8) {
        f.evidence.push(Evidence::fact(format!(
            "{}{} ({})",
            s.bundle_id,
            s.version
                .as_ref()
                .map(|v| format!(" {v}"))
                .unwrap_or_default(),
            s.known_as.as_deref().unwrap_or("Hackintosh kext")
        )));
    }
    if !hk_args.is_empty() {
        f.evidence.push(
            ctx.find_line("Boot args")
                .map(|(i, _)| ctx.quote(i, ""))
                .unwrap_or_else(|| Evidence::fact(format!("boot-args: {args}"))),
        );
        f.evidence.push(Evidence::fact(format!(
            "Hackintosh boot-args: {}",
            hk_args.join(" ")
        )));
    }
    f.next_steps.push(
        "Update the bootloader (OpenCore) and every Lilu plugin together; they must match the macOS release.".into(),
    );
    f.next_steps.push(
        "Check the USB port map, ACPI patches and the SSD/NVMe compatibility of this build; ask the Hackintosh community with the full log.".into(),
    );
    Some(f)
}

/// A guest of a hypervisor or a research VM.
fn virtual_machine(ctx: &Ctx, _suspects: &[Suspect], _class: PanicClass) -> Option<Finding> {
    let r = ctx.report;
    let mut vm_ev: Vec<Evidence> = Vec::new();
    if let Some(x) = &r.intel_fault {
        if x.vmm {
            vm_ev.push(ctx.quote(x.line, "Fault CPU … VMM"));
        }
    }
    if let Some(v) = &r.system.kernel_variant {
        if v.soc
            .as_deref()
            .is_some_and(|s| s.starts_with("vresearch") || s.starts_with("vmapple"))
        {
            vm_ev.push(Evidence::fact(format!(
                "kernel {}: a virtual machine kernel (Apple Security Research / virtualization)",
                v.config
            )));
        }
    }
    if let Some(l) = &r.loaded_kexts {
        let virt: Vec<&str> = l
            .kexts
            .iter()
            .map(|k| k.bundle_id.as_str())
            .filter(|b| b.contains("ApplePVPanic") || b.contains("Paravirt"))
            .collect();
        if !virt.is_empty() {
            vm_ev.push(Evidence::fact(format!(
                "virtualization kexts loaded: {}",
                virt.join(", ")
            )));
        }
    }
    if vm_ev.is_empty() {
        return None;
    }
    let mut f = Finding::new(
        SystemId::VirtualMachine,
        Confidence::High,
        300,
        "The panic happened in a virtual machine",
        "The kernel ran as a guest. Hypervisor bugs, emulated devices and timing (vCPUs descheduled by the \
         host) cause panics that never happen on hardware; kernel research setups (fuzzers, patched kernels) \
         also run here.",
    );
    f.evidence = vm_ev;
    f.next_steps
        .push("Check whether it reproduces on real hardware before blaming macOS.".into());
    Some(f)
}

/// A jailbreak bootloader, secure boot off, roots, relaxed code signing.
fn modified_boot(ctx: &Ctx, _suspects: &[Suspect], _class: PanicClass) -> Option<Finding> {
    let r = ctx.report;
    let args = boot_args(ctx);
    let mut mb: Vec<Evidence> = Vec::new();
    if let Some(ib) = &r.system.iboot_version {
        if ib.to_ascii_lowercase().starts_with("pongoos") {
            mb.push(Evidence::fact(format!(
                "iBoot version: {ib} (checkra1n/PongoOS: a jailbroken boot)"
            )));
        }
    }
    if r.system.secure_boot == Some(false) {
        mb.push(Evidence::fact("secure boot?: NO"));
    }
    if r.system.roots_installed.is_some_and(|n| n > 0) {
        mb.push(Evidence::fact(format!(
            "roots installed: {}",
            r.system.roots_installed.unwrap_or(0)
        )));
    }
    for a in args.split_whitespace() {
        if a.starts_with("amfi_get_out_of_my_way")
            || a.starts_with("cs_enforcement_disable")
            || a.starts_with("amfi=")
        {
            mb.push(Evidence::fact(format!(
                "boot-arg {a}: code signing relaxed"
            )));
        }
    }
    if mb.is_empty() {
        return None;
    }
    let mut f = Finding::new(
        SystemId::ModifiedBoot,
        Confidence::High,
        350,
        "The system was booted in a modified state (jailbreak, roots or relaxed security)",
        "A modified kernel environment (jailbreak bootloader, installed roots, disabled code signing) changes \
         kernel behaviour; panics may come from the modification itself.",
    );
    f.evidence = mb;
    Some(f)
}

/// A development kernel or debug boot-args.
fn development_kernel(ctx: &Ctx, _suspects: &[Suspect], _class: PanicClass) -> Option<Finding> {
    let r = ctx.report;
    let args = boot_args(ctx);
    let dev_kernel = r
        .system
        .kernel_variant
        .as_ref()
        .is_some_and(|v| v.kind != "release");
    let dev_args: Vec<&str> = args
        .split_whitespace()
        .filter(|a| a.starts_with("kcsuffix=") || a.starts_with("-zc") || a.starts_with("zlog"))
        .collect();
    if !dev_kernel && dev_args.is_empty() {
        return None;
    }
    let mut f = Finding::new(
        SystemId::DevelopmentKernel,
        Confidence::Medium,
        120,
        "A development kernel or debug boot-args were in use",
        "Kernel debugging settings are on; development kernels add checks that panic where release \
         kernels would not.",
    );
    if let Some(v) = r.system.kernel_variant.as_ref().filter(|_| dev_kernel) {
        f.evidence
            .push(Evidence::fact(format!("kernel {}", v.config)));
    }
    if !dev_args.is_empty() {
        f.evidence
            .push(Evidence::fact(format!("boot-args: {}", dev_args.join(" "))));
    }
    Some(f)
}

/// The panicked process is a test, proof of concept, fuzzer, exploit or instrumentation tool,
/// by the words of its name (see [`deliberate_trigger`]).
fn test_program(ctx: &Ctx, _suspects: &[Suspect], class: PanicClass) -> Option<Finding> {
    // A watchdog's or a reset's panicked thread is whatever ran when it fired.
    if thread_blame(ctx, class) == ThreadBlame::Messenger {
        return None;
    }
    let r = ctx.report;
    let p = r
        .panicked_task
        .as_ref()
        .and_then(|t| t.name.clone())
        .or_else(|| {
            r.panicked_thread
                .as_ref()
                .and_then(|t| t.process_name.clone())
        })?;
    let what = deliberate_trigger(&p)?;
    Some(
        Finding::new(
            SystemId::TestProgram,
            Confidence::Medium,
            400,
            format!("The panic was triggered by {what}: {p}"),
            "The panicked process looks like a deliberate trigger. The panic is then a reproducible kernel \
             bug reachable from user space; if the process runs sandboxed or unprivileged it is \
             security-relevant.",
        )
        .evidence(Evidence::fact(format!("panicked process: {p}")))
        .step("Keep the program as the reproducer; report it to the kernel or driver owner (Apple: security bounty if exploitable)."),
    )
}

/// The parser found the log cut or damaged.
fn incomplete_log(ctx: &Ctx, _suspects: &[Suspect], class: PanicClass) -> Option<Finding> {
    let partial: Vec<&String> = ctx
        .report
        .warnings
        .iter()
        .filter(|w| {
            let l = w.to_ascii_lowercase();
            l.contains("cut")
                || l.contains("partial")
                || l.contains("missing")
                || l.contains("leniently")
                || l.contains("no `panic(`")
                || l.contains("abridged")
        })
        .collect();
    // bridgeOS panics carry only their message: nothing is missing.
    if partial.is_empty() || class.is_t2() {
        return None;
    }
    let mut f = Finding::new(
        SystemId::IncompleteLog,
        Confidence::High,
        60,
        "The log is incomplete: parts of the diagnosis may be missing",
        "The parser found the log cut, abridged or damaged; sections that are not there (kext list, \
         memory, threads) cannot be judged.",
    );
    for w in partial {
        f.evidence.push(Evidence::fact(w.clone()));
    }
    f.next_steps
        .push("Get the original panic file (/Library/Logs/DiagnosticReports, or Settings › Privacy › Analytics on iOS).".into());
    Some(f)
}
