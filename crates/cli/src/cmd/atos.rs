//! `kpanic atos`: Apple's atos, on Linux too, with the anchor an arm64 panic log actually
//! prints (`--text-exec-address`).
//!
//! ```text
//! kpanic atos -o BINARY_OR_DSYM [--arch ARCH] [--uuid UUID]
//!             [-l LOAD | -s SLIDE | --text-exec-address ADDR | --offset]
//!             [-i] [--full-path] [--return-addresses] [--json] [-f FILE | ADDR...]
//! ```
//! Addresses come from the arguments, from `-f FILE`, or from stdin (whitespace separated) when
//! there are none. atos's own spellings `-arch`, `-fullPath` and `-offset` work too (see
//! [`atos_spellings`]).

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use kpanic_symbols::atos::{atos_lines, json_frame, AtosStyle, JsonFrame};
use kpanic_symbols::slide::{runtime_to_symbol, slide_for, Anchor};
use kpanic_symbols::{
    AddrKind, Arch, DsymStatus, IndexMode, IndexOptions, SliceSelector, SymbolAddr, Symbolizer,
    SymbolizerOptions, Uuid,
};

/// Symbolicate addresses of one binary, as atos does.
#[derive(clap::Args, Debug, Clone)]
#[command(
    after_help = "atos spellings work too: -arch ARCH, -fullPath, -offset.\n\
Addresses on stdin are answered line by line, each answer flushed before the next line is \
read: kpanic atos can run as a co-process. With --json the array is written at the end."
)]
pub struct AtosArgs {
    /// The binary (its dSYM beside it is used), a .dSYM bundle, or a dSYM's DWARF file.
    #[arg(
        short = 'o',
        value_name = "BINARY_OR_DSYM",
        required_unless_present = "symbol_stores"
    )]
    pub object: Option<PathBuf>,

    /// Without -o: fetch the file of --uuid from this symbol store (repeatable; with the stores
    /// of KPANIC_SYMBOL_STORES and the config file; docs/symbol-stores.md).
    #[arg(
        long = "symbol-store",
        value_name = "URL",
        requires = "uuid",
        conflicts_with = "object"
    )]
    pub symbol_stores: Vec<String>,

    /// Slice of a universal file: arm64e, arm64 or x86_64 (atos: -arch).
    #[arg(long, value_name = "ARCH")]
    pub arch: Option<Arch>,

    /// Slice of a universal file, by LC_UUID.
    #[arg(long, value_name = "UUID")]
    pub uuid: Option<Uuid>,

    /// Runtime address of the binary's __TEXT (atos -l).
    #[arg(short = 'l', value_name = "LOAD", value_parser = parse_hex,
          conflicts_with_all = ["slide", "text_exec_address", "offset"])]
    pub load: Option<u64>,

    /// Slide: runtime minus the binary's own vmaddrs (atos -s).
    #[arg(short = 's', value_name = "SLIDE", value_parser = parse_hex,
          conflicts_with_all = ["text_exec_address", "offset"])]
    pub slide: Option<u64>,

    /// Runtime address of the binary's first __TEXT_EXEC: an arm64 panic's "Kernel text exec
    /// base", or a kext's @start. The distance to __TEXT is read from the binary.
    #[arg(long, value_name = "ADDR", value_parser = parse_hex, conflicts_with = "offset")]
    pub text_exec_address: Option<u64>,

    /// The addresses are offsets from the start of the binary's __TEXT (its load address), as
    /// a panic's `image + 0x…` or a full panic's `[image, offset]` gives them (atos -offset).
    #[arg(long)]
    pub offset: bool,

    /// Print every inlined frame, innermost first.
    #[arg(short = 'i', long = "inline")]
    pub inline: bool,

    /// Source files with their full path as DWARF names them (atos -fullPath).
    #[arg(long, alias = "fullPath")]
    pub full_path: bool,

    /// The addresses are return addresses (lr, a caller's saved pc): look up address − 1 for
    /// file, line and inlines, print the address as given.
    #[arg(long)]
    pub return_addresses: bool,

    /// Print a JSON array of frames instead of atos lines.
    #[arg(long)]
    pub json: bool,

    /// Read the addresses from FILE (whitespace separated) instead of the arguments (atos -f).
    #[arg(short = 'f', value_name = "FILE", conflicts_with = "addresses")]
    pub file: Option<PathBuf>,

    /// Addresses (hex); read from stdin when none are given.
    #[arg(value_name = "ADDR")]
    pub addresses: Vec<String>,
}

/// atos writes its long options with one dash (`-arch arm64`, `-fullPath`, `-offset`); clap
/// reads one dash as short options. The words after `atos` are given their two-dash names.
pub fn atos_spellings(args: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    let Some(at) = args
        .iter()
        .skip(1)
        .position(|a| !a.to_string_lossy().starts_with('-'))
    else {
        return args;
    };
    if args[at + 1] != "atos" {
        return args;
    }
    args.into_iter()
        .enumerate()
        .map(|(i, a)| {
            if i <= at + 1 {
                return a;
            }
            match a.to_str() {
                Some("-arch") => "--arch".into(),
                Some("-fullPath") => "--full-path".into(),
                Some("-offset") => "--offset".into(),
                Some(s) if s.starts_with("-arch=") => format!("-{s}").into(),
                _ => a,
            }
        })
        .collect()
}

fn parse_hex(s: &str) -> Result<u64, String> {
    parse_addr(s).ok_or_else(|| format!("not a hex address: {s:?}"))
}

/// atos reads addresses as hex, with or without `0x`; lldb's `0xffffff80`00200000` form too.
fn parse_addr(s: &str) -> Option<u64> {
    kpanic_common::parse_hex(&s.replace('`', ""))
}

/// What `-o` must be, for the "what to do" half of an error.
const OBJECT_WANTED: &str = "-o wants a Mach-O binary, a .dSYM bundle, or a dSYM's DWARF file";

/// Everything an answer needs, fixed for the run.
struct Answerer<'a> {
    args: &'a AtosArgs,
    sym: &'a Symbolizer,
    slide: Option<u64>,
    /// The binary's __TEXT (or first segment): where `--offset` counts from, and what PAC bits
    /// are judged against.
    image_base: Option<u64>,
    kind: AddrKind,
}

impl Answerer<'_> {
    /// The address in the symbol file's own space.
    fn symbol_addr(&self, value: u64) -> SymbolAddr {
        let base = self.image_base.unwrap_or(0);
        if self.args.offset {
            return SymbolAddr(base.wrapping_add(value));
        }
        match self.slide {
            // PAC bits are judged against the runtime __TEXT (or first segment).
            Some(s) => runtime_to_symbol(value, s, base.wrapping_add(s)),
            None => SymbolAddr(value),
        }
    }

    /// Answers `inputs` in order: atos lines to `out`, or JSON frames pushed to `frames`.
    fn answer(
        &self,
        inputs: &[&str],
        out: &mut impl Write,
        frames: &mut Vec<JsonFrame>,
    ) -> anyhow::Result<()> {
        let sym = self.sym;
        let addrs: Vec<Option<SymbolAddr>> = inputs
            .iter()
            .map(|input| parse_addr(input).map(|v| self.symbol_addr(v)))
            .collect();
        let batch: Vec<(SymbolAddr, AddrKind)> =
            addrs.iter().flatten().map(|&a| (a, self.kind)).collect();
        // From an index, lookups are cheap: blocks keep the answers in memory few (and
        // reused); from DWARF, one batch lets `lookup_many` read the DWARF chunk by chunk.
        let block = if sym.index().is_some() {
            4096
        } else {
            batch.len().max(1)
        };
        let mut lookups = batch.chunks(block).flat_map(|c| sym.lookup_many(c));
        let style = AtosStyle {
            inlines: self.args.inline,
            full_path: self.args.full_path,
        };
        for (input, addr) in inputs.iter().zip(addrs) {
            let Some(_) = addr else {
                if self.args.json {
                    frames.push(JsonFrame {
                        address: input.to_string(),
                        image: None,
                        image_offset: None,
                        symbols: Vec::new(),
                        unresolved_reason: Some("not a hex address".into()),
                    });
                } else {
                    writeln!(out, "{input}")?;
                }
                continue;
            };
            let lookup = lookups.next().expect("one lookup per address");
            let image = lookup.fileset_entry.as_deref().unwrap_or(sym.image_name());
            if self.args.json {
                let entry_text = lookup
                    .fileset_entry
                    .as_deref()
                    .and_then(|id| sym.slice().fileset_entry(id))
                    .and_then(|e| e.image.text_vmaddr());
                let offset = entry_text
                    .or(self.image_base)
                    .map(|b| lookup.addr.0.wrapping_sub(b));
                // Typed frames, written once at the end: no generic JSON tree per frame.
                frames.push(json_frame(input, Some(image), offset, &lookup));
            } else {
                for line in atos_lines(input, image, &lookup, style) {
                    writeln!(out, "{line}")?;
                }
            }
        }
        Ok(())
    }
}

/// Run `kpanic atos`. Exit code 0 when the symbol file could be used (also when some
/// addresses stay unresolved), 2 when it or the address file could not.
/// The symbol stores' file for `uuid`: `Err(2)` (said on stderr) when none has it.
fn from_stores(flags: &[String], uuid: Uuid) -> anyhow::Result<Result<PathBuf, i32>> {
    let (specs, opts) = crate::config::stores(flags)?;
    let stores = kpanic_store::SymbolStores::new(&specs, &opts);
    let found = stores.find(uuid);
    for w in stores.take_warnings() {
        eprintln!("kpanic: warning: {w}");
    }
    Ok(found.ok_or_else(|| {
        eprintln!("kpanic: error: {uuid}: not in any symbol store; give -o BINARY_OR_DSYM");
        2
    }))
}

pub fn run(args: &AtosArgs) -> anyhow::Result<i32> {
    let opts = SymbolizerOptions {
        selector: SliceSelector {
            arch: args.arch,
            uuid: args.uuid,
        },
        // An index in the cache answers when there is one; atos never builds one.
        index: IndexOptions {
            mode: IndexMode::UseExisting,
            cache_dir: kpanic::cache::cache_dir(),
            progress: None,
        },
        ..Default::default()
    };
    let object = match (&args.object, args.uuid) {
        (Some(o), _) => o.clone(),
        (None, Some(uuid)) => match from_stores(&args.symbol_stores, uuid)? {
            Ok(path) => path,
            Err(status) => return Ok(status),
        },
        // clap requires -o, or --symbol-store with --uuid.
        (None, None) => anyhow::bail!("give -o BINARY_OR_DSYM"),
    };
    if let Some(why) = folder_problem(&object) {
        eprintln!(
            "kpanic: error: {}: {why}; {OBJECT_WANTED}",
            object.display()
        );
        return Ok(2);
    }
    let sym = match Symbolizer::open(&object, &opts) {
        Ok(s) => s,
        Err(e) => {
            // The message starts with the path; this one says what to do already.
            if let kpanic_symbols::Error::AmbiguousArch { .. } = e {
                eprintln!("kpanic: error: {e} (or --uuid)");
                return Ok(2);
            }
            let todo = match e {
                kpanic_symbols::Error::ArchNotFound { .. }
                | kpanic_symbols::Error::UuidNotFound { .. } => {
                    "choose a slice the file has with --arch or --uuid"
                }
                _ => OBJECT_WANTED,
            };
            eprintln!("kpanic: error: {e}; {todo}");
            return Ok(2);
        }
    };
    if let DsymStatus::UuidMismatch { path, binary, dsym } = sym.dsym_status() {
        let b = binary
            .map(|u| u.to_string())
            .unwrap_or_else(|| "none".into());
        let d: Vec<String> = dsym.iter().map(|u| u.to_string()).collect();
        eprintln!(
            "kpanic: warning: {}: its UUIDs ({}) are not the binary's ({b}); not used, the \
             symbol table answers instead",
            path.display(),
            d.join(", ")
        );
    }

    let anchor = match (args.load, args.slide, args.text_exec_address) {
        (Some(l), _, _) => Some(Anchor::LoadAddress(l)),
        (_, Some(s), _) => Some(Anchor::Slide(s)),
        (_, _, Some(t)) => Some(Anchor::TextExecAddress(t)),
        _ => None,
    };
    let slide = match anchor {
        Some(a) => match slide_for(a, sym.slice().text_vmaddr(), sym.slice().text_exec_vmaddr()) {
            Ok(s) => Some(s),
            Err(e) => {
                eprintln!(
                    "kpanic: error: {}: {e}; give -l or -s instead",
                    object.display()
                );
                return Ok(2);
            }
        },
        None => None,
    };
    let answerer = Answerer {
        args,
        sym: &sym,
        slide,
        image_base: sym
            .slice()
            .text_vmaddr()
            .or(sym.slice().vm_range().map(|r| r.0)),
        kind: if args.return_addresses {
            AddrKind::ReturnAddress
        } else {
            AddrKind::Exact
        },
    };

    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut frames = Vec::new();
    if !args.addresses.is_empty() {
        let inputs: Vec<&str> = args.addresses.iter().map(String::as_str).collect();
        answerer.answer(&inputs, &mut out, &mut frames)?;
    } else {
        let reader: Box<dyn BufRead + Send> = match &args.file {
            Some(path) => match std::fs::File::open(path) {
                Ok(f) => Box::new(std::io::BufReader::new(f)),
                Err(e) => {
                    eprintln!(
                        "kpanic: error: {}: {e}; -f wants a file of addresses",
                        path.display()
                    );
                    return Ok(2);
                }
            },
            None => Box::new(std::io::BufReader::new(std::io::stdin())),
        };
        for batch in batches(reader) {
            let text = batch.map_err(|e| anyhow::anyhow!("reading addresses: {e}"))?;
            let inputs: Vec<&str> = text.split_whitespace().collect();
            answerer.answer(&inputs, &mut out, &mut frames)?;
            // A co-process waits for this answer before it writes its next line.
            out.flush()?;
        }
    }
    if args.json {
        serde_json::to_writer_pretty(&mut out, &frames)?;
        writeln!(out)?;
    }
    out.flush()?;
    Ok(0)
}

/// Why `path` is a folder that cannot be opened as a symbol file (`None` when it is not a
/// folder, or is a dSYM bundle).
fn folder_problem(path: &Path) -> Option<&'static str> {
    if !path.is_dir() || path.join("Contents/Resources/DWARF").is_dir() {
        return None;
    }
    Some("a folder, not a binary or .dSYM bundle")
}

/// How long input may pause before what came so far is answered. A co-process that waits for
/// an answer is answered after this; a pipe that keeps flowing is answered in large batches,
/// which `lookup_many` reads DWARF for far faster than address by address.
const PAUSE: Duration = Duration::from_millis(10);

/// The lines of `reader`, gathered into batches: a batch ends when the input pauses (or ends).
fn batches(reader: Box<dyn BufRead + Send>) -> impl Iterator<Item = std::io::Result<String>> {
    let (tx, rx) = mpsc::channel::<std::io::Result<String>>();
    std::thread::spawn(move || {
        for line in reader.lines() {
            let failed = line.is_err();
            if tx.send(line).is_err() || failed {
                return;
            }
        }
    });
    // A read error (input that is not UTF-8) ends the input after what came before it.
    let mut failed: Option<std::io::Error> = None;
    std::iter::from_fn(move || {
        if let Some(e) = failed.take() {
            return Some(Err(e));
        }
        let mut batch = match rx.recv() {
            Ok(Ok(line)) => line,
            Ok(Err(e)) => return Some(Err(e)),
            Err(_) => return None,
        };
        loop {
            match rx.recv_timeout(PAUSE) {
                Ok(Ok(line)) => {
                    batch.push('\n');
                    batch.push_str(&line);
                }
                Ok(Err(e)) => {
                    failed = Some(e);
                    return Some(Ok(batch));
                }
                Err(_) => return Some(Ok(batch)),
            }
        }
    })
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
