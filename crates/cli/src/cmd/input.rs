//! Reading panic files (`-` = stdin), shared by the subcommands that take panics.

use std::io::Read;
use std::path::PathBuf;

use kpanic_report::PanicReport;

/// Parses every file; unusable ones are reported on stderr (naming the file and the problem)
/// and make the status 2, the rest go on.
pub fn read_panics(files: &[PathBuf]) -> (Vec<(String, PanicReport)>, i32) {
    let mut out = Vec::new();
    let mut status = 0;
    for f in files {
        let parsed = if f.as_os_str() == "-" {
            let mut buf = Vec::new();
            match std::io::stdin().read_to_end(&mut buf) {
                Ok(_) => kpanic_report::parse(&buf).map_err(|e| format!("<stdin>: {e}")),
                Err(e) => Err(format!("<stdin>: {e}")),
            }
        } else {
            kpanic_report::parse_file(f).map_err(|e| e.to_string())
        };
        match parsed {
            Ok(r) => out.push((display_name(f), r)),
            Err(e) => {
                eprintln!("kpanic: {e}");
                status = 2;
            }
        }
    }
    (out, status)
}

fn display_name(f: &std::path::Path) -> String {
    if f.as_os_str() == "-" {
        "<stdin>".into()
    } else {
        f.display().to_string()
    }
}
