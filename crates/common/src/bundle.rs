//! Who wrote a kernel image: the one rule every part of kpanic uses to call a kext third-party.

/// True when the bundle id names code Apple did not ship: anything outside `com.apple.`, except
/// the names logs give the kernel itself (`mach_kernel`, `kernel…`).
pub fn is_third_party(bundle_id: &str) -> bool {
    !bundle_id.starts_with("com.apple.")
        && bundle_id != "mach_kernel"
        && !bundle_id.starts_with("kernel")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apple_and_kernel_are_not_third_party() {
        assert!(!is_third_party("com.apple.iokit.IOPCIFamily"));
        assert!(!is_third_party("mach_kernel"));
        assert!(!is_third_party("kernel.release.t8112"));
        assert!(is_third_party("com.example.driver.FxDriver"));
        assert!(is_third_party("as.vit9696.Lilu"));
    }
}
