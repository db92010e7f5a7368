//! Where an address of the log lives: which image, and where inside it.
//!
//! This is DESIGN.md §2's table, and nothing else: no symbol file is opened here. A
//! [`Placement`] says "offset N from the start of image I's segment S", or "kernelcache vmaddr
//! V"; [`crate::symbolicate`] turns it into a [`kpanic_symbols::SymbolAddr`] with the symbol
//! file's own load commands. Keeping the two steps apart is what keeps a slide from being
//! applied twice: runtime addresses ([`RuntimeAddr`]) and unslid ones ([`UnslidAddr`]) stop here.

use kpanic_report::{ImageKind, PanicReport, RuntimeAddr, StackFrame, UnslidAddr};
use kpanic_symbols::{strip_pac, Uuid};

/// An image of the panic, as the log identifies it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ImageKey {
    /// The kernel (found by variant and `Kernel UUID`).
    Kernel,
    /// A kext named in "Kernel Extensions in backtrace".
    Kext {
        bundle_id: String,
        uuid: Option<Uuid>,
    },
    /// A full panic's `binaryImages` entry other than the kernel.
    Image { index: u64, uuid: Option<Uuid> },
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

/// An address placed in an image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placement {
    pub image: ImageKey,
    pub anchor: Anchor,
    pub offset: u64,
    /// Why the mapping may be off even with the right symbols (printed with the frame).
    pub caveat: Option<&'static str>,
}

/// Why an address has no image.
pub type NoImage = String;

/// The caveat for kernel addresses mapped by `Kernel slide` on arm64: the boot kernelcache
/// moves segments, so only a kernelcache (or the text exec base) maps them exactly.
const SLIDE_ONLY: &str =
    "mapped by Kernel slide alone (no Kernel text exec base in the log): may be off";

/// Places runtime addresses of one panic.
pub struct Placer<'r> {
    report: &'r PanicReport,
    kernel_uuid: Option<Uuid>,
    /// VA bits of kernel pointers, for PAC stripping (from a known kernel address).
    va_bits: Option<u32>,
    arm64: bool,
}

impl<'r> Placer<'r> {
    pub fn new(report: &'r PanicReport) -> Self {
        let kernel_uuid = report
            .system
            .kernel_uuid
            .as_deref()
            .and_then(|u| u.parse().ok());
        let reference = report
            .slides
            .kernel_text_exec_base
            .or(report.slides.kernel_text_base)
            .or(report.slides.kernelcache_base)
            .map(RuntimeAddr::get)
            .or_else(|| report.panic.as_ref()?.caller.map(RuntimeAddr::get));
        let va_bits = reference
            .filter(|r| r & (1 << 63) != 0)
            .map(kpanic_symbols::va_bits_like);
        let arm64 = match report.arch {
            Some(kpanic_report::Arch::Arm64) => true,
            Some(kpanic_report::Arch::X86_64) => false,
            None => report
                .system
                .kernel_variant
                .as_ref()
                .is_none_or(|v| v.arch != "x86_64"),
        };
        Placer {
            report,
            kernel_uuid,
            va_bits,
            arm64,
        }
    }

    pub fn kernel_uuid(&self) -> Option<Uuid> {
        self.kernel_uuid
    }

    /// PAC bits off, for kernel pointers (bit 55 set); user addresses stay as they are.
    pub fn strip(&self, addr: RuntimeAddr) -> RuntimeAddr {
        let a = addr.get();
        if a & (1 << 55) == 0 {
            return addr;
        }
        match self.va_bits {
            Some(bits) => RuntimeAddr(strip_pac(a, bits)),
            None => addr,
        }
    }

    /// Places a runtime address of the panic text (lr, pc, caller, CORE PC/LR).
    pub fn place_runtime(&self, addr: RuntimeAddr) -> Result<Placement, NoImage> {
        let a = self.strip(addr);
        if a.get() & (1 << 63) == 0 {
            return Err(if a.get() == 0 {
                "null address".into()
            } else {
                "user-space address (kpanic symbolicates kernel images)".into()
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
                    None => Err(format!(
                        "below Kernel text exec base {base} and in no kext of the backtrace"
                    )),
                };
            }
            if let Some(slide) = slides.kernel_slide.or(slides.kernelcache_slide) {
                return Ok(Placement {
                    image: ImageKey::Kernel,
                    anchor: Anchor::SymbolFile,
                    offset: a.get().wrapping_sub(slide.get()),
                    caveat: Some(SLIDE_ONLY),
                });
            }
            return Err("the log has no Kernel slide or text exec base line".into());
        }
        // Intel: the KDK kernel's __TEXT is the boot kernel's, so runtime − slide is exact.
        match slides.kernel_slide.or(slides.kernelcache_slide) {
            Some(slide) => Ok(Placement {
                image: ImageKey::Kernel,
                anchor: Anchor::SymbolFile,
                offset: a.get().wrapping_sub(slide.get()),
                caveat: None,
            }),
            None => Err("the log has no Kernel slide line".into()),
        }
    }

    /// The kext of "Kernel Extensions in backtrace" (or a dependency) whose range holds `a`.
    /// Ranges without an end (Intel ≤10.15 dependencies) are taken as open-ended from their
    /// start, nearest start first; the symbol file's segments bound them later.
    fn place_in_kext(&self, a: RuntimeAddr) -> Option<Placement> {
        let kexts = self
            .report
            .kexts_in_backtrace
            .iter()
            .flat_map(|k| std::iter::once(&k.kext).chain(k.dependencies.iter()));
        let mut open_ended = None;
        for k in kexts {
            let Some(start) = k.start.map(|s| self.strip(s)) else {
                continue;
            };
            let hit = match k.end {
                Some(end) => start <= a && a <= self.strip(end),
                None => {
                    if start <= a && open_ended.is_none_or(|(s, _)| s < start) {
                        open_ended = Some((start, k));
                    }
                    false
                }
            };
            if hit {
                return Some(self.kext_placement(k, start, a));
            }
        }
        open_ended.map(|(start, k)| self.kext_placement(k, start, a))
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
                uuid: k.uuid.as_deref().and_then(|u| u.parse().ok()),
            },
            // arm64 kexts print the start of __TEXT_EXEC; Intel ones their __TEXT load address.
            anchor: Anchor::Segment(if self.arm64 { "__TEXT_EXEC" } else { "__TEXT" }),
            offset: a.get() - start.get(),
            caveat: None,
        }
    }

    /// Places a full panic's `[imageIndex, offset]` frame.
    pub fn place_stack_frame(&self, frame: &StackFrame) -> Result<Placement, NoImage> {
        let sd = self
            .report
            .spindump
            .as_ref()
            .ok_or("no binaryImages in this panic")?;
        let img = sd.image(frame).ok_or_else(|| {
            format!(
                "image index {} is past the {} binaryImages",
                frame.image,
                sd.binary_images.len()
            )
        })?;
        let uuid: Option<Uuid> = img.uuid.parse().ok().filter(|u: &Uuid| u.0 != [0; 16]);
        let offset = frame.offset.get();
        let image = if uuid.is_some() && uuid == self.kernel_uuid {
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
                    "end of stack ([A, 0])".into()
                } else {
                    "absolute address outside every image".into()
                })
            }
            ImageKind::Process | ImageKind::SharedCache | ImageKind::SharedCacheLibrary => {
                return Err(format!(
                    "user-space image {} ({})",
                    img.kind.letter(),
                    img.uuid
                ))
            }
            ImageKind::Jit => return Err("JIT region".into()),
            ImageKind::Other(ref l) => return Err(format!("image letter {l:?} is not known")),
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
