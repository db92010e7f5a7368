//! Suspects: the kexts, DriverKit extensions and processes an experienced kernel engineer would
//! name for a panic, ranked the way one would rank them.
//!
//! What puts a name on the list is how it is tied to the panic ([`SuspectRole`]): its code
//! faulted or called panic(), the panic message names it, its frames are on the panicked
//! thread or on the threads a stalled system waited for, it is the process whose call reached
//! the failing kernel code, it was loaded or unloaded just before, or it is merely loaded.
//! Whether a tie implicates depends on the class ([`ThreadBlame`]): in a watchdog, reset,
//! hardware or coprocessor panic the panicked thread only reported, and its kexts and process
//! are bystanders. Third-party code that is implicated ranks first; Apple's kexts are named as
//! the subsystem or the reporter, never as something to remove; a kext merely loaded ranks
//! below anything implicated. Hackintosh hooks (Lilu and its plugins, VirtualSMC/FakeSMC) sit
//! in backtraces by design and are context unless the fault is in their own code.
//!
//! - `known`: families of kexts (category, product), hooks that sit in backtraces by design.
//! - `names`: test programs by the words of their names, dexts, bundle ids in messages.
//! - `blame`: what the panicked thread is to the cause, per class.
//! - `ties`: where a name shows up in the log (faulting code, panic caller, message…).
//! - `collect`: the suspects, their roles and their ranking.
//! - `findings`: the findings about the suspects.

mod blame;
mod collect;
mod findings;
mod known;
mod names;
mod ties;

use serde::Serialize;

use super::Ctx;

pub use blame::{process_triggers, thread_blame, threads_implicate, ThreadBlame};
pub use collect::{collect, RECENT_SECONDS};
pub use findings::findings;
pub use known::{in_backtraces_by_design, known};
pub use kpanic_common::bundle::is_third_party;
pub use names::{deliberate_trigger, is_dext_name};

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
    pub(super) fn note(self) -> &'static str {
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
        /// The faulting code: the trap address or exception pc, or the frame a trap returned
        /// into, lies in it.
        FaultingCode = "faulting_code",
        /// The panic caller (`panic(cpu N caller 0x…)`) lies in it.
        PanicCaller = "panic_caller",
        /// The panic message names it (its bundle id, or the last part of it).
        PanicMessage = "panic_message",
        /// It is the panicked process (`Panicked task`, `BSD process name`).
        PanickedProcess = "panicked_process",
    }
}

string_enum! {
    /// What a suspect is.
    pub enum SuspectKind {
        /// A kernel extension.
        Kext = "kext",
        /// A DriverKit extension: a user-space driver, run as a process named by its bundle id.
        Dext = "dext",
        /// The panicked process.
        Process = "process",
    }
}

string_enum! {
    /// How a suspect is tied to the panic: its strongest tie, strongest first.
    pub enum SuspectRole {
        /// The faulting instruction (trap address, exception pc, the frame a trap returned
        /// into) is in its code.
        Faulted = "faulted",
        /// It called panic(): the panic caller is in its code.
        CalledPanic = "called_panic",
        /// The panic message names it.
        Named = "named",
        /// Its frame is the innermost kext frame of the panicked backtrace: it called the kernel
        /// code that faulted or panicked.
        TopFrame = "top_frame",
        /// It has frames in the panicked backtrace.
        InBacktrace = "in_backtrace",
        /// Full watchdog/reset panics: it is on the kernel stacks of the threads the stalled
        /// system waited for.
        StalledThreads = "stalled_threads",
        /// The panicked process (or dext), in a class where a user process triggers the kernel
        /// path: it made the call that went wrong; the bug is in the code it called.
        Trigger = "trigger",
        /// There by design or as a bystander: a Hackintosh hook in the backtrace, Hackintosh
        /// infrastructure merely loaded, a kext on the thread of a watchdog or hardware panic, a
        /// dependency, a stack of another thread.
        Context = "context",
        /// Started, loaded or unloaded within 120 s of the panic.
        RecentEvent = "recent_event",
        /// Only loaded.
        Loaded = "loaded",
    }
}

impl SuspectRole {
    /// The tie implicates the suspect in the panic (its code ran where things went wrong).
    pub fn implicates(self) -> bool {
        use SuspectRole::*;
        matches!(
            self,
            Faulted | CalledPanic | Named | TopFrame | InBacktrace | StalledThreads
        )
    }

    /// Ranking weight of the tie within a tier (below 100: tiers never cross).
    fn weight(self) -> u32 {
        use SuspectRole::*;
        match self {
            Faulted => 90,
            CalledPanic => 80,
            Named => 70,
            TopFrame => 60,
            InBacktrace => 50,
            StalledThreads => 40,
            Trigger | Context | RecentEvent | Loaded => 0,
        }
    }
}

/// A kext, dext or process worth suspecting.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct Suspect {
    /// Bundle id of the kext or dext; the name of a process.
    pub bundle_id: String,
    /// What it is.
    pub kind: SuspectKind,
    /// How it is tied to the panic (its strongest tie).
    pub role: SuspectRole,
    /// A process's pid, when the log gives it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pid: Option<i64>,
    /// Its version, as the log prints it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Its UUID, when the log gives one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uuid: Option<kpanic_common::Uuid>,
    /// Kexts and dexts: not `com.apple.*`. Processes: false (a process name does not say who
    /// wrote it).
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

impl Suspect {
    fn new(name: &str, kind: SuspectKind) -> Suspect {
        let (category, known_as) = known(name);
        Suspect {
            bundle_id: name.to_string(),
            kind,
            role: SuspectRole::Loaded,
            pid: None,
            version: None,
            uuid: None,
            third_party: kind != SuspectKind::Process && is_third_party(name),
            category: if kind == SuspectKind::Process {
                SuspectCategory::Other
            } else {
                category
            },
            known_as: known_as
                .filter(|_| kind != SuspectKind::Process)
                .map(str::to_string),
            in_panicked_backtrace: false,
            backtrace_frames: 0,
            threads: 0,
            seen_in: Vec::new(),
            event_seconds_before_panic: None,
            score: 0,
        }
    }

    fn seen(&mut self, w: SeenIn) {
        if !self.seen_in.contains(&w) {
            self.seen_in.push(w);
        }
    }

    /// Seen in `w`.
    pub fn was_seen_in(&self, w: SeenIn) -> bool {
        self.seen_in.contains(&w)
    }

    /// Its role implicates it.
    pub fn implicated(&self) -> bool {
        self.role.implicates()
    }

    /// Third-party kernel code the panic implicates: what to update or remove first.
    pub fn is_third_party_culprit(&self) -> bool {
        self.third_party && self.kind != SuspectKind::Process && self.implicated()
    }

    /// What it is, by origin: `third-party kext`, `Apple kext`, `DriverKit extension`,
    /// `Apple DriverKit extension`, `process`.
    pub fn origin_label(&self) -> &'static str {
        match (self.kind, self.third_party) {
            (SuspectKind::Kext, true) => "third-party kext",
            (SuspectKind::Kext, false) => "Apple kext",
            (SuspectKind::Dext, true) => "DriverKit extension",
            (SuspectKind::Dext, false) => "Apple DriverKit extension",
            (SuspectKind::Process, _) => "process",
        }
    }

    /// Name, version, pid and product in a few words.
    pub fn describe(&self) -> String {
        let mut d = self.bundle_id.clone();
        if let Some(v) = &self.version {
            d.push_str(&format!(" {v}"));
        }
        if let Some(p) = self.pid {
            d.push_str(&format!(" (pid {p})"));
        }
        if let Some(k) = &self.known_as {
            d.push_str(&format!(" ({k})"));
        }
        d
    }

    /// How it is tied to the panic, as a verb phrase after its name ("faulted in its own
    /// code", "is named by the panic message").
    pub fn tie_phrase(&self) -> String {
        match self.role {
            SuspectRole::Faulted => {
                "faulted in its own code (the faulting instruction is inside it)".into()
            }
            SuspectRole::CalledPanic => "called panic() itself".into(),
            SuspectRole::Named => "is named by the panic message".into(),
            SuspectRole::TopFrame => {
                "is the innermost kext of the panicked backtrace (it called the code that failed)"
                    .into()
            }
            SuspectRole::InBacktrace => "is in the panicked backtrace".into(),
            SuspectRole::StalledThreads => format!(
                "was on the kernel stacks of {} thread(s) when the system stalled",
                self.threads
            ),
            SuspectRole::Trigger => "made the call into the kernel that went wrong".into(),
            SuspectRole::Context => "is in the log as context, not as a cause".into(),
            SuspectRole::RecentEvent => {
                "was started, loaded or unloaded just before the panic".into()
            }
            SuspectRole::Loaded => "was loaded".into(),
        }
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn only_ties_to_the_panicked_code_implicate() {
        let implicating: Vec<&str> = SuspectRole::ALL
            .iter()
            .filter(|r| r.implicates())
            .map(|r| r.as_str())
            .collect();
        assert_eq!(
            implicating,
            [
                "faulted",
                "called_panic",
                "named",
                "top_frame",
                "in_backtrace",
                "stalled_threads"
            ]
        );
    }
}
