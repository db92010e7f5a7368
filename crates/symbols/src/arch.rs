//! CPU architectures of Mach-O slices.

use crate::macho::raw::*;
use std::fmt;
use std::str::FromStr;

/// The architecture of a Mach-O slice. `cpusubtype` flag bits (the high byte, e.g. arm64e's
/// PTRAUTH_ABI 0x80000002) are masked off before comparing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Arch {
    X86_64,
    X86_64h,
    Arm64,
    Arm64e,
    /// Anything else, kept raw so it can still be named in messages.
    Other {
        cputype: u32,
        cpusubtype: u32,
    },
}

impl Arch {
    pub fn from_cpu(cputype: u32, cpusubtype: u32) -> Arch {
        let sub = cpusubtype & !CPU_SUBTYPE_MASK;
        match (cputype, sub) {
            (CPU_TYPE_ARM64, CPU_SUBTYPE_ARM64E) => Arch::Arm64e,
            (CPU_TYPE_ARM64, _) => Arch::Arm64,
            (CPU_TYPE_X86_64, CPU_SUBTYPE_X86_64_H) => Arch::X86_64h,
            (CPU_TYPE_X86_64, _) => Arch::X86_64,
            _ => Arch::Other {
                cputype,
                cpusubtype: sub,
            },
        }
    }

    /// arm64 and arm64e share an instruction set and address layout, as do x86_64 and x86_64h:
    /// a symbol file of one answers for the other when nothing closer exists.
    pub fn same_family(self, other: Arch) -> bool {
        use Arch::*;
        matches!(
            (self, other),
            (Arm64 | Arm64e, Arm64 | Arm64e) | (X86_64 | X86_64h, X86_64 | X86_64h)
        ) || self == other
    }
}

impl fmt::Display for Arch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Arch::X86_64 => f.write_str("x86_64"),
            Arch::X86_64h => f.write_str("x86_64h"),
            Arch::Arm64 => f.write_str("arm64"),
            Arch::Arm64e => f.write_str("arm64e"),
            Arch::Other {
                cputype,
                cpusubtype,
            } => {
                write!(f, "cputype {cputype:#x} subtype {cpusubtype:#x}")
            }
        }
    }
}

/// The name is not one of `arm64e`, `arm64`, `x86_64`, `x86_64h`.
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
    }
}
