//! The signature of a panic: the string that is the same for the same bug and different for
//! different ones. docs/triage.md explains the design and the references it comes from
//! (Mozilla Socorro's signature generation, Sentry's grouping).
//!
//! `class | message key | frames… | kext:bundle.id`, each part present only when it means
//! something for the class:
//! - **class**: the diagnosis's panic class (`kernel_data_abort`, `zone_use_after_free`, …).
//! - **message key**: the panic message with addresses, numbers, UUIDs and times taken out, for
//!   the classes whose message names the bug (a watchdog names the service, a zone panic its
//!   zone, an assertion its condition and `file:line`). Not for aborts and traps: their message
//!   is a register dump.
//! - **frames**: the panic path and trap handlers skipped (xnu's real names:
//!   [`IRRELEVANT`], [`IRRELEVANT_PREFIXES`]), then as Socorro does: generic helpers
//!   ([`PREFIX`]) are kept and the walk goes on to the first frame that is not one. With
//!   symbols a frame is its function (`bundle.id!function` in a kext); without, the fault
//!   site (exception pc, trap address) or the panic caller as `image+offset`. Kernel offsets
//!   hold only within one kernel build, so an unsymbolicated kernel frame names its build
//!   (`kernel.release.t8112/24E248+0x3e5a24`); kext offsets hold within one kext version.
//! - **kext**: the third-party kext (or dext) the diagnosis implicates, when there is one and
//!   the frames do not already name it: the same bug through the same driver groups across
//!   kernel builds even without symbols, and a vendor's kext never hides in an Apple bucket.
//!
//! Watchdog, reset and stall classes have no frames: their backtrace is whatever ran when the
//! watchdog fired (DESIGN.md §2), not the cause. Nor have coprocessor and hardware panics:
//! their frames are the driver that reported the firmware's or the device's failure, and the
//! message says which failure.

use kpanic::diagnose::{ClassFamily, Diagnosis, PanicClass};
use kpanic::place::{Anchor, ImageKey, Placer};
use kpanic::symbolicate::Register;
use kpanic::Symbolication;
use kpanic_report::{PanicReport, RuntimeAddr};
use serde::Serialize;

/// The most frames a signature names (prefix frames included).
pub const MAX_FRAMES: usize = 4;
/// The longest message key, in characters.
pub const MAX_MESSAGE: usize = 160;

/// A panic's signature and its parts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Signature {
    /// The whole signature: the bucket key.
    pub text: String,
    /// The panic class.
    pub class: PanicClass,
    /// The normalized message, for classes whose message names the bug.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The meaningful frames, innermost first.
    pub frames: Vec<String>,
    /// The implicated third-party kext or dext, when the frames do not name it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kext: Option<String>,
    /// True when a frame is a kernel offset, stable only within one kernel build.
    pub build_specific: bool,
}

/// Functions of the panic path, trap handlers and continuations: never the bug (xnu
/// `osfmk/kern/debug.c`, `osfmk/arm64/sleh.c`, `osfmk/i386/trap.c`, `osfmk/x86_64/idt64.s`,
/// `osfmk/kern/sched_prim.c`).
pub const IRRELEVANT: &[&str] = &[
    "panic",
    "panic_trap_to_debugger",
    "panic_with_options",
    "panic_with_options_and_initiator",
    "panic_with_thread_context",
    "panic_with_thread_kernel_state",
    "panic_with_data",
    "panic_trap",
    "panic_64",
    "Debugger",
    "DebuggerWithContext",
    "DebuggerTrapWithState",
    "DebuggerSaveState",
    "handle_debugger_trap",
    "debugger_collect_diagnostics",
    "Assert",
    "kernel_trap",
    "trap_from_kernel",
    "return_from_trap",
    "handle_kernel_abort",
    "handle_abort",
    "handle_pac_fail",
    "handle_kernel_breakpoint",
    "handle_uncategorized",
    "handle_pc_align",
    "handle_sp_align",
    "handle_watchpoint",
    "handle_bti_fail",
    "handle_breakpoint",
    "thread_continue",
    "Thread_continue",
    "call_continuation",
    "Call_continuation",
    "ks_dispatch",
    "ks_dispatch_kernel",
    "os_log_panic",
    "__assert_rtn",
];

/// Prefixes of the same: arm64 exception vectors and handlers, x86 trap entry points, the
/// panic helpers that format a message for panic().
pub const IRRELEVANT_PREFIXES: &[&str] = &["sleh_", "fleh_", "hndl_", "panic_", "kdp_", "Debugger"];

/// Generic helpers: kept in the signature, and the walk goes on to their caller (Socorro's
/// "prefix" list). A panic in `lck_mtx_lock` says little without who took the lock.
pub const PREFIX: &[&str] = &[
    "lck_mtx_",
    "lck_spin_",
    "lck_rw_",
    "hw_lck_",
    "hw_lock_",
    "lck_ticket_",
    "zalloc",
    "zfree",
    "zone_require",
    "kalloc",
    "kfree",
    "kheap_",
    "os_ref_",
    "memcpy",
    "memmove",
    "memset",
    "bcopy",
    "bzero",
    "__memcpy",
    "IOMalloc",
    "IOFree",
    "OSObject::release",
    "OSObject::retain",
    "OSObject::taggedRelease",
    "OSObject::taggedRetain",
    "OSMetaClassBase::",
    "ml_",
    "waitq_",
    "assert_wait",
    "thread_block",
];

fn base_name(func: &str) -> &str {
    func.trim_start_matches('_')
}

/// True for the panic path, trap handlers and continuations.
pub fn is_irrelevant(func: &str) -> bool {
    let f = base_name(func);
    IRRELEVANT.contains(&f) || IRRELEVANT_PREFIXES.iter().any(|p| f.starts_with(p))
}

/// True for generic helpers whose caller matters.
pub fn is_prefix(func: &str) -> bool {
    let f = base_name(func);
    PREFIX.iter().any(|p| f.starts_with(p))
}

/// A function name as a signature shows it: argument lists of demangled C++ names cut.
fn clean_function(func: &str) -> String {
    let f = func.trim();
    match f.find('(') {
        Some(i) if i > 0 => f[..i].to_string(),
        _ => f.to_string(),
    }
}

/// The signature of one panic.
pub fn signature(report: &PanicReport, d: &Diagnosis, sym: Option<&Symbolication>) -> Signature {
    let class = d.class;
    let family = class.family();
    let message = match family {
        ClassFamily::Fault | ClassFamily::Intel => None,
        _ => message_key(report),
    };
    let reporter_only = matches!(
        family,
        ClassFamily::Watchdog | ClassFamily::Coprocessor | ClassFamily::Hardware
    );
    let (frames, build_specific) = if reporter_only {
        (Vec::new(), false)
    } else {
        match sym.and_then(|s| symbolicated_frames(d, s)) {
            Some(f) => (f, false),
            None => keepsyms_frames(report)
                .map(|f| (f, false))
                .unwrap_or_else(|| placed_frames(report, family)),
        }
    };
    let kext = d
        .suspects
        .iter()
        .find(|s| s.is_third_party_culprit() || (s.third_party && s.implicated()))
        .map(|s| kext_key(&s.bundle_id))
        .filter(|k| !frames.iter().any(|f| f.starts_with(k.as_str())));
    let mut parts: Vec<String> = vec![class.as_str().to_string()];
    parts.extend(message.clone());
    parts.extend(frames.iter().cloned());
    if let Some(k) = &kext {
        parts.push(format!("kext:{k}"));
    }
    // A fault with nothing else to tell it apart (a fragment without backtrace): the process
    // that ran into it, rather than one bucket for every such fragment.
    if message.is_none() && frames.is_empty() && kext.is_none() {
        match d.panic.process.as_deref().filter(|p| !p.is_empty()) {
            Some(p) => parts.push(format!("process:{p}")),
            // Socorro's "EMPTY: no frame data": a bucket of logs too short to tell apart,
            // and saying so, rather than a class that looks like one bug.
            None if matches!(family, ClassFamily::Fault | ClassFamily::Intel) => {
                parts.push("(no frames)".to_string())
            }
            None => {}
        }
    }
    Signature {
        text: parts.join(" | "),
        class,
        message,
        frames,
        kext,
        build_specific,
    }
}

/// A suspect's name as a signature part. A kext known only as a full panic's image
/// (`image #233 [UUID] at 0x…`) is its UUID: the address moves with the slide.
fn kext_key(name: &str) -> String {
    match (name.find('['), name.find(']')) {
        (Some(a), Some(b)) if b > a && name.starts_with("image ") => {
            format!("image-{}", &name[a + 1..b])
        }
        _ => name.to_string(),
    }
}

/// Frames by function name from a symbolication; `None` when no frame of the panicked thread
/// resolved (then the log alone decides).
fn symbolicated_frames(d: &Diagnosis, s: &Symbolication) -> Option<Vec<String>> {
    let fault = matches!(d.class.family(), ClassFamily::Fault | ClassFamily::Intel);
    let mut names: Vec<String> = Vec::new();
    if fault {
        let site = s.registers.iter().find(|r| {
            matches!(
                r.name,
                Register::ExceptionPc | Register::TrapAddress | Register::Pc | Register::Rip
            ) && r.frame.is_resolved()
        });
        names.extend(site.and_then(|r| frame_name(&r.frame)));
    }
    let resolved = !names.is_empty() || s.backtrace.iter().any(kpanic::Frame::is_resolved);
    if !resolved {
        return None;
    }
    names.extend(s.backtrace.iter().filter_map(frame_name));
    Some(walk(names.into_iter()))
}

/// A symbolicated frame as a signature part: its function (`bundle.id!function` in a kext);
/// a kext frame its symbols did not resolve, `bundle.id+offset` as without symbols; `None`
/// for an unresolved kernel frame, which has nothing stable to say.
fn frame_name(f: &kpanic::Frame) -> Option<String> {
    match (f.function(), &f.kext) {
        (Some(func), Some(k)) => Some(format!("{k}!{}", clean_function(func))),
        (Some(func), None) => Some(clean_function(func)),
        (None, Some(k)) => {
            let p = f.placement.filter(|p| p.anchor.has_image_offset())?;
            Some(format!("{k}+{:#x}", p.offset))
        }
        (None, None) => None,
    }
}

/// Socorro's walk: skip the irrelevant, keep prefix frames and go on, stop after the first
/// frame that is neither (or at [`MAX_FRAMES`]).
fn walk(names: impl Iterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for n in names {
        let func = n.rsplit('!').next().unwrap_or(&n);
        if is_irrelevant(func) {
            continue;
        }
        // The same function twice in a row (recursion, a fault site that is also the first
        // return address) says nothing more.
        if out.last() == Some(&n) {
            continue;
        }
        let prefix = is_prefix(func);
        out.push(n);
        if !prefix || out.len() >= MAX_FRAMES {
            break;
        }
    }
    out
}

/// Intel logs taken with `keepsyms=1` name each frame's symbol themselves.
fn keepsyms_frames(r: &PanicReport) -> Option<Vec<String>> {
    let bt = r.backtrace.as_ref()?;
    if bt.frames.iter().all(|f| f.symbol.is_none()) {
        return None;
    }
    let names = bt.frames.iter().filter_map(|f| {
        let s = f.symbol.as_ref()?;
        let func = clean_function(&kpanic_symbols_demangle(&s.symbol));
        Some(if s.image == "mach_kernel" {
            func
        } else {
            format!("{}!{func}", s.image)
        })
    });
    let out = walk(names);
    (!out.is_empty()).then_some(out)
}

/// C++ symbols as printed by keepsyms are mangled (`__ZN…`), with one underscore more than
/// the Itanium ABI's: the symbols crate's demangler names them.
fn kpanic_symbols_demangle(s: &str) -> String {
    kpanic_symbols::demangle_symbol(s).into_owned()
}

/// Without symbols: the fault site (exception pc, trap address) or the panic caller, as
/// `image+offset`, and the innermost third-party kext frame of the backtrace when it is
/// another image.
fn placed_frames(r: &PanicReport, family: ClassFamily) -> (Vec<String>, bool) {
    let placer = Placer::new(r);
    let fault = matches!(family, ClassFamily::Fault | ClassFamily::Intel);
    let site = if fault {
        r.panic
            .as_ref()
            .and_then(|p| {
                p.exception
                    .as_ref()
                    .and_then(|e| e.pc)
                    .or(p.trap.as_ref().map(|t| t.address))
            })
            .or_else(|| {
                r.register("pc")
                    .or_else(|| r.register("RIP"))
                    .map(RuntimeAddr)
            })
    } else {
        None
    };
    let site = site.or_else(|| r.panic.as_ref().and_then(|p| p.caller));
    let mut frames = Vec::new();
    let mut build_specific = false;
    if let Some(a) = site {
        if let Some((name, kernel)) = place(r, &placer, a) {
            build_specific |= kernel;
            frames.push(name);
        }
    }
    // The innermost frame in a third-party kext: the driver that called into the kernel.
    let kext_frame = r.backtrace.as_ref().and_then(|bt| {
        bt.frames.iter().find_map(|f| {
            let k = placer.table().kext_at(f.address)?;
            k.third_party
                .then(|| place(r, &placer, f.address))
                .flatten()
        })
    });
    if let Some((name, _)) = kext_frame {
        let image = name.split('+').next().unwrap_or("");
        if !frames.iter().any(|f| f.starts_with(image)) {
            frames.push(name);
        }
    }
    (frames, build_specific)
}

/// `image+0xoffset` for `a`, and whether it is a kernel offset (build-specific).
fn place(r: &PanicReport, placer: &Placer, a: RuntimeAddr) -> Option<(String, bool)> {
    let p = placer.place_runtime(a).ok()?;
    let (image, kernel) = match &p.image {
        ImageKey::Kernel => (kernel_name(r), true),
        ImageKey::Kext { bundle_id, .. } => (bundle_id.clone(), false),
        ImageKey::Image { index, .. } => (format!("image{index}"), true),
    };
    Some(match p.anchor {
        Anchor::Segment(_) => (format!("{image}+{:#x}", p.offset), kernel),
        Anchor::SymbolFile | Anchor::Kernelcache => (format!("{image}@{:#x}", p.offset), kernel),
    })
}

/// The kernel as a build: `kernel.release.t8112/24E248`, else by its UUID, else `kernel`.
fn kernel_name(r: &PanicReport) -> String {
    let os = crate::record::os_build(r);
    let file = r
        .system
        .kernel_variant
        .as_ref()
        .map(|v| v.kdk_kernel_name())
        .unwrap_or_else(|| "kernel".to_string());
    match (os, r.system.kernel_uuid) {
        (Some(os), _) => format!("{file}/{os}"),
        (None, Some(u)) => format!("{file}/{u}"),
        (None, None) => file,
    }
}

/// The panic message (first line, source location apart), with what varies between two
/// occurrences of the same bug taken out; `file:line` of the location appended.
pub fn message_key(r: &PanicReport) -> Option<String> {
    let p = r.panic.as_ref()?;
    let reason = if p.reason.trim().is_empty() {
        &p.message
    } else {
        &p.reason
    };
    let first = reason.lines().next().unwrap_or("");
    let mut key = normalize_message(first);
    // The file, not the line: lines move between builds (the IONVMeController.cpp assertion
    // of the two NVMe corpus logs is line 5320 on 10.15.7 and 5472 on 11.2).
    if let Some(loc) = &p.location {
        let file = loc.file.rsplit('/').next().unwrap_or(&loc.file);
        key.push_str(&format!(" @{file}"));
    }
    let key = key.trim().to_string();
    (!key.is_empty()).then_some(key)
}

/// Addresses to `0x?`, UUIDs to `<uuid>`, bare hex words to `<hex>`, numbers to `N` (but not
/// the digits of names: `kalloc.80`, `AMCC0`, `M3_AIC`), whitespace collapsed, cut to
/// [`MAX_MESSAGE`] characters.
pub fn normalize_message(s: &str) -> String {
    // Intel messages keep the `\n` escapes of the format string; a source path inside the
    // message (`"…"@/BuildRoots/…/file.c:12`) is its location: the file name is enough.
    let s = s.replace("\\n", " ");
    let s: Vec<String> = s
        .split_whitespace()
        .map(
            |w| match w.find("@/").or_else(|| w.starts_with('/').then_some(0)) {
                Some(at) if w[at..].matches('/').count() > 1 => {
                    let file = w.rsplit('/').next().unwrap_or(w);
                    let file = file.split(':').next().unwrap_or(file);
                    format!("{}@{file}", w[..at].trim_end_matches('@'))
                }
                _ => w.to_string(),
            },
        )
        .collect();
    let s = s.join(" ");
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '.';
    while i < chars.len() {
        let c = chars[i];
        let starts_word = i == 0 || !ident(chars[i - 1]);
        if c.is_whitespace() {
            if !out.ends_with(' ') && !out.is_empty() {
                out.push(' ');
            }
            i += 1;
            continue;
        }
        if starts_word && c.is_ascii_hexdigit() {
            // The whole word: letters, digits, `-` inside UUIDs.
            let mut j = i;
            while j < chars.len()
                && (chars[j].is_ascii_alphanumeric() || chars[j] == '-' || chars[j] == '.')
            {
                j += 1;
            }
            // A full stop ends the sentence, not the number.
            while j > i && chars[j - 1] == '.' {
                j -= 1;
            }
            let word: String = chars[i..j].iter().collect();
            if let Some(rep) = number_like(&word) {
                out.push_str(rep);
                i = j;
                continue;
            }
            // Only the leading digits of e.g. `12.5s`, `305seconds`.
            if c.is_ascii_digit() {
                let mut k = i;
                while k < chars.len() && (chars[k].is_ascii_digit() || chars[k] == '.') {
                    k += 1;
                }
                out.push('N');
                i = k;
                continue;
            }
        }
        out.push(c);
        i += 1;
    }
    let out = out.trim().to_string();
    if out.chars().count() > MAX_MESSAGE {
        out.chars().take(MAX_MESSAGE).collect()
    } else {
        out
    }
}

/// What a word that starts like a number stands for, when it is one.
fn number_like(w: &str) -> Option<&'static str> {
    let lower = w.to_ascii_lowercase();
    if let Some(hex) = lower.strip_prefix("0x") {
        return hex.bytes().all(|b| b.is_ascii_hexdigit()).then_some("0x?");
    }
    let hexdig = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit());
    let parts: Vec<&str> = lower.split('-').collect();
    if parts.len() == 5 && parts.iter().all(|p| hexdig(p)) && lower.len() == 36 {
        return Some("<uuid>");
    }
    if lower.bytes().all(|b| b.is_ascii_digit()) {
        return Some("N");
    }
    // A bare hex word (`fffffe0012345678`, `deadbeef00`) with digits in it.
    if lower.len() >= 8 && hexdig(&lower) && lower.bytes().any(|b| b.is_ascii_digit()) {
        return Some("<hex>");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_lose_what_varies_and_keep_names() {
        assert_eq!(
            normalize_message(
                "watchdog timeout: no checkins from watchdogd in 305 seconds (30 total checkins since monitoring last enabled)"
            ),
            "watchdog timeout: no checkins from watchdogd in N seconds (N total checkins since monitoring last enabled)"
        );
        assert_eq!(
            normalize_message("a freed zone element has been modified in zone kalloc.4096: expected 0xc0ffee but found 0x0"),
            "a freed zone element has been modified in zone kalloc.N: expected 0x? but found 0x?"
                .replace("kalloc.N", "kalloc.4096")
        );
        assert_eq!(
            normalize_message("AMCC0 DCS GROUP 0 CHANNEL 12 M3_AIC_IRQ_EN_FLD error"),
            "AMCC0 DCS GROUP N CHANNEL N M3_AIC_IRQ_EN_FLD error"
        );
        assert_eq!(
            normalize_message(
                "boot session 0CEFCADB-EF4D-4817-A7B8-95E1F708B9C1  took 12.5s, pid 77"
            ),
            "boot session <uuid> took Ns, pid N"
        );
        assert_eq!(
            normalize_message("value fffffe0012345678 bad"),
            "value <hex> bad"
        );
    }

    #[test]
    fn panic_path_is_skipped_and_prefix_frames_kept() {
        let names = [
            "panic_trap_to_debugger",
            "_panic",
            "panic_with_thread_kernel_state",
            "sleh_synchronous",
            "lck_mtx_lock",
            "com.foo.driver!FooDevice::stop",
            "IOService::terminate",
        ];
        assert_eq!(
            walk(names.iter().map(|s| s.to_string())),
            ["lck_mtx_lock", "com.foo.driver!FooDevice::stop"]
        );
    }
}
