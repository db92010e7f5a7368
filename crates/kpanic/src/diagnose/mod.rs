//! `kpanic diagnose`: read the whole panic the way a kernel engineer does and say what most
//! likely happened, why, and what to do next.
//!
//! A symbolicated backtrace is often not the answer: in a watchdog panic it shows whatever ran
//! when the watchdog fired, and the cause is in the rest of the log (stalled threads, memory,
//! which daemons stopped checking in). The diagnosis is a ranked list of [`Finding`]s, each with a
//! stable `class` identifier, a title, a plain explanation, the evidence it rests on and next
//! steps.
//!
//! - [`ids`]: the stable identifiers of findings ([`PanicClass`], [`FindingId`]).
//! - [`catalogue`]: the panic classes (what the panic string and the log say happened).
//! - [`fault`]: the fault facts of aborts and traps (syndromes, the faulting address: NULL,
//!   poisoned, PAC-failed, corrupt pointers) and the lock owners of lock panics.
//! - [`suspects`]: the kexts, dexts and processes to suspect, ranked by how the panic implicates them.
//! - [`memory`]: pages, compressor, swap, pressure.
//! - [`threads`]: full panics: thread states, where threads wait, lock owners, busy processes.
//! - [`system`]: the machine itself (Hackintosh, virtual machine, modified boot, a test program,
//!   partial log).
//! - The text output is [`crate::output::diagnosis`]; the JSON, [`crate::output::json`].
//!
//! Works without symbols; with a [`Symbolication`] it names the functions threads wait in and
//! the code that faulted.

#[macro_use]
mod vocab;

pub mod catalogue;
pub mod fault;
pub mod ids;
pub mod memory;
pub mod suspects;
pub mod system;
pub mod threads;

use kpanic_report::{KextRef, PanicReport, RuntimeAddr};
use serde::Serialize;

use crate::images::ImageTable;
use crate::needed::SymbolsNeeded;
use crate::symbolicate::{Register, Symbolication};

pub use ids::{ClassFamily, FindingId, PanicClass};
pub use memory::{MemoryFlag, MemoryState};
pub use suspects::Suspect;
pub use threads::ThreadReport;
pub use vocab::UnknownId;

/// Everything `kpanic diagnose` says about one panic.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct Diagnosis {
    /// The panic class (= `findings[0].class`).
    pub class: PanicClass,
    /// One line: what most likely happened (= `findings[0].title`).
    pub headline: String,
    /// The facts of the panic every reader wants first (message, caller, process, OS, model).
    pub panic: PanicSummary,
    /// Ranked, most important first. The first is always the panic class (`kind`
    /// `panic_class`).
    pub findings: Vec<Finding>,
    /// Kexts, DriverKit extensions and processes worth suspecting, most suspicious first.
    pub suspects: Vec<Suspect>,
    /// Memory state, when the log has `memoryStatus` or a `Compressor Info` line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory: Option<MemoryState>,
    /// Full panics only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threads: Option<ThreadReport>,
    /// True when symbols resolved at least one frame (function names in evidence and wait
    /// sites); false without symbols, and when none of the given symbols fit the panic.
    pub symbolicated: bool,
    /// What the parser found cut or malformed in the log.
    pub log_warnings: Vec<String>,
    /// The symbols to get, present only when the panic is not symbolicated and symbols
    /// would change the answer (name the faulting function, group stalled threads).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub symbols_needed: Option<SymbolsNeeded>,
}

/// The facts of the panic that every reader wants first.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct PanicSummary {
    /// The panic message, shortened to 400 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Slid address of the code that called panic(), in hex.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<RuntimeAddr>")]
    pub caller: Option<String>,
    /// The symbolicated caller (`function (in image)`), when symbols were given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caller_symbol: Option<String>,
    /// The CPU that panicked (`panic(cpu N …)`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu: Option<u32>,
    /// The panicked process: the `Panicked task` name, or Intel's process-name line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub process: Option<String>,
    /// Its pid (`Panicked task … pid N`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pid: Option<i64>,
    /// The panicked thread's id (`Panicked thread … tid: N`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tid: Option<u64>,
    /// The OS build: the `.ips` body's `build` or header's `os_version`, else the text's `OS version`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub os: Option<String>,
    /// The hardware model: the `.ips` body's `product`, else Intel's `System model name`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// The kernel build config, the end of `Kernel version` (`RELEASE_ARM64_T8112`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kernel: Option<String>,
    /// CPU architecture (`arm64`, `x86_64`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<kpanic_common::Arch>")]
    pub arch: Option<String>,
    /// The container the panic came in.
    pub format: LogFormat,
}

string_enum! {
    /// What a finding is about.
    pub enum FindingKind {
        /// The panic class: what the kernel said happened.
        PanicClass = "panic_class",
        /// The faulting address or register values of an abort or trap.
        Fault = "fault",
        /// A kext to suspect.
        Suspect = "suspect",
        /// Memory state.
        Memory = "memory",
        /// Thread states and where threads wait (full panics).
        Threads = "threads",
        /// The machine: Hackintosh, virtual machine, modified boot, partial log.
        System = "system",
    }
}

string_enum! {
    /// How sure the finding is (ordered: low < medium < high).
    pub enum Confidence {
        /// A hint, worth checking against other evidence.
        Low = "low",
        /// Likely, but other causes remain possible.
        Medium = "medium",
        /// The evidence points here with little doubt.
        High = "high",
    }
}

string_enum! {
    /// The kind of log the panic came from.
    pub enum LogFormat {
        /// A text panic log.
        Text = "text",
        /// An .ips panic report.
        Ips = "ips",
        /// A full .ips panic report (with the stackshot).
        FullIps = "full_ips",
    }
}

/// One line of evidence: a line of the log or a number derived from it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Evidence {
    /// The line as printed, or the derived fact.
    pub text: String,
    /// Index (from 0) of the line in the panic text, when the evidence is a line of the log;
    /// JSON gives its line number (from 1), the number the text output prints.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "kpanic_common::line::number_opt"
    )]
    #[schemars(range(min = 1))]
    pub line: Option<usize>,
}

impl Evidence {
    /// Evidence that is line `line` of the panic text.
    pub fn line(text: impl Into<String>, line: usize) -> Self {
        Evidence {
            text: text.into(),
            line: Some(line),
        }
    }

    /// Evidence that is a fact derived from the log, not one of its lines.
    pub fn fact(text: impl Into<String>) -> Self {
        Evidence {
            text: text.into(),
            line: None,
        }
    }
}

/// One thing the diagnosis says.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct Finding {
    /// Stable identifier (docs/diagnose.md lists them all).
    pub class: FindingId,
    /// What it is about (follows from `class`).
    pub kind: FindingKind,
    /// How sure the finding is.
    pub confidence: Confidence,
    /// One line: what was found.
    pub title: String,
    /// Plain words: what it means.
    pub explanation: String,
    /// The log lines and derived facts it rests on.
    pub evidence: Vec<Evidence>,
    /// What to do, most specific first.
    pub next_steps: Vec<String>,
    /// Ranking weight; higher first (the panic class always comes first).
    pub score: u32,
}

impl Finding {
    /// A finding with no evidence or next steps yet; add them with [`Finding::evidence`] and [`Finding::step`].
    pub fn new(
        class: impl Into<FindingId>,
        confidence: Confidence,
        score: u32,
        title: impl Into<String>,
        explanation: impl Into<String>,
    ) -> Self {
        let class = class.into();
        Finding {
            class,
            kind: class.kind(),
            confidence,
            title: title.into(),
            explanation: explanation.into(),
            evidence: Vec::new(),
            next_steps: Vec::new(),
            score,
        }
    }

    /// Adds a line of evidence.
    pub fn evidence(mut self, e: Evidence) -> Self {
        self.evidence.push(e);
        self
    }

    /// Adds a next step.
    pub fn step(mut self, s: impl Into<String>) -> Self {
        self.next_steps.push(s.into());
        self
    }
}

/// What every analysis reads: the report, the optional symbolication and a few lookups.
pub struct Ctx<'a> {
    /// The parsed panic.
    pub report: &'a PanicReport,
    /// The symbolication of its frames, when symbols were given.
    pub sym: Option<&'a Symbolication>,
    /// The panic's images, as the log identifies them (the same table placement uses).
    pub images: ImageTable<'a>,
    lines: Vec<&'a str>,
}

impl<'a> Ctx<'a> {
    /// The context of one report and its optional symbolication.
    pub fn new(report: &'a PanicReport, sym: Option<&'a Symbolication>) -> Self {
        Ctx {
            report,
            sym,
            images: ImageTable::new(report),
            lines: report.panic_text.lines().collect(),
        }
    }

    /// Line `i` of the panic text, trimmed.
    pub fn text_line(&self, i: usize) -> Option<&'a str> {
        self.lines.get(i).map(|l| l.trim())
    }

    /// Evidence quoting line `i` of the log (or `fallback` when the line is not there).
    pub fn quote(&self, i: usize, fallback: &str) -> Evidence {
        match self.text_line(i) {
            Some(t) if !t.is_empty() => Evidence::line(shorten(t, 300), i),
            _ => Evidence::fact(fallback),
        }
    }

    /// The first line of the log that contains `needle` (case-insensitive).
    pub fn find_line(&self, needle: &str) -> Option<(usize, &'a str)> {
        let n = needle.to_ascii_lowercase();
        self.lines
            .iter()
            .enumerate()
            .find(|(_, l)| l.to_ascii_lowercase().contains(&n))
            .map(|(i, l)| (i, l.trim()))
    }

    /// The panic message without its source location, lower-cased (empty when the log has
    /// no panic line).
    pub fn message_lc(&self) -> String {
        self.report
            .panic
            .as_ref()
            .map(|p| {
                if p.reason.trim().is_empty() {
                    p.message.to_ascii_lowercase()
                } else {
                    p.reason.to_ascii_lowercase()
                }
            })
            .unwrap_or_default()
    }

    /// The kext (of "Kernel Extensions in backtrace", dependencies included) whose range holds
    /// `addr`, PAC bits or not.
    pub fn kext_at(&self, addr: RuntimeAddr) -> Option<&'a KextRef> {
        self.images.kext_at(addr)
    }

    /// The kext (of "Kernel Extensions in backtrace") whose code called panic(), by the
    /// `caller` address of the panic line.
    pub fn caller_kext(&self) -> Option<&'a KextRef> {
        let caller = self.report.panic.as_ref()?.caller?;
        self.kext_at(caller)
    }

    /// A symbolicated register / exception frame (`exception pc`, `pc`, `RIP`, `trap address`).
    pub fn sym_register(&self, name: Register) -> Option<&'a crate::Frame> {
        self.sym?
            .registers
            .iter()
            .find(|r| r.name == name)
            .map(|r| &r.frame)
            .filter(|f| f.is_resolved())
    }

    /// Bytes per page of the panicked machine (see [`MemoryState::page_size`]).
    pub fn page_size(&self) -> u64 {
        memory::page_size(self.report)
    }
}

/// `s` cut to at most `max` characters (with an ellipsis).
pub fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(max).collect();
        out.push('…');
        out
    }
}

/// Bytes as `1.5 GiB`, `312 MiB`, `16 KiB`.
pub fn human_bytes(b: u64) -> String {
    const K: f64 = 1024.0;
    let f = b as f64;
    if f >= K * K * K {
        format!("{:.1} GiB", f / (K * K * K))
    } else if f >= K * K {
        format!("{:.0} MiB", f / (K * K))
    } else if f >= K {
        format!("{:.0} KiB", f / K)
    } else {
        format!("{b} B")
    }
}

/// Diagnoses `report`; `sym` (from [`crate::symbolicate()`]) adds function names.
pub fn diagnose(report: &PanicReport, sym: Option<&Symbolication>) -> Diagnosis {
    let ctx = Ctx::new(report, sym);
    let threads = threads::analyse(&ctx);
    let class = catalogue::detect(&ctx);
    let suspects = suspects::collect(&ctx, threads.as_ref(), class);
    let memory = memory::analyse(report);

    let class_finding = catalogue::classify(&ctx, class, &suspects);

    let mut rest: Vec<Finding> = Vec::new();
    rest.extend(fault::findings(&ctx, class));
    rest.extend(suspects::findings(&ctx, &suspects, class));
    if let Some(m) = &memory {
        rest.extend(memory::findings(m, class));
    }
    if let Some(t) = &threads {
        rest.extend(threads::findings(t, class));
        rest.extend(threads::stall_chain(t, memory.as_ref(), class));
    }
    rest.extend(threads::text_findings(&ctx, class));
    rest.extend(system::findings(&ctx, &suspects, class));
    // Stable sort: equal scores keep the order the analyses produced them in.
    rest.sort_by_key(|f| std::cmp::Reverse(f.score));

    let mut findings = vec![class_finding];
    findings.extend(rest);

    let symbolicated = sym.is_some_and(|s| s.summary.resolved > 0);
    let symbols_needed = (!symbolicated && symbols_would_help(&ctx, class, threads.as_ref()))
        .then(|| SymbolsNeeded::of(report));
    Diagnosis {
        class,
        headline: findings[0].title.clone(),
        panic: summary(&ctx),
        findings,
        suspects,
        memory,
        threads,
        symbolicated,
        log_warnings: report.warnings.clone(),
        symbols_needed,
    }
}

/// Whether symbols would change the answer: they name the faulting function of a fault,
/// trap, assertion or corruption and group a stackshot's threads by function, but a
/// coprocessor's firmware, a hardware report, a T2 message or a text watchdog log without
/// threads say all they can without them. And only when there are frames to name.
fn symbols_would_help(ctx: &Ctx, class: PanicClass, threads: Option<&ThreadReport>) -> bool {
    let r = ctx.report;
    let has_frames = r.backtrace.as_ref().is_some_and(|b| !b.frames.is_empty())
        || r.panic.as_ref().is_some_and(|p| p.caller.is_some());
    let has_threads = threads.is_some_and(|t| t.threads > 0);
    match class.family() {
        ClassFamily::Coprocessor | ClassFamily::Hardware => false,
        ClassFamily::Watchdog => has_threads && !class.is_t2(),
        ClassFamily::Zone if class == PanicClass::ZoneMapExhausted => false,
        _ => has_frames || has_threads,
    }
}

fn summary(ctx: &Ctx) -> PanicSummary {
    let r = ctx.report;
    let p = r.panic.as_ref();
    let task = r.panicked_task.as_ref();
    let os = r
        .ips
        .as_ref()
        .and_then(|i| i.body.build.clone().or_else(|| i.header.os_version.clone()))
        .or_else(|| r.system.os_build.clone());
    let model = r
        .ips
        .as_ref()
        .and_then(|i| i.body.product.clone())
        .or_else(|| r.system.system_model.clone());
    PanicSummary {
        message: p.map(|p| shorten(&p.message, 400)),
        caller: p.and_then(|p| p.caller).map(|c| c.to_string()),
        caller_symbol: ctx
            .sym
            .and_then(|s| s.caller.as_ref())
            .filter(|f| f.is_resolved())
            .map(|f| f.describe()),
        cpu: p.and_then(|p| p.cpu),
        process: task.and_then(|t| t.name.clone()).or_else(|| {
            r.panicked_thread
                .as_ref()
                .and_then(|t| t.process_name.clone())
        }),
        pid: task.and_then(|t| t.pid),
        tid: r.panicked_thread.as_ref().and_then(|t| t.tid),
        os,
        model,
        kernel: r
            .system
            .kernel_version
            .as_ref()
            .map(|k| k.rsplit('/').next().unwrap_or(k).trim().to_string()),
        arch: r.arch.map(|a| a.to_string()),
        format: match r.format {
            kpanic_report::Format::Text => LogFormat::Text,
            kpanic_report::Format::Ips => LogFormat::Ips,
            kpanic_report::Format::FullIps => LogFormat::FullIps,
        },
    }
}
