//! `kpanic index [--symbols PATH]... [--kdk DIR]... [--cache DIR] [--force]`: build the symbol
//! index of every image with DWARF, keyed by UUID, in the cache folder. Symbolication then
//! answers from the index (one binary search over a memory map) instead of parsing DWARF.
//!
//! An index already in the cache is checked in full (header, tables and data checksums, the
//! DWARF it was built from) and rebuilt when stale or damaged; `--force` rebuilds every one.

use std::collections::HashSet;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use indicatif::{ProgressBar, ProgressStyle};

use kpanic_symbols::index::{check_writable, index_path, Progress};
use kpanic_symbols::{
    IndexMode, IndexOptions, IndexStatus, MachOFile, SliceSelector, Symbolizer, SymbolizerOptions,
};

#[derive(clap::Args, Debug)]
pub struct IndexArgs {
    /// A binary (its dSYM beside it is used), a dSYM, or a folder searched recursively.
    /// Repeatable.
    #[arg(long = "symbols", value_name = "PATH")]
    pub symbols: Vec<PathBuf>,
    /// A Kernel Debug Kit (or a folder of KDKs): its kernels and kexts. Repeatable.
    #[arg(long = "kdk", value_name = "DIR")]
    pub kdks: Vec<PathBuf>,
    /// The cache folder (default: $KPANIC_CACHE, else the platform cache folder + kpanic).
    #[arg(long, value_name = "DIR")]
    pub cache: Option<PathBuf>,
    /// Rebuild indexes that are up to date too.
    #[arg(long)]
    pub force: bool,
}

/// The one progress bar of the process (indicatif), drawn on stderr.
static BAR: OnceLock<ProgressBar> = OnceLock::new();

/// A progress callback for symbol-index builds: a bar on stderr, only when stderr is a
/// terminal; `None` otherwise. One bar serves every image in turn.
pub fn progress_bar(label: &str) -> Option<Progress> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = BAR
        .get_or_init(|| {
            let style = ProgressStyle::with_template("{msg} [{bar:30}] {percent:>3}% {elapsed}")
                .expect("a valid template")
                .progress_chars("#> ");
            ProgressBar::new(0).with_style(style)
        })
        .clone();
    bar.set_message(label.to_string());
    Some(Progress(Arc::new(move |done: u64, total: u64| {
        if bar.is_finished() {
            bar.reset();
        }
        bar.set_length(total.max(1));
        bar.set_position(done.min(total));
        if done >= total {
            bar.finish_and_clear();
        }
    })))
}

/// Takes the bar off the screen (an index build that stopped before its end).
fn clear_bar() {
    if let Some(bar) = BAR.get() {
        bar.finish_and_clear();
    }
}

fn human(bytes: u64) -> String {
    if bytes >= 1 << 20 {
        format!("{:.1} MB", bytes as f64 / (1 << 20) as f64)
    } else {
        format!("{:.1} KB", bytes as f64 / 1024.0)
    }
}

pub fn run(args: &IndexArgs) -> anyhow::Result<i32> {
    let Some(cache) = args.cache.clone().or_else(kpanic::cache::cache_dir) else {
        eprintln!("kpanic: error: no cache folder (no KPANIC_CACHE, no HOME); pass --cache DIR");
        return Ok(2);
    };
    if let Err(why) = check_writable(&cache) {
        // `why` starts with the folder.
        eprintln!("kpanic: error: {why}; pass --cache DIR with a folder you can write");
        return Ok(2);
    }
    if args.symbols.is_empty() && args.kdks.is_empty() {
        eprintln!("kpanic: error: nothing to index; give --symbols PATH or --kdk DIR");
        return Ok(2);
    }
    // An unusable source is said (as `symbolicate` says it) and the others are indexed.
    let mut files = Vec::new();
    let mut problems = 0;
    let checked = args
        .symbols
        .iter()
        .map(|p| kpanic::sources::symbol_files(p))
        .chain(
            args.kdks
                .iter()
                .map(|k| kpanic::sources::open_kdks(k).map(|_| kpanic::library::symbol_files(k))),
        );
    for c in checked {
        match c {
            Ok(found) => files.extend(found),
            Err(p) => {
                eprintln!("kpanic: error: {p}");
                problems += 1;
            }
        }
    }
    // dSYMs first: a binary then finds its UUID done.
    files.sort_by_key(|f| {
        !f.ancestors()
            .any(|a| a.extension().is_some_and(|e| e == "dSYM"))
    });

    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut done = HashSet::new();
    let (mut built, mut fresh, mut failed) = (0, 0, 0);
    for file in files {
        let Ok(macho) = MachOFile::open(&file) else {
            continue;
        };
        for i in macho.distinct_slices() {
            let Some(uuid) = macho.slice(i).ok().and_then(|s| s.uuid()) else {
                continue;
            };
            if !done.insert(uuid) {
                continue;
            }

            let mut mode = if args.force {
                IndexMode::Rebuild
            } else {
                IndexMode::Build
            };
            // An existing index is checked in full here (the data checksum too).
            if mode == IndexMode::Build {
                let path = index_path(&cache, uuid);
                if path.exists() {
                    let check = kpanic_symbols::SymbolIndex::open(&path, uuid, None)
                        .and_then(|ix| ix.verify());
                    if check.is_err() {
                        mode = IndexMode::Rebuild;
                    }
                }
            }
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let opts = SymbolizerOptions {
                selector: SliceSelector::uuid(uuid),
                index: IndexOptions {
                    mode,
                    cache_dir: Some(cache.clone()),
                    progress: progress_bar(&format!("indexing {name}")),
                },
                ..Default::default()
            };
            let opened = Symbolizer::open(&file, &opts);
            clear_bar();
            let sym = match opened {
                Ok(s) => s,
                Err(e) => {
                    writeln!(out, "failed  {uuid}  {e}")?;
                    failed += 1;
                    continue;
                }
            };
            let stats = sym.index().map(|ix| ix.stats());
            let what = match (sym.index_status(), stats) {
                (IndexStatus::Built { path, seconds }, Some(st)) => {
                    built += 1;
                    format!(
                        "built   {uuid}  {}  ({} ranges, {} frames, {}, {seconds:.1} s) -> {}",
                        file.display(),
                        st.ranges,
                        st.frames,
                        human(st.bytes),
                        path.display()
                    )
                }
                (IndexStatus::Used { path }, _) => {
                    fresh += 1;
                    format!(
                        "ok      {uuid}  {}  (up to date: {})",
                        file.display(),
                        path.display()
                    )
                }
                (IndexStatus::Failed { why }, _) => {
                    failed += 1;
                    format!("failed  {uuid}  {}: {why}", file.display())
                }
                // No DWARF (a binary without its dSYM): nothing to index.
                _ => continue,
            };
            writeln!(out, "{what}")?;
        }
    }
    writeln!(
        out,
        "{built} built, {fresh} up to date, {failed} failed; cache: {}",
        cache.display()
    )?;
    Ok(if problems > 0 {
        2
    } else if failed > 0 {
        1
    } else {
        0
    })
}
