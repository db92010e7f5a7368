//! `kpanic atos`: Apple's atos, on Linux too, with the anchor an arm64 panic log actually
//! prints (`--text-exec-address`).
//!
//! ```text
//! kpanic atos -o BINARY_OR_DSYM [--arch ARCH] [--uuid UUID]
//!             [-l LOAD | -s SLIDE | --text-exec-address ADDR]
//!             [-i] [--return-addresses] [--json] [ADDR...]
//! ```
//! Addresses come from the arguments, or from stdin (whitespace separated) when there are none.

use anyhow::Context as _;
use kpanic_symbols::atos::{atos_lines, json_frame};
use kpanic_symbols::slide::{runtime_to_symbol, slide_for, Anchor};
use kpanic_symbols::{
    AddrKind, Arch, DsymStatus, IndexMode, IndexOptions, SliceSelector, SymbolAddr, Symbolizer,
    SymbolizerOptions, Uuid,
};
use std::io::{Read, Write};
use std::path::PathBuf;

/// Symbolicate addresses of one binary, as atos does.
#[derive(clap::Args, Debug, Clone)]
pub struct AtosArgs {
    /// The binary (its dSYM beside it is used), a .dSYM bundle, or a dSYM's DWARF file.
    #[arg(short = 'o', value_name = "BINARY_OR_DSYM")]
    pub object: PathBuf,

    /// Slice of a universal file: arm64e, arm64 or x86_64.
    #[arg(long, value_name = "ARCH")]
    pub arch: Option<Arch>,

    /// Slice of a universal file, by LC_UUID.
    #[arg(long, value_name = "UUID")]
    pub uuid: Option<Uuid>,

    /// Runtime address of the binary's __TEXT (atos -l).
    #[arg(short = 'l', value_name = "LOAD", value_parser = parse_hex,
          conflicts_with_all = ["slide", "text_exec_address"])]
    pub load: Option<u64>,

    /// Slide: runtime minus the binary's own vmaddrs (atos -s).
    #[arg(short = 's', value_name = "SLIDE", value_parser = parse_hex,
          conflicts_with = "text_exec_address")]
    pub slide: Option<u64>,

    /// Runtime address of the binary's first __TEXT_EXEC: an arm64 panic's "Kernel text exec
    /// base", or a kext's @start. The distance to __TEXT is read from the binary.
    #[arg(long, value_name = "ADDR", value_parser = parse_hex)]
    pub text_exec_address: Option<u64>,

    /// Print every inlined frame, innermost first.
    #[arg(short = 'i', long = "inline")]
    pub inline: bool,

    /// The addresses are return addresses (lr, a caller's saved pc): look up address − 1 for
    /// file, line and inlines, print the address as given.
    #[arg(long)]
    pub return_addresses: bool,

    /// Print a JSON array of frames instead of atos lines.
    #[arg(long)]
    pub json: bool,

    /// Addresses (hex); read from stdin when none are given.
    #[arg(value_name = "ADDR")]
    pub addresses: Vec<String>,
}

fn parse_hex(s: &str) -> Result<u64, String> {
    parse_addr(s).ok_or_else(|| format!("not a hex address: {s:?}"))
}

/// atos reads addresses as hex, with or without `0x`; lldb's `0xffffff80`00200000` form too.
fn parse_addr(s: &str) -> Option<u64> {
    kpanic_common::parse_hex(&s.replace('`', ""))
}

/// Run `kpanic atos`. Exit code 0 when the symbol file could be used (also when some
/// addresses stay unresolved), 2 when it could not.
pub fn run(args: &AtosArgs) -> anyhow::Result<i32> {
    let opts = SymbolizerOptions {
        selector: SliceSelector {
            arch: args.arch,
            uuid: args.uuid,
        },
        // An index in the cache answers when there is one; atos never builds one.
        index: IndexOptions {
            mode: IndexMode::UseExisting,
            cache_dir: crate::cache::cache_dir(),
            progress: None,
        },
        ..Default::default()
    };
    let sym = match Symbolizer::open(&args.object, &opts) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("kpanic atos: {e}");
            return Ok(2);
        }
    };
    if let DsymStatus::UuidMismatch { path, binary, dsym } = sym.dsym_status() {
        let b = binary
            .map(|u| u.to_string())
            .unwrap_or_else(|| "none".into());
        let d: Vec<String> = dsym.iter().map(|u| u.to_string()).collect();
        eprintln!(
            "kpanic atos: warning: {} does not match {} (binary UUID {b}, dSYM UUIDs {}): not used",
            path.display(),
            args.object.display(),
            d.join(", ")
        );
    }

    let anchor = match (args.load, args.slide, args.text_exec_address) {
        (Some(l), _, _) => Some(Anchor::LoadAddress(l)),
        (_, Some(s), _) => Some(Anchor::Slide(s)),
        (_, _, Some(t)) => Some(Anchor::TextExecAddress(t)),
        _ => None,
    };
    let text = sym.slice().text_vmaddr();
    let slide = match anchor {
        Some(a) => match slide_for(a, text, sym.slice().text_exec_vmaddr()) {
            Ok(s) => Some(s),
            Err(e) => {
                eprintln!("kpanic atos: {}: {e}", args.object.display());
                return Ok(2);
            }
        },
        None => None,
    };

    let mut stdin_text = String::new();
    let inputs: Vec<&str> = if args.addresses.is_empty() {
        std::io::stdin()
            .read_to_string(&mut stdin_text)
            .context("reading addresses from stdin")?;
        stdin_text.split_whitespace().collect()
    } else {
        args.addresses.iter().map(String::as_str).collect()
    };

    let kind = if args.return_addresses {
        AddrKind::ReturnAddress
    } else {
        AddrKind::Exact
    };
    let image_base = sym
        .slice()
        .text_vmaddr()
        .or(sym.slice().vm_range().map(|r| r.0));
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    // Every lookup first, in one batch (in parallel, see `Symbolizer::lookup_many`), then the
    // output in input order.
    let addrs: Vec<Option<SymbolAddr>> = inputs
        .iter()
        .map(|input| {
            let value = parse_addr(input)?;
            Some(match slide {
                // PAC bits are judged against the runtime __TEXT (or first segment).
                Some(s) => runtime_to_symbol(value, s, image_base.unwrap_or(0).wrapping_add(s)),
                None => SymbolAddr(value),
            })
        })
        .collect();
    let batch: Vec<(SymbolAddr, AddrKind)> = addrs.iter().flatten().map(|&a| (a, kind)).collect();
    // From an index, lookups are cheap: blocks keep the answers in memory few (and reused);
    // from DWARF, one batch lets `lookup_many` read the DWARF chunk by chunk.
    let block = if sym.index().is_some() {
        4096
    } else {
        batch.len().max(1)
    };
    let mut lookups = batch.chunks(block).flat_map(|c| sym.lookup_many(c));
    let mut frames = Vec::new();
    for (input, addr) in inputs.into_iter().zip(addrs) {
        let Some(_) = addr else {
            if args.json {
                frames.push(serde_json::json!({
                    "address": input, "image": null, "image_offset": null, "symbols": [],
                    "unresolved_reason": "not a hex address",
                }));
            } else {
                writeln!(out, "{input}")?;
            }
            continue;
        };
        let lookup = lookups.next().expect("one lookup per address");
        let image = lookup.fileset_entry.as_deref().unwrap_or(sym.image_name());
        if args.json {
            let entry_text = lookup
                .fileset_entry
                .as_deref()
                .and_then(|id| sym.slice().fileset_entry(id))
                .and_then(|e| e.image.text_vmaddr());
            let offset = entry_text
                .or(image_base)
                .map(|b| lookup.addr.0.wrapping_sub(b));
            frames.push(serde_json::to_value(json_frame(
                input,
                Some(image),
                offset,
                &lookup,
            ))?);
        } else {
            for line in atos_lines(input, image, &lookup, args.inline) {
                writeln!(out, "{line}")?;
            }
        }
    }
    if args.json {
        serde_json::to_writer_pretty(&mut out, &frames)?;
        writeln!(out)?;
    }
    out.flush()?;
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::parse_addr;

    #[test]
    fn addresses() {
        assert_eq!(parse_addr("0xfffffe000700c014"), Some(0xfffffe000700c014));
        assert_eq!(parse_addr("FFFFFE001CAD8000"), Some(0xfffffe001cad8000));
        assert_eq!(parse_addr("0xffffff80`00200000"), Some(0xffffff8000200000));
        assert_eq!(parse_addr("0x"), None);
        assert_eq!(parse_addr("zz"), None);
    }
}
