//! kpanic for Python: `kpanic.parse`, `symbolicate`, `diagnose`, `signature` and `triage`
//! return the documents `kpanic … --json` prints, as plain Python data, and raise
//! `kpanic.Error` (and subclasses) with the CLI's messages. Every call releases the GIL while
//! kpanic works.
//!
//! The documents are the library's (`kpanic::output::json`, `kpanic_triage::render`), turned
//! into Python through serde: there is no second description of them here.
//!
//! The triage of one run can also be split (docs/distributed.md): `triage_candidates` lists
//! the files, `triage_partial` does the work on a run of them, and a `TriageMerger` (or
//! `triage_merge`) folds the partials in order into the same document as `triage`.

mod errors;
mod input;
mod symbols;
mod triage;
mod work;

use std::path::PathBuf;

use pyo3::prelude::*;

use errors::Failure;
use input::Data;
use symbols::SymbolArgs;
use work::{detached, to_python, to_value, Done};

/// `kpanic parse --json`: what the panic holds.
#[pyfunction]
#[pyo3(signature = (data, name=None))]
fn parse(py: Python<'_>, data: &Bound<'_, PyAny>, name: Option<String>) -> PyResult<Py<PyAny>> {
    let data = Data::extract(data)?;
    let source = data.source();
    let name = source.name(name.as_deref());
    let v = detached(py, &name, || {
        let report = source
            .parse(&name, &Default::default())
            .map_err(Failure::Parse)?;
        Ok(Done::new(to_value(&kpanic::output::json::parse_document(
            &name, &report,
        ))?))
    })?;
    to_python(py, &v)
}

/// `kpanic symbolicate --json`: the report and every frame symbolicated.
#[pyfunction]
#[pyo3(signature = (data, kdk=None, symbols=None, kernelcache=None, symbol_store=None, name=None))]
fn symbolicate(
    py: Python<'_>,
    data: &Bound<'_, PyAny>,
    kdk: Option<&Bound<'_, PyAny>>,
    symbols: Option<&Bound<'_, PyAny>>,
    kernelcache: Option<PathBuf>,
    symbol_store: Option<&Bound<'_, PyAny>>,
    name: Option<String>,
) -> PyResult<Py<PyAny>> {
    let args = SymbolArgs::extract(kdk, symbols, kernelcache, symbol_store)?;
    let data = Data::extract(data)?;
    let source = data.source();
    let name = source.name(name.as_deref());
    let v = detached(py, &name, || {
        let lib = args.library()?;
        let report = source
            .parse(&name, &Default::default())
            .map_err(Failure::Parse)?;
        let sym = kpanic::symbolicate(&report, &lib);
        let doc = kpanic::output::json::symbolicate_document(&name, &report, &sym);
        Ok(Done {
            value: to_value(&doc)?,
            warnings: library_warnings(&lib),
        })
    })?;
    to_python(py, &v)
}

/// `kpanic diagnose --json`: the diagnosis (with symbols when any are given).
#[pyfunction]
#[pyo3(signature = (data, kdk=None, symbols=None, kernelcache=None, symbol_store=None, name=None))]
fn diagnose(
    py: Python<'_>,
    data: &Bound<'_, PyAny>,
    kdk: Option<&Bound<'_, PyAny>>,
    symbols: Option<&Bound<'_, PyAny>>,
    kernelcache: Option<PathBuf>,
    symbol_store: Option<&Bound<'_, PyAny>>,
    name: Option<String>,
) -> PyResult<Py<PyAny>> {
    let args = SymbolArgs::extract(kdk, symbols, kernelcache, symbol_store)?;
    let data = Data::extract(data)?;
    let source = data.source();
    let name = source.name(name.as_deref());
    let v = detached(py, &name, || {
        let lib = args.optional_library()?;
        let report = source
            .parse(&name, &Default::default())
            .map_err(Failure::Parse)?;
        let sym = lib.as_ref().map(|l| kpanic::symbolicate(&report, l));
        let d = kpanic::diagnose::diagnose(&report, sym.as_ref());
        Ok(Done {
            value: to_value(&kpanic::output::json::diagnose_document(&name, &d))?,
            warnings: lib.as_ref().map(library_warnings).unwrap_or_default(),
        })
    })?;
    to_python(py, &v)
}

/// The triage signature of the panic: the `signature` object of its bucket in
/// `kpanic triage --format json`.
#[pyfunction]
#[pyo3(signature = (data, kdk=None, symbols=None, kernelcache=None, symbol_store=None, name=None))]
fn signature(
    py: Python<'_>,
    data: &Bound<'_, PyAny>,
    kdk: Option<&Bound<'_, PyAny>>,
    symbols: Option<&Bound<'_, PyAny>>,
    kernelcache: Option<PathBuf>,
    symbol_store: Option<&Bound<'_, PyAny>>,
    name: Option<String>,
) -> PyResult<Py<PyAny>> {
    let args = SymbolArgs::extract(kdk, symbols, kernelcache, symbol_store)?;
    let data = Data::extract(data)?;
    let source = data.source();
    let name = source.name(name.as_deref());
    let v = detached(py, &name, || {
        let lib = args.optional_library()?;
        let report = source
            .parse(&name, &triage::PARSE_OPTIONS)
            .map_err(Failure::Parse)?;
        let record = kpanic_triage::examine(name.clone(), &report, lib.as_ref());
        Ok(Done {
            value: to_value(&record.signature)?,
            warnings: lib.as_ref().map(library_warnings).unwrap_or_default(),
        })
    })?;
    to_python(py, &v)
}

/// What the CLI says on stderr about a library's sources: its warnings (the problems are
/// errors, raised before), then the stores that could not be asked.
fn library_warnings(lib: &kpanic::SymbolLibrary) -> Vec<String> {
    lib.warnings()
        .iter()
        .skip(lib.problems().len())
        .cloned()
        .chain(lib.take_store_warnings())
        .collect()
}

/// The native module, `kpanic._kpanic`; the package `kpanic` re-exports it.
#[pymodule]
fn _kpanic(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("Error", py.get_type::<errors::Error>())?;
    m.add("NotAPanic", py.get_type::<errors::NotAPanic>())?;
    m.add(
        "SymbolSourceError",
        py.get_type::<errors::SymbolSourceError>(),
    )?;
    m.add("InternalError", py.get_type::<errors::InternalError>())?;
    m.add_function(wrap_pyfunction!(parse, m)?)?;
    m.add_function(wrap_pyfunction!(symbolicate, m)?)?;
    m.add_function(wrap_pyfunction!(diagnose, m)?)?;
    m.add_function(wrap_pyfunction!(signature, m)?)?;
    triage::register(m)?;
    Ok(())
}
