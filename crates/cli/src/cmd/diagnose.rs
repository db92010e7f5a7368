//! `kpanic diagnose PANIC... [--kdk DIR]... [--symbols PATH]... [--kernelcache FILE] [--json]`
//!
//! Reads the whole report and says what most likely happened, why, and what to do next. Works
//! without symbols; with them, thread stacks and faulting code get function names.

use std::io::Write;
use std::path::PathBuf;

use kpanic::diagnose::{diagnose, render_text};
use kpanic::symbolicate;

use super::input::read_panics;

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
}

pub fn run(args: &DiagnoseArgs) -> anyhow::Result<i32> {
    let s = &args.symbols;
    // Symbolicate only when the user gave symbols (or a system KDK folder exists on macOS).
    let want_symbols = !s.kdks.is_empty() || !s.symbols.is_empty() || s.kernelcache.is_some();
    let lib = (want_symbols || cfg!(target_os = "macos")).then(|| s.library());
    let lib = lib.filter(|l| want_symbols || !l.is_empty());
    let (panics, mut status) = read_panics(&args.files);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut json = Vec::new();
    for (i, (name, report)) in panics.iter().enumerate() {
        let sym = lib.as_ref().map(|l| symbolicate(report, l));
        let d = diagnose(report, sym.as_ref());
        if args.json {
            json.push(serde_json::json!({ "file": name, "diagnosis": d }));
        } else {
            if panics.len() > 1 {
                writeln!(out, "{}==> {name} <==", if i > 0 { "\n" } else { "" })?;
            }
            out.write_all(render_text(&d).as_bytes())?;
            if let Some(sym) = &sym {
                for w in &sym.warnings {
                    writeln!(out, "warning: {name}: {w}")?;
                }
            }
        }
    }
    if args.json {
        let value = if args.files.len() == 1 && json.len() == 1 {
            json.pop().unwrap_or_default()
        } else {
            serde_json::Value::Array(json)
        };
        serde_json::to_writer_pretty(&mut out, &value)?;
        writeln!(out)?;
    }
    if panics.is_empty() {
        status = 2;
    }
    Ok(status)
}
