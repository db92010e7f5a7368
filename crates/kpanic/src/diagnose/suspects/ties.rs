//! Where a name shows up in the log: the kexts of the panicked backtrace frame by frame, the
//! code that faulted, the code that called panic(), the names in the panic message, the
//! panicked process and whether its thread came from user space.

use kpanic_common::RuntimeAddr;
use kpanic_report::Arch;

use super::names::{is_dext_name, looks_like_bundle_id, message_words};
use super::{backtrace_functions, SuspectKind};
use crate::diagnose::Ctx;

/// The kext of each frame of the panicked backtrace, innermost first (`None` for the
/// kernel's own frames): by the ranges of "Kernel Extensions in backtrace", the keepsyms
/// image, or the symbolication.
pub(super) fn backtrace_kexts(ctx: &Ctx) -> Vec<Option<String>> {
    let Some(bt) = &ctx.report.backtrace else {
        return Vec::new();
    };
    bt.frames
        .iter()
        .enumerate()
        .map(|(i, f)| {
            ctx.kext_at(f.address)
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
                })
        })
        .collect()
}

/// Kexts whose code faulted: the one holding the exception pc (arm64) or the trap address
/// (Intel), and, in keepsyms backtraces, the kext frame right after `return_from_trap` /
/// `trap_from_kernel` (the code the trap interrupted; the panic's own debugger trap returns
/// into the kernel, so it never counts).
pub(super) fn faulting_code(ctx: &Ctx) -> Vec<String> {
    let r = ctx.report;
    let mut out: Vec<String> = Vec::new();
    let p = r.panic.as_ref();
    let pc = p
        .and_then(|p| p.exception.as_ref())
        .and_then(|e| e.pc)
        .or_else(|| p.and_then(|p| p.trap.as_ref()).map(|t| t.address));
    if let Some(k) = pc.and_then(|pc| ctx.kext_at(pc)) {
        out.push(k.bundle_id.clone());
    }
    if let Some(bt) = &r.backtrace {
        let kexts = backtrace_kexts(ctx);
        for (i, f) in bt.frames.iter().enumerate() {
            let trap = f.symbol.as_ref().is_some_and(|s| {
                s.symbol.contains("return_from_trap") || s.symbol.contains("trap_from_kernel")
            });
            if let Some(Some(k)) = trap.then(|| kexts.get(i + 1).cloned().flatten()) {
                if !out.contains(&k) {
                    out.push(k);
                }
            }
        }
    }
    out
}

/// The kext that called panic(), by the caller address of the panic line.
pub(super) fn panic_caller(ctx: &Ctx) -> Option<String> {
    let c = ctx.report.panic.as_ref()?.caller?;
    ctx.kext_at(c).map(|k| k.bundle_id.clone())
}

/// Every bundle id the log lists: "Kernel Extensions in backtrace" (dependencies included),
/// the loaded kexts, the last started/loaded/unloaded.
fn log_bundle_ids<'a>(ctx: &Ctx<'a>) -> Vec<&'a str> {
    let r = ctx.report;
    let mut ids: Vec<&str> = crate::images::kexts(r)
        .map(|k| k.bundle_id.as_str())
        .collect();
    if let Some(l) = &r.loaded_kexts {
        ids.extend(l.kexts.iter().map(|k| k.bundle_id.as_str()));
    }
    ids.extend(r.kext_events.iter().map(|e| e.bundle_id.as_str()));
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// The last part of a bundle id is a name worth matching alone when it is an identifier no
/// English word is (`IOUSBHostFamily`, `AppleIntelKBLGraphics`, `RTL8127Dext`): six
/// characters or more, with a capital after the first letter or a digit.
fn distinctive(short: &str) -> bool {
    short.len() >= 6
        && short
            .chars()
            .skip(1)
            .any(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

/// A kext, dext or driver the panic message names.
pub(super) struct Named {
    /// Its bundle id, or the driver's IOService name when the log lists no kext for it.
    pub name: String,
    /// Kext or dext.
    pub kind: SuspectKind,
    /// Apple's for sure, whatever the name says (a driver IOServicePM only panics for when it
    /// is Apple's).
    pub apple: bool,
}

/// The kexts and dexts the panic message names: a bundle id the log lists, the last part of one
/// (`IOUSBHostFamily`), a reverse-DNS bundle id the log does not list (a dext, or a kext of a
/// cut log), or the driver of a power-management timeout. Words of the source location are not
/// the message and are not read.
pub(super) fn named_in_message(ctx: &Ctx) -> Vec<Named> {
    let Some(p) = &ctx.report.panic else {
        return Vec::new();
    };
    let msg = if p.reason.trim().is_empty() {
        &p.message
    } else {
        &p.reason
    };
    let ids = log_bundle_ids(ctx);
    let mut out: Vec<Named> = Vec::new();
    let mut push = |name: &str, kind: SuspectKind, apple: bool| {
        if !out.iter().any(|n| n.name == name) {
            out.push(Named {
                name: name.to_string(),
                kind,
                apple,
            });
        }
    };
    if let Some(pm) = power_timeout_driver(msg) {
        let by_address = pm.function.and_then(|a| ctx.kext_at(RuntimeAddr(a)));
        let by_name: Vec<&&str> = ids
            .iter()
            .filter(|id| {
                id.rsplit('.')
                    .next()
                    .is_some_and(|short| short == pm.driver || short.starts_with(&pm.driver))
            })
            .collect();
        if let Some(k) = by_address {
            push(&k.bundle_id, SuspectKind::Kext, false);
        } else if !by_name.is_empty() {
            for id in by_name {
                push(id, SuspectKind::Kext, false);
            }
        } else {
            push(&pm.driver, SuspectKind::Kext, pm.apple);
        }
    }
    for w in message_words(msg) {
        let kind = if is_dext_name(w) {
            SuspectKind::Dext
        } else {
            SuspectKind::Kext
        };
        if let Some(id) = ids.iter().find(|id| id.eq_ignore_ascii_case(w)) {
            push(id, SuspectKind::Kext, false);
        } else if distinctive(w) && !w.contains('.') {
            for id in ids.iter().filter(|id| id.rsplit('.').next() == Some(w)) {
                push(id, SuspectKind::Kext, false);
            }
        } else if looks_like_bundle_id(w) {
            push(w, kind, false);
        }
    }
    out
}

/// The driver a power-management acknowledgement timeout names.
struct PowerTimeout {
    /// Its IOService name (usually its class: `AppleIntelFramebuffer`).
    driver: String,
    /// The address of its setPowerState, when the message gives it.
    function: Option<u64>,
    /// Apple's: xnu prints the address only for Apple's drivers, and Apple's driver classes
    /// start with `Apple` or `IO`.
    apple: bool,
}

/// IOServicePM's timeouts name the driver that did not acknowledge by its IOService name:
/// "%s::setPowerState(%p, %lu -> %lu) timed out after %d ms", on release macOS (which panics
/// only for Apple's drivers) "%s::setPowerState(%p : %p, %lu -> %lu) …" with the address of
/// the driver's setPowerState, and "%s::powerState%sChangeTo(…) timed out" for interested
/// drivers (iokit/Kernel/IOServicePM.cpp).
fn power_timeout_driver(msg: &str) -> Option<PowerTimeout> {
    if !msg.contains("timed out") {
        return None;
    }
    let at = msg
        .find("::setPowerState(")
        .or_else(|| msg.find("::powerState"))?;
    let driver: String = msg[..at]
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect::<Vec<char>>()
        .into_iter()
        .rev()
        .collect();
    if driver.is_empty() {
        return None;
    }
    let args = &msg[at..];
    let args = &args[..args.find(')').unwrap_or(args.len())];
    let function = args.split_once(" : ").and_then(|(_, rest)| {
        let hex = rest.trim_start().strip_prefix("0x")?;
        let digits: String = hex.chars().take_while(|c| c.is_ascii_hexdigit()).collect();
        u64::from_str_radix(&digits, 16).ok()
    });
    let apple = function.is_some() || driver.starts_with("Apple") || driver.starts_with("IO");
    Some(PowerTimeout {
        driver,
        function,
        apple,
    })
}

/// The panicked process and its pid (`Panicked task … pid N: name`, or Intel's `BSD process
/// name corresponding to current thread`); not `kernel_task`, whose threads are the kernel's
/// own.
pub(super) fn panicked_process(ctx: &Ctx) -> Option<(String, Option<i64>)> {
    let r = ctx.report;
    let task = r.panicked_task.as_ref();
    let name = task
        .and_then(|t| t.name.clone())
        .or_else(|| {
            r.panicked_thread
                .as_ref()
                .and_then(|t| t.process_name.clone())
        })?
        .trim()
        .to_string();
    let pid = task.and_then(|t| t.pid);
    (!name.is_empty() && name != "kernel_task" && pid != Some(0)).then_some((name, pid))
}

/// Functions through which a thread enters the kernel from user space: BSD and Mach system
/// calls, Mach messages to IOKit, IOKit user-client calls.
static USER_ENTRY_FUNCTIONS: &[&str] = &[
    "unix_syscall",
    "hndl_unix_scall",
    "mach_call_munger",
    "hndl_mach_scall",
    "mach_syscall",
    "mach_msg_trap",
    "mach_msg_overwrite_trap",
    "iokit_server",
    "is_io_connect_method",
    "IOUserClient14externalMethod",
    "IOUserClient::externalMethod",
];

/// The panicked thread came from user space: its backtrace runs through a system call or an
/// IOKit user-client entry (keepsyms or symbols), or (arm64) its outermost frame returns into
/// a user-space address.
pub(super) fn from_user_space(ctx: &Ctx) -> bool {
    let names = backtrace_functions(ctx);
    if names
        .iter()
        .any(|f| USER_ENTRY_FUNCTIONS.iter().any(|e| f.contains(e)))
    {
        return true;
    }
    let r = ctx.report;
    r.arch != Some(Arch::X86_64)
        && r.backtrace
            .as_ref()
            .and_then(|bt| bt.frames.last())
            .is_some_and(|f| {
                let a = f.address.get();
                a != 0 && a < 1 << 47
            })
}
