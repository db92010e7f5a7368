//! Presentation at the edge: every output kpanic writes is made here from the typed results
//! of [`crate::symbolicate()`] and [`crate::diagnose::diagnose`]. The engine holds no hex
//! strings; this layer chooses every word and format.
//!
//! - [`text`]: `kpanic symbolicate`'s text (the panic as the user knows it, answers under each
//!   frame line).
//! - [`diagnosis`]: `kpanic diagnose`'s text (ranked findings, suspects, memory, threads).
//! - [`json`]: the JSON documents of `symbolicate`, `diagnose` and `parse`, with their
//!   `schema_version`.
//! - [`style`]: terminal colour for the texts of `symbolicate` and `parse`.
//! - [`sorted_json`]: those documents' text, keys sorted in one pass, indented as printed.

pub mod diagnosis;
pub mod json;
pub mod sorted_json;
pub mod style;
pub mod text;

use crate::frame::Frame;

/// A frame's address as printed: the runtime address, or `?` for a full panic's frame whose
/// slide is unknown.
pub(crate) fn address(f: &Frame) -> String {
    f.address.map_or_else(|| "?".to_string(), |a| a.to_string())
}
