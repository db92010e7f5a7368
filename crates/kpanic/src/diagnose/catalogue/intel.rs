//! Intel kernel traps: page faults, general protection and double faults, and traps whose
//! RIP lies in a kext.

use super::text::demangle_short;
use super::ClassInfo;
use crate::diagnose::fault;
use crate::diagnose::PanicClass;
use crate::diagnose::{Ctx, Evidence, Finding};
use crate::symbolicate::Register;

pub(super) const INTEL_KEXT_TRAP: ClassInfo = ClassInfo {
    id: PanicClass::IntelKextTrap,
    name: "kernel trap inside a kext (Intel)",
    explanation: "The CPU faulted (page fault or general protection) on an instruction inside a kernel extension: \
        that kext dereferenced a bad pointer. The kext whose range holds the faulting RIP is the first suspect.",
    next_steps: &[
        "Symbolicate RIP and the backtrace with the kext's dSYM (--symbols).",
        "Update or remove the kext; if it is Apple's, look at the third-party kexts and devices that talk to it.",
    ],
};

pub(super) const INTEL_PAGE_FAULT: ClassInfo = ClassInfo {
    id: PanicClass::IntelPageFault,
    name: "kernel page fault (Intel)",
    explanation: "The kernel touched an unmapped address (trap type 14). `CR2` is the address: a small value is a \
        NULL pointer plus a field offset, a high kernel address a freed or corrupt pointer. The error code says \
        whether it was a read or a write and whether the page was present.",
    next_steps: &[
        "Symbolicate RIP and the backtrace with the KDK (--kdk): the faulting function and field.",
        "Look at the process named in the log: what it was doing (system call, I/O, IOKit call).",
    ],
};

pub(super) const INTEL_GENERAL_PROTECTION: ClassInfo = ClassInfo {
    id: PanicClass::IntelGeneralProtection,
    name: "general protection fault (Intel)",
    explanation: "The CPU refused an access (trap type 13), almost always because a pointer was non-canonical: \
        garbage or a poisoned value from freed memory. On a GP fault CR2 is stale: the bad value is in the \
        registers, not in CR2.",
    next_steps: &[
        "Look at the registers flagged below: the non-canonical one is the bad pointer.",
        "Symbolicate RIP; a poisoned pattern means use-after-free of the object that held that pointer.",
    ],
};

pub(super) const INTEL_DOUBLE_FAULT: ClassInfo = ClassInfo {
    id: PanicClass::IntelDoubleFault,
    name: "double fault (Intel)",
    explanation: "A fault happened while handling another fault, which on x86_64 kernels is almost always a kernel \
        stack overflow (deep recursion, a huge local buffer) or a corrupted stack pointer.",
    next_steps: &[
        "Look for recursion in the backtrace (the same frames repeating).",
        "Third-party kexts with deep call chains (filesystems, network filters) are usual suspects.",
    ],
};

pub(super) const INTEL_KERNEL_TRAP: ClassInfo = ClassInfo {
    id: PanicClass::IntelKernelTrap,
    name: "kernel trap (Intel)",
    explanation: "The CPU raised an exception in kernel mode that the kernel could not handle.",
    next_steps: &["Symbolicate RIP and the backtrace with the KDK (--kdk)."],
};

/// Intel ≤ 10.15 kexts live in 0xffffff7f80000000..0xffffff8000000000 (the kernel above).
pub fn in_legacy_kext_region(a: u64) -> bool {
    (0xffff_ff7f_0000_0000..0xffff_ff80_0000_0000).contains(&a)
}

/// In a keepsyms backtrace: the kext frame right after the second `return_from_trap` /
/// `trap_from_kernel` (the first is the panic's own debugger trap).
pub(super) fn trap_kext_from_keepsyms(ctx: &Ctx) -> Option<(String, usize)> {
    let bt = ctx.report.backtrace.as_ref()?;
    let has_kernel_trap = bt.frames.iter().any(|f| {
        f.symbol
            .as_ref()
            .is_some_and(|s| s.symbol.contains("kernel_trap"))
    });
    if !has_kernel_trap {
        return None;
    }
    let mut traps = 0;
    for (i, f) in bt.frames.iter().enumerate() {
        let Some(s) = &f.symbol else { continue };
        if s.symbol.contains("return_from_trap") || s.symbol.contains("trap_from_kernel") {
            traps += 1;
            if traps == 2 {
                let next = bt.frames.get(i + 1)?;
                let img = next.symbol.as_ref().map(|s| s.image.clone())?;
                if img != "mach_kernel" {
                    return Some((img, next.line));
                }
                return None;
            }
        }
    }
    None
}

pub(super) fn intel_trap(ctx: &Ctx, f: &mut Finding, id: PanicClass, proc_: Option<&str>) {
    let r = ctx.report;
    let trap = r.panic.as_ref().and_then(|p| p.trap.as_ref());
    let cr2 = r
        .intel_fault
        .as_ref()
        .and_then(|x| x.cr2)
        .map(|h| h.get())
        .or_else(|| r.register("CR2"));
    let tname = match trap.and_then(|t| t.trap_type) {
        Some(14) => "Page fault".to_string(),
        Some(13) => "General protection fault".to_string(),
        Some(8) => "Double fault".to_string(),
        Some(n) => format!("Kernel trap type {n}"),
        None if id == PanicClass::IntelDoubleFault => "Double fault".to_string(),
        None => "Kernel trap".to_string(),
    };
    let kext = trap
        .and_then(|t| ctx.kext_at(t.address))
        .map(|k| (k.bundle_id.clone(), k.third_party))
        .or_else(|| {
            trap_kext_from_keepsyms(ctx).map(|(img, _)| {
                let tp = !img.starts_with("com.apple.");
                (img, tp)
            })
        });
    // keepsyms: the kernel named the faulting frame itself.
    let keepsyms_at = trap.and_then(|t| {
        r.backtrace.as_ref()?.frames.iter().find_map(|fr| {
            (fr.address == t.address)
                .then_some(fr.symbol.as_ref())
                .flatten()
                .map(|s| (demangle_short(&s.symbol), s.image.clone(), fr.line))
        })
    });
    let mut title = tname.clone();
    if id == PanicClass::IntelKextTrap {
        match &kext {
            Some((b, tp)) => title.push_str(&format!(
                " inside {}kext {b}",
                if *tp { "third-party " } else { "Apple " }
            )),
            None => title.push_str(" inside a kext"),
        }
    } else {
        title.push_str(" in the kernel");
    }
    if let Some((func, _, _)) = &keepsyms_at {
        title.push_str(&format!(" at {func}"));
    }
    if let Some(p) = proc_ {
        title.push_str(&format!(" ({p})"));
    }
    if let Some((func, img, line)) = &keepsyms_at {
        f.evidence.push(Evidence::line(
            format!("faulting frame (keepsyms): {img} : {func}"),
            *line,
        ));
    }
    if trap.and_then(|t| t.trap_type) == Some(14) {
        if let Some(a) = cr2 {
            let k = fault::classify_pointer(a, r);
            title.push_str(&format!(": {} (CR2 {a:#x})", k.describe(a)));
        }
    }
    if r.panic.is_none() {
        title.push_str(" — reconstructed from a fragment (no panic line)");
        if let Some((img, line)) = trap_kext_from_keepsyms(ctx) {
            f.evidence
                .push(ctx.quote(line, &format!("the frame after the trap is in {img}")));
            f.evidence.push(Evidence::fact(
                "the keepsyms backtrace runs kernel_trap → panic, and the trap returned into this kext",
            ));
        }
    }
    f.title = title;
    if let Some(t) = trap {
        f.evidence.push(Evidence::fact(format!(
            "trap at {} ({})",
            t.address,
            t.trap_name.as_deref().unwrap_or(&tname)
        )));
        if let Some(k) = ctx.kext_at(t.address) {
            f.evidence.push(Evidence::fact(format!(
                "RIP {} is inside {} ({} @{}…)",
                t.address,
                k.bundle_id,
                k.version.as_deref().unwrap_or("?"),
                k.start.map(|s| s.to_string()).unwrap_or_default()
            )));
        }
    }
    if let Some(fr) = ctx
        .sym_register(Register::Rip)
        .or_else(|| ctx.sym_register(Register::TrapAddress))
    {
        f.evidence
            .push(Evidence::fact(format!("RIP: {}", fr.describe())));
    }
    if let Some(x) = &r.intel_fault {
        f.evidence.push(ctx.quote(x.line, "Fault CR2 line"));
        if let Some(ec) = x.error_code {
            if trap.and_then(|t| t.trap_type) == Some(14) {
                f.evidence.push(Evidence::fact(format!(
                    "error code {ec}: {}",
                    fault::decode_pf_error(ec.get())
                )));
            }
        }
    }
    if let Some(a) = cr2 {
        if trap.and_then(|t| t.trap_type) == Some(13) {
            f.evidence.push(Evidence::fact(format!(
                "CR2 {a:#x} is stale on a general protection fault: the bad value is in a register"
            )));
        }
    }
}
