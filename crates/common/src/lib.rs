//! The shared vocabulary of kpanic: the types every other crate speaks in, defined once.
//!
//! - [`Uuid`]: an LC_UUID, what ties a panic's images to symbol files.
//! - [`Arch`]: the architecture of a panic or of a Mach-O slice.
//! - The three address spaces of a panic, each its own type so a slide cannot be applied twice
//!   or forgotten: [`RuntimeAddr`] (what the log prints), [`UnslidAddr`] (the kernelcache's own
//!   layout), [`SymbolAddr`] (a vmaddr of the file being symbolicated with); and [`AddrKind`],
//!   whether an address is an instruction or a return address.
//! - [`Hex`] and the `hex_*` serializers: numbers that JSON would round above 2^53.
//!
//! Every type here that reaches kpanic's JSON implements `schemars::JsonSchema` as what it
//! serializes to (hex and UUID strings with their patterns), for the published schemas.
//! - [`pac`]: arm64e pointer authentication bits, stripped one way everywhere.
//! - [`bundle`]: the one rule for calling a kext third-party.
//! - [`payload`]: the message of a caught Rust panic, for per-file internal errors.
//! - [`line`](mod@line): lines of the panic text numbered from 1 in JSON, as everywhere else.
//!
//! The crate has no knowledge of log formats or symbol files (those are `kpanic-report` and
//! `kpanic-symbols`); like `symbolic-common`, it only names things.
#![warn(missing_docs)]

mod addr;
mod arch;
pub mod bundle;
mod hex;
pub mod line;
pub mod pac;
pub mod payload;
pub mod ranges;
pub mod time;
mod uuid;

pub use addr::{AddrKind, RuntimeAddr, SymbolAddr, UnslidAddr};
pub use arch::{Arch, UnknownArch};
pub use hex::{hex_u64, hex_u64_opt, parse_0x, parse_hex, parse_num, Hex, HEX_PATTERN};
pub use uuid::{BadUuid, Uuid};
