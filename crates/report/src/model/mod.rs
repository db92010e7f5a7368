//! The typed report: one struct per concept, every field optional unless every panic has it.
//!
//! Absent data stays `None` (and is skipped in JSON) rather than being invented; addresses use
//! [`RuntimeAddr`]/[`UnslidAddr`] and other hex quantities [`Hex`], so JSON never rounds them.

mod backtrace;
mod cores;
mod ips;
mod kexts;
mod panic;
mod sections;
mod spindump;
mod system;

pub use backtrace::{Backtrace, Frame, KeepsymsSymbol, PanickedTask, PanickedThread};
pub use cores::{CoreState, CoresInfo, PvhLocks, RetiredInstr, TpidrEntry};
pub use ips::{
    with_raw_json_verbatim, IpsBody, IpsHeader, IpsInfo, MemoryPages, MemoryStatus, RawJson,
};
pub use kexts::{KextEvent, KextEventKind, KextInBacktrace, KextRef, LoadedKext, LoadedKexts};
pub use panic::{ArmException, IntelFault, IntelTrap, PanicHeadline, Register, SourceLocation};
pub use sections::{
    CompressorInfo, CpuUsage, CpuUsageRow, StackshotStatus, TimeRow, TimeTable, UnparsedLine,
    WatchdogService, ZoneInfo, ZoneRange,
};
pub use spindump::{BinaryImage, ImageKind, Process, Spindump, StackFrame, Thread};
pub use system::{KernelVariant, Slides, SystemInfo};

use crate::{Arch, RuntimeAddr, UnslidAddr};
use kpanic_common::Hex;
use schemars::JsonSchema;
use serde::Serialize;

/// The container the panic came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// A plain-text panic: a paste, an old `Kernel_*.panic`, a console capture.
    Text,
    /// `.ips`/`.panic` JSON: a header line and a body holding the panic text.
    Ips,
    /// A full panic: `.ips` JSON plus a stackshot of every thread (`processByPid`, `binaryImages`).
    FullIps,
}

/// Everything found in one panic file.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct PanicReport {
    /// The container the panic came in (plain text, `.ips` JSON, full panic).
    pub format: Format,
    /// CPU architecture of the panicked machine, when the log shows it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arch: Option<Arch>,
    /// What was cut, malformed or guessed. Empty for a clean, complete log.
    pub warnings: Vec<String>,
    /// `.ips` header and body metadata (JSON formats only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ips: Option<IpsInfo>,
    /// The panic text as written (for text files, the whole file; for JSON, the decoded panic
    /// string). Every `line` field in this report is an index into `panic_text.lines()`.
    pub panic_text: String,
    /// Lines before `panic(` (console chatter, "Debugger synchronization timed out", CPU halts).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub preamble: Vec<String>,
    /// The `panic(cpu N caller 0x…): …` line, taken apart.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub panic: Option<PanicHeadline>,
    /// Lines between the panic line and `Debugger message` that are not registers: coprocessor
    /// payloads (RTKit crash logs, AMCC records) and other free text of the panic string.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub panic_details: Vec<String>,
    /// Register dump (arm64 x0..far or Intel CR0..SS), in log order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub registers: Vec<Register>,
    /// Intel `Fault CR2: …, Error code: …, Fault CPU: …` line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub intel_fault: Option<IntelFault>,
    /// `userspace watchdog timeout` per-service check-in lines.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub watchdog_services: Vec<WatchdogService>,
    /// The `Debugger message:` line (`panic`, `Watchdog timeout`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub debugger_message: Option<String>,
    /// Kernel, OS build and boot facts (`Kernel version:`, `OS version:`, `Boot args:`, …).
    pub system: SystemInfo,
    /// The `Kernel slide:` / `KernelCache slide:` family of lines: runtime minus unslid addresses.
    pub slides: Slides,
    /// `Epoch Time:` table (arm64): Boot/Sleep/Wake/Calendar sec+usec.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub epoch_time: Option<TimeTable>,
    /// `Last Sleep:` table (Intel 11+): Uptime/Sleep/Wake.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_sleep: Option<TimeTable>,
    /// The `Zone info:` block: zone and VM map address ranges.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zone_info: Option<ZoneInfo>,
    /// Per-CPU lines of arm64 panics: which core panicked, other cores' PC/LR, TPIDR values.
    #[serde(skip_serializing_if = "CoresInfo::is_empty")]
    pub cores: CoresInfo,
    /// `Compressor Info:` line: VM compressor occupancy and swap state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compressor_info: Option<CompressorInfo>,
    /// Watchdog panics: the `Total cpu_usage` line and its per-thread table.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_usage: Option<CpuUsage>,
    /// The `Panicked task 0x…: … pages, … threads: pid N: name` line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub panicked_task: Option<PanickedTask>,
    /// The `Panicked thread: 0x…, backtrace: 0x…, tid: N` line (or Intel's process-name lines).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub panicked_thread: Option<PanickedThread>,
    /// The panicked thread's backtrace, innermost frame first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backtrace: Option<Backtrace>,
    /// The `Kernel Extensions in backtrace:` block: kexts (and their dependencies) the frames fall in.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub kexts_in_backtrace: Vec<KextInBacktrace>,
    /// `last started kext` (arm64), `last loaded kext` / `last unloaded kext` (Intel).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub kext_events: Vec<KextEvent>,
    /// The `loaded kexts:` list.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loaded_kexts: Option<LoadedKexts>,
    /// The closing `** Stackshot …` line: whether a stackshot was taken and how big it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stackshot: Option<StackshotStatus>,
    /// Lines after the stackshot status (local coredump progress and the like).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub trailer: Vec<String>,
    /// Lines in the structured part of the log that no rule understood: kept, not dropped.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unparsed: Vec<UnparsedLine>,
    /// Full panics: every process and thread, and the binary images their frames refer to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spindump: Option<Spindump>,
}

impl PanicReport {
    pub(crate) fn empty(format: Format, panic_text: String) -> Self {
        PanicReport {
            format,
            arch: None,
            warnings: Vec::new(),
            ips: None,
            panic_text,
            preamble: Vec::new(),
            panic: None,
            panic_details: Vec::new(),
            registers: Vec::new(),
            intel_fault: None,
            watchdog_services: Vec::new(),
            debugger_message: None,
            system: SystemInfo::default(),
            slides: Slides::default(),
            epoch_time: None,
            last_sleep: None,
            zone_info: None,
            cores: CoresInfo::default(),
            compressor_info: None,
            cpu_usage: None,
            panicked_task: None,
            panicked_thread: None,
            backtrace: None,
            kexts_in_backtrace: Vec::new(),
            kext_events: Vec::new(),
            loaded_kexts: None,
            stackshot: None,
            trailer: Vec::new(),
            unparsed: Vec::new(),
            spindump: None,
        }
    }

    /// A register of the dump by its name as printed (`"x0"`, `"lr"`, `"far"`, `"RIP"`, `"CR2"`).
    pub fn register(&self, name: &str) -> Option<u64> {
        self.registers
            .iter()
            .find(|r| r.name == name)
            .map(|r| r.value.get())
    }

    /// The slide that maps runtime kernel addresses to the unslid kernelcache layout
    /// (`KernelCache slide` on fileset kernelcaches, else `Kernel slide`).
    pub fn kernelcache_slide(&self) -> Option<u64> {
        self.slides
            .kernelcache_slide
            .or(self.slides.kernel_slide)
            .map(Hex::get)
    }

    /// The stackshot thread that panicked (full panics), found by the text's `tid`.
    pub fn panicked_spindump_thread(&self) -> Option<(&Process, &Thread)> {
        let tid = self.panicked_thread.as_ref()?.tid?;
        let sd = self.spindump.as_ref()?;
        sd.processes
            .iter()
            .find_map(|p| p.threads.iter().find(|t| t.id == tid).map(|t| (p, t)))
    }

    /// Runtime address of a stackshot frame: unslid image base + offset + the kernelcache slide.
    /// Only meaningful for kernel images (T/U/K); `None` when the image or slide is unknown.
    pub fn runtime_of(&self, frame: &StackFrame) -> Option<RuntimeAddr> {
        let unslid = self.spindump.as_ref()?.unslid(frame)?;
        let slide = self.kernelcache_slide()?;
        Some(RuntimeAddr(unslid.get().wrapping_add(slide)))
    }

    /// Unslid (kernelcache) address of a runtime address, by the kernelcache slide.
    pub fn unslide(&self, addr: RuntimeAddr) -> Option<UnslidAddr> {
        Some(UnslidAddr(
            addr.get().wrapping_sub(self.kernelcache_slide()?),
        ))
    }
}
