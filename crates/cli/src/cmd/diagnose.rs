//! `kpanic diagnose PANIC... [--kdk DIR]... [--symbols PATH]... [--kernelcache FILE]
//! [--format text|json|markdown|html | --json | --jsonl]`
//!
//! Reads the whole report and says what most likely happened, why, and what to do next. Works
//! without symbols; with them, thread stacks and faulting code get function names.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use kpanic::diagnose::diagnose;
use kpanic::output::diagnosis::{colorize, render_text_width, DEFAULT_WIDTH};
use kpanic::symbolicate;

use super::color::ColorChoice;
use super::input::{for_each_panic, Rendered};

#[derive(clap::Args, Debug)]
pub struct DiagnoseArgs {
    /// Panic files in any format (text, .panic, .ips, full panics); `-` reads stdin.
    #[arg(required = true, value_name = "PANIC")]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub symbols: super::symbolicate::SymbolArgs,
    /// The diagnosis as JSON (documented in docs/diagnose.md); the same as `--format json`.
    #[arg(long, conflicts_with = "format")]
    pub json: bool,
    /// Output format: text, json (= --json), markdown (for a bug tracker) or html (one
    /// self-contained page; several panics give one file with a page each).
    #[arg(long, value_enum, default_value_t = Format::Text, value_name = "FORMAT")]
    pub format: Format,
    /// Colour the text: auto (on a terminal, unless NO_COLOR is set or TERM is dumb), always, never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
    /// One compact JSON document per panic per line, written as each is done (JSON Lines).
    #[arg(long, conflicts_with_all = ["json", "format"])]
    pub jsonl: bool,
}

/// `--format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
// No doc comments on the variants: clap would print them as a long list in `--help`.
pub enum Format {
    Text,
    Json,
    Markdown,
    Html,
}

pub fn run(args: &DiagnoseArgs) -> anyhow::Result<i32> {
    // Symbolicate only when the user gave symbols (or a system KDK folder exists on macOS).
    let (lib, sources) = args.symbols.optional_library()?;
    let width = text_width();
    let color = args.color.enabled();
    let format = if args.json { Format::Json } else { args.format };
    // HTML pages are gathered and written as one document at the end.
    let pages: Mutex<Vec<(usize, kpanic_html::PanicPage)>> = Mutex::new(Vec::new());
    let status = for_each_panic(&args.files, args.jsonl, |name, report| {
        let sym = lib.as_ref().map(|l| symbolicate(report, l));
        if let Some(l) = &lib {
            super::symbolicate::report_store_warnings(l);
        }
        let d = diagnose(report, sym.as_ref());
        if format == Format::Json || args.jsonl {
            return Rendered::json(&kpanic::output::json::diagnose_document(name, &d));
        }
        if format == Format::Markdown {
            return Ok(Rendered::Text(kpanic_html::panic_markdown(
                name,
                report,
                sym.as_ref(),
                &d,
            )));
        }
        if format == Format::Html {
            let position = file_position(&args.files, name);
            let id = format!("panic-{}", position + 1);
            let page = kpanic_html::PanicPage::new(&id, name, report, sym.as_ref(), &d);
            pages
                .lock()
                .map_err(|_| anyhow::anyhow!("another panic's page failed"))?
                .push((position, page));
            return Ok(Rendered::Kept);
        }
        let mut text = render_text_width(&d, width);
        if color {
            text = colorize(&text);
        }
        for w in sym.iter().flat_map(|s| &s.warnings) {
            text.push_str(&format!("warning: {name}: {w}\n"));
        }
        Ok(Rendered::Text(text))
    })?;
    if format == Format::Html {
        let mut pages = pages
            .into_inner()
            .map_err(|_| anyhow::anyhow!("a panic's page failed"))?;
        pages.sort_by_key(|(i, _)| *i);
        write_html(&args.files, pages.into_iter().map(|(_, p)| p).collect())?;
    }
    Ok(status.max(sources))
}

/// Where `name` (as `for_each_panic` names a file) is on the command line.
fn file_position(files: &[PathBuf], name: &str) -> usize {
    files
        .iter()
        .position(|f| (f.as_os_str() == "-" && name == "<stdin>") || Path::new(name) == f.as_path())
        .unwrap_or(files.len())
}

/// One panic: its page. Several: one file with a list of the panics and a page each.
fn write_html(files: &[PathBuf], pages: Vec<kpanic_html::PanicPage>) -> anyhow::Result<()> {
    let html = if files.len() == 1 && pages.len() == 1 {
        kpanic_html::panic_page(&pages[0])
    } else {
        let facts = vec![("panics".to_string(), pages.len().to_string())];
        let (html, _) = kpanic_html::triage_report(&kpanic_html::TriageReport {
            title: "kpanic diagnose",
            facts: &facts,
            buckets: &[],
            pages: &pages,
            max_pages: usize::MAX,
        });
        html
    };
    let mut out = std::io::stdout().lock();
    std::io::Write::write_all(&mut out, html.as_bytes())?;
    std::io::Write::flush(&mut out)?;
    Ok(())
}

/// The width the text wraps to: the terminal's when stdout is one, else a fixed width so
/// that piped and saved output does not depend on the window it was made in.
fn text_width() -> usize {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() {
        return DEFAULT_WIDTH;
    }
    terminal_size::terminal_size()
        .map(|(w, _)| usize::from(w.0).clamp(60, 160))
        .unwrap_or(DEFAULT_WIDTH)
}
