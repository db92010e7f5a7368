//! Which kind of system panicked, for the VM's free-page levels: xnu builds macOS with one set
//! and every other Apple OS (`!XNU_TARGET_OS_OSX`) with another (`osfmk/vm/vm_pageout.c`).

use kpanic_report::{Arch, PanicReport};

string_enum! {
    /// The family of OS, as far as the VM's free-page levels go.
    pub enum Platform {
        /// macOS (and Mac OS X).
        Macos = "macos",
        /// iOS, iPadOS, watchOS, tvOS, visionOS, bridgeOS: xnu's `!XNU_TARGET_OS_OSX`, where
        /// the VM keeps few pages free and jetsam, not the free count, governs memory.
        Embedded = "embedded",
    }
}

/// The VM's free-page levels of a platform, in pages of the kernel's page size (xnu-11417
/// `osfmk/vm/vm_pageout.c`, `vm_page_free_reserve()`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FreeLevels {
    /// `vm_page_free_reserved` at most: below it `vm_page_grab()` gives pages only to
    /// VM-privileged threads, and every other thread that needs one blocks in
    /// `vm_page_wait()`. `VM_PAGE_FREE_RESERVED_LIMIT` + `COMPRESSOR_FREE_RESERVED_LIMIT`:
    /// 100 + 28 off macOS (always reached: the reserve asked for is 6 × 128 + CPUs), 1700 + 128
    /// on macOS (an upper bound: a Mac's reserve is about 900 + CPUs).
    pub reserved: u64,
    /// `VM_PAGE_FREE_MIN_LIMIT`, the cap of `vm_page_free_min`: below it the pageout daemon runs.
    pub min: u64,
    /// `VM_PAGE_FREE_TARGET_LIMIT`, the cap of `vm_page_free_target`: what the pageout daemon
    /// refills the free list to. The stackshot's `pagesWanted` is this target minus the free
    /// count (`mach_vm_ctl_page_free_wanted()`).
    pub target: u64,
}

impl Platform {
    /// The platform's free-page levels.
    pub fn free_levels(self) -> FreeLevels {
        match self {
            Platform::Macos => FreeLevels {
                reserved: 1700 + 128,
                min: 3500,
                target: 4000,
            },
            Platform::Embedded => FreeLevels {
                reserved: 100 + 28,
                min: 1500,
                target: 2000,
            },
        }
    }

    /// The platform of a report: the `.ips` product or OS name, else Intel (macOS only).
    pub fn of(r: &PanicReport) -> Option<Platform> {
        let ips = r.ips.as_ref();
        let product = ips.and_then(|i| i.body.product.as_deref());
        let os = ips.and_then(|i| i.body.build.as_deref().or(i.header.os_version.as_deref()));
        product
            .and_then(by_product)
            .or_else(|| os.and_then(by_os_name))
            .or((r.arch == Some(Arch::X86_64)).then_some(Platform::Macos))
    }
}

/// `Mac17,3`, `MacBookPro18,1`, `iMac19,2`, `VirtualMac2,1`, `ADP3,2`; `iPhone12,5`, `iPad8,1`,
/// `Watch6,1`, `AppleTV6,2`, `iBridge2,1`, `RealityDevice14,1`, `iPod9,1`.
fn by_product(p: &str) -> Option<Platform> {
    const MAC: &[&str] = &["mac", "imac", "virtualmac", "adp"];
    const EMBEDDED: &[&str] = &[
        "iphone",
        "ipad",
        "ipod",
        "watch",
        "appletv",
        "audioaccessory",
        "ibridge",
        "realitydevice",
    ];
    let p = p.to_ascii_lowercase();
    if EMBEDDED.iter().any(|e| p.starts_with(e)) {
        Some(Platform::Embedded)
    } else if MAC.iter().any(|m| p.starts_with(m)) {
        Some(Platform::Macos)
    } else {
        None
    }
}

/// `macOS 15.5 (24F74)`, `Mac OS X 10.14`; `iPhone OS 26.1 (23B85)`, `iPadOS`, `Watch OS`,
/// `Apple TV OS`, `Bridge OS`, `xrOS`/`visionOS`.
fn by_os_name(os: &str) -> Option<Platform> {
    const EMBEDDED: &[&str] = &[
        "iphone os",
        "ipados",
        "ios",
        "watch os",
        "watchos",
        "apple tv os",
        "tvos",
        "bridge os",
        "bridgeos",
        "xros",
        "visionos",
    ];
    let os = os.trim().to_ascii_lowercase();
    if os.starts_with("macos") || os.starts_with("mac os") || os.starts_with("os x") {
        Some(Platform::Macos)
    } else if EMBEDDED.iter().any(|e| os.starts_with(e)) {
        Some(Platform::Embedded)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn products_and_os_names() {
        // Products and builds of the corpus (.ips bodies and headers).
        assert_eq!(by_product("iPhone12,5"), Some(Platform::Embedded));
        assert_eq!(by_product("iPhone18,2"), Some(Platform::Embedded));
        assert_eq!(by_product("iBridge2,1"), Some(Platform::Embedded));
        assert_eq!(by_product("Mac17,3"), Some(Platform::Macos));
        assert_eq!(by_product("MacBookPro18,3"), Some(Platform::Macos));
        assert_eq!(by_product("iMac19,2"), Some(Platform::Macos));
        assert_eq!(by_product("Z9"), None);
        assert_eq!(
            by_os_name("iPhone OS 16.2 (20C65)"),
            Some(Platform::Embedded)
        );
        assert_eq!(by_os_name("macOS 26.6.2 (25G83)"), Some(Platform::Macos));
        assert_eq!(
            by_os_name("Bridge OS 7.5 (20P5058)"),
            Some(Platform::Embedded)
        );
        assert_eq!(by_os_name("Linux"), None);
    }

    #[test]
    fn levels_follow_vm_pageout_c() {
        // The stackshot's pagesWanted is target − free: the iOS 26 full panics of the corpus
        // have free 1620 + pagesWanted 380 and free 1756 + pagesWanted 244, both 2000.
        let e = Platform::Embedded.free_levels();
        assert_eq!((e.reserved, e.min, e.target), (128, 1500, 2000));
        let m = Platform::Macos.free_levels();
        assert_eq!((m.reserved, m.min, m.target), (1828, 3500, 4000));
    }
}
