//! The panic text (arm64 panic string or Intel report), read line by line.
//!
//! One pass: lines before `panic(` are preamble (or Intel report header); the lines right after
//! it up to the first known section are the panic body (register dump, coprocessor payload,
//! Intel message continuation); then each line is matched against the labels xnu prints, with a
//! few multi-line sections (zones, epoch table, cpu usage, kext lists). Nothing that is not
//! blank is dropped: unknown lines land in `unparsed`.

mod arm64;
mod common;
mod intel;
mod labels;

use crate::kexts::{parse_backtrace_kext, parse_loaded_kext};
use crate::model::{
    Backtrace, CpuUsage, Format, KernelVariant, KextInBacktrace, LoadedKexts, PanicHeadline,
    PanicReport, PanickedThread, SourceLocation, TimeTable, UnparsedLine, ZoneInfo,
};
use crate::{Arch, ParseError, RuntimeAddr};
use common::{field, starts_with_words};

pub(crate) use common::stackshot_status;

/// A plain-text file: the whole file is the panic text.
pub(crate) fn parse_text_file(text: &str) -> Result<PanicReport, ParseError> {
    let mut r = PanicReport::empty(Format::Text, text.to_string());
    parse_panic_text(&mut r, false);
    if !has_panic_content(&r) {
        return Err(ParseError::NotAPanic {
            reason: "found none of what a panic log holds: a `panic(cpu …)` line, a \
                     `\"panicString\" :` value, backtrace frames (`lr: 0x… fp: 0x…` or \
                     `0x… : 0x…` under `Backtrace (CPU n)`), `Kernel Extensions in backtrace`, \
                     a `loaded kexts:` list, or panic header fields (`Debugger message`, \
                     `Kernel version`, `Paniclog version`, `Kernel UUID`)"
                .into(),
        });
    }
    Ok(r)
}

/// Fill `r` from `r.panic_text`. `first_line_is_message`: the text came from a JSON panic
/// string, so even without a `panic(` line its first line is the panic message (bridgeOS).
pub(crate) fn parse_panic_text(r: &mut PanicReport, first_line_is_message: bool) {
    let text = std::mem::take(&mut r.panic_text);
    {
        let lines: Vec<&str> = text.lines().collect();
        let mut p = Parser {
            arch: detect_arch(&lines),
            r: &mut *r,
            lines: &lines,
            mode: Mode::None,
        };
        p.run(first_line_is_message);
    }
    r.panic_text = text;
    finish(r);
}

fn has_panic_content(r: &PanicReport) -> bool {
    r.panic.is_some()
        || r.backtrace.as_ref().is_some_and(|b| !b.frames.is_empty())
        || !r.kexts_in_backtrace.is_empty()
        || r.system.paniclog_version.is_some()
        || r.system.kernel_uuid.is_some()
        || r.debugger_message.is_some()
        || r.system.kernel_version.is_some()
        || r.loaded_kexts.as_ref().is_some_and(|k| !k.kexts.is_empty())
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    None,
    Zone,
    Epoch,
    LastSleep,
    CpuUsage,
    KextsInBacktrace,
    LoadedKexts,
    Trailer,
}

struct Parser<'r, 'l> {
    r: &'r mut PanicReport,
    lines: &'l [&'l str],
    arch: Option<Arch>,
    mode: Mode,
}

fn detect_arch(lines: &[&str]) -> Option<Arch> {
    let (mut intel, mut arm) = (0usize, 0usize);
    for (i, l) in lines.iter().enumerate() {
        if l.contains("_X86_64") || l.contains("_I386") || l.contains("*** Panic Report ***") {
            return Some(Arch::X86_64);
        }
        if l.contains("_ARM64") {
            return Some(Arch::Arm64);
        }
        if l.contains("RELEASE_ARM_") || l.contains("DEVELOPMENT_ARM_") {
            return Some(Arch::Arm);
        }
        let t = l.trim_start();
        if t.starts_with("Backtrace (CPU")
            || t.starts_with("Backtrace, Format")
            || t.contains("Kernel trap at 0x")
            || t.contains("Unresolved kernel trap")
        {
            intel += 1;
        } else if t.starts_with("lr:") || t.starts_with("Paniclog version") {
            arm += 1;
        } else if intel::frame_line(t, i).is_some() {
            intel += 1;
        }
    }
    match (intel, arm) {
        (0, 0) => None,
        (i, a) if i > a => Some(Arch::X86_64),
        _ => Some(Arch::Arm64),
    }
}

/// Labels that end the free-form panic body.
fn is_section_start(t: &str) -> bool {
    const LABELS: &[&str] = &[
        "Debugger message",
        "Debugger called",
        "Memory ID",
        "OS release type",
        "OS version",
        "Mac OS version",
        "macOS version",
        "Kernel version",
        "Kernel Version",
        "Fileset Kernelcache UUID",
        "KernelCache UUID",
        "Kernel UUID",
        "iBoot version",
        "secure boot?",
        "Paniclog version",
        "KernelCache slide",
        "Kernel slide",
        "Epoch Time",
        "Zone info",
        "Compressor Info",
        "Panicked thread",
        "BSD process name corresponding to current thread",
        "Boot args",
        "System model name",
        "System uptime in nanoseconds",
        "loaded kexts",
    ];
    LABELS.iter().any(|l| field(t, l).is_some())
        || starts_with_words(t, "Backtrace (CPU")
        || t.starts_with("Backtracing specified thread")
        || t.starts_with("Kernel Extensions in backtrace")
        || t.starts_with("Kernel loadable modules in backtrace")
        || t.starts_with("Backtrace, Format - Frame")
        || t.starts_with("Process name corresponding to current thread")
        || t.starts_with("TPIDRx_ELy")
        || t.starts_with("Panicked task")
        || t.starts_with("panicked thread:")
        || t.starts_with("last started kext")
        || t.starts_with("last loaded kext")
}

impl<'l> Parser<'_, 'l> {
    fn line(&self, i: usize) -> &'l str {
        self.lines.get(i).copied().unwrap_or("")
    }

    fn run(&mut self, first_line_is_message: bool) {
        let n = self.lines.len();
        let panic_at = self
            .lines
            .iter()
            .position(|l| l.trim_start().starts_with("panic("));
        let headline_at = panic_at.or_else(|| {
            first_line_is_message
                .then(|| self.lines.iter().position(|l| !l.trim().is_empty()))
                .flatten()
        });
        let mut i = 0;
        if let Some(h) = headline_at {
            while i < h {
                let used = self.general(i).unwrap_or_else(|| {
                    let l = self.line(i).trim_end();
                    if !l.trim().is_empty() {
                        self.r.preamble.push(l.to_string());
                    }
                    1
                });
                i += used;
            }
            i = self.headline_and_body(h, panic_at.is_some());
        } else {
            self.r
                .warnings
                .push("no `panic(` line: the log starts in the middle of a report".into());
        }
        while i < n {
            let used = self.general(i).unwrap_or_else(|| {
                let t = self.line(i).trim();
                if !t.is_empty() {
                    self.r.unparsed.push(UnparsedLine {
                        line: i,
                        text: t.to_string(),
                    });
                }
                1
            });
            i += used.max(1);
        }
    }

    /// The headline at `h` and the free-form body after it; returns the index of the first line
    /// after the body.
    fn headline_and_body(&mut self, h: usize, is_panic_line: bool) -> usize {
        let line = self.line(h);
        let (cpu, caller, msg) = if is_panic_line {
            arm64::headline(line).unwrap_or((None, None, line.trim()))
        } else {
            (None, None, line.trim())
        };
        let mut message = msg.to_string();
        let mut i = h + 1;
        let mut continuation_open = true;
        while i < self.lines.len() {
            let raw = self.line(i);
            let t = raw.trim();
            if is_section_start(t) {
                break;
            }
            if t.is_empty() {
                continuation_open = false;
            } else if let Some(regs) = self.register_line(t) {
                self.r.registers.extend(regs);
                continuation_open = false;
            } else if let Some(f) = intel::fault_line(t, i) {
                self.r.intel_fault = Some(f);
                continuation_open = false;
            } else if let Some(svc) = field(t, "service").and_then(common::watchdog_service) {
                self.r.watchdog_services.push(svc);
                continuation_open = false;
            } else if self.arch == Some(Arch::X86_64) && continuation_open {
                // Intel panic strings may span lines (a message with a literal newline).
                message.push('\n');
                message.push_str(raw.trim_end());
            } else {
                self.r.panic_details.push(raw.trim_end().to_string());
            }
            i += 1;
        }
        if message.is_empty() {
            // PDF/slide extraction can split `panic(…):` from its message.
            if let Some(pos) = self
                .r
                .panic_details
                .iter()
                .position(|l| !l.trim().is_empty())
            {
                message = self.r.panic_details.remove(pos).trim().to_string();
                self.r.warnings.push(
                    "the panic message was not on the `panic(` line; took the next line".into(),
                );
            }
        }
        self.r.panic = Some(make_headline(cpu, caller, message, h));
        i
    }

    fn register_line(&self, t: &str) -> Option<Vec<crate::model::Register>> {
        match self.arch {
            Some(a) if a.is_x86_64() => common::register_line(t, intel::is_register_name),
            Some(_) => common::register_line(t, arm64::is_register_name),
            None => common::register_line(t, arm64::is_register_name)
                .or_else(|| common::register_line(t, intel::is_register_name)),
        }
    }

    fn frame_line(&self, t: &str, i: usize) -> Option<crate::model::Frame> {
        match self.arch {
            Some(a) if a.is_x86_64() => intel::frame_line(t, i),
            Some(_) => arm64::frame_line(t, i),
            None => arm64::frame_line(t, i).or_else(|| intel::frame_line(t, i)),
        }
    }

    fn backtrace(&mut self) -> &mut Backtrace {
        self.r.backtrace.get_or_insert_with(Backtrace::default)
    }

    fn thread(&mut self) -> &mut PanickedThread {
        self.r
            .panicked_thread
            .get_or_insert_with(PanickedThread::default)
    }

    /// Handle line `i` outside the panic body; `Some(lines consumed)` or `None` if unknown.
    fn general(&mut self, i: usize) -> Option<usize> {
        let raw = self.line(i);
        let t = raw.trim();
        if self.mode == Mode::Trailer {
            if !t.is_empty() {
                self.r.trailer.push(raw.trim_end().to_string());
            }
            return Some(1);
        }
        if t.is_empty() {
            if !matches!(self.mode, Mode::LoadedKexts | Mode::KextsInBacktrace) {
                self.mode = Mode::None;
            }
            return Some(1);
        }
        if let Some(used) = self.in_mode(t, i) {
            return Some(used);
        }
        let in_kext_list = self.mode == Mode::LoadedKexts;
        self.mode = Mode::None;
        if let Some(frame) = self.frame_line(t, i) {
            self.backtrace().frames.push(frame);
            return Some(1);
        }
        let used = self.labels(t, i);
        if used.is_none() && in_kext_list && !t.starts_with("panic(") {
            // One line that does not fit (a note, a damaged line) never ends the list: it is
            // kept as unparsed and the list goes on. Only a known label ends it.
            self.mode = Mode::LoadedKexts;
        }
        used
    }

    /// Continue a multi-line section; `None` ends it.
    fn in_mode(&mut self, t: &str, i: usize) -> Option<usize> {
        match self.mode {
            Mode::None | Mode::Trailer => None,
            Mode::Zone => {
                let z = common::zone_range(t)?;
                self.r
                    .zone_info
                    .get_or_insert_with(ZoneInfo::default)
                    .ranges
                    .push(z);
                Some(1)
            }
            Mode::Epoch | Mode::LastSleep => {
                let row = common::time_row(t)?;
                let table = if self.mode == Mode::Epoch {
                    &mut self.r.epoch_time
                } else {
                    &mut self.r.last_sleep
                };
                table.get_or_insert_with(TimeTable::default).rows.push(row);
                Some(1)
            }
            Mode::CpuUsage => {
                let usage = self.r.cpu_usage.get_or_insert_with(CpuUsage::default);
                if starts_with_words(t, "Thread task pri cpu_usage") {
                    return Some(1);
                }
                usage.rows.push(common::cpu_usage_row(t)?);
                Some(1)
            }
            Mode::KextsInBacktrace => {
                let (kext, dep) = parse_backtrace_kext(t, i)?;
                if dep {
                    match self.r.kexts_in_backtrace.last_mut() {
                        Some(parent) => parent.dependencies.push(kext),
                        None => return None,
                    }
                } else {
                    self.r.kexts_in_backtrace.push(KextInBacktrace {
                        kext,
                        dependencies: Vec::new(),
                    });
                }
                Some(1)
            }
            Mode::LoadedKexts => {
                let k = parse_loaded_kext(t, i)?;
                self.r
                    .loaded_kexts
                    .get_or_insert_with(LoadedKexts::default)
                    .kexts
                    .push(k);
                Some(1)
            }
        }
    }

    /// A label whose value may sit on the next line (Intel `Mac OS version:` / `Kernel version:`).
    fn value_maybe_next_line(&self, v: &str, i: usize) -> (Option<String>, usize) {
        if !v.is_empty() {
            return (Some(v.to_string()), 1);
        }
        let next = self.line(i + 1).trim();
        if next.is_empty() || is_section_start(next) {
            (None, 1)
        } else {
            (Some(next.to_string()), 2)
        }
    }

    fn start_table(&mut self, mode: Mode, header: &str) {
        let table = TimeTable {
            columns: header.split_whitespace().map(str::to_string).collect(),
            rows: Vec::new(),
        };
        if mode == Mode::Epoch {
            self.r.epoch_time = Some(table);
        } else {
            self.r.last_sleep = Some(table);
        }
        self.mode = mode;
    }
}

fn make_headline(
    cpu: Option<u32>,
    caller: Option<u64>,
    message: String,
    line: usize,
) -> PanicHeadline {
    let (reason, location) = split_location(&message);
    PanicHeadline {
        cpu,
        caller: caller.map(RuntimeAddr),
        exception: arm64::exception_from_message(&message),
        trap: intel::trap_from_message(&message),
        reason,
        location,
        message,
        line,
    }
}

/// `"text"@/path/file.cpp:123` or `text @file.c:7922` → (text, location).
fn split_location(message: &str) -> (String, Option<SourceLocation>) {
    let strip_quotes = |s: &str| -> String {
        let s = s.trim();
        match s.strip_prefix('"').and_then(|x| x.strip_suffix('"')) {
            Some(inner) => inner.to_string(),
            None => s.to_string(),
        }
    };
    let Some(at) = message.rfind('@') else {
        return (strip_quotes(message), None);
    };
    let (before, after) = (&message[..at], &message[at + 1..]);
    let loc = after.trim();
    let plausible = !loc.is_empty()
        && !loc.contains(char::is_whitespace)
        && (before.ends_with('"') || before.ends_with(' '))
        && loc.contains('.');
    if !plausible {
        return (strip_quotes(message), None);
    }
    let location = match loc.rsplit_once(':') {
        Some((file, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => {
            SourceLocation {
                file: file.to_string(),
                line: n.parse().ok(),
            }
        }
        _ => SourceLocation {
            file: loc.to_string(),
            line: None,
        },
    };
    (strip_quotes(before), Some(location))
}

/// Derived fields and completeness warnings.
fn finish(r: &mut PanicReport) {
    if let Some(kv) = r.system.kernel_version.clone() {
        r.system.kernel_variant = KernelVariant::from_kernel_version(&kv);
        if r.system.kernel_variant.is_none() {
            r.warnings.push(format!(
                "kernel version has no recognised build config: {kv}"
            ));
        }
        if let Some(v) = kv.strip_prefix("Darwin Kernel Version ") {
            r.system.darwin_version = v.split(':').next().map(|s| s.trim().to_string());
        }
        if let Some(at) = kv.find("xnu-") {
            r.system.xnu_version = kv[at..].split('/').next().map(str::to_string);
        }
    }
    if r.arch.is_none() {
        r.arch = match r.system.kernel_variant.as_ref().map(|v| v.arch.as_str()) {
            Some("x86_64") => Some(Arch::X86_64),
            Some("arm64") => Some(Arch::Arm64),
            Some("arm") => Some(Arch::Arm),
            // A 32-bit Intel kernel: read with the Intel rules, but it is not x86_64.
            Some("i386") => None,
            _ => {
                let lines: Vec<&str> = r.panic_text.lines().collect();
                detect_arch(&lines)
            }
        };
    }
    let has_frames = r.backtrace.as_ref().is_some_and(|b| !b.frames.is_empty());
    // bridgeOS-style panic strings are a bare message: nothing is missing from them.
    let full_panic_string = r.panic.is_some() && r.panic_text.contains("panic(");
    if full_panic_string && !has_frames {
        r.warnings
            .push("no backtrace frames: the log was cut before the backtrace".into());
    }
    let last_line = r
        .panic_text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .last()
        .map(|(i, _)| i);
    if let (Some(last), Some(u)) = (last_line, r.unparsed.last()) {
        if u.line == last {
            r.warnings.push(format!(
                "the log ends with a line that could not be read (cut?): `{}`",
                u.text
            ));
        }
    }
    if full_panic_string && r.system.kernel_version.is_none() {
        r.warnings
            .push("no `Kernel version` line: the log is partial (cut or abridged)".into());
    }
    if r.arch == Some(Arch::Arm64) && full_panic_string && r.debugger_message.is_none() {
        r.warnings
            .push("no `Debugger message` line: the panic header is missing or cut".into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations() {
        let (r, l) = split_location("vm_map_delete(0x1): failed unexpected with 2 @vm_map.c:7922");
        assert_eq!(r, "vm_map_delete(0x1): failed unexpected with 2");
        assert_eq!(l.unwrap().line, Some(7922));
        let (r, l) =
            split_location("\"IOGMD: not wired\"@/BuildRoot/x/IOMemoryDescriptor.cpp:2337");
        assert_eq!(r, "IOGMD: not wired");
        assert_eq!(l.unwrap().file, "/BuildRoot/x/IOMemoryDescriptor.cpp");
        let (r, l) = split_location("btn_rst");
        assert_eq!((r.as_str(), l), ("btn_rst", None));
        let (_, l) = split_location("mail me@example.com please");
        assert!(l.is_none());
    }
}
