//! Running kpanic's work without the GIL, with a kpanic bug on one input turned into the CLI's
//! message, and its result turned into plain Python data.

use std::panic::AssertUnwindSafe;

use pyo3::exceptions::PyUserWarning;
use pyo3::prelude::*;
use serde_json::Value;

use crate::errors::Failure;

/// A result and the warnings the CLI would print on stderr (`kpanic: warning: …`).
pub struct Done<T> {
    /// The result.
    pub value: T,
    /// Said as Python warnings once the GIL is back.
    pub warnings: Vec<String>,
}

impl<T> Done<T> {
    /// A result with no warnings.
    pub fn new(value: T) -> Self {
        Done {
            value,
            warnings: Vec::new(),
        }
    }
}

/// Runs `f` with the GIL released (other Python threads run meanwhile). A Rust panic in `f` is
/// a [`Failure::Internal`] naming `name`, with the CLI's words.
pub fn detached<T, F>(py: Python<'_>, name: &str, f: F) -> PyResult<T>
where
    T: Send,
    F: FnOnce() -> Result<Done<T>, Failure> + Send,
{
    let done = py.detach(|| {
        std::panic::catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|p| {
            Err(Failure::Internal(format!(
                "{name}: internal error, a kpanic bug (please report it with this file): {}",
                kpanic_common::payload::panic_text(p.as_ref())
            )))
        })
    })?;
    for w in &done.warnings {
        PyErr::warn(
            py,
            py.get_type::<PyUserWarning>().as_any(),
            &std::ffi::CString::new(w.replace('\0', " ")).unwrap_or_default(),
            1,
        )?;
    }
    Ok(done.value)
}

/// A document as the value the CLI's JSON printer starts from (run without the GIL).
pub fn to_value<T: serde::Serialize + ?Sized>(doc: &T) -> Result<Value, Failure> {
    serde_json::to_value(doc).map_err(|e| Failure::Internal(format!("cannot make JSON: {e}")))
}

/// Plain Python data (dict, list, str, int, float, bool, None) of a JSON value.
pub fn to_python(py: Python<'_>, v: &Value) -> PyResult<Py<PyAny>> {
    Ok(pythonize::pythonize(py, v)?.unbind())
}
