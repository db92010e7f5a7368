//! `kpanic.triage` (the whole run, as `kpanic triage`), and the same run in pieces for a
//! cluster: `triage_candidates` (discovery), `triage_partial` (the work on a run of
//! candidates, on a worker) and `TriageMerger` / `triage_merge` (kpanic's own fold of the
//! partials, in candidate order).

use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use kpanic_report::ParseOptions;
use kpanic_triage::render::{self, Format, Renderer};
use kpanic_triage::{Merger, Options, Partial, Triage};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList};

use crate::errors::Failure;
use crate::symbols::{one_or_many, SymbolArgs};
use crate::work::{detached, to_python, to_value, Done};

/// How triage parses (what `kpanic triage` keeps: only what a diagnosis reads, as
/// [`ParseOptions::for_diagnosis`]).
pub const PARSE_OPTIONS: ParseOptions = ParseOptions {
    keep_unknown_stackshot_keys: false,
    keep_every_stackshot_field: false,
};

/// An output format of `kpanic triage --format` (HTML is the CLI's alone).
#[derive(Clone, Copy, PartialEq, Eq)]
enum OutFormat {
    /// The document as Python data.
    Json,
    /// The other formats, as text.
    Text(Format),
}

impl OutFormat {
    fn parse(s: &str) -> PyResult<Self> {
        Ok(match s {
            "json" => OutFormat::Json,
            "text" => OutFormat::Text(Format::Text),
            "jsonl" => OutFormat::Text(Format::Jsonl),
            "csv" => OutFormat::Text(Format::Csv),
            "markdown" => OutFormat::Text(Format::Markdown),
            other => {
                return Err(PyValueError::new_err(format!(
                    "format `{other}`: one of json, jsonl, csv, markdown, text"
                )))
            }
        })
    }

    /// The renderer that streams the per-panic lines of JSON Lines and CSV.
    fn renderer(self) -> (Renderer<Shared>, Shared) {
        let out = Shared::default();
        let format = match self {
            OutFormat::Json => Format::Json,
            OutFormat::Text(f) => f,
        };
        (Renderer::new(format, out.clone()), out)
    }
}

/// The finished output: a dict for JSON, text for the rest.
enum Output {
    Json(serde_json::Value),
    Text(String),
}

impl Output {
    fn into_python(self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        match self {
            Output::Json(v) => to_python(py, &v),
            Output::Text(t) => Ok(t.into_pyobject(py)?.into_any().unbind()),
        }
    }
}

/// What `kpanic triage --format FORMAT` writes for `t`.
fn finish(
    t: &Triage,
    format: OutFormat,
    renderer: Renderer<Shared>,
    out: &Shared,
) -> Result<Output, Failure> {
    if format == OutFormat::Json {
        return Ok(Output::Json(to_value(&render::document(t))?));
    }
    renderer
        .finish(t)
        .map_err(|e| Failure::Internal(e.to_string()))?;
    let bytes = std::mem::take(&mut *out.0.lock().unwrap_or_else(|e| e.into_inner()));
    Ok(Output::Text(String::from_utf8_lossy(&bytes).into_owned()))
}

/// A buffer the renderer writes into and the caller reads once it is finished.
#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// `--since` and `--kext`.
fn options(since: Option<&str>, kext: Option<String>) -> Result<Options, Failure> {
    let since = since
        .map(|s| {
            kpanic_triage::when::parse_date(s.trim())
                .map(|d| d * 86_400)
                .ok_or_else(|| Failure::Usage(format!("`{s}` is not a date as YYYY-MM-DD")))
        })
        .transpose()?;
    Ok(Options { since, kext })
}

/// The candidates under `paths`, in the order a local run reads them; a path that cannot be
/// used is an error with the CLI's words.
fn candidates(paths: &[PathBuf]) -> Result<Vec<kpanic_triage::Candidate>, Failure> {
    let paths = if paths.is_empty() {
        let found = kpanic_triage::discover::system_panic_folders();
        if found.is_empty() {
            return Err(Failure::Usage(
                "no PATH given and no /Library/Logs/DiagnosticReports here; name the panic files, folders or zip archives to triage".into(),
            ));
        }
        found
    } else {
        paths.to_vec()
    };
    let d = kpanic_triage::discover(&paths);
    if !d.unusable.is_empty() {
        let lines: Vec<String> = d
            .unusable
            .iter()
            .map(|(p, why)| {
                format!(
                    "{}: {why}; give a panic file, a folder or a zip archive",
                    p.display()
                )
            })
            .collect();
        return Err(Failure::Usage(lines.join("\n")));
    }
    Ok(d.candidates)
}

/// `kpanic triage --format FORMAT PATH...`: the document (a dict) for `json`, the text of
/// the other formats.
#[pyfunction]
#[pyo3(signature = (paths, since=None, kext=None, kdk=None, symbols=None, kernelcache=None, symbol_store=None, format="json"))]
#[allow(clippy::too_many_arguments)]
fn triage(
    py: Python<'_>,
    paths: &Bound<'_, PyAny>,
    since: Option<String>,
    kext: Option<String>,
    kdk: Option<&Bound<'_, PyAny>>,
    symbols: Option<&Bound<'_, PyAny>>,
    kernelcache: Option<PathBuf>,
    symbol_store: Option<&Bound<'_, PyAny>>,
    format: &str,
) -> PyResult<Py<PyAny>> {
    let args = SymbolArgs::extract(kdk, symbols, kernelcache, symbol_store)?;
    let paths: Vec<PathBuf> = one_or_many(Some(paths))?;
    let format = OutFormat::parse(format)?;
    let out = detached(py, "triage", || {
        let lib = args.optional_library()?;
        let opts = options(since.as_deref(), kext)?;
        let candidates = candidates(&paths)?;
        let (mut renderer, out) = format.renderer();
        let t = kpanic_triage::run_candidates(&candidates, &opts, lib.as_ref(), &mut renderer);
        Ok(Done::new(finish(&t, format, renderer, &out)?))
    })?;
    out.into_python(py)
}

/// The files (and zip archives) under `paths`, in the order `kpanic triage` reads them: what
/// to split among workers.
#[pyfunction]
fn triage_candidates(py: Python<'_>, paths: &Bound<'_, PyAny>) -> PyResult<Py<PyList>> {
    let paths: Vec<PathBuf> = one_or_many(Some(paths))?;
    let found = detached(py, "triage", || Ok(Done::new(candidates(&paths)?)))?;
    let names = found.iter().map(|c| c.path().as_os_str());
    Ok(PyList::new(py, names)?.unbind())
}

/// The work of a triage on a run of candidates (paths from `triage_candidates`, in order):
/// a partial, as bytes, for `TriageMerger.add` / `triage_merge`.
#[pyfunction]
#[pyo3(signature = (paths, kdk=None, symbols=None, kernelcache=None, symbol_store=None))]
fn triage_partial(
    py: Python<'_>,
    paths: &Bound<'_, PyAny>,
    kdk: Option<&Bound<'_, PyAny>>,
    symbols: Option<&Bound<'_, PyAny>>,
    kernelcache: Option<PathBuf>,
    symbol_store: Option<&Bound<'_, PyAny>>,
) -> PyResult<Py<PyBytes>> {
    let args = SymbolArgs::extract(kdk, symbols, kernelcache, symbol_store)?;
    let paths: Vec<PathBuf> = one_or_many(Some(paths))?;
    let bytes = detached(py, "triage", || {
        let lib = args.optional_library()?;
        Ok(Done::new(
            Partial::run_paths(&paths, lib.as_ref()).to_bytes(),
        ))
    })?;
    Ok(PyBytes::new(py, &bytes).unbind())
}

/// Folds triage partials, given in candidate order, into the `kpanic triage` document.
#[pyclass(module = "kpanic")]
struct TriageMerger {
    /// `None` once finished.
    state: Option<MergeState>,
}

struct MergeState {
    merger: Merger,
    format: OutFormat,
    renderer: Renderer<Shared>,
    out: Shared,
}

#[pymethods]
impl TriageMerger {
    #[new]
    #[pyo3(signature = (since=None, kext=None, format="json"))]
    fn new(since: Option<String>, kext: Option<String>, format: &str) -> PyResult<Self> {
        let opts = options(since.as_deref(), kext)?;
        let format = OutFormat::parse(format)?;
        let (renderer, out) = format.renderer();
        Ok(TriageMerger {
            state: Some(MergeState {
                merger: Merger::new(&opts),
                format,
                renderer,
                out,
            }),
        })
    }

    /// Folds the next partial (the run right after the previous one).
    fn add(&mut self, py: Python<'_>, partial: &Bound<'_, PyBytes>) -> PyResult<()> {
        let bytes = partial.as_bytes();
        let state = self.state()?;
        detached(py, "triage", || {
            let p = Partial::from_bytes(bytes).map_err(|e| Failure::Usage(e.to_string()))?;
            state
                .merger
                .add(p, &mut state.renderer)
                .map_err(|e| Failure::Usage(e.to_string()))?;
            Ok(Done::new(()))
        })
    }

    /// The finished triage: the document for `json`, the text of the other formats.
    fn finish(&mut self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let MergeState {
            merger,
            format,
            renderer,
            out,
        } = self.state.take().ok_or_else(finished)?;
        let output = detached(py, "triage", || {
            let t = merger.finish();
            Ok(Done::new(finish(&t, format, renderer, &out)?))
        })?;
        output.into_python(py)
    }
}

impl TriageMerger {
    fn state(&mut self) -> PyResult<&mut MergeState> {
        self.state.as_mut().ok_or_else(finished)
    }
}

fn finished() -> PyErr {
    PyValueError::new_err("this TriageMerger is finished")
}

/// All partials of a triage, in candidate order, into its document (or text).
#[pyfunction]
#[pyo3(signature = (partials, since=None, kext=None, format="json"))]
fn triage_merge(
    py: Python<'_>,
    partials: &Bound<'_, PyAny>,
    since: Option<String>,
    kext: Option<String>,
    format: &str,
) -> PyResult<Py<PyAny>> {
    let mut m = TriageMerger::new(since, kext, format)?;
    for p in partials.try_iter()? {
        m.add(py, p?.cast::<PyBytes>()?)?;
    }
    m.finish(py)
}

/// Adds this file's functions and class to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(triage, m)?)?;
    m.add_function(wrap_pyfunction!(triage_candidates, m)?)?;
    m.add_function(wrap_pyfunction!(triage_partial, m)?)?;
    m.add_function(wrap_pyfunction!(triage_merge, m)?)?;
    m.add_class::<TriageMerger>()?;
    Ok(())
}
