//! Which symbols a panic needs, and where a user gets them.
//!
//! "No symbols" alone sends users searching; the log says exactly what is needed. A macOS
//! panic needs the Kernel Debug Kit of its build, and within it the kernel of its config
//! (`kernel.release.t6000`); iOS, iPadOS and the other embedded systems have no KDKs, so the
//! kernelcache of the device's IPSW for that build is the only symbol source; the T2's
//! bridgeOS panics carry nothing to symbolicate.

use kpanic_common::Uuid;
use kpanic_report::PanicReport;
use serde::Serialize;

/// The operating system that panicked, as far as the symbols go.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Platform {
    /// macOS: symbols come from a Kernel Debug Kit.
    #[serde(rename = "macos")]
    MacOs,
    /// iOS, iPadOS, watchOS, tvOS, visionOS, HomePod: symbols come from the IPSW's kernelcache.
    Embedded,
    /// bridgeOS on a T2: no public symbols.
    #[serde(rename = "bridgeos")]
    BridgeOs,
    /// The log does not say.
    Unknown,
}

/// The symbols that would let kpanic name the functions of this panic.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct SymbolsNeeded {
    /// Which kind of symbol source applies.
    pub platform: Platform,
    /// The OS build (`22A400`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub build: Option<String>,
    /// The KDK's kernel file for this panic (`kernel.release.t6000`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kernel: Option<String>,
    /// The running kernel's UUID, which the right kernel file carries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kernel_uuid: Option<Uuid>,
    /// The device model (`iPhone13,2`), which picks the IPSW.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// One sentence: what to get, where, and the flag that takes it.
    pub advice: String,
}

/// Model prefixes of Apple's embedded devices (their models name the product line).
const EMBEDDED_MODELS: &[&str] = &[
    "iPhone",
    "iPad",
    "iPod",
    "Watch",
    "AppleTV",
    "AudioAccessory",
    "RealityDevice",
    "iBridge",
];

impl SymbolsNeeded {
    /// What `report` needs.
    pub fn of(report: &PanicReport) -> SymbolsNeeded {
        let os_text = report
            .ips
            .as_ref()
            .and_then(|i| i.body.build.clone().or_else(|| i.header.os_version.clone()))
            .or_else(|| report.system.os_build.clone())
            .unwrap_or_default();
        let build =
            build_of(&os_text).or_else(|| report.system.os_build.as_deref().and_then(build_of));
        let model = report
            .ips
            .as_ref()
            .and_then(|i| i.body.product.clone())
            .or_else(|| report.system.hardware_model.clone())
            .or_else(|| report.system.system_model.clone())
            .map(|m| m.split_whitespace().next().unwrap_or("").to_string())
            .filter(|m| !m.is_empty());
        let variant = report.system.kernel_variant.as_ref();
        let platform = platform(report, &os_text, model.as_deref());
        let kernel = variant.map(|v| v.kdk_kernel_name());
        let kernel_uuid = report.system.kernel_uuid;
        let mut needed = SymbolsNeeded {
            platform,
            build,
            kernel,
            kernel_uuid,
            model,
            advice: String::new(),
        };
        needed.advice = needed.advise();
        needed
    }

    fn advise(&self) -> String {
        let build = self.build.as_deref();
        let kdk = || {
            let mut s = format!(
                "the Kernel Debug Kit for macOS build {} (developer.apple.com/download/all)",
                build.unwrap_or("of the panic")
            );
            match (&self.kernel, self.kernel_uuid) {
                (Some(k), Some(u)) => s.push_str(&format!(", whose {k} has UUID {u}")),
                (Some(k), None) => s.push_str(&format!(", whose kernel is {k}")),
                (None, Some(u)) => s.push_str(&format!(", whose kernel has UUID {u}")),
                (None, None) => {}
            }
            s.push_str("; pass its .kdk folder with --kdk");
            s
        };
        let ipsw = || {
            format!(
                "the kernelcache of the IPSW for {} build {} (there is no Kernel Debug Kit); \
                 pass the kernelcache.release.* file from the unzipped IPSW with --kernelcache",
                self.model.as_deref().unwrap_or("the device"),
                build.unwrap_or("of the panic")
            )
        };
        match self.platform {
            Platform::MacOs => kdk(),
            Platform::Embedded => ipsw(),
            Platform::BridgeOs => {
                "bridgeOS (T2) panics have no public symbols; the message is the evidence".into()
            }
            Platform::Unknown => format!("on macOS {}; on iOS {}", kdk(), ipsw()),
        }
    }
}

/// The build in an OS string: `22A400`, `Mac OS X 10.15.7 (19H2026)`, `macOS 13.4 (22F5037d)`.
fn build_of(os: &str) -> Option<String> {
    let inner = os
        .rfind('(')
        .and_then(|i| os[i + 1..].split(')').next())
        .unwrap_or(os);
    inner
        .split_whitespace()
        .rev()
        .find(|w| is_build(w))
        .map(str::to_string)
}

/// Apple build numbers: digits, one capital letter, digits, an optional lower-case suffix.
fn is_build(w: &str) -> bool {
    let b = w.as_bytes();
    let digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if digits == 0 || digits > 2 || b.len() <= digits + 1 {
        return false;
    }
    if !b[digits].is_ascii_uppercase() {
        return false;
    }
    let rest = &b[digits + 1..];
    let n = rest.iter().take_while(|c| c.is_ascii_digit()).count();
    n > 0 && rest[n..].iter().all(|c| c.is_ascii_lowercase())
}

fn platform(report: &PanicReport, os: &str, model: Option<&str>) -> Platform {
    let os_lc = os.to_ascii_lowercase();
    if os_lc.contains("bridgeos") || report.system.macos_version.is_some() {
        return Platform::BridgeOs;
    }
    if let Some(m) = model {
        if EMBEDDED_MODELS.iter().any(|p| m.starts_with(p)) {
            return Platform::Embedded;
        }
        if m.starts_with("Mac") || m.starts_with("iMac") || m.starts_with("VirtualMac") {
            return Platform::MacOs;
        }
    }
    if [
        "iphone os",
        "ios",
        "ipados",
        "watchos",
        "tvos",
        "visionos",
        "audioos",
    ]
    .iter()
    .any(|p| os_lc.starts_with(p))
    {
        return Platform::Embedded;
    }
    if os_lc.contains("mac") {
        return Platform::MacOs;
    }
    // macOS builds carry the Darwin major version (22A400 on Darwin 22); iOS, iPadOS and tvOS
    // builds run two behind it (iOS 16 is 20A362 on Darwin 22).
    let build_major = build_of(os).and_then(|b| {
        let n: String = b.chars().take_while(|c| c.is_ascii_digit()).collect();
        n.parse::<u32>().ok()
    });
    let darwin_major = report
        .system
        .darwin_version
        .as_deref()
        .and_then(|v| v.split('.').next())
        .and_then(|v| v.parse::<u32>().ok());
    if let (Some(b), Some(d)) = (build_major, darwin_major) {
        if b == d {
            return Platform::MacOs;
        }
        if b + 2 == d {
            return Platform::Embedded;
        }
    }
    match report.system.kernel_variant.as_ref() {
        Some(v) if v.arch == "x86_64" || v.arch == "i386" => Platform::MacOs,
        Some(v) if v.arch == "arm" => Platform::Embedded,
        _ => Platform::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds() {
        assert_eq!(build_of("22A400").as_deref(), Some("22A400"));
        assert_eq!(
            build_of("Mac OS X 10.15.7 (19H2026)").as_deref(),
            Some("19H2026")
        );
        assert_eq!(
            build_of("macOS 13.4 (22F5037d)").as_deref(),
            Some("22F5037d")
        );
        assert_eq!(
            build_of("iPhone OS 26.2.1 (23C71)").as_deref(),
            Some("23C71")
        );
        assert_eq!(build_of("13.4"), None);
        assert_eq!(build_of("RELEASE_X86_64"), None);
    }
}
