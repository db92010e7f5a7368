//! Identity of the OS, kernel and boot: what picks the right KDK and kernelcache.

use crate::RuntimeAddr;
use kpanic_common::{Hex, Uuid};
use schemars::JsonSchema;
use serde::Serialize;

/// The header lines of the panic text (arm64 and Intel share most of them).
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct SystemInfo {
    /// `OS version: 24F74` (arm64: build only) or Intel `Mac OS version:` (value often on the next
    /// line).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub os_build: Option<String>,
    /// bridgeOS `macOS version:`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub macos_version: Option<String>,
    /// `OS release type: User | Restore | Internal`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub os_release_type: Option<String>,
    /// `Kernel version:` (Intel: value on the next line), or the JSON body's `kernel`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kernel_version: Option<String>,
    /// Derived from `kernel_version`: which kernel of a KDK matches.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kernel_variant: Option<KernelVariant>,
    /// Darwin version from `Kernel version:` (`24.5.0` of `Darwin Kernel Version 24.5.0: …`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub darwin_version: Option<String>,
    /// `xnu-11417.121.6~2`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub xnu_version: Option<String>,
    /// `Kernel UUID:`: LC_UUID of the running kernel, which picks the KDK kernel.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kernel_uuid: Option<Uuid>,
    /// `Fileset Kernelcache UUID` (32 hex digits) or older `KernelCache UUID`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kernelcache_uuid: Option<Uuid>,
    /// `Boot session UUID:`: identifies the boot that panicked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub boot_session_uuid: Option<Uuid>,
    /// `iBoot version:`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iboot_version: Option<String>,
    /// `iBoot Stage 2 version:` (may be present and empty).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iboot_stage2_version: Option<String>,
    /// `secure boot?: YES|NO`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secure_boot: Option<bool>,
    /// `roots installed: N`: number of roots (modified system content) installed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub roots_installed: Option<u32>,
    /// `Paniclog version: N` (10–15 on the logs seen so far).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paniclog_version: Option<u32>,
    /// `Memory ID:` (the DRAM vendor/type code, as printed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_id: Option<String>,
    /// `Exclaves boot status:`, as printed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exclaves_boot_status: Option<String>,
    /// `Debug Header address:`: physical address of the debug header.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub debug_header_address: Option<Hex>,
    /// `Debug Header entry count:`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub debug_header_entry_count: Option<u32>,
    /// `TXM load address:`: where the Trusted Execution Monitor was loaded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub txm_load_address: Option<Hex>,
    /// `TXM UUID:`: the Trusted Execution Monitor's UUID.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub txm_uuid: Option<Uuid>,
    /// `Debug Header kernelcache load address:`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub debug_header_kernelcache_load_address: Option<Hex>,
    /// `Debug Header kernelcache UUID:`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub debug_header_kernelcache_uuid: Option<Uuid>,
    /// `SPTM load address:`: where the Secure Page Table Monitor was loaded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sptm_load_address: Option<Hex>,
    /// `SPTM UUID:`: the Secure Page Table Monitor's UUID.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sptm_uuid: Option<Uuid>,
    /// `mach_absolute_time:` at the panic, in timebase ticks (not nanoseconds on arm64).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mach_absolute_time: Option<Hex>,
    /// Printed only when secure boot is off: `Device:`, `Hardware Model:`, `ECID:`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    /// `Hardware Model:` (`Mac14,2`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hardware_model: Option<String>,
    /// `ECID:`: the chip's unique id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ecid: Option<String>,
    /// `Boot args:`: the kernel boot arguments (e.g. `keepsyms=1`, `-v`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub boot_args: Option<String>,
    /// Intel `System model name: iMac19,2 (Mac-63001698E7A34814)`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system_model: Option<String>,
    /// Intel `Anonymous UUID:`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub anonymous_uuid: Option<Uuid>,
    /// Intel report date line (`Mon Oct 29 13:57:35 2018`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report_date: Option<String>,
    /// `System shutdown begun:` (`YES`/`NO`): the panic came during shutdown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system_shutdown_begun: Option<String>,
    /// `Panic diags file available:` (`YES`/`NO`), as printed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub panic_diags_file: Option<String>,
    /// `Hibernation exit count:`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hibernation_exit_count: Option<u64>,
    /// `System uptime in nanoseconds:`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uptime_ns: Option<u64>,
}

/// The kernel build a log names, e.g. `RELEASE_ARM64_T8112`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct KernelVariant {
    /// `release`, `development`, `kasan`, `debug`, `profile` (lower-cased from the log).
    pub kind: String,
    /// `arm64` or `x86_64`.
    pub arch: String,
    /// SoC/platform suffix, lower-cased: `t8112`, `t6000`, `vresearch1`. None on Intel.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub soc: Option<String>,
    /// The config string as printed (`RELEASE_ARM64_T8112`).
    pub config: String,
}

impl KernelVariant {
    /// Parse the text after `root:xnu-…/` in a Darwin kernel version string.
    pub fn from_kernel_version(version: &str) -> Option<Self> {
        let config = version.rsplit('/').next()?.trim();
        let config = config.split_whitespace().next()?;
        let (kind, rest) = config.split_once('_')?;
        if kind.is_empty() || !kind.bytes().all(|b| b.is_ascii_uppercase()) {
            return None;
        }
        let (arch, soc) = if let Some(soc) = rest.strip_prefix("ARM64") {
            ("arm64", soc.strip_prefix('_').filter(|s| !s.is_empty()))
        } else if rest.starts_with("X86_64") {
            ("x86_64", None)
        } else if rest.starts_with("I386") {
            ("i386", None)
        } else if let Some(soc) = rest.strip_prefix("ARM") {
            // 32-bit iOS kernels: RELEASE_ARM_S5L8940X.
            ("arm", soc.strip_prefix('_').filter(|s| !s.is_empty()))
        } else {
            return None;
        };
        Some(KernelVariant {
            kind: kind.to_ascii_lowercase(),
            arch: arch.to_string(),
            soc: soc.map(str::to_ascii_lowercase),
            config: config.to_string(),
        })
    }

    /// File name of this kernel in a KDK's `System/Library/Kernels`:
    /// `kernel.release.t8112`, `kernel.development.t6000`; Intel `kernel` (release) or
    /// `kernel.development`.
    pub fn kdk_kernel_name(&self) -> String {
        if self.arch == "x86_64" {
            if self.kind == "release" {
                "kernel".to_string()
            } else {
                format!("kernel.{}", self.kind)
            }
        } else {
            match &self.soc {
                Some(soc) => format!("kernel.{}.{}", self.kind, soc),
                None => format!("kernel.{}", self.kind),
            }
        }
    }
}

/// Every slide/base line, as numbers.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct Slides {
    /// `KernelCache slide:`: runtime minus unslid address for the whole fileset kernelcache.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kernelcache_slide: Option<Hex>,
    /// `KernelCache base:`: runtime address of the kernelcache's Mach-O header.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kernelcache_base: Option<RuntimeAddr>,
    /// `Kernel slide:`: runtime minus unslid address of the kernel (Intel, and arm64 beside `KernelCache slide`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kernel_slide: Option<Hex>,
    /// `Kernel text base:`: runtime address of the kernel's `__TEXT` (its Mach-O header).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kernel_text_base: Option<RuntimeAddr>,
    /// `Kernel text exec slide:`: slide of the kernel's `__TEXT_EXEC` segment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kernel_text_exec_slide: Option<Hex>,
    /// `Kernel text exec base:`: runtime address of the kernel's `__TEXT_EXEC` segment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kernel_text_exec_base: Option<RuntimeAddr>,
    /// Intel `__HIB  text base:`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hib_text_base: Option<RuntimeAddr>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_variants() {
        let v = KernelVariant::from_kernel_version(
            "Darwin Kernel Version 24.0.0: Tue Sep 24 23:37:13 PDT 2024; root:xnu-11215.1.12~1/RELEASE_ARM64_T8112",
        )
        .unwrap();
        assert_eq!(v.kdk_kernel_name(), "kernel.release.t8112");
        let v = KernelVariant::from_kernel_version("root:xnu-1/DEVELOPMENT_ARM64_T6000").unwrap();
        assert_eq!(v.kdk_kernel_name(), "kernel.development.t6000");
        let v = KernelVariant::from_kernel_version("root:xnu-1/RELEASE_X86_64").unwrap();
        assert_eq!(v.kdk_kernel_name(), "kernel");
        assert_eq!(v.soc, None);
        assert!(KernelVariant::from_kernel_version("garbage").is_none());
        assert!(KernelVariant::from_kernel_version("root:xnu-1/").is_none());
    }
}
