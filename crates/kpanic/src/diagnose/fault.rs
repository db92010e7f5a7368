//! The faulting address of aborts and traps: NULL plus an offset, a fill/poison pattern, a
//! corrupt (non-canonical) pointer, a user address, a heap address.

use kpanic_report::{Arch, PanicReport};

use super::ids::FaultId;
use super::{Confidence, Ctx, Evidence, Finding, PanicClass};

/// What a pointer value looks like.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PointerKind {
    /// Below 16 KiB: NULL plus a field offset.
    Null(u64),
    /// A fill or poison pattern (`0x4141…`, `0xdeadbeef`, `0xc0ffee…`).
    Poisoned(&'static str),
    /// Neither a user nor a kernel address: corrupt.
    NonCanonical,
    /// A user-space address dereferenced by the kernel.
    User,
    /// Inside the zone map (kernel heap); the zone range name.
    Heap(String),
    /// Some other kernel address.
    Kernel,
}

impl PointerKind {
    /// Words for the address `a` of this kind (`NULL pointer`, `a kernel heap address (zone map, …)`).
    pub fn describe(&self, a: u64) -> String {
        match self {
            PointerKind::Null(0) => "NULL pointer".to_string(),
            PointerKind::Null(_) => format!("NULL pointer + {a:#x} (a field of a NULL object)"),
            PointerKind::Poisoned(p) => format!("fill/poison pattern {p}"),
            PointerKind::NonCanonical => "non-canonical value (a corrupt pointer)".to_string(),
            PointerKind::User => "a user-space address".to_string(),
            PointerKind::Heap(z) => format!("a kernel heap address (zone map, {z})"),
            PointerKind::Kernel => "a kernel address".to_string(),
        }
    }

    /// True for NULL, poisoned and non-canonical pointers: ones no correct code dereferences.
    pub fn is_bad(&self) -> bool {
        matches!(
            self,
            PointerKind::Null(_) | PointerKind::Poisoned(_) | PointerKind::NonCanonical
        )
    }
}

/// A recognised fill/poison pattern in `a`.
pub fn poison_pattern(a: u64) -> Option<&'static str> {
    let bytes = a.to_le_bytes();
    if bytes.iter().all(|b| *b == bytes[0]) && bytes[0] != 0 && bytes[0] != 0xff {
        return Some(match bytes[0] {
            0x41 => "0x4141414141414141 ('AAAAAAAA': test/exploit fill)",
            0x42 => "0x4242424242424242 ('BBBBBBBB': test/exploit fill)",
            0xaa => "0xaaaaaaaaaaaaaaaa (uninitialised fill)",
            0xcc => "0xcccccccccccccccc (uninitialised fill)",
            0xde => "0xdededededededede (freed fill)",
            _ => "a repeated byte (fill pattern)",
        });
    }
    let lo = a & 0xffff_ffff;
    let hi = a >> 32;
    if lo == 0xdeadbeef || hi == 0xdeadbeef {
        return Some("0xdeadbeef (xnu's free-element poison)");
    }
    if a >> 40 == 0xc0ffee {
        return Some("0xc0ffee… (zone free-list cookie: the memory was freed)");
    }
    if lo == 0xfacefeed || lo == 0xbaddecaf || lo == 0xdeadc0de || lo == 0xfeedface {
        return Some("a well-known debug/poison constant");
    }
    None
}

/// What `a` points to, as far as the log tells.
pub fn classify_pointer(a: u64, r: &PanicReport) -> PointerKind {
    if a < 0x4000 {
        return PointerKind::Null(a);
    }
    if let Some(p) = poison_pattern(a) {
        return PointerKind::Poisoned(p);
    }
    let arm = r.arch != Some(Arch::X86_64);
    // arm64 ignores the top byte (MTE tag / TBI): kernel addresses have bits 41..55 set
    // (macOS 0xfffffe…, iOS 0xffffffe…/0xfffffff…); x86_64 kernel addresses are canonical-high.
    let untagged = if arm { a | 0xff00_0000_0000_0000 } else { a };
    let kernel_like = if arm {
        (a & 0x00ff_ffff_ffff_ffff) >> 41 == 0x7fff
    } else {
        a >> 47 == 0x1ffff
    };
    if kernel_like {
        if let Some(z) = &r.zone_info {
            if let Some(range) = z
                .ranges
                .iter()
                .filter(|z| z.name != "Zone map")
                .find(|z| z.start.get() <= untagged && untagged < z.end.get())
            {
                return PointerKind::Heap(range.name.clone());
            }
        }
        return PointerKind::Kernel;
    }
    if a < 1u64 << 47 {
        return PointerKind::User;
    }
    PointerKind::NonCanonical
}

/// ESR_EL1 in words: exception class, read/write, fault status.
pub fn decode_esr(esr: u64) -> String {
    let ec = (esr >> 26) & 0x3f;
    let iss = esr & 0x1ff_ffff;
    let class = match ec {
        0x25 => "data abort taken in the kernel",
        0x24 => "data abort from user mode",
        0x21 => "instruction abort taken in the kernel",
        0x20 => "instruction abort from user mode",
        0x3c => "BRK instruction (assertion / ptrauth trap)",
        0x00 => "unknown reason (undefined instruction)",
        0x22 => "PC alignment fault",
        0x26 => "SP alignment fault",
        _ => "exception",
    };
    if !matches!(ec, 0x20 | 0x21 | 0x24 | 0x25) {
        return format!("EC {ec:#x} = {class}");
    }
    let dfsc = iss & 0x3f;
    let level = dfsc & 3;
    let status = match dfsc {
        0x00..=0x03 => format!("address size fault, level {level}"),
        0x04..=0x07 => format!("translation fault, level {level} (no mapping)"),
        0x08..=0x0b => format!("access flag fault, level {level}"),
        0x0c..=0x0f => format!("permission fault, level {level}"),
        0x10 => "synchronous external abort (bus error)".to_string(),
        0x11 => "tag check fault (MTE)".to_string(),
        0x21 => "alignment fault".to_string(),
        0x30 => "TLB conflict".to_string(),
        _ => format!("fault status {dfsc:#x}"),
    };
    let rw = if matches!(ec, 0x24 | 0x25) {
        if iss & (1 << 6) != 0 {
            ", on a write"
        } else {
            ", on a read"
        }
    } else {
        ""
    };
    format!("{class}, {status}{rw}")
}

/// Intel page-fault error code in words.
pub fn decode_pf_error(ec: u64) -> String {
    let present = if ec & 1 != 0 {
        "protection violation on a present page"
    } else {
        "page not present"
    };
    let rw = if ec & 2 != 0 { "write" } else { "read" };
    let mode = if ec & 4 != 0 {
        "user mode"
    } else {
        "kernel mode"
    };
    let fetch = if ec & 16 != 0 {
        ", instruction fetch"
    } else {
        ""
    };
    format!("{present}, {rw} in {mode}{fetch}")
}

/// A fault rule: one finding or none.
type Rule = fn(&Ctx, PanicClass) -> Option<Finding>;

/// The fault rules, in the order their findings are emitted.
static RULES: &[Rule] = &[faulting_address, bad_registers];

/// Findings about the faulting address and register values.
pub fn findings(ctx: &Ctx, class: PanicClass) -> Vec<Finding> {
    RULES.iter().filter_map(|rule| rule(ctx, class)).collect()
}

/// The type of the Intel trap, when the panic is one.
fn trap_type(r: &PanicReport) -> Option<u32> {
    r.panic
        .as_ref()
        .and_then(|p| p.trap.as_ref())
        .and_then(|t| t.trap_type)
}

/// The faulting address and the register it is in: `far` of an arm64 abort, `CR2` of an
/// Intel page fault.
fn fault_address(r: &PanicReport, class: PanicClass) -> Option<(u64, &'static str)> {
    if class.has_far() {
        r.register("far").map(|a| (a, "far"))
    } else if trap_type(r) == Some(14) {
        r.intel_fault
            .as_ref()
            .and_then(|x| x.cr2)
            .map(|h| h.get())
            .or_else(|| r.register("CR2"))
            .map(|a| (a, "CR2"))
    } else {
        None
    }
}

/// The faulting address is NULL plus an offset, a poison pattern, corrupt or a user address.
fn faulting_address(ctx: &Ctx, class: PanicClass) -> Option<Finding> {
    let r = ctx.report;
    let (a, label) = fault_address(r, class)?;
    match classify_pointer(a, r) {
        PointerKind::Null(off) => {
            let f = Finding::new(
                FaultId::NullPointerDereference,
                Confidence::High,
                600,
                format!("NULL pointer dereference: {label} = {a:#x}"),
                if off == 0 {
                    "The kernel dereferenced a NULL pointer.".to_string()
                } else {
                    format!(
                        "The faulting address is {off:#x}: the code read or wrote the field at offset {off:#x} \
                         of an object whose pointer was NULL. Often a teardown race (the object was released \
                         or never set up while another thread still used it)."
                    )
                },
            )
            .evidence(Evidence::fact(format!("{label} {a:#018x}")))
            .step("Symbolicate pc/RIP: the structure accessed at that offset names the NULL object.")
            .step("Look for a concurrent close/terminate/stop of the same object in the panicked process or driver.");
            Some(f)
        }
        PointerKind::Poisoned(p) => Some(poisoned(ctx, label, a, p)),
        PointerKind::NonCanonical => Some(
            Finding::new(
                FaultId::CorruptPointer,
                Confidence::Medium,
                550,
                format!("Corrupt pointer: {label} = {a:#x} is not a valid address"),
                "The faulting address is neither a user nor a kernel address: the pointer was overwritten \
                 (heap overflow, use-after-free with a reallocated object, or a type confusion).",
            )
            .evidence(Evidence::fact(format!("{label} {a:#018x}")))
            .step("Find where the pointer was loaded from (symbolicate pc and the previous frame) and what overwrote it."),
        ),
        PointerKind::User => Some(
            Finding::new(
                FaultId::UserAddressInKernel,
                Confidence::Medium,
                450,
                format!("The kernel faulted on a user-space address ({label} = {a:#x})"),
                "Kernel code dereferenced a user address directly instead of using copyin/copyout, or \
                 a kernel pointer was replaced by a user-controlled value.",
            )
            .evidence(Evidence::fact(format!("{label} {a:#018x}"))),
        ),
        _ => None,
    }
}

/// Registers with a fill/poison pattern or a non-canonical value: on a GP fault the bad
/// pointer is there, and in data aborts they show attacker/test-controlled data. Not when the
/// faulting address itself is poisoned (that finding names the registers that hold it).
fn bad_registers(ctx: &Ctx, class: PanicClass) -> Option<Finding> {
    let r = ctx.report;
    let trap_type = trap_type(r);
    if fault_address(r, class)
        .is_some_and(|(a, _)| matches!(classify_pointer(a, r), PointerKind::Poisoned(_)))
    {
        return None;
    }
    let mut flagged: Vec<(String, u64, PointerKind)> = Vec::new();
    for reg in &r.registers {
        let n = reg.name.as_str();
        if matches!(
            n,
            "far"
                | "esr"
                | "cpsr"
                | "pc"
                | "lr"
                | "sp"
                | "fp"
                | "CR0"
                | "CR2"
                | "CR3"
                | "CR4"
                | "RFL"
                | "CS"
                | "SS"
                | "RIP"
                | "RSP"
                | "RBP"
        ) {
            continue;
        }
        let v = reg.value.get();
        let k = classify_pointer(v, r);
        let interesting = match &k {
            PointerKind::Poisoned(_) => true,
            PointerKind::NonCanonical => trap_type == Some(13),
            _ => false,
        };
        if interesting {
            flagged.push((reg.name.clone(), v, k));
        }
    }
    if flagged.is_empty() {
        return None;
    }
    {
        let any_poison = flagged
            .iter()
            .any(|(_, _, k)| matches!(k, PointerKind::Poisoned(_)));
        let list: Vec<String> = flagged
            .iter()
            .map(|(n, v, k)| format!("{n} = {v:#018x}: {}", k.describe(*v)))
            .collect();
        let mut f = if any_poison {
            Finding::new(
                FaultId::PoisonedPointer,
                Confidence::Medium,
                if trap_type == Some(13) { 580 } else { 400 },
                format!(
                    "Registers hold a fill/poison pattern ({})",
                    flagged.iter().map(|(n, _, _)| n.as_str()).collect::<Vec<_>>().join(", ")
                ),
                "Register values with a fill or poison pattern mean the code was working with freed memory \
                 (xnu poisons freed elements) or with data an attacker/test program sprayed.",
            )
        } else {
            Finding::new(
                FaultId::CorruptPointer,
                Confidence::Medium,
                560,
                format!(
                    "Non-canonical value in {}: the pointer that caused the general protection fault",
                    flagged.iter().map(|(n, _, _)| n.as_str()).collect::<Vec<_>>().join(", ")
                ),
                "A general protection fault on x86_64 is raised by a non-canonical address; the register \
                 holding one is the bad pointer.",
            )
        };
        for l in list {
            f.evidence.push(Evidence::fact(l));
        }
        f.next_steps.push(
            "Find the object the bad pointer was loaded from: it was freed or overwritten before this use.".into(),
        );
        Some(f)
    }
}

fn poisoned(ctx: &Ctx, label: &str, a: u64, p: &str) -> Finding {
    let regs: Vec<String> = ctx
        .report
        .registers
        .iter()
        .filter(|r| r.value.get() == a && r.name != label && r.name != "far")
        .map(|r| r.name.clone())
        .collect();
    let mut f = Finding::new(
        FaultId::PoisonedPointer,
        Confidence::High,
        620,
        format!("The faulting address is a fill/poison pattern: {label} = {a:#x}"),
        format!(
            "{label} is {p}. The kernel followed a pointer taken from memory that held this pattern: \
             freed memory, or data sprayed by a test/exploit program (a controlled pointer is a security \
             bug)."
        ),
    )
    .evidence(Evidence::fact(format!("{label} {a:#018x}")));
    if !regs.is_empty() {
        f.evidence.push(Evidence::fact(format!(
            "the same value is in {}",
            regs.join(", ")
        )));
    }
    f.next_steps.push(
        "Find the object the pointer was loaded from: it was freed (use-after-free) or overwritten (overflow) with controlled data.".into(),
    );
    f
}
