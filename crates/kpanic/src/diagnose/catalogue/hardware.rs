//! Devices and the SoC: PCIe links going down, SoC hardware errors, GPU panics and NVMe
//! controller failures.

use super::text::value_after;
use super::ClassInfo;
use crate::diagnose::suspects::{Suspect, SuspectCategory};
use crate::diagnose::PanicClass;
use crate::diagnose::{shorten, Ctx, Evidence, Finding};

pub(super) const PCIE_LINK_DOWN: ClassInfo = ClassInfo {
    id: PanicClass::PcieLinkDown,
    name: "PCIe link down",
    explanation: "A PCIe link (internal device or Thunderbolt) went down unexpectedly and the driver panicked. \
        The device fell off the bus: power, cable, hardware or firmware of that device.",
    next_steps: &[
        "Identify the port/device in the message (Wi-Fi, Thunderbolt, SSD…).",
        "Disconnect Thunderbolt/PCIe peripherals; repeated link-down on an internal device points to hardware.",
    ],
};

pub(super) const PLATFORM_HARDWARE_ERROR: ClassInfo = ClassInfo {
    id: PanicClass::PlatformHardwareError,
    name: "platform hardware error (memory fabric / SoC)",
    explanation: "The SoC's error handler reported a hardware error (AMCC = memory controller/cache, DCS = DRAM \
        channel, fabric or interrupt-controller errors). Software can trigger such errors (a GPU or display \
        client misprogramming memory), but a recurring one on the same channel points to hardware.",
    next_steps: &[
        "Note the unit and channel in the message and whether it repeats across panics.",
        "If it follows a specific workload (GPU present modes, external displays), report it to Apple with a reproducer.",
        "Run Apple Diagnostics; repeated AMCC/DCS errors with different workloads mean a hardware repair.",
    ],
};

pub(super) const GPU_PANIC: ClassInfo = ClassInfo {
    id: PanicClass::GpuPanic,
    name: "GPU panic",
    explanation: "The GPU driver gave up on the GPU: a hang, a read error over PCIe, or a firmware fault. On Macs \
        with discrete GPUs the NVIDIA/AMD driver kexts are in the backtrace.",
    next_steps: &[
        "Look at which GPU and driver (kexts in backtrace) and what ran on the GPU (CUDA, games, external displays).",
        "Third-party GPU drivers (NVIDIA Web Driver, CUDA) first: update or remove.",
        "Read errors from the GPU over PCIe on older MacBook Pros with discrete GPUs are a known hardware failure.",
    ],
};

pub(super) const NVME_FATAL: ClassInfo = ClassInfo {
    id: PanicClass::NvmeFatal,
    name: "NVMe controller fatal error",
    explanation: "The NVMe SSD controller reported a fatal status (CSTS.CFS) or stopped answering commands, and \
        IONVMeFamily panicked. VID/DID identify the SSD; third-party SSDs (and Hackintosh setups) with power-state \
        or firmware incompatibilities are the classic case.",
    next_steps: &[
        "Identify the SSD from VID/DID (0x144d = Samsung, 0x15b7 = SanDisk/WD, 0x1987 = Phison, 0x126f = Silicon Motion…) and update its firmware.",
        "Third-party SSDs: disable deep power states (APST) or use a known-compatible model; check the drive's SMART health.",
        "Apple SSDs: back up and run Diagnostics.",
    ],
};

pub(super) fn platform_error(ctx: &Ctx, f: &mut Finding, msg: &str) {
    let unit = msg.split_whitespace().next().unwrap_or("SoC");
    f.title = format!(
        "Hardware error reported by the SoC ({unit}): {}",
        shorten(msg.trim_matches('"'), 70)
    );
    halt_evidence(ctx, f);
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

pub(super) fn gpu(ctx: &Ctx, f: &mut Finding, msg: &str, suspects: &[Suspect]) {
    f.title = format!("GPU panic: {}", shorten(msg.trim_matches('"'), 90));
    if let Some(s) = suspects
        .iter()
        .find(|s| s.third_party && s.category == SuspectCategory::Gpu)
    {
        f.title
            .push_str(&format!(" — third-party {} loaded", s.bundle_id));
    }
    let gpu_kexts: Vec<&str> = ctx
        .report
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

/// Apple's PCI vendor id.
const APPLE_VID: &str = "0x106b";

/// NVMe SSD vendors by PCI vendor id (lower case).
static NVME_VENDORS: &[(&str, &str)] = &[
    ("0x144d", "Samsung"),
    ("0x15b7", "SanDisk/WD"),
    ("0x1987", "Phison"),
    ("0x126f", "Silicon Motion"),
    ("0x1c5c", "SK hynix"),
    (APPLE_VID, "Apple"),
    ("0x8086", "Intel"),
    ("0x1cc1", "ADATA"),
    ("0x2646", "Kingston"),
    ("0x1e0f", "KIOXIA"),
    ("0xc0a9", "Micron/Crucial"),
];

pub(super) fn nvme(ctx: &Ctx, f: &mut Finding, msg: &str) {
    let vid = value_after(msg, "VID=");
    let did = value_after(msg, "DID=");
    let csts = value_after(msg, "CSTS=");
    let fw = value_after(msg, "FW Revision=").filter(|s| !s.starts_with('\\'));
    let vid_lc = vid.map(str::to_ascii_lowercase);
    let vendor = vid_lc.as_deref().map(|v| {
        NVME_VENDORS
            .iter()
            .find(|(id, _)| *id == v)
            .map_or("unknown vendor", |(_, name)| *name)
    });
    let third_party = vid_lc.as_deref().is_some_and(|v| v != APPLE_VID);
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
    if third_party {
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
