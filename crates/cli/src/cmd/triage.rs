//! `kpanic triage PATH... [--kdk DIR]... [--symbols PATH]... [--kernelcache FILE]
//! [--since DATE] [--kext BUNDLE_ID] [--format text|json|jsonl|csv|markdown|html] [-o FILE]`
//!
//! A folder of panics (or several, or zip archives of them) into buckets of the same bug:
//! the work is `kpanic_triage`'s; this file reads the flags, writes the output and picks the
//! exit status.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use anyhow::Context;
use kpanic_triage::render::{Format, Renderer};
use kpanic_triage::{Observer, Options, PanicRecord};

/// Exit status when `--kext` was given and at least one panic implicates that kext.
pub const EXIT_KEXT_IMPLICATED: i32 = 3;

/// Example pages in `--format html`: each costs a parse, a symbolication and a diagnosis.
const HTML_PAGES: usize = 200;

#[derive(clap::Args, Debug)]
pub struct TriageArgs {
    /// Panic files, folders (searched recursively) and zip archives of panics. Without one,
    /// /Library/Logs/DiagnosticReports (with Retired/) when it exists.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub symbols: super::symbolicate::SymbolArgs,
    /// Only panics on or after this UTC day (YYYY-MM-DD); panics without a date are left out.
    #[arg(long, value_name = "DATE", value_parser = parse_since)]
    pub since: Option<u64>,
    /// Only panics that implicate this kext or dext (bundle id): exit status 3 when there is
    /// one. A kext merely loaded does not count.
    #[arg(long, value_name = "BUNDLE_ID")]
    pub kext: Option<String>,
    /// The output: text (a table), json, jsonl (each panic, then each bucket), csv (one row per
    /// panic), markdown, html (one self-contained file: the bucket table and a page per example,
    /// up to 200).
    #[arg(long, value_enum, default_value_t = FormatArg::Text, value_name = "FORMAT")]
    pub format: FormatArg,
    /// Write the output to FILE instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// `--format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum FormatArg {
    Text,
    Json,
    Jsonl,
    Csv,
    Markdown,
    Html,
}

impl FormatArg {
    fn format(self) -> Format {
        match self {
            FormatArg::Text => Format::Text,
            FormatArg::Json => Format::Json,
            FormatArg::Jsonl => Format::Jsonl,
            FormatArg::Csv => Format::Csv,
            FormatArg::Markdown => Format::Markdown,
            // Written from the finished buckets (below); the renderer writes nothing.
            FormatArg::Html => Format::Text,
        }
    }
}

fn parse_since(s: &str) -> Result<u64, String> {
    kpanic_triage::when::parse_date(s.trim())
        .map(|d| d * 86_400)
        .ok_or_else(|| format!("`{s}` is not a date as YYYY-MM-DD"))
}

/// The renderer, and a progress bar on stderr when it is a terminal.
struct Progressing<W: Write> {
    renderer: Renderer<W>,
    bar: Option<indicatif::ProgressBar>,
}

impl<W: Write> Observer for Progressing<W> {
    fn panic(&mut self, r: &PanicRecord) {
        self.renderer.panic(r);
    }
    fn progress(&mut self, done: usize, total: usize) {
        if let Some(bar) = &self.bar {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        }
    }
}

fn progress_bar() -> Option<indicatif::ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let style = indicatif::ProgressStyle::with_template(
        "triage [{bar:30}] {pos}/{len} files {elapsed} (eta {eta})",
    )
    .expect("a valid template")
    .progress_chars("#> ");
    Some(indicatif::ProgressBar::new(0).with_style(style))
}

pub fn run(args: &TriageArgs) -> anyhow::Result<i32> {
    let (lib, mut status) = args.symbols.optional_library()?;

    let paths = if args.paths.is_empty() {
        let found = kpanic_triage::discover::system_panic_folders();
        if found.is_empty() {
            // Nothing to read is an unusable input (status 2), as a missing path is.
            eprintln!(
                "kpanic: error: no PATH given and no /Library/Logs/DiagnosticReports here; name the panic files, folders or zip archives to triage"
            );
            return Ok(2);
        }
        found
    } else {
        args.paths.clone()
    };
    let opts = Options {
        since: args.since,
        kext: args.kext.clone(),
    };
    let mut out: Box<dyn Write> = match &args.output {
        Some(p) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("{}", p.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let html = args.format == FormatArg::Html;
    let sink: Box<dyn Write> = if html { Box::new(std::io::sink()) } else { out };
    let mut renderer = Renderer::new(args.format.format(), sink);
    if args.output.is_none() && std::io::stdout().is_terminal() {
        if let Some((w, _)) = terminal_size::terminal_size() {
            renderer.width = usize::from(w.0).clamp(60, 200);
        }
    }
    let mut obs = Progressing {
        renderer,
        bar: progress_bar(),
    };
    let (triage, unusable) = kpanic_triage::run(&paths, &opts, lib.as_ref(), &mut obs);
    if let Some(bar) = &obs.bar {
        bar.finish_and_clear();
    }
    for (p, why) in &unusable {
        eprintln!(
            "kpanic: error: {}: {why}; give a panic file, a folder or a zip archive",
            p.display()
        );
        status = status.max(2);
    }
    obs.renderer.finish(&triage).map_err(|e| match e {
        kpanic_triage::render::RenderError::Io(io) => anyhow::Error::new(io),
        other => anyhow::Error::new(other),
    })?;
    if html {
        let (page, _) = kpanic_html::fleet_report(&triage, lib.as_ref(), HTML_PAGES);
        out = match &args.output {
            Some(p) => {
                Box::new(std::fs::File::create(p).with_context(|| format!("{}", p.display()))?)
            }
            None => Box::new(std::io::stdout().lock()),
        };
        out.write_all(page.as_bytes())?;
        out.flush()?;
    }
    // Text output carries its warnings; the other formats keep them in the document, and
    // stderr says them too so that a script sees them.
    if args.format != FormatArg::Text || args.output.is_some() {
        for w in &triage.warnings {
            eprintln!("kpanic: warning: {w}");
        }
    }
    if triage.summary.internal_errors > 0 {
        return Ok(1);
    }
    if args.kext.is_some() && triage.summary.panics > 0 {
        return Ok(EXIT_KEXT_IMPLICATED);
    }
    Ok(status)
}
