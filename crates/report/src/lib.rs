//! Turn a macOS/iOS kernel panic file into one typed [`PanicReport`].
//!
//! Apple writes panics in several containers (plain text, `.ips`/`.panic` JSON, full panics with
//! a stackshot of every thread) and the text inside has changed with every release (Paniclog
//! v10–v15, Intel reports from OS X 10.9 on). This crate reads all of them with one entry point,
//! [`parse`], and keeps every address in its own address-space type ([`RuntimeAddr`],
//! [`UnslidAddr`]) so that later stages (symbolication in `kpanic`) cannot mix slid and unslid
//! values. It has no symbol knowledge.
//!
//! The parser is tolerant by design: logs reach users through pastes, blogs and PDFs, so tabs
//! become spaces, lines gain CRLF or Markdown `>` prefixes, and files are cut. What cannot be
//! read becomes a warning or an `unparsed` line, never a panic of this crate.

mod detect;
mod error;
mod full;
mod ips;
mod kexts;
mod lenient_json;
pub mod model;
pub mod summary;
mod text;

pub use error::ParseError;
pub use kexts::expand_kext_abbreviations;
pub use kpanic_common::{Arch, Hex, RuntimeAddr, UnslidAddr, Uuid};
pub use model::*;

use std::path::Path;

/// Parse a panic in any supported format; the format is detected from the bytes.
pub fn parse(bytes: &[u8]) -> Result<PanicReport, ParseError> {
    let input = detect::decode(bytes)?;
    match detect::container(&input) {
        detect::Container::Json => ips::parse_ips(&input),
        detect::Container::Text => text::parse_text_file(&input),
    }
}

/// Read and parse a file; errors name the file.
pub fn parse_file(path: &Path) -> Result<PanicReport, ParseError> {
    let bytes = std::fs::read(path).map_err(|source| ParseError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse(&bytes).map_err(|e| ParseError::InFile {
        path: path.to_path_buf(),
        source: Box::new(e),
    })
}
