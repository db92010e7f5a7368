//! Runtime ↔ symbol-file arithmetic for `-l`, `-s` and `--text-exec-address`, as pure functions.
//!
//! The anchor is what the user knows about where the image ran:
//! - a load address: the runtime address of its `__TEXT` (atos `-l`);
//! - a slide: runtime − vmaddr for every segment (atos `-s`);
//! - a text-exec address: the runtime address of its first `__TEXT_EXEC`, what an arm64 panic
//!   prints as "Kernel text exec base" or as a kext's `@start`.
//!
//! The text-exec anchor is resolved with the image's own load commands — `__TEXT_EXEC.vmaddr`,
//! never a constant like 0x4000 or 0x2B4000, which differ between kernels and kexts.

use crate::SymbolAddr;
use kpanic_common::pac::strip_pac_like;

/// Where the image ran, as the user states it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Anchor {
    /// Runtime address of `__TEXT` (atos `-l`).
    LoadAddress(u64),
    /// runtime − vmaddr (atos `-s`).
    Slide(u64),
    /// Runtime address of the first `__TEXT_EXEC`.
    TextExecAddress(u64),
}

/// The image lacks the segment the anchor refers to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlideError {
    /// No `__TEXT` segment.
    #[error("the image has no __TEXT segment to anchor a load address on")]
    NoText,
    /// No `__TEXT_EXEC` segment.
    #[error("the image has no __TEXT_EXEC segment (x86_64 and older arm64 images keep code in __TEXT): use -l or -s")]
    NoTextExec,
}

/// The slide (runtime − vmaddr) that `anchor` implies for an image with the given segments.
pub fn slide_for(
    anchor: Anchor,
    text_vmaddr: Option<u64>,
    text_exec_vmaddr: Option<u64>,
) -> Result<u64, SlideError> {
    match anchor {
        Anchor::Slide(s) => Ok(s),
        Anchor::LoadAddress(load) => Ok(load.wrapping_sub(text_vmaddr.ok_or(SlideError::NoText)?)),
        Anchor::TextExecAddress(te) => {
            Ok(te.wrapping_sub(text_exec_vmaddr.ok_or(SlideError::NoTextExec)?))
        }
    }
}

/// The atos `-l` load address equivalent to a text-exec anchor:
/// `text_exec_runtime − (__TEXT_EXEC.vmaddr − __TEXT.vmaddr)`.
pub fn load_address_from_text_exec(
    text_exec_runtime: u64,
    text_vmaddr: u64,
    text_exec_vmaddr: u64,
) -> u64 {
    text_exec_runtime.wrapping_sub(text_exec_vmaddr.wrapping_sub(text_vmaddr))
}

/// Map a runtime address to the symbol file's space. PAC bits are stripped first, judged
/// against `runtime_reference` (any runtime address of the image, e.g. its load address):
/// subtracting a slide from a signed pointer would give garbage.
pub fn runtime_to_symbol(runtime: u64, slide: u64, runtime_reference: u64) -> SymbolAddr {
    SymbolAddr(strip_pac_like(runtime, runtime_reference).wrapping_sub(slide))
}

#[cfg(test)]
mod tests {
    use super::*;

    // KDK 15.4 kernel.release.t8112: __TEXT 0xfffffe0007004000, __TEXT_EXEC 0xfffffe00072b8000;
    // a panic's "Kernel text exec base: 0xfffffe001cd8c000" means atos -l 0xFFFFFE001CAD8000.
    const TEXT: u64 = 0xfffffe0007004000;
    const TEXT_EXEC: u64 = 0xfffffe00072b8000;
    const EXEC_BASE: u64 = 0xfffffe001cd8c000;

    #[test]
    fn readme_example() {
        assert_eq!(
            load_address_from_text_exec(EXEC_BASE, TEXT, TEXT_EXEC),
            0xFFFFFE001CAD8000
        );
        let by_exec = slide_for(
            Anchor::TextExecAddress(EXEC_BASE),
            Some(TEXT),
            Some(TEXT_EXEC),
        );
        let by_load = slide_for(
            Anchor::LoadAddress(0xFFFFFE001CAD8000),
            Some(TEXT),
            Some(TEXT_EXEC),
        );
        assert_eq!(by_exec, by_load);
        let slide = by_exec.unwrap();
        assert_eq!(slide, 0xFFFFFE001CAD8000 - TEXT);
        assert_eq!(
            runtime_to_symbol(EXEC_BASE + 0x14, slide, EXEC_BASE),
            SymbolAddr(TEXT_EXEC + 0x14)
        );
    }

    #[test]
    fn kext_text_exec_is_read_not_assumed() {
        // A kext whose __TEXT_EXEC is at 0x8000, not the usual 0x4000.
        let slide = slide_for(
            Anchor::TextExecAddress(0xfffffe0020108000),
            Some(0),
            Some(0x8000),
        )
        .unwrap();
        assert_eq!(slide, 0xfffffe0020100000);
        assert_eq!(
            slide_for(Anchor::TextExecAddress(1), Some(0), None),
            Err(SlideError::NoTextExec)
        );
        assert_eq!(
            slide_for(Anchor::LoadAddress(1), None, None),
            Err(SlideError::NoText)
        );
        assert_eq!(slide_for(Anchor::Slide(0x10), None, None), Ok(0x10));
    }

    #[test]
    fn pac_is_stripped_before_the_slide() {
        let slide = 0x15ad4000;
        let load = TEXT + slide;
        let signed = 0x72f8_0000_0000_0000 | ((load + 0x8018) & ((1 << 41) - 1));
        assert_eq!(
            runtime_to_symbol(signed, slide, load),
            SymbolAddr(TEXT + 0x8018)
        );
    }
}
