//! `kpanic parse PANIC... [--json | --jsonl]`: read panics in any format and print what was found.

use anyhow::Result;
use std::path::PathBuf;

use super::color::ColorChoice;
use super::input::{for_each_panic, Rendered};

#[derive(clap::Args, Debug)]
pub struct ParseArgs {
    /// Panic files (text, .panic, .ips, full panics); `-` reads stdin.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Print the whole report as JSON (an array when several files are given).
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

/// Exit code: 0 when every file parsed, 2 when any was unusable (each named on stderr).
pub fn run(args: &ParseArgs) -> Result<i32> {
    let color = args.color.enabled();
    for_each_panic(&args.files, args.jsonl, |name, report| {
        Ok(if args.json || args.jsonl {
            Rendered::json(&kpanic::output::json::parse_document(name, report))?
        } else {
            let text = kpanic_report::summary::render(report);
            Rendered::Text(if color {
                kpanic::output::style::colorize_parse(&text)
            } else {
                text
            })
        })
    })
}
