//! `kpanic parse PANIC... [--json]`: read panics in any format and print what was found.

use anyhow::Result;
use kpanic_report::{PanicReport, ParseError};
use std::io::{Read, Write};
use std::path::PathBuf;

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
    let mut reports: Vec<PanicReport> = Vec::new();
    let mut failed = false;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let many = args.files.len() > 1;
    for path in &args.files {
        match read_one(path) {
            Ok(report) => {
                if args.json {
                    reports.push(report);
                } else {
                    if many {
                        writeln!(out, "==> {} <==", path.display())?;
                    }
                    write!(out, "{}", kpanic_report::summary::render(&report))?;
                    if many {
                        writeln!(out)?;
                    }
                }
            }
            Err(e) => {
                failed = true;
                eprintln!("kpanic parse: {e}");
            }
        }
    }
    if args.json {
        if many {
            serde_json::to_writer_pretty(&mut out, &reports)?;
            writeln!(out)?;
        } else if let Some(r) = reports.first() {
            serde_json::to_writer_pretty(&mut out, r)?;
            writeln!(out)?;
        }
    }
    out.flush()?;
    Ok(if failed { 2 } else { 0 })
}

fn read_one(path: &PathBuf) -> Result<PanicReport, ParseError> {
    if path.as_os_str() == "-" {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|source| ParseError::Io {
                path: path.clone(),
                source,
            })?;
        kpanic_report::parse(&bytes).map_err(|e| ParseError::InFile {
            path: PathBuf::from("<stdin>"),
            source: Box::new(e),
        })
    } else {
        kpanic_report::parse_file(path)
    }
}
