//! `kpanic parse PANIC... [--json]`: read panics in any format and print what was found.

use anyhow::Result;
use std::path::PathBuf;

use super::input::{for_each_panic, Rendered};

#[derive(clap::Args, Debug)]
pub struct ParseArgs {
    /// Panic files (text, .panic, .ips, full panics); `-` reads stdin.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Print the whole report as JSON (an array when several files are given).
    #[arg(long)]
    pub json: bool,
}

/// Exit code: 0 when every file parsed, 2 when any was unusable (each named on stderr).
pub fn run(args: &ParseArgs) -> Result<i32> {
    for_each_panic(&args.files, |_, report| {
        Ok(if args.json {
            Rendered::json(&kpanic::output::json::parse_document(report))?
        } else {
            Rendered::Text(kpanic_report::summary::render(report))
        })
    })
}
