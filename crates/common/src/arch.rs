//! CPU architectures: of a panicked kernel, and of a Mach-O slice.

use std::fmt;
use std::str::FromStr;

/// Mach-O `cputype` values (`<mach/machine.h>`).
const CPU_ARCH_ABI64: u32 = 0x0100_0000;
const CPU_TYPE_X86_64: u32 = 7 | CPU_ARCH_ABI64;
const CPU_TYPE_ARM64: u32 = 12 | CPU_ARCH_ABI64;
const CPU_TYPE_ARM: u32 = 12;
/// The high byte of `cpusubtype` holds flags (arm64e's PTRAUTH_ABI), not the subtype.
const CPU_SUBTYPE_MASK: u32 = 0xff00_0000;
const CPU_SUBTYPE_ARM64E: u32 = 2;
const CPU_SUBTYPE_X86_64_H: u32 = 8;

/// An architecture. A panic log tells the family (`Arm64` or `X86_64`, or `Arm` for 32-bit
/// iOS); a Mach-O slice tells the exact one. Serialized as its name (`arm64`, `x86_64`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Arch {
    /// Intel 64-bit.
    X86_64,
    /// Intel 64-bit, Haswell and later.
    X86_64h,
    /// 64-bit ARM.
    Arm64,
    /// 64-bit ARM with pointer authentication (every Apple Silicon kernel).
    Arm64e,
    /// 32-bit ARM (armv7 iOS kernels).
    Arm,
    /// Anything else, kept raw so it can still be named in messages.
    Other {
        /// Mach-O `cputype`.
        cputype: u32,
        /// Mach-O `cpusubtype`, flag bits masked off.
        cpusubtype: u32,
    },
}

impl Arch {
    /// The architecture of a Mach-O header. `cpusubtype` flag bits are masked off first.
    pub fn from_cpu(cputype: u32, cpusubtype: u32) -> Arch {
        let sub = cpusubtype & !CPU_SUBTYPE_MASK;
        match (cputype, sub) {
            (CPU_TYPE_ARM64, CPU_SUBTYPE_ARM64E) => Arch::Arm64e,
            (CPU_TYPE_ARM64, _) => Arch::Arm64,
            (CPU_TYPE_X86_64, CPU_SUBTYPE_X86_64_H) => Arch::X86_64h,
            (CPU_TYPE_X86_64, _) => Arch::X86_64,
            (CPU_TYPE_ARM, _) => Arch::Arm,
            _ => Arch::Other {
                cputype,
                cpusubtype: sub,
            },
        }
    }

    /// arm64 or arm64e: the same instruction set and address layout.
    pub fn is_arm64(self) -> bool {
        matches!(self, Arch::Arm64 | Arch::Arm64e)
    }

    /// x86_64 or x86_64h.
    pub fn is_x86_64(self) -> bool {
        matches!(self, Arch::X86_64 | Arch::X86_64h)
    }

    /// arm64 and arm64e share an instruction set and address layout, as do x86_64 and x86_64h:
    /// a symbol file of one answers for the other when nothing closer exists.
    pub fn same_family(self, other: Arch) -> bool {
        (self.is_arm64() && other.is_arm64())
            || (self.is_x86_64() && other.is_x86_64())
            || self == other
    }
}

impl fmt::Display for Arch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Arch::X86_64 => f.write_str("x86_64"),
            Arch::X86_64h => f.write_str("x86_64h"),
            Arch::Arm64 => f.write_str("arm64"),
            Arch::Arm64e => f.write_str("arm64e"),
            Arch::Arm => f.write_str("arm"),
            Arch::Other {
                cputype,
                cpusubtype,
            } => write!(f, "cputype {cputype:#x} subtype {cpusubtype:#x}"),
        }
    }
}

impl serde::Serialize for Arch {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// One of the names, or `cputype 0x… subtype 0x…` for [`Arch::Other`].
impl schemars::JsonSchema for Arch {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Arch".into()
    }
    fn schema_id() -> std::borrow::Cow<'static, str> {
        "kpanic_common::Arch".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "anyOf": [
                { "enum": ["x86_64", "x86_64h", "arm64", "arm64e", "arm"] },
                { "pattern": "^cputype 0x[0-9a-f]+ subtype 0x[0-9a-f]+$" },
            ],
            "description": "An architecture by name.",
        })
    }
}

/// The name is not one of `arm64e`, `arm64`, `x86_64`, `x86_64h`, `arm`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown architecture {0:?} (expected arm64e, arm64, x86_64 or x86_64h)")]
pub struct UnknownArch(pub String);

impl FromStr for Arch {
    type Err = UnknownArch;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "arm64e" => Ok(Arch::Arm64e),
            "arm64" | "aarch64" => Ok(Arch::Arm64),
            "x86_64" | "x86-64" | "amd64" => Ok(Arch::X86_64),
            "x86_64h" => Ok(Arch::X86_64h),
            "arm" | "armv7" | "armv7k" | "armv7s" => Ok(Arch::Arm),
            _ => Err(UnknownArch(s.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subtype_flags_are_masked() {
        assert_eq!(Arch::from_cpu(CPU_TYPE_ARM64, 0x8000_0002), Arch::Arm64e);
        assert_eq!(Arch::from_cpu(CPU_TYPE_ARM64, 2), Arch::Arm64e);
        assert_eq!(Arch::from_cpu(CPU_TYPE_ARM64, 0), Arch::Arm64);
        assert_eq!(Arch::from_cpu(CPU_TYPE_X86_64, 0x8000_0003), Arch::X86_64);
        assert_eq!("arm64e".parse::<Arch>().unwrap(), Arch::Arm64e);
        assert!("ppc".parse::<Arch>().is_err());
        assert!(Arch::Arm64.same_family(Arch::Arm64e));
        assert!(!Arch::Arm64.same_family(Arch::X86_64));
        assert_eq!(serde_json::to_string(&Arch::X86_64).unwrap(), "\"x86_64\"");
    }
}
