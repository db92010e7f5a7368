//! The fault facts of aborts and traps: the faulting address (NULL plus an offset, a
//! fill/poison pattern, a pointer a failed pointer authentication poisoned, a corrupt
//! non-canonical value, a user address, a heap address), registers holding such values, and the
//! lock and owner a lock panic names.
//!
//! - `arm64`: ESR_EL1 (exception class, fault status, read/write), PAC error bits, MTE tags.
//! - `x86`: the page-fault error code.
//! - `locks`: the lock, owner thread, owner CPU and rw mode of xnu's lock panics.

mod arm64;
mod locks;
mod x86;

use kpanic_report::{Arch, PanicReport};

pub use arm64::{
    brk_comment, decode_esr, exception_class, fault_status, mte_tag, pac_failure, PacKey,
};
pub use locks::{lock_facts, LockFacts};
pub use x86::{decode_pf_error, protection_meaning};

use super::ids::FaultId;
use super::{ClassFamily, Confidence, Ctx, Evidence, Finding, PanicClass};

/// What a pointer value looks like.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PointerKind {
    /// Below 16 KiB: NULL plus a field offset.
    Null(u64),
    /// A fill or poison pattern (`0x4141…`, `0xdeadbeef`, `0xc0ffee…`).
    Poisoned(&'static str),
    /// A kernel pointer whose top bits hold the error code a failed pointer authentication
    /// leaves (ARMv8.3 without FPAC): a signed pointer that was corrupted or forged.
    PacFailure(PacKey),
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
            PointerKind::PacFailure(k) => format!(
                "a kernel pointer poisoned by a failed pointer authentication (key {}, error code in its top bits)",
                match k {
                    PacKey::A => "A",
                    PacKey::B => "B",
                }
            ),
            PointerKind::NonCanonical => "non-canonical value (a corrupt pointer)".to_string(),
            PointerKind::User => "a user-space address".to_string(),
            PointerKind::Heap(z) => format!("a kernel heap address (zone map, {z}){}", tag_words(a)),
            PointerKind::Kernel => format!("a kernel address{}", tag_words(a)),
        }
    }

    /// True for NULL, poisoned and non-canonical pointers: ones no correct code dereferences.
    pub fn is_bad(&self) -> bool {
        matches!(
            self,
            PointerKind::Null(_)
                | PointerKind::Poisoned(_)
                | PointerKind::PacFailure(_)
                | PointerKind::NonCanonical
        )
    }
}

/// The MTE tag of a tagged arm64 kernel pointer, in words (empty when untagged).
fn tag_words(a: u64) -> String {
    mte_tag(a)
        .map(|t| format!(", MTE tag {t:#x}"))
        .unwrap_or_default()
}

/// Four equal bytes of an ASCII capital letter (`0x41414141`, 'AAAA'): the values test and
/// exploit programs spray.
fn ascii_fill(half: u64) -> bool {
    let b = half.to_le_bytes();
    half >> 32 == 0 && b[..4].iter().all(|x| *x == b[0]) && (0x41..=0x5a).contains(&b[0])
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
    if ascii_fill(hi) {
        return Some("an ASCII fill in its high half ('AAAA'-style test/exploit data)");
    }
    if hi == 0 && ascii_fill(lo) {
        return Some("an ASCII fill value ('AAAA'-style test/exploit value)");
    }
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
    if let Some(k) = pac_failure(a).filter(|_| arm) {
        return PointerKind::PacFailure(k);
    }
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

/// A fault rule: one finding or none.
type Rule = fn(&Ctx, PanicClass) -> Option<Finding>;

/// The fault rules, in the order their findings are emitted.
static RULES: &[Rule] = &[
    faulting_address,
    bad_registers,
    lock_state,
    message_syndrome,
];

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
        PointerKind::PacFailure(k) => {
            let regs: Vec<String> = r
                .registers
                .iter()
                .filter(|reg| reg.name != "far" && pac_failure(reg.value.get()).is_some())
                .map(|reg| format!("{} = {:#018x}", reg.name, reg.value.get()))
                .collect();
            let mut f = Finding::new(
                FaultId::PacFailedPointer,
                Confidence::High,
                640,
                format!("Pointer authentication failed: {label} = {a:#x} carries the error code of a failed check"),
                format!(
                    "The top bits of {label} are a kernel pointer's with the two-bit error code an AUT \
                     instruction leaves when the signature does not match (key {}); any use of it faults. A \
                     signed pointer was overwritten or forged: kernel memory corruption caught by pointer \
                     authentication.",
                    match k {
                        PacKey::A => "A: IA or DA",
                        PacKey::B => "B: IB or DB",
                    }
                ),
            )
            .evidence(Evidence::fact(format!("{label} {a:#018x}")));
            if !regs.is_empty() {
                f.evidence.push(Evidence::fact(format!(
                    "registers with the same failed-authentication pattern: {}",
                    regs.join(", ")
                )));
            }
            f.next_steps.push(
                "Find where the signed pointer was stored and what overwrote it (an overflow or use-after-free of the object holding it).".into(),
            );
            Some(f)
        }
        PointerKind::User => {
            let mut f = Finding::new(
                FaultId::UserAddressInKernel,
                Confidence::Medium,
                450,
                format!("The kernel faulted on a user-space address ({label} = {a:#x})"),
                "Kernel code dereferenced a user address directly instead of using copyin/copyout, or \
                 a kernel pointer was replaced by a user-controlled value.",
            )
            .evidence(Evidence::fact(format!("{label} {a:#018x}")));
            if let Some(m) = r
                .intel_fault
                .as_ref()
                .and_then(|x| x.error_code)
                .and_then(|ec| protection_meaning(ec.get(), a))
                .filter(|_| label == "CR2")
            {
                f.evidence.push(Evidence::fact(m));
            }
            Some(f)
        }
        _ => None,
    }
}

/// The panic message without its source location.
fn message<'a>(ctx: &Ctx<'a>) -> Option<&'a str> {
    let p = ctx.report.panic.as_ref()?;
    Some(if p.reason.trim().is_empty() {
        &p.message
    } else {
        &p.reason
    })
}

/// An abort whose syndrome only the message gives: old iOS kernels print "Kernel instruction
/// fetch abort: pc=%p iss=0x%x far=%p" (no register dump), coprocessor firmware "DATA ABORT …
/// Exception class=0x%x iss=0x%x far=…". The exception class is the message's, else the one
/// the kind of abort implies (0x21 instruction abort, 0x25 data abort, both at the same exception level).
fn message_syndrome(ctx: &Ctx, class: PanicClass) -> Option<Finding> {
    if ctx.report.register("esr").is_some() {
        return None;
    }
    let msg = message(ctx)?;
    let lower = msg.to_ascii_lowercase();
    let iss = locks::hex_after(msg, "iss=")?;
    let ec = locks::hex_after(msg, "exception class=").or_else(|| {
        if lower.contains("instruction fetch abort") || lower.contains("instruction abort") {
            Some(0x21)
        } else if lower.contains("data abort") {
            Some(0x25)
        } else {
            None
        }
    })?;
    if ec > 0x3f || iss > 0x1ff_ffff {
        return None;
    }
    let firmware = class.family() == ClassFamily::Coprocessor;
    let mut decoded = decode_esr((ec << 26) | iss);
    if firmware {
        decoded = decoded.replace("(in the kernel)", "(in the coprocessor's firmware)");
    }
    let mut explanation = if firmware {
        "The syndrome is the coprocessor's own: its firmware took this exception, not the kernel."
            .to_string()
    } else {
        "The message gives the exception syndrome (ISS) of the abort; decoded by the ARM ARM's ESR layout."
            .to_string()
    };
    if matches!(ec, 0x20 | 0x21) && (0x0c..=0x0f).contains(&(iss & 0x3f)) {
        explanation.push_str(
            " A permission fault on an instruction fetch means the code jumped into memory that is \
             mapped but not executable: a function or vtable pointer that points into data.",
        );
    }
    let f = Finding::new(
        FaultId::AbortSyndrome,
        Confidence::High,
        450,
        format!(
            "{}: {decoded}",
            if firmware {
                "Coprocessor abort syndrome"
            } else {
                "Abort syndrome"
            }
        ),
        explanation,
    )
    .evidence(Evidence::fact(format!(
        "exception class {ec:#x}, iss {iss:#x}: {decoded}"
    )));
    Some(f)
}

/// A lock panic: the lock, its owner and the owner's CPU as the message states them.
fn lock_state(ctx: &Ctx, _class: PanicClass) -> Option<Finding> {
    let p = ctx.report.panic.as_ref()?;
    let l = lock_facts(message(ctx)?)?;
    let title = format!(
        "{}{}: {}",
        l.kind[..1].to_ascii_uppercase() + &l.kind[1..],
        l.lock.map(|a| format!(" {a:#x}")).unwrap_or_default(),
        l.headline
    );
    let mut f = Finding::new(
        FaultId::LockState,
        Confidence::High,
        500,
        title,
        "What the lock panic says about the lock and its owner, read as xnu means it. The owner's \
         thread and CPU point at the code that held the lock; the lock's address at the object that \
         holds it.",
    );
    f.evidence.push(ctx.quote(p.line, &p.message));
    f.evidence.extend(l.facts.into_iter().map(Evidence::fact));
    Some(f)
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
