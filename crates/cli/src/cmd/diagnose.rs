//! `kpanic diagnose PANIC... [--kdk DIR]... [--symbols PATH]... [--kernelcache FILE] [--json | --jsonl]`
//!
//! Reads the whole report and says what most likely happened, why, and what to do next. Works
//! without symbols; with them, thread stacks and faulting code get function names.

use std::path::PathBuf;

use kpanic::diagnose::diagnose;
use kpanic::output::diagnosis::{colorize, render_text_width, DEFAULT_WIDTH};
use kpanic::symbolicate;

use super::input::{for_each_panic, Rendered};

#[derive(clap::Args, Debug)]
pub struct DiagnoseArgs {
    /// Panic files in any format (text, .panic, .ips, full panics); `-` reads stdin.
    #[arg(required = true, value_name = "PANIC")]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub symbols: super::symbolicate::SymbolArgs,
    /// The diagnosis as JSON (documented in docs/diagnose.md).
    #[arg(long)]
    pub json: bool,
    /// Colour the text: auto (on a terminal, unless NO_COLOR is set or TERM is dumb), always, never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
    /// One compact JSON document per panic per line, written as each is done (JSON Lines).
    #[arg(long, conflicts_with = "json")]
    pub jsonl: bool,
}

pub fn run(args: &DiagnoseArgs) -> anyhow::Result<i32> {
    let s = &args.symbols;
    // Symbolicate only when the user gave symbols (or a system KDK folder exists on macOS).
    let want_symbols = !s.kdks.is_empty() || !s.symbols.is_empty() || s.kernelcache.is_some();
    let lib = (want_symbols || cfg!(target_os = "macos")).then(|| s.library());
    let lib = lib.filter(|l| want_symbols || !l.is_empty());
    let sources = lib.as_ref().map_or(0, super::symbolicate::report_sources);
    let width = text_width();
    let color = args.color.enabled();
    let status = for_each_panic(&args.files, args.jsonl, |name, report| {
        let sym = lib.as_ref().map(|l| symbolicate(report, l));
        let d = diagnose(report, sym.as_ref());
        if args.json || args.jsonl {
            return Rendered::json(&kpanic::output::json::diagnose_document(name, &d));
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
    Ok(status.max(sources))
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

/// When to colour the text (`--color`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
// The variants have no doc comments: clap would print them as a long list in `--help`.
pub enum ColorChoice {
    // On a terminal, unless NO_COLOR is set to a non-empty value or TERM is `dumb`.
    Auto,
    // Always, even into a pipe (and despite NO_COLOR: the flag is the user's explicit choice).
    Always,
    Never,
}

impl ColorChoice {
    fn enabled(self) -> bool {
        use std::io::IsTerminal;
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::io::stdout().is_terminal()
                    && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
            }
        }
    }
}
