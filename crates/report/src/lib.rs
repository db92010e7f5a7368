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

#![warn(missing_docs)]

mod detect;
mod error;
mod full;
mod ips;
mod kexts;
mod lenient_json;
pub mod model;
mod paste;
pub mod summary;
mod text;

pub use error::ParseError;
pub use kexts::expand_kext_abbreviations;
pub use kpanic_common::{Arch, Hex, RuntimeAddr, UnslidAddr, Uuid};
pub use model::*;

use std::path::Path;

/// What [`parse_with`] keeps of a panic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParseOptions {
    /// Keep the stackshot keys of processes and threads that kpanic does not know, verbatim
    /// (`Process::other`, `Thread::other`), as `parse --json` prints them. Finding them reads
    /// each process and thread twice more: half the parse of a full panic. Nothing else
    /// depends on them (symbolication and diagnosis do not read them).
    pub keep_unknown_stackshot_keys: bool,
    /// Read every field kpanic models of the stackshot's processes and threads. Without it,
    /// only those that diagnosis and symbolication read (names, ids, states, frames,
    /// continuations, wait events and `waitInfo`, CPU times, last run times, dispatch queue
    /// labels, resident memory, page-ins and faults) are read; the others (priorities, QoS,
    /// scheduler and snapshot flags, code signing, I/O throttling, …) are skipped in the text
    /// and left empty, and a value of the wrong type in one of them is not an error. A third of
    /// a full panic's parse: for callers that only diagnose, as `kpanic triage`.
    pub keep_every_stackshot_field: bool,
}

impl Default for ParseOptions {
    fn default() -> Self {
        ParseOptions {
            keep_unknown_stackshot_keys: true,
            keep_every_stackshot_field: true,
        }
    }
}

impl ParseOptions {
    /// What a diagnosis needs and no more: neither the stackshot's unknown keys nor the fields
    /// no diagnosis reads (see [`ParseOptions::keep_every_stackshot_field`]).
    pub const fn for_diagnosis() -> Self {
        ParseOptions {
            keep_unknown_stackshot_keys: false,
            keep_every_stackshot_field: false,
        }
    }
}

/// Parse a panic in any supported format; the format is detected from the bytes.
/// [`parse_with`] the default [`ParseOptions`] (everything kept).
pub fn parse(bytes: &[u8]) -> Result<PanicReport, ParseError> {
    parse_with(bytes, &ParseOptions::default())
}

/// Parse a panic in any supported format, keeping what `opts` says; the format is detected
/// from the bytes.
///
/// Pasted text is repaired first (quoting, indents, syslog prefixes, doubled blank lines,
/// typography, OCR damage in hex numbers; see `paste.rs`), with one warning per repair. JSON
/// that parses is never touched; JSON that had to be read leniently is read again repaired
/// when that helps.
pub fn parse_with(bytes: &[u8], opts: &ParseOptions) -> Result<PanicReport, ParseError> {
    let input = detect::decode(bytes)?;
    if let detect::Container::Json = detect::container(&input) {
        let first = ips::parse_ips(&input, opts);
        let lenient = match &first {
            Ok(r) => r.ips.as_ref().is_some_and(|i| !i.body_complete),
            Err(_) => true,
        };
        if !lenient {
            return first;
        }
        return match paste::normalise(&input) {
            Some(p) => match parse_repaired(&p.text, opts) {
                Ok(mut r) => {
                    r.warnings.splice(0..0, p.warnings);
                    Ok(r)
                }
                Err(_) => first,
            },
            None => first,
        };
    }
    match paste::normalise(&input) {
        Some(p) => {
            let mut r = parse_repaired(&p.text, opts)?;
            r.warnings.splice(0..0, p.warnings);
            Ok(r)
        }
        None => parse_repaired(&input, opts),
    }
}

fn parse_repaired(text: &str, opts: &ParseOptions) -> Result<PanicReport, ParseError> {
    match detect::container(text) {
        detect::Container::Json => ips::parse_ips(text, opts),
        detect::Container::Text if ips::looks_like_headless_body(text) => {
            ips::parse_headless_body(text, opts)
        }
        detect::Container::Text => text::parse_text_file(text),
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
