//! arm64 kernel faults: data and instruction aborts, unaligned accesses, pointer
//! authentication failures, undefined instructions and MTE tag check faults. The faulting
//! address (`far`) and the syndrome (`esr`) carry most of the diagnosis.

use crate::symbolicate::Register;
use kpanic_report::RuntimeAddr;

use super::text::value_after;
use super::{origin, ClassInfo};
use crate::diagnose::fault::{self, PointerKind};
use crate::diagnose::{shorten, Confidence, Ctx, Evidence, Finding, PanicClass};

pub(super) const MTE_TAG_CHECK_FAULT: ClassInfo = ClassInfo {
    id: PanicClass::MteTagCheckFault,
    name: "MTE tag check fault",
    explanation: "Memory Tagging (MTE) caught the kernel using a pointer whose tag does not match the tag of the \
        memory it points to: the object was freed and reallocated (use-after-free) or the access ran out of \
        bounds. The code at pc is the one that used the stale pointer; the bug is where the pointer was kept \
        past the object's life.",
    next_steps: &[
        "Symbolicate pc/lr (--kdk / --kernelcache) and find which object the stale pointer referred to.",
        "Look at the process that triggered it: a test or exploit program (TestPOC, fuzzers) means a reproducible kernel bug to report.",
        "Look for a race: two threads of the panicked process using and releasing the same object (user client close vs. method call).",
    ],
};

pub(super) const PAC_FAILURE: ClassInfo = ClassInfo {
    id: PanicClass::PacFailure,
    name: "pointer authentication failure",
    explanation: "A signed kernel pointer (return address, function pointer, vtable) failed its PAC check: it was \
        overwritten or taken from freed memory. This is memory corruption caught on use.",
    next_steps: &[
        "Symbolicate the faulting pc to find which pointer was authenticated.",
        "Treat it as memory corruption: look for use-after-free in the object that held the pointer.",
    ],
};

pub(super) const UNALIGNED_ABORT: ClassInfo = ClassInfo {
    id: PanicClass::UnalignedAbort,
    name: "unaligned kernel data abort",
    explanation: "The kernel accessed memory through a misaligned address with an instruction that needs \
        alignment (atomic or exclusive access, device memory). Usually a corrupted pointer or a packed \
        structure used with atomics.",
    next_steps: &[
        "Symbolicate pc and look at the access: which structure, and why the address is misaligned.",
    ],
};

pub(super) const KERNEL_INSTRUCTION_ABORT: ClassInfo = ClassInfo {
    id: PanicClass::KernelInstructionAbort,
    name: "kernel instruction fetch abort",
    explanation: "The kernel jumped to an address that is not executable kernel code: a corrupted function pointer, \
        a call through freed memory, or a return to a smashed stack.",
    next_steps: &[
        "Look at lr (the caller that made the bad jump) and symbolicate it.",
        "Treat as memory corruption: find where the function pointer came from.",
    ],
};

pub(super) const KERNEL_DATA_ABORT: ClassInfo = ClassInfo {
    id: PanicClass::KernelDataAbort,
    name: "kernel data abort",
    explanation: "The kernel dereferenced an address with no valid mapping (arm64 data abort at EL1). `far` is the \
        address it tried to access and `pc` the faulting instruction. A small `far` is a NULL pointer plus a \
        field offset; a pattern such as 0x4141… or a non-canonical value is a corrupted or attacker-controlled \
        pointer.",
    next_steps: &[
        "Symbolicate pc and lr (--kdk, or --symbols for a kext) to see which function and which field.",
        "Check `far` against the analysis below (NULL + offset, poisoned, corrupt, heap).",
        "If a third-party kext is in the backtrace, update or remove it first.",
    ],
};

pub(super) const UNDEFINED_INSTRUCTION: ClassInfo = ClassInfo {
    id: PanicClass::UndefinedInstruction,
    name: "undefined kernel instruction",
    explanation: "The CPU hit an instruction it refuses to execute in the kernel: a corrupted code pointer, a \
        deliberate trap (brk/udf used as an assertion), or a privileged system-register write blocked by the \
        platform (e.g. APRR/PPL lockdown).",
    next_steps: &[
        "Look at the instruction encoding in the message and symbolicate pc.",
    ],
};

/// The error code a failed `AUT*` instruction leaves in a kernel pointer.
///
/// On ARMv8.3 pointer authentication without FPAC, a failed authentication does not trap:
/// the pointer comes back with its extension bits restored and a two-bit error code
/// `key_number:NOT(key_number)` written into bits 62:61 (top byte not ignored) or 54:53 (top
/// byte ignored) — xnu's `user_fault_matches_pac_error_code` in osfmk/arm64/sleh.c tests the
/// same bits. The first use of that pointer then faults on an address that differs from a
/// canonical kernel pointer (bits 55..41 set, as `fault::classify_pointer` reads them) in
/// exactly those two bits: `0xbfff…` or `0xdfff…`, or `0x??bf…` / `0x??df…`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct PacError {
    /// The higher bit of the error code: 62, or 54 when the top byte is ignored.
    pub high_bit: u8,
    /// `A` (IA/DA keys, key number 0, code 0b01) or `B` (IB/DB, key number 1, code 0b10).
    pub key: char,
}

/// The PAC error code in `a`, when `a` is a kernel pointer that failed authentication.
pub(super) fn pac_error(a: u64) -> Option<PacError> {
    // Bits 60..41 (and 63) all set, bits 62:61 holding 01 or 10.
    const LOW_ONES: u64 = ((1 << 20) - 1) << 41;
    // Bits 55 and 52..41 set, bits 54:53 holding 01 or 10; the top byte is free (a tag).
    const TBI_ONES: u64 = (1 << 55) | (((1 << 12) - 1) << 41);
    let code_at = |bit: u8| ((a >> (bit - 1)) & 0b11) as u8;
    let key = |code: u8| match code {
        0b01 => Some('A'),
        0b10 => Some('B'),
        _ => None,
    };
    if a & LOW_ONES == LOW_ONES && a >> 63 == 1 {
        if let Some(k) = key(code_at(62)) {
            return Some(PacError {
                high_bit: 62,
                key: k,
            });
        }
    }
    if a & TBI_ONES == TBI_ONES {
        if let Some(k) = key(code_at(54)) {
            return Some(PacError {
                high_bit: 54,
                key: k,
            });
        }
    }
    None
}

impl PacError {
    /// The evidence line for `far`.
    fn describe(self, far: u64) -> String {
        let lo = self.high_bit - 1;
        let code = (far >> lo) & 0b11;
        format!(
            "far {far:#018x} is a kernel pointer except bits {}:{lo} = {code:02b}: the error code a failed \
             pointer authentication with the {} key ({}) writes into the pointer (ARMv8.3 without FPAC). \
             The pointer was signed, then overwritten or taken from freed memory, and the kernel used it \
             after AUT* poisoned it",
            self.high_bit,
            self.key,
            if self.key == 'A' { "IA/DA" } else { "IB/DB" }
        )
    }
}

pub(super) fn arm_abort(ctx: &Ctx, f: &mut Finding, id: PanicClass, proc_: Option<&str>) {
    let r = ctx.report;
    let far = r.register("far");
    if id == PanicClass::UndefinedInstruction {
        undefined(ctx, f, proc_);
        return;
    }
    let kind_name = match id {
        PanicClass::UnalignedAbort => "Unaligned kernel data abort",
        PanicClass::KernelInstructionAbort => "Kernel instruction abort",
        PanicClass::PacFailure => "Pointer authentication failure",
        PanicClass::UndefinedInstruction => "Undefined kernel instruction",
        _ => "Kernel data abort",
    };
    let mut title = kind_name.to_string();
    if let Some(p) = proc_ {
        title.push_str(&format!(" in {p}"));
    }
    let pac = far
        .and_then(pac_error)
        .filter(|_| id == PanicClass::PacFailure);
    if id == PanicClass::KernelDataAbort || id == PanicClass::UnalignedAbort {
        if let Some(a) = far {
            let k = fault::classify_pointer(a, r);
            title.push_str(&format!(": {} (far {a:#x})", k.describe(a)));
        }
    } else if let (Some(p), Some(a)) = (pac, far) {
        title.push_str(&format!(
            ": far {a:#x} carries the PAC error code of the {} key",
            p.key
        ));
    } else if id == PanicClass::PacFailure {
        // "PAC failure from kernel with IA key while branching to x8 at pc …": what failed.
        let msg = r
            .panic
            .as_ref()
            .map(|p| p.reason.as_str())
            .unwrap_or_default();
        let what = msg.split(" at pc ").next().unwrap_or(msg);
        let what = what
            .rsplit("exception from kernel. ")
            .next()
            .unwrap_or(what);
        if !what.trim().is_empty() {
            title.push_str(&format!(": {}", shorten(what.trim(), 80)));
        }
    }
    let pc = r
        .panic
        .as_ref()
        .and_then(|p| p.exception.as_ref())
        .and_then(|e| e.pc)
        .or_else(|| r.register("pc").map(RuntimeAddr));
    if let Some(fr) = ctx
        .sym_register(Register::ExceptionPc)
        .or_else(|| ctx.sym_register(Register::Pc))
    {
        title.push_str(&format!(" at {}", fr.function().unwrap_or("?")));
        f.evidence
            .push(Evidence::fact(format!("pc: {}", fr.describe())));
    } else if let Some(k) = pc.and_then(|pc| ctx.kext_at(pc)) {
        title.push_str(&format!(" in {}", k.bundle_id));
    }
    if let Some(pc) = pc {
        if let Some(k) = ctx.kext_at(pc) {
            f.evidence.push(Evidence::fact(format!(
                "the faulting pc {pc} lies in {} ({})",
                k.bundle_id,
                origin(k.third_party)
            )));
        }
    }
    if let Some(esr) = r.register("esr") {
        f.evidence.push(Evidence::fact(format!(
            "esr {esr:#x}: {}",
            fault::decode_esr(esr)
        )));
    }
    if let (Some(p), Some(a)) = (pac, far) {
        f.evidence.push(Evidence::fact(p.describe(a)));
    } else if let Some(a) = far {
        let k = fault::classify_pointer(a, r);
        f.evidence
            .push(Evidence::fact(format!("far {a:#018x}: {}", k.describe(a))));
        if matches!(k, PointerKind::Null(_)) {
            f.confidence = Confidence::High;
        }
    }
    f.title = title;
}

fn undefined(ctx: &Ctx, f: &mut Finding, proc_: Option<&str>) {
    let msg = ctx
        .report
        .panic
        .as_ref()
        .map(|p| p.reason.clone())
        .unwrap_or_default();
    let instr = value_after(&msg, "instr=").map(|s| s.trim_end_matches("\\n").to_string());
    let pc = value_after(&msg, "pc=").map(str::to_string);
    f.title = format!(
        "Undefined kernel instruction{}{}{}",
        instr.as_ref().map(|i| format!(" {i}")).unwrap_or_default(),
        pc.as_ref()
            .map(|p| format!(" at pc {p}"))
            .unwrap_or_default(),
        proc_.map(|p| format!(" ({p})")).unwrap_or_default()
    );
    if let Some(v) = instr
        .as_deref()
        .and_then(|i| u32::from_str_radix(i.trim_start_matches("0x"), 16).ok())
    {
        let what = if v & 0xfff0_0000 == 0xd510_0000 {
            Some("an MSR (system-register write): the platform locks some EL1 registers (KTRR/APRR/PPL lockdown), so writing one traps")
        } else if v & 0xfff0_0000 == 0xd530_0000 {
            Some("an MRS (system-register read) of a register not accessible here")
        } else if v & 0xffe0_001f == 0xd420_0000 {
            Some("a BRK: a deliberate trap (assertion or pointer-authentication check)")
        } else if v & 0xffff_0000 == 0 {
            Some("UDF: a deliberate undefined instruction (assertion)")
        } else {
            None
        };
        if let Some(w) = what {
            f.evidence
                .push(Evidence::fact(format!("instruction {v:#010x} is {w}")));
        }
    }
}

pub(super) fn mte(ctx: &Ctx, f: &mut Finding, proc_: Option<&str>) {
    let r = ctx.report;
    let exp = r
        .panic
        .as_ref()
        .and_then(|p| p.exception.as_ref())
        .and_then(|e| e.expected_tagged_address);
    let mut title = "MTE tag check fault".to_string();
    if let Some(p) = proc_ {
        title.push_str(&format!(" in {p}"));
    }
    title.push_str(": use-after-free or out-of-bounds access caught by memory tagging");
    if let Some(k) = r.kexts_in_backtrace.first() {
        title.push_str(&format!(" (in {})", k.kext.bundle_id));
    }
    f.title = title;
    let far = r.register("far");
    match (exp, far) {
        (Some(e), Some(a)) => f.evidence.push(Evidence::fact(format!(
            "far {a:#018x} (tag {:#x}) vs expected tagged address {e} (tag {:#x}): same address, different tags — the memory was retagged (freed/reallocated) after the pointer was made, or the pointer strayed into a neighbouring allocation",
            (a >> 56) & 0xf,
            (e.get() >> 56) & 0xf
        ))),
        (Some(e), None) => f.evidence.push(Evidence::fact(format!(
            "expected tagged address {e} (tag {:#x})",
            (e.get() >> 56) & 0xf
        ))),
        (None, Some(a)) => f.evidence.push(Evidence::fact(format!("far {a:#018x}"))),
        (None, None) => {}
    }
    if let Some(fr) = ctx.sym_register(Register::ExceptionPc) {
        f.evidence
            .push(Evidence::fact(format!("pc: {}", fr.describe())));
    }
    if let Some(k) = r.kexts_in_backtrace.first() {
        f.evidence.push(ctx.quote(
            k.kext.line,
            &format!("kext in backtrace: {}", k.kext.bundle_id),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::{pac_error, PacError};

    #[test]
    fn pac_error_codes_sit_in_fixed_bits() {
        // ios-text-dataabort-pacptr-corellium-PARTIAL-01.txt: bits 62:61 = 01, key A.
        assert_eq!(
            pac_error(0xbfff_ffe4_cb03_aee4),
            Some(PacError {
                high_bit: 62,
                key: 'A'
            })
        );
        assert_eq!(pac_error(0xdfff_ffe4_cb03_aee4).map(|p| p.key), Some('B'));
        // Top byte ignored: bits 54:53, whatever the top byte holds.
        assert_eq!(
            pac_error(0x12bf_ffe4_cb03_aee4),
            Some(PacError {
                high_bit: 54,
                key: 'A'
            })
        );
        assert_eq!(pac_error(0xffdf_fe00_1234_5678).map(|p| p.key), Some('B'));
        // Canonical kernel pointers, user pointers, fills and NULL offsets are not.
        for a in [
            0xffff_ffe4_cb03_aee4,
            0xffff_fe00_1234_5678,
            0x9fff_ffe4_cb03_aee4,
            0x0000_0001_e4cb_03ae,
            0x4141_4141_4141_4141,
            0x18,
            u64::MAX,
        ] {
            assert_eq!(pac_error(a), None, "{a:#x}");
        }
    }
}
