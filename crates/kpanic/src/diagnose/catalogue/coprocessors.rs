//! Coprocessor firmware panics (DCP, AOP, ANS, SMC, SEP and other RTKit firmware): the
//! coprocessor crashed and the kernel went down with it; its own crash log is in the panic
//! text.

use super::ClassInfo;
use crate::diagnose::PanicClass;
use crate::diagnose::{shorten, Ctx, Evidence, Finding};

pub(super) const DCP_PANIC: ClassInfo = ClassInfo {
    id: PanicClass::DcpPanic,
    name: "display coprocessor (DCP) panic",
    explanation: "The display coprocessor firmware (DCP, RTKit) crashed or asserted and took the system down. \
        The panic text carries its own crash log (RTKit task list, assert file:line). DCP panics follow display \
        events: hot-plugging monitors, docks, adapters, cables, sleep/wake with external displays.",
    next_steps: &[
        "Read the ASSERT line: it names the firmware component (e.g. DPTX power controller = external display link).",
        "Try another cable/adapter/dock, avoid hot-plugging during sleep, update macOS (DCP firmware ships with it).",
        "Report to Apple with the full panic: only Apple can fix DCP firmware.",
    ],
};

pub(super) const AOP_PANIC: ClassInfo = ClassInfo {
    id: PanicClass::AopPanic,
    name: "always-on processor (AOP) panic",
    explanation: "The Always-On Processor (sensors, motion, 'Hey Siri', sensor hub) firmware crashed or asserted. \
        Its RTKit assert is in the panic text.",
    next_steps: &[
        "Read the assert: it names the AOP component that failed.",
        "If user space was hammering a sensor/HID interface (e.g. a test program), that interaction is the trigger.",
        "Otherwise update the OS; repeated AOP panics on an idle device point to hardware.",
    ],
};

pub(super) const ANS_PANIC: ClassInfo = ClassInfo {
    id: PanicClass::AnsPanic,
    name: "storage controller (ANS) panic",
    explanation: "The NAND storage coprocessor (ANS) firmware panicked or stopped answering. This is the internal \
        SSD's controller: firmware bugs or failing flash.",
    next_steps: &[
        "Check storage health and free space; back up now.",
        "Update the OS (ANS firmware ships with it); repeated ANS panics mean a hardware repair.",
    ],
};

pub(super) const SMC_PANIC: ClassInfo = ClassInfo {
    id: PanicClass::SmcPanic,
    name: "SMC / power-controller panic",
    explanation: "The System Management Controller (power, thermals, battery, fans) firmware panicked or stopped \
        responding.",
    next_steps: &[
        "Check battery/power adapter and thermal conditions; update the OS.",
        "Repeated SMC panics: hardware diagnostics.",
    ],
};

pub(super) const SEP_PANIC: ClassInfo = ClassInfo {
    id: PanicClass::SepPanic,
    name: "Secure Enclave panic",
    explanation: "The Secure Enclave Processor (SEP) firmware panicked or stopped responding, and the kernel \
        followed.",
    next_steps: &[
        "Update the OS; repeated SEP panics (especially at boot or unlock) need hardware service.",
    ],
};

pub(super) const COPROCESSOR_PANIC: ClassInfo = ClassInfo {
    id: PanicClass::CoprocessorPanic,
    name: "coprocessor firmware panic",
    explanation: "A coprocessor running RTKit firmware crashed or asserted and the kernel panicked with it. The \
        coprocessor's own crash log is in the panic text.",
    next_steps: &[
        "Read the coprocessor's assert / faulting task in the panic text.",
        "Update the OS (the firmware ships with it) and report to Apple.",
    ],
};

pub(super) fn coprocessor(ctx: &Ctx, f: &mut Finding, id: PanicClass, msg: &str) {
    let r = ctx.report;
    let unit = match id {
        PanicClass::DcpPanic => "Display coprocessor (DCP)",
        PanicClass::AopPanic => "Always-on processor (AOP)",
        PanicClass::AnsPanic => "Storage controller (ANS)",
        PanicClass::SmcPanic => "SMC",
        PanicClass::SepPanic => "Secure Enclave",
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
