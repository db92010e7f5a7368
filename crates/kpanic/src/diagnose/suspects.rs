//! Kexts to suspect: third-party kexts in the panicked backtrace, in "Kernel Extensions in
//! backtrace", in other threads' stacks (full panics) and in the loaded list; the last
//! started/loaded/unloaded kext when it is recent; known hypervisor, filesystem, security,
//! GPU and Hackintosh kexts named as such.

use std::collections::BTreeMap;

use kpanic_report::{Arch, KextEventKind};
use serde::Serialize;

use super::ids::SuspectId;
use super::threads::ThreadReport;
use super::{Confidence, Ctx, Evidence, Finding, PanicClass};

string_enum! {
    /// What kind of kernel software a kext is.
    pub enum SuspectCategory {
        /// Virtualization (VirtualBox, VMware, Parallels, Docker/HyperKit…).
        Hypervisor = "hypervisor",
        /// Third-party filesystems (macFUSE/osxfuse, Paragon, Tuxera…).
        Filesystem = "filesystem",
        /// Security products: firewalls, anti-virus, EDR (Little Snitch…).
        Security = "security",
        /// Network drivers and filters.
        Network = "network",
        /// Hackintosh kexts (Lilu, WhateverGreen, VirtualSMC, FakeSMC…).
        Hackintosh = "hackintosh",
        /// Graphics drivers (NVIDIA Web Driver…).
        Gpu = "gpu",
        /// Audio drivers.
        Audio = "audio",
        /// Storage drivers.
        Storage = "storage",
        /// Input devices (VoodooI2C…).
        Input = "input",
        /// None of the above.
        Other = "other",
    }
}

impl SuspectCategory {
    /// Hypervisors, filesystems, security, network filters and GPU drivers sit in paths
    /// every process goes through: they weigh more as suspects.
    pub fn in_hot_paths(self) -> bool {
        use SuspectCategory::*;
        matches!(self, Hypervisor | Filesystem | Security | Network | Gpu)
    }

    /// Why a kext of this category is a suspect, in one sentence.
    fn note(self) -> &'static str {
        match self {
            SuspectCategory::Hypervisor => "Hypervisor kexts hook deep into the VM and interrupt paths; outdated versions are a classic panic source, especially after macOS updates.",
            SuspectCategory::Filesystem => "Third-party filesystem kexts run in every I/O path of their volumes; a bug there stalls or crashes the VFS.",
            SuspectCategory::Security => "Anti-virus / EDR kexts intercept file, process and network events; they are a known source of stalls and panics.",
            SuspectCategory::Network => "Network filter / VPN kexts sit in the packet path of every connection.",
            SuspectCategory::Hackintosh => "Hackintosh kexts patch or emulate Apple hardware; panics on such machines often come from the patches, not from macOS.",
            SuspectCategory::Gpu => "Third-party GPU drivers run the graphics stack in the kernel; they must match the exact macOS build.",
            SuspectCategory::Audio => "Third-party audio drivers run real-time I/O in the kernel.",
            SuspectCategory::Storage | SuspectCategory::Input | SuspectCategory::Other => "Third-party kernel code runs with full privileges; it is always a suspect when it is in the panic path.",
        }
    }
}

string_enum! {
    /// Where a suspect was seen.
    pub enum SeenIn {
        /// "Kernel Extensions in backtrace".
        KextsInBacktrace = "kexts_in_backtrace",
        /// A dependency in "Kernel Extensions in backtrace".
        Dependency = "dependency",
        /// Frames of the panicked backtrace.
        Backtrace = "backtrace",
        /// Other threads' kernel stacks (full panics).
        ThreadStacks = "thread_stacks",
        /// The `loaded kexts:` list.
        LoadedKexts = "loaded_kexts",
        /// The `last started kext` line.
        LastStarted = "last_started",
        /// The `last loaded kext` line.
        LastLoaded = "last_loaded",
        /// The `last unloaded kext` line.
        LastUnloaded = "last_unloaded",
    }
}

/// A kext worth suspecting.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct Suspect {
    /// Bundle id of the kext.
    pub bundle_id: String,
    /// Its version, as the log prints it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Its UUID, when the log gives one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uuid: Option<kpanic_common::Uuid>,
    /// Not `com.apple.*`.
    pub third_party: bool,
    /// What kind of software it is, from its bundle id.
    pub category: SuspectCategory,
    /// The product it belongs to, when known (`VirtualBox`, `Little Snitch`, `NVIDIA Web Driver`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub known_as: Option<String>,
    /// Frames of the panicked thread run through it (or it is the first entry of "Kernel
    /// Extensions in backtrace").
    pub in_panicked_backtrace: bool,
    /// Frames of the panicked backtrace inside the kext.
    pub backtrace_frames: usize,
    /// Full panics: threads whose kernel stack runs through the kext.
    pub threads: usize,
    /// Where it was seen, in the order it was found there.
    pub seen_in: Vec<SeenIn>,
    /// Seconds between the kext's last start/load/unload and the panic, when recent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_seconds_before_panic: Option<f64>,
    /// Ranking weight, higher first.
    pub score: u32,
}

/// Known third-party kext families, by category: bundle-id prefix (lower case) and product.
/// The first matching prefix wins, so a more specific prefix comes before a shorter one of
/// the same family; no prefix of one category starts a prefix of another.
static KNOWN: &[(SuspectCategory, &[(&str, &str)])] = &[
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

pub use kpanic_common::bundle::is_third_party;

/// Function names of the panicked backtrace: keepsyms symbols (Intel) or the symbolication.
pub fn backtrace_functions(ctx: &Ctx) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    if let Some(bt) = &ctx.report.backtrace {
        out.extend(
            bt.frames
                .iter()
                .filter_map(|f| f.symbol.as_ref().map(|s| s.symbol.clone())),
        );
    }
    if let Some(sym) = ctx.sym {
        out.extend(
            sym.backtrace
                .iter()
                .filter_map(|f| f.function().map(str::to_string)),
        );
    }
    out
}

/// Seconds since boot of the panic and of a kext event, for "recent" checks.
fn event_age_seconds(ctx: &Ctx, at: u64) -> Option<f64> {
    let r = ctx.report;
    if r.arch == Some(Arch::X86_64) {
        // Intel: mach_absolute_time is nanoseconds; the log gives the uptime.
        let now = r.system.uptime_ns?;
        (now >= at).then(|| (now - at) as f64 / 1e9)
    } else {
        // Apple silicon and iOS: a 24 MHz timebase.
        let now = r.system.mach_absolute_time?.get();
        (now >= at).then(|| (now - at) as f64 / 24e6)
    }
}

/// A kext event this many seconds before the panic is "recent".
pub const RECENT_SECONDS: f64 = 120.0;

/// Every kext worth suspecting, most suspicious first.
pub fn collect(ctx: &Ctx, threads: Option<&ThreadReport>) -> Vec<Suspect> {
    let r = ctx.report;
    let mut map: BTreeMap<String, Suspect> = BTreeMap::new();
    fn entry<'m>(map: &'m mut BTreeMap<String, Suspect>, id: &str) -> &'m mut Suspect {
        map.entry(id.to_string()).or_insert_with(|| {
            let (cat, name) = known(id);
            Suspect {
                bundle_id: id.to_string(),
                version: None,
                uuid: None,
                third_party: is_third_party(id),
                category: cat,
                known_as: name.map(str::to_string),
                in_panicked_backtrace: false,
                backtrace_frames: 0,
                threads: 0,
                seen_in: Vec::new(),
                event_seconds_before_panic: None,
                score: 0,
            }
        })
    }
    fn seen(s: &mut Suspect, w: SeenIn) {
        if !s.seen_in.contains(&w) {
            s.seen_in.push(w);
        }
    }

    // Kernel Extensions in backtrace: kexts with frames in the panicked thread, and their deps.
    for k in &r.kexts_in_backtrace {
        let s = entry(&mut map, &k.kext.bundle_id);
        s.version = s.version.take().or(k.kext.version.clone());
        s.uuid = s.uuid.take().or(k.kext.uuid);
        s.in_panicked_backtrace = true;
        seen(s, SeenIn::KextsInBacktrace);
        for d in &k.dependencies {
            if is_third_party(&d.bundle_id) {
                let s = entry(&mut map, &d.bundle_id);
                s.version = s.version.take().or(d.version.clone());
                s.uuid = s.uuid.take().or(d.uuid);
                seen(s, SeenIn::Dependency);
            }
        }
    }
    // Frames of the panicked backtrace per kext (by range, keepsyms image or symbols).
    if let Some(bt) = &r.backtrace {
        for (i, f) in bt.frames.iter().enumerate() {
            let name = ctx
                .kext_at(f.address)
                .map(|k| k.bundle_id.clone())
                .or_else(|| {
                    f.symbol
                        .as_ref()
                        .map(|s| s.image.clone())
                        .filter(|i| i != "mach_kernel")
                })
                .or_else(|| {
                    ctx.sym
                        .and_then(|s| s.backtrace.get(i))
                        .and_then(|f| f.image.clone())
                        .filter(|i| i.contains('.') && !i.starts_with("kernel"))
                });
            if let Some(n) = name {
                let s = entry(&mut map, &n);
                s.backtrace_frames += 1;
                s.in_panicked_backtrace = true;
                seen(s, SeenIn::Backtrace);
            }
        }
    }
    // Full panics: kexts in other threads' stacks.
    if let Some(t) = threads {
        for img in &t.kext_images {
            if let Some(name) = &img.bundle_id {
                let s = entry(&mut map, name);
                s.threads = img.threads;
                s.uuid = s.uuid.take().or(img.uuid);
                seen(s, SeenIn::ThreadStacks);
            }
        }
    }
    // Last started / loaded / unloaded.
    for e in &r.kext_events {
        let age = e.at.and_then(|at| event_age_seconds(ctx, at));
        let recent = age.is_some_and(|a| a <= RECENT_SECONDS);
        let third = is_third_party(&e.bundle_id);
        if !(recent || third && map.contains_key(&e.bundle_id)) {
            continue;
        }
        let s = entry(&mut map, &e.bundle_id);
        s.version = s.version.take().or(e.version.clone());
        seen(
            s,
            match e.kind {
                KextEventKind::Started => SeenIn::LastStarted,
                KextEventKind::Loaded => SeenIn::LastLoaded,
                KextEventKind::Unloaded => SeenIn::LastUnloaded,
            },
        );
        if recent {
            s.event_seconds_before_panic = age;
        }
    }
    // Loaded third-party kexts.
    if let Some(l) = &r.loaded_kexts {
        for k in l.third_party() {
            let s = entry(&mut map, &k.bundle_id);
            s.version = s.version.take().or(Some(k.version.clone()));
            seen(s, SeenIn::LoadedKexts);
        }
    }

    let mut out: Vec<Suspect> = map
        .into_values()
        .filter(|s| s.third_party || s.event_seconds_before_panic.is_some())
        .map(|mut s| {
            let mut score = 0u32;
            if s.in_panicked_backtrace {
                score += 100;
            }
            score += (s.backtrace_frames as u32).min(20) * 5;
            if s.threads > 0 {
                score += 40 + (s.threads as u32).min(50);
            }
            if s.event_seconds_before_panic.is_some() {
                score += 30;
            }
            if s.category.in_hot_paths() {
                score += 15;
            }
            if s.third_party {
                score += 10;
            }
            s.score = score;
            s
        })
        .collect();
    out.sort_by(|a, b| b.score.cmp(&a.score).then(a.bundle_id.cmp(&b.bundle_id)));
    out
}

fn describe(s: &Suspect) -> String {
    let mut d = s.bundle_id.clone();
    if let Some(v) = &s.version {
        d.push_str(&format!(" {v}"));
    }
    if let Some(k) = &s.known_as {
        d.push_str(&format!(" ({k})"));
    }
    d
}

/// A suspect rule: a finding for each suspect it applies to, or one about them all.
enum Rule {
    Each(fn(&Ctx, &Suspect, PanicClass) -> Option<Finding>),
    All(fn(&Ctx, &[Suspect], PanicClass) -> Option<Finding>),
}

/// The suspect rules, in the order their findings are emitted.
static RULES: &[Rule] = &[
    Rule::Each(in_backtrace),
    Rule::Each(in_threads),
    Rule::All(known_loaded),
    Rule::Each(recent_event),
];

/// Findings about the suspects.
pub fn findings(ctx: &Ctx, suspects: &[Suspect], class: PanicClass) -> Vec<Finding> {
    let mut out = Vec::new();
    for rule in RULES {
        match rule {
            Rule::Each(rule) => out.extend(suspects.iter().filter_map(|s| rule(ctx, s, class))),
            Rule::All(rule) => out.extend(rule(ctx, suspects, class)),
        }
    }
    out
}

fn in_backtrace(ctx: &Ctx, s: &Suspect, _class: PanicClass) -> Option<Finding> {
    if !(s.third_party && s.in_panicked_backtrace) {
        return None;
    }
    let line = ctx
        .report
        .kexts_in_backtrace
        .iter()
        .find(|k| k.kext.bundle_id == s.bundle_id)
        .map(|k| k.kext.line);
    let mut f = Finding::new(
        SuspectId::ThirdPartyKextInBacktrace,
        Confidence::High,
        900,
        format!(
            "Third-party kext in the panicked backtrace: {}",
            describe(s)
        ),
        format!(
            "Code of {} ran on the panicked thread. {}",
            s.bundle_id,
            s.category.note()
        ),
    );
    if let Some(l) = line {
        f.evidence.push(ctx.quote(l, &s.bundle_id));
    }
    if s.backtrace_frames > 0 {
        f.evidence.push(Evidence::fact(format!(
            "{} frame(s) of the panicked backtrace are inside it",
            s.backtrace_frames
        )));
    }
    if s.threads > 0 {
        f.evidence.push(Evidence::fact(format!(
            "also in the stacks of {} thread(s)",
            s.threads
        )));
    }
    f.next_steps.push(format!(
        "Update {} to a version built for this macOS release, or remove it, and see whether the panic returns.",
        s.bundle_id
    ));
    f.next_steps.push(
        "Symbolicate its frames with the vendor's dSYM (kpanic symbolicate --symbols …) and send the result to the vendor.".into(),
    );
    Some(f)
}

fn in_threads(_ctx: &Ctx, s: &Suspect, class: PanicClass) -> Option<Finding> {
    if !(s.third_party && !s.in_panicked_backtrace && s.threads > 0) {
        return None;
    }
    Some(
        Finding::new(
            SuspectId::ThirdPartyKextInThreads,
            Confidence::Medium,
            if class.is_watchdog() { 700 } else { 450 },
            format!("Third-party kext in {} thread stack(s): {}", s.threads, describe(s)),
            format!(
                "{} was on the kernel stack of {} thread(s) at the panic: it was busy or blocked. {}",
                s.bundle_id,
                s.threads,
                s.category.note()
            ),
        )
        .step(format!("Update or remove {} and see whether the panic returns.", s.bundle_id)),
    )
}

fn known_loaded(_ctx: &Ctx, suspects: &[Suspect], _class: PanicClass) -> Option<Finding> {
    let known_loaded: Vec<&Suspect> = suspects
        .iter()
        .filter(|s| {
            s.third_party
                && !s.in_panicked_backtrace
                && s.threads == 0
                && s.known_as.is_some()
                && s.category != SuspectCategory::Hackintosh
        })
        .collect();
    if known_loaded.is_empty() {
        return None;
    }
    let mut f = Finding::new(
        SuspectId::KnownKextsLoaded,
        Confidence::Low,
        250,
        format!(
            "Known third-party kernel software loaded: {}",
            known_loaded
                .iter()
                .map(|s| s.known_as.as_deref().unwrap_or(&s.bundle_id))
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect::<Vec<_>>()
                .join(", ")
        ),
        "Not in the panicked backtrace, but these kexts are a frequent cause of panics and stalls in their \
         category; keep them in mind if the panic repeats.",
    );
    for s in &known_loaded {
        f.evidence
            .push(Evidence::fact(format!("{} [{}]", describe(s), s.category)));
    }
    f.next_steps.push(
        "Check that each is current for this macOS release; try without them if the panic repeats."
            .into(),
    );
    Some(f)
}

fn recent_event(ctx: &Ctx, s: &Suspect, _class: PanicClass) -> Option<Finding> {
    let age = s.event_seconds_before_panic?;
    let unloaded = s.seen_in.contains(&SeenIn::LastUnloaded);
    let what = if unloaded {
        "unloaded"
    } else if s.seen_in.contains(&SeenIn::LastLoaded) {
        "loaded"
    } else {
        "started"
    };
    let mut f = Finding::new(
        SuspectId::RecentKextEvent,
        if s.third_party {
            Confidence::Medium
        } else {
            Confidence::Low
        },
        if s.third_party { 600 } else { 200 },
        format!("{} was {what} {age:.0} s before the panic", s.bundle_id),
        if unloaded {
            "A kext unloaded shortly before a panic can leave callbacks, timers or notifications pointing \
             into freed code."
                .to_string()
        } else {
            "A kext that started shortly before the panic may be what changed; often harmless (autofs, \
             filesystems and USB drivers load on demand)."
                .to_string()
        },
    );
    if let Some(e) = ctx
        .report
        .kext_events
        .iter()
        .find(|e| e.bundle_id == s.bundle_id)
    {
        f.evidence.push(ctx.quote(e.line, &s.bundle_id));
    }
    Some(f)
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

    #[test]
    fn hot_path_categories() {
        let hot: Vec<&str> = SuspectCategory::ALL
            .iter()
            .filter(|c| c.in_hot_paths())
            .map(|c| c.as_str())
            .collect();
        assert_eq!(
            hot,
            ["hypervisor", "filesystem", "security", "network", "gpu"]
        );
    }
}
