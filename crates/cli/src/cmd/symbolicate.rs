//! `kpanic symbolicate PANIC... [--kdk DIR]... [--symbols PATH]... [--kernelcache FILE]
//! [--symbol-store URL]... [--all-threads] [--brief] [--json | --jsonl]`

use std::path::PathBuf;

use kpanic::output::json::symbolicate_document;
use kpanic::output::text::{render_text, RenderOptions};
use kpanic::{symbolicate, SymbolLibrary, SymbolOptions};

use super::color::ColorChoice;
use super::input::{for_each_panic, Rendered};

/// Where symbols come from; shared by `symbolicate` and `diagnose`.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct SymbolArgs {
    /// A Kernel Debug Kit folder (or a folder of KDKs). Repeatable. On macOS, without it,
    /// /Library/Developer/KDKs is searched.
    #[arg(long = "kdk", value_name = "DIR")]
    pub kdks: Vec<PathBuf>,
    /// A binary, a dSYM, or a folder searched recursively; matched by UUID. Repeatable.
    #[arg(long = "symbols", value_name = "PATH")]
    pub symbols: Vec<PathBuf>,
    /// The machine's kernelcache (MH_FILESET): maps kernel and kext addresses exactly.
    #[arg(long, value_name = "FILE")]
    pub kernelcache: Option<PathBuf>,
    /// Build the symbol index of each image on first use (see `kpanic index`); an index in the
    /// cache is used whenever one exists.
    #[arg(long)]
    pub index: bool,
    /// A symbol store asked by UUID for images the other sources lack: a folder, file://,
    /// http(s):// or s3://bucket/prefix. Repeatable; also KPANIC_SYMBOL_STORES and
    /// symbol_stores in ~/.config/kpanic/config.toml (docs/symbol-stores.md).
    #[arg(long = "symbol-store", value_name = "URL")]
    pub symbol_stores: Vec<String>,
}

impl SymbolArgs {
    /// Whether the user named any symbol source (flags or `KPANIC_SYMBOL_STORES`): the
    /// commands that work without symbols symbolicate only then (or when macOS has KDKs).
    fn given(&self) -> bool {
        !self.kdks.is_empty()
            || !self.symbols.is_empty()
            || self.kernelcache.is_some()
            || !self.symbol_stores.is_empty()
            || std::env::var_os("KPANIC_SYMBOL_STORES").is_some_and(|v| !v.is_empty())
    }

    /// For the commands that work without symbols (`diagnose`, `triage`): the library when the
    /// user named a source (or macOS has system KDKs), and the exit status its sources call for
    /// ([`report_sources`], said once on stderr).
    pub fn optional_library(&self) -> anyhow::Result<(Option<SymbolLibrary>, i32)> {
        let given = self.given();
        let lib = (given || cfg!(target_os = "macos"))
            .then(|| self.library())
            .transpose()?
            .filter(|l| given || !l.is_empty());
        let status = lib.as_ref().map_or(0, report_sources);
        Ok((lib, status))
    }

    /// The library of these sources; an error for a bad store URL or config file.
    pub fn library(&self) -> anyhow::Result<SymbolLibrary> {
        let (stores, store_options) = crate::config::stores(&self.symbol_stores)?;
        Ok(SymbolLibrary::new(&SymbolOptions {
            kdks: self.kdks.clone(),
            symbols: self.symbols.clone(),
            kernelcache: self.kernelcache.clone(),
            system_kdks: cfg!(target_os = "macos"),
            index: kpanic_symbols::IndexOptions {
                mode: if self.index {
                    kpanic_symbols::IndexMode::Build
                } else {
                    kpanic_symbols::IndexMode::UseExisting
                },
                cache_dir: kpanic::cache::cache_dir(),
                progress: super::index::progress_bar("indexing"),
            },
            stores,
            store_options,
        }))
    }
}

#[derive(clap::Args, Debug)]
pub struct SymbolicateArgs {
    /// Panic files in any format (text, .panic, .ips, full panics); `-` reads stdin.
    #[arg(required = true, value_name = "PANIC")]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub symbols: SymbolArgs,
    /// Show the kernel frames of every stackshot thread, not only the panicked one (JSON always
    /// has all).
    #[arg(long)]
    pub all_threads: bool,
    /// The essentials only: the panic line, the panicked thread's symbolicated backtrace and
    /// the image summary (not the rest of the log, such as the loaded kext list).
    #[arg(long, conflicts_with = "all_threads")]
    pub brief: bool,
    /// The report plus every symbolicated frame, as JSON.
    #[arg(long)]
    pub json: bool,
    /// One compact JSON document per panic per line, written as each is done (JSON Lines).
    #[arg(long, conflicts_with = "json")]
    pub jsonl: bool,
    /// Colour the text: auto (on a terminal, unless NO_COLOR is set or TERM is dumb), always,
    /// never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
}

pub fn run(args: &SymbolicateArgs) -> anyhow::Result<i32> {
    let lib = args.symbols.library()?;
    // Before the output, where a user reading the first screen sees it.
    let sources = report_sources(&lib);
    let color = args.color.enabled();
    let status = for_each_panic(&args.files, args.jsonl, |name, report| {
        let sym = symbolicate(report, &lib);
        report_store_warnings(&lib);
        if args.json || args.jsonl {
            return Rendered::json(&symbolicate_document(name, report, &sym));
        }
        let mut text = render_text(
            report,
            &sym,
            RenderOptions {
                all_threads: args.all_threads,
                brief: args.brief,
            },
        );
        for w in &report.warnings {
            text.push_str(&format!("warning: {name}: {w}\n"));
        }
        if color {
            text = kpanic::output::style::colorize_symbolicated(&text);
        }
        Ok(Rendered::Text(text))
    })?;
    Ok(status.max(sources))
}

/// Says on stderr, once per run, each symbol store that could not be asked (a warning: the
/// panic is symbolicated with what the other sources have).
pub fn report_store_warnings(lib: &SymbolLibrary) {
    for w in lib.take_store_warnings() {
        eprintln!("kpanic: warning: {w}");
    }
}

/// Says once per run (not once per panic) what is wrong with the symbol sources; the exit status
/// 2 when any named source is unusable (README, `--help`).
pub fn report_sources(lib: &SymbolLibrary) -> i32 {
    for p in lib.problems() {
        eprintln!("kpanic: error: {p}");
    }
    // `warnings` repeats the problems first, as text for JSON.
    for w in lib.warnings().iter().skip(lib.problems().len()) {
        eprintln!("kpanic: warning: {w}");
    }
    if lib.problems().is_empty() {
        0
    } else {
        2
    }
}
