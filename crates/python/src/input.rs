//! What the functions take as a panic: bytes, text, or a path to a file.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use kpanic_report::{PanicReport, ParseError, ParseOptions};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};

/// The name a panic given as bytes or text has in documents and messages, unless the caller
/// names it.
const UNNAMED: &str = "<data>";

/// A panic as the caller gave it.
pub enum Data<'py> {
    /// `bytes`: borrowed, never copied.
    Bytes(Bound<'py, PyBytes>),
    /// `str`: the text of a panic.
    Text(String),
    /// `os.PathLike`: a file, read without the GIL.
    Path(PathBuf),
}

impl<'py> Data<'py> {
    /// `bytes`, `str` (the panic's text) or an `os.PathLike` (a file to read).
    pub fn extract(obj: &Bound<'py, PyAny>) -> PyResult<Self> {
        if let Ok(b) = obj.cast::<PyBytes>() {
            return Ok(Data::Bytes(b.clone()));
        }
        if let Ok(s) = obj.cast::<PyString>() {
            return Ok(Data::Text(s.to_cow()?.into_owned()));
        }
        let fspath = obj.py().import("os")?.getattr("PathLike")?;
        if obj.is_instance(&fspath)? {
            return Ok(Data::Path(obj.extract()?));
        }
        Err(PyTypeError::new_err(format!(
            "a panic is bytes, str (its text) or an os.PathLike (its file), not {}",
            obj.get_type().name()?
        )))
    }

    /// What can cross into code that runs without the GIL.
    pub fn source(&self) -> Source<'_> {
        match self {
            Data::Bytes(b) => Source::Memory(b.as_bytes()),
            Data::Text(t) => Source::Memory(t.as_bytes()),
            Data::Path(p) => Source::File(p),
        }
    }
}

/// A panic's bytes or file, readable without the GIL.
#[derive(Clone, Copy)]
pub enum Source<'a> {
    /// In memory.
    Memory(&'a [u8]),
    /// On disk.
    File(&'a Path),
}

impl Source<'_> {
    /// The name documents give the panic: `name` when the caller gave one, else the path as
    /// the CLI prints it, else `<data>`.
    pub fn name(&self, name: Option<&str>) -> String {
        match (name, self) {
            (Some(n), _) => n.to_string(),
            (None, Source::File(p)) => p.display().to_string(),
            (None, Source::Memory(_)) => UNNAMED.to_string(),
        }
    }

    /// Parses the panic; errors name it as the CLI names a file.
    pub fn parse(&self, name: &str, opts: &ParseOptions) -> Result<PanicReport, ParseError> {
        let bytes: Cow<'_, [u8]> = match self {
            Source::Memory(b) => Cow::Borrowed(b),
            Source::File(p) => Cow::Owned(std::fs::read(p).map_err(|source| ParseError::Io {
                path: PathBuf::from(name),
                source,
            })?),
        };
        kpanic_report::parse_with(&bytes, opts).map_err(|e| ParseError::InFile {
            path: PathBuf::from(name),
            source: Box::new(e),
        })
    }
}
