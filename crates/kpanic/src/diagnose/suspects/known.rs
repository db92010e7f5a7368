//! Known kext families: what kind of software a bundle id is, which product it belongs to, and
//! which Hackintosh kexts sit in backtraces by design.

use kpanic_report::PanicReport;

use super::SuspectCategory;

/// Known third-party kext families, by category: bundle-id prefix (lower case) and product.
/// The first matching prefix wins, so a more specific prefix comes before a shorter one of
/// the same family; no prefix of one category starts a prefix of another.
pub(super) static KNOWN: &[(SuspectCategory, &[(&str, &str)])] = &[
    (
        SuspectCategory::Hypervisor,
        &[
            ("org.virtualbox.", "VirtualBox"),
            ("com.vmware.kext.", "VMware Fusion"),
            ("com.parallels.", "Parallels Desktop"),
            ("com.docker.", "Docker Desktop (HyperKit)"),
            ("com.xhyve", "xhyve/HyperKit"),
            ("com.intel.kext.intelhaxm", "Intel HAXM (Android emulator)"),
        ],
    ),
    (
        SuspectCategory::Security,
        &[
            ("com.vmware.carbonblack", "VMware Carbon Black (EDR)"),
            ("com.objective-see.", "Objective-See tools"),
            ("com.crowdstrike.", "CrowdStrike Falcon (EDR)"),
            ("com.sentinelone.", "SentinelOne (EDR)"),
            ("com.symantec.", "Symantec/Norton anti-virus"),
            ("com.norton.", "Norton anti-virus"),
            ("com.mcafee.", "McAfee anti-virus"),
            ("com.sophos.", "Sophos anti-virus"),
            ("com.eset.", "ESET anti-virus"),
            ("com.kaspersky.", "Kaspersky anti-virus"),
            ("com.bitdefender.", "Bitdefender anti-virus"),
            ("com.avast.", "Avast anti-virus"),
            ("com.avg.", "AVG anti-virus"),
            ("com.trendmicro.", "Trend Micro anti-virus"),
            ("com.malwarebytes.", "Malwarebytes"),
            ("com.carbonblack.", "Carbon Black (EDR)"),
            ("com.cylance.", "Cylance (EDR)"),
            ("com.jamf.", "Jamf Protect"),
            ("com.microsoft.wdav", "Microsoft Defender"),
            ("com.f-secure.", "F-Secure"),
            ("com.webroot.", "Webroot"),
            ("com.intego.", "Intego VirusBarrier"),
            ("com.cisco.amp", "Cisco AMP"),
        ],
    ),
    (
        SuspectCategory::Filesystem,
        &[
            ("com.github.osxfuse", "FUSE for macOS (osxfuse)"),
            ("io.macfuse", "macFUSE"),
            ("com.github.macfuse", "macFUSE"),
            ("com.paragon-software.", "Paragon NTFS/extFS"),
            ("com.tuxera.", "Tuxera NTFS"),
            ("com.tuxera", "Tuxera NTFS"),
            ("com.eltima.", "Eltima (CloudMounter/NTFS)"),
        ],
    ),
    (
        SuspectCategory::Storage,
        &[
            ("com.softraid.", "SoftRAID"),
            ("com.highpoint-tech.", "HighPoint RAID"),
            ("com.promise.", "Promise RAID"),
        ],
    ),
    (
        SuspectCategory::Network,
        &[
            ("at.obdev.", "Little Snitch"),
            ("com.cisco.kext", "Cisco AnyConnect VPN"),
            ("net.pulsesecure.", "Pulse Secure VPN"),
            ("com.paloaltonetworks.", "GlobalProtect VPN"),
            ("com.fortinet.", "FortiClient"),
            ("com.zscaler.", "Zscaler"),
            ("com.realtek.", "Realtek USB network"),
        ],
    ),
    (
        SuspectCategory::Hackintosh,
        &[
            ("as.vit9696.lilu", "Lilu (Hackintosh patcher)"),
            (
                "as.vit9696.whatevergreen",
                "WhateverGreen (Hackintosh GPU patches)",
            ),
            ("as.vit9696.applealc", "AppleALC (Hackintosh audio)"),
            ("as.vit9696.!aalc", "AppleALC (Hackintosh audio)"),
            (
                "as.vit9696.virtualsmc",
                "VirtualSMC (Hackintosh SMC emulator)",
            ),
            ("as.vit9696.smc", "VirtualSMC plugin (Hackintosh)"),
            ("as.vit9696.", "Acidanthera Hackintosh kext"),
            ("as.acidanthera.", "Acidanthera Hackintosh kext"),
            ("as.lvs1974.", "Hackintosh Lilu plugin"),
            ("as.khronokernel.", "Hackintosh Lilu plugin"),
            ("org.acidanthera.", "Acidanthera Hackintosh kext"),
            ("org.hwsensors.", "FakeSMC sensor plugin (Hackintosh)"),
            ("ru.joedm.", "SMCSuperIO (Hackintosh sensors)"),
            ("org.netkas.", "FakeSMC (Hackintosh SMC emulator)"),
            (
                "com.alexandred.voodooi2c",
                "VoodooI2C (Hackintosh trackpad)",
            ),
            ("org.coolstar.voodoo", "VoodooGPIO/VoodooI2C (Hackintosh)"),
            ("me.kishorprins.voodooinput", "VoodooInput (Hackintosh)"),
            ("com.1revenger1.", "VoodooRMI/VoodooSMBus (Hackintosh)"),
            ("org.rehabman.", "RehabMan Hackintosh kext"),
            ("com.rehabman.", "RehabMan Hackintosh kext"),
            ("org.tw.codeccommander", "CodecCommander (Hackintosh)"),
            ("com.sinetek.", "Hackintosh card-reader kext"),
            ("com.insanelymac.", "InsanelyMac Hackintosh kext"),
            ("org.voodoo.", "VoodooHDA/VoodooPS2 (Hackintosh)"),
            ("com.apple.driver.applealc", "AppleALC (Hackintosh audio)"),
        ],
    ),
    (
        SuspectCategory::Gpu,
        &[
            ("com.nvidia.web.", "NVIDIA Web Driver"),
            ("com.nvidia.cuda", "NVIDIA CUDA driver"),
            ("com.nvidia.", "NVIDIA driver"),
            ("com.amd.", "AMD driver"),
            ("com.displaylink.", "DisplayLink display driver"),
        ],
    ),
    (
        SuspectCategory::Audio,
        &[
            ("com.emu.", "E-MU audio driver"),
            ("com.shinywhitebox.", "iShowU audio capture"),
            ("com.rogueamoeba.", "Rogue Amoeba audio capture"),
            ("com.cycling74.", "Soundflower"),
            ("com.digidesign.", "Avid/Digidesign audio"),
            ("com.motu.", "MOTU audio"),
            ("com.focusrite.", "Focusrite audio"),
        ],
    ),
    (
        SuspectCategory::Other,
        &[
            ("com.intel.driver.energydriver", "Intel Power Gadget"),
            ("com.silabs.", "Silicon Labs USB-serial"),
            ("com.prolific.", "Prolific USB-serial"),
            ("com.wch.", "WCH USB-serial"),
            ("com.ftdi.", "FTDI USB-serial"),
            ("com.kext.wch", "WCH USB-serial"),
            ("wch.usb.", "WCH USB-serial (CH34x)"),
        ],
    ),
    (
        SuspectCategory::Input,
        &[
            ("com.logitech.", "Logitech driver"),
            ("com.razer.", "Razer driver"),
            ("com.steelseries.", "SteelSeries driver"),
            ("com.wacom.", "Wacom tablet driver"),
        ],
    ),
];

/// Category and product of a bundle id.
pub fn known(bundle_id: &str) -> (SuspectCategory, Option<&'static str>) {
    let b = bundle_id.to_ascii_lowercase();
    for (cat, families) in KNOWN {
        if let Some((_, name)) = families.iter().find(|(prefix, _)| b.starts_with(prefix)) {
            return (*cat, Some(name));
        }
    }
    let cat = if b.contains("fuse") || b.contains("ntfs") || b.contains("fs") && b.contains("file")
    {
        SuspectCategory::Filesystem
    } else if b.contains("audio") {
        SuspectCategory::Audio
    } else {
        SuspectCategory::Other
    };
    (cat, None)
}

/// Hackintosh kexts whose frames sit in backtraces by design, by bundle-id prefix (lower case):
/// Lilu routes patched kernel and kext functions through its own code, its plugins
/// (WhateverGreen, AppleALC, CPUFriend, RestrictEvents, NVMeFix, HibernationFixup…) hook through
/// it, and VirtualSMC/FakeSMC and their plugins emulate the SMC every power and sensor path
/// calls. Input drivers (VoodooPS2, VoodooI2C) are not here: they are real drivers, and their
/// frames mean their code ran.
static BY_DESIGN: &[&str] = &[
    "as.vit9696.",
    "as.lvs1974.",
    "as.khronokernel.",
    "org.acidanthera.driver.cpufriend",
    "org.acidanthera.nvmefix",
    "ru.joedm.smcsuperio",
    "org.netkas.",
    "org.hwsensors.",
];

/// The kexts plugins depend on: a kext that lists one of them as a dependency in "Kernel
/// Extensions in backtrace" is a plugin that hooks through it, whatever its name.
static HOOK_HOSTS: &[&str] = &[
    "as.vit9696.lilu",
    "as.vit9696.virtualsmc",
    "org.netkas.driver.fakesmc",
];

/// True for a Hackintosh hook or emulator kext (Lilu, its plugins, VirtualSMC/FakeSMC and
/// theirs): its frames in a backtrace are there by design, so they implicate it only when the
/// fault or the panic() call is in its own code.
pub fn in_backtraces_by_design(bundle_id: &str, report: &PanicReport) -> bool {
    let b = bundle_id.to_ascii_lowercase();
    if BY_DESIGN.iter().any(|p| b.starts_with(p)) {
        return true;
    }
    report
        .kexts_in_backtrace
        .iter()
        .filter(|k| k.kext.bundle_id.eq_ignore_ascii_case(bundle_id))
        .flat_map(|k| &k.dependencies)
        .any(|d| {
            let d = d.bundle_id.to_ascii_lowercase();
            HOOK_HOSTS.iter().any(|h| d == *h)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_families_and_fallbacks() {
        assert_eq!(
            known("org.virtualbox.kext.VBoxDrv"),
            (SuspectCategory::Hypervisor, Some("VirtualBox"))
        );
        assert_eq!(
            known("as.vit9696.Lilu"),
            (
                SuspectCategory::Hackintosh,
                Some("Lilu (Hackintosh patcher)")
            )
        );
        assert_eq!(
            known("com.example.ntfs3g"),
            (SuspectCategory::Filesystem, None)
        );
        assert_eq!(
            known("com.example.usbaudio"),
            (SuspectCategory::Audio, None)
        );
        assert_eq!(known("com.example.thing"), (SuspectCategory::Other, None));
    }

    #[test]
    fn no_prefix_of_one_category_starts_a_prefix_of_another() {
        for (cat, families) in KNOWN {
            for (prefix, _) in *families {
                for (other, others) in KNOWN.iter().filter(|(c, _)| c != cat) {
                    for (p, _) in *others {
                        assert!(!p.starts_with(prefix), "{cat} {prefix} / {other} {p}");
                    }
                }
            }
        }
    }
}
