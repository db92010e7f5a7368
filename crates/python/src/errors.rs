//! The exceptions: `kpanic.Error` and its subclasses. Each message is the text the CLI prints
//! after `kpanic: error: `, so a log of either reads the same.

use kpanic_report::ParseError;
use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::PyErr;

create_exception!(
    kpanic,
    Error,
    PyException,
    "Any kpanic error; the message is what the kpanic CLI prints after `kpanic: error: `."
);
create_exception!(
    kpanic,
    NotAPanic,
    Error,
    "The input holds no kernel panic (empty, binary, another kind of report or text)."
);
create_exception!(
    kpanic,
    SymbolSourceError,
    Error,
    "A KDK, symbols path, kernelcache or symbol store that cannot be used."
);
create_exception!(
    kpanic,
    InternalError,
    Error,
    "A kpanic bug on one input; please report it with the file."
);

/// Why a call failed, made while the GIL is released and turned into an exception after.
#[derive(Debug)]
pub enum Failure {
    /// The panic could not be read or parsed.
    Parse(ParseError),
    /// Symbol sources that cannot be used, one message each.
    Sources(Vec<String>),
    /// A kpanic bug caught on one input.
    Internal(String),
    /// Anything else the user gave that cannot be used (a path to triage, a date).
    Usage(String),
}

impl From<Failure> for PyErr {
    fn from(f: Failure) -> PyErr {
        match f {
            Failure::Parse(e) => {
                let msg = e.to_string();
                if is_not_a_panic(&e) {
                    NotAPanic::new_err(msg)
                } else {
                    Error::new_err(msg)
                }
            }
            Failure::Sources(problems) => SymbolSourceError::new_err(problems.join("\n")),
            Failure::Internal(msg) => InternalError::new_err(msg),
            Failure::Usage(msg) => Error::new_err(msg),
        }
    }
}

/// True when the input was read but is not a panic (as opposed to not read at all).
fn is_not_a_panic(e: &ParseError) -> bool {
    match e {
        ParseError::InFile { source, .. } => is_not_a_panic(source),
        ParseError::Io { .. } => false,
        ParseError::Empty
        | ParseError::Binary { .. }
        | ParseError::NotAPanic { .. }
        | ParseError::NotAPanicBugType { .. } => true,
    }
}
