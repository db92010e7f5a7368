//! The images of one panic, as the log identifies them, resolved once: which `binaryImages`
//! entry is the kernel, which is a kext the log names (by UUID), which kext's range holds an
//! address. Placement, symbolication and diagnosis all ask this table instead of matching UUIDs
//! and ranges again each in its own way.

use std::collections::HashMap;

use kpanic_common::pac::{is_kernel_half, strip_pac, va_bits_like};
use kpanic_common::ranges::FirstCover;
use kpanic_common::{RuntimeAddr, Uuid};
use kpanic_report::{BinaryImage, ImageKind, KextRef, PanicReport};

/// What a full panic's `binaryImages` entry is.
#[derive(Clone, Copy, Debug)]
pub enum BinaryImageIdentity<'r> {
    /// The kernel (its UUID is the log's `Kernel UUID`).
    Kernel,
    /// A kext the log names (in "Kernel Extensions in backtrace", by UUID).
    Kext(&'r KextRef),
    /// The whole kernelcache (`U`).
    Kernelcache,
    /// Another image: known by index and UUID only.
    Unnamed(&'r BinaryImage),
}

/// The images of one panic.
pub struct ImageTable<'r> {
    report: &'r PanicReport,
    kernel_uuid: Option<Uuid>,
    kexts_by_uuid: HashMap<Uuid, &'r KextRef>,
    /// VA bits of kernel pointers, for PAC stripping, judged from a known kernel address.
    va_bits: Option<u32>,
    /// The stripped kext ranges, first in log order winning: a paste of a thousand copies
    /// of one panic costs frames × log(ranges), not frames × ranges.
    pieces: FirstCover<&'r KextRef>,
}

impl<'r> ImageTable<'r> {
    /// Builds the table of `report`.
    pub fn new(report: &'r PanicReport) -> Self {
        let mut kexts_by_uuid = HashMap::new();
        for k in kexts(report) {
            if let Some(u) = k.uuid {
                kexts_by_uuid.entry(u).or_insert(k);
            }
        }
        let reference = report
            .slides
            .kernel_text_exec_base
            .or(report.slides.kernel_text_base)
            .or(report.slides.kernelcache_base)
            .map(RuntimeAddr::get)
            .or_else(|| report.panic.as_ref()?.caller.map(RuntimeAddr::get));
        let mut table = ImageTable {
            report,
            kernel_uuid: report.system.kernel_uuid,
            kexts_by_uuid,
            va_bits: reference.filter(|r| is_kernel_half(*r)).map(va_bits_like),
            pieces: FirstCover::new([]),
        };
        table.pieces = FirstCover::new(
            kexts(report)
                .filter_map(|k| Some((table.strip(k.start?).get(), table.strip(k.end?).get(), k))),
        );
        table
    }

    /// The panic's report.
    pub fn report(&self) -> &'r PanicReport {
        self.report
    }

    /// The kernel's UUID, as the log gives it.
    pub fn kernel_uuid(&self) -> Option<Uuid> {
        self.kernel_uuid
    }

    /// PAC bits off, for kernel pointers (bit 55 set); user addresses stay as they are.
    pub fn strip(&self, addr: RuntimeAddr) -> RuntimeAddr {
        match self.va_bits {
            Some(bits) if is_kernel_half(addr.get()) => RuntimeAddr(strip_pac(addr.get(), bits)),
            _ => addr,
        }
    }

    /// The kext of "Kernel Extensions in backtrace" (dependencies included) with this UUID.
    pub fn kext_by_uuid(&self, uuid: Uuid) -> Option<&'r KextRef> {
        self.kexts_by_uuid.get(&uuid).copied()
    }

    /// The `binaryImages` entry `index`.
    pub fn binary_image(&self, index: u64) -> Option<&'r BinaryImage> {
        self.report
            .spindump
            .as_ref()?
            .binary_images
            .get(usize::try_from(index).ok()?)
    }

    /// What the `binaryImages` entry `index` is.
    pub fn identify(&self, index: u64) -> Option<BinaryImageIdentity<'r>> {
        let img = self.binary_image(index)?;
        let uuid = img.uuid.filter(|u| !u.is_nil());
        if uuid.is_some() && uuid == self.kernel_uuid {
            return Some(BinaryImageIdentity::Kernel);
        }
        if let Some(k) = uuid.and_then(|u| self.kext_by_uuid(u)) {
            return Some(BinaryImageIdentity::Kext(k));
        }
        if img.kind == ImageKind::Kernelcache {
            return Some(BinaryImageIdentity::Kernelcache);
        }
        Some(BinaryImageIdentity::Unnamed(img))
    }

    /// The kext (of "Kernel Extensions in backtrace", dependencies included) whose
    /// `[start, end]` holds `addr`, PAC bits or not.
    pub fn kext_at(&self, addr: RuntimeAddr) -> Option<&'r KextRef> {
        self.pieces.get(self.strip(addr).get())
    }
}

/// Every kext of "Kernel Extensions in backtrace", each followed by its dependencies.
pub fn kexts(report: &PanicReport) -> impl Iterator<Item = &KextRef> {
    report
        .kexts_in_backtrace
        .iter()
        .flat_map(|k| std::iter::once(&k.kext).chain(&k.dependencies))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first kext in log order whose range holds `a`: what `kext_at` must answer.
    fn linear<'r>(t: &ImageTable<'r>, a: RuntimeAddr) -> Option<&'r KextRef> {
        let a = t.strip(a);
        kexts(t.report).find(|k| match (k.start, k.end) {
            (Some(s), Some(e)) => (t.strip(s)..=t.strip(e)).contains(&a),
            _ => false,
        })
    }

    #[test]
    fn kext_at_answers_as_a_search_in_log_order() {
        // Nested, overlapping, repeated and single-address ranges.
        let log = "panic(cpu 0 caller 0xffffff8000100000): test\n\
            Kernel Extensions in backtrace:\n\
            \x20  com.a(1.0)[00000000-0000-0000-0000-00000000000A]@0xffffff7f80000000->0xffffff7f80ffffff\n\
            \x20     dependency: com.b(1.0)[00000000-0000-0000-0000-00000000000B]@0xffffff7f80001000->0xffffff7f80001fff\n\
            \x20  com.c(1.0)[00000000-0000-0000-0000-00000000000C]@0xffffff7f80000800->0xffffff7f81002fff\n\
            \x20  com.d(1.0)[00000000-0000-0000-0000-00000000000D]@0xffffff7f90000000->0xffffff7f90000000\n\
            \x20  com.a(1.0)[00000000-0000-0000-0000-00000000000A]@0xffffff7f80000000->0xffffff7f80ffffff\n";
        let report = kpanic_report::parse(log.as_bytes()).unwrap();
        let t = ImageTable::new(&report);
        assert_eq!(kexts(&report).count(), 5);
        let edges = [
            0xffffff7f80000000u64,
            0xffffff7f80000800,
            0xffffff7f80001000,
            0xffffff7f80001fff,
            0xffffff7f80ffffff,
            0xffffff7f81002fff,
            0xffffff7f90000000,
        ];
        let mut probes = vec![0, u64::MAX];
        for e in edges {
            probes.extend([e - 1, e, e + 1]);
        }
        for a in probes {
            let got = t.kext_at(RuntimeAddr(a)).map(|k| k.bundle_id.as_str());
            let want = linear(&t, RuntimeAddr(a)).map(|k| k.bundle_id.as_str());
            assert_eq!(got, want, "{a:#x}");
        }
        assert_eq!(
            t.kext_at(RuntimeAddr(0xffffff7f80001800))
                .map(|k| k.bundle_id.as_str()),
            Some("com.a")
        );
        assert_eq!(
            t.kext_at(RuntimeAddr(0xffffff7f81000000))
                .map(|k| k.bundle_id.as_str()),
            Some("com.c")
        );
    }
}
