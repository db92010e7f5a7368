//! Where an address of the log lives: which image, and where inside it.
//!
//! This is DESIGN.md §2's table, and nothing else: no symbol file is opened here. A
//! [`Placement`] says "offset N from the start of image I's segment S", or "kernelcache vmaddr
//! V"; [`mod@crate::symbolicate`] turns it into a [`kpanic_symbols::SymbolAddr`] with the symbol
//! file's own load commands. Keeping the two steps apart is what keeps a slide from being
//! applied twice: runtime addresses ([`RuntimeAddr`]) and unslid ones ([`UnslidAddr`]) stop here.

use kpanic_common::Uuid;

use crate::images::{kexts, BinaryImageIdentity, ImageTable};
use crate::unresolved::{Caveat, Unresolved};
use kpanic_report::{ImageKind, PanicReport, RuntimeAddr, StackFrame, UnslidAddr};

/// An image of the panic, as the log identifies it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ImageKey {
    /// The kernel (found by variant and `Kernel UUID`).
    Kernel,
    /// A kext named in "Kernel Extensions in backtrace".
    Kext {
        /// Its bundle id.
        bundle_id: String,
        /// Its UUID, when the log gives one.
        uuid: Option<Uuid>,
    },
    /// A full panic's `binaryImages` entry other than the kernel.
    Image {
        /// Index of the entry in `binaryImages`.
        index: u64,
        /// The entry's UUID, when it is one.
        uuid: Option<Uuid>,
    },
}

/// What the offset of a [`Placement`] counts from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Anchor {
    /// The symbol file's first segment of this name (`__TEXT_EXEC`, falling back to `__TEXT`
    /// for images that keep code there, or `__TEXT`).
    Segment(&'static str),
    /// The offset is already an address in the symbol file (runtime − slide).
    SymbolFile,
    /// The offset is a vmaddr of the kernelcache (unslid); only a kernelcache maps it exactly.
    Kernelcache,
}

impl Anchor {
    /// The name the JSON `image_segment` field gives the anchor.
    pub fn name(self) -> &'static str {
        match self {
            Anchor::Segment(s) => s,
            Anchor::SymbolFile => "symbol_file",
            Anchor::Kernelcache => "kernelcache",
        }
    }

    /// True when the offset counts from a segment of the image (rather than being an address of
    /// the symbol file or kernelcache itself).
    pub fn has_image_offset(self) -> bool {
        matches!(self, Anchor::Segment(_))
    }
}

/// An address placed in an image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placement {
    /// The image the address is in.
    pub image: ImageKey,
    /// What `offset` counts from.
    pub anchor: Anchor,
    /// Offset from the anchor, in bytes.
    pub offset: u64,
    /// Why the mapping may be off even with the right symbols (printed with the frame).
    pub caveat: Option<Caveat>,
}

/// How far past a start-only kext `@start` an address may lie and still be taken as that kext's
/// (the symbol file's own segments bound it exactly later). Kexts are far smaller.
const MAX_OPEN_KEXT: u64 = 64 << 20;

/// Places runtime addresses of one panic.
pub struct Placer<'r> {
    report: &'r PanicReport,
    table: ImageTable<'r>,
    arm64: bool,
    /// Start-only kext ranges (Intel ≤10.15 dependencies), stripped, sorted by start, the
    /// first listed kept among equal starts: the nearest one below an address is a binary
    /// search away.
    open_ended: Vec<(RuntimeAddr, &'r kpanic_report::KextRef)>,
}

impl<'r> Placer<'r> {
    /// A placer for the addresses of `report`.
    pub fn new(report: &'r PanicReport) -> Self {
        let arm64 = match report.arch {
            Some(a) => !a.is_x86_64(),
            None => report
                .system
                .kernel_variant
                .as_ref()
                .is_none_or(|v| v.arch != "x86_64"),
        };
        let table = ImageTable::new(report);
        let mut open_ended: Vec<(RuntimeAddr, &kpanic_report::KextRef)> = kexts(report)
            .filter(|k| k.end.is_none())
            .filter_map(|k| Some((table.strip(k.start?), k)))
            .collect();
        // Stable: among equal starts the first listed stays first, and dedup keeps it.
        open_ended.sort_by_key(|(s, _)| *s);
        open_ended.dedup_by_key(|(s, _)| *s);
        Placer {
            report,
            table,
            arm64,
            open_ended,
        }
    }

    /// The panic's image table.
    pub fn table(&self) -> &ImageTable<'r> {
        &self.table
    }

    /// The kernel's UUID, as the log gives it.
    pub fn kernel_uuid(&self) -> Option<Uuid> {
        self.table.kernel_uuid()
    }

    /// PAC bits off, for kernel pointers (bit 55 set); user addresses stay as they are.
    pub fn strip(&self, addr: RuntimeAddr) -> RuntimeAddr {
        self.table.strip(addr)
    }

    /// Places a runtime address of the panic text (lr, pc, caller, CORE PC/LR).
    pub fn place_runtime(&self, addr: RuntimeAddr) -> Result<Placement, Unresolved> {
        let a = self.strip(addr);
        if a.get() & (1 << 63) == 0 {
            return Err(if a.get() == 0 {
                Unresolved::NullAddress
            } else {
                Unresolved::UserSpace
            });
        }
        if let Some(p) = self.place_in_kext(a) {
            return Ok(p);
        }
        let slides = &self.report.slides;
        if self.arm64 {
            if let Some(base) = slides.kernel_text_exec_base {
                // An address below the text exec base is not kernel code (kexts of the boot
                // kernelcache sit below it, but those in the backtrace were placed above).
                return match a.get().checked_sub(base.get()) {
                    Some(offset) => Ok(Placement {
                        image: ImageKey::Kernel,
                        anchor: Anchor::Segment("__TEXT_EXEC"),
                        offset,
                        caveat: None,
                    }),
                    None => Err(Unresolved::BelowTextExecBase { base }),
                };
            }
            if let Some(slide) = slides.kernel_slide.or(slides.kernelcache_slide) {
                return Ok(Placement {
                    image: ImageKey::Kernel,
                    anchor: Anchor::SymbolFile,
                    offset: a.get().wrapping_sub(slide.get()),
                    caveat: Some(Caveat::SlideOnly),
                });
            }
            return Err(Unresolved::NoSlideOrTextExecBase);
        }
        // Intel: the KDK kernel's __TEXT is the boot kernel's, so runtime − slide is exact.
        match slides.kernel_slide.or(slides.kernelcache_slide) {
            Some(slide) => Ok(Placement {
                image: ImageKey::Kernel,
                anchor: Anchor::SymbolFile,
                offset: a.get().wrapping_sub(slide.get()),
                caveat: None,
            }),
            None => Err(Unresolved::NoKernelSlide),
        }
    }

    /// The kext of "Kernel Extensions in backtrace" (or a dependency) whose range holds `a`.
    /// Ranges without an end (Intel ≤10.15 dependencies) are taken as open-ended from their
    /// start, nearest start first; the symbol file's segments bound them later.
    fn place_in_kext(&self, a: RuntimeAddr) -> Option<Placement> {
        if let Some(k) = self.table.kext_at(a) {
            let start = self.strip(k.start?);
            return Some(self.kext_placement(k, start, a));
        }
        // The nearest start-only range below `a` (the first listed, among equal starts).
        let i = self.open_ended.partition_point(|(s, _)| *s <= a);
        let open_ended = i.checked_sub(1).map(|i| self.open_ended[i]);
        // Start-only ranges are the ≤10.15 Intel form, where kexts load below the kernel: an
        // address at or above the kernel's text base is the kernel's, whatever start precedes it.
        let below_kernel = self
            .report
            .slides
            .kernel_text_base
            .is_none_or(|base| a < self.strip(base));
        open_ended
            .filter(|(start, _)| below_kernel && a.get() - start.get() < MAX_OPEN_KEXT)
            .map(|(start, k)| self.kext_placement(k, start, a))
    }

    fn kext_placement(
        &self,
        k: &kpanic_report::KextRef,
        start: RuntimeAddr,
        a: RuntimeAddr,
    ) -> Placement {
        Placement {
            image: ImageKey::Kext {
                bundle_id: k.bundle_id.clone(),
                uuid: k.uuid,
            },
            // arm64 kexts print the start of __TEXT_EXEC; Intel ones their __TEXT load address.
            anchor: Anchor::Segment(if self.arm64 { "__TEXT_EXEC" } else { "__TEXT" }),
            offset: a.get() - start.get(),
            caveat: None,
        }
    }

    /// Places a full panic's `[imageIndex, offset]` frame.
    pub fn place_stack_frame(&self, frame: &StackFrame) -> Result<Placement, Unresolved> {
        let sd = self
            .report
            .spindump
            .as_ref()
            .ok_or(Unresolved::NoBinaryImages)?;
        let img = sd.image(frame).ok_or(Unresolved::ImageIndexPastEnd {
            index: frame.image,
            count: sd.binary_images.len(),
        })?;
        let uuid: Option<Uuid> = img.uuid.filter(|u| !u.is_nil());
        let offset = frame.offset.get();
        let image = if matches!(
            self.table.identify(frame.image),
            Some(BinaryImageIdentity::Kernel)
        ) {
            ImageKey::Kernel
        } else {
            ImageKey::Image {
                index: frame.image,
                uuid,
            }
        };
        let anchor = match img.kind {
            ImageKind::KernelTextExec => Anchor::Segment("__TEXT_EXEC"),
            ImageKind::KernelText => Anchor::Segment("__TEXT"),
            ImageKind::Kernelcache => {
                return Ok(Placement {
                    image,
                    anchor: Anchor::Kernelcache,
                    offset: img.base.get().wrapping_add(offset),
                    caveat: None,
                })
            }
            ImageKind::Absolute => {
                return Err(if offset == 0 {
                    Unresolved::EndOfStack
                } else {
                    Unresolved::AbsoluteOutsideImages
                })
            }
            ImageKind::Process | ImageKind::SharedCache | ImageKind::SharedCacheLibrary => {
                return Err(Unresolved::UserImage {
                    letter: img.kind.letter().to_string(),
                    uuid: img.uuid,
                })
            }
            ImageKind::Jit => return Err(Unresolved::Jit),
            ImageKind::Other(ref l) => return Err(Unresolved::UnknownImageLetter(l.clone())),
        };
        Ok(Placement {
            image,
            anchor,
            offset,
            caveat: None,
        })
    }

    /// The kernelcache vmaddr of a runtime address (runtime − KernelCache slide), for mapping
    /// through a kernelcache.
    pub fn unslid(&self, addr: RuntimeAddr) -> Option<UnslidAddr> {
        self.report.unslide(self.strip(addr))
    }

    /// The runtime address of a full panic's kernel frame, as the panic text would print it.
    pub fn runtime_of(&self, frame: &StackFrame) -> Option<RuntimeAddr> {
        let sd = self.report.spindump.as_ref()?;
        sd.image(frame).filter(|i| i.kind.is_kernel())?;
        self.report.runtime_of(frame)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn placer_for(text: &str) -> (PanicReport, Vec<RuntimeAddr>) {
        let r = kpanic_report::parse(text.as_bytes()).expect("parses");
        let lrs = r
            .backtrace
            .as_ref()
            .map(|b| b.frames.iter().map(|f| f.address).collect())
            .unwrap_or_default();
        (r, lrs)
    }

    const HEAD: &str = "panic(cpu 0 caller 0xfffffe0012d9a620): test\n\
        Kernel version: Darwin Kernel Version 22.6.0; root:xnu-8796.141.3~6/RELEASE_ARM64_T6000\n";

    #[test]
    fn arm64_kernel_anchors_on_text_exec_base_and_strips_pac() {
        let text = format!(
            "{HEAD}Kernel slide:      0x000000000a968000\n\
             Kernel text base:  0xfffffe001196c000\n\
             Kernel text exec slide: 0x000000000bd40000\n\
             Kernel text exec base:  0xfffffe0012d44000\n\
             Panicked thread: 0xfffffe2cec6ab010, backtrace: 0xfffffe8820216590, tid: 1\n\
             \t\t  lr: 0xfdc0fe0012d9a620  fp: 0xfffffe8820216610\n"
        );
        let (r, lrs) = placer_for(&text);
        let p = Placer::new(&r).place_runtime(lrs[0]).unwrap();
        assert_eq!(p.image, ImageKey::Kernel);
        assert_eq!(p.anchor, Anchor::Segment("__TEXT_EXEC"));
        // 0xfffffe0012d9a620 − 0xfffffe0012d44000: never from Kernel text base
        assert_eq!(p.offset, 0x56620);
        assert_eq!(p.caveat, None);
    }

    #[test]
    fn arm64_without_exec_base_falls_back_to_kernel_slide_with_a_caveat() {
        let text = format!(
            "{HEAD}Kernel slide:     0x000000000a968000\n\
             Kernel text base: 0xfffffe001196c000\n"
        );
        let (r, _) = placer_for(&text);
        let p = Placer::new(&r)
            .place_runtime(RuntimeAddr(0xfffffe0012d9a620))
            .unwrap();
        assert_eq!(p.anchor, Anchor::SymbolFile);
        assert_eq!(p.offset, 0xfffffe0012d9a620 - 0xa968000);
        assert!(p.caveat.is_some());
    }

    #[test]
    fn no_slide_lines_no_placement() {
        let (r, _) = placer_for(HEAD);
        let err = Placer::new(&r)
            .place_runtime(RuntimeAddr(0xfffffe0012d9a620))
            .unwrap_err();
        assert!(err.to_string().contains("no Kernel slide"), "{err}");
        // user-space and null addresses are never placed in the kernel
        let p = Placer::new(&r);
        assert!(matches!(
            p.place_runtime(RuntimeAddr(0x1030088fc)),
            Err(Unresolved::UserSpace)
        ));
        assert!(matches!(
            p.place_runtime(RuntimeAddr(0)),
            Err(Unresolved::NullAddress)
        ));
    }

    #[test]
    fn intel_kernel_is_runtime_minus_kernel_slide_and_kexts_anchor_on_text() {
        let text = "panic(cpu 0 caller 0xffffff8018386d06): \"x\"@/a.c:1\n\
            Backtrace (CPU 0), Frame : Return Address\n\
            0xffffffa0f1a8b960 : 0xffffff8015cbab4d \n\
            0xffffffa0f1a8bc60 : 0xffffff8018386d06 \n\
            \x20     Kernel Extensions in backtrace:\n\
            \x20        com.foo.bar(1.0)[D5DFC80E-EF7A-3660-BE57-473E67626B44]@0xffffff8018364000->0xffffff801838dfff\n\
            \x20           dependency: com.apple.iokit.IOPCIFamily(2.9)[BF2C5E86-1E8F-3FD4-9874-7738178FA73B]@0xffffff801861f000\n\
            \n\
            Kernel version:\n\
            Darwin Kernel Version 20.3.0: Thu Jan 21 00:07:06 PST 2021; root:xnu-7195.81.3~1/RELEASE_X86_64\n\
            KernelCache slide: 0x0000000015a00000\n\
            KernelCache base:  0xffffff8015c00000\n\
            Kernel slide:      0x0000000015a10000\n\
            Kernel text base:  0xffffff8015c10000\n";
        let (r, lrs) = placer_for(text);
        let placer = Placer::new(&r);
        let k = placer.place_runtime(lrs[0]).unwrap();
        assert_eq!(k.image, ImageKey::Kernel);
        assert_eq!(k.anchor, Anchor::SymbolFile);
        // Kernel slide, not KernelCache slide (they differ by 0x10000 here)
        assert_eq!(k.offset, 0xffffff8015cbab4d - 0x15a10000);
        let x = placer.place_runtime(lrs[1]).unwrap();
        assert_eq!(
            x.image,
            ImageKey::Kext {
                bundle_id: "com.foo.bar".into(),
                uuid: "D5DFC80E-EF7A-3660-BE57-473E67626B44".parse().ok()
            }
        );
        assert_eq!(x.anchor, Anchor::Segment("__TEXT"));
        assert_eq!(x.offset, 0x22d06);
        // A start-only dependency (a ≤10.15 form) above the kernel's text base never takes
        // addresses from the kernel.
        let d = placer
            .place_runtime(RuntimeAddr(0xffffff801861f123))
            .unwrap();
        assert_eq!(d.image, ImageKey::Kernel);
    }

    #[test]
    fn start_only_kexts_below_the_kernel_do_not_swallow_kernel_frames() {
        // 10.15 layout: kexts at 0xffffff7f…, the kernel above them.
        let text = "panic(cpu 6 caller 0xffffff80098da29d): \"x\"@/a.c:1\n\
            Backtrace (CPU 6), Frame : Return Address\n\
            0xffffff83b2d1b5b0 : 0xffffff80098da29d \n\
            0xffffff83b2d1b600 : 0xffffff7f89d2e3d1 \n\
            \x20     Kernel Extensions in backtrace:\n\
            \x20        com.emu.driver.EMUUSBAudio(3.5.5)[2B3E4F64-7E2A-3F0B-8AF0-0A1B2C3D4E5F]@0xffffff7f89d1f000->0xffffff7f89d3ffff\n\
            \x20           dependency: com.apple.iokit.IOAudioFamily(206.5)[C7A2C1A0-1B2C-3D4E-8F90-A1B2C3D4E5F6]@0xffffff7f8a000000\n\
            \n\
            Kernel version:\n\
            Darwin Kernel Version 19.6.0; root:xnu-6153.141.2~1/RELEASE_X86_64\n\
            Kernel slide:     0x0000000009400000\n\
            Kernel text base: 0xffffff8009600000\n";
        let (r, lrs) = placer_for(text);
        let placer = Placer::new(&r);
        assert_eq!(
            placer.place_runtime(lrs[0]).unwrap().image,
            ImageKey::Kernel
        );
        let x = placer.place_runtime(lrs[1]).unwrap();
        assert!(
            matches!(x.image, ImageKey::Kext { ref bundle_id, .. } if bundle_id == "com.emu.driver.EMUUSBAudio")
        );
    }
}
