//! Addresses in a symbol file's own space, and arm64e pointer-authentication bits.

use std::fmt;

/// An address in the symbol file's own vmaddr space (a KDK kernel's, a kext's as linked, a
/// dSYM's). Not a runtime address: the `kpanic` crate maps runtime → `SymbolAddr` (see
/// [`crate::slide`]), so the two cannot be mixed by accident.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SymbolAddr(pub u64);

impl SymbolAddr {
    pub const fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Debug for SymbolAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SymbolAddr({:#x})", self.0)
    }
}

impl fmt::Display for SymbolAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#x}", self.0)
    }
}

/// What an address points at. A return address (an `lr`, a caller's saved pc) is the
/// instruction *after* the call: its file:line and inline chain are those of `addr - 1`, which
/// is still inside the call instruction. A pc (the faulting instruction) is exact.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum AddrKind {
    #[default]
    Exact,
    ReturnAddress,
}

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

fn is_kernel_half(addr: u64) -> bool {
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
