//! arm64 fault facts: the ESR_EL1 syndrome (exception class, fault status, read or write) and
//! what the top bits of a kernel pointer say (a PAC failure, an MTE tag), as the Arm
//! Architecture Reference Manual (DDI 0487, ESR_EL1 and the AArch64 pointer authentication
//! pseudocode) and xnu (`osfmk/arm64/proc_reg.h`, `sleh.c`) define them.

/// The exception class (ESR bits 31:26) in words, by the ARM ARM's names; `None` for a
/// reserved or unallocated class.
pub fn exception_class(ec: u64) -> Option<&'static str> {
    Some(match ec {
        0x00 => "unknown reason (an undefined or unallocated instruction)",
        0x01 => "trapped WFI/WFE",
        0x07 => "trapped SVE/SIMD/floating-point access",
        0x09 => "trapped pointer-authentication instruction",
        0x0d => "branch target exception (BTI)",
        0x0e => "illegal execution state",
        0x15 => "SVC (system call) from AArch64",
        0x16 => "HVC from AArch64",
        0x17 => "SMC from AArch64",
        0x18 => "trapped MSR/MRS/system instruction",
        0x19 => "trapped SVE access",
        0x1c => "pointer authentication failure (FPAC)",
        0x1d => "trapped SME access",
        0x20 => "instruction abort from a lower exception level (user mode)",
        0x21 => "instruction abort at the same exception level (in the kernel)",
        0x22 => "PC alignment fault",
        0x24 => "data abort from a lower exception level (user mode)",
        0x25 => "data abort at the same exception level (in the kernel)",
        0x26 => "SP alignment fault",
        0x28 => "trapped floating-point exception (AArch32)",
        0x2c => "trapped floating-point exception (AArch64)",
        0x2f => "SError interrupt (an asynchronous external abort)",
        0x30 => "breakpoint from a lower exception level",
        0x31 => "breakpoint at the same exception level",
        0x32 => "software step from a lower exception level",
        0x33 => "software step at the same exception level",
        0x34 => "watchpoint from a lower exception level",
        0x35 => "watchpoint at the same exception level",
        0x38 => "BKPT instruction (AArch32)",
        0x3c => "BRK instruction",
        _ => return None,
    })
}

/// The fault status code of a data or instruction abort (DFSC/IFSC, ISS bits 5:0) in words.
/// Tag check and alignment faults exist for data aborts only.
pub fn fault_status(fsc: u64, data: bool) -> String {
    let level = fsc & 3;
    match fsc {
        0x00..=0x03 => format!("address size fault, level {level}"),
        0x04..=0x07 => format!("translation fault, level {level} (no mapping)"),
        0x08..=0x0b => format!("access flag fault, level {level}"),
        0x0c..=0x0f => format!("permission fault, level {level}"),
        0x10 => "synchronous external abort (bus error)".into(),
        0x11 if data => "synchronous tag check fault (MTE: pointer and memory tags differ)".into(),
        0x13 => "synchronous external abort on a page-table walk, level -1".into(),
        0x14..=0x17 => format!("synchronous external abort on a page-table walk, level {level}"),
        0x18 => "synchronous parity or ECC error (memory error)".into(),
        0x1b => "parity or ECC error on a page-table walk, level -1".into(),
        0x1c..=0x1f => format!("parity or ECC error on a page-table walk, level {level}"),
        0x21 if data => "alignment fault".into(),
        0x29 => "address size fault, level -1".into(),
        0x2b => "translation fault, level -1 (no mapping)".into(),
        0x30 => "TLB conflict abort".into(),
        0x31 => "unsupported atomic hardware update".into(),
        0x34 => "implementation-defined fault (lockdown)".into(),
        0x35 => "implementation-defined fault (unsupported exclusive or atomic access)".into(),
        _ => format!("fault status {fsc:#x}"),
    }
}

/// What a BRK comment (ISS bits 15:0) means in xnu (`osfmk/kern/trap_telemetry.h`,
/// `osfmk/arm64/sleh.c`).
pub fn brk_comment(comment: u64) -> Option<&'static str> {
    Some(match comment {
        0xc470 => "a pointer authentication failure (key IA), trapped by xnu's ptrauth check",
        0xc471 => "a pointer authentication failure (key IB), trapped by xnu's ptrauth check",
        0xc472 => "a pointer authentication failure (key DA), trapped by xnu's ptrauth check",
        0xc473 => "a pointer authentication failure (key DB), trapped by xnu's ptrauth check",
        0xbffc => "an xnu assert() failure",
        0xbffd => "xnu's safe-unlink check: a corrupt linked list",
        0xbffe => "xnu's string-function overflow check",
        0xb000..=0xbfff => "an xnu hard trap",
        0x5519 => "a compiler-inserted bounds check",
        0x5500..=0x55ff => "a compiler-inserted trap",
        0x0800 => "a libc++ abort",
        0x0001 => "__builtin_trap() (a compiler-inserted trap)",
        _ => return None,
    })
}

/// Access sizes of the ISS SAS field (bits 23:22).
const ACCESS_BYTES: [u32; 4] = [1, 2, 4, 8];

/// ESR_EL1 in words: the exception class, then for aborts the fault status, read or write
/// (WnR, bit 6, data aborts only), the access when the syndrome is valid (ISV), a cache
/// maintenance operation (CM), a stage-1 table walk (S1PTW) and a FAR that is not valid (FnV).
pub fn decode_esr(esr: u64) -> String {
    let ec = (esr >> 26) & 0x3f;
    let iss = esr & 0x1ff_ffff;
    let class = exception_class(ec);
    let data = matches!(ec, 0x24 | 0x25);
    let instruction = matches!(ec, 0x20 | 0x21);
    if !(data || instruction) {
        let name = class.unwrap_or("reserved exception class");
        return match ec {
            0x3c => match brk_comment(iss & 0xffff) {
                Some(what) => format!("EC {ec:#x} = {name} #{:#x}: {what}", iss & 0xffff),
                None => format!("EC {ec:#x} = {name} #{:#x}", iss & 0xffff),
            },
            0x1c => format!(
                "EC {ec:#x} = {name}, {} key {}",
                if iss & 2 != 0 { "data" } else { "instruction" },
                if iss & 1 != 0 { "B" } else { "A" }
            ),
            0x18 => format!(
                "EC {ec:#x} = {name} ({})",
                if iss & 1 != 0 {
                    "a read: MRS"
                } else {
                    "a write: MSR"
                }
            ),
            _ => format!("EC {ec:#x} = {name}"),
        };
    }
    let mut out = format!(
        "{}, {}",
        class.unwrap_or("abort"),
        fault_status(iss & 0x3f, data)
    );
    if data {
        let cm = iss & (1 << 8) != 0;
        if cm {
            out.push_str(", on a cache maintenance operation");
        } else if iss & (1 << 6) != 0 {
            out.push_str(", on a write");
        } else {
            out.push_str(", on a read");
        }
        if iss & (1 << 24) != 0 {
            let bytes = ACCESS_BYTES[((iss >> 22) & 3) as usize];
            let reg = (iss >> 16) & 0x1f;
            let width = if iss & (1 << 15) != 0 { 'x' } else { 'w' };
            out.push_str(&format!(" of {bytes} byte(s) through {width}{reg}"));
        }
    }
    if iss & (1 << 7) != 0 {
        out.push_str(", during the stage-1 page-table walk");
    }
    if iss & (1 << 10) != 0 {
        out.push_str(" (FAR not valid)");
    }
    out
}

/// The pointer authentication key family whose check failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PacKey {
    /// Key A (IA or DA).
    A,
    /// Key B (IB or DB).
    B,
}

/// Bits 52:41 all set: the low bits of a kernel pointer (macOS 0xfffffe…, iOS 0xffffffe…).
fn kernel_low_bits(a: u64) -> bool {
    (a >> 41) & 0xfff == 0xfff
}

/// A kernel pointer a failed pointer authentication poisoned. Without FEAT_FPAC an AUT*
/// instruction that fails does not trap: it returns the pointer with a two-bit error code
/// (`key_number:NOT(key_number)`, 0b01 for key A, 0b10 for key B) in bits 62:61 (no top-byte
/// ignore) or 54:53 (top-byte ignore), so any use of it faults (ARM ARM, `Auth()`). The rest
/// stays a kernel pointer: 0xbfffffe4… is a key A failure, 0xdfffffe4… a key B one.
pub fn pac_failure(a: u64) -> Option<PacKey> {
    let key = |code: u64| match code {
        0b01 => Some(PacKey::A),
        0b10 => Some(PacKey::B),
        _ => None,
    };
    if !kernel_low_bits(a) {
        return None;
    }
    // No TBI: bit 63 and bits 60:53 set, the code in 62:61.
    if a >> 63 == 1 && (a >> 53) & 0xff == 0xff {
        return key((a >> 61) & 3);
    }
    // TBI: bit 55 set, the code in 54:53, the top byte is a tag (0xf_ for the kernel).
    if a >> 60 == 0xf && (a >> 55) & 1 == 1 {
        return key((a >> 53) & 3);
    }
    None
}

/// The MTE tag (bits 59:56) of a tagged kernel pointer: top nibble 0xf, tag other than 0xf.
pub fn mte_tag(a: u64) -> Option<u64> {
    let top = a >> 56;
    (top >> 4 == 0xf && top != 0xff && kernel_low_bits(a) && (a >> 55) & 1 == 1)
        .then_some(top & 0xf)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Syndromes from the corpus, decoded by hand against the ARM ARM's ESR_EL1 layout.
    #[test]
    fn corpus_syndromes() {
        // arm64-text-dataabort-01.txt: EC 0x25, ISS 0x06 = DFSC translation level 2, WnR 0.
        assert_eq!(
            decode_esr(0x96000006),
            "data abort at the same exception level (in the kernel), translation fault, level 2 (no mapping), on a read"
        );
        // ios-text-dataabort-paniclog11-PARTIAL-01.txt: DFSC 0x07, WnR 1.
        assert_eq!(
            decode_esr(0x96000047),
            "data abort at the same exception level (in the kernel), translation fault, level 3 (no mapping), on a write"
        );
        // ios-text-dataabort-pacptr-corellium-PARTIAL-01.txt: DFSC 0x04 level 0, WnR 1.
        assert!(
            decode_esr(0x96000044).contains("translation fault, level 0 (no mapping), on a write")
        );
        // arm64-ips-coproc-dataabort-anon-FRAGMENT-01.txt prints "Exception class=0x25
        // iss=0x4f": DFSC 0x0f = permission fault level 3, WnR 1.
        assert!(decode_esr((0x25 << 26) | 0x4f).ends_with("permission fault, level 3, on a write"));
        // Instruction aborts have no WnR; cl0ver's "iss=0xf": permission fault level 3 (an
        // instruction fetch from a non-executable page).
        assert_eq!(
            decode_esr((0x21 << 26) | 0xf),
            "instruction abort at the same exception level (in the kernel), permission fault, level 3"
        );
        // MTE: DFSC 0x11.
        assert!(decode_esr(0x96000011).contains("tag check fault"));
        assert!(decode_esr(0x96000021).ends_with("alignment fault, on a read"));
        // ISV set: SAS 0b11 (8 bytes), SRT 3, SF 1.
        assert!(decode_esr(0x97c3_8006).contains("of 8 byte(s) through x3"));
        // xnu's ptrauth BRK #0xc472 (key DA).
        assert!(decode_esr(0xf200_c472).contains("key DA"));
        // FPAC: ISS bit 1 = data key, bit 0 = key B.
        assert!(decode_esr((0x1c << 26) | 3).ends_with("data key B"));
    }

    #[test]
    fn pac_failures_and_tags() {
        // ios-text-dataabort-pacptr-corellium-PARTIAL-01.txt: far and x16.
        assert_eq!(pac_failure(0xbfffffe4cb03aee4), Some(PacKey::A));
        assert_eq!(pac_failure(0xdfffffe4cb03aee4), Some(PacKey::B));
        assert_eq!(pac_failure(0xf5bffe2e999daae8), Some(PacKey::A));
        assert_eq!(pac_failure(0xfffffe2e999daae8), None);
        assert_eq!(pac_failure(0x989b636263620060), None);
        // A tagged task pointer (arm64-text-dataabort-skywalk-dext-FRAGMENT-01.txt).
        assert_eq!(mte_tag(0xf5fffe2e999daae8), Some(5));
        assert_eq!(mte_tag(0xfffffe2e999daae8), None);
    }
}
