//! The kpanic engine: binds a parsed panic ([`kpanic_report`]) to the images it ran
//! (Kernel Debug Kit, kext dSYMs, kernelcache), maps every address into the right symbol file
//! ([`kpanic_symbols`]), symbolicates, and explains.
//!
//! - [`images`]: the panic's images as the log identifies them, resolved once.
//! - [`place`]: where each address of the log lives (DESIGN.md's address table), from the log
//!   alone.
//! - [`cache`]: where the front ends keep indexes and downloaded symbols by default.
//! - [`library`]: the user's symbols (KDKs, `--symbols`, a kernelcache), matched by UUID;
//!   [`sources`] says what is wrong with one that cannot be used.
//! - [`symbolicate()`]: every frame of a panic, resolved or with the reason it is not.
//! - [`output`]: text and JSON, made from the typed results at the edge.
#![warn(missing_docs)]
pub mod cache;
pub mod diagnose;
pub mod frame;
pub mod images;
pub mod kdk;
pub mod library;
pub mod needed;
pub mod output;
pub mod place;
pub mod sources;
pub mod symbolicate;
pub mod unresolved;
mod walk;

pub use frame::{Frame, FramePlacement};
pub use library::{SymbolLibrary, SymbolOptions};
pub use symbolicate::{symbolicate, Symbolication};
pub use unresolved::{Caveat, Unavailable, Unresolved};
