//! Reading panic files (`-` = stdin) and printing one result per panic, shared by the
//! subcommands that take panics (`parse`, `symbolicate`, `diagnose`).
//!
//! Files are read, parsed and rendered in parallel (a fleet's folder of panics uses every
//! core); output keeps the order of the command line and streams.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

use kpanic::output::sorted_json;
use kpanic_report::{PanicReport, ParseError};
use rayon::prelude::*;

/// One panic's output.
pub enum Rendered {
    /// With `--json`: printed alone for one file, in an array for several; with `--jsonl`, one
    /// compact line per panic. Kept compact with its keys sorted
    /// ([`kpanic::output::sorted_json`]) and indented as it is printed.
    Json(sorted_json::SortedJson),
    /// Printed as is, under a `==> file <==` header when there are several files.
    Text(String),
    /// Nothing printed now: the caller kept the result and writes it when every panic is done
    /// (one HTML document for several panics).
    Kept,
}

impl Rendered {
    /// `v` as JSON output.
    pub fn json<T: serde::Serialize + ?Sized>(v: &T) -> anyhow::Result<Self> {
        Ok(Rendered::Json(sorted_json::SortedJson::new(v)?))
    }
}

/// Parses every file and renders each panic with `render`. Unusable files are reported on
/// stderr (naming the file and the problem) and make the status 2; the others go on.
///
/// Panics are worked on in parallel and written in command-line order as soon as each one and
/// those before it are done, so a long run streams. With `json_lines`, each JSON document is
/// written compact on one line and flushed (`--jsonl`); otherwise JSON documents are gathered
/// and printed pretty at the end (alone for one file, an array for several).
pub fn for_each_panic<F>(files: &[PathBuf], json_lines: bool, render: F) -> anyhow::Result<i32>
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
    // Set when stdout is gone (`| head`): the panics not started yet are skipped.
    let stop = AtomicBool::new(false);
    let (tx, rx) = mpsc::channel::<(usize, Done)>();
    std::thread::scope(|scope| {
        let (stdin, stop, render) = (&stdin, &stop, &render);
        scope.spawn(move || {
            files
                .par_iter()
                .enumerate()
                .for_each_with(tx, |tx, (i, f)| {
                    if stop.load(Ordering::Relaxed) {
                        return;
                    }
                    // A bug that panics on one file is reported for that file; the others
                    // go on (kpanic reads files from strangers).
                    let result = std::panic::catch_unwind(AssertUnwindSafe(|| {
                        read_one(f, stdin.as_ref())
                            .map_err(|e| (e.to_string(), 2))
                            .and_then(|(name, report)| {
                                let out = render(&name, &report)
                                    .map_err(|e| (format!("{name}: {e:#}"), 2))?;
                                Ok((name, out))
                            })
                    }))
                    .unwrap_or_else(|payload| {
                        Err((
                            format!(
                                "{}: internal error, a kpanic bug (please report it with this file): {}",
                                f.display(),
                                kpanic_common::payload::panic_text(payload.as_ref())
                            ),
                            1,
                        ))
                    });
                    // The receiver only goes away on a write error, when nothing more is wanted.
                    let _ = tx.send((i, result));
                });
        });
        let written = write_in_order(rx, files.len(), json_lines);
        if written.is_err() {
            stop.store(true, Ordering::Relaxed);
        }
        written
    })
}

/// One file done: its display name and output, or what is wrong with it and the exit status
/// that says so (2 for an unusable input, 1 for an internal error).
type Done = Result<(String, Rendered), (String, i32)>;

/// Writes each panic's output in command-line order as it arrives; returns the exit status.
fn write_in_order(
    rx: mpsc::Receiver<(usize, Done)>,
    files: usize,
    json_lines: bool,
) -> anyhow::Result<i32> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut status = 0;
    let mut json = Vec::new();
    let mut texts = 0;
    let mut kept = 0;
    let mut pending = BTreeMap::new();
    let mut next = 0;
    for (i, result) in rx {
        pending.insert(i, result);
        while let Some(result) = pending.remove(&next) {
            next += 1;
            match result {
                Ok((_, Rendered::Json(v))) if json_lines => {
                    v.write_compact(&mut out)?;
                    writeln!(out)?;
                }
                Ok((_, Rendered::Json(v))) => json.push(v),
                Ok((name, Rendered::Text(t))) => {
                    if files > 1 {
                        writeln!(out, "{}==> {name} <==", if texts > 0 { "\n" } else { "" })?;
                    }
                    out.write_all(t.as_bytes())?;
                    texts += 1;
                }
                Ok((_, Rendered::Kept)) => kept += 1,
                Err((e, code)) => {
                    // What came before goes out first, so stderr and stdout stay in order.
                    out.flush()?;
                    eprintln!("kpanic: error: {e}");
                    // An internal error outranks an unusable input.
                    status = if status == 1 { 1 } else { code };
                }
            }
            out.flush()?;
        }
    }
    if json_lines {
        // Nothing more to say: no array to close.
    } else if files == 1 && json.len() == 1 {
        json[0].write_pretty(0, &mut out)?;
        writeln!(out)?;
    } else if !json.is_empty() || (files > 1 && texts == 0 && kept == 0 && status == 0) {
        // As `serde_json` prints an array of documents: `[]` when empty.
        if json.is_empty() {
            writeln!(out, "[]")?;
        } else {
            for (i, doc) in json.iter().enumerate() {
                out.write_all(if i == 0 { b"[\n  " } else { b",\n  " })?;
                doc.write_pretty(1, &mut out)?;
            }
            writeln!(out, "\n]")?;
        }
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
