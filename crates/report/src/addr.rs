//! Address spaces of a panic log.
//!
//! A panic log holds two kinds of address, and mixing them is the classic bug of panic
//! symbolication (a slide applied twice, or not at all). Each gets its own type so the compiler
//! keeps them apart; the conversions that need knowledge of the images live in the `kpanic` crate.

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

macro_rules! hex_addr {
    ($t:ident) => {
        impl $t {
            /// The raw value, PAC bits and all.
            pub const fn get(self) -> u64 {
                self.0
            }
        }
        impl fmt::Debug for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:#018x})", stringify!($t), self.0)
            }
        }
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{:#018x}", self.0)
            }
        }
        /// Serialized as a `0x`-prefixed hex string: JSON numbers lose precision above 2^53,
        /// and every kernel address is above that.
        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
    };
}
hex_addr!(RuntimeAddr);
hex_addr!(UnslidAddr);

/// Serialize a plain `u64` as a hex string (for slides, bases and sizes that are not addresses
/// in one of the spaces above). Use with `#[serde(serialize_with = "hex_u64")]`.
pub fn hex_u64<S: Serializer>(v: &u64, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&format_args!("{v:#x}"))
}

/// `Option<u64>` as an optional hex string.
pub fn hex_u64_opt<S: Serializer>(v: &Option<u64>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => s.collect_str(&format_args!("{v:#x}")),
        None => s.serialize_none(),
    }
}
