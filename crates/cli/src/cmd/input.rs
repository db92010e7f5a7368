//! Reading panic files (`-` = stdin) and printing one result per panic, shared by the
//! subcommands that take panics (`parse`, `symbolicate`, `diagnose`).
//!
//! Files are read, parsed and rendered in parallel (a fleet's folder of panics uses every
//! core); output keeps the order of the command line.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use kpanic_report::{PanicReport, ParseError, RawJson};
use rayon::prelude::*;

/// One panic's output.
pub enum Rendered {
    /// With `--json`: printed alone for one file, in an array for several. Kept as compact
    /// text and printed as its `serde_json::Value` would be (pretty, keys sorted), without
    /// building that tree: a report's unknown `.ips` keys can be millions of tiny values.
    Json(RawJson),
    /// Printed as is, under a `==> file <==` header when there are several files.
    Text(String),
}

impl Rendered {
    /// `v` as JSON output.
    pub fn json<T: serde::Serialize + ?Sized>(v: &T) -> anyhow::Result<Self> {
        // Unknown values go out as they were read; printing normalizes them, once.
        let text = kpanic_report::with_raw_json_verbatim(|| serde_json::to_string(v))?;
        RawJson::from_json_text(text)
            .map(Rendered::Json)
            .ok_or_else(|| anyhow::anyhow!("the JSON output nests too deep"))
    }
}

/// Parses every file and renders each panic with `render`. Unusable files are reported on
/// stderr (naming the file and the problem) and make the status 2; the others go on.
pub fn for_each_panic<F>(files: &[PathBuf], render: F) -> anyhow::Result<i32>
where
    F: Fn(&str, &PanicReport) -> anyhow::Result<Rendered> + Sync,
{
    // stdin can be read once only, and before the parallel part.
    let stdin = if files.iter().any(|f| f.as_os_str() == "-") {
        let mut buf = Vec::new();
        Some(std::io::stdin().read_to_end(&mut buf).map(|_| buf))
    } else {
        None
    };
    let results: Vec<Result<(String, Rendered), String>> = files
        .par_iter()
        .map(|f| {
            let (name, report) = read_one(f, stdin.as_ref()).map_err(|e| e.to_string())?;
            let out = render(&name, &report).map_err(|e| format!("{name}: {e:#}"))?;
            Ok((name, out))
        })
        .collect();

    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut status = 0;
    let mut json = Vec::new();
    let mut texts = 0;
    for r in results {
        match r {
            Ok((_, Rendered::Json(v))) => json.push(v),
            Ok((name, Rendered::Text(t))) => {
                if files.len() > 1 {
                    writeln!(out, "{}==> {name} <==", if texts > 0 { "\n" } else { "" })?;
                }
                out.write_all(t.as_bytes())?;
                texts += 1;
            }
            Err(e) => {
                eprintln!("kpanic: {e}");
                status = 2;
            }
        }
    }
    if files.len() == 1 && json.len() == 1 {
        serde_json::to_writer_pretty(&mut out, &json[0])?;
        writeln!(out)?;
    } else if !json.is_empty() || (files.len() > 1 && texts == 0 && status == 0) {
        serde_json::to_writer_pretty(&mut out, &json)?;
        writeln!(out)?;
    }
    out.flush()?;
    Ok(status)
}

/// The display name and parsed report of one file.
fn read_one(
    path: &Path,
    stdin: Option<&std::io::Result<Vec<u8>>>,
) -> Result<(String, PanicReport), ParseError> {
    if path.as_os_str() != "-" {
        return Ok((path.display().to_string(), kpanic_report::parse_file(path)?));
    }
    let stdin_name = || PathBuf::from("<stdin>");
    let bytes = match stdin {
        Some(Ok(b)) => b,
        Some(Err(e)) => {
            return Err(ParseError::Io {
                path: stdin_name(),
                source: std::io::Error::new(e.kind(), e.to_string()),
            })
        }
        None => unreachable!("stdin is read when a file is `-`"),
    };
    let report = kpanic_report::parse(bytes).map_err(|e| ParseError::InFile {
        path: stdin_name(),
        source: Box::new(e),
    })?;
    Ok(("<stdin>".to_string(), report))
}
