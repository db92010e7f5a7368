//! Devices and the SoC: PCIe links going down, SoC hardware errors, GPU panics and NVMe
//! controller failures.

use super::text::{base_name, clean_message, number_after, panic_source, source_at, value_after};
use super::ClassInfo;
use crate::diagnose::suspects::{Suspect, SuspectCategory};
use crate::diagnose::PanicClass;
use crate::diagnose::{shorten, Ctx, Evidence, Finding};

pub(super) const PCIE_LINK_DOWN: ClassInfo = ClassInfo {
    id: PanicClass::PcieLinkDown,
    name: "PCIe link down",
    explanation: "A PCIe link (internal device or Thunderbolt) went down unexpectedly, or a request to the \
        device never completed, and the PCIe driver panicked. The device fell off the bus: power, cable, \
        hardware or firmware of that device.",
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
    explanation: "The GPU driver stack panicked: the GPU hung or stopped answering over PCIe, its firmware \
        faulted, or a GPU driver (IOGPUFamily, IOAcceleratorFamily, the AMD/NVIDIA/Intel graphics drivers, \
        the GPU's page-table manager) found its own state broken. The family named in the title is the \
        driver that gave up; the application that drove the GPU only triggered it.",
    next_steps: &[
        "Look at which GPU and driver (kexts in backtrace) and what ran on the GPU (games, ML workloads, external displays).",
        "Update macOS: Apple's GPU drivers ship with it; if the panic repeats on the latest release, report it to Apple with this log.",
        "Repeated GPU panics across OS updates point to the GPU itself: run Apple Diagnostics.",
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
    let m = msg.trim().trim_matches('"');
    let lc = m.to_ascii_lowercase();
    let first = m.split_whitespace().next().unwrap_or("SoC");
    f.title = if lc.starts_with("machine check") {
        format!(
            "Intel machine check: the CPU reported a hardware error (CPU, cache, memory or bus): {}",
            shorten(m.split(", registers").next().unwrap_or(m), 60)
        )
    } else if lc.contains("serror") {
        format!(
            "SError (asynchronous external abort from the bus or memory): {}",
            shorten(m, 70)
        )
    } else if lc.contains("caterr") {
        format!(
            "The T2 saw a catastrophic error of the Intel CPU: {}",
            shorten(m, 70)
        )
    } else {
        format!(
            "Hardware error reported by the SoC ({}): {}",
            first.trim_end_matches(':'),
            shorten(m, 70)
        )
    };
    if lc.starts_with("amcc") {
        let group = number_after(&lc, "dcs group ");
        let channel = number_after(&lc, "channel ");
        f.evidence.push(Evidence::fact(format!(
            "memory controller {first}{}{}: the DRAM/cache path the error came from",
            group
                .map(|g| format!(", DCS group {g}"))
                .unwrap_or_default(),
            channel
                .map(|c| format!(", channel {c}"))
                .unwrap_or_default()
        )));
    }
    if let Some(dart) = m.split_whitespace().find(|w| w.starts_with("dart-")) {
        f.evidence.push(Evidence::fact(format!(
            "{dart}: the IOMMU (DART) of that device caught a DMA to an address it had not mapped"
        )));
    }
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

/// The GPU driver family that panicked: from the message, else from the file or the build
/// project of the panic's source location.
fn gpu_family(ctx: &Ctx, msg: &str) -> Option<String> {
    let lc = msg.to_ascii_lowercase();
    let path = panic_source(ctx.report).map(|(f, _)| f).unwrap_or_default();
    let file = base_name(&path).to_ascii_lowercase();
    let file = file.as_str();
    // "…/com.apple.xbs/Sources/GPUDriversIntel/GPUDriversIntel-10.36.26/…" → GPUDriversIntel.
    let project = path.find("/Sources/").and_then(|i| {
        let rest = &path[i + "/Sources/".len()..];
        Some(rest.split('/').next()?.to_string()).filter(|p| p != "xnu")
    });
    let named = if lc.contains("(iouat)") || lc.contains("uat ppl") {
        "IOUAT (the GPU's page tables, UAT)"
    } else if file.starts_with("iogpu") || lc.contains("iogpu") {
        "IOGPUFamily"
    } else if file.starts_with("agx") || lc.contains("agx") {
        "AGX (Apple GPU driver)"
    } else if lc.contains("nvrm") {
        "NVIDIA resource manager (NVRM)"
    } else if lc.contains("amdradeon") {
        "AMD Radeon driver"
    } else if file.starts_with("ioaccel") || lc.contains("ioaccel") {
        "IOAcceleratorFamily"
    } else if lc.contains("[igpu]") || lc.contains("graphics firmware") {
        "Intel integrated GPU driver"
    } else {
        return project;
    };
    Some(match project {
        Some(p) if !named.contains(p.as_str()) => format!("{named}, {p}"),
        _ => named.to_string(),
    })
}

pub(super) fn gpu(ctx: &Ctx, f: &mut Finding, msg: &str, suspects: &[Suspect]) {
    let family = gpu_family(ctx, msg);
    let mut what = clean_message(msg);
    // "UAT PPL 0x… (IOUAT):" continues on the next lines of the panic string.
    if what.ends_with(':') {
        if let Some(next) = ctx.report.panic_details.first() {
            what = format!("{what} {}", next.trim());
        }
    }
    let at = source_at(ctx.report);
    f.title = format!(
        "GPU panic{}: {}",
        family
            .as_deref()
            .map(|fam| format!(" in {}", fam.split(" (").next().unwrap_or(fam)))
            .unwrap_or_default(),
        shorten(&what, 110)
    );
    if let Some(fam) = &family {
        f.evidence.push(Evidence::fact(format!(
            "GPU driver: {fam}{}",
            at.as_deref()
                .map(|a| format!("; the panic is raised in {a}"))
                .unwrap_or_default()
        )));
    }
    nvrm_evidence(f, msg);
    let lc = msg.to_ascii_lowercase();
    if lc.contains("read error") || lc.contains("0xffffffff 0xffffffff") {
        f.next_steps.push(
            "The GPU stopped answering on PCIe (reads return all ones): on older MacBook Pros with \
             discrete GPUs this is a known hardware failure (logic board)."
                .into(),
        );
    }
    if let Some(s) = suspects
        .iter()
        .find(|s| s.third_party && s.category == SuspectCategory::Gpu)
    {
        f.title
            .push_str(&format!(" — third-party {} loaded", s.bundle_id));
        f.next_steps.push(format!(
            "Third-party GPU software {} is loaded: update it or try without it.",
            s.bundle_id
        ));
    }
    let gpu_kexts: Vec<&str> = ctx
        .report
        .kexts_in_backtrace
        .iter()
        .map(|k| k.kext.bundle_id.as_str())
        .filter(|b| {
            let b = b.to_ascii_lowercase();
            [
                "nvda",
                "nvidia",
                "geforce",
                "amd",
                "agx",
                "gpu",
                "intelhd",
                "intelkbl",
                "intelskl",
                "intelicl",
                "accelerator",
                "graphics",
            ]
            .iter()
            .any(|w| b.contains(w))
        })
        .collect();
    if !gpu_kexts.is_empty() {
        f.evidence.push(Evidence::fact(format!(
            "GPU driver kexts in the backtrace: {}",
            gpu_kexts.join(", ")
        )));
    }
}

/// `NVRM[0/1:0:0]: Read Error 0x00000100: CFG 0xffffffff 0xffffffff 0xffffffff, BAR0 …`: the
/// NVIDIA resource manager names the GPU's PCI address and the first words of its config
/// space; all ones there means the GPU no longer answered on the bus.
fn nvrm_evidence(f: &mut Finding, msg: &str) {
    let Some(i) = msg.find("NVRM[") else {
        return;
    };
    let rest = &msg[i + "NVRM[".len()..];
    if let Some(addr) = rest.split(']').next().filter(|a| a.len() < 16) {
        f.evidence.push(Evidence::fact(format!(
            "NVIDIA GPU at {addr} (NVRM's device address)"
        )));
    }
    let Some(id) = value_after(msg, "CFG ")
        .and_then(|v| u32::from_str_radix(v.trim_start_matches("0x"), 16).ok())
    else {
        return;
    };
    if id == u32::MAX {
        f.evidence.push(Evidence::fact(
            "CFG 0xffffffff: the GPU's PCI config space read as all ones — it no longer answered on the bus (powered off, hung, or a failing GPU/logic board)",
        ));
    } else {
        let vendor = match id & 0xffff {
            0x10de => "NVIDIA",
            0x1002 => "AMD",
            0x8086 => "Intel",
            _ => "unknown vendor",
        };
        f.evidence.push(Evidence::fact(format!(
            "CFG {id:#010x}: PCI id {:04x}:{:04x} ({vendor}); the config space still answered",
            id & 0xffff,
            id >> 16
        )));
    }
}

/// `apcie[0:centauri-control]`, `port 2`, `pcic1-bridge`, `DSB0(MacBookPro15,2): thunderbolt
/// …`: the PCIe port or bridge a link panic names.
fn pcie_port(msg: &str) -> Option<String> {
    let lc = msg.to_ascii_lowercase();
    if lc.contains("thunderbolt") {
        if let Some((bridge, _)) = msg.split_once('(') {
            if !bridge.is_empty() && bridge.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Some(format!("Thunderbolt bridge {bridge}"));
            }
        }
    }
    if let Some(i) = lc.find("apcie") {
        let rest = &msg[i..];
        if let (Some(o), Some(c)) = (rest.find('['), rest.find(']')) {
            if o < c {
                return Some(rest[..=c].to_string());
            }
        }
    }
    if let Some(w) = msg
        .split(|c: char| c.is_whitespace() || c == ',' || c == '(' || c == ')')
        .find(|w| w.to_ascii_lowercase().starts_with("pcic") || w.contains("-bridge"))
    {
        return Some(w.trim_matches(['[', ']', ':']).to_string());
    }
    number_after(&lc, "port ").map(|n| format!("port {n}"))
}

pub(super) fn pcie(f: &mut Finding, msg: &str) {
    let m = clean_message(msg);
    let m = m.as_str();
    let port = pcie_port(m);
    if let Some(p) = &port {
        f.evidence.push(Evidence::fact(format!("PCIe port: {p}")));
    }
    let lc = m.to_ascii_lowercase();
    f.title = if lc.contains("thunderbolt power on failed") {
        format!(
            "{} failed to power on (the devices behind it fell off the bus): {}",
            port.unwrap_or_else(|| "A Thunderbolt bridge".into()),
            shorten(m, 90)
        )
    } else {
        format!(
            "{}{}: {}",
            if lc.contains("completion timeout") {
                "PCIe completion timeout"
            } else {
                "PCIe link down"
            },
            port.map(|p| format!(" on {p}")).unwrap_or_default(),
            shorten(m, 100)
        )
    };
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

/// The NVMe Controller Status register (NVMe base spec, CSTS): what each bit says.
fn decode_csts(v: u32) -> String {
    if v == u32::MAX {
        return "all ones: the register read got no answer, the SSD dropped off the PCIe bus or lost power".into();
    }
    let mut parts = vec![if v & 1 != 0 {
        "RDY=1 (controller ready)"
    } else {
        "RDY=0 (controller not ready)"
    }
    .to_string()];
    if v & 0b10 != 0 {
        parts.push(
            "CFS=1 (Controller Fatal Status: the controller reports a fatal internal error)".into(),
        );
    }
    match (v >> 2) & 0b11 {
        0b01 => parts.push("SHST=01 (shutdown processing in progress)".into()),
        0b10 => parts.push("SHST=10 (shutdown complete)".into()),
        0b11 => parts.push("SHST=11 (reserved value)".into()),
        _ => {}
    }
    if v & 0b1_0000 != 0 {
        parts.push("NSSRO=1 (an NVM subsystem reset occurred)".into());
    }
    if v & 0b10_0000 != 0 {
        parts.push("PP=1 (processing paused)".into());
    }
    if v & 0b11 == 0b01 {
        parts.push("no fatal status: the controller is up but stopped completing commands".into());
    }
    parts.join(", ")
}

pub(super) fn nvme(ctx: &Ctx, f: &mut Finding, msg: &str) {
    let vid = value_after(msg, "VID=");
    let did = value_after(msg, "DID=");
    let csts = value_after(msg, "CSTS=");
    let fw = value_after(msg, "FW Revision=")
        .or_else(|| value_after(msg, "FW="))
        .filter(|s| !s.starts_with('\\') && !s.starts_with('.') && *s != "FW");
    let model = msg
        .split_once("MODEL=")
        .map(|(_, r)| r.split(" FW=").next().unwrap_or(r).trim())
        .filter(|m| !m.is_empty() && !m.contains("not available"));
    let vid_lc = vid.map(str::to_ascii_lowercase);
    let gone = vid_lc.as_deref() == Some("0xffff");
    let vendor = vid_lc.as_deref().filter(|_| !gone).map(|v| {
        NVME_VENDORS
            .iter()
            .find(|(id, _)| *id == v)
            .map_or("unknown vendor", |(_, name)| *name)
    });
    let third_party = vid_lc.as_deref().is_some_and(|v| v != APPLE_VID && !gone)
        || msg.contains("3rd party NVMe");
    let timeout = msg.contains("CommandTimeout")
        || msg.to_ascii_lowercase().contains("command timeout")
        || ctx.report.backtrace.as_ref().is_some_and(|b| {
            b.frames.iter().any(|fr| {
                fr.symbol
                    .as_ref()
                    .is_some_and(|s| s.symbol.contains("CommandTimeout"))
            })
        });
    let link_down = msg.to_ascii_lowercase().contains("link down");
    f.title = format!(
        "NVMe SSD fatal error{}{}{}{}",
        csts.map(|c| format!(" (CSTS={c})")).unwrap_or_default(),
        match (vendor, vid, did, model) {
            (Some(v), Some(i), Some(d), _) => format!(" on a {v} SSD (VID {i} DID {d})"),
            (None, _, _, Some(m)) => format!(" on SSD {m}"),
            _ => String::new(),
        },
        if link_down {
            ": the PCIe link went down"
        } else {
            ""
        },
        if timeout {
            " after a command timeout"
        } else {
            ""
        }
    );
    if let Some(c) = csts {
        let parsed = c
            .strip_prefix("0x")
            .and_then(|h| u32::from_str_radix(h, 16).ok());
        if let Some(v) = parsed {
            f.evidence
                .push(Evidence::fact(format!("CSTS={c}: {}", decode_csts(v))));
        }
    }
    if let Some(m) = model {
        f.evidence.push(Evidence::fact(format!("SSD model {m}")));
    }
    if let Some(v) = fw {
        f.evidence
            .push(Evidence::fact(format!("SSD firmware revision {v}")));
    }
    if gone {
        f.evidence.push(Evidence::fact(
            "VID=0xffff: the vendor id read as all ones, the SSD was no longer answering on the bus",
        ));
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

#[cfg(test)]
mod tests {
    use super::decode_csts;

    #[test]
    fn csts_bits_follow_the_nvme_spec() {
        // CSTS: bit 0 RDY, bit 1 CFS, bits 3:2 SHST, bit 4 NSSRO, bit 5 PP.
        assert!(decode_csts(0x1).starts_with("RDY=1"));
        assert!(decode_csts(0x1).contains("stopped completing commands"));
        let fatal = decode_csts(0x3);
        assert!(fatal.contains("CFS=1") && !fatal.contains("stopped completing"));
        assert!(decode_csts(0x0).starts_with("RDY=0"));
        assert!(decode_csts(0x9).contains("SHST=10 (shutdown complete)"));
        assert!(decode_csts(0x5).contains("SHST=01"));
        assert!(decode_csts(0x11).contains("NSSRO=1"));
        assert!(decode_csts(0x21).contains("PP=1"));
        assert!(!decode_csts(0x2).contains("RDY=1"));
        assert!(decode_csts(u32::MAX).starts_with("all ones"));
    }
}
