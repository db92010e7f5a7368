//! arm64e pointer authentication: the one way kpanic strips PAC bits from a pointer.
//!
//! A signed pointer keeps its address in the low `va_bits` bits; the bits above hold the
//! signature, except bit 55, which says which half of the address space the pointer is in.
//! Stripping restores the canonical form: every high bit set for a kernel pointer, cleared for a
//! user one. How many bits are address is judged from an address known to be unsigned (a text
//! base the log prints, an image's `__TEXT`): 41 for macOS arm64's 0xfffffe…, 36 for iOS's
//! 0xfffffff0…, 47 for user space.

/// The number of address bits below the pointer-authentication field, judged from an address
/// known to lie in the same region as the pointers to strip (an image's `__TEXT`, a load
/// address). Kernel addresses (bit 55 set) keep everything below their highest zero bit: 41 for
/// macOS arm64's 0xfffffe…, 36 for iOS's 0xfffffff0…. User addresses: 47 (arm64 user VA).
pub fn va_bits_like(reference: u64) -> u32 {
    if is_kernel_half(reference) {
        64 - reference.leading_ones()
    } else {
        47
    }
}

/// Bit 55 set: a kernel-half pointer, signed or not.
pub fn is_kernel_half(addr: u64) -> bool {
    addr & (1 << 55) != 0
}

/// Strip arm64e PAC bits: a kernel pointer (bit 55 set) gets every bit from `va_bits` up set, a
/// user pointer gets them cleared. An address without PAC bits comes back unchanged.
pub fn strip_pac(addr: u64, va_bits: u32) -> u64 {
    if va_bits >= 64 {
        return addr;
    }
    let high = !0u64 << va_bits;
    if is_kernel_half(addr) {
        addr | high
    } else {
        addr & !high
    }
}

/// [`strip_pac`] with the VA size judged from `reference` (see [`va_bits_like`]).
pub fn strip_pac_like(addr: u64, reference: u64) -> u64 {
    strip_pac(addr, va_bits_like(reference))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pac_bits() {
        let text = 0xfffffe0007004000;
        assert_eq!(va_bits_like(text), 41);
        // A signed kernel lr: PAC in bits 41..54 and 56..63, bit 55 kept.
        assert_eq!(strip_pac_like(0x72f8fe000700c018, text), 0xfffffe000700c018);
        assert_eq!(
            strip_pac_like(0x0a9afe000700c018 | (1 << 55), text),
            0xfffffe000700c018
        );
        // Clean addresses are unchanged.
        assert_eq!(strip_pac_like(0xfffffe000700c018, text), 0xfffffe000700c018);
        assert_eq!(strip_pac_like(0x1000005b0, 0x100000000), 0x1000005b0);
        // A signed user pointer.
        assert_eq!(strip_pac_like(0x002d0001000005b0, 0x100000000), 0x1000005b0);
        // iOS kernel region.
        assert_eq!(
            strip_pac_like(0xa3c0fff007123456, 0xfffffff007004000),
            0xfffffff007123456
        );
    }
}
