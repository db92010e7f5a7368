//! The `Label: value` lines xnu prints, as tables: the plain fields (stored as they are read,
//! in the order they are tried), then the lines that start a section or need the parser.

use super::common::{self, field, first_number, yes_no};
use super::{arm64, intel, Mode, Parser};
use crate::kexts::parse_kext_event;
use crate::model::{CpuUsage, LoadedKexts, PanicReport, ZoneInfo};
use crate::{RuntimeAddr, Uuid};
use kpanic_common::{parse_0x, Hex};

/// Where a field's value goes, and how it is read.
enum Store {
    /// The value as printed.
    Text(fn(&mut PanicReport) -> &mut Option<String>),
    /// The value, or the next line when the label ends its line (`Kernel version:` on Intel).
    TextOrNextLine(fn(&mut PanicReport) -> &mut Option<String>),
    /// A UUID; anything else is a warning.
    Uuid(fn(&mut PanicReport) -> &mut Option<Uuid>),
    /// A `0x` number; anything else is a warning.
    Hex(fn(&mut PanicReport) -> &mut Option<Hex>),
    /// A `0x` runtime address; anything else is a warning.
    Addr(fn(&mut PanicReport) -> &mut Option<RuntimeAddr>),
    /// Read by its own function.
    With(fn(&mut PanicReport, &str)),
}

/// The plain fields, in the order they are tried.
static FIELDS: &[(&str, Store)] = &[
    ("Debugger message", Store::Text(|r| &mut r.debugger_message)),
    // OS X 10.5–10.6 and the 32-bit layouts.
    ("Debugger called", Store::Text(|r| &mut r.debugger_message)),
    ("Memory ID", Store::Text(|r| &mut r.system.memory_id)),
    (
        "OS release type",
        Store::Text(|r| &mut r.system.os_release_type),
    ),
    ("OS version", Store::Text(|r| &mut r.system.os_build)),
    (
        "macOS version",
        Store::Text(|r| &mut r.system.macos_version),
    ),
    (
        "Mac OS version",
        Store::TextOrNextLine(|r| &mut r.system.os_build),
    ),
    (
        "Kernel version",
        Store::TextOrNextLine(|r| &mut r.system.kernel_version),
    ),
    // OS X 10.6 capitalised it.
    (
        "Kernel Version",
        Store::TextOrNextLine(|r| &mut r.system.kernel_version),
    ),
    (
        "Exclaves boot status",
        Store::Text(|r| &mut r.system.exclaves_boot_status),
    ),
    (
        "Fileset Kernelcache UUID",
        Store::Uuid(|r| &mut r.system.kernelcache_uuid),
    ),
    (
        "Fileset KernelCache UUID",
        Store::Uuid(|r| &mut r.system.kernelcache_uuid),
    ),
    (
        "KernelCache UUID",
        Store::Uuid(|r| &mut r.system.kernelcache_uuid),
    ),
    (
        "Kernelcache UUID",
        Store::Uuid(|r| &mut r.system.kernelcache_uuid),
    ),
    ("Kernel UUID", Store::Uuid(|r| &mut r.system.kernel_uuid)),
    (
        "Boot session UUID",
        Store::Uuid(|r| &mut r.system.boot_session_uuid),
    ),
    (
        "iBoot version",
        Store::Text(|r| &mut r.system.iboot_version),
    ),
    (
        "iBoot Stage 2 version",
        Store::Text(|r| &mut r.system.iboot_stage2_version),
    ),
    ("Device", Store::Text(|r| &mut r.system.device)),
    (
        "Hardware Model",
        Store::Text(|r| &mut r.system.hardware_model),
    ),
    ("ECID", Store::Text(|r| &mut r.system.ecid)),
    ("Boot args", Store::Text(|r| &mut r.system.boot_args)),
    (
        "Anonymous UUID",
        Store::Uuid(|r| &mut r.system.anonymous_uuid),
    ),
    (
        "System model name",
        Store::Text(|r| &mut r.system.system_model),
    ),
    (
        "System shutdown begun",
        Store::Text(|r| &mut r.system.system_shutdown_begun),
    ),
    (
        "Panic diags file available",
        Store::Text(|r| &mut r.system.panic_diags_file),
    ),
    ("TXM UUID", Store::Uuid(|r| &mut r.system.txm_uuid)),
    (
        "Debug Header kernelcache UUID",
        Store::Uuid(|r| &mut r.system.debug_header_kernelcache_uuid),
    ),
    ("SPTM UUID", Store::Uuid(|r| &mut r.system.sptm_uuid)),
    (
        "secure boot?",
        Store::With(|r, v| r.system.secure_boot = yes_no(v)),
    ),
    (
        "roots installed",
        Store::With(|r, v| r.system.roots_installed = first_number(v)),
    ),
    (
        "Paniclog version",
        Store::With(|r, v| r.system.paniclog_version = first_number(v)),
    ),
    (
        "Debug Header entry count",
        Store::With(|r, v| r.system.debug_header_entry_count = first_number(v)),
    ),
    (
        "Hibernation exit count",
        Store::With(|r, v| r.system.hibernation_exit_count = first_number(v)),
    ),
    (
        "System uptime in nanoseconds",
        Store::With(|r, v| r.system.uptime_ns = first_number(v)),
    ),
    (
        "Debug Header address",
        Store::Hex(|r| &mut r.system.debug_header_address),
    ),
    (
        "TXM load address",
        Store::Hex(|r| &mut r.system.txm_load_address),
    ),
    (
        "Debug Header kernelcache load address",
        Store::Hex(|r| &mut r.system.debug_header_kernelcache_load_address),
    ),
    (
        "SPTM load address",
        Store::Hex(|r| &mut r.system.sptm_load_address),
    ),
    (
        "mach_absolute_time",
        Store::Hex(|r| &mut r.system.mach_absolute_time),
    ),
    (
        "KernelCache slide",
        Store::Hex(|r| &mut r.slides.kernelcache_slide),
    ),
    (
        "KernelCache base",
        Store::Addr(|r| &mut r.slides.kernelcache_base),
    ),
    ("Kernel slide", Store::Hex(|r| &mut r.slides.kernel_slide)),
    (
        "Kernel text base",
        Store::Addr(|r| &mut r.slides.kernel_text_base),
    ),
    (
        "Kernel text exec slide",
        Store::Hex(|r| &mut r.slides.kernel_text_exec_slide),
    ),
    (
        "Kernel text exec base",
        Store::Addr(|r| &mut r.slides.kernel_text_exec_base),
    ),
    (
        "__HIB text base",
        Store::Addr(|r| &mut r.slides.hib_text_base),
    ),
];

/// A line that starts a section or needs the parser: how many lines it used, or `None`.
type Rule = for<'l> fn(&mut Parser<'_, 'l>, &str, usize) -> Option<usize>;

/// The other lines, in the order they are tried (after [`FIELDS`]).
static RULES: &[Rule] = &[
    epoch_time,
    last_sleep,
    zone_info,
    core_line,
    tpidr_line,
    compressor_info,
    total_cpu_usage,
    panicked_task,
    panicked_thread,
    backtrace_header,
    backtracing_specified_thread,
    kexts_in_backtrace,
    bsd_process_name,
    process_name,
    kext_event,
    loaded_kexts,
    stackshot_status,
    watchdog_service,
    panic_report_banner,
    report_date,
];

impl<'l> Parser<'_, 'l> {
    /// Reads line `i` (`t`, trimmed of nothing) as one of the labels xnu prints.
    pub(super) fn labels(&mut self, t: &str, i: usize) -> Option<usize> {
        for (label, store) in FIELDS {
            if let Some(v) = field(t, label) {
                return Some(self.store(store, label, v, t, i));
            }
        }
        RULES.iter().find_map(|rule| rule(self, t, i))
    }

    fn store(&mut self, store: &Store, label: &str, v: &str, t: &str, i: usize) -> usize {
        let bad_number = |r: &mut PanicReport| {
            r.warnings
                .push(format!("line {}: bad number in `{}`", i + 1, t))
        };
        match store {
            Store::Text(dst) => *dst(self.r) = Some(v.to_string()),
            Store::TextOrNextLine(dst) => {
                let (val, used) = self.value_maybe_next_line(v, i);
                *dst(self.r) = val;
                return used;
            }
            Store::Uuid(dst) => match v.trim().parse::<Uuid>() {
                Ok(u) => *dst(self.r) = Some(u),
                Err(_) => self
                    .r
                    .warnings
                    .push(format!("line {}: {label}: {v:?} is not a UUID", i + 1)),
            },
            Store::Hex(dst) => match parse_0x(v) {
                Some(x) => *dst(self.r) = Some(Hex(x)),
                None => bad_number(self.r),
            },
            Store::Addr(dst) => match parse_0x(v) {
                Some(x) => *dst(self.r) = Some(RuntimeAddr(x)),
                None => bad_number(self.r),
            },
            Store::With(read) => read(self.r, v),
        }
        1
    }
}

fn epoch_time(p: &mut Parser<'_, '_>, t: &str, _: usize) -> Option<usize> {
    let v = field(t, "Epoch Time")?;
    p.start_table(Mode::Epoch, v);
    Some(1)
}

fn last_sleep(p: &mut Parser<'_, '_>, t: &str, _: usize) -> Option<usize> {
    let v = field(t, "Last Sleep")?;
    p.start_table(Mode::LastSleep, v);
    Some(1)
}

fn zone_info(p: &mut Parser<'_, '_>, t: &str, _: usize) -> Option<usize> {
    field(t, "Zone info")?;
    p.r.zone_info.get_or_insert_with(ZoneInfo::default);
    p.mode = Mode::Zone;
    Some(1)
}

fn core_line(p: &mut Parser<'_, '_>, t: &str, i: usize) -> Option<usize> {
    arm64::core_line(t, i, &mut p.r.cores).then_some(1)
}

fn tpidr_line(p: &mut Parser<'_, '_>, t: &str, _: usize) -> Option<usize> {
    p.r.cores.tpidr = arm64::tpidr_line(t)?;
    Some(1)
}

fn compressor_info(p: &mut Parser<'_, '_>, t: &str, _: usize) -> Option<usize> {
    let v = field(t, "Compressor Info")?;
    p.r.compressor_info = Some(common::compressor_info(v));
    Some(1)
}

fn total_cpu_usage(p: &mut Parser<'_, '_>, t: &str, _: usize) -> Option<usize> {
    let v = field(t, "Total cpu_usage")?;
    p.r.cpu_usage.get_or_insert_with(CpuUsage::default).total = first_number(v);
    p.mode = Mode::CpuUsage;
    Some(1)
}

fn panicked_task(p: &mut Parser<'_, '_>, t: &str, i: usize) -> Option<usize> {
    let v = t.strip_prefix("Panicked task")?;
    p.r.panicked_task = Some(common::panicked_task(v, i));
    Some(1)
}

fn panicked_thread(p: &mut Parser<'_, '_>, t: &str, i: usize) -> Option<usize> {
    // Old iOS (Paniclog ≤ 5, and the 32-bit layouts) print the label in lower case.
    let v = field(t, "Panicked thread").or_else(|| field(t, "panicked thread"))?;
    common::panicked_thread(v, p.thread(), i);
    Some(1)
}

fn backtrace_header(p: &mut Parser<'_, '_>, t: &str, _: usize) -> Option<usize> {
    let (cpu, thread) = intel::backtrace_header(t)?;
    let bt = p.backtrace();
    bt.cpu = cpu;
    bt.thread = thread.map(Hex);
    Some(1)
}

fn backtracing_specified_thread(p: &mut Parser<'_, '_>, t: &str, _: usize) -> Option<usize> {
    t.starts_with("Backtracing specified thread").then(|| {
        p.backtrace().specified_thread = true;
        1
    })
}

fn kexts_in_backtrace(p: &mut Parser<'_, '_>, t: &str, _: usize) -> Option<usize> {
    // Before 10.6: "Kernel loadable modules in backtrace (with dependencies):".
    (t.starts_with("Kernel Extensions in backtrace")
        || t.starts_with("Kernel loadable modules in backtrace"))
    .then(|| {
        p.mode = Mode::KextsInBacktrace;
        1
    })
}

fn bsd_process_name(p: &mut Parser<'_, '_>, t: &str, _: usize) -> Option<usize> {
    let v = field(t, "BSD process name corresponding to current thread")?;
    p.thread().process_name = Some(v.to_string());
    Some(1)
}

fn process_name(p: &mut Parser<'_, '_>, t: &str, _: usize) -> Option<usize> {
    let rest = t.strip_prefix("Process name corresponding to current thread")?;
    let (addr, name) = match rest.split_once("):") {
        Some((a, n)) => (parse_0x(a.trim().trim_start_matches('(')), n),
        None => (None, rest.trim_start().strip_prefix(':').unwrap_or(rest)),
    };
    let th = p.thread();
    th.process_name = Some(name.trim().to_string());
    if th.address.is_none() {
        th.address = addr.map(Hex);
    }
    Some(1)
}

fn kext_event(p: &mut Parser<'_, '_>, t: &str, i: usize) -> Option<usize> {
    p.r.kext_events.push(parse_kext_event(t, i)?);
    Some(1)
}

fn loaded_kexts(p: &mut Parser<'_, '_>, t: &str, _: usize) -> Option<usize> {
    let v = field(t, "loaded kexts")?;
    let lk = p.r.loaded_kexts.get_or_insert_with(LoadedKexts::default);
    if v.contains("skipped") {
        lk.skipped = true;
    } else {
        p.mode = Mode::LoadedKexts;
    }
    Some(1)
}

fn stackshot_status(p: &mut Parser<'_, '_>, t: &str, _: usize) -> Option<usize> {
    p.r.stackshot = Some(common::stackshot_status(t)?);
    p.mode = Mode::Trailer;
    Some(1)
}

fn watchdog_service(p: &mut Parser<'_, '_>, t: &str, _: usize) -> Option<usize> {
    let svc = field(t, "service").and_then(common::watchdog_service)?;
    p.r.watchdog_services.push(svc);
    Some(1)
}

fn panic_report_banner(_: &mut Parser<'_, '_>, t: &str, _: usize) -> Option<usize> {
    (t == "*** Panic Report ***").then_some(1)
}

fn report_date(p: &mut Parser<'_, '_>, t: &str, _: usize) -> Option<usize> {
    common::is_date_line(t).then(|| {
        p.r.system.report_date = Some(t.to_string());
        1
    })
}
