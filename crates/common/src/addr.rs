//! The address spaces of a panic.
//!
//! A panic log holds runtime addresses; symbol files are read at their own vmaddrs; full
//! panics count from the kernelcache's unslid layout. Mixing them is the classic bug of panic
//! symbolication (a slide applied twice, or not at all), so each is its own type and the
//! conversions that need knowledge of the images live in one place of the `kpanic` crate.

use schemars::JsonSchema;
use serde::{Serialize, Serializer};
use std::fmt;

/// An address as the running kernel saw it: slid, possibly PAC-signed. What `lr:`, `caller`,
/// `CORE n: PC=` and a kext's `@start->end` print.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct RuntimeAddr(pub u64);

/// An address in the kernelcache's own (unslid) layout: runtime minus the KernelCache slide.
/// Full panics' `binaryImages` bases and `[imageIndex, offset]` frames live here.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct UnslidAddr(pub u64);

/// An address in a symbol file's own vmaddr space (a KDK kernel's, a kext's as linked, a
/// dSYM's). Only the `kpanic` crate's targeting step makes one from a placement.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SymbolAddr(pub u64);

macro_rules! addr_type {
    ($t:ident, $fmt:literal, $pattern:literal, $doc:literal) => {
        impl $t {
            /// The raw value (PAC bits and all, for a runtime address).
            pub const fn get(self) -> u64 {
                self.0
            }
        }
        impl fmt::Debug for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:#x})", stringify!($t), self.0)
            }
        }
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, $fmt, self.0)
            }
        }
        /// Serialized as a `0x`-prefixed hex string: JSON numbers lose precision above 2^53,
        /// and every kernel address is above that.
        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
        /// A string of `0x` and lower-case hex digits.
        impl schemars::JsonSchema for $t {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($t).into()
            }
            fn schema_id() -> std::borrow::Cow<'static, str> {
                concat!("kpanic_common::", stringify!($t)).into()
            }
            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({
                    "type": "string",
                    "pattern": $pattern,
                    "description": $doc,
                })
            }
        }
    };
}
// Runtime and unslid addresses print as the logs print them, zero-padded to 16 digits; symbol
// file addresses as llvm-symbolizer and atos take them.
addr_type!(
    RuntimeAddr,
    "{:#018x}",
    "^0x[0-9a-f]{16}$",
    "A runtime (slid) address as the log prints it: 0x and 16 hex digits, PAC bits included."
);
addr_type!(
    UnslidAddr,
    "{:#018x}",
    "^0x[0-9a-f]{16}$",
    "An address in the kernelcache's unslid layout: 0x and 16 hex digits."
);
addr_type!(
    SymbolAddr,
    "{:#x}",
    "^0x[0-9a-f]+$",
    "An address in a symbol file's own vmaddr space, in hex."
);

/// What an address points at. A return address (an `lr`, a caller's saved pc) is the
/// instruction *after* the call: its file:line and inline chain are those of `addr - 1`, which
/// is still inside the call instruction. A pc (the faulting instruction) is exact.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, JsonSchema,
)]
pub enum AddrKind {
    /// The instruction itself (`pc`, `CORE n: PC`, a continuation).
    #[default]
    #[serde(rename = "pc")]
    Exact,
    /// The instruction after a call (`lr`, a backtrace frame, `caller`).
    #[serde(rename = "return_address")]
    ReturnAddress,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_and_json() {
        assert_eq!(RuntimeAddr(0x10).to_string(), "0x0000000000000010");
        assert_eq!(SymbolAddr(0x10).to_string(), "0x10");
        assert_eq!(
            serde_json::to_string(&AddrKind::ReturnAddress).unwrap(),
            "\"return_address\""
        );
        assert_eq!(serde_json::to_string(&AddrKind::Exact).unwrap(), "\"pc\"");
    }
}
