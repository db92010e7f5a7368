//! From a placement to the address to look up: which symbol file, and which of its addresses.
//! The segment arithmetic of DESIGN.md happens here, with the symbol file's own load commands.

use kpanic_report::RuntimeAddr;
use kpanic_symbols::{Segment, SymbolAddr};

use super::{Symbolicator, Target};
use crate::place::{Anchor, ImageKey, Placement};
use crate::unresolved::{Caveat, Unresolved};

impl Symbolicator<'_> {
    /// Where to look `p` up: which symbol file and which of its addresses.
    pub(super) fn target(&mut self, p: &Placement) -> Result<(Target, Option<Caveat>), Unresolved> {
        if p.anchor == Anchor::Kernelcache {
            return self.kernelcache_target(p);
        }
        let caveat = p.caveat.clone();
        let state = self.image(&p.image);
        state.frames += 1;
        let name = state.name.clone();
        let sym = match &state.symbols {
            Ok(s) => s.clone(),
            Err(why) => return Err(Unresolved::NoSymbols(why.clone())),
        };
        let addr = match p.anchor {
            Anchor::SymbolFile => p.offset,
            Anchor::Segment(seg) => {
                let slice = sym.slice();
                // Images without __TEXT_EXEC (x86_64, older arm64) keep their code in __TEXT.
                let base = slice
                    .segment(seg)
                    .or_else(|| slice.segment("__TEXT"))
                    .map(|s| s.vmaddr)
                    .ok_or_else(|| Unresolved::NoSegment {
                        image: name.clone(),
                        segment: seg,
                    })?;
                base.wrapping_add(p.offset)
            }
            Anchor::Kernelcache => unreachable!("handled above"),
        };
        // A code address that lands in a data segment is a wrong mapping (or the wrong image),
        // not a frame: the symbol table would happily name the nearest data symbol.
        if let Some(seg) = sym.slice().segment_containing(addr) {
            if seg.initprot | seg.maxprot != 0 && !seg.is_executable() {
                return Err(Unresolved::DataSegment {
                    addr,
                    segment: seg.name.clone(),
                    image: name,
                });
            }
        }
        let caveat = caveat.or_else(|| outside_anchor_caveat(p, sym.slice().segments(), addr));
        Ok((
            Target::File(p.image.clone(), SymbolAddr(addr), Some(name)),
            caveat,
        ))
    }

    /// A kernelcache vmaddr: find its fileset entry and segment, then the same segment of the
    /// entry's own symbol file; without one, the kernelcache's symbol table answers.
    pub(super) fn kernelcache_target(
        &mut self,
        p: &Placement,
    ) -> Result<(Target, Option<Caveat>), Unresolved> {
        let Some(kc) = self
            .lib
            .kernelcache()
            .filter(|_| self.use_kernelcache)
            .cloned()
        else {
            // No kernelcache: a U image can still be mapped through the kernel when the log
            // says where the kernel's text exec segment ran.
            return self.u_image_without_kernelcache(p);
        };
        let vm = p.offset;
        let entry = kc
            .slice()
            .entry_containing(vm)
            .ok_or(Unresolved::NoKernelcacheEntry { vm })?;
        let (seg, nth) = segment_and_index(entry.segments(), vm).ok_or_else(|| {
            Unresolved::NoKernelcacheSegment {
                entry: entry.id.clone(),
                vm,
            }
        })?;
        let entry_uuid = entry.uuid();
        let key = if entry.id == super::KERNEL_ENTRY
            || (entry_uuid.is_some() && entry_uuid == self.placer.kernel_uuid())
        {
            ImageKey::Kernel
        } else {
            ImageKey::Kext {
                bundle_id: entry.id.clone(),
                uuid: entry_uuid,
            }
        };
        let seg_name = seg.name.clone();
        let in_seg = vm - seg.vmaddr;
        let entry_id = entry.id.clone();
        let state = self.image(&key);
        state.frames += 1;
        let name = state.name.clone();
        if let Ok(sym) = &state.symbols {
            let own = sym
                .slice()
                .segments()
                .iter()
                .filter(|s| s.name == seg_name)
                .nth(nth)
                .ok_or_else(|| Unresolved::NoNthSegment {
                    image: name.clone(),
                    segment: seg_name.clone(),
                    nth,
                })?;
            return Ok((
                Target::File(key, SymbolAddr(own.vmaddr + in_seg), Some(name)),
                None,
            ));
        }
        Ok((Target::KernelcacheSymtab(SymbolAddr(vm), entry_id), None))
    }

    pub(super) fn u_image_without_kernelcache(
        &mut self,
        p: &Placement,
    ) -> Result<(Target, Option<Caveat>), Unresolved> {
        // The U image's own kernelcache among the symbols (pre-fileset iOS kernelcaches are
        // plain MH_EXECUTEs): base + offset is one of its vmaddrs.
        if matches!(p.image, ImageKey::Image { uuid: Some(_), .. })
            && self.image(&p.image).symbols.is_ok()
        {
            let placed = Placement {
                anchor: Anchor::SymbolFile,
                ..p.clone()
            };
            return self.target(&placed);
        }
        let slides = &self.report.slides;
        match (
            slides.kernel_text_exec_base,
            self.report.kernelcache_slide(),
        ) {
            (Some(_), Some(slide)) => {
                let runtime = RuntimeAddr(p.offset.wrapping_add(slide));
                let placed = self.placer.place_runtime(runtime)?;
                self.target(&placed)
            }
            _ => {
                // Pre-fileset kernelcaches: base + offset is a vmaddr of that kernelcache, which is
                // also the kernel's own vmaddr for kernel code.
                let placed = Placement {
                    image: ImageKey::Kernel,
                    anchor: Anchor::SymbolFile,
                    offset: p.offset,
                    caveat: Some(Caveat::UImageWithoutKernelcache),
                };
                self.target(&placed)
            }
        }
    }
}

/// The segment of `segments` that maps `vm`, and its index among segments of the same name.
fn segment_and_index(segments: &[Segment], vm: u64) -> Option<(&Segment, usize)> {
    let seg = segments
        .iter()
        .find(|s| s.name != "__LINKEDIT" && s.vmsize > 0 && s.contains(vm))?;
    let nth = segments
        .iter()
        .filter(|s| s.name == seg.name)
        .position(|s| std::ptr::eq(s, seg))?;
    Some((seg, nth))
}

/// The kernel's segments after the first `__TEXT_EXEC` (`__PPLTEXT`, `__KLD`, `__LASTTEXT`) do
/// not keep their distance to it in the boot kernelcache: say so when an address lands there.
fn outside_anchor_caveat(p: &Placement, segments: &[Segment], addr: u64) -> Option<Caveat> {
    let Anchor::Segment(name) = p.anchor else {
        return None;
    };
    let anchor = segments.iter().find(|s| s.name == name)?;
    if anchor.contains(addr) {
        return None;
    }
    let landed = segments
        .iter()
        .find(|s| s.contains(addr))
        .map_or("no segment", |s| s.name.as_str());
    Some(Caveat::OutsideAnchor {
        anchor: name,
        landed: landed.to_string(),
    })
}
